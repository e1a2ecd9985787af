//! The confusion metrics and AUC: cross-backend agreement on random data, state and reset,
//! config round trips through `metrics::get`, vector results, hand-checked values, bad arguments.

mod common;

use common::*;
use serde_json::{json, Value};
use wgkeras::frontend::metrics::{self, Metric};
use wgkeras::runtime::{DType, Device, Tensor};

fn t32(v: Vec<f32>, dims: &[usize]) -> Tensor {
    Tensor::from_vec(v, dims, &Device::Cpu).unwrap()
}

fn build(class: &str, config: Value) -> Box<dyn Metric> {
    metrics::get(
        &json!({"module": "keras.metrics", "class_name": class, "config": config, "registered_name": null}),
    )
    .unwrap_or_else(|e| panic!("{class} {config}: {e}"))
}

fn result_vec(m: &dyn Metric) -> Vec<f64> {
    m.result_tensor().unwrap().to_vec_f64().unwrap()
}

/// (class, config, per-update dims of y_true/y_pred, weight dims or None).
type Setup = (&'static str, Value, Vec<usize>, Option<Vec<usize>>);

fn setups() -> Vec<Setup> {
    vec![
        ("TruePositives", json!({}), vec![13], None),
        ("FalsePositives", json!({"thresholds": [0.1, 0.5, 0.9]}), vec![7, 3], Some(vec![7])),
        (
            "TrueNegatives",
            json!({"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}),
            vec![5, 2, 3],
            Some(vec![5, 2]),
        ),
        ("FalseNegatives", json!({"thresholds": 0.3}), vec![9, 1], Some(vec![9])),
        ("Precision", json!({"top_k": 2}), vec![6, 5], None),
        ("Precision", json!({"class_id": 1, "thresholds": [0.2, 0.6]}), vec![8, 3], Some(vec![8])),
        ("Recall", json!({"top_k": 3, "class_id": 0}), vec![4, 2, 6], None),
        ("Recall", json!({}), vec![1], Some(vec![1])),
        ("SensitivityAtSpecificity", json!({"specificity": 0.6}), vec![31], Some(vec![31])),
        ("SpecificityAtSensitivity", json!({"sensitivity": 0.4, "num_thresholds": 9}), vec![10, 2], None),
        ("PrecisionAtRecall", json!({"recall": 0.5, "class_id": 2}), vec![12, 4], None),
        ("RecallAtPrecision", json!({"precision": 0.7, "num_thresholds": 1}), vec![17], None),
        ("AUC", json!({}), vec![25], Some(vec![25])),
        ("AUC", json!({"curve": "PR", "num_thresholds": 13}), vec![11, 3], None),
        ("AUC", json!({"curve": "PRGAIN", "summation_method": "majoring"}), vec![20], None),
        ("AUC", json!({"thresholds": [0.9, 0.2, 0.5]}), vec![15], None),
        ("AUC", json!({"multi_label": true, "label_weights": [1.0, 2.0, 0.5]}), vec![9, 3], Some(vec![9])),
        ("AUC", json!({"multi_label": true, "num_labels": 2, "from_logits": true}), vec![10, 2], None),
        ("AUC", json!({"label_weights": [0.5, 1.5], "summation_method": "minoring"}), vec![6, 2], None),
        // empty batch
        ("Precision", json!({"thresholds": [0.3, 0.6]}), vec![0, 3], None),
    ]
}

#[test]
fn backends_agree_on_random_data() {
    let mut rng = Rng::new(7);
    for (class, config, dims, wdims) in setups() {
        let mut results: Vec<(Device, Vec<f64>)> = vec![];
        // the same data on every device: two updates
        let data: Vec<(Tensor, Tensor, Option<Tensor>)> = (0..2)
            .map(|_| {
                let n: usize = dims.iter().product();
                let yt: Vec<f32> =
                    (0..n).map(|_| if rng.uniform(0.0, 1.0) < 0.4 { 1.0 } else { 0.0 }).collect();
                let yp = rand_tensor(&mut rng, &dims, -0.1, 1.1, DType::F32, &Device::Cpu);
                let w = wdims.as_ref().map(|d| rand_tensor(&mut rng, d, 0.0, 2.0, DType::F32, &Device::Cpu));
                (t32(yt, &dims), yp, w)
            })
            .collect();
        for dev in devices() {
            let m = build(class, config.clone());
            for (yt, yp, w) in &data {
                let yt = yt.to_device(&dev).unwrap();
                let yp = yp.to_device(&dev).unwrap();
                let w = w.as_ref().map(|w| w.to_device(&dev).unwrap());
                metrics::update_state(m.as_ref(), Some(&yt), &yp, w.as_ref())
                    .unwrap_or_else(|e| panic!("{class} {config} on {dev}: {e}"));
            }
            assert!(m.variables().iter().all(|v| v.device() == dev), "{class}: state on {dev}");
            results.push((dev, result_vec(m.as_ref())));
        }
        let (d0, r0) = &results[0];
        for (d, r) in &results[1..] {
            assert_eq!(r0.len(), r.len(), "{class} {config}");
            for (a, b) in r0.iter().zip(r) {
                assert!((a - b).abs() <= 1e-5 + 1e-4 * a.abs(), "{class} {config}: {d0} {r0:?} vs {d} {r:?}");
            }
        }
    }
}

#[test]
fn state_is_non_trainable_cpu_accumulators_and_resets() {
    let shapes: &[(&str, Value, usize, Vec<usize>)] = &[
        ("TruePositives", json!({"thresholds": [0.2, 0.4]}), 1, vec![2]),
        ("Precision", json!({}), 2, vec![1]),
        ("RecallAtPrecision", json!({"precision": 0.5, "num_thresholds": 17}), 4, vec![17]),
        ("AUC", json!({}), 4, vec![200]),
        ("AUC", json!({"multi_label": true, "num_labels": 3, "num_thresholds": 10}), 4, vec![10, 3]),
        ("AUC", json!({"thresholds": [0.5]}), 4, vec![3]),
    ];
    for (class, config, n, dims) in shapes {
        let m = build(class, config.clone());
        let vars = m.variables();
        assert_eq!(vars.len(), *n, "{class}");
        for v in &vars {
            assert_eq!(&v.dims(), dims, "{class} {}", v.name());
            assert_eq!(v.device(), Device::Cpu);
            assert!(!v.trainable());
            assert!(v.name().starts_with(m.name()), "{}", v.name());
        }
    }
    for dev in devices() {
        for (class, config, _, _) in shapes {
            let m = build(class, config.clone());
            let yt = t32(vec![1.0, 0.0, 1.0, 0.0, 1.0, 0.0], &[2, 3]).to_device(&dev).unwrap();
            let yp = t32(vec![0.9, 0.1, 0.3, 0.6, 0.7, 0.2], &[2, 3]).to_device(&dev).unwrap();
            metrics::update_state(m.as_ref(), Some(&yt), &yp, None).unwrap();
            assert!(result_vec(m.as_ref()).iter().any(|&x| x != 0.0), "{class} on {dev}");
            m.reset().unwrap();
            assert!(result_vec(m.as_ref()).iter().all(|&x| x == 0.0), "{class} reset on {dev}");
            assert!(m.variables().iter().all(|v| v.device() == dev), "reset keeps the state on {dev}");
            for v in m.variables() {
                assert!(v.value().to_vec_f64().unwrap().iter().all(|&x| x == 0.0));
            }
        }
    }
}

#[test]
fn multi_label_auc_builds_its_state_on_the_first_update() {
    let m = build("AUC", json!({"multi_label": true, "num_thresholds": 5}));
    assert!(m.variables().is_empty());
    assert!(m.result().unwrap_err().to_string().contains("AUC"));
    m.reset().unwrap();
    let yt = t32(vec![1.0, 0.0, 0.0, 1.0], &[2, 2]);
    let yp = t32(vec![0.8, 0.3, 0.1, 0.9], &[2, 2]);
    metrics::update_state(m.as_ref(), Some(&yt), &yp, None).unwrap();
    assert_eq!(m.variables()[0].dims(), vec![5, 2]);
    assert!((m.result().unwrap() - 1.0).abs() < 1e-6);
    // rank-3 predictions are refused by name
    let m = build("AUC", json!({"multi_label": true}));
    let bad = t32(vec![0.5; 8], &[2, 2, 2]);
    let e = metrics::update_state(m.as_ref(), Some(&bad), &bad, None).unwrap_err().to_string();
    assert!(e.contains("AUC") && e.contains("rank 2"), "{e}");
    // a different number of labels later is an error, not a panic
    let m = build("AUC", json!({"multi_label": true, "num_labels": 3}));
    let e = metrics::update_state(m.as_ref(), Some(&yt), &yp, None).unwrap_err().to_string();
    assert!(e.contains("AUC"), "{e}");
}

#[test]
fn config_round_trips_through_get() {
    let mut rng = Rng::new(11);
    for (class, config, dims, _) in setups() {
        let m = build(class, config.clone());
        let again = metrics::get(&m.serialize()).unwrap();
        assert_eq!(m.config(), again.config(), "{class}");
        assert_eq!(again.class_name(), class);
        let n: usize = dims.iter().product();
        let yt = t32((0..n).map(|i| (i % 2) as f32).collect(), &dims);
        let yp = rand_tensor(&mut rng, &dims, 0.0, 1.0, DType::F32, &Device::Cpu);
        for x in [&m, &again] {
            metrics::update_state(x.as_ref(), Some(&yt), &yp, None).unwrap();
        }
        assert_eq!(result_vec(m.as_ref()), result_vec(again.as_ref()), "{class} {config}");
    }
    // Keras's exact get_config keys and defaults
    let c = Value::Object(build("AUC", json!({})).config());
    assert_eq!(
        c,
        json!({"name": "auc", "dtype": "float32", "num_thresholds": 200, "curve": "ROC",
               "summation_method": "interpolation", "multi_label": false, "num_labels": null,
               "label_weights": null, "from_logits": false})
    );
    let c = Value::Object(build("AUC", json!({"thresholds": [0.7, 0.2], "label_weights": [1, 2]})).config());
    assert_eq!(c["thresholds"], json!([0.2, 0.7]));
    assert_eq!(c["num_thresholds"], json!(4));
    assert_eq!(
        c["label_weights"],
        json!({"class_name": "__tensor__", "config": {"value": [1.0, 2.0], "dtype": "float32"}})
    );
    let c = Value::Object(build("Recall", json!({"top_k": 2})).config());
    assert_eq!(
        c,
        json!({"name": "recall", "dtype": "float32", "thresholds": null, "top_k": 2, "class_id": null})
    );
    let c = Value::Object(build("PrecisionAtRecall", json!({"recall": 0.5})).config());
    assert_eq!(
        c,
        json!({"name": "precision_at_recall", "dtype": "float32", "class_id": null, "num_thresholds": 200, "recall": 0.5})
    );
    // names Keras's get knows
    for class in ["AUC", "Precision", "Recall", "TruePositives", "FalseNegatives"] {
        let m = metrics::get(&json!(class)).unwrap();
        assert_eq!(m.class_name(), class);
    }
    // as in Keras, the *At* metrics have a required argument, so a bare name cannot build them
    let e = metrics::get(&json!("SensitivityAtSpecificity")).err().unwrap().to_string();
    assert!(e.contains("specificity"), "{e}");
}

#[test]
fn vector_results_per_threshold() {
    for dev in devices() {
        let m = build("TruePositives", json!({"thresholds": [0.0, 0.35, 0.8]}));
        let yt = t32(vec![1.0, 1.0, 0.0, 1.0], &[4]).to_device(&dev).unwrap();
        let yp = t32(vec![0.9, 0.4, 0.95, 0.1], &[4]).to_device(&dev).unwrap();
        let w = t32(vec![1.0, 2.0, 1.0, 0.5], &[4]).to_device(&dev).unwrap();
        metrics::update_state(m.as_ref(), Some(&yt), &yp, Some(&w)).unwrap();
        let r = m.result_tensor().unwrap();
        assert_eq!(r.dims(), &[3]);
        assert_eq!(r.to_vec_f64().unwrap(), vec![3.5, 3.0, 1.0]);
        assert!(m.result().unwrap_err().to_string().contains("TruePositives"));
        // Precision per threshold; one threshold in a list is still a scalar result
        let p = build("Precision", json!({"thresholds": [0.5, 0.92]}));
        metrics::update_state(p.as_ref(), Some(&yt), &yp, None).unwrap();
        assert_eq!(result_vec(p.as_ref()), vec![0.5, 0.0]);
        let p = build("Precision", json!({"thresholds": [0.5]}));
        metrics::update_state(p.as_ref(), Some(&yt), &yp, None).unwrap();
        assert_eq!(p.result_tensor().unwrap().dims(), &[] as &[usize]);
        assert_eq!(p.result().unwrap(), 0.5);
    }
}

#[test]
fn hand_checked_values() {
    for dev in devices() {
        let d = |v: Vec<f32>, dims: &[usize]| t32(v, dims).to_device(&dev).unwrap();
        // top_k=1: only each row's largest prediction can be positive (ties to the lower index)
        let m = build("Recall", json!({"top_k": 1}));
        let yt = d(vec![0.0, 1.0, 1.0, 1.0, 0.0, 0.0], &[2, 3]);
        let yp = d(vec![0.5, 0.5, 0.1, 0.2, 0.9, 0.3], &[2, 3]);
        metrics::update_state(m.as_ref(), Some(&yt), &yp, None).unwrap();
        assert_eq!(m.result().unwrap(), 0.0, "tie goes to index 0, which is a negative");
        // a perfect ranking has ROC AUC 1, a reversed one 0
        let yt = d(vec![0.0, 0.0, 1.0, 1.0], &[4]);
        let m = build("AUC", json!({}));
        metrics::update_state(m.as_ref(), Some(&yt), &d(vec![0.1, 0.2, 0.8, 0.9], &[4]), None).unwrap();
        assert!((m.result().unwrap() - 1.0).abs() < 1e-6);
        let m = build("AUC", json!({}));
        metrics::update_state(m.as_ref(), Some(&yt), &d(vec![0.9, 0.8, 0.2, 0.1], &[4]), None).unwrap();
        assert!(m.result().unwrap().abs() < 1e-6);
        // class_id picks the column
        let m = build("Precision", json!({"class_id": 1}));
        let yt = d(vec![0.0, 1.0, 1.0, 0.0, 0.0, 1.0], &[3, 2]);
        let yp = d(vec![0.1, 0.9, 0.2, 0.7, 0.3, 0.2], &[3, 2]);
        metrics::update_state(m.as_ref(), Some(&yt), &yp, None).unwrap();
        assert_eq!(m.result().unwrap(), 0.5);
    }
}

#[test]
fn bad_arguments_name_the_class_and_argument() {
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "TruePositives",
            json!({"thresholds": 1.5}),
            &["TruePositives", "Threshold values must be in [0, 1]"],
        ),
        ("FalseNegatives", json!({"thresholds": [0.2, -0.1]}), &["FalseNegatives", "Received: [-0.1]"]),
        ("Precision", json!({"thresholds": [0.5, null]}), &["Precision", "None"]),
        ("Recall", json!({"thresholds": "high"}), &["Recall", "thresholds"]),
        ("Precision", json!({"top_k": -1}), &["Precision", "top_k"]),
        (
            "SensitivityAtSpecificity",
            json!({"specificity": 1.5}),
            &["SensitivityAtSpecificity", "specificity"],
        ),
        ("SpecificityAtSensitivity", json!({}), &["SpecificityAtSensitivity", "sensitivity"]),
        (
            "PrecisionAtRecall",
            json!({"recall": 0.5, "num_thresholds": 0}),
            &["PrecisionAtRecall", "num_thresholds"],
        ),
        ("AUC", json!({"num_thresholds": 1}), &["AUC", "num_thresholds"]),
        ("AUC", json!({"curve": "XY"}), &["AUC", "Invalid AUC curve value", "XY"]),
        ("AUC", json!({"summation_method": "trapezoid"}), &["AUC", "summation method", "trapezoid"]),
        ("AUC", json!({"num_labels": 3}), &["AUC", "num_labels"]),
        ("AUC", json!({"label_weights": "x"}), &["AUC", "label_weights"]),
        ("AUC", json!({"thresholds": 0.5}), &["AUC", "thresholds"]),
        ("Recall", json!({"bogus": 1}), &["Recall", "bogus"]),
    ];
    for (class, config, wants) in cases {
        let e = metrics::get(&json!({"class_name": class, "config": config}))
            .err()
            .unwrap_or_else(|| panic!("{class} {config} built"));
        let e = e.to_string();
        for w in *wants {
            assert!(e.contains(w), "{class} {config}: {e:?} lacks {w:?}");
        }
    }
    // bad inputs at update time
    let v = t32(vec![0.5; 6], &[6]);
    let m = build("Precision", json!({"class_id": 0}));
    let e = metrics::update_state(m.as_ref(), Some(&v), &v, None).unwrap_err().to_string();
    assert!(e.contains("Precision") && e.contains("class_id"), "{e}");
    let m = build("Recall", json!({"class_id": 5}));
    let x = t32(vec![0.5; 6], &[2, 3]);
    let e = metrics::update_state(m.as_ref(), Some(&x), &x, None).unwrap_err().to_string();
    assert!(e.contains("Recall") && e.contains("class_id"), "{e}");
    let m = build("Precision", json!({"top_k": 4}));
    let e = metrics::update_state(m.as_ref(), Some(&x), &x, None).unwrap_err().to_string();
    assert!(e.contains("Precision") && e.contains("top_k"), "{e}");
    let m = build("TruePositives", json!({}));
    let e = metrics::update_state(m.as_ref(), Some(&v), &x, None).unwrap_err().to_string();
    assert!(e.contains("TruePositives") && e.contains("shape"), "{e}");
    let e = metrics::update_state(m.as_ref(), Some(&x), &x, Some(&t32(vec![1.0; 4], &[4])))
        .unwrap_err()
        .to_string();
    assert!(e.contains("TruePositives") && e.contains("sample_weight"), "{e}");
    let m = build("AUC", json!({"label_weights": [1.0, 2.0]}));
    let e = metrics::update_state(m.as_ref(), Some(&x), &x, None).unwrap_err().to_string();
    assert!(e.contains("AUC") && e.contains("label_weights"), "{e}");
}
