//! Cross-backend agreement of the reductions, scans and nn ops, their dtype rules and edge
//! cases, the two-pass and split-dispatch GPU paths, and bad-input errors.

mod common;

use common::*;
use wgkeras::ops;
use wgkeras::ops::NormOrd;
use wgkeras::runtime::{DType, Device, GpuOptions, Result, Tensor};

type Reduce = fn(&Tensor, Option<&[i64]>, bool) -> Result<Tensor>;

const SHAPES: &[&[usize]] =
    &[&[], &[1], &[7], &[3, 5], &[2, 0, 3], &[2, 3, 17], &[1, 1, 1, 1029], &[4, 1, 6, 5]];

/// Every axis choice worth testing for a rank: None, each single axis (also negative), pairs.
fn axis_choices(rank: usize) -> Vec<Option<Vec<i64>>> {
    let mut out = vec![None];
    for a in 0..rank as i64 {
        out.push(Some(vec![a]));
        out.push(Some(vec![a - rank as i64]));
        for b in a + 1..rank as i64 {
            out.push(Some(vec![b, a]));
        }
    }
    if rank >= 3 {
        out.push(Some(vec![0, 2]));
        out.push(Some(vec![-1, 0, 1]));
    }
    out
}

#[test]
fn reductions_agree_across_backends() {
    let mut rng = Rng::new(11);
    let list: &[(&str, Reduce, bool)] = &[
        ("sum", ops::sum, true),
        ("prod", ops::prod, true),
        ("mean", ops::mean, true),
        ("max", ops::max, false),
        ("min", ops::min, false),
        ("var", ops::var, true),
        ("std", ops::std, true),
        ("logsumexp", ops::logsumexp, true),
    ];
    for (name, f, empty_ok) in list {
        for dims in SHAPES {
            for axes in axis_choices(dims.len()) {
                for keepdims in [false, true] {
                    let (lo, hi) = if *name == "prod" { (0.5, 1.5) } else { (-2.0, 3.0) };
                    let x = rand_tensor(&mut rng, dims, lo, hi, DType::F32, &Device::Cpu);
                    let what = format!("{name} {dims:?} axis={axes:?} keepdims={keepdims}");
                    let reduced: usize = match &axes {
                        None => dims.iter().product(),
                        Some(a) => {
                            a.iter().map(|&i| dims[i.rem_euclid(dims.len() as i64) as usize]).product()
                        }
                    };
                    if reduced == 0 && !empty_ok {
                        let e = f(&x, axes.as_deref(), keepdims).unwrap_err().to_string();
                        assert!(e.contains(name), "{what}: {e}");
                        continue;
                    }
                    check_backends(&what, &[x], 2e-5, 2e-5, |t| f(&t[0], axes.as_deref(), keepdims));
                }
            }
        }
        let xi = rand_tensor(&mut rng, &[5, 9], -20.0, 20.0, DType::I32, &Device::Cpu);
        for axes in [None, Some(vec![0]), Some(vec![-1])] {
            check_backends(&format!("{name} int32 {axes:?}"), &[xi.clone()], 1e-5, 1e-5, |t| {
                f(&t[0], axes.as_deref(), false)
            });
        }
        let xb = rand_tensor(&mut rng, &[4, 7], 0.0, 2.0, DType::Bool, &Device::Cpu);
        check_backends(&format!("{name} bool"), &[xb], 1e-5, 1e-5, |t| f(&t[0], Some(&[1]), false));
    }
}

#[test]
fn dtype_rules_follow_keras() {
    for d in devices() {
        let b = Tensor::from_vec(vec![true, false, true, true], &[2, 2], &d).unwrap();
        let s = ops::sum(&b, None, false).unwrap();
        assert_eq!((s.dtype(), s.item().unwrap()), (DType::I32, 3.0));
        assert_eq!(ops::prod(&b, None, false).unwrap().dtype(), DType::I32);
        assert_eq!(ops::max(&b, None, false).unwrap().dtype(), DType::Bool);
        let i = Tensor::from_vec(vec![1i32, 2, 3, 4], &[2, 2], &d).unwrap();
        let m = ops::mean(&i, None, false).unwrap();
        assert_eq!((m.dtype(), m.item().unwrap()), (DType::F32, 2.5));
        assert_eq!(ops::var(&i, None, false).unwrap().item().unwrap(), 1.25);
        assert_eq!(ops::std(&i, None, false).unwrap().dtype(), DType::F32);
        assert_eq!(ops::logsumexp(&i, None, false).unwrap().dtype(), DType::F32);
        assert_eq!(ops::sum(&i, Some(&[0]), false).unwrap().to_vec::<i32>().unwrap(), vec![4, 6]);
        assert_eq!(ops::argmax(&i, None, false).unwrap().dtype(), DType::I32);
        assert_eq!(ops::cumsum(&b, None, None).unwrap().to_vec::<i32>().unwrap(), vec![1, 1, 2, 3]);
        assert_eq!(ops::cumprod(&i, None, None).unwrap().to_vec::<i32>().unwrap(), vec![1, 2, 6, 24]);
        assert_eq!(ops::norm(&i, NormOrd::Default, None, false).unwrap().dtype(), DType::F32);
        assert_eq!(ops::softmax(&i, -1).unwrap().dtype(), DType::F32);
        // Empty reductions: sum 0, prod 1, mean NaN; shapes as NumPy.
        let e = ops::zeros(&[2, 0], DType::F32, &d).unwrap();
        assert_eq!(ops::sum(&e, Some(&[1]), false).unwrap().to_vec::<f32>().unwrap(), vec![0.0, 0.0]);
        assert_eq!(ops::prod(&e, Some(&[1]), true).unwrap().to_vec::<f32>().unwrap(), vec![1.0, 1.0]);
        assert!(ops::mean(&e, None, false).unwrap().item().unwrap().is_nan());
        assert_eq!(ops::max(&e, Some(&[0]), false).unwrap().dims(), &[0]);
        assert_eq!(ops::argmax(&e, Some(0), true).unwrap().dims(), &[1, 0]);
    }
}

#[test]
fn argmax_argmin_first_occurrence_and_nan() {
    let mut rng = Rng::new(12);
    for dims in [&[9][..], &[4, 6], &[3, 1, 5], &[2, 3, 300], &[1, 5000]] {
        // Small integers make many ties.
        let x = rand_tensor(&mut rng, dims, -3.0, 3.0, DType::I32, &Device::Cpu);
        let xf = ops::cast(&x, DType::F32).unwrap();
        for axis in std::iter::once(None).chain((0..dims.len() as i64).map(Some)).chain([Some(-1)]) {
            for keepdims in [false, true] {
                for (t, label) in [(&x, "int32"), (&xf, "float32")] {
                    let what = format!("argmax {label} {dims:?} {axis:?} {keepdims}");
                    check_backends(&what, &[t.clone()], 0.0, 0.0, |t| ops::argmax(&t[0], axis, keepdims));
                    check_backends(&what.replace("argmax", "argmin"), &[t.clone()], 0.0, 0.0, |t| {
                        ops::argmin(&t[0], axis, keepdims)
                    });
                }
            }
        }
    }
    for d in devices() {
        let x = Tensor::from_vec(vec![1.0f32, f32::NAN, 3.0, f32::NAN, 3.0], &[5], &d).unwrap();
        assert_eq!(ops::argmax(&x, None, false).unwrap().item().unwrap(), 1.0);
        assert_eq!(ops::argmin(&x, None, false).unwrap().item().unwrap(), 1.0);
        assert!(ops::max(&x, None, false).unwrap().item().unwrap().is_nan());
        let y = Tensor::from_vec(vec![1.0f32, 3.0, 0.0, 3.0, 0.0], &[5], &d).unwrap();
        assert_eq!(ops::argmax(&y, None, false).unwrap().item().unwrap(), 1.0);
        assert_eq!(ops::argmin(&y, Some(0), false).unwrap().item().unwrap(), 2.0);
        let z = Tensor::from_vec(vec![-0.0f32, 0.0, -0.0], &[3], &d).unwrap();
        assert_eq!(ops::argmax(&z, None, false).unwrap().item().unwrap(), 1.0);
        assert_eq!(ops::argmin(&z, None, false).unwrap().item().unwrap(), 0.0);
    }
}

#[test]
fn norms_agree() {
    let mut rng = Rng::new(13);
    let x = rand_tensor(&mut rng, &[4, 7], -2.0, 2.0, DType::F32, &Device::Cpu);
    let v = rand_tensor(&mut rng, &[11], -2.0, 2.0, DType::F32, &Device::Cpu);
    for ord in [
        NormOrd::Default,
        NormOrd::P(1.0),
        NormOrd::P(2.0),
        NormOrd::P(3.0),
        NormOrd::P(0.5),
        NormOrd::P(0.0),
        NormOrd::P(f64::INFINITY),
        NormOrd::P(f64::NEG_INFINITY),
        NormOrd::P(-1.5),
    ] {
        for axis in [Some(vec![0]), Some(vec![-1])] {
            for keepdims in [false, true] {
                check_backends(&format!("norm {ord:?} {axis:?}"), &[x.clone()], 2e-5, 2e-6, |t| {
                    ops::norm(&t[0], ord, axis.as_deref(), keepdims)
                });
            }
        }
        check_backends(&format!("vector norm {ord:?}"), &[v.clone()], 2e-5, 2e-6, |t| {
            ops::norm(&t[0], ord, None, false)
        });
    }
    for ord in [
        NormOrd::Default,
        NormOrd::Fro,
        NormOrd::P(1.0),
        NormOrd::P(-1.0),
        NormOrd::P(f64::INFINITY),
        NormOrd::P(f64::NEG_INFINITY),
    ] {
        for axis in [None, Some(vec![0, 1]), Some(vec![1, 0])] {
            for keepdims in [false, true] {
                check_backends(&format!("matrix norm {ord:?} {axis:?}"), &[x.clone()], 2e-5, 2e-6, |t| {
                    ops::norm(&t[0], ord, axis.as_deref(), keepdims)
                });
            }
        }
    }
    // Known values.
    let m = Tensor::from_vec(vec![1.0f32, -2.0, 3.0, -4.0], &[2, 2], &Device::Cpu).unwrap();
    let n = |ord| ops::norm(&m, ord, None, false).unwrap().item().unwrap();
    assert!((n(NormOrd::Fro) - 30f64.sqrt()).abs() < 1e-6);
    assert_eq!(n(NormOrd::P(1.0)), 6.0);
    assert_eq!(n(NormOrd::P(f64::INFINITY)), 7.0);
    assert_eq!(n(NormOrd::P(-1.0)), 4.0);
}

#[test]
fn scans_agree_across_backends() {
    let mut rng = Rng::new(14);
    let shapes: &[&[usize]] = &[
        &[],
        &[1],
        &[7],
        &[3, 5],
        &[2, 0, 3],
        &[2, 3, 40],
        &[3, 1500],
        &[1, 5000],
        &[40, 2, 3],
        &[1, 50_000],
        &[3, 9000],
    ];
    for dims in shapes {
        let axes: Vec<Option<i64>> =
            std::iter::once(None).chain((0..dims.len() as i64).map(Some)).chain([Some(-1)]).collect();
        for axis in axes {
            if axis.is_some() && dims.is_empty() {
                continue;
            }
            let x = rand_tensor(&mut rng, dims, -1.0, 1.0, DType::F32, &Device::Cpu);
            check_backends(&format!("cumsum {dims:?} {axis:?}"), &[x], 1e-5, 2e-5, |t| {
                ops::cumsum(&t[0], axis, None)
            });
            let x = rand_tensor(&mut rng, dims, 0.99, 1.01, DType::F32, &Device::Cpu);
            check_backends(&format!("cumprod {dims:?} {axis:?}"), &[x], 2e-5, 1e-6, |t| {
                ops::cumprod(&t[0], axis, None)
            });
            let xi = rand_tensor(&mut rng, dims, -5.0, 5.0, DType::I32, &Device::Cpu);
            check_backends(&format!("cumsum int32 {dims:?} {axis:?}"), &[xi.clone()], 0.0, 0.0, |t| {
                ops::cumsum(&t[0], axis, None)
            });
            check_backends(&format!("cumsum to f32 {dims:?} {axis:?}"), &[xi], 0.0, 0.0, |t| {
                ops::cumsum(&t[0], axis, Some(DType::F32))
            });
        }
    }
}

#[test]
fn nn_ops_agree_across_backends() {
    let mut rng = Rng::new(15);
    for dims in [&[7][..], &[3, 5], &[2, 0, 3], &[2, 3, 17], &[4, 1, 300]] {
        for axis in [-1i64, 0, 1] {
            if axis as usize >= dims.len() && axis >= 0 {
                continue;
            }
            let x = rand_tensor(&mut rng, dims, -10.0, 10.0, DType::F32, &Device::Cpu);
            check_backends(&format!("softmax {dims:?} {axis}"), &[x.clone()], 1e-5, 1e-6, |t| {
                ops::softmax(&t[0], axis)
            });
            check_backends(&format!("log_softmax {dims:?} {axis}"), &[x.clone()], 1e-5, 1e-5, |t| {
                ops::log_softmax(&t[0], axis)
            });
            for order in [1, 2, 3] {
                check_backends(
                    &format!("normalize {dims:?} {axis} {order}"),
                    &[x.clone()],
                    2e-5,
                    1e-6,
                    |t| ops::normalize(&t[0], axis, order, None),
                );
            }
            for keepdims in [false, true] {
                let axes = [axis];
                check_backends(&format!("moments mean {dims:?} {axis}"), &[x.clone()], 2e-5, 1e-5, |t| {
                    ops::moments(&t[0], &axes, keepdims, false).map(|r| r.0)
                });
                check_backends(&format!("moments var {dims:?} {axis}"), &[x.clone()], 2e-5, 1e-5, |t| {
                    ops::moments(&t[0], &axes, keepdims, false).map(|r| r.1)
                });
            }
        }
    }
    for d in devices() {
        // Softmax is stable for large inputs and sums to 1.
        let x = Tensor::from_vec(vec![1000.0f32, 1001.0, 1002.0, -1000.0], &[4], &d).unwrap();
        let s = ops::softmax(&x, -1).unwrap().to_vec::<f32>().unwrap();
        assert!((s.iter().sum::<f32>() - 1.0).abs() < 1e-6 && s.iter().all(|v| v.is_finite()), "{s:?}");
        let l = ops::log_softmax(&x, 0).unwrap().to_vec::<f32>().unwrap();
        assert!(l.iter().all(|v| v.is_finite()), "{l:?}");
        let z = ops::normalize(&ops::zeros(&[3], DType::F32, &d).unwrap(), -1, 2, None).unwrap();
        assert_eq!(z.to_vec::<f32>().unwrap(), vec![0.0; 3]);
    }
}

/// Long rows take the two-pass path on the GPU; many short rows share workgroups.
#[test]
fn long_and_many_rows_agree() {
    let mut rng = Rng::new(16);
    for dims in [&[1usize, 300_000][..], &[3, 70_001], &[20_000, 3], &[5000, 33]] {
        let x = rand_tensor(&mut rng, dims, 0.0, 1.0, DType::F32, &Device::Cpu);
        check_backends(&format!("sum {dims:?}"), &[x.clone()], 1e-5, 1e-6, |t| {
            ops::sum(&t[0], Some(&[-1]), false)
        });
        check_backends(&format!("max {dims:?}"), &[x.clone()], 0.0, 0.0, |t| {
            ops::max(&t[0], Some(&[-1]), false)
        });
        check_backends(&format!("argmin {dims:?}"), &[x.clone()], 0.0, 0.0, |t| {
            ops::argmin(&t[0], Some(-1), false)
        });
        check_backends(&format!("mean all {dims:?}"), &[x.clone()], 1e-5, 1e-6, |t| {
            ops::mean(&t[0], None, false)
        });
        check_backends(&format!("argmax all {dims:?}"), &[x], 0.0, 0.0, |t| ops::argmax(&t[0], None, false));
    }
    let xi = rand_tensor(&mut rng, &[2, 100_000], -100.0, 100.0, DType::I32, &Device::Cpu);
    check_backends("int sum two-pass", &[xi.clone()], 0.0, 0.0, |t| ops::sum(&t[0], Some(&[1]), false));
    check_backends("int argmax two-pass", &[xi], 0.0, 0.0, |t| ops::argmax(&t[0], Some(1), false));
}

/// The quick check of the brief: summing 4M float32 elements on the GPU agrees with the CPU
/// to 1e-5 relative (timings are printed, not asserted).
#[test]
fn sum_of_4m_floats_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(17);
    let n = 1 << 22;
    let x = rand_tensor(&mut rng, &[n], 0.0, 1.0, DType::F32, &Device::Cpu);
    let t0 = std::time::Instant::now();
    let cpu = ops::sum(&x, None, false).unwrap().item().unwrap();
    let cpu_t = t0.elapsed();
    let xg = x.to_device(&gpu).unwrap();
    let _warm = ops::sum(&xg, None, false).unwrap().item().unwrap();
    let t0 = std::time::Instant::now();
    let got = ops::sum(&xg, None, false).unwrap().item().unwrap();
    let gpu_t = t0.elapsed();
    let exact: f64 = x.to_vec::<f32>().unwrap().iter().map(|&v| v as f64).sum();
    eprintln!("sum of {n} f32: cpu {cpu} in {cpu_t:?}, gpu {got} in {gpu_t:?}, exact {exact}");
    assert!((got - cpu).abs() <= 1e-5 * cpu.abs(), "gpu {got} vs cpu {cpu}");
    assert!((cpu - exact).abs() <= 1e-6 * exact.abs());
}

/// With a tiny binding limit and grid, reductions and scans split into several dispatches.
#[test]
fn split_dispatches_agree() {
    let Some(_) = gpu() else { return };
    let small = Device::gpu_with(&GpuOptions {
        allow_software: true,
        max_binding_bytes: Some(4096),
        max_workgroups_per_dim: Some(3),
        ..Default::default()
    })
    .unwrap();
    let mut rng = Rng::new(18);
    for dims in [[300usize, 37], [20, 500], [1000, 3]] {
        let x = rand_tensor(&mut rng, &dims, -1.0, 1.0, DType::F32, &Device::Cpu);
        let xs = x.to_device(&small).unwrap();
        let pairs: Vec<(&str, Tensor, Tensor)> = vec![
            ("sum", ops::sum(&x, Some(&[1]), false).unwrap(), ops::sum(&xs, Some(&[1]), false).unwrap()),
            ("argmax", ops::argmax(&x, Some(1), false).unwrap(), ops::argmax(&xs, Some(1), false).unwrap()),
            ("cumsum", ops::cumsum(&x, Some(1), None).unwrap(), ops::cumsum(&xs, Some(1), None).unwrap()),
        ];
        for (name, want, got) in pairs {
            assert_close(
                &format!("{name} split {dims:?}"),
                &got.to_device(&Device::Cpu).unwrap(),
                &want,
                1e-5,
                1e-5,
            );
        }
    }
}

#[test]
fn f16_reductions_on_gpu_when_supported() {
    let Some(gpu) = gpu() else { return };
    let Device::Gpu(g) = &gpu else { return };
    if !g.has_f16() {
        return;
    }
    let mut rng = Rng::new(19);
    let x = rand_tensor(&mut rng, &[6, 40], -2.0, 2.0, DType::F16, &Device::Cpu);
    for (name, f) in [("sum", ops::sum as Reduce), ("mean", ops::mean), ("max", ops::max), ("var", ops::var)]
    {
        check_backends(&format!("{name} f16"), &[x.clone()], 2e-3, 2e-3, |t| f(&t[0], Some(&[1]), false));
    }
    check_backends("cumsum f16", &[x.clone()], 2e-3, 2e-3, |t| ops::cumsum(&t[0], Some(1), None));
    check_backends("argmax f16", &[x], 0.0, 0.0, |t| ops::argmax(&t[0], Some(0), false));
}

#[test]
fn bad_inputs_are_errors_naming_the_op() {
    for d in devices() {
        let x = ops::zeros(&[2, 3], DType::F32, &d).unwrap();
        let err = |r: Result<Tensor>| r.unwrap_err().to_string();
        let e = err(ops::sum(&x, Some(&[2]), false));
        assert!(e.contains("sum") && e.contains("axis 2"), "{e}");
        let e = err(ops::mean(&x, Some(&[0, -2]), false));
        assert!(e.contains("mean") && e.contains("repeated"), "{e}");
        let e = err(ops::argmax(&x, Some(-3), false));
        assert!(e.contains("argmax"), "{e}");
        let empty = ops::zeros(&[0, 3], DType::F32, &d).unwrap();
        let e = err(ops::max(&empty, Some(&[0]), false));
        assert!(e.contains("max") && e.contains("[0, 3]"), "{e}");
        let e = err(ops::argmin(&empty, None, false));
        assert!(e.contains("argmin"), "{e}");
        let e = err(ops::norm(&x, NormOrd::Fro, Some(&[0]), false));
        assert!(e.contains("norm"), "{e}");
        let e = err(ops::norm(&x, NormOrd::Nuc, None, false));
        assert!(e.contains("norm") && e.contains("not supported"), "{e}");
        let e =
            err(ops::norm(&ops::zeros(&[2, 2, 2], DType::F32, &d).unwrap(), NormOrd::P(1.0), None, false));
        assert!(e.contains("norm"), "{e}");
        let e = err(ops::cumsum(&x, Some(5), None));
        assert!(e.contains("cumsum"), "{e}");
        let e = err(ops::cumprod(&x, None, Some(DType::Bool)));
        assert!(e.contains("cumprod"), "{e}");
        let e = err(ops::softmax(&x, 2));
        assert!(e.contains("softmax"), "{e}");
        let b = ops::zeros(&[2], DType::Bool, &d).unwrap();
        let e = err(ops::log_softmax(&b, -1));
        assert!(e.contains("log_softmax") && e.contains("bool"), "{e}");
        let e = err(ops::normalize(&x, -1, 0, None));
        assert!(e.contains("normalize") && e.contains("order"), "{e}");
        let e = ops::moments(&x, &[3], false, false).unwrap_err().to_string();
        assert!(e.contains("axis 3"), "{e}");
    }
}
