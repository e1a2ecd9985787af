//! Activations: finite-difference gradient checks, cross-backend agreement on odd and empty
//! shapes, names and serialization, and bad input.

mod common;

use common::*;
use serde_json::{json, Value};
use wgkeras::frontend::activations::Activation;
use wgkeras::frontend::graph::autodiff::gradients;
use wgkeras::frontend::graph::{static_shape, Graph};
use wgkeras::runtime::{CpuStorage, DType, Device, Tensor};

fn t64(data: Vec<f64>, dims: &[usize]) -> Tensor {
    Tensor::from_cpu(CpuStorage::from_f64(DType::F64, data), dims, &Device::Cpu).unwrap()
}

fn apply(act: &Activation, x: &Tensor) -> Tensor {
    let g = Graph::new();
    let xs = g.input(&static_shape(x.dims()), x.dtype());
    let y = act.apply(xs).unwrap();
    g.evaluate(&[y], &[x.clone()]).unwrap().remove(0)
}

/// d(sum(act(x) * seed))/dx by autodiff and by central differences, in float64.
fn check_act_grad(what: &str, act: &Activation, x: &[f64], dims: &[usize], seed: &[f64]) {
    let g = Graph::new();
    let xs = g.input(&static_shape(dims), DType::F64);
    let y = act.apply(xs).unwrap();
    let s = g.constant(t64(seed.to_vec(), dims));
    let grad = gradients(y, &[xs], Some(s)).unwrap()[0].expect("x has a gradient");
    let got = g.evaluate(&[grad], &[t64(x.to_vec(), dims)]).unwrap()[0].to_vec_f64().unwrap();
    let f = |v: Vec<f64>| -> f64 {
        let y = apply(act, &t64(v, dims)).to_vec_f64().unwrap();
        y.iter().zip(seed).map(|(a, b)| a * b).sum()
    };
    let h = 1e-6;
    for i in 0..x.len() {
        let mut p = x.to_vec();
        p[i] += h;
        let mut m = x.to_vec();
        m[i] -= h;
        let fd = (f(p) - f(m)) / (2.0 * h);
        assert!(
            (got[i] - fd).abs() <= 1e-6 + 1e-5 * fd.abs(),
            "{what}: d/dx[{i}] (x = {}) autodiff {} vs finite difference {fd}",
            x[i],
            got[i]
        );
    }
}

/// Values in [lo, hi) at least `gap` away from every kink.
fn away_from(rng: &mut Rng, n: usize, lo: f64, hi: f64, kinks: &[f64], gap: f64) -> Vec<f64> {
    let mut v = Vec::with_capacity(n);
    while v.len() < n {
        let x = rng.uniform(lo, hi);
        if kinks.iter().all(|k| (x - k).abs() > gap) {
            v.push(x);
        }
    }
    v
}

fn relu_variants() -> Vec<(String, Activation, Vec<f64>)> {
    let mut out = vec![("relu".to_string(), Activation::Relu, vec![0.0])];
    for (ns, mv, th) in [
        (0.1, None, 0.0),
        (0.0, Some(6.0), 0.0),
        (0.0, Some(2.5), 0.0),
        (0.0, None, 0.5),
        (0.2, Some(6.0), 1.0),
        (0.3, Some(2.5), 0.0),
        (0.0, None, -1.0),
        (0.25, None, -1.0),
    ] {
        let mut kinks = vec![0.0, th];
        kinks.extend(mv);
        out.push((format!("relu(ns={ns}, max={mv:?}, th={th})"), Activation::relu_with(ns, mv, th), kinks));
    }
    out
}

#[test]
fn activation_gradients_match_finite_differences() {
    let mut rng = Rng::new(21);
    let dims = [3, 5];
    let n = 15;
    let seed = rng.vec(n, -1.0, 1.0);
    for (what, act, kinks) in relu_variants() {
        let x = away_from(&mut rng, n, -8.0, 8.0, &kinks, 1e-3);
        check_act_grad(&what, &act, &x, &dims, &seed);
    }
    for (name, act) in
        [("sigmoid", Activation::Sigmoid), ("tanh", Activation::Tanh), ("linear", Activation::Linear)]
    {
        let x = rng.vec(n, -6.0, 6.0);
        check_act_grad(name, &act, &x, &dims, &seed);
    }
    for axis in [-1, 0, 1, -2] {
        let x = rng.vec(n, -5.0, 5.0);
        check_act_grad(&format!("softmax axis {axis}"), &Activation::Softmax { axis }, &x, &dims, &seed);
    }
    // softmax of large values stays finite and keeps its gradient
    let x: Vec<f64> = (0..6).map(|i| 100.0 * i as f64).collect();
    check_act_grad("softmax large", &Activation::Softmax { axis: -1 }, &x, &[2, 3], &seed[..6]);
}

#[test]
fn activations_agree_across_backends_on_odd_and_empty_shapes() {
    let mut rng = Rng::new(22);
    let shapes: &[&[usize]] = &[&[1], &[7], &[3, 5], &[2, 0, 3], &[0], &[2, 3, 17], &[1, 1, 1029]];
    let mut acts: Vec<(String, Activation)> = relu_variants().into_iter().map(|(w, a, _)| (w, a)).collect();
    acts.push(("sigmoid".into(), Activation::Sigmoid));
    acts.push(("tanh".into(), Activation::Tanh));
    acts.push(("linear".into(), Activation::Linear));
    for dims in shapes {
        let mut all = acts.clone();
        for axis in 0..dims.len() as i64 {
            all.push((format!("softmax axis {axis}"), Activation::Softmax { axis }));
        }
        all.push(("softmax".into(), Activation::Softmax { axis: -1 }));
        for (what, act) in &all {
            let x = rand_tensor(&mut rng, dims, -30.0, 30.0, DType::F32, &Device::Cpu);
            let cpu = apply(act, &x);
            assert_eq!(cpu.dims(), *dims, "{what}");
            if let Some(gpu) = gpu() {
                let got = apply(act, &x.to_device(&gpu).unwrap());
                assert!(got.device().is_gpu(), "{what}: result left the GPU");
                assert_close(
                    &format!("{what} {dims:?} (gpu vs cpu)"),
                    &got.to_device(&Device::Cpu).unwrap(),
                    &cpu,
                    2e-6,
                    2e-6,
                );
            }
        }
    }
}

#[test]
fn relu_kwargs_follow_keras() {
    // keras.activations.relu([-10, -5, 0, 5, 10], ...) from Keras's docstring
    let x = Tensor::from_vec(vec![-10.0f32, -5.0, 0.0, 5.0, 10.0], &[5], &Device::Cpu).unwrap();
    let cases: [(Activation, [f32; 5]); 4] = [
        (Activation::Relu, [0.0, 0.0, 0.0, 5.0, 10.0]),
        (Activation::relu_with(0.5, None, 0.0), [-5.0, -2.5, 0.0, 5.0, 10.0]),
        (Activation::relu_with(0.0, Some(5.0), 0.0), [0.0, 0.0, 0.0, 5.0, 5.0]),
        (Activation::relu_with(0.0, None, 5.0), [0.0, 0.0, 0.0, 0.0, 10.0]),
    ];
    for dev in devices() {
        for (act, want) in &cases {
            let got = apply(act, &x.to_device(&dev).unwrap()).to_vec_f32().unwrap();
            assert_eq!(&got[..], &want[..], "{act:?} on {dev}");
        }
    }
    assert_eq!(Activation::relu_with(0.0, None, 0.0), Activation::Relu);
}

#[test]
fn names_and_serialization() {
    for name in ["linear", "relu", "sigmoid", "tanh", "softmax"] {
        let a = Activation::get(name).unwrap();
        assert_eq!(a.name(), name);
        // Keras writes a built-in activation as its plain name
        assert_eq!(a.serialize(), json!(name));
        assert_eq!(Activation::from_value(&a.serialize()).unwrap(), a);
    }
    assert_eq!(Activation::from_value(&Value::Null).unwrap(), Activation::Linear);
    let f = json!({"module": "builtins", "class_name": "function", "config": "tanh", "registered_name": "function"});
    assert_eq!(Activation::from_value(&f).unwrap(), Activation::Tanh);
    let k = json!({"negative_slope": 0.1, "max_value": 6.0, "threshold": 0.5});
    let a = Activation::with_kwargs("relu", k.as_object().unwrap()).unwrap();
    assert_eq!(a, Activation::ReluWith { negative_slope: 0.1, max_value: Some(6.0), threshold: 0.5 });
    assert_eq!(a.name(), "relu");
    let a = Activation::with_kwargs("softmax", json!({"axis": 0}).as_object().unwrap()).unwrap();
    assert_eq!(a, Activation::Softmax { axis: 0 });
}

#[test]
fn bad_input_is_an_error() {
    let e = Activation::get("swishy").unwrap_err().to_string();
    assert!(e.contains("swishy") && e.contains("relu") && e.contains("softmax"), "{e}");
    let e = Activation::from_value(&json!(3)).unwrap_err().to_string();
    assert!(e.contains("activation"), "{e}");
    let e =
        Activation::with_kwargs("relu", json!({"alpha": 1.0}).as_object().unwrap()).unwrap_err().to_string();
    assert!(e.contains("alpha") && e.contains("negative_slope"), "{e}");
    let e = Activation::with_kwargs("tanh", json!({"axis": 1}).as_object().unwrap()).unwrap_err().to_string();
    assert!(e.contains("axis"), "{e}");
    let e = Activation::with_kwargs("softmax", json!({"axis": "last"}).as_object().unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("axis"), "{e}");
    // softmax along an axis the input does not have
    let g = Graph::new();
    let x = g.input(&[Some(2), Some(3)], DType::F32);
    let e = Activation::Softmax { axis: 2 }.apply(x).unwrap_err().to_string();
    assert!(e.contains("axis"), "{e}");
}

/// Every activation (with each argument), the points where it changes form, and the input
/// dims to check it on (even along the axis for glu).
fn all_activations() -> Vec<(String, Activation, Vec<f64>)> {
    let mk = |name: &str, kw: Value| Activation::with_kwargs(name, kw.as_object().unwrap()).unwrap();
    let mut out: Vec<(String, Activation, Vec<f64>)> = vec![];
    let mut add = |name: &str, kw: Value, kinks: &[f64]| {
        out.push((format!("{name}({kw})"), mk(name, kw), kinks.to_vec()));
    };
    add("relu", json!({}), &[0.0]);
    add("relu", json!({"negative_slope": 0.2, "max_value": 6.0, "threshold": 1.0}), &[0.0, 1.0, 6.0]);
    add("leaky_relu", json!({}), &[0.0]);
    add("leaky_relu", json!({"negative_slope": 0.7}), &[0.0]);
    add("relu6", json!({}), &[0.0, 6.0]);
    add("sigmoid", json!({}), &[]);
    add("tanh", json!({}), &[]);
    add("linear", json!({}), &[]);
    add("exponential", json!({}), &[]);
    add("celu", json!({}), &[0.0]);
    add("celu", json!({"alpha": 2.5}), &[0.0]);
    add("elu", json!({}), &[0.0]);
    add("elu", json!({"alpha": 0.5}), &[0.0]);
    add("selu", json!({}), &[0.0]);
    add("gelu", json!({}), &[]);
    add("gelu", json!({"approximate": true}), &[]);
    add("hard_shrink", json!({}), &[-0.5, 0.5]);
    add("hard_shrink", json!({"threshold": 1.5}), &[-1.5, 1.5]);
    add("soft_shrink", json!({}), &[-0.5, 0.5]);
    add("soft_shrink", json!({"threshold": 2.0}), &[-2.0, 2.0]);
    add("hard_sigmoid", json!({}), &[-3.0, 3.0]);
    add("hard_silu", json!({}), &[-3.0, 3.0]);
    add("hard_swish", json!({}), &[-3.0, 3.0]);
    add("hard_tanh", json!({}), &[-1.0, 1.0]);
    add("log_sigmoid", json!({}), &[]);
    add("mish", json!({}), &[]);
    add("silu", json!({}), &[]);
    add("swish", json!({}), &[]);
    add("softplus", json!({}), &[]);
    add("softsign", json!({}), &[]);
    add("sparse_plus", json!({}), &[-1.0, 1.0]);
    add("sparse_sigmoid", json!({}), &[-1.0, 1.0]);
    add("squareplus", json!({}), &[]);
    add("squareplus", json!({"b": 0.5}), &[]);
    add("tanh_shrink", json!({}), &[]);
    add("threshold", json!({"threshold": 0.5, "default_value": -2.0}), &[0.5]);
    for axis in [-1, 0] {
        add("softmax", json!({ "axis": axis }), &[]);
        add("log_softmax", json!({ "axis": axis }), &[]);
        add("sparsemax", json!({ "axis": axis }), &[]);
        add("glu", json!({ "axis": axis }), &[]);
    }
    add("softmax", json!({"axis": [0, 1]}), &[]);
    add("log_softmax", json!({"axis": [0, 1]}), &[]);
    out
}

#[test]
fn every_activation_gradient_matches_finite_differences() {
    let mut rng = Rng::new(31);
    for (what, act, kinks) in all_activations() {
        for dims in [vec![4usize, 6], vec![2, 2, 4]] {
            let n: usize = dims.iter().product();
            let x = away_from(&mut rng, n, -5.0, 5.0, &kinks, 1e-3);
            let a = act.clone();
            check_grad(&format!("{what} {dims:?}"), &[(x, dims.clone())], move |xs| a.apply(xs[0]).unwrap());
        }
    }
    // saturated inputs keep finite gradients (the where forms keep the untaken branch finite)
    let big = vec![-60.0, -30.0, 30.0, 60.0, -45.0, 45.0];
    for name in
        ["elu", "selu", "celu", "softplus", "log_sigmoid", "mish", "silu", "gelu", "sigmoid", "softsign"]
    {
        let a = Activation::get(name).unwrap();
        check_grad(name, &[(big.clone(), vec![6])], move |xs| a.apply(xs[0]).unwrap());
    }
}

#[test]
fn sparsemax_matches_keras_value_and_jacobian() {
    // Keras (JAX): sparsemax([0.9, 0.5, -2, 0.1]) = [0.25, 0, 0, 0] and jax.jacfwd gives
    // d out_0 / d z = [0, -0.5, 0, 0], every other row 0 (Keras's tau = (2 z_0 + z_1 - 1) / 2).
    let z = vec![0.9, 0.5, -2.0, 0.1];
    let x = t64(z.clone(), &[4]);
    let act = Activation::get("sparsemax").unwrap();
    let g = Graph::new();
    let xs = g.input(&static_shape(&[4]), DType::F64);
    let y = act.apply(xs).unwrap();
    let out = g.evaluate(&[y], &[x.clone()]).unwrap()[0].to_vec_f64().unwrap();
    for (o, w) in out.iter().zip([0.25, 0.0, 0.0, 0.0]) {
        assert!((o - w).abs() < 1e-12, "{out:?}");
    }
    for i in 0..4 {
        let mut e = vec![0.0; 4];
        e[i] = 1.0;
        let grad = gradients(y, &[xs], Some(g.constant(t64(e, &[4])))).unwrap()[0].unwrap();
        let row = g.evaluate(&[grad], &[x.clone()]).unwrap()[0].to_vec_f64().unwrap();
        let want = if i == 0 { vec![0.0, -0.5, 0.0, 0.0] } else { vec![0.0; 4] };
        for (r, w) in row.iter().zip(&want) {
            assert!((r - w).abs() < 1e-12, "row {i}: {row:?} want {want:?}");
        }
    }
    check_grad("sparsemax 1-d", &[(z, vec![4])], move |xs| act.apply(xs[0]).unwrap());
}

#[test]
fn every_activation_agrees_across_backends() {
    let mut rng = Rng::new(32);
    let shapes: &[&[usize]] =
        &[&[1, 2], &[7, 4], &[3, 6], &[5, 3], &[2, 0, 4], &[0, 2], &[2, 3, 18], &[1, 1, 1030], &[2, 1, 17]];
    for (what, act, _) in all_activations() {
        for dims in shapes {
            if let Activation::Glu { axis } = act {
                let a = if axis < 0 { dims.len() - 1 } else { axis as usize };
                if dims[a] % 2 == 1 {
                    continue;
                }
            }
            let x = rand_tensor(&mut rng, dims, -30.0, 30.0, DType::F32, &Device::Cpu);
            let cpu = apply(&act, &x);
            let Some(gpu) = gpu() else { continue };
            let got = apply(&act, &x.to_device(&gpu).unwrap());
            assert!(got.device().is_gpu(), "{what}: result left the GPU");
            assert_close(
                &format!("{what} {dims:?} (gpu vs cpu)"),
                &got.to_device(&Device::Cpu).unwrap(),
                &cpu,
                1e-5,
                2e-6,
            );
        }
    }
}

#[test]
fn every_name_and_alias_resolves_and_serializes_canonically() {
    for &name in wgkeras::frontend::activations::NAMES {
        if name == "threshold" {
            // Keras's threshold has no defaults for its arguments
            let e = Activation::get(name).unwrap_err().to_string();
            assert!(e.contains("threshold") && e.contains("default_value") || e.contains("threshold"), "{e}");
            continue;
        }
        let a = Activation::get(name).unwrap();
        let canonical = match name {
            "swish" => "silu",
            "hard_swish" => "hard_silu",
            n => n,
        };
        assert_eq!(a.name(), canonical);
        assert_eq!(a.serialize(), json!(canonical));
        assert_eq!(Activation::from_value(&a.serialize()).unwrap(), a);
        let f = json!({"module": "keras.activations", "class_name": "function", "config": name, "registered_name": name});
        assert_eq!(Activation::from_value(&f).unwrap(), a);
    }
    // Keras's defaults
    assert_eq!(Activation::get("leaky_relu").unwrap(), Activation::LeakyRelu { negative_slope: 0.2 });
    assert_eq!(Activation::get("gelu").unwrap(), Activation::Gelu { approximate: false });
    assert_eq!(Activation::get("squareplus").unwrap(), Activation::Squareplus { b: 4.0 });
    assert_eq!(Activation::get("hard_shrink").unwrap(), Activation::HardShrink { threshold: 0.5 });
    assert_eq!(Activation::get("soft_shrink").unwrap(), Activation::SoftShrink { threshold: 0.5 });
    assert_eq!(Activation::get("celu").unwrap(), Activation::Celu { alpha: 1.0 });
    assert_eq!(Activation::get("elu").unwrap(), Activation::Elu { alpha: 1.0 });
    assert_eq!(Activation::get("glu").unwrap(), Activation::Glu { axis: -1 });
    assert_eq!(Activation::get("sparsemax").unwrap(), Activation::Sparsemax { axis: -1 });
    assert_eq!(Activation::get("log_softmax").unwrap(), Activation::LogSoftmax { axis: -1 });
    let a = Activation::with_kwargs("softmax", json!({"axis": [0, 2]}).as_object().unwrap()).unwrap();
    assert_eq!(a, Activation::SoftmaxAxes { axes: vec![0, 2] });
    let a = Activation::with_kwargs(
        "threshold",
        json!({"threshold": 1, "default_value": 0}).as_object().unwrap(),
    )
    .unwrap();
    assert_eq!(a, Activation::Threshold { threshold: 1.0, default_value: 0.0 });
}

#[test]
fn layers_load_every_activation_name() {
    use wgkeras::frontend::layers::{self, CallContext};
    for &name in wgkeras::frontend::activations::NAMES {
        if name == "threshold" {
            continue;
        }
        let canonical = Activation::get(name).unwrap().name();
        for (class, extra) in [("Dense", json!({"units": 4})), ("Activation", json!({}))] {
            let mut config = extra.as_object().unwrap().clone();
            config.insert("activation".into(), json!(name));
            let layer = layers::deserialize(
                &json!({"module": "keras.layers", "class_name": class, "config": config}),
            )
            .unwrap_or_else(|e| panic!("{class}(activation={name:?}): {e}"));
            assert_eq!(layer.get_config()["activation"], json!(canonical), "{class} {name}");
            let g = Graph::new();
            let x = g.input(&[None, Some(6)], DType::F32);
            let y = layer.call_graph(&[x], &CallContext::new(false)).unwrap()[0];
            let out = g.evaluate(
                &[y],
                &[rand_tensor(&mut Rng::new(3), &[2, 6], -2.0, 2.0, DType::F32, &Device::Cpu)],
            );
            let out = out.unwrap_or_else(|e| panic!("{class}(activation={name:?}): {e}"));
            assert!(out[0].to_vec_f64().unwrap().iter().all(|v| v.is_finite()), "{class} {name}");
        }
    }
}

#[test]
fn bad_kwargs_name_the_activation_and_argument() {
    let err = |name: &str, kw: Value| {
        Activation::with_kwargs(name, kw.as_object().unwrap()).unwrap_err().to_string()
    };
    for (name, kw, arg) in [
        ("elu", json!({"alpha": "big"}), "alpha"),
        ("celu", json!({"beta": 1.0}), "beta"),
        ("gelu", json!({"approximate": "yes"}), "approximate"),
        ("leaky_relu", json!({"negative_slope": null}), "negative_slope"),
        ("glu", json!({"axis": 1.5}), "axis"),
        ("sparsemax", json!({"axis": [0, 1]}), "axis"),
        ("log_softmax", json!({"axis": []}), "axis"),
        ("squareplus", json!({"b": [1]}), "b"),
        ("hard_shrink", json!({"threshold": "x"}), "threshold"),
        ("soft_shrink", json!({"alpha": 1}), "alpha"),
        ("threshold", json!({"threshold": 1.0}), "default_value"),
        ("threshold", json!({"default_value": 1.0}), "threshold"),
        ("mish", json!({"axis": -1}), "axis"),
        ("relu", json!({"max_value": "6"}), "max_value"),
    ] {
        let e = err(name, kw.clone());
        assert!(e.contains(name) && e.contains(arg), "{name} {kw}: {e}");
    }
    let g = Graph::new();
    let x = g.input(&[Some(2), Some(3)], DType::F32);
    let e = Activation::Glu { axis: -1 }.apply(x).unwrap_err().to_string();
    assert!(e.contains("glu") && e.contains("divisible by 2"), "{e}");
    for act in [
        Activation::Glu { axis: 2 },
        Activation::Sparsemax { axis: 2 },
        Activation::LogSoftmax { axis: -3 },
        Activation::SoftmaxAxes { axes: vec![0, 5] },
    ] {
        let e = act.apply(x).unwrap_err().to_string();
        assert!(e.contains("axis"), "{act:?}: {e}");
    }
}

#[test]
fn fused_plans_agree_with_eager_for_every_activation() {
    use wgkeras::frontend::graph::plan::{Plan, PlanOptions};
    let mut rng = Rng::new(33);
    for (what, act, _) in all_activations() {
        let dims = [6usize, 4];
        let g = Graph::new();
        let xs = g.input(&static_shape(&dims), DType::F32);
        // the activation, then its gradient: what a train step runs
        let y = act.apply(xs).unwrap();
        let w = g.constant(rand_tensor(&mut rng, &dims_of(y), -1.0, 1.0, DType::F32, &Device::Cpu));
        let obj = y.mul(w).unwrap().sum_all().unwrap();
        let dx = gradients(obj, &[xs], None).unwrap()[0].unwrap();
        let x = rand_tensor(&mut rng, &dims, -8.0, 8.0, DType::F32, &Device::Cpu);
        for dev in devices() {
            let run = |fuse: bool| {
                let plan =
                    Plan::new(&g, &[y.id, dx.id], &[], &PlanOptions { device: dev.clone(), fuse }).unwrap();
                plan.run(&[x.to_device(&dev).unwrap()]).unwrap()
            };
            let (eager, fused) = (run(false), run(true));
            for (k, (a, b)) in fused.iter().zip(&eager).enumerate() {
                assert_close(
                    &format!("{what} output {k} on {dev} (fused vs eager)"),
                    &a.to_device(&Device::Cpu).unwrap(),
                    &b.to_device(&Device::Cpu).unwrap(),
                    1e-5,
                    2e-6,
                );
            }
        }
    }
}

fn dims_of(y: wgkeras::frontend::graph::Sym<'_>) -> Vec<usize> {
    y.shape().iter().map(|d| d.unwrap()).collect()
}
