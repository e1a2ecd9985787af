//! Activation layers (ReLU, LeakyReLU, ELU, PReLU, Softmax): gradient checks (of the input and
//! of PReLU's alpha), cross-backend agreement, configs and Keras's argument errors.

mod common;

use common::*;
use serde_json::{json, Value};
use wgkeras::frontend::graph::autodiff::gradients;
use wgkeras::frontend::graph::{Graph, Shape};
use wgkeras::frontend::layers::{self, CallContext, LayerRef};
use wgkeras::runtime::{DType, Device};

fn layer(class: &str, config: Value) -> LayerRef {
    layers::deserialize(&json!({"module": "keras.layers", "class_name": class, "config": config}))
        .unwrap_or_else(|e| panic!("{class} {config}: {e}"))
}

fn layer_err(class: &str, config: Value) -> String {
    match layers::deserialize(&json!({"module": "keras.layers", "class_name": class, "config": config})) {
        Ok(_) => panic!("{class} {config} loaded"),
        Err(e) => e.to_string(),
    }
}

/// (class, config) pairs covering each layer's arguments.
fn configs() -> Vec<(&'static str, Value)> {
    vec![
        ("ReLU", json!({})),
        ("ReLU", json!({"max_value": 6})),
        ("ReLU", json!({"max_value": 2.5, "negative_slope": 0.3})),
        ("ReLU", json!({"threshold": 1.0})),
        ("ReLU", json!({"max_value": 4.0, "negative_slope": 0.25, "threshold": 0.5})),
        ("LeakyReLU", json!({})),
        ("LeakyReLU", json!({"negative_slope": 0.05})),
        ("ELU", json!({})),
        ("ELU", json!({"alpha": 0.5})),
        ("PReLU", json!({"alpha_initializer": {"class_name": "Constant", "config": {"value": 0.25}}})),
        ("PReLU", json!({"alpha_initializer": "random_normal", "shared_axes": [1]})),
        ("PReLU", json!({"alpha_initializer": "random_uniform", "shared_axes": 2})),
        ("Softmax", json!({})),
        ("Softmax", json!({"axis": 1})),
        ("Softmax", json!({"axis": [1, 2]})),
    ]
}

fn kinks(class: &str, config: &Value) -> Vec<f64> {
    let mut k = vec![0.0];
    if class == "ReLU" {
        k.extend(config.get("max_value").and_then(Value::as_f64));
        k.extend(config.get("threshold").and_then(Value::as_f64));
    }
    k
}

fn away_from(rng: &mut Rng, n: usize, kinks: &[f64]) -> Vec<f64> {
    let mut v = vec![];
    while v.len() < n {
        let x = rng.uniform(-6.0, 6.0);
        if kinks.iter().all(|k| (x - k).abs() > 1e-3) {
            v.push(x);
        }
    }
    v
}

#[test]
fn layer_gradients_match_finite_differences() {
    let mut rng = Rng::new(41);
    for (class, config) in configs() {
        let mut c = config.as_object().unwrap().clone();
        c.insert("dtype".into(), json!("float64"));
        let l = layer(class, Value::Object(c));
        let dims = vec![2usize, 3, 4];
        let shape: Shape = vec![None, Some(3), Some(4)];
        l.ensure_built(&[shape]).unwrap();
        let x = away_from(&mut rng, 24, &kinks(class, &config));
        let l2 = l.clone();
        check_grad(&format!("{class} {config}"), &[(x, dims)], move |xs| {
            l2.call_graph(&[xs[0]], &CallContext::new(true)).unwrap()[0]
        });
    }
}

#[test]
fn prelu_alpha_gradient_matches_finite_differences() {
    let mut rng = Rng::new(42);
    for shared in [json!(null), json!([1]), json!([1, 2])] {
        let l = layer("PReLU", json!({"dtype": "float64", "shared_axes": shared}));
        l.ensure_built(&[vec![None, Some(3), Some(4)]]).unwrap();
        let alpha = l.weights()[0].clone();
        let adims = alpha.dims();
        let an: usize = adims.iter().product();
        alpha.assign(&host(rng.vec(an, -1.0, 1.0), &adims)).unwrap();
        let x = host(away_from(&mut rng, 24, &[0.0]), &[2, 3, 4]);
        let wts = host(rng.vec(24, -1.0, 1.0), &[2, 3, 4]);
        let g = Graph::new();
        let xs = g.input(&[None, Some(3), Some(4)], DType::F64);
        let y = l.call_graph(&[xs], &CallContext::new(true)).unwrap()[0];
        let obj = y.mul(g.constant(wts)).unwrap().sum_all().unwrap();
        let a = g.variable(&alpha);
        let grad = gradients(obj, &[a], None).unwrap()[0].expect("alpha has a gradient");
        let got = g.evaluate(&[grad], &[x.clone()]).unwrap()[0].to_vec_f64().unwrap();
        let base = alpha.value().to_vec_f64().unwrap();
        let h = 1e-6;
        for i in 0..an {
            let eval = |d: f64| {
                let mut v = base.clone();
                v[i] += d;
                alpha.assign(&host(v, &adims)).unwrap();
                g.evaluate(&[obj], &[x.clone()]).unwrap()[0].to_vec_f64().unwrap()[0]
            };
            let fd = (eval(h) - eval(-h)) / (2.0 * h);
            assert!(
                (fd - got[i]).abs() <= 1e-6 + 1e-5 * fd.abs(),
                "shared {shared}: d/dalpha[{i}] {} vs {fd}",
                got[i]
            );
        }
        alpha.assign(&host(base, &adims)).unwrap();
    }
}

#[test]
fn layers_agree_across_backends() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(43);
    for (class, config) in configs() {
        for dims in [vec![2usize, 3, 4], vec![1, 3, 4], vec![0, 3, 4], vec![5, 3, 4]] {
            let l = layer(class, config.clone());
            let x = rand_tensor(&mut rng, &dims, -10.0, 10.0, DType::F32, &Device::Cpu);
            let run = |dev: &Device| {
                let g = Graph::new();
                let xs = g.input(&[None, Some(3), Some(4)], DType::F32);
                let y = l.call_graph(&[xs], &CallContext::new(false)).unwrap()[0];
                g.evaluate(&[y], &[x.to_device(dev).unwrap()]).unwrap().remove(0)
            };
            let cpu = run(&Device::Cpu);
            let got = run(&gpu);
            assert!(got.device().is_gpu());
            assert_close(
                &format!("{class} {config} {dims:?}"),
                &got.to_device(&Device::Cpu).unwrap(),
                &cpu,
                1e-5,
                2e-6,
            );
        }
    }
}

#[test]
fn configs_round_trip_with_keras_defaults() {
    let c = layer("ReLU", json!({})).get_config();
    assert_eq!(
        (&c["max_value"], &c["negative_slope"], &c["threshold"]),
        (&json!(null), &json!(0.0), &json!(0.0))
    );
    assert_eq!(layer("ReLU", json!({"max_value": 6})).get_config()["max_value"], json!(6));
    assert_eq!(layer("LeakyReLU", json!({})).get_config()["negative_slope"], json!(0.3));
    // the deprecated `alpha` is read as negative_slope
    assert_eq!(layer("LeakyReLU", json!({"alpha": 0.5})).get_config()["negative_slope"], json!(0.5));
    assert_eq!(layer("ELU", json!({})).get_config()["alpha"], json!(1.0));
    let c = layer("PReLU", json!({})).get_config();
    assert_eq!(c["alpha_initializer"]["class_name"], json!("Zeros"));
    assert_eq!(
        (&c["alpha_regularizer"], &c["alpha_constraint"], &c["shared_axes"]),
        (&json!(null), &json!(null), &json!(null))
    );
    assert_eq!(layer("PReLU", json!({"shared_axes": 2})).get_config()["shared_axes"], json!([2]));
    assert_eq!(layer("Softmax", json!({})).get_config()["axis"], json!(-1));
    assert_eq!(layer("Softmax", json!({"axis": [1, 2]})).get_config()["axis"], json!([1, 2]));
    for (class, config) in configs() {
        let l = layer(class, config);
        let again = layer(class, Value::Object(l.get_config()));
        assert_eq!(again.get_config(), l.get_config(), "{class}");
    }
    // PReLU's alpha: the input's shape without the batch, 1 along the shared axes
    let l = layer("PReLU", json!({"shared_axes": [1, 3]}));
    l.ensure_built(&[vec![None, Some(3), Some(4), Some(5)]]).unwrap();
    assert_eq!(l.weights()[0].dims(), vec![1, 4, 1]);
    assert!(l.weights()[0].name().ends_with("/alpha"), "{}", l.weights()[0].name());
}

#[test]
fn bad_configs_are_keras_errors() {
    for (class, config, want) in [
        ("ReLU", json!({"max_value": -1}), "max_value of a ReLU layer cannot be a negative value"),
        ("ReLU", json!({"negative_slope": -0.1}), "negative_slope of a ReLU layer cannot be None"),
        ("ReLU", json!({"negative_slope": null}), "negative_slope=None"),
        ("ReLU", json!({"threshold": -1.0}), "threshold of a ReLU layer cannot be None"),
        ("ReLU", json!({"max_value": "6"}), "max_value"),
        ("LeakyReLU", json!({"negative_slope": -1}), "negative_slope value of a Leaky ReLU layer"),
        ("ELU", json!({"alpha": "one"}), "alpha"),
        ("ELU", json!({"beta": 1.0}), "beta"),
        ("PReLU", json!({"shared_axes": "1"}), "shared_axes"),
        ("PReLU", json!({"alpha_initializer": "no_such_init"}), "alpha_initializer"),
        ("Softmax", json!({"axis": "last"}), "axis"),
        ("Softmax", json!({"axis": []}), "axis"),
    ] {
        let e = layer_err(class, config.clone());
        assert!(e.contains(class) || e.contains("Leaky ReLU"), "{class} {config}: {e}");
        assert!(e.contains(want), "{class} {config}: {e}");
    }
    // PReLU: shared axis out of range, unknown non-shared dims, and an input of another shape
    let l = layer("PReLU", json!({"shared_axes": [3]}));
    let e = l.ensure_built(&[vec![None, Some(3), Some(4)]]).unwrap_err().to_string();
    assert!(e.contains("shared_axes") && e.contains("PReLU"), "{e}");
    let l = layer("PReLU", json!({}));
    let e = l.ensure_built(&[vec![None, None, Some(4)]]).unwrap_err().to_string();
    assert!(e.contains("PReLU"), "{e}");
    let l = layer("PReLU", json!({}));
    l.ensure_built(&[vec![None, Some(3), Some(4)]]).unwrap();
    let g = Graph::new();
    let x = g.input(&[None, Some(3), Some(5)], DType::F32);
    let e = l.call_graph(&[x], &CallContext::new(false)).unwrap_err().to_string();
    assert!(e.contains("PReLU") && e.contains("incompatible"), "{e}");
    // Softmax along an axis the input lacks
    let l = layer("Softmax", json!({"axis": 3}));
    let x = g.input(&[None, Some(3)], DType::F32);
    let e = l.call_graph(&[x], &CallContext::new(false)).unwrap_err().to_string();
    assert!(e.contains("axis"), "{e}");
}
