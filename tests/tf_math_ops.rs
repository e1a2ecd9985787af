//! The TensorFlow-named math ops (`wgkeras::runtime::tf` math_ops): CPU/GPU agreement on random
//! shapes (odd, size-1 and empty dims), bad input errors that name the op, and the worked
//! examples of these ops' TensorFlow API pages, on every backend.

mod common;

use common::*;
use wgkeras::runtime::ops::TensordotAxes;
use wgkeras::runtime::tf::{self, TfNormOrd};
use wgkeras::runtime::{DType, Device, Tensor};

fn ints(v: &[i32], dims: &[usize], d: &Device) -> Tensor {
    Tensor::from_vec(v.to_vec(), dims, d).unwrap()
}

fn floats(v: &[f32], dims: &[usize], d: &Device) -> Tensor {
    Tensor::from_vec(v.to_vec(), dims, d).unwrap()
}

fn err_names(op: &str, r: wgkeras::runtime::Result<impl std::fmt::Debug>) {
    match r {
        Ok(v) => panic!("{op}: expected an error, got {v:?}"),
        Err(e) => assert!(e.to_string().starts_with(op), "error should name {op}: {e}"),
    }
}

const SHAPES: &[&[usize]] = &[&[7], &[3, 5], &[1, 4, 1], &[2, 0, 3], &[5, 1, 6, 3], &[0], &[33, 17]];

fn rand_nonzero_ints(rng: &mut Rng, dims: &[usize], big: bool) -> Tensor {
    let n: usize = dims.iter().product();
    let v: Vec<i32> = (0..n)
        .map(|_| {
            let m = if big { rng.next_u64() as i32 } else { rng.below(41) as i32 - 20 };
            if m == 0 {
                3
            } else {
                m
            }
        })
        .collect();
    ints(&v, dims, &Device::Cpu)
}

#[test]
fn division_ops_agree_and_are_exact() {
    let mut rng = Rng::new(3);
    for dims in SHAPES {
        for big in [false, true] {
            let x = rand_nonzero_ints(&mut rng, dims, big);
            let y = rand_nonzero_ints(&mut rng, dims, false);
            check_backends(&format!("truncatediv {dims:?}"), &[x.clone(), y.clone()], 0.0, 0.0, |t| {
                tf::truncatediv(&t[0], &t[1])
            });
            check_backends(&format!("truncatemod {dims:?}"), &[x.clone(), y.clone()], 0.0, 0.0, |t| {
                tf::truncatemod(&t[0], &t[1])
            });
            // Exact against Rust's truncating integer division, on every backend.
            let (xv, yv) = (x.to_vec::<i32>().unwrap(), y.to_vec::<i32>().unwrap());
            for d in devices() {
                let q = tf::truncatediv(&x.to_device(&d).unwrap(), &y.to_device(&d).unwrap()).unwrap();
                let m = tf::truncatemod(&x.to_device(&d).unwrap(), &y.to_device(&d).unwrap()).unwrap();
                let want_q: Vec<i32> = xv.iter().zip(&yv).map(|(a, b)| a.wrapping_div(*b)).collect();
                let want_m: Vec<i32> = xv.iter().zip(&yv).map(|(a, b)| a.wrapping_rem(*b)).collect();
                assert_eq!(q.to_vec::<i32>().unwrap(), want_q, "truncatediv {dims:?} on {d:?}");
                assert_eq!(m.to_vec::<i32>().unwrap(), want_m, "truncatemod {dims:?} on {d:?}");
            }
        }
        let a = rand_tensor(&mut rng, dims, -5.0, 5.0, DType::F32, &Device::Cpu);
        let b = rand_tensor(&mut rng, dims, 0.5, 3.0, DType::F32, &Device::Cpu);
        check_backends(&format!("realdiv {dims:?}"), &[a.clone(), b.clone()], 1e-6, 1e-6, |t| {
            tf::realdiv(&t[0], &t[1])
        });
        check_backends(&format!("truncatemod f32 {dims:?}"), &[a, b], 1e-5, 1e-5, |t| {
            tf::truncatemod(&t[0], &t[1])
        });
    }
}

#[test]
fn clip_and_norm_ops_agree() {
    let mut rng = Rng::new(5);
    for dims in SHAPES {
        let t = rand_tensor(&mut rng, dims, -3.0, 3.0, DType::F32, &Device::Cpu);
        let lo = Tensor::scalar(-1.0f32, &Device::Cpu).unwrap();
        let hi = Tensor::scalar(0.5f32, &Device::Cpu).unwrap();
        check_backends(&format!("clip_by_value {dims:?}"), &[t.clone(), lo, hi], 0.0, 0.0, |x| {
            tf::clip_by_value(&x[0], &x[1], &x[2])
        });
        check_backends(&format!("clip_by_norm {dims:?}"), &[t.clone()], 1e-5, 1e-6, |x| {
            tf::clip_by_norm(&x[0], 1.5, None)
        });
        let last = [dims.len() as i64 - 1];
        check_backends(&format!("clip_by_norm axes {dims:?}"), &[t.clone()], 1e-5, 1e-6, |x| {
            tf::clip_by_norm(&x[0], 0.7, Some(&last))
        });
        check_backends(&format!("norm {dims:?}"), &[t.clone()], 1e-5, 1e-6, |x| {
            tf::norm(&x[0], TfNormOrd::Euclidean, None, false)
        });
        check_backends(&format!("norm p3 {dims:?}"), &[t.clone()], 1e-4, 1e-5, |x| {
            tf::norm(&x[0], TfNormOrd::P(3.0), Some(&last), true)
        });
        check_backends(&format!("clip_by_global_norm {dims:?}"), &[t.clone()], 1e-5, 1e-6, |x| {
            let (out, n) = tf::clip_by_global_norm(&[x[0].clone(), x[0].clone()], 1.0, None)?;
            wgkeras::runtime::ops::add(&out[1], &wgkeras::runtime::ops::cast(&n, DType::F32)?)
        });
        let paddings: Vec<[i64; 2]> = dims.iter().map(|&d| [d.min(1) as i64, 0]).collect();
        for mode in ["CONSTANT", "REFLECT", "SYMMETRIC"] {
            let p: Vec<[i64; 2]> = if mode == "REFLECT" {
                dims.iter().map(|&d| [(d.max(1) - 1).min(1) as i64, 0]).collect()
            } else {
                paddings.clone()
            };
            check_backends(&format!("pad {mode} {dims:?}"), &[t.clone()], 0.0, 0.0, |x| {
                tf::pad(&x[0], &p, mode, 2.0)
            });
        }
    }
}

#[test]
fn searchsorted_tensordot_einsum_agree() {
    let mut rng = Rng::new(9);
    for (rows, n, m) in [(1, 7, 3), (4, 1, 5), (3, 0, 2), (2, 33, 0), (5, 17, 9)] {
        let seq = rand_tensor(&mut rng, &[rows, n], -2.0, 2.0, DType::F32, &Device::Cpu);
        let seq = wgkeras::runtime::ops::sort(&seq, -1).unwrap();
        let v = rand_tensor(&mut rng, &[rows, m], -2.5, 2.5, DType::F32, &Device::Cpu);
        for side in ["left", "right"] {
            check_backends(
                &format!("searchsorted {rows}x{n} {side}"),
                &[seq.clone(), v.clone()],
                0.0,
                0.0,
                |t| tf::searchsorted(&t[0], &t[1], side, DType::I32),
            );
        }
    }
    let a = rand_tensor(&mut rng, &[3, 4, 5], -1.0, 1.0, DType::F32, &Device::Cpu);
    let b = rand_tensor(&mut rng, &[5, 2, 3], -1.0, 1.0, DType::F32, &Device::Cpu);
    check_backends("tensordot pairs", &[a.clone(), b.clone()], 1e-5, 1e-5, |t| {
        tf::tensordot(&t[0], &t[1], TensordotAxes::Pair(vec![0, 2], vec![2, 0]))
    });
    check_backends("einsum", &[a, b], 1e-5, 1e-5, |t| tf::einsum("ijk,kli->jl", &[&t[0], &t[1]]));
}

#[test]
fn bad_inputs_name_the_op() {
    let d = Device::Cpu;
    let x = ints(&[1, 2], &[2], &d);
    let z = ints(&[1, 0], &[2], &d);
    let f = floats(&[1.0, 2.0], &[2], &d);
    err_names("tf.truncatediv", tf::truncatediv(&x, &z));
    err_names("tf.truncatediv", tf::truncatediv(&x, &f));
    err_names("tf.truncatemod", tf::truncatemod(&x, &z));
    err_names("tf.realdiv", tf::realdiv(&x, &x));
    let lo = floats(&[0.0, 0.0, 0.0], &[3], &d);
    err_names("tf.clip_by_value", tf::clip_by_value(&f, &lo, &lo));
    err_names("tf.clip_by_value", tf::clip_by_value(&x, &lo, &lo));
    err_names("tf.clip_by_norm", tf::clip_by_norm(&x, 1.0, None));
    err_names("tf.clip_by_norm", tf::clip_by_norm(&f, 1.0, Some(&[3])));
    err_names("tf.clip_by_global_norm", tf::clip_by_global_norm(&[], 1.0, None));
    err_names("tf.searchsorted", tf::searchsorted(&floats(&[1.0; 4], &[2, 2], &d), &f, "left", DType::I32));
    err_names("tf.searchsorted", tf::searchsorted(&f, &f, "middle", DType::I32));
    err_names("tf.norm", tf::norm(&f, TfNormOrd::P(-1.0), None, false));
    err_names("tf.norm", tf::norm(&floats(&[1.0; 4], &[2, 2], &d), TfNormOrd::P(2.0), Some(&[0, 1]), false));
    err_names("tf.tensordot", tf::tensordot(&f, &lo, TensordotAxes::Count(1)));
    err_names("tf.einsum", tf::einsum("ij,jk->ik", &[&f, &f]));
    err_names("tf.pad", tf::pad(&f, &[[2, 0]], "REFLECT", 0.0));
    err_names("tf.pad", tf::pad(&f, &[[3, 0]], "SYMMETRIC", 0.0));
    err_names("tf.pad", tf::pad(&f, &[[1, 0]], "WRAP", 0.0));
    err_names("tf.pad", tf::pad(&f, &[[1, 0], [0, 0]], "CONSTANT", 0.0));
}

#[test]
fn seed_page_examples() {
    for d in devices() {
        // tf.clip_by_norm
        let t = floats(&[1.0, 2.0, 3.0, 4.0, 5.0], &[1, 5], &d);
        let got = tf::clip_by_norm(&t, 2.0, None).unwrap().to_vec::<f32>().unwrap();
        let want = [0.26967996f32, 0.5393599, 0.80903983, 1.0787199, 1.3483998];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "clip_by_norm {got:?}");
        }
        // tf.searchsorted
        let edges = floats(&[-1.0, 3.3, 9.1, 10.0], &[4], &d);
        let values = floats(&[0.0, 4.1, 12.0], &[3], &d);
        let r = tf::searchsorted(&edges, &values, "left", DType::I32).unwrap();
        assert_eq!(r.to_vec::<i32>().unwrap(), vec![1, 2, 4]);
        let seq = ints(&[0, 3, 9, 10, 10], &[5], &d);
        let v = ints(&[0, 4, 10], &[3], &d);
        assert_eq!(
            tf::searchsorted(&seq, &v, "left", DType::I32).unwrap().to_vec::<i32>().unwrap(),
            vec![0, 2, 3]
        );
        assert_eq!(
            tf::searchsorted(&seq, &v, "right", DType::I32).unwrap().to_vec::<i32>().unwrap(),
            vec![1, 2, 5]
        );
        let s2 = floats(&[0., 3., 8., 9., 10., 1., 2., 3., 4., 5.], &[2, 5], &d);
        let v2 = floats(&[9.8, 2.1, 4.3, 0.1, 6.6, 4.5], &[2, 3], &d);
        let r = tf::searchsorted(&s2, &v2, "left", DType::I32).unwrap();
        assert_eq!(r.to_vec::<i32>().unwrap(), vec![4, 1, 2, 0, 5, 4]);
        assert_eq!(r.dims(), &[2, 3]);
        // tf.tensordot: a_ijk, b_lmn, axes [[0],[2]] gives c_jklm.
        let a = Tensor::from_vec((0..24).map(|x| x as f32).collect(), &[2, 3, 4], &d).unwrap();
        let b = Tensor::from_vec((0..30).map(|x| x as f32).collect(), &[5, 3, 2], &d).unwrap();
        let c = tf::tensordot(&a, &b, TensordotAxes::Pair(vec![0], vec![2])).unwrap();
        assert_eq!(c.dims(), &[3, 4, 5, 3]);
        // tf.clip_by_global_norm: t * clip_norm / max(global_norm, clip_norm).
        let t1 = floats(&[3.0, 4.0], &[2], &d);
        let (out, n) = tf::clip_by_global_norm(&[t1], 1.0, None).unwrap();
        assert_eq!(n.to_vec::<f32>().unwrap(), vec![5.0]);
        assert_eq!(out[0].to_vec::<f32>().unwrap(), vec![0.6, 0.8]);
        // tf.truncatemod: sign follows the dividend.
        let m = tf::truncatemod(&ints(&[-7, 7], &[2], &d), &ints(&[3, -3], &[2], &d)).unwrap();
        assert_eq!(m.to_vec::<i32>().unwrap(), vec![-1, 1]);
    }
}

#[test]
fn unique_agrees_and_matches_the_seed_example() {
    let mut rng = Rng::new(11);
    for n in [0usize, 1, 7, 40, 129] {
        let x = rand_nonzero_ints(&mut rng, &[n], false);
        for part in 0..3 {
            check_backends(&format!("unique_with_counts n={n} part {part}"), &[x.clone()], 0.0, 0.0, |t| {
                let (y, i, c) = tf::unique_with_counts(&t[0], DType::I32)?;
                Ok([y, i, c][part].clone())
            });
        }
    }
    for d in devices() {
        let x = ints(&[1, 1, 2, 4, 4, 4, 7, 8, 8], &[9], &d);
        let (y, idx, counts) = tf::unique_with_counts(&x, DType::I32).unwrap();
        assert_eq!(y.to_vec::<i32>().unwrap(), vec![1, 2, 4, 7, 8]);
        assert_eq!(idx.to_vec::<i32>().unwrap(), vec![0, 0, 1, 2, 2, 2, 3, 4, 4]);
        assert_eq!(counts.to_vec::<i32>().unwrap(), vec![2, 1, 3, 1, 2]);
        let (y2, _) = tf::unique(&x, DType::I32).unwrap();
        assert_eq!(y2.to_vec::<i32>().unwrap(), vec![1, 2, 4, 7, 8]);
    }
    err_names("tf.unique", tf::unique(&ints(&[1, 2, 3, 4], &[2, 2], &Device::Cpu), DType::I32));
    err_names("tf.unique_with_counts", tf::unique_with_counts(&ints(&[1], &[1], &Device::Cpu), DType::F32));
}

#[test]
fn unsigned_truncatediv_is_exact() {
    let mut rng = Rng::new(21);
    let n = 300;
    let x: Vec<u32> = (0..n).map(|_| rng.next_u64() as u32).collect();
    let y: Vec<u32> = (0..n)
        .map(|i| if i % 2 == 0 { 1 + rng.below(50) as u32 } else { 1 + rng.next_u64() as u32 % 100_000 })
        .collect();
    for d in devices() {
        let xt = Tensor::from_vec(x.clone(), &[n], &d).unwrap();
        let yt = Tensor::from_vec(y.clone(), &[n], &d).unwrap();
        let q = tf::truncatediv(&xt, &yt).unwrap().to_vec::<u32>().unwrap();
        let m = tf::truncatemod(&xt, &yt).unwrap().to_vec::<u32>().unwrap();
        let want_q: Vec<u32> = x.iter().zip(&y).map(|(a, b)| a / b).collect();
        let want_m: Vec<u32> = x.iter().zip(&y).map(|(a, b)| a % b).collect();
        assert_eq!(q, want_q, "u32 truncatediv on {d:?}");
        assert_eq!(m, want_m, "u32 truncatemod on {d:?}");
    }
}
