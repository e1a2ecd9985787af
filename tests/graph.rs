//! The symbolic graph: shape inference, finite-difference checks of the gradient of every
//! differentiable op, a Hessian (gradients of gradients), and plans (fusion, recording) giving
//! the same numbers as eager evaluation on both backends.

mod common;

use common::*;
use wgkeras::frontend::graph::autodiff::gradients;
use wgkeras::frontend::graph::plan::{PlanOptions, Recorded};
use wgkeras::frontend::graph::{Graph, Plan, Sym};
use wgkeras::frontend::Variable;
use wgkeras::runtime::{CpuStorage, DType, Device, Tensor};

fn point(rng: &mut Rng, dims: &[usize], lo: f64, hi: f64) -> (Vec<f64>, Vec<usize>) {
    (rng.vec(dims.iter().product(), lo, hi), dims.to_vec())
}

#[test]
fn unary_gradients_match_finite_differences() {
    let mut rng = Rng::new(1);
    type F = for<'g> fn(Sym<'g>) -> Sym<'g>;
    let cases: Vec<(&str, F, f64, f64)> = vec![
        ("negative", |x| x.neg().unwrap(), -2.0, 2.0),
        ("abs", |x| x.abs().unwrap(), 0.1, 2.0),
        ("exp", |x| x.exp().unwrap(), -2.0, 2.0),
        ("expm1", |x| x.expm1().unwrap(), -2.0, 2.0),
        ("log", |x| x.log().unwrap(), 0.2, 3.0),
        ("log1p", |x| x.log1p().unwrap(), -0.5, 3.0),
        ("sqrt", |x| x.sqrt().unwrap(), 0.2, 3.0),
        ("rsqrt", |x| x.rsqrt().unwrap(), 0.2, 3.0),
        ("square", |x| x.square().unwrap(), -2.0, 2.0),
        ("reciprocal", |x| x.reciprocal().unwrap(), 0.3, 3.0),
        ("sin", |x| x.sin().unwrap(), -3.0, 3.0),
        ("cos", |x| x.cos().unwrap(), -3.0, 3.0),
        ("tan", |x| x.unary(wgkeras::runtime::ops::UnaryOp::Tan).unwrap(), -1.0, 1.0),
        ("tanh", |x| x.tanh().unwrap(), -3.0, 3.0),
        ("sigmoid", |x| x.sigmoid().unwrap(), -4.0, 4.0),
        ("relu", |x| x.relu().unwrap(), 0.1, 2.0),
        ("relu_negative", |x| x.relu().unwrap(), -2.0, -0.1),
        ("softplus", |x| x.softplus().unwrap(), -4.0, 4.0),
        ("erf", |x| x.erf().unwrap(), -2.0, 2.0),
    ];
    for (name, f, lo, hi) in cases {
        check_grad(name, &[point(&mut rng, &[3, 4], lo, hi)], |xs| f(xs[0]));
    }
}

#[test]
fn binary_gradients_match_finite_differences_with_broadcasting() {
    let mut rng = Rng::new(2);
    type F = for<'g> fn(Sym<'g>, Sym<'g>) -> Sym<'g>;
    let cases: Vec<(&str, F, f64, f64)> = vec![
        ("add", |a, b| a.add(b).unwrap(), -2.0, 2.0),
        ("subtract", |a, b| a.sub(b).unwrap(), -2.0, 2.0),
        ("multiply", |a, b| a.mul(b).unwrap(), -2.0, 2.0),
        ("divide", |a, b| a.div(b).unwrap(), 0.5, 2.0),
        ("power", |a, b| a.pow(b).unwrap(), 0.5, 2.0),
        ("maximum", |a, b| a.maximum(b).unwrap(), -2.0, 2.0),
        ("minimum", |a, b| a.minimum(b).unwrap(), -2.0, 2.0),
    ];
    for (name, f, lo, hi) in cases {
        for (da, db) in [
            (vec![3, 4], vec![3, 4]),
            (vec![3, 4], vec![4]),
            (vec![3, 1], vec![1, 4]),
            (vec![2, 3, 4], vec![3, 1]),
        ] {
            check_grad(name, &[point(&mut rng, &da, lo, hi), point(&mut rng, &db, lo, hi)], |xs| {
                f(xs[0], xs[1])
            });
        }
    }
}

#[test]
fn structural_op_gradients_match_finite_differences() {
    let mut rng = Rng::new(3);
    let p = |rng: &mut Rng, d: &[usize]| point(rng, d, -2.0, 2.0);
    check_grad("where", &[p(&mut rng, &[3, 4]), p(&mut rng, &[3, 4])], |xs| {
        xs[0].greater(xs[1]).unwrap().select(xs[0].square().unwrap(), xs[1]).unwrap()
    });
    for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
        let a = if ta { vec![5, 3] } else { vec![3, 5] };
        let b = if tb { vec![4, 5] } else { vec![5, 4] };
        check_grad(&format!("matmul ta={ta} tb={tb}"), &[p(&mut rng, &a), p(&mut rng, &b)], |xs| {
            xs[0].matmul_t(xs[1], ta, tb).unwrap()
        });
    }
    check_grad("batched matmul", &[p(&mut rng, &[2, 3, 5]), p(&mut rng, &[5, 4])], |xs| {
        xs[0].matmul(xs[1]).unwrap()
    });
    check_grad("matvec", &[p(&mut rng, &[3, 5]), p(&mut rng, &[5])], |xs| xs[0].matmul(xs[1]).unwrap());
    check_grad("vecmat", &[p(&mut rng, &[5]), p(&mut rng, &[5, 2])], |xs| xs[0].matmul(xs[1]).unwrap());
    check_grad("sum", &[p(&mut rng, &[2, 3, 4])], |xs| xs[0].sum(&[1], false).unwrap());
    check_grad("sum keepdims", &[p(&mut rng, &[2, 3, 4])], |xs| xs[0].sum(&[0, 2], true).unwrap());
    check_grad("mean", &[p(&mut rng, &[2, 3, 4])], |xs| xs[0].mean(&[-1], false).unwrap());
    check_grad("max", &[p(&mut rng, &[3, 5])], |xs| xs[0].max(&[1], false).unwrap());
    check_grad("min", &[p(&mut rng, &[3, 5])], |xs| xs[0].min(&[0], true).unwrap());
    check_grad("reshape", &[p(&mut rng, &[2, 6])], |xs| xs[0].reshape(&[3, -1]).unwrap().square().unwrap());
    check_grad("transpose", &[p(&mut rng, &[2, 3, 4])], |xs| {
        xs[0].transpose(&[2, 0, 1]).unwrap().sin().unwrap()
    });
    check_grad("broadcast_like", &[p(&mut rng, &[3, 1]), p(&mut rng, &[3, 4])], |xs| {
        xs[0].broadcast_like(xs[1]).unwrap().mul(xs[1]).unwrap()
    });
    check_grad("sum_like", &[p(&mut rng, &[3, 4]), p(&mut rng, &[1, 4])], |xs| {
        xs[0].square().unwrap().sum_like(xs[1]).unwrap().mul(xs[1]).unwrap()
    });
    check_grad("concatenate", &[p(&mut rng, &[2, 3]), p(&mut rng, &[2, 2])], |xs| {
        Sym::concat(&[xs[0], xs[1].square().unwrap()], -1).unwrap()
    });
    check_grad("slice", &[p(&mut rng, &[4, 3])], |xs| xs[0].slice_axis(0, 1, 2).unwrap());
    check_grad("pad", &[p(&mut rng, &[2, 3])], |xs| xs[0].pad_axis(1, 2, 1).unwrap().exp().unwrap());
    check_grad("expand_dims", &[p(&mut rng, &[2, 3])], |xs| xs[0].expand_dims(1).unwrap().tanh().unwrap());
    check_grad("softmax", &[p(&mut rng, &[3, 5])], |xs| xs[0].softmax(-1).unwrap());
    check_grad("log_softmax", &[p(&mut rng, &[3, 5])], |xs| xs[0].log_softmax(0).unwrap());
    check_grad("logsumexp", &[p(&mut rng, &[3, 5])], |xs| xs[0].logsumexp(1, false).unwrap());
    check_grad("clip", &[p(&mut rng, &[3, 5])], |xs| xs[0].clip(-0.5, 0.7).unwrap());
    // Repeated indices: their rows' gradients add up.
    let idx = Tensor::from_vec(vec![2i32, 0, 2, 3, 2, 1], &[2, 3], &Device::Cpu).unwrap();
    check_grad("take rows", &[p(&mut rng, &[4, 3])], |xs| {
        xs[0].take_rows(xs[0].graph.constant(idx.clone())).unwrap().square().unwrap()
    });
    let idx1 = Tensor::from_vec(vec![1i32, 1, 0], &[3], &Device::Cpu).unwrap();
    check_grad("take axis 1", &[p(&mut rng, &[2, 2, 3])], |xs| {
        xs[0].take(xs[0].graph.constant(idx1.clone()), 1).unwrap().exp().unwrap()
    });
}

#[test]
fn take_and_seeded_random_draws_agree_across_backends() {
    for dev in devices() {
        let g = Graph::new();
        let x = g.input(&[Some(3), Some(4)], DType::F32);
        let idx = g.constant(Tensor::from_vec(vec![2i32, 0, 2], &[3], &dev).unwrap());
        let seed = g.constant(Tensor::from_vec(vec![7u32, 9], &[2], &dev).unwrap());
        let take = x.take(idx, 1).unwrap();
        let u = x.random_uniform_like(seed).unwrap();
        let n = x.random_normal_like(seed).unwrap();
        let xv = Tensor::from_vec((0..12).map(|i| i as f32).collect(), &[3, 4], &dev).unwrap();
        let out = g.evaluate(&[take, u, n], &[xv]).unwrap();
        assert_eq!(out[0].dims(), &[3, 3]);
        assert_eq!(out[0].to_vec_f64().unwrap(), vec![2.0, 0.0, 2.0, 6.0, 4.0, 6.0, 10.0, 8.0, 10.0]);
        let cpu_u = wgkeras::runtime::ops::uniform(&[3, 4], 0.0, 1.0, DType::F32, 7 | 9 << 32, &Device::Cpu);
        let cpu_n = wgkeras::runtime::ops::normal(&[3, 4], 0.0, 1.0, DType::F32, 7 | 9 << 32, &Device::Cpu);
        assert_eq!(out[1].to_vec_f64().unwrap(), cpu_u.unwrap().to_vec_f64().unwrap(), "{}", dev.name());
        let (a, b) = (out[2].to_vec_f64().unwrap(), cpu_n.unwrap().to_vec_f64().unwrap());
        assert!(a.iter().zip(&b).all(|(p, q)| (p - q).abs() < 1e-5), "{}: {a:?} vs {b:?}", dev.name());
    }
}

#[test]
fn stop_gradient_blocks_and_unrelated_inputs_have_no_gradient() {
    let g = Graph::new();
    let x = g.input(&[Some(3)], DType::F32);
    let z = g.input(&[Some(3)], DType::F32);
    let y = x.stop_gradient().unwrap().square().unwrap().sum_all().unwrap();
    let grads = gradients(y, &[x, z], None).unwrap();
    assert!(grads[0].is_none() && grads[1].is_none());
    // x * stop_gradient(x): the gradient is the stopped factor alone.
    let y = x.mul(x.stop_gradient().unwrap()).unwrap().sum_all().unwrap();
    let gx = gradients(y, &[x], None).unwrap()[0].unwrap();
    let xv = Tensor::from_vec(vec![1.0f32, -2.0, 3.0], &[3], &Device::Cpu).unwrap();
    let got = g.evaluate(&[gx], &[xv.clone(), xv]).unwrap()[0].to_vec_f64().unwrap();
    assert_eq!(got, vec![1.0, -2.0, 3.0]);
}

#[test]
fn hessian_of_a_scalar_function_matches_finite_differences() {
    // f(x) = sum(w * x^3) + (x . x)^2 + sum(sin(x) * x[0]); H by differentiating the gradient.
    let n = 4;
    let mut rng = Rng::new(5);
    let xv = rng.vec(n, -1.0, 1.0);
    let wv = rng.vec(n, -1.0, 1.0);
    let g = Graph::new();
    let x = g.input(&[Some(n)], DType::F64);
    fn f<'g>(x: Sym<'g>, wv: &[f64], n: usize) -> Sym<'g> {
        let w = x.graph.constant(host(wv.to_vec(), &[n]));
        let cubic = x.pow_scalar(3.0).unwrap().mul(w).unwrap().sum_all().unwrap();
        let quartic = x.square().unwrap().sum_all().unwrap().square().unwrap();
        let mixed = x.sin().unwrap().mul(x.slice_axis(0, 0, 1).unwrap()).unwrap().sum_all().unwrap();
        cubic.add(quartic).unwrap().add(mixed).unwrap()
    }
    let y = f(x, &wv, n);
    let grad = gradients(y, &[x], None).unwrap()[0].unwrap();
    let mut rows = vec![];
    for i in 0..n {
        let mut e = vec![0.0; n];
        e[i] = 1.0;
        let seed = g.constant(host(e, &[n]));
        rows.push(gradients(grad, &[x], Some(seed)).unwrap()[0].unwrap());
    }
    let hess = g.evaluate(&rows, &[host(xv.clone(), &[n])]).unwrap();
    let grad_at = |v: Vec<f64>| g.evaluate(&[grad], &[host(v, &[n])]).unwrap()[0].to_vec_f64().unwrap();
    let h = 1e-5;
    for j in 0..n {
        let mut p = xv.clone();
        p[j] += h;
        let mut m = xv.clone();
        m[j] -= h;
        let (gp, gm) = (grad_at(p), grad_at(m));
        for i in 0..n {
            let numeric = (gp[i] - gm[i]) / (2.0 * h);
            let got = hess[i].to_vec_f64().unwrap()[j];
            assert!((numeric - got).abs() < 1e-5 + 1e-5 * numeric.abs(), "H[{i}][{j}]: {got} vs {numeric}");
        }
    }
}

#[test]
fn shape_inference_errors_name_the_op_and_shapes() {
    let g = Graph::new();
    let a = g.input(&[None, Some(3)], DType::F32);
    let b = g.input(&[None, Some(4)], DType::F32);
    let e = a.add(b).unwrap_err().to_string();
    assert!(e.contains("add") && e.contains("(None, 3)") && e.contains("(None, 4)"), "{e}");
    let e = a.matmul(g.input(&[Some(4), Some(5)], DType::F32)).unwrap_err().to_string();
    assert!(e.contains("matmul") && e.contains("inner"), "{e}");
    let e = a.sum(&[2], false).unwrap_err().to_string();
    assert!(e.contains("axis 2"), "{e}");
    let y = a.matmul(g.input(&[Some(3), Some(5)], DType::F32)).unwrap();
    assert_eq!(y.shape(), vec![None, Some(5)]);
    // A run with the wrong input shape is an error, not a panic.
    let plan = Plan::new(&g, &[y.id], &[], &PlanOptions { device: Device::Cpu, fuse: true }).unwrap();
    let bad = Tensor::from_vec(vec![0f32; 8], &[2, 4], &Device::Cpu).unwrap();
    let e = plan.run(&[bad.clone(), bad.clone(), bad.clone(), bad]).unwrap_err().to_string();
    assert!(e.contains("input 0 expects shape (None, 3)"), "{e}");
}

/// A small MLP train step written directly with graph ops: forward, softmax cross-entropy,
/// gradients, an SGD update through variable assignments.
fn mlp_step<'g>(
    g: &'g Graph,
    w1: &Variable,
    b1: &Variable,
    w2: &Variable,
) -> (Sym<'g>, Sym<'g>, Vec<(Variable, usize)>) {
    let x = g.input(&[None, Some(6)], DType::F32);
    let y = g.input(&[None, Some(3)], DType::F32);
    let (w1s, b1s, w2s) = (g.variable(w1), g.variable(b1), g.variable(w2));
    let h = x.matmul(w1s).unwrap().add(b1s).unwrap().relu().unwrap();
    let logits = h.matmul(w2s).unwrap();
    let loss = logits
        .log_softmax(-1)
        .unwrap()
        .mul(y)
        .unwrap()
        .sum(&[-1], false)
        .unwrap()
        .neg()
        .unwrap()
        .mean_all()
        .unwrap();
    let grads = gradients(loss, &[w1s, b1s, w2s], None).unwrap();
    let mut updates = vec![];
    for (v, (s, gr)) in [w1, b1, w2].into_iter().zip([w1s, b1s, w2s].into_iter().zip(grads)) {
        let new = s.sub(gr.unwrap().mul_scalar(0.1).unwrap()).unwrap();
        updates.push((v.clone(), new.id));
    }
    (loss, logits, updates)
}

#[test]
fn fused_plans_train_like_unfused_ones_on_every_backend() {
    let mut rng = Rng::new(7);
    let w1d = rng.vec(6 * 8, -0.5, 0.5);
    let b1d = rng.vec(8, -0.1, 0.1);
    let w2d = rng.vec(8 * 3, -0.5, 0.5);
    let xd = rng.vec(5 * 6, -1.0, 1.0);
    let mut yd = vec![0.0; 15];
    for i in 0..5 {
        yd[i * 3 + i % 3] = 1.0;
    }
    let mut reference: Option<Vec<f64>> = None;
    for device in devices() {
        for fuse in [false, true] {
            let mk = |d: &[f64], dims: &[usize]| {
                Tensor::from_cpu(CpuStorage::from_f64(DType::F32, d.to_vec()), dims, &device).unwrap()
            };
            let (w1, b1, w2) = (
                Variable::new("w1", mk(&w1d, &[6, 8]), true),
                Variable::new("b1", mk(&b1d, &[8]), true),
                Variable::new("w2", mk(&w2d, &[8, 3]), true),
            );
            let g = Graph::new();
            let (loss, _, updates) = mlp_step(&g, &w1, &b1, &w2);
            let plan =
                Plan::new(&g, &[loss.id], &updates, &PlanOptions { device: device.clone(), fuse }).unwrap();
            if fuse {
                let counts = plan.op_counts();
                assert!(
                    counts.iter().any(|(n, _)| *n == "matmul_fused"),
                    "bias+relu fused into the matmul: {counts:?}"
                );
                assert!(counts.iter().any(|(n, _)| *n == "fused"), "elementwise chains fused: {counts:?}");
            }
            let x = Tensor::from_cpu(CpuStorage::from_f64(DType::F32, xd.clone()), &[5, 6], &Device::Cpu)
                .unwrap();
            let y = Tensor::from_cpu(CpuStorage::from_f64(DType::F32, yd.clone()), &[5, 3], &Device::Cpu)
                .unwrap();
            let recorded = plan.record(&[vec![5, 6], vec![5, 3]]).unwrap();
            let mut losses = vec![];
            for _ in 0..4 {
                let out = recorded.run(&[x.clone(), y.clone()]);
                let out = match (&recorded, out) {
                    (Recorded::Gpu { .. }, Ok(o)) | (Recorded::Cpu(_), Ok(o)) => o,
                    (_, Err(e)) => panic!("{device:?} fuse={fuse}: {e}"),
                };
                if !out.is_empty() {
                    losses.push(out[0].to_vec_f64().unwrap()[0]);
                }
            }
            let mut state = w1.value().to_vec_f64().unwrap();
            state.extend(w2.value().to_vec_f64().unwrap());
            state.extend(losses);
            match &reference {
                None => reference = Some(state),
                Some(r) => {
                    for (i, (a, b)) in state.iter().zip(r).enumerate() {
                        assert!(
                            (a - b).abs() <= 1e-4 + 1e-4 * b.abs(),
                            "{device:?} fuse={fuse}: value {i}: {a} vs {b}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn the_registry_routes_serialized_objects_by_module_and_lists_families() {
    use wgkeras::frontend::registry::{deserialize, get, Family, KerasObject};
    let adam = serde_json::json!({"module": "keras.optimizers", "class_name": "Adam", "config": {"learning_rate": 0.01}, "registered_name": null});
    assert!(matches!(deserialize(&adam).unwrap(), KerasObject::Optimizer(_)));
    let loss = serde_json::json!({"module": "keras.losses", "class_name": "MeanSquaredError", "config": {}, "registered_name": null});
    assert!(matches!(deserialize(&loss).unwrap(), KerasObject::Loss(_)));
    assert!(matches!(
        get(Family::Activation, &serde_json::json!("relu")).unwrap(),
        KerasObject::Activation(_)
    ));
    assert!(matches!(
        get(Family::Initializer, &serde_json::json!("glorot_uniform")).unwrap(),
        KerasObject::Initializer(_)
    ));
    assert!(matches!(
        get(Family::Metric, &serde_json::json!("sparse_categorical_accuracy")).unwrap(),
        KerasObject::Metric(_)
    ));
    let l2 = serde_json::json!({"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.01}, "registered_name": null});
    assert!(matches!(deserialize(&l2).unwrap(), KerasObject::Regularizer(_)));
    assert!(matches!(
        get(Family::Constraint, &serde_json::json!("non_neg")).unwrap(),
        KerasObject::Constraint(_)
    ));
    let sched = serde_json::json!({"module": "keras.optimizers.schedules", "class_name": "ExponentialDecay",
        "config": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5, "staircase": false, "name": "ExponentialDecay"},
        "registered_name": null});
    assert!(matches!(deserialize(&sched).unwrap(), KerasObject::Schedule(_)));
    let e = deserialize(&serde_json::json!({"module": "keras.nope", "class_name": "X", "config": {}}))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("keras.layers") && e.contains("keras.nope"), "{e}");
    let e = get(Family::Optimizer, &serde_json::json!("adamz")).err().unwrap().to_string();
    assert!(e.contains("adam") && e.contains("sgd"), "{e}");
}
