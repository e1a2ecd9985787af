//! Core layers (Reshape, Permute, RepeatVector, the elementwise merges, Dot, Embedding,
//! Rescaling, Identity, ActivityRegularization): finite-difference gradients, CPU/GPU
//! agreement on odd, size-1 and empty shapes, the activity loss, Embedding's mask, and errors
//! for bad configs and shapes that name the layer and the shapes.

mod common;

use common::{assert_close, check_grad, devices, rand_tensor, Rng};
use serde_json::{json, Value};
use wgkeras::frontend::graph::autodiff::gradients;
use wgkeras::frontend::graph::{Graph, Shape, Sym};
use wgkeras::frontend::layers::embedding::Embedding;
use wgkeras::frontend::layers::{self, CallContext, LayerRef};
use wgkeras::runtime::{CpuStorage, DType, Device, Tensor};

/// A layer from its class name and config (float64 unless the config names a dtype).
fn layer(class: &str, mut config: Value) -> LayerRef {
    if config.get("dtype").is_none() {
        config["dtype"] = json!("float64");
    }
    layers::deserialize(&json!({"class_name": class, "config": config})).unwrap()
}

fn try_layer(class: &str, config: Value) -> Result<LayerRef, String> {
    layers::deserialize(&json!({"class_name": class, "config": config})).map_err(|e| e.to_string())
}

fn batch_none(dims: &[usize]) -> Shape {
    dims.iter().enumerate().map(|(i, &d)| if i == 0 { None } else { Some(d) }).collect()
}

fn grad_case(what: &str, l: &LayerRef, dims: &[Vec<usize>], rng: &mut Rng) {
    let xs: Vec<(Vec<f64>, Vec<usize>)> =
        dims.iter().map(|d| (rng.vec(d.iter().product(), -2.0, 2.0), d.clone())).collect();
    check_grad(what, &xs, |syms| l.call_graph(syms, &CallContext::new(true)).unwrap()[0]);
}

#[test]
fn gradients_match_finite_differences() {
    let mut rng = Rng::new(7);
    for class in ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"] {
        let cases: Vec<Vec<Vec<usize>>> = vec![
            vec![vec![2, 3], vec![2, 3]],
            vec![vec![2, 3, 4], vec![2, 1, 4]],
            vec![vec![2, 3, 4], vec![2, 4]],
            vec![vec![1, 3, 1], vec![1, 1, 5]],
        ];
        for dims in cases {
            grad_case(&format!("{class} {dims:?}"), &layer(class, json!({})), &dims, &mut rng);
        }
        if class != "Subtract" {
            let dims = vec![vec![2, 4], vec![2, 3, 4], vec![2, 1]];
            grad_case(&format!("{class} three"), &layer(class, json!({})), &dims, &mut rng);
        }
    }
    let dots: Vec<(Value, bool, Vec<Vec<usize>>)> = vec![
        (json!(1), false, vec![vec![3, 4], vec![3, 4]]),
        (json!(-1), true, vec![vec![3, 4], vec![3, 4]]),
        (json!([1, 2]), false, vec![vec![2, 3, 5], vec![2, 4, 3]]),
        (json!([-1, -2]), true, vec![vec![2, 3, 5], vec![2, 5, 4]]),
        (json!([1, 2]), true, vec![vec![2, 4], vec![2, 3, 4]]),
        (json!([3, 1]), false, vec![vec![2, 2, 3, 4], vec![2, 4, 5]]),
    ];
    for (axes, normalize, dims) in dots {
        let l = layer("Dot", json!({"axes": axes, "normalize": normalize}));
        grad_case(&format!("Dot axes={axes} normalize={normalize}"), &l, &dims, &mut rng);
    }
    let singles: Vec<(&str, Value, Vec<usize>)> = vec![
        ("Reshape", json!({"target_shape": [2, -1]}), vec![2, 3, 4]),
        ("Permute", json!({"dims": [2, 1]}), vec![2, 3, 4]),
        ("Permute", json!({"dims": [3, 1, 2]}), vec![2, 2, 3, 4]),
        ("RepeatVector", json!({"n": 3}), vec![2, 4]),
        ("Rescaling", json!({"scale": 0.5, "offset": 1.0}), vec![2, 3]),
        ("Rescaling", json!({"scale": [1.0, 2.0, 3.0], "offset": [0.1, 0.2, 0.3]}), vec![2, 2, 3]),
        ("Identity", json!({}), vec![3, 2]),
        ("ActivityRegularization", json!({"l1": 0.1, "l2": 0.2}), vec![3, 2]),
    ];
    for (class, config, dims) in singles {
        grad_case(&format!("{class} {config}"), &layer(class, config), &[dims], &mut rng);
    }
}

/// d sum(layer(idx) * r) / d(weights) against central finite differences (float64, CPU).
fn check_weight_grads(what: &str, l: &LayerRef, idx: &Tensor) {
    let cpu = Device::Cpu;
    let eval = |want_grads: bool| -> (f64, Vec<Tensor>) {
        let g = Graph::new();
        let x = g.input(&batch_none(idx.dims()), idx.dtype());
        let y = l.call_graph(&[x], &CallContext::new(true)).unwrap()[0];
        let dims: Vec<usize> =
            y.shape().iter().enumerate().map(|(i, d)| d.unwrap_or_else(|| idx.dims()[i])).collect();
        let r = g.constant(rand_tensor(&mut Rng::new(5), &dims, -1.0, 1.0, DType::F64, &cpu));
        let loss = y.mul(r).unwrap().sum_all().unwrap();
        let mut outs = vec![loss];
        if want_grads {
            let ws: Vec<Sym> = l.weights().iter().map(|w| g.variable(w)).collect();
            outs.extend(gradients(loss, &ws, None).unwrap().into_iter().map(|g| g.expect("a gradient")));
        }
        let mut v = g.evaluate(&outs, &[idx.clone()]).unwrap();
        (v.remove(0).to_vec_f64().unwrap()[0], v)
    };
    let (_, grads) = eval(true);
    for (k, w) in l.weights().iter().enumerate() {
        let orig = w.value();
        let base = orig.to_vec_f64().unwrap();
        let got = grads[k].to_vec_f64().unwrap();
        for i in 0..base.len() {
            let f = |d: f64| {
                let mut v = base.clone();
                v[i] += d;
                w.replace(Tensor::from_cpu(CpuStorage::from_f64(DType::F64, v), orig.dims(), &cpu).unwrap());
                let l = eval(false).0;
                w.replace(orig.clone());
                l
            };
            let fd = (f(1e-6) - f(-1e-6)) / 2e-6;
            assert!(
                (fd - got[i]).abs() <= 1e-5 * (1.0 + fd.abs()),
                "{what}: d/d{}[{i}] = {} vs {fd}",
                w.name(),
                got[i]
            );
        }
    }
}

#[test]
fn embedding_gradient_wrt_table_adds_repeated_indices() {
    let cpu = Device::Cpu;
    let idx = Tensor::from_vec(vec![0i32, 2, 2, 4, 0, 0, 1, 2], &[2, 4], &cpu).unwrap();
    let mut rng = Rng::new(3);
    for config in [
        json!({"input_dim": 5, "output_dim": 3}),
        json!({"input_dim": 5, "output_dim": 3, "lora_rank": 2, "lora_alpha": 4}),
    ] {
        let l = layer("Embedding", config.clone());
        l.ensure_built(&[batch_none(idx.dims())]).unwrap();
        for w in l.weights() {
            w.replace(rand_tensor(&mut rng, &w.dims(), -1.0, 1.0, DType::F64, &cpu));
        }
        check_weight_grads(&format!("Embedding {config}"), &l, &idx);
    }
    // The table gradient is the scatter-add of the output gradient: row 0 appears 3 times.
    let l = layer("Embedding", json!({"input_dim": 5, "output_dim": 2}));
    l.ensure_built(&[batch_none(&[2, 4])]).unwrap();
    let g = Graph::new();
    let x = g.input(&batch_none(&[2, 4]), DType::I32);
    let y = l.call_graph(&[x], &CallContext::new(true)).unwrap()[0];
    let grad = gradients(y.sum_all().unwrap(), &[g.variable(&l.weights()[0])], None).unwrap()[0].unwrap();
    let got = g.evaluate(&[grad], &[idx]).unwrap()[0].to_vec_f64().unwrap();
    assert_eq!(got, vec![3.0, 3.0, 1.0, 1.0, 3.0, 3.0, 0.0, 0.0, 1.0, 1.0]);
}

/// Runs `l` on `inputs` (made on each device from the same host data) and checks that every
/// device agrees with the CPU.
fn agree(what: &str, l: &LayerRef, inputs: &[(Vec<f64>, Vec<usize>, DType)]) {
    let mut results: Vec<Tensor> = vec![];
    for dev in devices() {
        let ts: Vec<Tensor> = inputs
            .iter()
            .map(|(d, dims, dt)| Tensor::from_cpu(CpuStorage::from_f64(*dt, d.clone()), dims, &dev).unwrap())
            .collect();
        let g = Graph::new();
        let syms: Vec<Sym> = ts.iter().map(|t| g.input(&batch_none(t.dims()), t.dtype())).collect();
        let y = l.call_graph(&syms, &CallContext::new(false)).unwrap()[0];
        let out = g.evaluate(&[y], &ts).unwrap().remove(0);
        assert_eq!(out.device(), dev, "{what}: result on the wrong device");
        results.push(out.to_device(&Device::Cpu).unwrap());
    }
    for r in &results[1..] {
        assert_close(what, r, &results[0], 1e-5, 1e-5);
    }
}

#[test]
fn cpu_and_gpu_agree() {
    let mut rng = Rng::new(11);
    let mut f = |dims: &[usize]| (rng.vec(dims.iter().product(), -3.0, 3.0), dims.to_vec(), DType::F32);
    for batch in [1usize, 5, 0] {
        for class in ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"] {
            let l = layer(class, json!({"dtype": "float32"}));
            agree(&format!("{class} b{batch}"), &l, &[f(&[batch, 7, 3]), f(&[batch, 1, 3])]);
            let l = layer(class, json!({"dtype": "float32"}));
            agree(&format!("{class} ranks b{batch}"), &l, &[f(&[batch, 3]), f(&[batch, 7, 3])]);
        }
        let l = layer("Permute", json!({"dims": [3, 1, 2], "dtype": "float32"}));
        agree("Permute", &l, &[f(&[batch, 3, 5, 7])]);
        let l = layer("RepeatVector", json!({"n": 4, "dtype": "float32"}));
        agree("RepeatVector", &l, &[f(&[batch, 9])]);
        let l = layer("Rescaling", json!({"scale": [1.0, 2.0, 3.0], "offset": 0.5, "dtype": "float32"}));
        agree("Rescaling", &l, &[f(&[batch, 5, 3])]);
    }
    for batch in [1usize, 6] {
        let l = layer("Reshape", json!({"target_shape": [-1, 3], "dtype": "float32"}));
        agree("Reshape", &l, &[f(&[batch, 5, 3])]);
        for (axes, normalize) in [(json!(1), true), (json!([2, 1]), false), (json!([1, 2]), true)] {
            let l = layer("Dot", json!({"axes": axes, "normalize": normalize, "dtype": "float32"}));
            let dims: (Vec<usize>, Vec<usize>) = match axes.as_i64() {
                Some(_) => (vec![batch, 7], vec![batch, 7]),
                None if axes[0] == 2 => (vec![batch, 3, 5], vec![batch, 5, 2]),
                None => (vec![batch, 5], vec![batch, 3, 5]),
            };
            agree(&format!("Dot {axes}"), &l, &[f(&dims.0), f(&dims.1)]);
        }
    }
    let l = layer("Embedding", json!({"input_dim": 13, "output_dim": 5, "dtype": "float32"}));
    l.ensure_built(&[batch_none(&[3, 7])]).unwrap();
    let mut r2 = Rng::new(2);
    let idx: Vec<f64> = (0..21).map(|_| (r2.vec(1, 0.0, 13.0)[0]).floor()).collect();
    agree("Embedding int32", &l, &[(idx.clone(), vec![3, 7], DType::I32)]);
    agree("Embedding float indices", &l, &[(idx, vec![3, 7], DType::F32)]);
}

#[test]
fn activity_regularization_adds_penalty_over_batch() {
    let l = layer("ActivityRegularization", json!({"l1": 0.1, "l2": 0.5}));
    let cpu = Device::Cpu;
    let data = vec![1.0, -2.0, 3.0, 0.5, -0.5, 4.0];
    let x = Tensor::from_cpu(CpuStorage::from_f64(DType::F64, data.clone()), &[2, 3], &cpu).unwrap();
    let g = Graph::new();
    let s = g.input(&batch_none(&[2, 3]), DType::F64);
    let ctx = CallContext::new(true);
    let y = l.call_graph(&[s], &ctx).unwrap()[0];
    let losses: Vec<Sym> = ctx.losses.borrow().iter().map(|&id| g.sym(id)).collect();
    assert_eq!(losses.len(), 1);
    let out = g.evaluate(&[y, losses[0]], &[x]).unwrap();
    assert_eq!(out[0].to_vec_f64().unwrap(), data);
    let l1: f64 = data.iter().map(|v| v.abs()).sum();
    let l2: f64 = data.iter().map(|v| v * v).sum();
    let want = (0.1 * l1 + 0.5 * l2) / 2.0;
    assert!((out[1].to_vec_f64().unwrap()[0] - want).abs() < 1e-12);
}

#[test]
fn embedding_mask_and_weights_argument() {
    let cpu = Device::Cpu;
    let e = Embedding::from_config(
        json!({"input_dim": 3, "output_dim": 2, "mask_zero": true, "weights": [[[1, 2], [3, 4], [5, 6]]]})
            .as_object()
            .unwrap(),
    )
    .unwrap();
    let l = LayerRef::from(e);
    l.ensure_built(&[batch_none(&[2, 2])]).unwrap();
    assert_eq!(l.weights()[0].value().to_vec_f64().unwrap(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let g = Graph::new();
    let x = g.input(&batch_none(&[2, 2]), DType::I32);
    let emb = Embedding::new(3, 2).unwrap();
    assert!(emb.compute_mask(x).unwrap().is_none());
    let masked = Embedding::from_config(
        json!({"input_dim": 3, "output_dim": 2, "mask_zero": true}).as_object().unwrap(),
    )
    .unwrap();
    let mask = masked.compute_mask(x).unwrap().unwrap();
    let y = l.call_graph(&[x], &CallContext::new(false)).unwrap()[0];
    let idx = Tensor::from_vec(vec![0i32, 2, 1, 0], &[2, 2], &cpu).unwrap();
    let out = g.evaluate(&[mask, y], &[idx]).unwrap();
    assert_eq!(out[0].dtype(), DType::Bool);
    assert_eq!(out[0].to_vec_f64().unwrap(), vec![0.0, 1.0, 1.0, 0.0]);
    assert_eq!(out[1].to_vec_f64().unwrap(), vec![1.0, 2.0, 5.0, 6.0, 3.0, 4.0, 1.0, 2.0]);
    let err = try_layer("Embedding", json!({"input_dim": 3, "output_dim": 2, "weights": [[1, 2], [3, 4]]}))
        .err()
        .unwrap();
    assert!(err.contains("weight shape (3, 2) is not compatible with provided weight shape (2, 2)"), "{err}");
}

/// Calls a built layer on placeholders of `shapes` and returns the error text.
fn call_err(l: &LayerRef, shapes: &[Vec<Option<usize>>]) -> String {
    let g = Graph::new();
    let syms: Vec<Sym> = shapes.iter().map(|s| g.input(s, DType::F32)).collect();
    match l.ensure_built(shapes).and_then(|_| l.call_graph(&syms, &CallContext::new(false))) {
        Ok(_) => panic!("{}: expected an error for {shapes:?}", l.name()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_configs_and_shapes_are_errors() {
    let bad_configs: Vec<(&str, Value, &str)> = vec![
        ("Reshape", json!({"target_shape": [-1, -1]}), "at most one unknown dimension"),
        ("Reshape", json!({"target_shape": [2, -3]}), "non-negative integer"),
        ("Reshape", json!({}), "target_shape"),
        ("Permute", json!({"dims": [0, 1]}), "consecutive and start from 1"),
        ("Permute", json!({"dims": [1, 3]}), "Received dims=(1, 3)"),
        ("RepeatVector", json!({"n": 0}), "positive integer"),
        ("RepeatVector", json!({"n": "3"}), "integer"),
        ("Dot", json!({"axes": [1, 2, 3]}), "two elements"),
        ("Dot", json!({"axes": "x"}), "axes"),
        ("Dot", json!({}), "axes"),
        ("Embedding", json!({"input_dim": 0, "output_dim": 2}), "input_dim"),
        ("Embedding", json!({"input_dim": 4, "output_dim": -1}), "output_dim"),
        ("Embedding", json!({"input_dim": 4, "output_dim": 2, "foo": 1}), "foo"),
        ("Rescaling", json!({"scale": "a"}), "scale"),
        ("Rescaling", json!({}), "scale"),
        ("ActivityRegularization", json!({"l1": -1}), "non-negative"),
        ("Add", json!({"axis": 1}), "axis"),
    ];
    for (class, config, want) in bad_configs {
        let err =
            try_layer(class, config.clone()).err().unwrap_or_else(|| panic!("{class} {config}: no error"));
        assert!(err.contains(class) && err.contains(want), "{class} {config}: {err}");
    }
    let n = |v: &[usize]| -> Vec<Option<usize>> { batch_none(v) };
    let cases: Vec<(&str, Value, Vec<Vec<Option<usize>>>, &str)> = vec![
        ("Add", json!({}), vec![n(&[2, 3]), n(&[2, 4])], "incompatible shapes"),
        ("Multiply", json!({}), vec![n(&[2, 3, 4]), n(&[2, 3])], "incompatible shapes"),
        ("Subtract", json!({}), vec![n(&[2, 3]), n(&[2, 3]), n(&[2, 3])], "exactly 2 inputs"),
        ("Maximum", json!({}), vec![vec![Some(2), Some(3)], vec![Some(4), Some(3)]], "different batch sizes"),
        ("Dot", json!({"axes": 1}), vec![n(&[2, 3]), n(&[2, 4])], "Incompatible input shapes"),
        ("Dot", json!({"axes": 0}), vec![n(&[2, 3]), n(&[2, 3])], "axis 0"),
        ("Dot", json!({"axes": 3}), vec![n(&[2, 3]), n(&[2, 3])], "out of range"),
        ("Dot", json!({"axes": 1}), vec![n(&[2, 3])], "2 inputs"),
        ("Reshape", json!({"target_shape": [5]}), vec![n(&[2, 3])], "total size"),
        ("Reshape", json!({"target_shape": [4, -1]}), vec![n(&[2, 6])], "cannot by divided"),
        ("Permute", json!({"dims": [2, 1]}), vec![n(&[2, 3])], "expected ndim=3"),
        ("RepeatVector", json!({"n": 2}), vec![n(&[2, 3, 4])], "expected ndim=2"),
    ];
    for (class, config, shapes, want) in cases {
        let l = layer(class, config.clone());
        let err = call_err(&l, &shapes);
        assert!(err.contains(class) && err.contains(want), "{class} {config}: {err}");
        assert!(err.contains(l.name()) || err.contains(class), "{class}: {err}");
    }
    // Shapes are named in the messages.
    let err = call_err(&layer("Add", json!({})), &[n(&[2, 3]), n(&[2, 4])]);
    assert!(err.contains("(3,)") && err.contains("(4,)") || err.contains('3') && err.contains('4'), "{err}");
}

#[test]
fn configs_round_trip_and_registry_names() {
    for (class, config) in [
        ("Reshape", json!({"target_shape": [3, -1]})),
        ("Permute", json!({"dims": [2, 1]})),
        ("RepeatVector", json!({"n": 3})),
        ("Add", json!({})),
        ("Subtract", json!({})),
        ("Multiply", json!({})),
        ("Average", json!({})),
        ("Maximum", json!({})),
        ("Minimum", json!({})),
        ("Dot", json!({"axes": [1, 2], "normalize": true})),
        ("Embedding", json!({"input_dim": 4, "output_dim": 2, "mask_zero": true})),
        ("Rescaling", json!({"scale": [1.0, 2.0], "offset": 0.5})),
        ("Identity", json!({})),
        ("ActivityRegularization", json!({"l1": 0.1, "l2": 0.0})),
    ] {
        assert!(layers::known_classes().contains(&class), "{class} is not registered");
        let l = layer(class, config);
        let again = layers::deserialize(&l.serialize()).unwrap();
        assert_eq!(again.get_config(), l.get_config(), "{class}");
        assert_eq!(again.class_name(), class);
    }
}
