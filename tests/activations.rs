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
fn check_grad(what: &str, act: &Activation, x: &[f64], dims: &[usize], seed: &[f64]) {
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
        check_grad(&what, &act, &x, &dims, &seed);
    }
    for (name, act) in
        [("sigmoid", Activation::Sigmoid), ("tanh", Activation::Tanh), ("linear", Activation::Linear)]
    {
        let x = rng.vec(n, -6.0, 6.0);
        check_grad(name, &act, &x, &dims, &seed);
    }
    for axis in [-1, 0, 1, -2] {
        let x = rng.vec(n, -5.0, 5.0);
        check_grad(&format!("softmax axis {axis}"), &Activation::Softmax { axis }, &x, &dims, &seed);
    }
    // softmax of large values stays finite and keeps its gradient
    let x: Vec<f64> = (0..6).map(|i| 100.0 * i as f64).collect();
    check_grad("softmax large", &Activation::Softmax { axis: -1 }, &x, &[2, 3], &seed[..6]);
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
