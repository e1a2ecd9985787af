//! The IoU metrics (IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU), the F-scores
//! (FBetaScore, F1Score) and the correlations (PearsonCorrelation, ConcordanceCorrelation):
//! cross-backend agreement on random data (odd, size-1 and empty batches), updates replayed by a
//! plan with an unknown batch size, reset, config round trips through `metrics::get`, vector
//! results, bad arguments, and a model trained with them compiled by name.

mod common;

use common::*;
use serde_json::{json, Map, Value};
use wgkeras::frontend::graph::plan::PlanOptions;
use wgkeras::frontend::graph::{Graph, Plan};
use wgkeras::frontend::layers::{Dense, LayerRef};
use wgkeras::frontend::metrics::{self, FBetaScore, FScoreAverage, IoU, Metric};
use wgkeras::frontend::models::{CompileArgs, FitArgs};
use wgkeras::frontend::{Model, Variable};
use wgkeras::runtime::{DType, Device, Tensor};

fn t32(v: Vec<f32>, dims: &[usize]) -> Tensor {
    Tensor::from_vec(v, dims, &Device::Cpu).unwrap()
}

fn i32t(v: Vec<i32>, dims: &[usize]) -> Tensor {
    Tensor::from_vec(v, dims, &Device::Cpu).unwrap()
}

fn get(v: Value) -> Box<dyn Metric> {
    metrics::get(&v).unwrap_or_else(|e| panic!("{v}: {e}"))
}

fn err_of<T>(r: wgkeras::frontend::Result<T>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol * (1.0 + y.abs()) || (x.is_nan() && y.is_nan()))
}

/// Random integer labels in [lo, hi) as int32.
fn labels(rng: &mut Rng, dims: &[usize], lo: i32, hi: i32) -> Tensor {
    let n: usize = dims.iter().product();
    let v: Vec<i32> = (0..n).map(|_| lo + rng.below((hi - lo) as usize) as i32).collect();
    i32t(v, dims)
}

fn one_hot(ids: &Tensor, c: usize) -> Tensor {
    wgkeras::ops::one_hot(ids, c as i64, -1, Some(DType::F32)).unwrap()
}

/// The metric built from `config`, updated with each (y_true, y_pred, sample_weight) on `dev`.
fn run_on(dev: &Device, config: &Value, updates: &[(Tensor, Tensor, Option<Tensor>)]) -> Vec<f64> {
    let m = get(config.clone());
    let mv = |t: &Tensor| t.to_device(dev).unwrap();
    for (yt, yp, sw) in updates {
        let swd = sw.as_ref().map(mv);
        metrics::update_state(m.as_ref(), Some(&mv(yt)), &mv(yp), swd.as_ref())
            .unwrap_or_else(|e| panic!("{config} on {dev}: {e}"));
    }
    assert!(m.variables().iter().all(|v| &v.device() == dev), "{config}: state lives on {dev}");
    m.result_tensor().unwrap().to_vec_f64().unwrap()
}

fn serialized(class: &str, config: Value) -> Value {
    json!({"module": "keras.metrics", "class_name": class, "config": config, "registered_name": null})
}

#[test]
fn metrics_agree_across_backends_on_random_data() {
    let mut rng = Rng::new(2026);
    let c = 5usize;
    for b in [0usize, 1, 7, 33, 517] {
        let yt = labels(&mut rng, &[b], -1, c as i32 + 1); // out-of-range ids included
        let yp = labels(&mut rng, &[b], 0, c as i32);
        let probs = rand_tensor(&mut rng, &[b, c], 0.0, 1.0, DType::F32, &Device::Cpu);
        let ids = labels(&mut rng, &[b], 0, c as i32);
        let oh = one_hot(&ids, c);
        let sw = rand_tensor(&mut rng, &[b], 0.0, 3.0, DType::F32, &Device::Cpu);
        let multi = labels(&mut rng, &[b, c], 0, 2);
        let bin_pred = rand_tensor(&mut rng, &[b], 0.0, 1.0, DType::F32, &Device::Cpu);
        let bin_true = labels(&mut rng, &[b], 0, 2);
        let reg_t = rand_tensor(&mut rng, &[b, 4], -1.0, 1.0, DType::F32, &Device::Cpu);
        let reg_p = rand_tensor(&mut rng, &[b, 4], -1.0, 1.0, DType::F32, &Device::Cpu);
        let twice = |yt: &Tensor, yp: &Tensor| {
            vec![(yt.clone(), yp.clone(), Some(sw.clone())), (yt.clone(), yp.clone(), None)]
        };
        let mut checks: Vec<(Value, Vec<(Tensor, Tensor, Option<Tensor>)>)> = vec![
            (serialized("IoU", json!({"num_classes": c, "target_class_ids": [0, 2, 4]})), twice(&yt, &yp)),
            (
                serialized(
                    "IoU",
                    json!({"num_classes": c, "target_class_ids": [1, 3], "dtype": "float32", "ignore_class": 0}),
                ),
                twice(&yt, &yp),
            ),
            (serialized("MeanIoU", json!({"num_classes": c, "sparse_y_pred": false})), twice(&ids, &probs)),
            (
                serialized("OneHotIoU", json!({"num_classes": c, "target_class_ids": [0, 1]})),
                twice(&oh, &probs),
            ),
            (serialized("OneHotMeanIoU", json!({"num_classes": c, "dtype": "float32"})), twice(&oh, &probs)),
            (serialized("BinaryIoU", json!({"threshold": 0.4})), twice(&bin_true, &bin_pred)),
            (serialized("PearsonCorrelation", json!({})), twice(&reg_t, &reg_p)),
            // axis 0 gives one value per feature, so no per-sample weight fits
            (
                serialized("ConcordanceCorrelation", json!({"axis": 0})),
                vec![(reg_t.clone(), reg_p.clone(), None), (reg_t.clone(), reg_p.clone(), None)],
            ),
            (serialized("ConcordanceCorrelation", json!({})), twice(&reg_t, &reg_p)),
        ];
        for avg in [Value::Null, json!("micro"), json!("macro"), json!("weighted")] {
            checks.push((serialized("F1Score", json!({"average": avg})), twice(&oh, &probs)));
            checks.push((
                serialized("FBetaScore", json!({"average": avg, "beta": 2.0, "threshold": 0.5})),
                twice(&multi, &probs),
            ));
        }
        for (config, updates) in checks {
            let cpu = run_on(&Device::Cpu, &config, &updates);
            if let Some(gpu) = gpu() {
                let got = run_on(&gpu, &config, &updates);
                assert!(close(&got, &cpu, 1e-4), "{config} batch {b}: gpu {got:?} vs cpu {cpu:?}");
            }
        }
    }
}

#[test]
fn iou_matches_hand_counts() {
    // y_true [0, 0, 1, 1], y_pred [0, 1, 0, 1]: cm = [[1, 1], [1, 1]], IoU = 1/3 per class.
    for dev in devices() {
        let m = IoU::new(2, &[0]).unwrap();
        let yt = i32t(vec![0, 0, 1, 1], &[4]).to_device(&dev).unwrap();
        let yp = i32t(vec![0, 1, 0, 1], &[4]).to_device(&dev).unwrap();
        metrics::update_state(&m, Some(&yt), &yp, None).unwrap();
        assert!((m.result().unwrap() - 1.0 / 3.0).abs() < 1e-6);
        assert_eq!(m.total_cm().value().to_vec_f64().unwrap(), vec![1.0, 1.0, 1.0, 1.0]);
        assert_eq!(m.total_cm().dtype(), DType::I32, "Keras's confusion matrix is int32 by default");
        // float weights are truncated into the int32 matrix, as Keras casts them to its dtype
        let w = t32(vec![1.9, 0.5, 2.2, 3.0], &[4]).to_device(&dev).unwrap();
        metrics::update_state(&m, Some(&yt), &yp, Some(&w)).unwrap();
        assert_eq!(m.total_cm().value().to_vec_f64().unwrap(), vec![2.0, 1.0, 3.0, 4.0]);
        m.reset().unwrap();
        assert_eq!(m.total_cm().value().to_vec_f64().unwrap(), vec![0.0; 4]);
        assert_eq!(m.result().unwrap(), 0.0);
        assert_eq!(m.total_cm().device(), dev, "reset keeps the state on {dev}");
    }
}

#[test]
fn updates_replay_in_a_plan_with_unknown_batch() {
    // The train step's use: update nodes in a plan, run per batch of any size.
    for dev in devices() {
        let ms: Vec<Box<dyn Metric>> = vec![
            Box::new(IoU::mean(3).unwrap()),
            Box::new(FBetaScore::f1(FScoreAverage::PerClass, None).unwrap()),
            get(json!("PearsonCorrelation")),
        ];
        for m in &ms {
            for v in m.variables() {
                v.to_device(&dev).unwrap();
            }
        }
        let g = Graph::new();
        let yt = g.input(&[None, Some(3)], DType::F32);
        let yp = g.input(&[None, Some(3)], DType::F32);
        let mut updates: Vec<(Variable, usize)> = vec![];
        // MeanIoU gets argmax labels of the one-hot targets and predictions
        let ytl = yt.argmax(-1).unwrap();
        let ypl = yp.argmax(-1).unwrap();
        updates.extend(ms[0].update(&g, ytl, ypl, None).unwrap().into_iter().map(|(v, s)| (v, s.id)));
        for m in &ms[1..] {
            updates.extend(m.update(&g, yt, yp, None).unwrap().into_iter().map(|(v, s)| (v, s.id)));
        }
        let plan = Plan::new(&g, &[], &updates, &PlanOptions { device: dev.clone(), fuse: true }).unwrap();
        let batches = [
            (vec![0, 1, 2], vec![0.8f32, 0.1, 0.1, 0.2, 0.7, 0.1, 0.3, 0.3, 0.4]),
            (vec![2, 2], vec![0.1, 0.1, 0.8, 0.6, 0.2, 0.2]),
            (
                vec![1, 0, 0, 1, 2],
                vec![0.2, 0.7, 0.1, 0.9, 0.0, 0.1, 0.3, 0.6, 0.1, 0.1, 0.8, 0.1, 0.0, 0.2, 0.8],
            ),
        ];
        let eager: Vec<Box<dyn Metric>> = vec![
            get(
                json!({"class_name": "MeanIoU", "config": {"num_classes": 3, "sparse_y_true": false, "sparse_y_pred": false}}),
            ),
            get(json!("F1Score")),
            get(json!("PearsonCorrelation")),
        ];
        for (ids, p) in &batches {
            let n = ids.len();
            let yt = one_hot(&i32t(ids.clone(), &[n]), 3);
            let yp = t32(p.clone(), &[n, 3]);
            plan.run(&[yt.clone(), yp.clone()]).unwrap();
            for m in &eager {
                metrics::update_state(m.as_ref(), Some(&yt), &yp, None).unwrap();
            }
        }
        for (m, e) in ms.iter().zip(&eager) {
            let got = m.result_tensor().unwrap().to_vec_f64().unwrap();
            let want = e.result_tensor().unwrap().to_vec_f64().unwrap();
            assert!(close(&got, &want, 1e-5), "{} on {dev}: plan {got:?} vs eager {want:?}", m.class_name());
        }
        // MeanIoU: cm rows true, cols pred: true [0,1,2,2,2,1,0,0,1,2], pred [0,1,2,2,0,1,0,1,1,2]
        let miou = ms[0].result().unwrap();
        let want = (2.0 / 4.0 + 3.0 / 4.0 + 3.0 / 4.0) / 3.0;
        assert!((miou - want).abs() < 1e-6, "MeanIoU {miou} vs {want}");
    }
}

#[test]
fn fscore_results_are_vectors_or_scalars() {
    let yt = t32(vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0], &[4, 3]);
    let yp = t32(vec![0.9, 0.05, 0.05, 0.1, 0.2, 0.7, 0.0, 0.0, 0.0, 0.6, 0.3, 0.1], &[4, 3]);
    for dev in devices() {
        let (ytd, ypd) = (yt.to_device(&dev).unwrap(), yp.to_device(&dev).unwrap());
        let m = FBetaScore::f1(FScoreAverage::PerClass, None).unwrap();
        let e = err_of(m.result_tensor());
        assert!(e.contains("F1Score") && e.contains("update"), "{e}");
        metrics::update_state(&m, Some(&ytd), &ypd, None).unwrap();
        let r = m.result_tensor().unwrap();
        assert_eq!(r.dims(), &[3]);
        assert_eq!(r.dtype(), DType::F32);
        // class 0: tp 2, fp 0, fn 0 -> 1; class 1: tp 0 (fn 1, fp 0) -> 0; class 2: tp 0, fp 1, fn 1 -> 0
        let v = r.to_vec_f64().unwrap();
        assert!(close(&v, &[1.0, 0.0, 0.0], 1e-5), "{v:?}");
        let e = err_of(m.result());
        assert!(e.contains("F1Score") && e.contains("result_tensor"), "{e}");
        assert_eq!(m.variables().iter().map(|v| v.dims()).collect::<Vec<_>>(), vec![vec![3]; 4]);
        // a different number of classes after the build is an error naming the class
        let e = err_of(metrics::update_state(
            &m,
            Some(&t32(vec![0.0; 4], &[1, 4])),
            &t32(vec![0.0; 4], &[1, 4]),
            None,
        ));
        assert!(e.contains("F1Score") && e.contains('4'), "{e}");
        m.reset().unwrap();
        assert_eq!(m.result_tensor().unwrap().to_vec_f64().unwrap(), vec![0.0; 3]);
        let micro = FBetaScore::f1(FScoreAverage::Micro, None).unwrap();
        metrics::update_state(&micro, Some(&ytd), &ypd, None).unwrap();
        assert_eq!(micro.result_tensor().unwrap().dims(), &[] as &[usize]);
        // micro: tp 2, fp 1, fn 2 -> p 2/3, r 1/2 -> f1 4/7
        assert!((micro.result().unwrap() - 4.0 / 7.0).abs() < 1e-5);
    }
}

#[test]
fn configs_round_trip_through_get() {
    let metrics_list: Vec<Box<dyn Metric>> = vec![
        get(serialized(
            "IoU",
            json!({"num_classes": 3, "target_class_ids": [0, 2], "ignore_class": 1, "axis": 0}),
        )),
        get(serialized("BinaryIoU", json!({"target_class_ids": [1], "threshold": 0.25, "name": "b"}))),
        get(serialized("MeanIoU", json!({"num_classes": 4, "dtype": "float32", "sparse_y_true": false}))),
        get(serialized(
            "OneHotIoU",
            json!({"num_classes": 4, "target_class_ids": [3], "sparse_y_pred": true}),
        )),
        get(serialized("OneHotMeanIoU", json!({"num_classes": 2}))),
        get(serialized("FBetaScore", json!({"average": "weighted", "beta": 0.5, "threshold": 0.3}))),
        get(serialized("F1Score", json!({"average": "micro"}))),
        get(serialized("PearsonCorrelation", json!({"axis": null}))),
        get(serialized("ConcordanceCorrelation", json!({"axis": [0, 1], "name": "ccc"}))),
        Box::new(IoU::binary(&[0, 1], 0.5).unwrap()),
        Box::new(IoU::one_hot(3, &[0]).unwrap()),
        Box::new(IoU::one_hot_mean(3).unwrap()),
        Box::new(FBetaScore::new(FScoreAverage::Macro, 2.0, None).unwrap()),
    ];
    for m in &metrics_list {
        let s = m.serialize();
        let back = get(s.clone());
        assert_eq!(back.class_name(), m.class_name());
        assert_eq!(back.config(), m.config(), "{s}");
        assert_eq!(back.name(), m.name());
    }
    // Keras's default configs, key for key
    let want: Vec<(&str, Value)> = vec![
        (
            "MeanIoU",
            json!({"num_classes": 3, "name": "mean_io_u", "dtype": "int32", "ignore_class": null,
                   "sparse_y_true": true, "sparse_y_pred": true, "axis": -1}),
        ),
        (
            "BinaryIoU",
            json!({"target_class_ids": [0, 1], "threshold": 0.5, "name": "binary_io_u", "dtype": "int32"}),
        ),
        ("F1Score", json!({"name": "f1_score", "dtype": "float32", "average": null, "threshold": null})),
        (
            "FBetaScore",
            json!({"name": "fbeta_score", "dtype": "float32", "average": null, "beta": 1.0, "threshold": null}),
        ),
        ("PearsonCorrelation", json!({"name": "pearson_correlation", "dtype": "float32", "axis": -1})),
        (
            "ConcordanceCorrelation",
            json!({"name": "concordance_correlation", "dtype": "float32", "axis": -1}),
        ),
    ];
    for (class, config) in want {
        let given = if class == "MeanIoU" { json!({"num_classes": 3}) } else { json!({}) };
        let m = get(serialized(class, given));
        assert_eq!(Value::Object(m.config()), config, "{class}");
        // exactly Keras's keys
        let keys: Vec<String> = m.config().keys().cloned().collect();
        let want_keys: Vec<String> = match class {
            "MeanIoU" => {
                ["num_classes", "name", "dtype", "ignore_class", "sparse_y_true", "sparse_y_pred", "axis"]
                    .map(String::from)
                    .to_vec()
            }
            "BinaryIoU" => ["target_class_ids", "threshold", "name", "dtype"].map(String::from).to_vec(),
            "F1Score" => ["name", "dtype", "average", "threshold"].map(String::from).to_vec(),
            "FBetaScore" => ["name", "dtype", "average", "beta", "threshold"].map(String::from).to_vec(),
            _ => ["name", "dtype", "axis"].map(String::from).to_vec(),
        };
        let mut sorted_keys = keys.clone();
        let mut sorted_want = want_keys.clone();
        sorted_keys.sort();
        sorted_want.sort();
        assert_eq!(sorted_keys, sorted_want, "{class}");
    }
    let m = get(json!("BinaryIoU"));
    assert_eq!(m.name(), "binary_io_u");
}

#[test]
fn bad_arguments_are_errors_naming_class_and_argument() {
    let bad: Vec<(&str, Value, &[&str])> = vec![
        (
            "IoU",
            json!({"num_classes": 3, "target_class_ids": [3]}),
            &["IoU", "Target class id 3 is out of range", "[0, 3)"],
        ),
        ("IoU", json!({"num_classes": 3, "target_class_ids": []}), &["IoU", "target_class_ids", "empty"]),
        ("IoU", json!({"target_class_ids": [0]}), &["IoU", "num_classes"]),
        ("IoU", json!({"num_classes": 3}), &["IoU", "target_class_ids"]),
        ("IoU", json!({"num_classes": 3, "target_class_ids": "0"}), &["IoU", "target_class_ids"]),
        ("MeanIoU", json!({"num_classes": 0}), &["MeanIoU", "target_class_ids"]),
        ("MeanIoU", json!({"num_classes": 3, "dtype": "bool"}), &["MeanIoU", "dtype"]),
        ("MeanIoU", json!({"num_classes": 3, "target_class_ids": [0]}), &["MeanIoU", "target_class_ids"]),
        (
            "OneHotIoU",
            json!({"num_classes": 3, "target_class_ids": [0], "sparse_y_true": true}),
            &["OneHotIoU", "sparse_y_true"],
        ),
        ("BinaryIoU", json!({"target_class_ids": [2]}), &["BinaryIoU", "Target class id 2", "[0, 2)"]),
        ("BinaryIoU", json!({"num_classes": 2}), &["BinaryIoU", "num_classes"]),
        (
            "FBetaScore",
            json!({"average": "mean"}),
            &["FBetaScore", "Invalid `average` argument value", "average=mean"],
        ),
        ("FBetaScore", json!({"beta": 1}), &["FBetaScore", "`beta`", "Python float", "beta=1"]),
        ("FBetaScore", json!({"beta": -1.0}), &["FBetaScore", "`beta`", "> 0"]),
        ("FBetaScore", json!({"threshold": 1}), &["FBetaScore", "`threshold`", "Python float"]),
        ("FBetaScore", json!({"threshold": 1.5}), &["FBetaScore", "0 < threshold <= 1", "1.5"]),
        ("F1Score", json!({"threshold": 0.0}), &["F1Score", "0 < threshold <= 1"]),
        ("F1Score", json!({"beta": 2.0}), &["F1Score", "beta"]),
        ("PearsonCorrelation", json!({"axis": "x"}), &["PearsonCorrelation", "axis"]),
        ("ConcordanceCorrelation", json!({"dtype": "int32"}), &["ConcordanceCorrelation", "dtype"]),
    ];
    for (class, config, words) in bad {
        let e = err_of(metrics::get(&serialized(class, config.clone())));
        for w in words {
            assert!(e.contains(w), "{class} {config}: {e:?} should mention {w:?}");
        }
    }
    // bad inputs
    let f1 = FBetaScore::f1(FScoreAverage::Macro, None).unwrap();
    let e =
        err_of(metrics::update_state(&f1, Some(&t32(vec![0.0; 3], &[3])), &t32(vec![0.0; 3], &[3]), None));
    assert!(e.contains("F1Score") && e.contains("2D inputs"), "{e}");
    let e = err_of(metrics::update_state(
        &f1,
        Some(&t32(vec![0.0; 6], &[2, 3])),
        &t32(vec![0.0; 6], &[2, 3]),
        Some(&t32(vec![1.0; 4], &[2, 2])),
    ));
    assert!(e.contains("F1Score") && e.contains("sample_weight"), "{e}");
    let iou = IoU::new(3, &[0]).unwrap();
    let e =
        err_of(metrics::update_state(&iou, Some(&i32t(vec![0, 1, 2], &[3])), &i32t(vec![0, 1], &[2]), None));
    assert!(!e.is_empty());
    let axis1 = get(serialized("OneHotIoU", json!({"num_classes": 3, "target_class_ids": [0], "axis": 1})));
    metrics::update_state(
        axis1.as_ref(),
        Some(&t32(vec![1.0, 0.0, 0.0], &[1, 3, 1])),
        &t32(vec![1.0, 0.0, 0.0], &[1, 3, 1]),
        None,
    )
    .unwrap();
    let e = err_of(axis1.result());
    assert!(e.contains("OneHotIoU") && e.contains("axis=1"), "{e}");
}

fn dense(units: usize, activation: &str, name: &str) -> LayerRef {
    let cfg: Map<String, Value> =
        json!({"name": name, "units": units, "activation": activation}).as_object().unwrap().clone();
    Dense::from_config(&cfg).unwrap().into()
}

#[test]
fn a_model_trains_with_these_metrics_compiled_by_name() {
    let n = 37;
    let mut rng = Rng::new(7);
    let x: Vec<f32> = rng.vec(n * 4, -1.0, 1.0).into_iter().map(|v| v as f32).collect();
    let ids: Vec<i32> = (0..n)
        .map(|i| {
            if x[i * 4] + x[i * 4 + 1] > 0.0 {
                1
            } else if x[i * 4 + 2] > 0.5 {
                2
            } else {
                0
            }
        })
        .collect();
    let x = t32(x, &[n, 4]);
    let y = one_hot(&i32t(ids, &[n]), 3);
    let build =
        || Model::sequential_with(&[4], vec![dense(6, "relu", "h"), dense(3, "softmax", "out")]).unwrap();
    let w0 = build().get_weights().unwrap();
    let mut results = vec![];
    for dev in devices() {
        let mut m = build();
        m.set_weights(&w0).unwrap();
        m.compile(
            CompileArgs::new("adam", "categorical_crossentropy")
                .metrics(&["F1Score", "BinaryIoU", "ConcordanceCorrelation"])
                .device(dev.clone()),
        )
        .unwrap();
        let hist = m
            .fit(
                &x,
                &y,
                FitArgs { verbose: 0, batch_size: 8, epochs: 2, shuffle: false, ..Default::default() },
            )
            .unwrap();
        assert!(
            hist.get("BinaryIoU").is_some() && hist.get("ConcordanceCorrelation").is_some(),
            "{:?}",
            hist.keys()
        );
        assert!(hist.get("F1Score").is_none(), "a vector result stays out of the scalar logs");
        let res = m.metric_results().unwrap();
        let f1 = &res.iter().find(|(k, _)| k == "F1Score").expect("F1Score result").1;
        assert_eq!(f1.dims(), &[3]);
        assert!(f1.to_vec_f64().unwrap().iter().all(|v| (0.0..=1.0).contains(v)));
        results.push(res);
    }
    if results.len() == 2 {
        for ((k, a), (_, b)) in results[0].iter().zip(&results[1]) {
            let (a, b) = (a.to_vec_f64().unwrap(), b.to_vec_f64().unwrap());
            assert!(close(&a, &b, 1e-4), "{k}: cpu {a:?} vs gpu {b:?}");
        }
    }
}

#[test]
fn segmentation_sized_confusion_matrices_agree_exactly() {
    // Many pixels and classes: the matrix is scattered in update order on both backends, so the
    // int32 counts (and float32 weighted sums) agree to the bit.
    let mut rng = Rng::new(99);
    let (c, dims) = (21usize, [3usize, 33, 17]);
    let yt = labels(&mut rng, &dims, -1, c as i32);
    let yp = labels(&mut rng, &dims, 0, c as i32);
    let sw = rand_tensor(&mut rng, &dims, 0.0, 2.0, DType::F32, &Device::Cpu);
    for dtype in ["int32", "float32"] {
        let config = serialized("MeanIoU", json!({"num_classes": c, "ignore_class": -1, "dtype": dtype}));
        let cm_on = |dev: &Device| {
            let m = IoU::from_config("MeanIoU", config["config"].as_object().unwrap()).unwrap();
            let mv = |t: &Tensor| t.to_device(dev).unwrap();
            metrics::update_state(&m, Some(&mv(&yt)), &mv(&yp), Some(&mv(&sw))).unwrap();
            metrics::update_state(&m, Some(&mv(&yt)), &mv(&yp), None).unwrap();
            (m.total_cm().value().to_vec_f64().unwrap(), m.result().unwrap())
        };
        let (cpu_cm, cpu_r) = cm_on(&Device::Cpu);
        assert_eq!(cpu_cm.len(), c * c);
        if dtype == "int32" {
            // each valid pixel counts trunc(w) + 1
            let valid: f64 = yt
                .to_vec_f64()
                .unwrap()
                .iter()
                .zip(sw.to_vec_f64().unwrap())
                .filter(|(t, _)| **t >= 0.0)
                .map(|(_, w)| (w as f32).trunc() as f64 + 1.0)
                .sum();
            assert_eq!(cpu_cm.iter().sum::<f64>(), valid);
        }
        if let Some(gpu) = gpu() {
            let (gpu_cm, gpu_r) = cm_on(&gpu);
            assert_eq!(gpu_cm, cpu_cm, "{dtype}: the matrices differ");
            assert_eq!(gpu_r, cpu_r);
        }
    }
}
