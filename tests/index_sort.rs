//! Cross-backend agreement of the indexing and sorting ops, and their errors.

mod common;

use common::*;
use wgkeras::ops;
use wgkeras::runtime::{CpuStorage, DType, Device, Tensor};

fn ints(v: &[i32], dims: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), dims, &Device::Cpu).unwrap()
}

fn floats(v: &[f32], dims: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), dims, &Device::Cpu).unwrap()
}

/// Random int32 indices in `[lo, hi)`.
fn rand_idx(rng: &mut Rng, dims: &[usize], lo: i64, hi: i64) -> Tensor {
    let n: usize = dims.iter().product();
    let v: Vec<i32> = (0..n).map(|_| (lo + rng.below((hi - lo) as usize) as i64) as i32).collect();
    ints(&v, dims)
}

/// Floats with many ties (small integers) and, when `nans`, some NaNs.
fn tied(rng: &mut Rng, dims: &[usize], nans: bool) -> Tensor {
    let n: usize = dims.iter().product();
    let v: Vec<f32> = (0..n)
        .map(|_| {
            let r = rng.below(12);
            if nans && r == 0 {
                f32::NAN
            } else {
                (r as f32 - 6.0) * 0.5
            }
        })
        .collect();
    floats(&v, dims)
}

fn err_names(op: &str, r: wgkeras::runtime::Result<impl std::fmt::Debug>) {
    match r {
        Ok(v) => panic!("{op}: expected an error, got {v:?}"),
        Err(e) => assert!(e.to_string().starts_with(op), "error should name {op}: {e}"),
    }
}

#[test]
fn take_agrees() {
    let mut rng = Rng::new(11);
    let cases: &[(&[usize], Option<i64>, &[usize])] = &[
        (&[7], None, &[5]),
        (&[3, 4, 5], Some(1), &[2, 3]),
        (&[3, 4, 5], Some(-1), &[6]),
        (&[3, 4, 5], Some(0), &[]),
        (&[1, 1000], Some(1), &[37]),
        (&[2, 0, 3], Some(2), &[4]),
        (&[2, 3], Some(0), &[0]),
        (&[3], None, &[1]),
    ];
    for (xd, axis, id) in cases {
        let n: usize = xd.iter().product();
        let a = match axis {
            None => n,
            Some(a) => xd[if *a < 0 { xd.len() - 1 } else { *a as usize }],
        } as i64;
        let x = rand_tensor(&mut rng, xd, -3.0, 3.0, DType::F32, &Device::Cpu);
        let idx = rand_idx(&mut rng, id, -a, a.max(1));
        let idx = if a == 0 { ints(&vec![0; idx.numel()], id) } else { idx };
        if a == 0 && idx.numel() > 0 {
            continue;
        }
        check_backends(&format!("take {xd:?} {axis:?} {id:?}"), &[x.clone(), idx.clone()], 0.0, 0.0, |t| {
            ops::take(&t[0], &t[1], *axis)
        });
        let xi = ops::cast(&x, DType::I32).unwrap();
        check_backends("take int32", &[xi, idx.clone()], 0.0, 0.0, |t| ops::take(&t[0], &t[1], *axis));
        let xb = ops::greater(&x, &Tensor::scalar(0.0f32, &Device::Cpu).unwrap()).unwrap();
        check_backends("take bool", &[xb, idx], 0.0, 0.0, |t| ops::take(&t[0], &t[1], *axis));
    }
    // Negative indices wrap like NumPy.
    let x = floats(&[1.0, 2.0, 3.0], &[3]);
    for d in devices() {
        let r = ops::take(&x.to_device(&d).unwrap(), &ints(&[-1, -3, 0], &[3]).to_device(&d).unwrap(), None);
        assert_eq!(r.unwrap().to_vec::<f32>().unwrap(), vec![3.0, 1.0, 1.0]);
    }
}

#[test]
fn take_along_axis_agrees() {
    let mut rng = Rng::new(12);
    for (xd, id, axis) in [
        (vec![3, 5], vec![3, 2], 1i64),
        (vec![3, 5], vec![4, 5], 0),
        (vec![2, 4, 3], vec![1, 6, 1], 1),
        (vec![2, 1000], vec![2, 1000], -1),
        (vec![1, 3], vec![1, 0], 1),
    ] {
        let a = xd[if axis < 0 { xd.len() - 1 } else { axis as usize }] as i64;
        let x = rand_tensor(&mut rng, &xd, -3.0, 3.0, DType::F32, &Device::Cpu);
        let idx = rand_idx(&mut rng, &id, -a, a);
        check_backends(&format!("take_along_axis {xd:?} {id:?}"), &[x, idx], 0.0, 0.0, |t| {
            ops::take_along_axis(&t[0], &t[1], Some(axis))
        });
    }
    let x = rand_tensor(&mut rng, &[4, 3], -3.0, 3.0, DType::F32, &Device::Cpu);
    check_backends("take_along_axis None", &[x, ints(&[11, -1, 0], &[3])], 0.0, 0.0, |t| {
        ops::take_along_axis(&t[0], &t[1], None)
    });
    // argsort + take_along_axis sorts.
    let x = tied(&mut rng, &[3, 17], false);
    check_backends("sort via take_along_axis", &[x], 0.0, 0.0, |t| {
        let i = ops::argsort(&t[0], -1)?;
        let s = ops::take_along_axis(&t[0], &i, Some(-1))?;
        let direct = ops::sort(&t[0], -1)?;
        assert_eq!(s.to_vec_f64()?, direct.to_vec_f64()?);
        Ok(s)
    });
}

#[test]
fn one_hot_and_multi_hot_agree() {
    let mut rng = Rng::new(13);
    for dims in [vec![5], vec![3, 4], vec![2, 0], vec![], vec![1, 1000]] {
        let x = rand_idx(&mut rng, &dims, -2, 7);
        for axis in [-1i64, 0] {
            for dtype in [None, Some(DType::I32), Some(DType::Bool)] {
                check_backends(&format!("one_hot {dims:?} {axis} {dtype:?}"), &[x.clone()], 0.0, 0.0, |t| {
                    ops::one_hot(&t[0], 5, axis, dtype)
                });
                if !dims.is_empty() && dims.iter().all(|&d| d > 0) {
                    check_backends(&format!("multi_hot {dims:?} {axis}"), &[x.clone()], 0.0, 0.0, |t| {
                        ops::multi_hot(&t[0], 5, axis, dtype)
                    });
                }
            }
        }
    }
    let r = ops::one_hot(&ints(&[0, 3, -1], &[3]), 3, -1, None).unwrap();
    assert_eq!(r.to_vec::<f32>().unwrap(), vec![1., 0., 0., 0., 0., 0., 0., 0., 0.]);
}

#[test]
fn scatter_ops_agree() {
    let mut rng = Rng::new(14);
    for (shape, m, k) in [
        (vec![5], 7, 1),
        (vec![4, 3], 9, 2),
        (vec![4, 3], 6, 1),
        (vec![3, 2, 5], 4, 2),
        (vec![3], 0, 1),
        (vec![50, 7], 3000, 1),
    ] {
        let n_rows = m;
        let mut idx = Vec::new();
        for _ in 0..n_rows {
            for &d in &shape[..k] {
                idx.push(rng.below(2 * d) as i32 - d as i32);
            }
        }
        let indices = ints(&idx, &[n_rows, k]);
        let mut vd = vec![n_rows];
        vd.extend_from_slice(&shape[k..]);
        let values = rand_tensor(&mut rng, &vd, -2.0, 2.0, DType::F32, &Device::Cpu);
        check_backends(&format!("scatter {shape:?}"), &[indices.clone(), values.clone()], 0.0, 0.0, |t| {
            ops::scatter(&t[0], &t[1], &shape)
        });
        let vi = ops::cast(
            &ops::multiply(&values, &Tensor::scalar(10.0f32, &Device::Cpu).unwrap()).unwrap(),
            DType::I32,
        )
        .unwrap();
        check_backends("scatter int", &[indices.clone(), vi], 0.0, 0.0, |t| {
            ops::scatter(&t[0], &t[1], &shape)
        });
        let base = rand_tensor(&mut rng, &shape, -2.0, 2.0, DType::F32, &Device::Cpu);
        check_backends(&format!("scatter_update {shape:?}"), &[base, indices, values], 0.0, 0.0, |t| {
            ops::scatter_update(&t[0], &t[1], &t[2])
        });
    }
    // Duplicates add.
    let r = ops::scatter(&ints(&[1, 1, 0], &[3, 1]), &floats(&[1.0, 2.0, 5.0], &[3]), &[3]).unwrap();
    assert_eq!(r.to_vec::<f32>().unwrap(), vec![5.0, 3.0, 0.0]);
}

#[test]
fn sort_and_argsort_agree() {
    let mut rng = Rng::new(15);
    let shapes: &[&[usize]] = &[
        &[1],
        &[3],
        &[1000],
        &[4, 1],
        &[5, 3],
        &[2, 7, 3],
        &[2, 0],
        &[0, 4],
        &[3, 1025],
        &[6, 33],
        &[700, 3],
        &[2, 5000],
    ];
    for dims in shapes {
        for nans in [false, true] {
            let x = tied(&mut rng, dims, nans);
            for axis in [-1i64, 0] {
                check_backends(&format!("argsort {dims:?} {axis} nan={nans}"), &[x.clone()], 0.0, 0.0, |t| {
                    ops::argsort(&t[0], axis)
                });
                check_backends(&format!("sort {dims:?} {axis} nan={nans}"), &[x.clone()], 0.0, 0.0, |t| {
                    ops::sort(&t[0], axis)
                });
            }
        }
        let xi = ops::cast(&tied(&mut rng, dims, false), DType::I32).unwrap();
        check_backends("argsort int32", &[xi.clone()], 0.0, 0.0, |t| ops::argsort(&t[0], -1));
        check_backends("sort int32", &[xi], 0.0, 0.0, |t| ops::sort(&t[0], -1));
    }
    // Stable with NaNs last.
    let x = floats(&[2.0, f32::NAN, 1.0, 2.0, f32::NAN, 1.0], &[6]);
    for d in devices() {
        let i = ops::argsort(&x.to_device(&d).unwrap(), -1).unwrap();
        assert_eq!(i.to_vec::<i32>().unwrap(), vec![2, 5, 0, 3, 1, 4], "on {}", d.name());
    }
}

#[test]
fn float16_where_the_adapter_has_it() {
    let has_f16 = matches!(gpu(), Some(Device::Gpu(g)) if g.has_f16());
    if !has_f16 {
        eprintln!("no SHADER_F16 on this adapter: float16 GPU checks skipped");
        return;
    }
    let mut rng = Rng::new(20);
    let x = ops::cast(&tied(&mut rng, &[3, 37], true), DType::F16).unwrap();
    check_backends("argsort f16", &[x.clone()], 0.0, 0.0, |t| ops::argsort(&t[0], -1));
    check_backends("top_k f16", &[x.clone()], 0.0, 0.0, |t| Ok(ops::top_k(&t[0], 4, true)?.0));
    check_backends("take f16", &[x.clone(), ints(&[2, -1], &[2])], 0.0, 0.0, |t| {
        ops::take(&t[0], &t[1], Some(1))
    });
    check_backends("one_hot f16", &[ints(&[0, 2, 5], &[3])], 0.0, 0.0, |t| {
        ops::one_hot(&t[0], 3, -1, Some(DType::F16))
    });
}

#[test]
fn top_k_agrees() {
    let mut rng = Rng::new(16);
    for (dims, k) in [
        (vec![6], 3),
        (vec![4, 11], 5),
        (vec![3, 3], 3),
        (vec![2, 1000], 10),
        (vec![5, 1], 1),
        (vec![3, 4], 0),
        (vec![0, 4], 2),
    ] {
        for nans in [false, true] {
            let x = tied(&mut rng, &dims, nans);
            check_backends(&format!("top_k values {dims:?} {k}"), &[x.clone()], 0.0, 0.0, |t| {
                Ok(ops::top_k(&t[0], k, true)?.0)
            });
            check_backends(&format!("top_k indices {dims:?} {k}"), &[x.clone()], 0.0, 0.0, |t| {
                Ok(ops::top_k(&t[0], k, true)?.1)
            });
        }
    }
    let x = floats(&[1.0, 3.0, f32::NAN, 3.0], &[4]);
    for d in devices() {
        let (v, i) = ops::top_k(&x.to_device(&d).unwrap(), 3, true).unwrap();
        assert_eq!(i.to_vec::<i32>().unwrap(), vec![2, 1, 3]);
        assert!(v.to_vec::<f32>().unwrap()[0].is_nan());
    }
}

#[test]
fn in_top_k_agrees() {
    let mut rng = Rng::new(17);
    for (rows, classes) in [(1usize, 1usize), (3, 5), (7, 1000), (0, 3)] {
        let preds = tied(&mut rng, &[rows, classes], true);
        let targets = rand_idx(&mut rng, &[rows], -(classes as i64), classes as i64 + 2);
        for k in [0, 1, 3] {
            check_backends(
                &format!("in_top_k {rows}x{classes} k={k}"),
                &[targets.clone(), preds.clone()],
                0.0,
                0.0,
                |t| ops::in_top_k(&t[0], &t[1], k),
            );
        }
    }
}

#[test]
fn searches_agree() {
    let mut rng = Rng::new(18);
    for m in [0usize, 1, 3, 1000] {
        let mut seq: Vec<f32> = tied(&mut rng, &[m], false).to_vec().unwrap();
        seq.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let seq_t = floats(&seq, &[m]);
        let vals = tied(&mut rng, &[3, 7], true);
        for side in ["left", "right"] {
            check_backends(
                &format!("searchsorted m={m} {side}"),
                &[seq_t.clone(), vals.clone()],
                0.0,
                0.0,
                |t| ops::searchsorted(&t[0], &t[1], side),
            );
        }
        check_backends(&format!("digitize m={m}"), &[vals.clone(), seq_t.clone()], 0.0, 0.0, |t| {
            ops::digitize(&t[0], &t[1])
        });
        let rev: Vec<f32> = seq.iter().rev().cloned().collect();
        check_backends(
            &format!("digitize decreasing m={m}"),
            &[vals.clone(), floats(&rev, &[m])],
            0.0,
            0.0,
            |t| ops::digitize(&t[0], &t[1]),
        );
    }
    let r = ops::searchsorted(&floats(&[1.0, 2.0, 2.0, 3.0], &[4]), &floats(&[2.0, 0.0, 5.0], &[3]), "right")
        .unwrap();
    assert_eq!(r.to_vec::<i32>().unwrap(), vec![3, 0, 4]);
}

#[test]
fn histogram_and_bincount_agree() {
    let mut rng = Rng::new(19);
    for n in [1usize, 3, 1000] {
        let x = rand_tensor(&mut rng, &[n], -3.0, 3.0, DType::F32, &Device::Cpu);
        for (bins, range) in [(10usize, None), (3, Some((-1.0, 1.0))), (1, None), (0, Some((0.0, 1.0)))] {
            check_backends(&format!("histogram counts n={n} {bins}"), &[x.clone()], 0.0, 0.0, |t| {
                Ok(ops::histogram(&t[0], bins, range)?.0)
            });
            check_backends(&format!("histogram edges n={n} {bins}"), &[x.clone()], 0.0, 0.0, |t| {
                Ok(ops::histogram(&t[0], bins, range)?.1)
            });
        }
    }
    let empty = floats(&[], &[0]);
    check_backends("histogram empty", &[empty], 0.0, 0.0, |t| {
        Ok(ops::histogram(&t[0], 4, Some((0.0, 1.0)))?.0)
    });
    for dims in [vec![7], vec![3, 5], vec![0], vec![2, 0], vec![1000]] {
        let x = rand_idx(&mut rng, &dims, 0, 9);
        let w = rand_tensor(&mut rng, &dims, -1.0, 1.0, DType::F32, &Device::Cpu);
        for minlength in [0usize, 12] {
            check_backends(&format!("bincount {dims:?} {minlength}"), &[x.clone()], 0.0, 0.0, |t| {
                ops::bincount(&t[0], None, minlength, false)
            });
            check_backends(&format!("bincount weights {dims:?}"), &[x.clone(), w.clone()], 0.0, 0.0, |t| {
                ops::bincount(&t[0], Some(&t[1]), minlength, false)
            });
        }
    }
    let r = ops::bincount(&ints(&[1, 2, 2], &[3]), None, 0, false).unwrap();
    assert_eq!(r.to_vec::<i32>().unwrap(), vec![0, 1, 2]);
}

#[test]
fn bad_inputs_are_errors_naming_the_op() {
    let x = floats(&[1.0, 2.0, 3.0], &[3]);
    err_names("take", ops::take(&x, &ints(&[3], &[1]), None));
    err_names("take", ops::take(&x, &ints(&[-4], &[1]), Some(0)));
    err_names("take", ops::take(&x, &floats(&[0.0], &[1]), None));
    err_names("take", ops::take(&x, &ints(&[0], &[1]), Some(1)));
    err_names("take_along_axis", ops::take_along_axis(&x, &ints(&[5], &[1]), Some(0)));
    err_names("take_along_axis", ops::take_along_axis(&x, &ints(&[0], &[1, 1]), Some(0)));
    err_names("one_hot", ops::one_hot(&ints(&[0], &[1]), -1, -1, None));
    err_names("one_hot", ops::one_hot(&ints(&[0], &[1]), 3, 2, None));
    err_names("multi_hot", ops::multi_hot(&ints(&[0], &[1]), -2, -1, None));
    err_names("scatter", ops::scatter(&ints(&[5], &[1, 1]), &floats(&[1.0], &[1]), &[3]));
    err_names("scatter", ops::scatter(&ints(&[0], &[1, 1]), &floats(&[1.0, 2.0], &[2]), &[3]));
    err_names("scatter_update", ops::scatter_update(&x, &ints(&[0, 0], &[1, 2]), &floats(&[1.0], &[1])));
    err_names("top_k", ops::top_k(&x, 4, true).map(|r| r.0));
    err_names("top_k", ops::top_k(&x, -1, true).map(|r| r.0));
    err_names("in_top_k", ops::in_top_k(&ints(&[0], &[1]), &floats(&[1.0, 2.0], &[1, 2]), -1));
    err_names("in_top_k", ops::in_top_k(&ints(&[0, 1], &[2]), &floats(&[1.0, 2.0], &[1, 2]), 1));
    err_names("searchsorted", ops::searchsorted(&x, &x, "middle"));
    err_names("searchsorted", ops::searchsorted(&floats(&[1.0, 2.0], &[1, 2]), &x, "left"));
    err_names("digitize", ops::digitize(&x, &floats(&[1.0, 2.0], &[1, 2])));
    err_names("histogram", ops::histogram(&floats(&[1.0, 2.0], &[1, 2]), 3, None).map(|r| r.0));
    err_names("histogram", ops::histogram(&x, 3, Some((2.0, 1.0))).map(|r| r.0));
    err_names("histogram", ops::histogram(&floats(&[], &[0]), 3, None).map(|r| r.0));
    err_names("bincount", ops::bincount(&ints(&[1, -1], &[2]), None, 0, false));
    err_names("bincount", ops::bincount(&x, None, 0, false));
    err_names("bincount", ops::bincount(&ints(&[1], &[1]), None, 0, true));
    err_names("sort", ops::sort(&Tensor::scalar(1.0f32, &Device::Cpu).unwrap(), -1));
    err_names("argsort", ops::argsort(&x, 1));
    // On the GPU, out-of-range gather indices are clamped (documented), never a crash.
    if let Some(g) = gpu() {
        let r = ops::take(&x.to_device(&g).unwrap(), &ints(&[7, -9], &[2]).to_device(&g).unwrap(), None);
        assert_eq!(r.unwrap().to_vec::<f32>().unwrap(), vec![3.0, 1.0]);
    }
    let _ = CpuStorage::zeros(DType::F32, 0);
}
