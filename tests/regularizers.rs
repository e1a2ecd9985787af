//! Regularizers and constraints: Keras's configs, aliases and errors, the penalties and
//! projections against their formulas on every device, finite-difference gradient checks of
//! every penalty, and Dense's regularizer/constraint/LoRA arguments.

mod common;

use common::*;
use serde_json::{json, Value};
use wgkeras::frontend::graph::{Graph, Sym};
use wgkeras::frontend::layers::{CallContext, Dense, Layer, LayerRef};
use wgkeras::frontend::{constraints, regularizers};
use wgkeras::runtime::{CpuStorage, DType, Device, Tensor};

fn reg(id: Value) -> std::sync::Arc<dyn regularizers::Regularizer> {
    regularizers::get(&id).unwrap_or_else(|e| panic!("{id}: {e}")).expect("not null")
}

fn con(id: Value) -> std::sync::Arc<dyn constraints::Constraint> {
    constraints::get(&id).unwrap_or_else(|e| panic!("{id}: {e}")).expect("not null")
}

fn f32_tensor(data: &[f64], dims: &[usize], device: &Device) -> Tensor {
    Tensor::from_cpu(CpuStorage::from_f64(DType::F32, data.to_vec()), dims, device).unwrap()
}

/// `f` applied to a placeholder fed with `x` (on x's device); the result on the CPU as f64.
fn run(
    x: &Tensor,
    f: impl for<'g> Fn(Sym<'g>) -> wgkeras::frontend::Result<Sym<'g>>,
) -> (Vec<usize>, Vec<f64>) {
    let g = Graph::new();
    let input = g.input(&x.dims().iter().map(|&d| Some(d)).collect::<Vec<_>>(), x.dtype());
    let y = f(input).unwrap();
    let out = g.evaluate(&[y], std::slice::from_ref(x)).unwrap().remove(0);
    assert_eq!(out.device(), x.device(), "the result stays on the input's device");
    (out.dims().to_vec(), out.to_vec_f64().unwrap())
}

fn err<T>(r: wgkeras::frontend::Result<T>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

fn close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: sizes");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * (1.0 + w.abs()), "{what}: element {i}: {g} vs {w}");
    }
}

#[test]
fn regularizer_configs_and_aliases_are_keras() {
    let cases = [
        ("L1", json!({"l1": 0.009999999776482582})),
        ("l1", json!({"l1": 0.009999999776482582})),
        ("L2", json!({"l2": 0.01})),
        ("l2", json!({"l2": 0.01})),
        ("L1L2", json!({"l1": 0.0, "l2": 0.0})),
        ("l1l2", json!({"l1": 0.0, "l2": 0.0})),
        ("l1_l2", json!({"l1": 0.0, "l2": 0.0})),
        ("OrthogonalRegularizer", json!({"factor": 0.009999999776482582, "mode": "rows"})),
        ("orthogonal_regularizer", json!({"factor": 0.009999999776482582, "mode": "rows"})),
    ];
    for (name, config) in cases {
        let r = reg(json!(name));
        assert_eq!(Value::Object(r.config()), config, "{name}");
        let ser = regularizers::serialize(r.as_ref());
        assert_eq!(ser["module"], "keras.regularizers");
        let back = reg(ser);
        assert_eq!(back.class_name(), r.class_name());
        assert_eq!(back.config(), r.config());
    }
    // L1 keeps its factor as float32, as Keras does; L2 keeps the float.
    assert_eq!(reg(json!({"class_name": "L1", "config": {"l1": 0.3}})).config()["l1"], 0.30000001192092896);
    assert_eq!(reg(json!({"class_name": "L2", "config": {"l2": 0.3}})).config()["l2"], 0.3);
    assert_eq!(reg(json!({"class_name": "L1", "config": {"l1": null}})).config()["l1"], 0.009999999776482582);
    assert!(regularizers::get(&Value::Null).unwrap().is_none());
}

#[test]
fn regularizer_errors_name_the_class_and_argument() {
    let e = err(regularizers::get(&json!("l3")));
    assert!(e.contains("l3") && e.contains("L1L2") && e.contains("orthogonal_regularizer"), "{e}");
    let e = err(regularizers::get(&json!({"class_name": "L1", "config": {"l1": -1.0}})));
    assert!(e.contains("L1") && e.contains("non-negative") && e.contains("l1=-1"), "{e}");
    let e = err(regularizers::get(&json!({"class_name": "L2", "config": {"l2": "nan"}})));
    assert!(e.contains("L2") && e.contains("l2"), "{e}");
    let e = err(regularizers::get(&json!({"class_name": "L1L2", "config": {"l1": 0.1, "l3": 1}})));
    assert!(e.contains("L1L2") && e.contains("l3"), "{e}");
    let e =
        err(regularizers::get(&json!({"class_name": "OrthogonalRegularizer", "config": {"mode": "diag"}})));
    assert!(e.contains("mode") && e.contains("diag"), "{e}");
    let e =
        err(regularizers::get(&json!({"class_name": "OrthogonalRegularizer", "config": {"factor": null}})));
    assert!(e.contains("factor"), "{e}");
    let g = Graph::new();
    let x = g.input(&[Some(2), Some(3), Some(4)], DType::F32);
    let e = err(reg(json!("orthogonal_regularizer")).call(x));
    assert!(e.contains("rank 2"), "{e}");
}

#[test]
fn penalties_follow_keras_formulas_on_every_device() {
    let mut rng = Rng::new(7);
    let dims = [5, 7];
    let data = rng.vec(35, -2.0, 2.0);
    let l1: f64 = data.iter().map(|v| v.abs()).sum();
    let l2: f64 = data.iter().map(|v| v * v).sum();
    // Orthogonal, rows: mean |cos| of distinct pairs of rows times factor / 2.
    let row = |i: usize| &data[i * 7..(i + 1) * 7];
    let col = |j: usize| (0..5).map(|i| data[i * 7 + j]).collect::<Vec<_>>();
    let cos = |a: &[f64], b: &[f64]| {
        let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        let na = a.iter().map(|x| x * x).sum::<f64>().sqrt();
        let nb = b.iter().map(|x| x * x).sum::<f64>().sqrt();
        dot / (na * nb)
    };
    let mut rows = 0.0;
    for i in 0..5 {
        for j in 0..5 {
            if i != j {
                rows += cos(row(i), row(j)).abs();
            }
        }
    }
    let rows = 0.3f32 as f64 * 0.5 * rows / 10.0;
    let mut cols = 0.0;
    for i in 0..7 {
        for j in 0..7 {
            if i != j {
                cols += cos(&col(i), &col(j)).abs();
            }
        }
    }
    let cols = 0.3f32 as f64 * 0.5 * cols / 21.0;
    for device in devices() {
        let x = f32_tensor(&data, &dims, &device);
        let cases = [
            (json!({"class_name": "L1", "config": {"l1": 0.1}}), 0.1f32 as f64 * l1),
            (json!({"class_name": "L2", "config": {"l2": 0.2}}), 0.2 * l2),
            (json!({"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2}}), 0.1 * l1 + 0.2 * l2),
            (json!("l1_l2"), 0.0),
            (json!({"class_name": "OrthogonalRegularizer", "config": {"factor": 0.3}}), rows),
            (
                json!({"class_name": "OrthogonalRegularizer", "config": {"factor": 0.3, "mode": "columns"}}),
                cols,
            ),
        ];
        for (id, want) in cases {
            let r = reg(id.clone());
            let (shape, got) = run(&x, |s| r.call(s));
            assert!(shape.is_empty(), "{id}: a scalar penalty");
            close(&format!("{id} on {device:?}"), &got, &[want], 1e-5);
        }
    }
}

#[test]
fn orthogonal_regularizer_of_an_unknown_batch() {
    // As an activity regularizer the rows are the batch, known only when the graph runs.
    let g = Graph::new();
    let x = g.input(&[None, Some(3)], DType::F32);
    let r = reg(json!({"class_name": "OrthogonalRegularizer", "config": {"factor": 1.0}}));
    let y = r.call(x).unwrap();
    let feed = f32_tensor(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0], &[3, 3], &Device::Cpu);
    let got = g.evaluate(&[y], &[feed]).unwrap()[0].to_vec_f64().unwrap();
    // |P| off the diagonal counts each pair twice: 2 * (0 + 1/sqrt2 + 1/sqrt2), over 3 pairs, times 0.5.
    close("orthogonal of a batch", &got, &[0.5 * 2.0 * (2.0 / 2f64.sqrt()) / 3.0], 1e-6);
}

#[test]
fn penalty_gradients_match_finite_differences() {
    let mut rng = Rng::new(11);
    // Values away from 0, where |x| is differentiable.
    let data: Vec<f64> =
        rng.vec(12, 0.2, 1.5).into_iter().enumerate().map(|(i, v)| if i % 3 == 0 { -v } else { v }).collect();
    for id in [
        json!({"class_name": "L1", "config": {"l1": 0.3}}),
        json!({"class_name": "L2", "config": {"l2": 0.7}}),
        json!({"class_name": "L1L2", "config": {"l1": 0.2, "l2": 0.5}}),
        json!({"class_name": "OrthogonalRegularizer", "config": {"factor": 0.9, "mode": "rows"}}),
        json!({"class_name": "OrthogonalRegularizer", "config": {"factor": 0.9, "mode": "columns"}}),
    ] {
        let r = reg(id.clone());
        check_grad(&id.to_string(), &[(data.clone(), vec![3, 4])], |xs| r.call(xs[0]).unwrap());
    }
}

#[test]
fn l1_gradient_at_zero_is_one_as_in_jax() {
    let g = Graph::new();
    let x = g.input(&[Some(3)], DType::F32);
    let y = reg(json!({"class_name": "L1", "config": {"l1": 1.0}})).call(x).unwrap();
    let gx = wgkeras::frontend::graph::autodiff::gradients(y, &[x], None).unwrap()[0].unwrap();
    let feed = f32_tensor(&[0.0, -2.0, 3.0], &[3], &Device::Cpu);
    assert_eq!(g.evaluate(&[gx], &[feed]).unwrap()[0].to_vec_f64().unwrap(), [1.0, -1.0, 1.0]);
}

#[test]
fn constraint_configs_aliases_and_errors() {
    let cases = [
        ("MaxNorm", json!({"max_value": 2, "axis": 0})),
        ("max_norm", json!({"max_value": 2, "axis": 0})),
        ("MinMaxNorm", json!({"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0})),
        ("min_max_norm", json!({"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0})),
        ("UnitNorm", json!({"axis": 0})),
        ("unit_norm", json!({"axis": 0})),
        ("NonNeg", json!({})),
        ("non_neg", json!({})),
    ];
    for (name, config) in cases {
        let c = con(json!(name));
        assert_eq!(Value::Object(c.config()), config, "{name}");
        let ser = constraints::serialize(c.as_ref());
        assert_eq!(ser["module"], "keras.constraints");
        assert_eq!(con(ser).config(), c.config());
    }
    let c = con(json!({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": [0, 1]}}));
    assert_eq!(Value::Object(c.config()), json!({"max_value": 3, "axis": [0, 1]}));
    let e = err(constraints::get(&json!("maxnorm")));
    assert!(e.contains("maxnorm") && e.contains("max_norm") && e.contains("unit_norm"), "{e}");
    let e = err(constraints::get(&json!({"class_name": "MaxNorm", "config": {"max_value": "big"}})));
    assert!(e.contains("MaxNorm") && e.contains("max_value"), "{e}");
    let e = err(constraints::get(&json!({"class_name": "UnitNorm", "config": {"axis": "rows"}})));
    assert!(e.contains("UnitNorm") && e.contains("axis"), "{e}");
    let e = err(constraints::get(&json!({"class_name": "NonNeg", "config": {"axis": 0}})));
    assert!(e.contains("NonNeg") && e.contains("axis"), "{e}");
    // An axis out of range is an error when applied, naming the op.
    let g = Graph::new();
    let x = g.input(&[Some(2), Some(3)], DType::F32);
    assert!(con(json!({"class_name": "UnitNorm", "config": {"axis": 2}})).call(x).is_err());
}

/// Keras's projection of each slice along `axis` (0 or 1) of a [r, c] matrix: `w * f(norm)`.
fn project(data: &[f64], r: usize, c: usize, axis: usize, f: impl Fn(f64) -> f64) -> Vec<f64> {
    let mut out = data.to_vec();
    let (outer, inner) = if axis == 0 { (c, r) } else { (r, c) };
    for o in 0..outer {
        let idx = |i: usize| if axis == 0 { i * c + o } else { o * c + i };
        let norm = (0..inner).map(|i| data[idx(i)] * data[idx(i)]).sum::<f64>().sqrt();
        for i in 0..inner {
            out[idx(i)] = data[idx(i)] * f(norm);
        }
    }
    out
}

#[test]
fn constraints_follow_keras_formulas_on_every_device() {
    let eps = 1e-7;
    let mut rng = Rng::new(5);
    let (r, c) = (4, 6);
    let mut data = rng.vec(r * c, -2.0, 2.0);
    // A zero column and a zero row: their norms are 0 and the projection keeps them 0.
    for i in 0..r {
        data[i * c + 2] = 0.0;
    }
    for j in 0..c {
        data[3 * c + j] = 0.0;
    }
    for device in devices() {
        let w = f32_tensor(&data, &[r, c], &device);
        for axis in [0usize, 1] {
            let cases: Vec<(Value, Vec<f64>)> = vec![
                (
                    json!({"class_name": "MaxNorm", "config": {"max_value": 1.5, "axis": axis}}),
                    project(&data, r, c, axis, |n| n.clamp(0.0, 1.5) / (eps + n)),
                ),
                (
                    json!({"class_name": "MinMaxNorm", "config": {"min_value": 0.5, "max_value": 1.2, "rate": 0.4, "axis": axis}}),
                    project(&data, r, c, axis, |n| (0.4 * n.clamp(0.5, 1.2) + 0.6 * n) / (eps + n)),
                ),
                (
                    json!({"class_name": "UnitNorm", "config": {"axis": axis}}),
                    project(&data, r, c, axis, |n| 1.0 / (eps + n)),
                ),
            ];
            for (id, want) in cases {
                let k = con(id.clone());
                let (shape, got) = run(&w, |s| k.call(s));
                assert_eq!(shape, [r, c]);
                close(&format!("{id} on {device:?}"), &got, &want, 1e-5);
            }
        }
        let (_, got) = run(&w, |s| con(json!("non_neg")).call(s));
        close("non_neg", &got, &data.iter().map(|v| v.max(0.0)).collect::<Vec<_>>(), 1e-7);
        // Several axes (a conv kernel's filters): the norm over all of them.
        let k = con(json!({"class_name": "UnitNorm", "config": {"axis": [0, 1]}}));
        let (_, got) = run(&w, |s| k.call(s));
        let n = data.iter().map(|v| v * v).sum::<f64>().sqrt();
        close("unit_norm all axes", &got, &data.iter().map(|v| v / (eps + n)).collect::<Vec<_>>(), 1e-5);
    }
}

fn dense(config: Value) -> Dense {
    Dense::from_config(config.as_object().unwrap()).unwrap_or_else(|e| panic!("{config}: {e}"))
}

#[test]
fn dense_attaches_regularizers_and_constraints() {
    let d = dense(json!({
        "units": 3, "kernel_regularizer": "l2", "bias_regularizer": {"class_name": "L1", "config": {"l1": 0.5}},
        "activity_regularizer": "l1", "kernel_constraint": "max_norm", "bias_constraint": "non_neg"
    }));
    let layer = LayerRef::from(d);
    layer.ensure_built(&[vec![None, Some(4)]]).unwrap();
    let w = layer.weights();
    assert_eq!(w.len(), 2);
    assert_eq!(w[0].regularizer().unwrap().class_name(), "L2");
    assert_eq!(w[1].regularizer().unwrap().config()["l1"], 0.5);
    assert_eq!(w[0].constraint().unwrap().class_name(), "MaxNorm");
    assert_eq!(w[1].constraint().unwrap().class_name(), "NonNeg");
    let config = layer.get_config();
    assert_eq!(config["kernel_regularizer"]["class_name"], "L2");
    assert_eq!(config["activity_regularizer"]["config"]["l1"], 0.009999999776482582);
    assert_eq!(config["kernel_constraint"]["config"], json!({"max_value": 2, "axis": 0}));
    assert_eq!(config["bias_constraint"]["class_name"], "NonNeg");
    // The activity penalty joins the call's losses: l1 * sum|y| / batch.
    let g = Graph::new();
    let x = g.input(&[None, Some(4)], DType::F32);
    let ctx = CallContext::new(true);
    let y = layer.call_graph(&[x], &ctx).unwrap()[0];
    let losses = ctx.losses.borrow().clone();
    assert_eq!(losses.len(), 1);
    let feed = f32_tensor(&[1.0, -2.0, 0.5, 3.0, 0.0, 1.0, -1.0, 2.0], &[2, 4], &Device::Cpu);
    let out = g.evaluate(&[y, g.sym(losses[0])], &[feed]).unwrap();
    let ysum: f64 = out[0].to_vec_f64().unwrap().iter().map(|v| v.abs()).sum();
    close("activity penalty", &out[1].to_vec_f64().unwrap(), &[0.01f32 as f64 * ysum / 2.0], 1e-5);
    // A Dense without them has none, and its config says null.
    let plain = LayerRef::from(Dense::new(2, None).unwrap());
    let c = plain.get_config();
    assert!(c.get("activity_regularizer").is_none());
    assert_eq!(c["kernel_regularizer"], Value::Null);
    assert_eq!(c["bias_constraint"], Value::Null);
}

#[test]
fn dense_bad_arguments_are_errors() {
    let bad = |config: Value, key: &str| {
        let e = match Dense::from_config(config.as_object().unwrap()) {
            Ok(_) => panic!("{config}: expected an error"),
            Err(e) => e.to_string(),
        };
        assert!(e.contains("Dense") && e.contains(key), "{config}: {e}");
    };
    bad(json!({"units": 2, "kernel_regularizer": "l5"}), "kernel_regularizer");
    bad(json!({"units": 2, "bias_constraint": "positive"}), "bias_constraint");
    bad(
        json!({"units": 2, "activity_regularizer": {"class_name": "L2", "config": {"l2": -1}}}),
        "activity_regularizer",
    );
    bad(json!({"units": 2, "lora_rank": -1}), "lora_rank");
    bad(json!({"units": 2, "lora_alpha": "x"}), "lora_alpha");
    bad(json!({"units": 2, "quantization_config": {"mode": "int8"}}), "quantization_config");
    bad(json!({"units": 0}), "units");
    bad(json!({"units": 2, "kernel_initialiser": "zeros"}), "kernel_initialiser");
    // LoRA and a kernel constraint do not go together (Keras's message).
    let d = LayerRef::from(dense(json!({"units": 2, "lora_rank": 2, "kernel_constraint": "non_neg"})));
    let e = d.ensure_built(&[vec![None, Some(3)]]).unwrap_err().to_string();
    assert!(e.contains("Lora is incompatible with kernel constraints"), "{e}");
}

#[test]
fn dense_lora_follows_keras() {
    for device in devices() {
        let d = dense(json!({"units": 3, "lora_rank": 2, "lora_alpha": 8, "kernel_regularizer": "l2"}));
        // Before build the config has the given alpha; Keras's build enables LoRA with alpha = rank.
        assert_eq!(d.config()["lora_alpha"], 8);
        let d = std::sync::Arc::new(d);
        let layer = LayerRef(d.clone());
        layer.ensure_built(&[vec![None, Some(4)]]).unwrap();
        assert_eq!(layer.get_config()["lora_alpha"], 2);
        assert_eq!(layer.get_config()["lora_rank"], 2);
        let w = layer.weights();
        let names: Vec<&str> = w.iter().map(|v| v.name()).collect();
        assert_eq!(names.len(), 4);
        assert!(names[2].ends_with("lora_kernel_a") && names[3].ends_with("lora_kernel_b"), "{names:?}");
        assert!(!w[0].trainable(), "the kernel is frozen");
        assert!(w[1].trainable() && w[2].trainable() && w[3].trainable());
        assert_eq!(w[2].dims(), [4, 2]);
        assert_eq!(w[3].dims(), [2, 3]);
        assert!(w[3].value().to_vec_f64().unwrap().iter().all(|&v| v == 0.0), "lora_kernel_b starts at zero");
        assert_eq!(w[2].regularizer().unwrap().class_name(), "L2");
        assert_eq!(layer.trainable_weights().len(), 3);
        let e = d.enable_lora(2, None).unwrap_err().to_string();
        assert!(e.contains("already enabled"), "{e}");
        // y = x @ (kernel + alpha / rank * a @ b) + bias.
        let mut rng = Rng::new(3);
        let vals: Vec<Vec<f64>> = w.iter().map(|v| rng.vec(v.dims().iter().product(), -1.0, 1.0)).collect();
        for (v, data) in w.iter().zip(&vals) {
            v.assign(&f32_tensor(data, &v.dims(), &Device::Cpu)).unwrap();
            v.to_device(&device).unwrap();
        }
        let xv = rng.vec(8, -1.0, 1.0);
        let g = Graph::new();
        let x = g.input(&[None, Some(4)], DType::F32);
        let y = layer.call_graph(&[x], &CallContext::new(false)).unwrap()[0];
        let got = g.evaluate(&[y], &[f32_tensor(&xv, &[2, 4], &device)]).unwrap()[0].to_vec_f64().unwrap();
        let (k, b, a, bb) = (&vals[0], &vals[1], &vals[2], &vals[3]);
        let mut want = vec![0.0; 6];
        for n in 0..2 {
            for u in 0..3 {
                let mut s = b[u];
                for i in 0..4 {
                    let lora: f64 = (0..2).map(|r| a[i * 2 + r] * bb[r * 3 + u]).sum();
                    s += xv[n * 4 + i] * (k[i * 3 + u] + 1.0 * lora);
                }
                want[n * 3 + u] = s;
            }
        }
        close(&format!("lora dense on {device:?}"), &got, &want, 1e-5);
    }
    // enable_lora after build with an explicit alpha (Keras's method).
    let d = std::sync::Arc::new(Dense::new(2, None).unwrap());
    let e = d.enable_lora(2, None).unwrap_err().to_string();
    assert!(e.contains("isn't yet built"), "{e}");
    let layer = LayerRef(d.clone());
    layer.ensure_built(&[vec![None, Some(3)]]).unwrap();
    d.enable_lora(1, Some(4.0)).unwrap();
    assert!(d.lora_enabled());
    assert_eq!(layer.get_config()["lora_alpha"], 4.0);
    assert_eq!(layer.get_config()["lora_rank"], 1);
    let d = std::sync::Arc::new(dense(json!({"units": 2, "kernel_constraint": "unit_norm"})));
    LayerRef(d.clone()).ensure_built(&[vec![None, Some(3)]]).unwrap();
    let e = d.enable_lora(1, None).unwrap_err().to_string();
    assert!(e.contains("kernel constraints"), "{e}");
}
