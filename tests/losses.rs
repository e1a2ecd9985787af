//! Losses: finite-difference gradient checks of every loss (each `from_logits` variant, label
//! smoothing, sample weights, every reduction), cross-backend agreement on odd and empty
//! shapes, numerical stability of the logits paths, Keras configs, and bad input.

mod common;

use common::*;
use serde_json::{json, Value};
use wgkeras::frontend::graph::autodiff::gradients;
use wgkeras::frontend::graph::{static_shape, Graph};
use wgkeras::frontend::losses::{self, Loss, Reduction};
use wgkeras::runtime::{CpuStorage, DType, Device, Tensor};

const REDUCTIONS: [&str; 5] = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none"];

fn t64(data: Vec<f64>, dims: &[usize]) -> Tensor {
    Tensor::from_cpu(CpuStorage::from_f64(DType::F64, data), dims, &Device::Cpu).unwrap()
}

fn loss_of(class: &str, config: Value) -> Box<dyn Loss> {
    losses::get(
        &json!({"module": "keras.losses", "class_name": class, "config": config, "registered_name": null}),
    )
    .unwrap()
}

/// sum(compute(loss)) and its gradient wrt y_pred, in the tensors' dtype on their device.
fn value_and_grad(loss: &dyn Loss, yt: &Tensor, yp: &Tensor, sw: Option<&Tensor>) -> (f64, Vec<f64>) {
    let g = Graph::new();
    let a = g.input(&static_shape(yt.dims()), yt.dtype());
    let b = g.input(&static_shape(yp.dims()), yp.dtype());
    let w = sw.map(|w| g.input(&static_shape(w.dims()), w.dtype()));
    let out = losses::compute(loss, a, b, w).unwrap();
    let total = if out.rank() == 0 { out } else { out.sum_all().unwrap() };
    let grad = gradients(total, &[b], None).unwrap()[0].expect("y_pred has a gradient");
    let mut feeds = vec![yt.clone(), yp.clone()];
    feeds.extend(sw.cloned());
    let r = g.evaluate(&[total, grad], &feeds).unwrap();
    (r[0].item().unwrap(), r[1].to_vec_f64().unwrap())
}

/// Central differences of sum(loss) wrt y_pred in float64, against the autodiff gradient.
fn check_grad(what: &str, loss: &dyn Loss, yt: &Tensor, yp: &Tensor, sw: Option<&Tensor>) {
    let (_, grad) = value_and_grad(loss, yt, yp, sw);
    let base = yp.to_vec_f64().unwrap();
    let h = 1e-6;
    for i in 0..base.len() {
        let mut plus = base.clone();
        plus[i] += h;
        let mut minus = base.clone();
        minus[i] -= h;
        let fp = losses::evaluate(loss, yt, &t64(plus, yp.dims()), sw)
            .unwrap()
            .to_vec_f64()
            .unwrap()
            .iter()
            .sum::<f64>();
        let fm = losses::evaluate(loss, yt, &t64(minus, yp.dims()), sw)
            .unwrap()
            .to_vec_f64()
            .unwrap()
            .iter()
            .sum::<f64>();
        let fd = (fp - fm) / (2.0 * h);
        let tol = 1e-6 + 1e-5 * fd.abs();
        assert!(
            (grad[i] - fd).abs() <= tol,
            "{what}: d/dy_pred[{i}] autodiff {} vs finite difference {fd}",
            grad[i]
        );
    }
}

fn rand64(rng: &mut Rng, dims: &[usize], lo: f64, hi: f64) -> Tensor {
    let n = dims.iter().product();
    t64(rng.vec(n, lo, hi), dims)
}

fn labels(rng: &mut Rng, n: usize, classes: usize, dims: &[usize], dtype: DType) -> Tensor {
    let v: Vec<f64> = (0..n).map(|_| rng.below(classes) as f64).collect();
    Tensor::from_cpu(CpuStorage::from_f64(dtype, v), dims, &Device::Cpu).unwrap()
}

fn one_hot64(rng: &mut Rng, rows: usize, classes: usize) -> Tensor {
    let mut v = vec![0.0; rows * classes];
    for r in 0..rows {
        v[r * classes + rng.below(classes)] = 1.0;
    }
    t64(v, &[rows, classes])
}

#[test]
fn mse_gradients_match_finite_differences() {
    let mut rng = Rng::new(11);
    let yt = rand64(&mut rng, &[4, 3], -1.0, 1.0);
    let yp = rand64(&mut rng, &[4, 3], -1.0, 1.0);
    for red in REDUCTIONS {
        let loss = loss_of("MeanSquaredError", json!({"reduction": red, "dtype": "float64"}));
        check_grad(&format!("mse {red}"), loss.as_ref(), &yt, &yp, None);
        for sw_dims in [&[4][..], &[4, 1]] {
            let sw = rand64(&mut rng, sw_dims, 0.0, 2.0);
            check_grad(&format!("mse {red} sw{sw_dims:?}"), loss.as_ref(), &yt, &yp, Some(&sw));
        }
    }
    // 3-D with a [B, T] weight.
    let yt = rand64(&mut rng, &[2, 3, 2], -1.0, 1.0);
    let yp = rand64(&mut rng, &[2, 3, 2], -1.0, 1.0);
    let sw = rand64(&mut rng, &[2, 3], 0.0, 2.0);
    let loss = loss_of("MeanSquaredError", json!({"dtype": "float64"}));
    check_grad("mse 3d", loss.as_ref(), &yt, &yp, Some(&sw));
}

#[test]
fn binary_crossentropy_gradients_match_finite_differences() {
    let mut rng = Rng::new(12);
    let yt = labels(&mut rng, 12, 2, &[4, 3], DType::F64);
    for from_logits in [false, true] {
        let yp = if from_logits {
            rand64(&mut rng, &[4, 3], -4.0, 4.0)
        } else {
            rand64(&mut rng, &[4, 3], 0.05, 0.95)
        };
        for ls in [0.0, 0.1] {
            for red in REDUCTIONS {
                let loss = loss_of(
                    "BinaryCrossentropy",
                    json!({"from_logits": from_logits, "label_smoothing": ls, "reduction": red, "dtype": "float64"}),
                );
                let what = format!("bce logits={from_logits} ls={ls} {red}");
                check_grad(&what, loss.as_ref(), &yt, &yp, None);
                let sw = rand64(&mut rng, &[4], 0.0, 2.0);
                check_grad(&format!("{what} sw"), loss.as_ref(), &yt, &yp, Some(&sw));
            }
        }
        // soft labels, single output column
        let yt1 = rand64(&mut rng, &[5, 1], 0.0, 1.0);
        let yp1 = if from_logits {
            rand64(&mut rng, &[5, 1], -3.0, 3.0)
        } else {
            rand64(&mut rng, &[5, 1], 0.1, 0.9)
        };
        let loss = loss_of("BinaryCrossentropy", json!({"from_logits": from_logits, "dtype": "float64"}));
        check_grad("bce soft labels [5,1]", loss.as_ref(), &yt1, &yp1, None);
    }
}

#[test]
fn categorical_crossentropy_gradients_match_finite_differences() {
    let mut rng = Rng::new(13);
    let yt = one_hot64(&mut rng, 4, 3);
    for from_logits in [false, true] {
        let yp = if from_logits {
            rand64(&mut rng, &[4, 3], -3.0, 3.0)
        } else {
            rand64(&mut rng, &[4, 3], 0.05, 1.0)
        };
        for ls in [0.0, 0.2] {
            for red in REDUCTIONS {
                let loss = loss_of(
                    "CategoricalCrossentropy",
                    json!({"from_logits": from_logits, "label_smoothing": ls, "reduction": red, "dtype": "float64"}),
                );
                let what = format!("cce logits={from_logits} ls={ls} {red}");
                check_grad(&what, loss.as_ref(), &yt, &yp, None);
                let sw = rand64(&mut rng, &[4], 0.0, 2.0);
                check_grad(&format!("{what} sw"), loss.as_ref(), &yt, &yp, Some(&sw));
            }
        }
        // classes on axis 1 of a 3-D input, with a weight per (batch, position)
        let yt3 = rand64(&mut rng, &[2, 3, 2], 0.0, 1.0);
        let yp3 = if from_logits {
            rand64(&mut rng, &[2, 3, 2], -3.0, 3.0)
        } else {
            rand64(&mut rng, &[2, 3, 2], 0.05, 1.0)
        };
        let sw = rand64(&mut rng, &[2, 2], 0.0, 2.0);
        let loss = loss_of(
            "CategoricalCrossentropy",
            json!({"from_logits": from_logits, "axis": 1, "label_smoothing": 0.1, "dtype": "float64"}),
        );
        check_grad(&format!("cce axis 1 logits={from_logits}"), loss.as_ref(), &yt3, &yp3, Some(&sw));
    }
}

#[test]
fn sparse_categorical_crossentropy_gradients_match_finite_differences() {
    let mut rng = Rng::new(14);
    for from_logits in [false, true] {
        let yp = if from_logits {
            rand64(&mut rng, &[5, 4], -3.0, 3.0)
        } else {
            rand64(&mut rng, &[5, 4], 0.05, 1.0)
        };
        for (dims, dtype) in [(&[5][..], DType::I32), (&[5, 1], DType::I32), (&[5], DType::F32)] {
            let yt = labels(&mut rng, 5, 4, dims, dtype);
            for red in REDUCTIONS {
                let loss = loss_of(
                    "SparseCategoricalCrossentropy",
                    json!({"from_logits": from_logits, "reduction": red, "dtype": "float64"}),
                );
                let what = format!("scce logits={from_logits} labels {dims:?} {} {red}", dtype.name());
                check_grad(&what, loss.as_ref(), &yt, &yp, None);
                let sw = rand64(&mut rng, &[5], 0.0, 2.0);
                check_grad(&format!("{what} sw"), loss.as_ref(), &yt, &yp, Some(&sw));
            }
        }
        // ignore_class: masked positions get no gradient
        let yt = Tensor::from_vec(vec![0i32, 3, 1, 3, 2], &[5], &Device::Cpu).unwrap();
        for red in REDUCTIONS {
            let loss = loss_of(
                "SparseCategoricalCrossentropy",
                json!({"from_logits": from_logits, "ignore_class": 3, "reduction": red, "dtype": "float64"}),
            );
            check_grad(
                &format!("scce ignore_class logits={from_logits} {red}"),
                loss.as_ref(),
                &yt,
                &yp,
                None,
            );
            let (_, grad) = value_and_grad(loss.as_ref(), &yt, &yp, None);
            assert!(
                grad[4..8].iter().chain(&grad[12..16]).all(|&g| g == 0.0),
                "ignored rows get no gradient: {grad:?}"
            );
        }
    }
}

#[test]
fn ignore_class_matches_keras() {
    // Keras 3.15.1: SparseCategoricalCrossentropy(ignore_class=-1, reduction=r)(
    //   [0, -1, 2, 1], [[.7,.2,.1],[.1,.1,.8],[.2,.2,.6],[.3,.4,.3]])
    let yt = Tensor::from_vec(vec![0i32, -1, 2, 1], &[4], &Device::Cpu).unwrap();
    let yp = Tensor::from_vec(
        vec![0.7f32, 0.2, 0.1, 0.1, 0.1, 0.8, 0.2, 0.2, 0.6, 0.3, 0.4, 0.3],
        &[4, 3],
        &Device::Cpu,
    )
    .unwrap();
    let per = [-(0.7f64).ln(), 0.0, -(0.6f64).ln(), -(0.4f64).ln()];
    let s: f64 = per.iter().sum();
    for (red, want) in [
        ("sum_over_batch_size", s / 3.0),
        ("mean", s / 3.0),
        ("sum", s),
        ("mean_with_sample_weight", s / 3.0),
    ] {
        for dev in devices() {
            let loss =
                loss_of("SparseCategoricalCrossentropy", json!({"ignore_class": -1, "reduction": red}));
            let got = losses::evaluate(
                loss.as_ref(),
                &yt.to_device(&dev).unwrap(),
                &yp.to_device(&dev).unwrap(),
                None,
            )
            .unwrap()
            .item()
            .unwrap();
            assert!((got - want).abs() < 1e-5, "ignore_class {red} on {dev}: {got} vs {want}");
        }
    }
    let loss = loss_of("SparseCategoricalCrossentropy", json!({"ignore_class": -1, "reduction": "none"}));
    let got = losses::evaluate(loss.as_ref(), &yt, &yp, None).unwrap().to_vec_f64().unwrap();
    for (g, w) in got.iter().zip(per) {
        assert!((g - w).abs() < 1e-6, "{got:?} vs {per:?}");
    }
}

/// The loss on the CPU and on the GPU agree (f32).
fn check_loss_backends(what: &str, loss: &dyn Loss, yt: &Tensor, yp: &Tensor, sw: Option<&Tensor>) {
    let cpu = losses::evaluate(loss, yt, yp, sw).unwrap_or_else(|e| panic!("{what} on cpu: {e}"));
    let (_, gcpu) = value_and_grad(loss, yt, yp, sw);
    if let Some(gpu) = gpu() {
        let m = |t: &Tensor| t.to_device(&gpu).unwrap();
        let swg = sw.map(m);
        let got = losses::evaluate(loss, &m(yt), &m(yp), swg.as_ref())
            .unwrap_or_else(|e| panic!("{what} on gpu: {e}"));
        assert!(got.device().is_gpu(), "{what}: result left the GPU");
        assert_close(
            &format!("{what} (gpu vs cpu)"),
            &got.to_device(&Device::Cpu).unwrap(),
            &cpu,
            1e-5,
            1e-5,
        );
        let (_, ggpu) = value_and_grad(loss, &m(yt), &m(yp), swg.as_ref());
        for (i, (a, b)) in ggpu.iter().zip(&gcpu).enumerate() {
            assert!((a - b).abs() <= 1e-5 + 1e-4 * b.abs(), "{what}: gradient {i} gpu {a} vs cpu {b}");
        }
    }
}

#[test]
fn losses_agree_across_backends_on_odd_and_empty_shapes() {
    let mut rng = Rng::new(15);
    let f32t = |rng: &mut Rng, dims: &[usize], lo: f64, hi: f64| {
        rand_tensor(rng, dims, lo, hi, DType::F32, &Device::Cpu)
    };
    let shapes: &[&[usize]] = &[&[1, 1], &[7, 3], &[3, 1], &[0, 4], &[2, 0, 3], &[3, 5, 17], &[1, 1029]];
    for dims in shapes {
        let b = dims[0];
        let rest: Vec<usize> = dims[1..dims.len() - 1].to_vec();
        let mut sw_dims = vec![b];
        sw_dims.extend(&rest);
        for red in REDUCTIONS {
            for from_logits in [false, true] {
                let (lo, hi) = if from_logits { (-5.0, 5.0) } else { (0.0, 1.0) };
                let yp = f32t(&mut rng, dims, lo, hi);
                let ytb = f32t(&mut rng, dims, 0.0, 1.0);
                let sw = f32t(&mut rng, &sw_dims, 0.0, 2.0);
                for (class, extra) in [
                    ("BinaryCrossentropy", json!({"label_smoothing": 0.1})),
                    ("CategoricalCrossentropy", json!({"label_smoothing": 0.2})),
                ] {
                    let mut cfg = extra.clone();
                    cfg["from_logits"] = json!(from_logits);
                    cfg["reduction"] = json!(red);
                    let loss = loss_of(class, cfg);
                    let what = format!("{class} {dims:?} logits={from_logits} {red}");
                    check_loss_backends(&what, loss.as_ref(), &ytb, &yp, None);
                    check_loss_backends(&format!("{what} sw"), loss.as_ref(), &ytb, &yp, Some(&sw));
                }
                let classes = *dims.last().unwrap();
                let lab_dims = &dims[..dims.len() - 1];
                let n: usize = lab_dims.iter().product();
                let lab = labels(&mut rng, n, classes.max(1), lab_dims, DType::I32);
                let loss = loss_of(
                    "SparseCategoricalCrossentropy",
                    json!({"from_logits": from_logits, "reduction": red}),
                );
                check_loss_backends(
                    &format!("scce {dims:?} logits={from_logits} {red}"),
                    loss.as_ref(),
                    &lab,
                    &yp,
                    Some(&sw),
                );
            }
            let loss = loss_of("MeanSquaredError", json!({"reduction": red}));
            let a = f32t(&mut rng, dims, -2.0, 2.0);
            let c = f32t(&mut rng, dims, -2.0, 2.0);
            let sw = f32t(&mut rng, &sw_dims, 0.0, 2.0);
            check_loss_backends(&format!("mse {dims:?} {red}"), loss.as_ref(), &a, &c, Some(&sw));
        }
    }
}

#[test]
fn logits_paths_are_stable_for_huge_logits() {
    let yp =
        Tensor::from_vec(vec![-200.0f32, 200.0, 90.0, -90.0, 0.0, 1000.0], &[2, 3], &Device::Cpu).unwrap();
    let yt = Tensor::from_vec(vec![1.0f32, 0.0, 1.0, 0.0, 1.0, 0.0], &[2, 3], &Device::Cpu).unwrap();
    for dev in devices() {
        let (yt, yp) = (yt.to_device(&dev).unwrap(), yp.to_device(&dev).unwrap());
        let bce = losses::BinaryCrossentropy::new(true).with_reduction(Reduction::None);
        let v = losses::evaluate(&bce, &yt, &yp, None).unwrap().to_vec_f64().unwrap();
        // row 0: softplus(200) + softplus(200) + softplus(-90) = 400 (+ tiny), / 3
        assert!((v[0] - 400.0 / 3.0).abs() < 1e-3, "bce logits row 0 on {dev}: {v:?}");
        let (_, g) = value_and_grad(&bce, &yt, &yp, None);
        assert!(g.iter().all(|x| x.is_finite()), "bce logits gradient on {dev}: {g:?}");
        let cce = losses::CategoricalCrossentropy::new(true).with_reduction(Reduction::None);
        let v = losses::evaluate(&cce, &yt, &yp, None).unwrap().to_vec_f64().unwrap();
        assert!(v.iter().all(|x| x.is_finite()), "cce logits on {dev}: {v:?}");
        assert!((v[0] - 510.0).abs() < 1e-2, "cce logits row 0 on {dev}: {v:?}");
        let (_, g) = value_and_grad(&cce, &yt, &yp, None);
        assert!(g.iter().all(|x| x.is_finite()), "cce logits gradient on {dev}: {g:?}");
        let ids = Tensor::from_vec(vec![0i32, 2], &[2], &Device::Cpu).unwrap().to_device(&dev).unwrap();
        let scce = losses::SparseCategoricalCrossentropy::new(true).with_reduction(Reduction::None);
        let v = losses::evaluate(&scce, &ids, &yp, None).unwrap().to_vec_f64().unwrap();
        assert!((v[0] - 400.0).abs() < 1e-2 && v[1].abs() < 1e-3, "scce logits on {dev}: {v:?}");
        let (_, g) = value_and_grad(&scce, &ids, &yp, None);
        assert!(g.iter().all(|x| x.is_finite()), "scce logits gradient on {dev}: {g:?}");
    }
}

#[test]
fn probability_paths_clip_like_keras() {
    // p = 0 and 1 with the wrong label give -log(1e-7) (float32 clip), not inf.
    let yp = Tensor::from_vec(vec![0.0f32, 1.0], &[2, 1], &Device::Cpu).unwrap();
    let yt = Tensor::from_vec(vec![1.0f32, 0.0], &[2, 1], &Device::Cpu).unwrap();
    for dev in devices() {
        let bce = losses::BinaryCrossentropy::new(false).with_reduction(Reduction::None);
        let v = losses::evaluate(&bce, &yt.to_device(&dev).unwrap(), &yp.to_device(&dev).unwrap(), None)
            .unwrap()
            .to_vec_f64()
            .unwrap();
        // Keras 3.15.1 gives [16.118095, 15.942385] (1 - 1e-7 rounds in float32).
        assert!(
            (v[0] - 16.118095).abs() < 1e-4 && (v[1] - 15.942385).abs() < 1e-4,
            "bce clipped on {dev}: {v:?}"
        );
    }
}

#[test]
fn configs_are_keras_configs() {
    let cases = [
        (
            "mse",
            json!({"name": "mean_squared_error", "reduction": "sum_over_batch_size"}),
            "MeanSquaredError",
        ),
        (
            "MSE",
            json!({"name": "mean_squared_error", "reduction": "sum_over_batch_size"}),
            "MeanSquaredError",
        ),
        (
            "mean_squared_error",
            json!({"name": "mean_squared_error", "reduction": "sum_over_batch_size"}),
            "MeanSquaredError",
        ),
        (
            "binary_crossentropy",
            json!({"name": "binary_crossentropy", "reduction": "sum_over_batch_size", "from_logits": false, "label_smoothing": 0.0, "axis": -1}),
            "BinaryCrossentropy",
        ),
        (
            "bce",
            json!({"name": "binary_crossentropy", "reduction": "sum_over_batch_size", "from_logits": false, "label_smoothing": 0.0, "axis": -1}),
            "BinaryCrossentropy",
        ),
        (
            "CategoricalCrossentropy",
            json!({"name": "categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": false, "label_smoothing": 0.0, "axis": -1}),
            "CategoricalCrossentropy",
        ),
        (
            "sparse_categorical_crossentropy",
            json!({"name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": false, "ignore_class": null}),
            "SparseCategoricalCrossentropy",
        ),
    ];
    for (id, config, class) in cases {
        let loss = losses::get(&json!(id)).unwrap();
        assert_eq!(loss.class_name(), class, "{id}");
        assert_eq!(Value::Object(loss.config()), config, "{id}");
        // serialize -> get round trip
        let again = losses::get(&loss.serialize()).unwrap();
        assert_eq!(Value::Object(again.config()), config, "{id} round trip");
    }
    // a serialized function (Keras: losses.serialize(losses.mean_squared_error))
    let f = json!({"module": "builtins", "class_name": "function", "config": "mean_squared_error", "registered_name": "function"});
    assert_eq!(losses::get(&f).unwrap().class_name(), "MeanSquaredError");
    // Keras keeps the given values
    let l = loss_of(
        "SparseCategoricalCrossentropy",
        json!({"name": "scce", "reduction": "sum", "from_logits": true, "ignore_class": 255}),
    );
    assert_eq!(
        Value::Object(l.config()),
        json!({"name": "scce", "reduction": "sum", "from_logits": true, "ignore_class": 255})
    );
    assert_eq!(l.name(), "scce");
    assert_eq!(l.reduction(), Reduction::Sum);
    let l = loss_of("MeanSquaredError", json!({"reduction": null}));
    assert_eq!(l.reduction(), Reduction::None);
}

fn err_of<T>(r: wgkeras::frontend::Result<T>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_identifiers_and_configs_are_errors() {
    let e = err_of(losses::get(&json!("bogus_loss")));
    assert!(
        e.contains("bogus_loss") && e.contains("mean_squared_error") && e.contains("CategoricalCrossentropy"),
        "{e}"
    );
    let e = err_of(losses::get(&json!({"class_name": "CTC", "config": {}})));
    assert!(e.contains("CTC") && e.contains("BinaryCrossentropy"), "{e}");
    let e = err_of(losses::get(&json!({"class_name": "BinaryCrossentropy", "config": {"bogus": 1}})));
    assert!(e.contains("BinaryCrossentropy") && e.contains("bogus") && e.contains("from_logits"), "{e}");
    let e =
        err_of(losses::get(&json!({"class_name": "MeanSquaredError", "config": {"reduction": "average"}})));
    assert!(
        e.contains("MeanSquaredError") && e.contains("reduction") && e.contains("sum_over_batch_size"),
        "{e}"
    );
    let e = err_of(losses::get(
        &json!({"class_name": "CategoricalCrossentropy", "config": {"from_logits": "yes"}}),
    ));
    assert!(e.contains("CategoricalCrossentropy") && e.contains("from_logits"), "{e}");
    let e =
        err_of(losses::get(&json!({"class_name": "BinaryCrossentropy", "config": {"label_smoothing": 1.5}})));
    assert!(e.contains("label_smoothing"), "{e}");
    let e = err_of(losses::get(&json!({"class_name": "function", "config": "ctc"})));
    assert!(e.contains("ctc") && e.contains("mean_squared_error"), "{e}");
    let e = err_of(losses::get(&json!(3)));
    assert!(e.contains("losses.get"), "{e}");
}

#[test]
fn mismatched_shapes_are_errors_naming_the_loss() {
    let z = |dims: &[usize]| {
        Tensor::from_cpu(
            CpuStorage::from_f64(DType::F32, vec![0.5; dims.iter().product()]),
            dims,
            &Device::Cpu,
        )
        .unwrap()
    };
    let cases: Vec<(Box<dyn Loss>, Vec<usize>, Vec<usize>, Option<Vec<usize>>, &str)> = vec![
        (Box::new(losses::MeanSquaredError::new()), vec![5, 3], vec![5, 4], None, "MeanSquaredError"),
        (
            Box::new(losses::BinaryCrossentropy::new(false)),
            vec![5, 3],
            vec![5, 4],
            None,
            "BinaryCrossentropy",
        ),
        (
            Box::new(losses::BinaryCrossentropy::new(true)),
            vec![5, 3],
            vec![5, 3, 2],
            None,
            "BinaryCrossentropy",
        ),
        (
            Box::new(losses::CategoricalCrossentropy::new(false)),
            vec![5, 3],
            vec![5, 4],
            None,
            "CategoricalCrossentropy",
        ),
        (
            Box::new(losses::SparseCategoricalCrossentropy::new(true)),
            vec![4],
            vec![5, 3],
            None,
            "SparseCategoricalCrossentropy",
        ),
        (
            Box::new(losses::SparseCategoricalCrossentropy::new(true)),
            vec![5, 2],
            vec![5, 3],
            None,
            "SparseCategoricalCrossentropy",
        ),
        // a [B] weight on a 3-D input (loss [B, T]) and a [B, D] weight on a 2-D one fail in Keras
        (
            Box::new(losses::MeanSquaredError::new()),
            vec![5, 4, 3],
            vec![5, 4, 3],
            Some(vec![5]),
            "MeanSquaredError",
        ),
        (
            Box::new(losses::CategoricalCrossentropy::new(true)),
            vec![5, 3],
            vec![5, 3],
            Some(vec![5, 3]),
            "CategoricalCrossentropy",
        ),
    ];
    for (loss, a, b, w, name) in cases {
        let sw = w.as_ref().map(|w| z(w));
        let e = err_of(losses::evaluate(loss.as_ref(), &z(&a), &z(&b), sw.as_ref()));
        assert!(e.contains(name), "{name} {a:?} {b:?} {w:?}: {e}");
    }
    // ignore_class given as something else than an integer
    let e = err_of(losses::get(
        &json!({"class_name": "SparseCategoricalCrossentropy", "config": {"ignore_class": "void"}}),
    ));
    assert!(e.contains("ignore_class"), "{e}");
}

#[test]
fn compute_works_with_an_unknown_batch_dimension() {
    // A train step builds the loss on placeholders whose batch is unknown.
    let g = Graph::new();
    let yt = g.input(&[None::<usize>], DType::I32);
    let yp = g.input(&[None, Some(3)], DType::F32);
    let sw = g.input(&[None::<usize>], DType::F32);
    let loss = losses::SparseCategoricalCrossentropy::new(true);
    let out = losses::compute(&loss, yt, yp, Some(sw)).unwrap();
    assert_eq!(out.shape(), Vec::<Option<usize>>::new());
    let grad = gradients(out, &[yp], None).unwrap()[0].unwrap();
    for dev in devices() {
        let ids = Tensor::from_vec(vec![0i32, 2, 1, 1], &[4], &Device::Cpu).unwrap().to_device(&dev).unwrap();
        let logits = Tensor::from_vec(
            vec![1.0f32, 2.0, 3.0, 0.0, 0.0, 0.0, -1.0, 1.0, 0.5, 2.0, -2.0, 0.0],
            &[4, 3],
            &Device::Cpu,
        )
        .unwrap()
        .to_device(&dev)
        .unwrap();
        let w = Tensor::from_vec(vec![1.0f32, 0.5, 2.0, 0.0], &[4], &Device::Cpu)
            .unwrap()
            .to_device(&dev)
            .unwrap();
        let r = g.evaluate(&[out, grad], &[ids.clone(), logits.clone(), w.clone()]).unwrap();
        let want = losses::evaluate(&loss, &ids, &logits, Some(&w)).unwrap();
        assert_close(
            "unknown batch",
            &r[0].to_device(&Device::Cpu).unwrap(),
            &want.to_device(&Device::Cpu).unwrap(),
            1e-6,
            1e-6,
        );
        assert_eq!(r[1].dims(), &[4, 3]);
    }
}

// ---------------------------------------------------------------------------------------------
// The other keras.losses classes
// ---------------------------------------------------------------------------------------------

/// (class, extra config, y_true, y_pred) float64 cases of every other loss, away from kinks.
fn other_loss_cases(rng: &mut Rng) -> Vec<(&'static str, Value, Tensor, Tensor)> {
    let (b, d) = (4, 3);
    let n = rand64(rng, &[b, d], -1.5, 1.5);
    let m = rand64(rng, &[b, d], -1.5, 1.5);
    let p = rand64(rng, &[b, d], 0.05, 0.95);
    let q = rand64(rng, &[b, d], 0.05, 0.95);
    let bits = t64((0..b * d).map(|i| ((i * 7 + 3) % 5 < 2) as u8 as f64).collect(), &[b, d]);
    let signs = t64(bits.to_vec_f64().unwrap().iter().map(|x| 2.0 * x - 1.0).collect(), &[b, d]);
    let oh = one_hot64(rng, b, d);
    let lab = labels(rng, b, d, &[b], DType::I32);
    let seg_t = t64((0..b * 6).map(|i| ((i * 5 + 1) % 3 == 0) as u8 as f64).collect(), &[b, 2, 3]);
    let seg_p = rand64(rng, &[b, 2, 3], 0.05, 0.95);
    let circle_lab = t64(vec![0.0, 1.0, 0.0, 2.0, 1.0, 2.0, 0.0, 3.0], &[8]);
    let emb: Vec<f64> = {
        let raw = rng.vec(8 * 4, -1.0, 1.0);
        raw.chunks(4)
            .flat_map(|r| {
                let nrm = r.iter().map(|x| x * x).sum::<f64>().sqrt();
                r.iter().map(move |x| x / nrm).collect::<Vec<_>>()
            })
            .collect()
    };
    let emb = t64(emb, &[8, 4]);
    vec![
        ("MeanAbsoluteError", json!({}), n.clone(), m.clone()),
        ("MeanAbsolutePercentageError", json!({}), n.clone(), m.clone()),
        ("MeanSquaredLogarithmicError", json!({}), p.clone(), m.clone()),
        ("LogCosh", json!({}), n.clone(), m.clone()),
        ("Huber", json!({}), n.clone(), m.clone()),
        ("Huber", json!({"delta": 0.3}), n.clone(), m.clone()),
        ("CosineSimilarity", json!({}), n.clone(), m.clone()),
        ("CosineSimilarity", json!({"axis": 0}), n.clone(), m.clone()),
        ("Hinge", json!({}), bits.clone(), m.clone()),
        ("Hinge", json!({}), signs.clone(), m.clone()),
        ("SquaredHinge", json!({}), bits.clone(), m.clone()),
        ("CategoricalHinge", json!({}), oh.clone(), m.clone()),
        ("KLDivergence", json!({}), q.clone(), p.clone()),
        ("Poisson", json!({}), q.clone(), p.clone()),
        ("BinaryFocalCrossentropy", json!({}), bits.clone(), p.clone()),
        (
            "BinaryFocalCrossentropy",
            json!({"apply_class_balancing": true, "alpha": 0.4, "gamma": 1.5, "label_smoothing": 0.1}),
            bits.clone(),
            p.clone(),
        ),
        ("BinaryFocalCrossentropy", json!({"from_logits": true, "axis": 0}), bits.clone(), m.clone()),
        ("CategoricalFocalCrossentropy", json!({}), oh.clone(), p.clone()),
        (
            "CategoricalFocalCrossentropy",
            json!({"from_logits": true, "label_smoothing": 0.2, "alpha": 0.5, "gamma": 3.0}),
            oh.clone(),
            m.clone(),
        ),
        ("CategoricalGeneralizedCrossEntropy", json!({}), lab.clone(), p.clone()),
        ("CategoricalGeneralizedCrossEntropy", json!({"q": 0.2}), lab.clone(), p.clone()),
        ("Dice", json!({}), seg_t.clone(), seg_p.clone()),
        ("Dice", json!({"axis": [1, 2]}), seg_t.clone(), seg_p.clone()),
        ("Tversky", json!({"alpha": 0.3, "beta": 0.7, "axis": -1}), seg_t.clone(), seg_p.clone()),
        ("Tversky", json!({"axis": [1, 2]}), seg_t.clone(), seg_p.clone()),
        ("Circle", json!({"gamma": 4.0, "margin": 0.25}), circle_lab.clone(), emb.clone()),
        ("Circle", json!({"remove_diagonal": false}), circle_lab.clone(), emb.clone()),
        ("Circle", json!({}), circle_lab, emb),
    ]
}

fn with(extra: &Value, kv: &[(&str, Value)]) -> Value {
    let mut c = extra.clone();
    for (k, v) in kv {
        c[*k] = v.clone();
    }
    c
}

#[test]
fn other_losses_gradients_match_finite_differences() {
    let mut rng = Rng::new(21);
    for (class, extra, yt, yp) in other_loss_cases(&mut rng) {
        let b = yp.dims()[0];
        for red in REDUCTIONS {
            let loss =
                loss_of(class, with(&extra, &[("reduction", json!(red)), ("dtype", json!("float64"))]));
            let what = format!("{class} {extra} {red}");
            check_grad(&what, loss.as_ref(), &yt, &yp, None);
            // A [B] weight matches the per-sample losses except for Dice/Tversky over every
            // axis (one value) and 3-D inputs reduced over the last axis only.
            let per_sample = losses::evaluate(loss.as_ref(), &yt, &yp, None).unwrap();
            if red == "none" && per_sample.dims() == [b] {
                for sw_dims in [&[b][..], &[b, 1]] {
                    let sw = rand64(&mut rng, sw_dims, 0.0, 2.0);
                    for r2 in REDUCTIONS {
                        let l2 = loss_of(
                            class,
                            with(&extra, &[("reduction", json!(r2)), ("dtype", json!("float64"))]),
                        );
                        check_grad(&format!("{what}->{r2} sw{sw_dims:?}"), l2.as_ref(), &yt, &yp, Some(&sw));
                    }
                }
            }
        }
    }
}

#[test]
fn other_losses_agree_across_backends() {
    let mut rng = Rng::new(22);
    for (class, extra, yt, yp) in other_loss_cases(&mut rng) {
        let f = |t: &Tensor| wgkeras::runtime::ops::cast(t, DType::F32).unwrap();
        for red in REDUCTIONS {
            let loss = loss_of(class, with(&extra, &[("reduction", json!(red))]));
            check_loss_backends(&format!("{class} {extra} {red}"), loss.as_ref(), &f(&yt), &f(&yp), None);
        }
    }
    // Odd and empty shapes for the element-wise ones.
    let shapes: &[&[usize]] = &[&[1, 1], &[7, 3], &[0, 4], &[2, 0, 3], &[3, 5, 17], &[1, 1029]];
    let classes = [
        ("MeanAbsoluteError", json!({})),
        ("MeanAbsolutePercentageError", json!({})),
        ("MeanSquaredLogarithmicError", json!({})),
        ("LogCosh", json!({})),
        ("Huber", json!({"delta": 0.5})),
        ("CosineSimilarity", json!({})),
        ("Hinge", json!({})),
        ("SquaredHinge", json!({})),
        ("CategoricalHinge", json!({})),
        ("KLDivergence", json!({})),
        ("Poisson", json!({})),
        ("BinaryFocalCrossentropy", json!({"apply_class_balancing": true})),
        ("BinaryFocalCrossentropy", json!({"from_logits": true})),
        ("CategoricalFocalCrossentropy", json!({"label_smoothing": 0.1})),
        ("CategoricalFocalCrossentropy", json!({"from_logits": true})),
        ("Dice", json!({})),
        ("Dice", json!({"axis": -1})),
        ("Tversky", json!({"axis": -1, "alpha": 0.2, "beta": 0.8})),
    ];
    for dims in shapes {
        let yt = rand_tensor(&mut rng, dims, 0.0, 1.0, DType::F32, &Device::Cpu);
        let yp = rand_tensor(&mut rng, dims, 0.05, 0.95, DType::F32, &Device::Cpu);
        for (class, extra) in &classes {
            for red in ["sum_over_batch_size", "none", "mean_with_sample_weight"] {
                let loss = loss_of(class, with(extra, &[("reduction", json!(red))]));
                check_loss_backends(
                    &format!("{class} {extra} {dims:?} {red}"),
                    loss.as_ref(),
                    &yt,
                    &yp,
                    None,
                );
            }
        }
    }
}

#[test]
fn circle_works_with_an_unknown_batch_dimension() {
    // The diagonal mask is built on the device when the batch size is only known at run time.
    let g = Graph::new();
    let yt = g.input(&[None::<usize>], DType::I32);
    let yp = g.input(&[None, Some(3)], DType::F32);
    for remove_diagonal in [true, false] {
        let loss = losses::Circle::new(6.0, 0.3, remove_diagonal).with_reduction(Reduction::None);
        let out = losses::compute(&loss, yt, yp, None).unwrap();
        let grad = gradients(out.sum_all().unwrap(), &[yp], None).unwrap()[0].unwrap();
        let mut rng = Rng::new(23);
        for n in [1usize, 2, 5, 9] {
            let lab: Vec<i32> = (0..n).map(|i| (i % 3) as i32).collect();
            let emb = rng.vec(n * 3, -1.0, 1.0);
            for dev in devices() {
                let ids = Tensor::from_vec(lab.clone(), &[n], &Device::Cpu).unwrap().to_device(&dev).unwrap();
                let e =
                    Tensor::from_cpu(CpuStorage::from_f64(DType::F32, emb.clone()), &[n, 3], &Device::Cpu)
                        .unwrap()
                        .to_device(&dev)
                        .unwrap();
                let r = g.evaluate(&[out, grad], &[ids.clone(), e.clone()]).unwrap();
                let want = losses::evaluate(&loss, &ids, &e, None).unwrap();
                let what = format!("circle unknown batch n={n} diag={remove_diagonal} on {dev}");
                assert_close(
                    &what,
                    &r[0].to_device(&Device::Cpu).unwrap(),
                    &want.to_device(&Device::Cpu).unwrap(),
                    1e-5,
                    1e-5,
                );
                let gv = r[1].to_vec_f64().unwrap();
                assert!(gv.iter().all(|x| x.is_finite()), "{what}: gradient {gv:?}");
            }
        }
    }
}

#[test]
fn circle_masks_zero_losses_out_of_the_mean() {
    // Every sample alone in its class: no positive pairs, every loss 0 and masked: the mean is 0.
    let e = t64(vec![1.0, 0.0, 0.0, 1.0, 0.6, 0.8], &[3, 2]);
    let lab = t64(vec![0.0, 1.0, 2.0], &[3]);
    let loss = loss_of("Circle", json!({"dtype": "float64"}));
    assert_eq!(losses::evaluate(loss.as_ref(), &lab, &e, None).unwrap().item().unwrap(), 0.0);
    let (_, grad) = value_and_grad(loss.as_ref(), &lab, &e, None);
    assert!(grad.iter().all(|g| *g == 0.0), "{grad:?}");
}

#[test]
fn other_losses_configs_and_aliases_are_keras() {
    for name in losses::FUNCTION_NAMES {
        let l = losses::get(&json!(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(losses::CLASS_NAMES.contains(&l.class_name()), "{name}");
    }
    for (alias, class) in [
        ("mae", "MeanAbsoluteError"),
        ("MAPE", "MeanAbsolutePercentageError"),
        ("msle", "MeanSquaredLogarithmicError"),
        ("kld", "KLDivergence"),
        ("huber", "Huber"),
        ("log_cosh", "LogCosh"),
        ("dice", "Dice"),
    ] {
        assert_eq!(losses::get(&json!(alias)).unwrap().class_name(), class);
    }
    // Every class: the serialized form comes back unchanged.
    for class in losses::CLASS_NAMES {
        let l = loss_of(class, json!({"name": "x", "reduction": "sum"}));
        let again = losses::get(&l.serialize()).unwrap();
        assert_eq!(again.config(), l.config(), "{class}");
        assert_eq!(l.config()["name"], json!("x"));
        let e = err_of(losses::get(&json!({"class_name": class, "config": {"bogus_key": 1}})));
        assert!(e.contains(class) && e.contains("bogus_key"), "{e}");
    }
    // Keras's get_config: Huber's delta and CosineSimilarity's axis are read but not written.
    let h = loss_of("Huber", json!({"delta": 2.0}));
    assert_eq!(Value::Object(h.config()), json!({"name": "huber_loss", "reduction": "sum_over_batch_size"}));
    let c = loss_of("CosineSimilarity", json!({"axis": 0}));
    assert_eq!(
        Value::Object(c.config()),
        json!({"name": "cosine_similarity", "reduction": "sum_over_batch_size"})
    );
    let d = loss_of("Dice", json!({"axis": [1, 2]}));
    assert_eq!(d.config()["axis"], json!([1, 2]));
    assert_eq!(loss_of("Dice", json!({"axis": -1})).config()["axis"], json!(-1));
    assert_eq!(loss_of("Tversky", json!({})).config()["axis"], Value::Null);
    let f = loss_of("BinaryFocalCrossentropy", json!({"gamma": 3}));
    assert_eq!(f.config()["gamma"], json!(3));
    assert_eq!(f.config()["alpha"], json!(0.25));
    let circle = loss_of("Circle", json!({}));
    assert_eq!(
        Value::Object(circle.config()),
        json!({"name": "circle", "reduction": "sum_over_batch_size", "gamma": 80.0, "margin": 0.4, "remove_diagonal": true})
    );
    // Keras's get() does not know CategoricalGeneralizedCrossEntropy by name, only serialized.
    assert!(losses::get(&json!("CategoricalGeneralizedCrossEntropy")).is_err());
    assert_eq!(loss_of("CategoricalGeneralizedCrossEntropy", json!({"q": 0.3})).config()["q"], json!(0.3));
    // A LossFunctionWrapper of a function with its keyword arguments.
    let w = losses::get(&json!({"class_name": "LossFunctionWrapper", "config": {"fn": "huber", "delta": 0.5, "name": "h", "reduction": "sum"}})).unwrap();
    assert_eq!(w.class_name(), "Huber");
}

#[test]
fn other_losses_bad_inputs_are_errors_naming_the_loss() {
    let z = |dims: &[usize]| {
        Tensor::from_cpu(
            CpuStorage::from_f64(DType::F32, vec![0.5; dims.iter().product()]),
            dims,
            &Device::Cpu,
        )
        .unwrap()
    };
    let cases: Vec<(&str, Value, Vec<usize>, Vec<usize>)> = vec![
        ("MeanAbsoluteError", json!({}), vec![5, 3], vec![5, 4]),
        ("MeanAbsolutePercentageError", json!({}), vec![5, 3], vec![4, 3]),
        ("MeanSquaredLogarithmicError", json!({}), vec![5, 3], vec![5, 2]),
        ("LogCosh", json!({}), vec![5, 3], vec![5, 4]),
        ("Huber", json!({}), vec![5, 3], vec![5, 4]),
        ("CosineSimilarity", json!({}), vec![5, 3], vec![5, 4]),
        ("CosineSimilarity", json!({"axis": 2}), vec![5, 3], vec![5, 3]),
        ("Hinge", json!({}), vec![5, 3], vec![5, 4]),
        ("SquaredHinge", json!({}), vec![5, 3], vec![5, 4]),
        ("CategoricalHinge", json!({}), vec![5, 3], vec![5, 4]),
        ("KLDivergence", json!({}), vec![5, 3], vec![5, 4]),
        ("Poisson", json!({}), vec![5, 3], vec![5, 4]),
        ("BinaryFocalCrossentropy", json!({}), vec![5, 3], vec![5, 4]),
        ("BinaryFocalCrossentropy", json!({"axis": 3}), vec![5, 3], vec![5, 3]),
        ("CategoricalFocalCrossentropy", json!({}), vec![5, 3], vec![5, 4]),
        ("CategoricalGeneralizedCrossEntropy", json!({}), vec![4], vec![5, 3]),
        ("Dice", json!({}), vec![5, 3], vec![5, 4]),
        ("Dice", json!({"axis": [1, 4]}), vec![5, 3], vec![5, 3]),
        ("Tversky", json!({}), vec![5, 3], vec![5, 4]),
        ("Circle", json!({}), vec![5], vec![5, 3, 2]),
        ("Circle", json!({}), vec![5, 2], vec![5, 3]),
        ("Circle", json!({}), vec![4], vec![5, 3]),
    ];
    for (class, cfg, a, b) in cases {
        let loss = loss_of(class, cfg.clone());
        let e = err_of(losses::evaluate(loss.as_ref(), &z(&a), &z(&b), None));
        assert!(e.contains(class), "{class} {cfg} {a:?} {b:?}: {e}");
    }
    for (class, cfg, key) in [
        ("CategoricalGeneralizedCrossEntropy", json!({"q": 1.5}), "q"),
        ("CategoricalGeneralizedCrossEntropy", json!({"q": 0}), "q"),
        ("Huber", json!({"delta": "big"}), "delta"),
        ("Dice", json!({"axis": "rows"}), "axis"),
        ("Tversky", json!({"axis": [1.5]}), "axis"),
        ("Circle", json!({"remove_diagonal": 1}), "remove_diagonal"),
        ("BinaryFocalCrossentropy", json!({"label_smoothing": -0.1}), "label_smoothing"),
        ("Hinge", json!({"reduction": "avg"}), "reduction"),
    ] {
        let e = err_of(losses::get(&json!({"class_name": class, "config": cfg})));
        assert!(e.contains(class) && e.contains(key), "{class} {cfg}: {e}");
    }
}
