//! Metrics: state variables, updates as graph nodes (no readback), results, reset, the
//! "accuracy" resolution by shape, configs, cross-backend agreement and bad input.

mod common;

use common::*;
use serde_json::{json, Value};
use wgkeras::frontend::graph::plan::PlanOptions;
use wgkeras::frontend::graph::{Graph, Plan};
use wgkeras::frontend::metrics::{self, Metric};
use wgkeras::frontend::Variable;
use wgkeras::runtime::{DType, Device, Tensor};

fn t32(v: Vec<f32>, dims: &[usize]) -> Tensor {
    Tensor::from_vec(v, dims, &Device::Cpu).unwrap()
}

fn i32t(v: Vec<i32>, dims: &[usize]) -> Tensor {
    Tensor::from_vec(v, dims, &Device::Cpu).unwrap()
}

#[test]
fn state_is_two_float32_scalars_on_the_cpu() {
    for id in ["mean", "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy"] {
        let m = metrics::get(&json!(id)).unwrap();
        let vars = m.variables();
        assert_eq!(vars.len(), 2, "{id}");
        let names: Vec<String> = vars.iter().map(|v| v.name().to_string()).collect();
        assert_eq!(names, vec![format!("{id}/total"), format!("{id}/count")]);
        for v in &vars {
            assert_eq!(v.dims(), Vec::<usize>::new(), "{id}");
            assert_eq!(v.dtype(), DType::F32, "{id}");
            assert_eq!(v.device(), Device::Cpu, "{id}");
            assert!(!v.trainable(), "{id}");
        }
        assert_eq!(m.result().unwrap(), 0.0, "{id}: no update gives 0");
    }
}

#[test]
fn mean_is_a_weighted_running_mean_and_resets() {
    for dev in devices() {
        let m = metrics::Mean::new("loss").unwrap();
        // the loss tracker: batch loss weighted by batch size
        for (loss, bs) in [(0.75f32, 8.0f32), (0.5, 8.0), (0.25, 4.0)] {
            let v = Tensor::scalar(loss, &Device::Cpu).unwrap().to_device(&dev).unwrap();
            let w = Tensor::scalar(bs, &Device::Cpu).unwrap().to_device(&dev).unwrap();
            m.update_state_values(&v, Some(&w)).unwrap();
        }
        let want = (0.75 * 8.0 + 0.5 * 8.0 + 0.25 * 4.0) / 20.0;
        assert!((m.result().unwrap() - want).abs() < 1e-6, "on {dev}");
        assert!(m.variables().iter().all(|v| v.device() == dev), "state lives on {dev}");
        m.reset().unwrap();
        assert_eq!(m.result().unwrap(), 0.0);
        assert!(m.variables().iter().all(|v| v.device() == dev), "reset keeps the state on {dev}");
        m.update_state_values(&t32(vec![1.0, 2.0, 6.0], &[3]).to_device(&dev).unwrap(), None).unwrap();
        assert!((m.result().unwrap() - 3.0).abs() < 1e-6);
    }
}

#[test]
fn update_gives_graph_nodes_that_a_plan_replays() {
    // The train step's use: the update nodes go into a plan's updates, run per batch.
    for dev in devices() {
        let m = metrics::SparseCategoricalAccuracy::default();
        for v in m.variables() {
            v.to_device(&dev).unwrap();
        }
        let g = Graph::new();
        let yt = g.input(&[None], DType::I32);
        let yp = g.input(&[None, Some(3)], DType::F32);
        let updates = m.update(&g, yt, yp, None).unwrap();
        let updates: Vec<(Variable, usize)> = updates.into_iter().map(|(v, s)| (v, s.id)).collect();
        let plan = Plan::new(&g, &[], &updates, &PlanOptions { device: dev.clone(), fuse: false }).unwrap();
        let preds = t32(vec![0.1, 0.8, 0.1, 0.7, 0.2, 0.1], &[2, 3]);
        plan.run(&[i32t(vec![1, 2], &[2]), preds.clone()]).unwrap();
        plan.run(&[i32t(vec![1, 0], &[2]), preds.clone()]).unwrap();
        plan.run(&[
            i32t(vec![0, 0, 1, 2], &[4]),
            t32(vec![0.9, 0.0, 0.1, 0.2, 0.5, 0.3, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0], &[4, 3]),
        ])
        .unwrap();
        // 1 + 2 + 3 hits over 8 samples
        assert!((m.result().unwrap() - 6.0 / 8.0).abs() < 1e-6, "on {dev}: {}", m.result().unwrap());
    }
}

#[test]
fn accuracies_follow_keras() {
    let cases: Vec<(Box<dyn Metric>, Tensor, Tensor, Option<Tensor>, f64)> = vec![
        // Keras docstrings
        (
            Box::new(metrics::BinaryAccuracy::default()),
            t32(vec![1.0, 1.0, 0.0, 0.0], &[4, 1]),
            t32(vec![0.98, 1.0, 0.0, 0.6], &[4, 1]),
            None,
            0.75,
        ),
        (
            Box::new(metrics::BinaryAccuracy::default()),
            t32(vec![1.0, 1.0, 0.0, 0.0], &[4, 1]),
            t32(vec![0.98, 1.0, 0.0, 0.6], &[4, 1]),
            Some(t32(vec![1.0, 0.0, 0.0, 1.0], &[4])),
            0.5,
        ),
        (
            Box::new(metrics::CategoricalAccuracy::default()),
            t32(vec![0.0, 0.0, 1.0, 0.0, 1.0, 0.0], &[2, 3]),
            t32(vec![0.1, 0.9, 0.8, 0.05, 0.95, 0.0], &[2, 3]),
            None,
            0.5,
        ),
        (
            Box::new(metrics::CategoricalAccuracy::default()),
            t32(vec![0.0, 0.0, 1.0, 0.0, 1.0, 0.0], &[2, 3]),
            t32(vec![0.1, 0.9, 0.8, 0.05, 0.95, 0.0], &[2, 3]),
            Some(t32(vec![0.7, 0.3], &[2])),
            0.3,
        ),
        (
            Box::new(metrics::SparseCategoricalAccuracy::default()),
            t32(vec![2.0, 1.0], &[2, 1]),
            t32(vec![0.1, 0.6, 0.3, 0.05, 0.95, 0.0], &[2, 3]),
            None,
            0.5,
        ),
        (
            Box::new(metrics::SparseCategoricalAccuracy::default()),
            i32t(vec![2, 1], &[2]),
            t32(vec![0.1, 0.6, 0.3, 0.05, 0.95, 0.0], &[2, 3]),
            Some(t32(vec![0.7, 0.3], &[2])),
            0.3,
        ),
        (
            Box::new(metrics::Accuracy::default()),
            i32t(vec![1, 2, 3, 4], &[4]),
            i32t(vec![0, 2, 3, 4], &[4]),
            None,
            0.75,
        ),
    ];
    for dev in devices() {
        for (m, yt, yp, sw, want) in &cases {
            m.reset().unwrap();
            let mv = |t: &Tensor| t.to_device(&dev).unwrap();
            let swd = sw.as_ref().map(mv);
            metrics::update_state(m.as_ref(), Some(&mv(yt)), &mv(yp), swd.as_ref()).unwrap();
            let got = m.result().unwrap();
            assert!((got - want).abs() < 1e-6, "{} on {dev}: {got} vs {want}", m.class_name());
        }
    }
}

#[test]
fn accuracy_resolves_by_shape() {
    let s = |d: &[Option<usize>]| d.to_vec();
    let cases = [
        (s(&[None, Some(1)]), s(&[None, Some(1)]), "BinaryAccuracy"),
        (s(&[None]), s(&[None, Some(1)]), "BinaryAccuracy"),
        (s(&[None]), s(&[None, Some(3)]), "SparseCategoricalAccuracy"),
        (s(&[None, Some(1)]), s(&[None, Some(3)]), "SparseCategoricalAccuracy"),
        (s(&[None, Some(3)]), s(&[None, Some(3)]), "CategoricalAccuracy"),
        (s(&[None, Some(5), Some(3)]), s(&[None, Some(5), Some(3)]), "CategoricalAccuracy"),
    ];
    for (yt, yp, class) in cases {
        for name in ["accuracy", "acc"] {
            let m = metrics::resolve_accuracy(name, &yt, &yp);
            assert_eq!(m.class_name(), class, "{yt:?} {yp:?}");
            assert_eq!(m.name(), name);
            let m = metrics::compile_metric(&json!(name), &yt, &yp).unwrap();
            assert_eq!((m.class_name(), m.name()), (class, name));
        }
    }
    let b = metrics::resolve_accuracy("accuracy", &s(&[None, Some(1)]), &s(&[None, Some(1)]));
    assert_eq!(Value::Object(b.config()), json!({"name": "accuracy", "dtype": "float32", "threshold": 0.5}));
    // other identifiers go through get, named by the string
    let m = metrics::compile_metric(&json!("binary_accuracy"), &s(&[None, Some(1)]), &s(&[None, Some(1)]))
        .unwrap();
    assert_eq!((m.class_name(), m.name()), ("BinaryAccuracy", "binary_accuracy"));
    let m = metrics::compile_metric(&json!("BinaryAccuracy"), &s(&[None, Some(1)]), &s(&[None, Some(1)]))
        .unwrap();
    assert_eq!((m.class_name(), m.name()), ("BinaryAccuracy", "BinaryAccuracy"));
}

#[test]
fn configs_are_keras_configs() {
    let cases = [
        ("mean", "Mean", json!({"name": "mean", "dtype": "float32"})),
        ("Mean", "Mean", json!({"name": "mean", "dtype": "float32"})),
        ("accuracy", "Accuracy", json!({"name": "accuracy", "dtype": "float32"})),
        (
            "binary_accuracy",
            "BinaryAccuracy",
            json!({"name": "binary_accuracy", "dtype": "float32", "threshold": 0.5}),
        ),
        (
            "categorical_accuracy",
            "CategoricalAccuracy",
            json!({"name": "categorical_accuracy", "dtype": "float32"}),
        ),
        (
            "SparseCategoricalAccuracy",
            "SparseCategoricalAccuracy",
            json!({"name": "sparse_categorical_accuracy", "dtype": "float32"}),
        ),
    ];
    for (id, class, config) in cases {
        let m = metrics::get(&json!(id)).unwrap();
        assert_eq!(m.class_name(), class);
        assert_eq!(Value::Object(m.config()), config, "{id}");
        let s = m.serialize();
        assert_eq!(s["module"], json!("keras.metrics"));
        let again = metrics::get(&s).unwrap();
        assert_eq!(Value::Object(again.config()), config, "{id} round trip");
    }
    let m = metrics::get(&json!({"class_name": "BinaryAccuracy", "config": {"name": "acc", "threshold": 0.7, "dtype": "float32"}}))
        .unwrap();
    assert_eq!(Value::Object(m.config()), json!({"name": "acc", "dtype": "float32", "threshold": 0.7}));
    let f = json!({"module": "builtins", "class_name": "function", "config": "binary_accuracy", "registered_name": "function"});
    assert_eq!(metrics::get(&f).unwrap().class_name(), "BinaryAccuracy");
}

#[test]
fn metrics_agree_across_backends_on_odd_and_empty_batches() {
    let mut rng = Rng::new(31);
    for b in [0usize, 1, 7, 33, 1029] {
        let c = 5;
        let yp = rand_tensor(&mut rng, &[b, c], 0.0, 1.0, DType::F32, &Device::Cpu);
        let ids = rand_tensor(&mut rng, &[b], 0.0, c as f64 - 0.01, DType::I32, &Device::Cpu);
        let sw = rand_tensor(&mut rng, &[b], 0.0, 2.0, DType::F32, &Device::Cpu);
        let yb = rand_tensor(&mut rng, &[b, 1], 0.0, 1.99, DType::I32, &Device::Cpu)
            .to_device(&Device::Cpu)
            .unwrap();
        let ypb = rand_tensor(&mut rng, &[b, 1], 0.0, 1.0, DType::F32, &Device::Cpu);
        let run = |dev: &Device, id: &str, yt: &Tensor, yp: &Tensor, w: Option<&Tensor>| -> f64 {
            let m = metrics::get(&json!(id)).unwrap();
            let mv = |t: &Tensor| t.to_device(dev).unwrap();
            let wd = w.map(mv);
            metrics::update_state(m.as_ref(), Some(&mv(yt)), &mv(yp), wd.as_ref()).unwrap();
            metrics::update_state(m.as_ref(), Some(&mv(yt)), &mv(yp), None).unwrap();
            m.result().unwrap()
        };
        let ycat = wgkeras::ops::one_hot(&ids, c as i64, -1, Some(DType::F32)).unwrap();
        let checks: Vec<(&str, &Tensor, &Tensor)> = vec![
            ("sparse_categorical_accuracy", &ids, &yp),
            ("categorical_accuracy", &ycat, &yp),
            ("binary_accuracy", &yb, &ypb),
            ("accuracy", &ids, &ids),
        ];
        for (id, yt, ypred) in checks {
            let cpu = run(&Device::Cpu, id, yt, ypred, Some(&sw));
            if b == 0 {
                assert_eq!(cpu, 0.0, "{id}: no samples gives 0");
            }
            if let Some(gpu) = gpu() {
                let got = run(&gpu, id, yt, ypred, Some(&sw));
                assert!((got - cpu).abs() < 1e-5, "{id} batch {b}: gpu {got} vs cpu {cpu}");
            }
        }
    }
}

fn err_of<T>(r: wgkeras::frontend::Result<T>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_input_is_an_error() {
    let e = err_of(metrics::get(&json!("no_such_metric")));
    assert!(e.contains("no_such_metric") && e.contains("binary_accuracy") && e.contains("mean"), "{e}");
    let e = err_of(metrics::get(&json!({"class_name": "NoSuchMetric", "config": {}})));
    assert!(e.contains("NoSuchMetric") && e.contains("SparseCategoricalAccuracy"), "{e}");
    let e = err_of(metrics::get(&json!({"class_name": "BinaryAccuracy", "config": {"thresh": 0.5}})));
    assert!(e.contains("BinaryAccuracy") && e.contains("thresh") && e.contains("threshold"), "{e}");
    let e = err_of(metrics::get(&json!({"class_name": "Mean", "config": {"dtype": "int32"}})));
    assert!(e.contains("Mean") && e.contains("dtype"), "{e}");
    // shapes that do not match
    let m = metrics::SparseCategoricalAccuracy::default();
    let e = err_of(metrics::update_state(
        &m,
        Some(&i32t(vec![1, 2, 0], &[3])),
        &t32(vec![0.0; 8], &[4, 2]),
        None,
    ));
    assert!(e.contains("SparseCategoricalAccuracy"), "{e}");
    let m = metrics::CategoricalAccuracy::default();
    let e = err_of(metrics::update_state(
        &m,
        Some(&t32(vec![0.0; 6], &[2, 3])),
        &t32(vec![0.0; 6], &[3, 2]),
        None,
    ));
    assert!(e.contains("CategoricalAccuracy"), "{e}");
    let m = metrics::BinaryAccuracy::default();
    let e = err_of(metrics::update_state(
        &m,
        Some(&t32(vec![0.0; 4], &[4, 1])),
        &t32(vec![0.0; 4], &[4, 1]),
        Some(&t32(vec![1.0; 3], &[3])),
    ));
    assert!(e.contains("BinaryAccuracy") && e.contains("sample_weight"), "{e}");
    let e = err_of(metrics::update_state(&m, None, &t32(vec![0.0; 4], &[4, 1]), None));
    assert!(e.contains("y_true"), "{e}");
    // nothing was counted by the failed updates
    assert_eq!(m.result().unwrap(), 0.0);
}
