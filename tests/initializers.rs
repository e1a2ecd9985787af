//! Initializers: Keras configs and registry, statistics of the random ones on large tensors,
//! seeds (fixed seed: same values at every call and on every device; no seed: new values at
//! every call, reproducible after `set_random_seed`), and bad arguments.

mod common;

use common::*;
use serde_json::{json, Value};
use wgkeras::frontend::initializers::{self, compute_fans, Initializer, VarianceScaling};
use wgkeras::runtime::{DType, Device, Tensor};

fn init(id: Value) -> Box<dyn Initializer> {
    initializers::get(&id).unwrap_or_else(|e| panic!("{id}: {e}"))
}

fn err_of<T>(r: wgkeras::frontend::Result<T>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

fn stats(t: &Tensor) -> (f64, f64, f64, f64) {
    let v = t.to_vec_f64().unwrap();
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    let lo = v.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    (mean, var.sqrt(), lo, hi)
}

#[test]
fn configs_are_keras() {
    let cases = [
        ("GlorotUniform", json!({"seed": null, "input_axes": null, "output_axes": null})),
        ("GlorotNormal", json!({"seed": null, "input_axes": null, "output_axes": null})),
        ("HeNormal", json!({"seed": null, "input_axes": null, "output_axes": null})),
        ("HeUniform", json!({"seed": null, "input_axes": null, "output_axes": null})),
        ("LecunNormal", json!({"seed": null, "input_axes": null, "output_axes": null})),
        ("LecunUniform", json!({"seed": null, "input_axes": null, "output_axes": null})),
        ("Zeros", json!({})),
        ("Ones", json!({})),
        ("Constant", json!({"value": 0.0})),
        ("Identity", json!({})),
        ("Orthogonal", json!({"seed": null, "gain": 1.0})),
        ("RandomNormal", json!({"seed": null, "mean": 0.0, "stddev": 0.05})),
        ("RandomUniform", json!({"seed": null, "minval": -0.05, "maxval": 0.05})),
        ("TruncatedNormal", json!({"seed": null, "mean": 0.0, "stddev": 0.05})),
        (
            "VarianceScaling",
            json!({"seed": null, "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal",
                   "input_axes": null, "output_axes": null}),
        ),
    ];
    for (class, config) in cases {
        let i = init(json!(class));
        assert_eq!(i.class_name(), class);
        assert_eq!(Value::Object(i.config()), config, "{class}");
        let ser = initializers::serialize(i.as_ref());
        assert_eq!(ser["module"], "keras.initializers");
        let back = init(ser);
        assert_eq!(back.class_name(), class);
        assert_eq!(back.config(), i.config());
    }
    // Aliases, as Keras's registry has them.
    for (alias, class) in [
        ("glorot_uniform", "GlorotUniform"),
        ("zeros", "Zeros"),
        ("zero", "Zeros"),
        ("one", "Ones"),
        ("normal", "RandomNormal"),
        ("uniform", "RandomUniform"),
        ("he_normal", "HeNormal"),
        ("variance_scaling", "VarianceScaling"),
        ("truncated_normal", "TruncatedNormal"),
        ("identity", "Identity"),
        ("orthogonal", "Orthogonal"),
        ("OrthogonalInitializer", "Orthogonal"),
        ("IdentityInitializer", "Identity"),
        ("lecun_uniform", "LecunUniform"),
        ("random_uniform", "RandomUniform"),
    ] {
        assert_eq!(init(json!(alias)).class_name(), class, "{alias}");
    }
    let i = init(json!({"class_name": "GlorotUniform", "config": {"seed": 42}}));
    assert_eq!(i.config()["seed"], 42);
    let i = init(
        json!({"class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_out", "distribution": "normal"}}),
    );
    assert_eq!(i.config()["distribution"], "truncated_normal");
    assert_eq!(i.config()["mode"], "fan_out");
    let i = init(json!({"class_name": "Constant", "config": {"value": 3}}));
    assert_eq!(i.config()["value"], 3);
}

#[test]
fn bad_identifiers_and_configs() {
    let e = err_of(initializers::get(&json!("Glorot_Uniform")));
    assert!(e.contains("Glorot_Uniform") && e.contains("glorot_uniform") && e.contains("zeros"), "{e}");
    let e = err_of(initializers::get(&json!("stft")));
    assert!(e.contains("not implemented"), "{e}");
    let e = err_of(init(json!("orthogonal")).init(&[5], DType::F32, &Device::Cpu));
    assert!(e.contains("at least two-dimensional") && e.contains("rank 1"), "{e}");
    let e = err_of(initializers::get(&json!({"class_name": "Orthogonal", "config": {"scale": 1.0}})));
    assert!(e.contains("Orthogonal") && e.contains("scale"), "{e}");
    let e = err_of(initializers::get(&json!({"class_name": "RandomNormal", "config": {"std": 1.0}})));
    assert!(e.contains("RandomNormal") && e.contains("std"), "{e}");
    let e = err_of(initializers::get(&json!({"class_name": "GlorotUniform", "config": {"scale": 1.0}})));
    assert!(e.contains("GlorotUniform") && e.contains("scale"), "{e}");
    let e = err_of(initializers::get(&json!({"class_name": "VarianceScaling", "config": {"scale": 0.0}})));
    assert!(e.contains("VarianceScaling") && e.contains("scale"), "{e}");
    let e = err_of(initializers::get(&json!({"class_name": "VarianceScaling", "config": {"mode": "fan"}})));
    assert!(e.contains("mode"), "{e}");
    let e = err_of(initializers::get(
        &json!({"class_name": "VarianceScaling", "config": {"distribution": "cauchy"}}),
    ));
    assert!(e.contains("distribution"), "{e}");
    let e = err_of(initializers::get(&json!({"class_name": "RandomUniform", "config": {"seed": "x"}})));
    assert!(e.contains("seed"), "{e}");
    let e = err_of(initializers::get(&json!({"class_name": "Constant", "config": {"value": [1, 2]}})));
    assert!(e.contains("value"), "{e}");
    let e = err_of(init(json!("identity")).init(&[2, 3, 4], DType::F32, &Device::Cpu));
    assert!(e.contains("Identity") && e.contains("2D"), "{e}");
    let e = err_of(init(json!("glorot_uniform")).init(&[4, 4], DType::I32, &Device::Cpu));
    assert!(e.contains("GlorotUniform") && e.contains("float"), "{e}");
}

#[test]
fn constant_initializers() {
    for device in devices() {
        let z = init(json!("zeros")).init(&[3, 4], DType::F32, &device).unwrap();
        assert_eq!(z.to_vec_f32().unwrap(), vec![0.0; 12]);
        assert_eq!(z.device(), device);
        let o = init(json!("ones")).init(&[5], DType::I32, &device).unwrap();
        assert_eq!(o.to_vec::<i32>().unwrap(), vec![1; 5]);
        let c = init(json!({"class_name": "Constant", "config": {"value": 2.5}}))
            .init(&[2, 2], DType::F32, &device)
            .unwrap();
        assert_eq!(c.to_vec_f32().unwrap(), vec![2.5; 4]);
        let i = init(json!({"class_name": "Identity", "config": {"gain": 2.0}}))
            .init(&[2, 3], DType::F32, &device)
            .unwrap();
        assert_eq!(i.to_vec_f32().unwrap(), [2.0, 0.0, 0.0, 0.0, 2.0, 0.0]);
        let e = init(json!("zeros")).init(&[0, 3], DType::F32, &device).unwrap();
        assert_eq!(e.dims(), [0, 3]);
    }
}

#[test]
fn fans_follow_keras() {
    assert_eq!(compute_fans(&[], None, None).unwrap(), (1.0, 1.0));
    assert_eq!(compute_fans(&[7], None, None).unwrap(), (7.0, 7.0));
    assert_eq!(compute_fans(&[3, 5], None, None).unwrap(), (3.0, 5.0));
    assert_eq!(compute_fans(&[3, 3, 4, 8], None, None).unwrap(), (36.0, 72.0));
    assert_eq!(compute_fans(&[2, 3, 4], Some(&[0, 1]), Some(&[-1])).unwrap(), (6.0, 4.0));
    assert!(compute_fans(&[2, 3], Some(&[2]), Some(&[0])).is_err());
}

#[test]
fn random_initializers_have_the_right_statistics() {
    let dims = [300, 200];
    let (fan_in, fan_out) = (300.0f64, 200.0f64);
    for device in devices() {
        let tol = |sd: f64| 6.0 * sd / (60000f64).sqrt();
        // Uniform: limit sqrt(3 * scale / fan), std limit / sqrt(3).
        for (id, var) in [
            ("glorot_uniform", 2.0 / (fan_in + fan_out)),
            ("he_uniform", 2.0 / fan_in),
            ("lecun_uniform", 1.0 / fan_in),
        ] {
            let t = init(json!({"class_name": id, "config": {"seed": 1}}))
                .init(&dims, DType::F32, &device)
                .unwrap();
            let limit = (3.0 * var).sqrt();
            let (mean, sd, lo, hi) = stats(&t);
            assert!(lo >= -limit && hi < limit, "{id}: values in [{lo}, {hi}], limit {limit}");
            assert!(
                lo < -0.99 * limit && hi > 0.99 * limit,
                "{id}: range [{lo}, {hi}] does not fill ±{limit}"
            );
            assert!(mean.abs() < tol(var.sqrt()), "{id}: mean {mean}");
            assert!((sd - var.sqrt()).abs() < 0.02 * var.sqrt(), "{id}: std {sd} vs {}", var.sqrt());
        }
        // Truncated normals: std sqrt(scale / fan) after truncation at 2 sigma of the drawn normal.
        for (id, var) in [
            ("glorot_normal", 2.0 / (fan_in + fan_out)),
            ("he_normal", 2.0 / fan_in),
            ("lecun_normal", 1.0 / fan_in),
        ] {
            let t = init(json!({"class_name": id, "config": {"seed": 2}}))
                .init(&dims, DType::F32, &device)
                .unwrap();
            let sigma = var.sqrt() / 0.879_625_661_034_239_8;
            let (mean, sd, lo, hi) = stats(&t);
            assert!(
                lo >= -2.0 * sigma * 1.0001 && hi <= 2.0 * sigma * 1.0001,
                "{id}: [{lo}, {hi}] beyond 2 sigma {sigma}"
            );
            assert!(mean.abs() < tol(var.sqrt()), "{id}: mean {mean}");
            assert!((sd - var.sqrt()).abs() < 0.02 * var.sqrt(), "{id}: std {sd} vs {}", var.sqrt());
        }
        let vs = VarianceScaling::new(3.0, "fan_out", "untruncated_normal", Some(3)).unwrap();
        let t = vs.init(&dims, DType::F32, &device).unwrap();
        let (mean, sd, lo, hi) = stats(&t);
        let want = (3.0 / fan_out).sqrt();
        assert!(
            (sd - want).abs() < 0.02 * want && mean.abs() < tol(want),
            "untruncated: mean {mean} std {sd}"
        );
        assert!(
            lo < -3.0 * want && hi > 3.0 * want,
            "an untruncated normal goes beyond 3 sigma: [{lo}, {hi}]"
        );
        let t =
            init(json!({"class_name": "RandomNormal", "config": {"mean": 1.0, "stddev": 0.5, "seed": 4}}))
                .init(&dims, DType::F32, &device)
                .unwrap();
        let (mean, sd, _, _) = stats(&t);
        assert!(
            (mean - 1.0).abs() < tol(0.5) && (sd - 0.5).abs() < 0.01,
            "RandomNormal: mean {mean} std {sd}"
        );
        let t =
            init(json!({"class_name": "RandomUniform", "config": {"minval": 2.0, "maxval": 3.0, "seed": 5}}))
                .init(&dims, DType::F32, &device)
                .unwrap();
        let (mean, _, lo, hi) = stats(&t);
        assert!(
            lo >= 2.0 && hi < 3.0 && (mean - 2.5).abs() < tol(0.29),
            "RandomUniform: [{lo}, {hi}] mean {mean}"
        );
        let t = init(json!({"class_name": "TruncatedNormal", "config": {"stddev": 1.0, "seed": 6}}))
            .init(&dims, DType::F32, &device)
            .unwrap();
        let (_, sd, lo, hi) = stats(&t);
        assert!(
            lo >= -2.0001 && hi <= 2.0001 && (sd - 0.8796).abs() < 0.01,
            "TruncatedNormal: [{lo}, {hi}] std {sd}"
        );
    }
}

#[test]
fn seeds_are_device_independent_and_follow_keras() {
    let Some(gpu) = gpu() else { return };
    for id in [
        "glorot_uniform",
        "he_normal",
        "random_normal",
        "random_uniform",
        "truncated_normal",
        "lecun_uniform",
    ] {
        let i = init(json!({"class_name": id, "config": {"seed": 1234}}));
        let a = i.init(&[17, 33], DType::F32, &Device::Cpu).unwrap();
        let b = i.init(&[17, 33], DType::F32, &gpu).unwrap();
        assert_eq!(b.device(), gpu);
        assert_close(id, &b.to_device(&Device::Cpu).unwrap(), &a, 1e-6, 1e-7);
        // A fixed seed gives the same values at every call (Keras's behaviour for int seeds).
        let c = i.init(&[17, 33], DType::F32, &Device::Cpu).unwrap();
        assert_eq!(a.to_vec_f32().unwrap(), c.to_vec_f32().unwrap(), "{id}");
        // Another seed gives other values.
        let d = init(json!({"class_name": id, "config": {"seed": 1235}}))
            .init(&[17, 33], DType::F32, &Device::Cpu)
            .unwrap();
        assert_ne!(a.to_vec_f32().unwrap(), d.to_vec_f32().unwrap(), "{id}");
    }
}

#[test]
fn unseeded_initializers_draw_new_values_reproducibly() {
    // The only test of this file that touches the global seed.
    wgkeras::frontend::utils::rng::set_random_seed(99);
    let i = init(json!("glorot_uniform"));
    let j = init(json!("glorot_uniform"));
    let a = i.init(&[8, 8], DType::F32, &Device::Cpu).unwrap().to_vec_f32().unwrap();
    let b = i.init(&[8, 8], DType::F32, &Device::Cpu).unwrap().to_vec_f32().unwrap();
    let c = j.init(&[8, 8], DType::F32, &Device::Cpu).unwrap().to_vec_f32().unwrap();
    assert_ne!(a, b, "successive calls differ");
    assert_ne!(a, c, "two initializers differ");
    assert_eq!(i.config()["seed"], Value::Null);
    wgkeras::frontend::utils::rng::set_random_seed(99);
    let i2 = init(json!("glorot_uniform"));
    let a2 = i2.init(&[8, 8], DType::F32, &Device::Cpu).unwrap().to_vec_f32().unwrap();
    assert_eq!(a, a2, "set_random_seed makes unseeded initializers reproducible");
}

/// Max |M - target| of a row-major [n, n] matrix.
fn max_dev(m: &[f64], target: impl Fn(usize, usize) -> f64, n: usize) -> f64 {
    let mut worst = 0.0f64;
    for i in 0..n {
        for j in 0..n {
            worst = worst.max((m[i * n + j] - target(i, j)).abs());
        }
    }
    worst
}

#[test]
fn orthogonal_is_orthogonal_with_gain_on_every_device() {
    for device in devices() {
        // (dims, gain): tall, wide, square, and a conv kernel flattened to [3*3*4, 8].
        for (dims, gain) in [
            (vec![7usize, 4], 1.0),
            (vec![3, 9], 2.0),
            (vec![6, 6], 0.5),
            (vec![3, 3, 4, 8], 1.5),
            (vec![1, 5], 1.0),
        ] {
            let i = init(json!({"class_name": "Orthogonal", "config": {"gain": gain, "seed": 17}}));
            let t = i.init(&dims, DType::F32, &device).unwrap();
            assert_eq!(t.dims(), dims.as_slice());
            assert_eq!(t.device(), device);
            let v = t.to_vec_f64().unwrap();
            let cols = *dims.last().unwrap();
            let rows = v.len() / cols;
            // The smaller side is orthonormal: Q^T Q = gain^2 I (columns) or Q Q^T (rows).
            let n = rows.min(cols);
            let mut gram = vec![0.0; n * n];
            for a in 0..n {
                for b in 0..n {
                    gram[a * n + b] = if rows >= cols {
                        (0..rows).map(|r| v[r * cols + a] * v[r * cols + b]).sum()
                    } else {
                        (0..cols).map(|c| v[a * cols + c] * v[b * cols + c]).sum()
                    };
                }
            }
            let dev = max_dev(&gram, |a, b| if a == b { gain * gain } else { 0.0 }, n);
            assert!(
                dev < 1e-5 * (1.0 + gain * gain),
                "{dims:?} gain {gain} on {device:?}: |QtQ - g^2 I| = {dev}"
            );
            // Same seed, same values; on the GPU the same as on the CPU.
            let again = i.init(&dims, DType::F32, &Device::Cpu).unwrap();
            assert_close("orthogonal seeded", &t.to_device(&Device::Cpu).unwrap(), &again, 1e-6, 1e-7);
        }
    }
    // Unseeded: a new matrix at each call; another seed gives another matrix.
    let i = init(json!("orthogonal"));
    let a = i.init(&[4, 4], DType::F32, &Device::Cpu).unwrap().to_vec_f32().unwrap();
    let b = i.init(&[4, 4], DType::F32, &Device::Cpu).unwrap().to_vec_f32().unwrap();
    assert_ne!(a, b);
    let c = init(json!({"class_name": "Orthogonal", "config": {"seed": 18}}))
        .init(&[4, 4], DType::F32, &Device::Cpu)
        .unwrap();
    let d = init(json!({"class_name": "Orthogonal", "config": {"seed": 17}}))
        .init(&[4, 4], DType::F32, &Device::Cpu)
        .unwrap();
    assert_ne!(c.to_vec_f32().unwrap(), d.to_vec_f32().unwrap());
    // Empty dims give an empty tensor; float64 works too.
    let e = init(json!("orthogonal")).init(&[0, 3], DType::F32, &Device::Cpu).unwrap();
    assert_eq!(e.dims(), [0, 3]);
    let f = init(json!({"class_name": "Orthogonal", "config": {"seed": 1}}))
        .init(&[3, 3], DType::F64, &Device::Cpu)
        .unwrap();
    assert_eq!(f.dtype(), DType::F64);
}

#[test]
fn orthogonal_distribution_is_uniform_in_sign() {
    // With the sign correction the entries of Q have mean 0 and variance 1/n (Haar measure).
    let n = 64;
    let mut mean = 0.0;
    let mut sq = 0.0;
    let mut diag = 0.0;
    for seed in 0..8 {
        let q = init(json!({"class_name": "Orthogonal", "config": {"seed": seed}}))
            .init(&[n, n], DType::F32, &Device::Cpu)
            .unwrap()
            .to_vec_f64()
            .unwrap();
        mean += q.iter().sum::<f64>();
        sq += q.iter().map(|v| v * v).sum::<f64>();
        diag += (0..n).map(|i| q[i * n + i]).sum::<f64>();
    }
    let count = (8 * n * n) as f64;
    assert!((mean / count).abs() < 4.0 / (n as f64 * count.sqrt()), "mean {}", mean / count);
    assert!((sq / count - 1.0 / n as f64).abs() < 1e-6, "variance {}", sq / count);
    // Without the sign fix the diagonal of Q would be biased positive (Householder's R > 0).
    assert!((diag / (8 * n) as f64).abs() < 0.05, "diagonal mean {}", diag / (8 * n) as f64);
}
