//! Normalization layers (BatchNormalization, LayerNormalization, RMSNormalization,
//! GroupNormalization, UnitNormalization) and noise layers (GaussianNoise, GaussianDropout,
//! AlphaDropout): gradients against finite differences, BatchNormalization's moving statistics,
//! CPU/GPU agreement, the noise layers' statistics and fresh draws each step, bad configs.

mod common;

use common::{assert_close, check_grad, devices, rand_tensor, Rng};
use serde_json::{json, Map, Value};
use wgkeras::frontend::graph::plan::PlanOptions;
use wgkeras::frontend::graph::{Graph, Plan, Shape, Sym};
use wgkeras::frontend::layers::noise::{AlphaDropout, GaussianDropout, GaussianNoise};
use wgkeras::frontend::layers::normalization::{
    BatchNormalization, GroupNormalization, LayerNormalization, RMSNormalization,
};
use wgkeras::frontend::layers::{self, CallContext, LayerRef};
use wgkeras::runtime::{CpuStorage, DType, Device, Tensor};

fn cfg(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn batch_none(dims: &[usize]) -> Shape {
    dims.iter().enumerate().map(|(i, &d)| if i == 0 { None } else { Some(d) }).collect()
}

fn tensor(data: Vec<f64>, dims: &[usize], dtype: DType) -> Tensor {
    Tensor::from_cpu(CpuStorage::from_f64(dtype, data), dims, &Device::Cpu).unwrap()
}

fn layer_of(class: &str, config: Value) -> LayerRef {
    layers::deserialize(&json!({"class_name": class, "config": config})).unwrap()
}

/// Sets every weight to random values (variances positive).
fn randomize(layer: &LayerRef, rng: &mut Rng) {
    for w in layer.weights() {
        let (lo, hi) = if w.name().contains("variance") || w.name().contains("stddev") {
            (0.5, 2.0)
        } else {
            (-1.0, 1.5)
        };
        w.replace(rand_tensor(rng, &w.dims(), lo, hi, w.dtype(), &Device::Cpu));
    }
}

/// Runs `layer` on `x` on `device` through a plan that applies the call's state updates; the
/// layer's variables are moved to `device` first.
fn run_layer(
    layer: &LayerRef,
    x: &Tensor,
    device: &Device,
    training: bool,
    extra: &[&wgkeras::frontend::Variable],
) -> Tensor {
    for w in layer.weights() {
        w.to_device(device).unwrap();
    }
    for v in extra {
        v.to_device(device).unwrap();
    }
    let g = Graph::new();
    let xi = g.input(&batch_none(x.dims()), x.dtype());
    let ctx = CallContext::new(training);
    let y = layer.call_graph(&[xi], &ctx).unwrap()[0];
    let updates = ctx.updates.borrow().clone();
    let plan =
        Plan::new(&g, &[y.id], &updates, &PlanOptions { device: device.clone(), fuse: false }).unwrap();
    plan.run(&[x.to_device(device).unwrap()]).unwrap().remove(0).to_device(&Device::Cpu).unwrap()
}

fn err_of<T>(r: wgkeras::frontend::Result<T>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

fn data(rng: &mut Rng, n: usize) -> Vec<f64> {
    rng.vec(n, -2.0, 2.0)
}

// ---------------------------------------------------------------------------------------------
// Gradients
// ---------------------------------------------------------------------------------------------

#[test]
fn batch_normalization_gradients_match_finite_differences() {
    let mut rng = Rng::new(1);
    for (dims, axis) in [(vec![5, 3], -1i64), (vec![2, 3, 4], 1), (vec![2, 2, 3, 2], -2)] {
        let r = dims.len() as i64;
        let a = if axis < 0 { axis + r } else { axis } as usize;
        let c = dims[a];
        for renorm in [false, true] {
            let bn = BatchNormalization::from_config(&cfg(json!({"axis": axis, "dtype": "float64", "renorm": renorm,
                "renorm_clipping": if renorm { json!({"rmax": 1.2, "rmin": 0.8, "dmax": 0.2}) } else { Value::Null }})))
            .unwrap();
            let bn = std::sync::Arc::new(bn);
            let layer = LayerRef(bn.clone());
            layer.ensure_built(&[batch_none(&dims)]).unwrap();
            randomize(&layer, &mut rng);
            let n: usize = dims.iter().product();
            // With renorm, training's r and d are stop_gradient (as in Keras): finite differences
            // see through them, autodiff does not.
            for training in [true, false].into_iter().filter(|&t| !(t && renorm)) {
                let xs = vec![
                    (data(&mut rng, n), dims.clone()),
                    (rng.vec(c, 0.5, 1.5), vec![c]),
                    (data(&mut rng, c), vec![c]),
                ];
                let name = format!(
                    "BatchNormalization dims {dims:?} axis {axis} renorm {renorm} training {training}"
                );
                check_grad(&name, &xs, |s| bn.forward(s[0], Some(s[1]), Some(s[2]), training).unwrap().0);
            }
        }
    }
}

#[test]
fn layer_group_rms_unit_normalization_gradients_match_finite_differences() {
    let mut rng = Rng::new(2);
    for (dims, axis) in
        [(vec![3, 4], json!(-1)), (vec![2, 3, 4], json!(1)), (vec![2, 3, 2, 2], json!([1, 3]))]
    {
        for rms_scaling in [false, true] {
            let ln = LayerNormalization::from_config(&cfg(
                json!({"axis": axis, "dtype": "float64", "rms_scaling": rms_scaling}),
            ))
            .unwrap();
            let wdims: Vec<usize> = match &axis {
                Value::Array(a) => a.iter().map(|v| dims[v.as_u64().unwrap() as usize]).collect(),
                v => vec![dims[(v.as_i64().unwrap() + dims.len() as i64) as usize % dims.len()]],
            };
            let wn: usize = wdims.iter().product();
            let n: usize = dims.iter().product();
            let xs = vec![
                (data(&mut rng, n), dims.clone()),
                (rng.vec(wn, 0.5, 1.5), wdims.clone()),
                (data(&mut rng, wn), wdims.clone()),
            ];
            // rms_scaling has no beta.
            let used = if rms_scaling { &xs[..2] } else { &xs[..] };
            check_grad(&format!("LayerNormalization {dims:?} {axis} rms {rms_scaling}"), used, |s| {
                ln.forward(s[0], Some(s[1]), s.get(2).copied()).unwrap()
            });
            let rms = RMSNormalization::from_config(&cfg(
                json!({"axis": axis, "dtype": "float64", "epsilon": 1e-3}),
            ))
            .unwrap();
            // Keras's scale broadcasts on the trailing axes: test it where that is the normalized one.
            if wdims.len() == 1 && wdims[0] == *dims.last().unwrap() {
                check_grad(&format!("RMSNormalization {dims:?} {axis}"), &xs[..2], |s| {
                    rms.forward(s[0], s[1]).unwrap()
                });
            }
        }
    }
    for (dims, groups, axis) in
        [(vec![2, 6], 3, -1i64), (vec![2, 4, 3], 2, 1), (vec![2, 2, 2, 4], 2, -1), (vec![1, 3, 2], -1, -1)]
    {
        let gn = GroupNormalization::from_config(&cfg(
            json!({"groups": groups, "axis": axis, "dtype": "float64"}),
        ))
        .unwrap();
        let gn = std::sync::Arc::new(gn);
        LayerRef(gn.clone()).ensure_built(&[batch_none(&dims)]).unwrap();
        let c = dims[(axis + dims.len() as i64) as usize % dims.len()];
        let n: usize = dims.iter().product();
        let xs = vec![
            (data(&mut rng, n), dims.clone()),
            (rng.vec(c, 0.5, 1.5), vec![c]),
            (data(&mut rng, c), vec![c]),
        ];
        check_grad(&format!("GroupNormalization {dims:?} groups {groups} axis {axis}"), &xs, |s| {
            gn.forward(s[0], Some(s[1]), Some(s[2])).unwrap()
        });
    }
    for (dims, axis) in [(vec![3, 4], json!(-1)), (vec![2, 3, 4], json!([1, 2]))] {
        let un = layer_of("UnitNormalization", json!({"axis": axis, "dtype": "float64"}));
        let n: usize = dims.iter().product();
        check_grad(
            &format!("UnitNormalization {dims:?} {axis}"),
            &[(data(&mut rng, n), dims.clone())],
            |s| un.call_graph(&[s[0]], &CallContext::new(false)).unwrap()[0],
        );
    }
}

// ---------------------------------------------------------------------------------------------
// BatchNormalization's statistics
// ---------------------------------------------------------------------------------------------

/// Per-channel mean and biased variance of `x` (dims) along `axis`.
fn channel_moments(x: &[f64], dims: &[usize], axis: usize) -> (Vec<f64>, Vec<f64>) {
    let c = dims[axis];
    let inner: usize = dims[axis + 1..].iter().product();
    let mut sums = vec![0.0; c];
    let mut counts = vec![0.0; c];
    for (i, v) in x.iter().enumerate() {
        let ch = (i / inner) % c;
        sums[ch] += v;
        counts[ch] += 1.0;
    }
    let mean: Vec<f64> = sums.iter().zip(&counts).map(|(s, n)| s / n).collect();
    let mut var = vec![0.0; c];
    for (i, v) in x.iter().enumerate() {
        let ch = (i / inner) % c;
        var[ch] += (v - mean[ch]).powi(2) / counts[ch];
    }
    (mean, var)
}

#[test]
fn batch_normalization_updates_moving_statistics_and_uses_them_in_inference() {
    let mut rng = Rng::new(3);
    for device in devices() {
        for (dims, axis) in [(vec![6, 4], -1i64), (vec![3, 4, 5], 1), (vec![2, 3, 2, 3], -1)] {
            let a = if axis < 0 { axis + dims.len() as i64 } else { axis } as usize;
            let layer =
                layer_of("BatchNormalization", json!({"axis": axis, "momentum": 0.8, "epsilon": 0.01}));
            layer.ensure_built(&[batch_none(&dims)]).unwrap();
            randomize(&layer, &mut rng);
            let w: Vec<Vec<f64>> = layer.weights().iter().map(|v| v.value().to_vec_f64().unwrap()).collect();
            let (gamma, beta, mm, mv) = (&w[0], &w[1], &w[2], &w[3]);
            let x = rand_tensor(&mut rng, &dims, -2.0, 3.0, DType::F32, &Device::Cpu);
            let xv = x.to_vec_f64().unwrap();
            let (mean, var) = channel_moments(&xv, &dims, a);
            let inner: usize = dims[a + 1..].iter().product();
            let c = dims[a];
            let expect = |m: &[f64], v: &[f64]| -> Tensor {
                let y: Vec<f64> = xv
                    .iter()
                    .enumerate()
                    .map(|(i, x)| {
                        let ch = (i / inner) % c;
                        (x - m[ch]) / (v[ch] + 0.01).sqrt() * gamma[ch] + beta[ch]
                    })
                    .collect();
                tensor(y, &dims, DType::F32)
            };
            // Training: batch statistics, and the moving ones move.
            let y = run_layer(&layer, &x, &device, true, &[]);
            assert_close(&format!("BN train {dims:?} on {device}"), &y, &expect(&mean, &var), 1e-4, 1e-4);
            let ws = layer.weights();
            let got_mm = ws[2].value().to_device(&Device::Cpu).unwrap();
            let got_mv = ws[3].value().to_device(&Device::Cpu).unwrap();
            let want_mm: Vec<f64> = mm.iter().zip(&mean).map(|(m, b)| m * 0.8 + b * 0.2).collect();
            let want_mv: Vec<f64> = mv.iter().zip(&var).map(|(m, b)| m * 0.8 + b * 0.2).collect();
            assert_close("moving_mean", &got_mm, &tensor(want_mm.clone(), &[c], DType::F32), 1e-5, 1e-5);
            assert_close("moving_variance", &got_mv, &tensor(want_mv.clone(), &[c], DType::F32), 1e-5, 1e-5);
            assert_close(
                "gamma unchanged",
                &ws[0].value().to_device(&Device::Cpu).unwrap(),
                &tensor(gamma.clone(), &[c], DType::F32),
                0.0,
                0.0,
            );
            // Inference: the (updated) moving statistics, no update.
            let y = run_layer(&layer, &x, &device, false, &[]);
            assert_close(
                &format!("BN infer {dims:?} on {device}"),
                &y,
                &expect(&want_mm, &want_mv),
                1e-4,
                1e-4,
            );
            assert_close(
                "no update in inference",
                &ws[2].value().to_device(&Device::Cpu).unwrap(),
                &got_mm,
                0.0,
                0.0,
            );
            // trainable=False: inference mode even when training.
            layer.0.common().set_trainable(false);
            let g = Graph::new();
            let ctx = CallContext::new(true);
            layer.call_graph(&[g.input(&batch_none(&dims), DType::F32)], &ctx).unwrap();
            assert!(ctx.updates.borrow().is_empty(), "a frozen BatchNormalization records no update");
            let y = run_layer(&layer, &x, &device, true, &[]);
            assert_close("frozen BN uses the moving statistics", &y, &expect(&want_mm, &want_mv), 1e-4, 1e-4);
        }
    }
}

#[test]
fn batch_normalization_weights_config_and_renorm_weights() {
    let bn = layer_of(
        "BatchNormalization",
        json!({"renorm": true, "moving_variance_initializer": {"class_name": "Constant", "config": {"value": 4.0}}}),
    );
    bn.ensure_built(&[vec![None, Some(3)]]).unwrap();
    let names: Vec<String> =
        bn.weights().iter().map(|w| w.name().rsplit('/').next().unwrap().to_string()).collect();
    assert_eq!(
        names,
        ["gamma", "beta", "moving_mean", "moving_variance", "moving_stddev", "renorm_mean", "renorm_stddev"]
    );
    assert_eq!(bn.trainable_weights().len(), 2);
    assert_eq!(
        bn.weights()[4].value().to_vec_f64().unwrap(),
        vec![2.0; 3],
        "moving_stddev = sqrt(moving variance init)"
    );
    let c = bn.get_config();
    assert_eq!(c["renorm_clipping"], json!({}));
    assert_eq!(c["momentum"], json!(0.99));
    let plain = layer_of("BatchNormalization", json!({"center": false, "synchronized": true}));
    plain.ensure_built(&[vec![None, Some(2), Some(5)]]).unwrap();
    let names: Vec<String> =
        plain.weights().iter().map(|w| w.name().rsplit('/').next().unwrap().to_string()).collect();
    assert_eq!(names, ["gamma", "moving_mean", "moving_variance"]);
    assert_eq!(plain.weights()[0].dims(), vec![5]);
}

// ---------------------------------------------------------------------------------------------
// CPU / GPU agreement
// ---------------------------------------------------------------------------------------------

#[test]
fn normalization_layers_agree_across_devices() {
    let Some(gpu) = common::gpu() else { return };
    let mut rng = Rng::new(4);
    let cases: Vec<(&str, Value, Vec<usize>)> = vec![
        ("BatchNormalization", json!({}), vec![7, 5]),
        ("BatchNormalization", json!({"axis": 1}), vec![3, 4, 5]),
        ("BatchNormalization", json!({"axis": -2, "renorm": true}), vec![2, 3, 1, 3]),
        ("BatchNormalization", json!({}), vec![1, 3]),
        ("LayerNormalization", json!({}), vec![5, 33]),
        ("LayerNormalization", json!({"axis": [1, 2]}), vec![2, 3, 5]),
        ("LayerNormalization", json!({"rms_scaling": true}), vec![3, 7]),
        ("LayerNormalization", json!({}), vec![0, 4]),
        ("RMSNormalization", json!({}), vec![4, 9]),
        ("RMSNormalization", json!({"axis": [1, 2]}), vec![2, 3, 4]),
        ("GroupNormalization", json!({"groups": 3}), vec![2, 5, 6]),
        ("GroupNormalization", json!({"groups": 2, "axis": 1}), vec![2, 4, 3, 3]),
        ("GroupNormalization", json!({"groups": -1}), vec![3, 1, 5]),
        ("UnitNormalization", json!({}), vec![4, 5]),
        ("UnitNormalization", json!({"axis": [1, 2]}), vec![2, 3, 3]),
        ("UnitNormalization", json!({}), vec![0, 3]),
    ];
    for (class, config, dims) in cases {
        for training in [false, true] {
            let layer = layer_of(class, config.clone());
            layer.ensure_built(&[batch_none(&dims)]).unwrap();
            randomize(&layer, &mut rng);
            let saved: Vec<Tensor> = layer.weights().iter().map(|w| w.value()).collect();
            let x = rand_tensor(&mut rng, &dims, -3.0, 3.0, DType::F32, &Device::Cpu);
            let a = run_layer(&layer, &x, &Device::Cpu, training, &[]);
            let after_cpu: Vec<Tensor> = layer.weights().iter().map(|w| w.value()).collect();
            for (w, s) in layer.weights().iter().zip(&saved) {
                w.replace(s.clone());
            }
            let b = run_layer(&layer, &x, &gpu, training, &[]);
            let what = format!("{class} {config} {dims:?} training {training}");
            assert_close(&what, &b, &a, 1e-4, 1e-4);
            for (w, want) in layer.weights().iter().zip(&after_cpu) {
                assert_close(
                    &format!("{what}: {}", w.name()),
                    &w.value().to_device(&Device::Cpu).unwrap(),
                    want,
                    1e-5,
                    1e-5,
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Noise layers
// ---------------------------------------------------------------------------------------------

fn stats(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (m, v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n)
}

#[test]
fn noise_layers_have_keras_statistics_and_draw_anew_each_step() {
    let mut rng = Rng::new(5);
    let n = 20000;
    let zeros = tensor(vec![0.0; n], &[200, 100], DType::F32);
    let ones = tensor(vec![1.0; n], &[200, 100], DType::F32);
    // Standard normal inputs (Box-Muller) for AlphaDropout, which keeps mean 0 and variance 1.
    let normal: Vec<f64> = (0..n)
        .map(|_| {
            let (u, v) = (rng.uniform(1e-12, 1.0), rng.uniform(0.0, 1.0));
            (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
        })
        .collect();
    let normal = tensor(normal, &[200, 100], DType::F32);
    for device in devices() {
        let gn =
            std::sync::Arc::new(GaussianNoise::from_config(&cfg(json!({"stddev": 0.3, "seed": 1}))).unwrap());
        let layer = LayerRef(gn.clone());
        let seed = gn.seed_state().unwrap().clone();
        let y1 = run_layer(&layer, &zeros, &device, true, &[&seed]).to_vec_f64().unwrap();
        let (m, v) = stats(&y1);
        assert!(
            m.abs() < 0.01 && (v.sqrt() - 0.3).abs() < 0.01,
            "GaussianNoise mean {m} std {} on {device}",
            v.sqrt()
        );
        let y2 = run_layer(&layer, &zeros, &device, true, &[&seed]).to_vec_f64().unwrap();
        assert_ne!(y1, y2, "GaussianNoise draws anew each step");
        assert_eq!(run_layer(&layer, &zeros, &device, false, &[&seed]).to_vec_f64().unwrap(), vec![0.0; n]);

        let gd =
            std::sync::Arc::new(GaussianDropout::from_config(&cfg(json!({"rate": 0.2, "seed": 2}))).unwrap());
        let layer = LayerRef(gd.clone());
        let seed = gd.seed_state().unwrap().clone();
        let y1 = run_layer(&layer, &ones, &device, true, &[&seed]).to_vec_f64().unwrap();
        let (m, v) = stats(&y1);
        assert!(
            (m - 1.0).abs() < 0.01 && (v - 0.25).abs() < 0.01,
            "GaussianDropout mean {m} var {v} on {device}"
        );
        let y2 = run_layer(&layer, &ones, &device, true, &[&seed]).to_vec_f64().unwrap();
        assert_ne!(y1, y2, "GaussianDropout draws anew each step");

        for (rate, noise_shape) in [(0.2, Value::Null), (0.4, json!([null, 1]))] {
            let ad = std::sync::Arc::new(
                AlphaDropout::from_config(&cfg(json!({"rate": rate, "seed": 3, "noise_shape": noise_shape})))
                    .unwrap(),
            );
            let layer = LayerRef(ad.clone());
            let seed = ad.seed_state().unwrap().clone();
            let y1 = run_layer(&layer, &normal, &device, true, &[&seed]).to_vec_f64().unwrap();
            let alpha_p: f64 = -1.6732632423543772 * 1.0507009873554805;
            let a = ((1.0 - rate) * (1.0 + rate * alpha_p * alpha_p)).powf(-0.5);
            let b = -a * alpha_p * rate;
            let dropped_value = a * alpha_p + b;
            let dropped = y1.iter().filter(|&&e| (e - dropped_value).abs() < 1e-5).count() as f64 / n as f64;
            if noise_shape.is_null() {
                let (m, v) = stats(&y1);
                assert!(
                    m.abs() < 0.03 && (v - 1.0).abs() < 0.05,
                    "AlphaDropout mean {m} var {v} on {device}"
                );
                assert!((dropped - rate).abs() < 0.02, "AlphaDropout dropped {dropped} on {device}");
            } else {
                // Whole rows are dropped together.
                for row in y1.chunks(100) {
                    let d = row.iter().filter(|&&e| (e - dropped_value).abs() < 1e-5).count();
                    assert!(d == 0 || d == 100, "a row half dropped with noise_shape [None, 1]");
                }
                assert!((dropped - rate).abs() < 0.12, "AlphaDropout rows dropped {dropped}");
            }
            let y2 = run_layer(&layer, &normal, &device, true, &[&seed]).to_vec_f64().unwrap();
            assert_ne!(y1, y2, "AlphaDropout draws anew each step");
            assert_eq!(
                run_layer(&layer, &normal, &device, false, &[&seed]).to_vec_f64().unwrap(),
                normal.to_vec_f64().unwrap()
            );
        }
    }
}

#[test]
fn noise_layers_are_identity_when_off_and_keep_their_configs() {
    let g = Graph::new();
    let x: Sym = g.input(&[None, Some(4)], DType::F32);
    for (class, config) in [
        ("GaussianNoise", json!({"stddev": 0.5})),
        ("GaussianNoise", json!({"stddev": 0})),
        ("GaussianDropout", json!({"rate": 0.0})),
        ("AlphaDropout", json!({"rate": 0.5, "noise_shape": [null, 4], "seed": 9})),
    ] {
        let layer = layer_of(class, config.clone());
        let ctx = CallContext::new(false);
        assert_eq!(layer.call_graph(&[x], &ctx).unwrap()[0].id, x.id, "{class} not training is the identity");
        assert!(ctx.updates.borrow().is_empty());
        let c = layer.get_config();
        for (k, v) in config.as_object().unwrap() {
            assert_eq!(&c[k], v, "{class}: config key {k}");
        }
        assert!(layer.weights().is_empty());
    }
}

// ---------------------------------------------------------------------------------------------
// Bad configs and inputs
// ---------------------------------------------------------------------------------------------

#[test]
fn bad_configs_and_axes_are_errors_naming_the_layer() {
    let de = |class: &str, config: Value| {
        err_of(layers::deserialize(&json!({"class_name": class, "config": config})))
    };
    for (class, config, needle) in [
        ("BatchNormalization", json!({"axis": [1, 2]}), "axis"),
        ("BatchNormalization", json!({"momentum": "high"}), "momentum"),
        (
            "BatchNormalization",
            json!({"renorm": true, "renorm_clipping": {"rmax": 0.5, "rmin": 1.0}}),
            "rmax should be greater than rmin",
        ),
        ("BatchNormalization", json!({"renorm": true, "renorm_clipping": {"foo": 1}}), "renorm_clipping"),
        ("BatchNormalization", json!({"gamma_initializer": "nope"}), "gamma_initializer"),
        ("BatchNormalization", json!({"bogus": 1}), "bogus"),
        ("LayerNormalization", json!({"axis": "last"}), "axis"),
        ("LayerNormalization", json!({"center": 1}), "center"),
        ("GroupNormalization", json!({"groups": 0}), "groups=0"),
        ("GroupNormalization", json!({"groups": -2}), "Received an invalid value for argument `groups`"),
        ("UnitNormalization", json!({"axis": 1.5}), "axis"),
        ("GaussianNoise", json!({"stddev": 1.5}), "Expected a float value between 0 and 1"),
        ("GaussianNoise", json!({}), "stddev"),
        ("GaussianDropout", json!({"rate": -0.1}), "rate"),
        ("AlphaDropout", json!({"rate": 0.5, "noise_shape": "x"}), "noise_shape"),
    ] {
        let e = de(class, config.clone());
        assert!(e.contains(class) && e.contains(needle), "{class} {config}: {e}");
    }
    // Build-time errors name the layer.
    for (class, config, shape, needle) in [
        ("BatchNormalization", json!({"axis": 3, "name": "bn_x"}), vec![None, Some(4)], "out of bounds"),
        (
            "LayerNormalization",
            json!({"axis": [1, -4], "name": "ln_x"}),
            vec![None, Some(4), Some(2)],
            "out of bounds",
        ),
        ("RMSNormalization", json!({"axis": 2, "name": "rms_x"}), vec![None, Some(4)], "out of bounds"),
        (
            "GroupNormalization",
            json!({"groups": 4, "name": "gn_x"}),
            vec![None, Some(6)],
            "must be a multiple",
        ),
        (
            "GroupNormalization",
            json!({"groups": 8, "name": "gn_y"}),
            vec![None, Some(6)],
            "cannot be more than",
        ),
        (
            "GroupNormalization",
            json!({"groups": 2, "axis": 0, "name": "gn_z"}),
            vec![None, Some(6)],
            "defined dimension",
        ),
    ] {
        let layer = layer_of(class, config);
        let g = Graph::new();
        let x = g.input(&shape, DType::F32);
        let e = err_of(layer.call_graph(&[x], &CallContext::new(false)));
        assert!(e.contains(class) && e.contains(needle), "{class}: {e}");
    }
    // A built layer refuses an incompatible input.
    let bn = layer_of("BatchNormalization", json!({"name": "bn_built"}));
    bn.ensure_built(&[vec![None, Some(4)]]).unwrap();
    let g = Graph::new();
    for shape in [vec![None, Some(5)], vec![None, Some(2), Some(4)]] {
        let e = err_of(bn.call_graph(&[g.input(&shape, DType::F32)], &CallContext::new(true)));
        assert!(e.contains("bn_built") && e.contains("BatchNormalization"), "{e}");
    }
    // Rate 1 in training: Keras divides by zero; here an error naming the layer.
    for class in ["GaussianDropout", "AlphaDropout"] {
        let layer = layer_of(class, json!({"rate": 1.0, "name": "full"}));
        let e = err_of(layer.call_graph(&[g.input(&[None, Some(3)], DType::F32)], &CallContext::new(true)));
        assert!(e.contains("full") && e.contains(class), "{e}");
    }
}
