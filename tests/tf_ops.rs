//! The TensorFlow-named ops (`wgkeras::runtime::tf`): CPU/GPU agreement on random shapes
//! (odd, size-1 and empty dims), bad input errors that name the op, and every worked example
//! of these ops' TensorFlow API pages, run on every backend.

mod common;

use common::*;
use wgkeras::ops;
use wgkeras::runtime::tf::{self, OneHotOptions, StridedSliceMasks};
use wgkeras::runtime::{DType, Device, Tensor};

fn ints(v: &[i32], dims: &[usize], d: &Device) -> Tensor {
    Tensor::from_vec(v.to_vec(), dims, d).unwrap()
}

fn floats(v: &[f32], dims: &[usize], d: &Device) -> Tensor {
    Tensor::from_vec(v.to_vec(), dims, d).unwrap()
}

fn i32s(t: &Tensor) -> Vec<i32> {
    assert_eq!(t.dtype(), DType::I32, "{t:?}");
    t.to_vec::<i32>().unwrap()
}

fn f32s(t: &Tensor) -> Vec<f32> {
    assert_eq!(t.dtype(), DType::F32, "{t:?}");
    t.to_vec::<f32>().unwrap()
}

fn err_names(op: &str, r: wgkeras::runtime::Result<impl std::fmt::Debug>) {
    match r {
        Ok(v) => panic!("{op}: expected an error, got {v:?}"),
        Err(e) => assert!(e.to_string().starts_with(op), "error should name {op}: {e}"),
    }
}

/// Like `check_backends`, but an error on the CPU must be an error on the GPU too.
fn agree(what: &str, inputs: &[Tensor], f: impl Fn(&[Tensor]) -> wgkeras::runtime::Result<Tensor>) {
    let cpu_in: Vec<Tensor> = inputs.iter().map(|t| t.to_device(&Device::Cpu).unwrap()).collect();
    if let Err(e) = f(&cpu_in) {
        if let Some(g) = gpu() {
            let gpu_in: Vec<Tensor> = inputs.iter().map(|t| t.to_device(&g).unwrap()).collect();
            assert!(f(&gpu_in).is_err(), "{what}: cpu fails ({e}) but gpu succeeds");
        }
        return;
    }
    check_backends(what, inputs, 0.0, 0.0, f);
}

fn rand_ints(rng: &mut Rng, dims: &[usize], lo: i64, hi: i64) -> Tensor {
    let n: usize = dims.iter().product();
    let v: Vec<i32> = (0..n).map(|_| (lo + rng.below((hi - lo) as usize) as i64) as i32).collect();
    ints(&v, dims, &Device::Cpu)
}

const SHAPES: &[&[usize]] = &[&[7], &[3, 5], &[1, 4, 1], &[2, 0, 3], &[5, 1, 6, 3], &[0], &[33, 17]];

// ---------------------------------------------------------------------------------------------
// Cross-backend agreement
// ---------------------------------------------------------------------------------------------

#[test]
fn fill_and_eye_agree() {
    for dims in SHAPES {
        let d: Vec<i64> = dims.iter().map(|&x| x as i64).collect();
        for v in [Tensor::scalar(2.5f32, &Device::Cpu).unwrap(), Tensor::scalar(-7i32, &Device::Cpu).unwrap()]
        {
            agree(&format!("fill {dims:?}"), &[v], |t| tf::fill(&d, &t[0]));
        }
        let b = Tensor::scalar(true, &Device::Cpu).unwrap();
        agree(&format!("fill bool {dims:?}"), &[b], |t| tf::fill(&d, &t[0]));
    }
    for (r, c, batch) in
        [(3, None, None), (4, Some(2), Some(vec![2, 3])), (1, Some(5), Some(vec![0])), (0, None, None)]
    {
        for dtype in [DType::F32, DType::I32, DType::Bool] {
            let cpu = tf::eye(r, c, batch.as_deref(), dtype, &Device::Cpu).unwrap();
            if let Some(g) = gpu() {
                let got = tf::eye(r, c, batch.as_deref(), dtype, &g).unwrap();
                assert_close("eye", &got.to_device(&Device::Cpu).unwrap(), &cpu, 0.0, 0.0);
            }
        }
    }
}

#[test]
fn one_hot_agrees() {
    let mut rng = Rng::new(3);
    for dims in [&[5][..], &[3, 4], &[2, 0], &[], &[1, 7, 1]] {
        let idx = rand_ints(&mut rng, dims, -2, 6);
        for axis in [-1i64, 0, dims.len() as i64] {
            agree(&format!("one_hot {dims:?} axis {axis}"), &[idx.clone()], |t| {
                tf::one_hot(&t[0], 4, OneHotOptions { axis: Some(axis), ..Default::default() })
            });
            let on = Tensor::scalar(2.5f32, &Device::Cpu).unwrap();
            let off = Tensor::scalar(-1.0f32, &Device::Cpu).unwrap();
            agree(&format!("one_hot on/off {dims:?}"), &[idx.clone(), on, off], |t| {
                let o = OneHotOptions {
                    on_value: Some(&t[1]),
                    off_value: Some(&t[2]),
                    axis: Some(axis),
                    dtype: None,
                };
                tf::one_hot(&t[0], 4, o)
            });
            agree(
                &format!("one_hot int {dims:?}"),
                &[idx.clone(), Tensor::scalar(9i32, &Device::Cpu).unwrap()],
                |t| {
                    tf::one_hot(
                        &t[0],
                        3,
                        OneHotOptions { on_value: Some(&t[1]), axis: Some(axis), ..Default::default() },
                    )
                },
            );
        }
    }
}

#[test]
fn strided_slice_agrees() {
    let mut rng = Rng::new(5);
    let shapes: &[&[usize]] = &[&[7], &[3, 5], &[1, 4, 1], &[2, 0, 3], &[5, 1, 6, 3], &[9, 8]];
    let mut ran = 0;
    for dims in shapes {
        let x = rand_tensor(&mut rng, dims, -5.0, 5.0, DType::F32, &Device::Cpu);
        let xi = ops::cast(&x, DType::I32).unwrap();
        for _ in 0..40 {
            let n = 1 + rng.below(dims.len() + 2);
            let pick = |rng: &mut Rng| rng.below(10) as i64 - 5;
            let begin: Vec<i64> = (0..n).map(|_| pick(&mut rng)).collect();
            let end: Vec<i64> = (0..n).map(|_| pick(&mut rng)).collect();
            let strides: Vec<i64> = (0..n).map(|_| [1, 2, -1, -2, 3][rng.below(5)]).collect();
            let bits = |rng: &mut Rng, p: usize| -> i32 {
                (0..n).filter(|_| rng.below(p) == 0).fold(0, |m, i| m | (1 << i))
            };
            let ell = if rng.below(3) == 0 { 1 << rng.below(n) } else { 0 };
            let masks = StridedSliceMasks {
                begin_mask: bits(&mut rng, 3),
                end_mask: bits(&mut rng, 3),
                ellipsis_mask: ell,
                new_axis_mask: bits(&mut rng, 5),
                shrink_axis_mask: bits(&mut rng, 4),
            };
            let what = format!("strided_slice {dims:?} {begin:?} {end:?} {strides:?} {masks:?}");
            if tf::strided_slice(&x, &begin, &end, Some(&strides), masks).is_ok() {
                ran += 1;
            }
            agree(&what, &[x.clone()], |t| tf::strided_slice(&t[0], &begin, &end, Some(&strides), masks));
            agree(&what, &[xi.clone()], |t| tf::strided_slice(&t[0], &begin, &end, Some(&strides), masks));
        }
    }
    assert!(ran > 60, "too few valid random slices ({ran})");
}

/// A plain reference of tensor_scatter_nd_* on the host: updates applied in order.
fn scatter_reference(kind: &str, t: &[f64], shape: &[usize], idx: &[i32], k: usize, upd: &[f64]) -> Vec<f64> {
    let inner: usize = shape[k..].iter().product();
    let mut out = t.to_vec();
    for (u, coords) in idx.chunks(k).enumerate() {
        let mut p = 0usize;
        for (d, &c) in coords.iter().enumerate() {
            p = p * shape[d] + c as usize;
        }
        for j in 0..inner {
            let (o, v) = (&mut out[p * inner + j], upd[u * inner + j]);
            *o = match kind {
                "update" => v,
                "add" => *o + v,
                "sub" => *o - v,
                "min" => {
                    if v < *o {
                        v
                    } else {
                        *o
                    }
                }
                _ => {
                    if v > *o {
                        v
                    } else {
                        *o
                    }
                }
            };
        }
    }
    out
}

#[test]
fn tensor_scatter_nd_agrees_and_matches_reference() {
    type F = fn(&Tensor, &Tensor, &Tensor) -> wgkeras::runtime::Result<Tensor>;
    let fns: [(&str, F); 5] = [
        ("update", tf::tensor_scatter_nd_update),
        ("add", tf::tensor_scatter_nd_add),
        ("sub", tf::tensor_scatter_nd_sub),
        ("min", tf::tensor_scatter_nd_min),
        ("max", tf::tensor_scatter_nd_max),
    ];
    let mut rng = Rng::new(9);
    // (tensor shape, index depth, batch shape, index range limit for duplicates)
    let cases: &[(&[usize], usize, &[usize])] = &[
        (&[8], 1, &[5]),
        (&[4, 3], 1, &[6]),
        (&[4, 3], 2, &[2, 3]),
        (&[3, 1, 5], 2, &[7]),
        (&[5, 4, 3], 1, &[0]),
        (&[2, 3, 4], 3, &[1]),
        (&[6], 1, &[40]), // many duplicates: add/sub sum first
        (&[33, 17], 1, &[9]),
    ];
    for (shape, k, batch) in cases {
        let mut idims = batch.to_vec();
        idims.push(*k);
        let m: usize = batch.iter().product();
        let mut iv = Vec::new();
        for _ in 0..m {
            for d in 0..*k {
                iv.push(rng.below(shape[d]) as i32);
            }
        }
        let idx = ints(&iv, &idims, &Device::Cpu);
        let mut udims = batch.to_vec();
        udims.extend_from_slice(&shape[*k..]);
        for dtype in [DType::F32, DType::I32] {
            let t = rand_tensor(&mut rng, shape, -9.0, 9.0, dtype, &Device::Cpu);
            let u = rand_tensor(&mut rng, &udims, -9.0, 9.0, dtype, &Device::Cpu);
            for (name, f) in fns {
                let what = format!("tensor_scatter_nd_{name} {shape:?} k={k} batch={batch:?} {dtype}");
                let (rtol, atol) = if dtype == DType::F32 { (1e-6, 1e-5) } else { (0.0, 0.0) };
                check_backends(&what, &[t.clone(), idx.clone(), u.clone()], rtol, atol, |x| {
                    f(&x[0], &x[1], &x[2])
                });
                let got = f(&t, &idx, &u).unwrap().to_vec_f64().unwrap();
                let want = scatter_reference(
                    name,
                    &t.to_vec_f64().unwrap(),
                    shape,
                    &iv,
                    *k,
                    &u.to_vec_f64().unwrap(),
                );
                for (i, (a, b)) in got.iter().zip(&want).enumerate() {
                    assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{what}: element {i}: {a} vs {b}");
                }
            }
        }
    }
    // uint32 subtraction wraps, bool updates work.
    for d in devices() {
        let t = Tensor::from_vec(vec![1u32, 2, 3], &[3], &d).unwrap();
        let u = Tensor::from_vec(vec![9u32], &[1], &d).unwrap();
        let r = tf::tensor_scatter_nd_sub(&t, &ints(&[1], &[1, 1], &d), &u).unwrap();
        assert_eq!(r.to_vec::<u32>().unwrap(), vec![1, 4294967289, 3]);
        let b = Tensor::from_vec(vec![true, false, false], &[3], &d).unwrap();
        let bu = Tensor::from_vec(vec![true, false], &[2], &d).unwrap();
        let r = tf::tensor_scatter_nd_update(&b, &ints(&[1, 0], &[2, 1], &d), &bu).unwrap();
        assert_eq!(r.to_vec::<bool>().unwrap(), vec![false, true, false]);
    }
}

#[test]
fn histograms_agree() {
    let mut rng = Rng::new(21);
    for dims in SHAPES {
        let x = rand_tensor(&mut rng, dims, -3.0, 3.0, DType::F32, &Device::Cpu);
        let range = floats(&[-2.0, 2.5], &[2], &Device::Cpu);
        for nbins in [1, 5, 100] {
            check_backends(&format!("bins {dims:?} {nbins}"), &[x.clone(), range.clone()], 0.0, 0.0, |t| {
                tf::histogram_fixed_width_bins(&t[0], &t[1], nbins, DType::I32)
            });
            check_backends(&format!("hist {dims:?} {nbins}"), &[x.clone(), range.clone()], 0.0, 0.0, |t| {
                tf::histogram_fixed_width(&t[0], &t[1], nbins, DType::I32)
            });
        }
        let xi = rand_ints(&mut rng, dims, -10, 80);
        let ri = ints(&[0, 64], &[2], &Device::Cpu);
        check_backends(&format!("hist int {dims:?}"), &[xi, ri], 0.0, 0.0, |t| {
            tf::histogram_fixed_width(&t[0], &t[1], 16, DType::I32)
        });
    }
    // The counts are the bincount of the bins.
    let x = rand_tensor(&mut rng, &[500], -1.0, 1.0, DType::F32, &Device::Cpu);
    let range = floats(&[-0.8, 0.9], &[2], &Device::Cpu);
    let bins = i32s(&tf::histogram_fixed_width_bins(&x, &range, 13, DType::I32).unwrap());
    let hist = i32s(&tf::histogram_fixed_width(&x, &range, 13, DType::I32).unwrap());
    let mut count = vec![0; 13];
    bins.iter().for_each(|&b| count[b as usize] += 1);
    assert_eq!(hist, count);
}

#[test]
fn sort_argsort_unstack_agree() {
    let mut rng = Rng::new(33);
    let shapes: &[&[usize]] = &[&[7], &[3, 5], &[1, 4, 1], &[2, 0, 3], &[4, 1, 6, 3], &[2, 700]];
    for dims in shapes {
        // Many ties, to check that both directions keep index order.
        let x = rand_ints(&mut rng, dims, -3, 4);
        let xf = ops::cast(&x, DType::F32).unwrap();
        for axis in 0..dims.len() as i64 {
            for dir in ["ASCENDING", "DESCENDING"] {
                for t in [&x, &xf] {
                    agree(&format!("sort {dims:?} {axis} {dir}"), &[t.clone()], |t| {
                        tf::sort(&t[0], axis, dir)
                    });
                    agree(&format!("argsort {dims:?} {axis} {dir}"), &[t.clone()], |t| {
                        tf::argsort(&t[0], axis - dims.len() as i64, dir, false)
                    });
                }
                // Stable in both directions: along the axis, equal values keep index order.
                let idx = tf::argsort(&x, axis, dir, true).unwrap();
                let sorted = ops::take_along_axis(&x, &idx, Some(axis)).unwrap();
                let want = tf::sort(&x, axis, dir).unwrap();
                assert_eq!(i32s(&sorted), i32s(&want));
                let (l, inner) = (dims[axis as usize], dims[axis as usize + 1..].iter().product::<usize>());
                let (iv, sv) = (i32s(&idx), i32s(&sorted));
                for o in 0..iv.len() / (l * inner).max(1) {
                    for j in 0..inner {
                        for p in 1..l {
                            let (a, b) = ((o * l + p - 1) * inner + j, (o * l + p) * inner + j);
                            if sv[a] == sv[b] {
                                assert!(iv[a] < iv[b], "argsort {dims:?} {axis} {dir} not stable");
                            }
                        }
                    }
                }
            }
            let parts = |d: &Device| tf::unstack(&x.to_device(d).unwrap(), None, axis).unwrap();
            let cpu = parts(&Device::Cpu);
            assert_eq!(cpu.len(), dims[axis as usize]);
            if let Some(g) = gpu() {
                for (a, b) in parts(&g).iter().zip(&cpu) {
                    assert_close("unstack", &a.to_device(&Device::Cpu).unwrap(), b, 0.0, 0.0);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Errors name the op
// ---------------------------------------------------------------------------------------------

#[test]
fn bad_inputs_are_errors_naming_the_op() {
    for d in devices() {
        let x = floats(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3], &d);
        let s = Tensor::scalar(1.0f32, &d).unwrap();
        err_names("tf.fill", tf::fill(&[2, -1], &s));
        err_names("tf.fill", tf::fill(&[2], &x));
        err_names("tf.eye", tf::eye(-1, None, None, DType::F32, &d));
        err_names("tf.eye", tf::eye(2, Some(-2), None, DType::F32, &d));
        err_names("tf.eye", tf::eye(2, None, Some(&[-3]), DType::F32, &d));

        let idx = ints(&[0, 1], &[2], &d);
        let o = OneHotOptions::default();
        err_names("tf.one_hot", tf::one_hot(&x, 3, o));
        err_names("tf.one_hot", tf::one_hot(&idx, -1, o));
        err_names("tf.one_hot", tf::one_hot(&idx, 3, OneHotOptions { axis: Some(-2), ..o }));
        err_names("tf.one_hot", tf::one_hot(&idx, 3, OneHotOptions { axis: Some(2), ..o }));
        let on_i = Tensor::scalar(5i32, &d).unwrap();
        let off_f = Tensor::scalar(1.0f32, &d).unwrap();
        err_names(
            "tf.one_hot",
            tf::one_hot(&idx, 3, OneHotOptions { on_value: Some(&on_i), off_value: Some(&off_f), ..o }),
        );
        err_names(
            "tf.one_hot",
            tf::one_hot(&idx, 3, OneHotOptions { on_value: Some(&on_i), dtype: Some(DType::F32), ..o }),
        );
        err_names("tf.one_hot", tf::one_hot(&idx, 3, OneHotOptions { on_value: Some(&x), ..o }));

        let m = StridedSliceMasks::default();
        let ss = |b: &[i64], e: &[i64], st: &[i64], masks| tf::strided_slice(&x, b, e, Some(st), masks);
        err_names("tf.strided_slice", ss(&[0, 0], &[1, 1], &[1, 0], m));
        err_names("tf.strided_slice", ss(&[0], &[1, 2], &[1], m));
        err_names("tf.strided_slice", ss(&[0, 0, 0], &[1, 1, 1], &[1, 1, 1], m));
        err_names(
            "tf.strided_slice",
            ss(&[0, 0], &[1, 1], &[1, 1], StridedSliceMasks { ellipsis_mask: 3, ..m }),
        );
        err_names("tf.strided_slice", ss(&[2], &[3], &[1], StridedSliceMasks { shrink_axis_mask: 1, ..m }));
        err_names("tf.strided_slice", ss(&[-3], &[0], &[1], StridedSliceMasks { shrink_axis_mask: 1, ..m }));
        err_names("tf.strided_slice", ss(&[0], &[1], &[-1], StridedSliceMasks { shrink_axis_mask: 1, ..m }));
        err_names("tf.strided_slice", tf::strided_slice(&s, &[0], &[1], None, m));

        type F = fn(&Tensor, &Tensor, &Tensor) -> wgkeras::runtime::Result<Tensor>;
        let fns: [(&str, F); 5] = [
            ("tf.tensor_scatter_nd_update", tf::tensor_scatter_nd_update),
            ("tf.tensor_scatter_nd_add", tf::tensor_scatter_nd_add),
            ("tf.tensor_scatter_nd_sub", tf::tensor_scatter_nd_sub),
            ("tf.tensor_scatter_nd_min", tf::tensor_scatter_nd_min),
            ("tf.tensor_scatter_nd_max", tf::tensor_scatter_nd_max),
        ];
        let row = floats(&[7.0, 8.0, 9.0], &[1, 3], &d);
        for (name, f) in fns {
            // Out of range (also negative) indices are errors on every backend.
            err_names(name, f(&x, &ints(&[2], &[1, 1], &d), &row));
            err_names(name, f(&x, &ints(&[-1], &[1, 1], &d), &row));
            err_names(name, f(&x, &ints(&[0, 3], &[1, 2], &d), &floats(&[1.0], &[1], &d)));
            // Shapes and dtypes.
            err_names(name, f(&x, &ints(&[0], &[1, 1], &d), &floats(&[1.0, 2.0], &[1, 2], &d)));
            err_names(name, f(&x, &ints(&[0, 0, 0], &[1, 3], &d), &floats(&[1.0], &[1], &d)));
            err_names(name, f(&x, &ints(&[0, 1], &[2], &d), &s));
            err_names(name, f(&x, &floats(&[0.0], &[1, 1], &d), &row));
            err_names(name, f(&x, &ints(&[0], &[1, 1], &d), &ints(&[1, 2, 3], &[1, 3], &d)));
            err_names(name, f(&s, &ints(&[0], &[1, 1], &d), &floats(&[1.0], &[1], &d)));
        }
        let b = Tensor::from_vec(vec![true, false], &[2], &d).unwrap();
        let bu = Tensor::from_vec(vec![true], &[1], &d).unwrap();
        err_names("tf.tensor_scatter_nd_add", tf::tensor_scatter_nd_add(&b, &ints(&[1], &[1, 1], &d), &bu));
        err_names("tf.tensor_scatter_nd_max", tf::tensor_scatter_nd_max(&b, &ints(&[1], &[1, 1], &d), &bu));

        let r = floats(&[0.0, 5.0], &[2], &d);
        for name in ["tf.histogram_fixed_width_bins", "tf.histogram_fixed_width"] {
            let h = |v: &Tensor, r: &Tensor, nbins, dtype| {
                if name == "tf.histogram_fixed_width" {
                    tf::histogram_fixed_width(v, r, nbins, dtype)
                } else {
                    tf::histogram_fixed_width_bins(v, r, nbins, dtype)
                }
            };
            err_names(name, h(&x, &r, 0, DType::I32));
            err_names(name, h(&x, &floats(&[5.0, 0.0], &[2], &d), 5, DType::I32));
            err_names(name, h(&x, &floats(&[1.0, 1.0], &[2], &d), 5, DType::I32));
            err_names(name, h(&x, &floats(&[0.0, 1.0, 2.0], &[3], &d), 5, DType::I32));
            err_names(name, h(&x, &ints(&[0, 5], &[2], &d), 5, DType::I32));
            err_names(name, h(&x, &r, 5, DType::F32));
        }
        let with_nan = floats(&[1.0, f32::NAN], &[2], &d);
        err_names("tf.histogram_fixed_width", tf::histogram_fixed_width(&with_nan, &r, 5, DType::I32));
        err_names(
            "tf.histogram_fixed_width_bins",
            tf::histogram_fixed_width_bins(&ints(&[1, 2], &[2], &d), &ints(&[0, 5], &[2], &d), 5, DType::I32),
        );

        for (name, f) in [
            ("tf.sort", (|v: &Tensor, a, dir: &str| tf::sort(v, a, dir)) as fn(&Tensor, i64, &str) -> _),
            ("tf.argsort", |v: &Tensor, a, dir: &str| tf::argsort(v, a, dir, false)),
        ] {
            err_names(name, f(&x, 2, "ASCENDING"));
            err_names(name, f(&x, -3, "ASCENDING"));
            err_names(name, f(&x, -1, "UP"));
            err_names(name, f(&s, -1, "ASCENDING"));
            err_names(name, f(&Tensor::from_vec(vec![true, false], &[2], &d).unwrap(), -1, "ASCENDING"));
        }
        err_names("tf.unstack", tf::unstack(&x, Some(3), 0));
        err_names("tf.unstack", tf::unstack(&x, None, 2));
        err_names("tf.unstack", tf::unstack(&s, None, 0));
    }
}

// ---------------------------------------------------------------------------------------------
// The worked examples of the API pages
// ---------------------------------------------------------------------------------------------

#[test]
fn seed_examples_sort() {
    for d in devices() {
        let a = floats(&[1.0, 10.0, 26.9, 2.8, 166.32, 62.3], &[6], &d);
        assert_eq!(f32s(&tf::sort(&a, -1, "ASCENDING").unwrap()), vec![1.0, 2.8, 10.0, 26.9, 62.3, 166.32]);
        assert_eq!(f32s(&tf::sort(&a, -1, "DESCENDING").unwrap()), vec![166.32, 62.3, 26.9, 10.0, 2.8, 1.0]);
        let mat = ints(&[3, 2, 1, 2, 1, 3, 1, 3, 2], &[3, 3], &d);
        let s = tf::sort(&mat, -1, "ASCENDING").unwrap();
        assert_eq!(s.dims(), &[3, 3]);
        assert_eq!(i32s(&s), vec![1, 2, 3, 1, 2, 3, 1, 2, 3]);
        assert_eq!(i32s(&tf::sort(&mat, 0, "ASCENDING").unwrap()), vec![1, 1, 1, 2, 2, 2, 3, 3, 3]);
    }
}

#[test]
fn seed_examples_argsort() {
    for d in devices() {
        let values = floats(&[1.0, 10.0, 26.9, 2.8, 166.32, 62.3], &[6], &d);
        let order = tf::argsort(&values, -1, "ASCENDING", false).unwrap();
        assert_eq!(i32s(&order), vec![0, 3, 1, 2, 5, 4]);
        // tf.gather(values, sort_order) == tf.sort(values)
        let sorted = ops::take(&values, &order, Some(0)).unwrap();
        assert_eq!(f32s(&sorted), f32s(&tf::sort(&values, -1, "ASCENDING").unwrap()));
        let mat = ints(&[30, 20, 10, 20, 10, 30, 10, 30, 20], &[3, 3], &d);
        let indices = tf::argsort(&mat, -1, "ASCENDING", false).unwrap();
        assert_eq!(i32s(&indices), vec![2, 1, 0, 1, 0, 2, 0, 2, 1]);
        // tf.gather(mat, indices, batch_dims=-1)
        let g = ops::take_along_axis(&mat, &indices, Some(-1)).unwrap();
        assert_eq!(i32s(&g), vec![10, 20, 30, 10, 20, 30, 10, 20, 30]);
    }
}

#[test]
fn seed_examples_fill_and_eye() {
    for d in devices() {
        let t = tf::fill(&[2, 3], &Tensor::scalar(9i32, &d).unwrap()).unwrap();
        assert_eq!(t.dims(), &[2, 3]);
        assert_eq!(i32s(&t), vec![9; 6]);

        let e = tf::eye(2, None, None, DType::F32, &d).unwrap();
        assert_eq!((e.dims(), f32s(&e)), (&[2usize, 2][..], vec![1.0, 0.0, 0.0, 1.0]));
        let batch_identity = tf::eye(2, None, Some(&[3]), DType::F32, &d).unwrap();
        assert_eq!(batch_identity.dims(), &[3, 2, 2]);
        assert_eq!(f32s(&batch_identity), [1.0, 0.0, 0.0, 1.0].repeat(3));
        let e = tf::eye(2, Some(3), None, DType::F32, &d).unwrap();
        assert_eq!((e.dims(), f32s(&e)), (&[2usize, 3][..], vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0]));
    }
}

#[test]
fn seed_examples_one_hot() {
    for d in devices() {
        let o = OneHotOptions::default();
        let t = tf::one_hot(&ints(&[0, 1, 2], &[3], &d), 3, o).unwrap();
        assert_eq!((t.dims(), f32s(&t)), (&[3usize, 3][..], vec![1., 0., 0., 0., 1., 0., 0., 0., 1.]));

        let on = Tensor::scalar(5.0f32, &d).unwrap();
        let off = Tensor::scalar(0.0f32, &d).unwrap();
        let o2 = OneHotOptions { on_value: Some(&on), off_value: Some(&off), axis: Some(-1), dtype: None };
        let t = tf::one_hot(&ints(&[0, 2, -1, 1], &[4], &d), 3, o2).unwrap();
        assert_eq!(t.dims(), &[4, 3]);
        assert_eq!(f32s(&t), vec![5., 0., 0., 0., 0., 5., 0., 0., 0., 0., 5., 0.]);

        let on = Tensor::scalar(1.0f32, &d).unwrap();
        let o3 = OneHotOptions { on_value: Some(&on), off_value: Some(&off), axis: Some(-1), dtype: None };
        let t = tf::one_hot(&ints(&[0, 2, 1, -1], &[2, 2], &d), 3, o3).unwrap();
        assert_eq!(t.dims(), &[2, 2, 3]);
        assert_eq!(f32s(&t), vec![1., 0., 0., 0., 0., 1., 0., 1., 0., 0., 0., 0.]);

        // Output shapes of the page: features x depth (axis -1), depth x features (axis 0), and
        // for a batch: batch x features x depth, batch x depth x features, depth x batch x features.
        let v = ints(&[0, 1, 2, 0, 1], &[5], &d);
        assert_eq!(tf::one_hot(&v, 3, OneHotOptions { axis: Some(0), ..o }).unwrap().dims(), &[3, 5]);
        let b = ints(&[0, 1, 2, 0, 1, 2], &[2, 3], &d);
        for (axis, dims) in [(-1, [2, 3, 4]), (1, [2, 4, 3]), (0, [4, 2, 3])] {
            assert_eq!(tf::one_hot(&b, 4, OneHotOptions { axis: Some(axis), ..o }).unwrap().dims(), &dims);
        }
        // A scalar index gives a vector of length depth; the default dtype is float32.
        let t = tf::one_hot(&Tensor::scalar(1i32, &d).unwrap(), 4, o).unwrap();
        assert_eq!((t.dims(), f32s(&t)), (&[4usize][..], vec![0., 1., 0., 0.]));
        // dtype inference from on_value; bool needs both values.
        let t = tf::one_hot(&v, 3, OneHotOptions { on_value: Some(&Tensor::scalar(5i32, &d).unwrap()), ..o })
            .unwrap();
        assert_eq!(t.dtype(), DType::I32);
        let (tr, fa) = (Tensor::scalar(true, &d).unwrap(), Tensor::scalar(false, &d).unwrap());
        let t = tf::one_hot(&v, 3, OneHotOptions { on_value: Some(&tr), off_value: Some(&fa), ..o }).unwrap();
        assert_eq!(t.to_vec::<bool>().unwrap()[..3], [true, false, false]);
    }
}

#[test]
fn seed_examples_strided_slice() {
    let m = StridedSliceMasks::default();
    for d in devices() {
        let t = ints(&[1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6], &[3, 2, 3], &d);
        let r = tf::strided_slice(&t, &[1, 0, 0], &[2, 1, 3], Some(&[1, 1, 1]), m).unwrap();
        assert_eq!((r.dims(), i32s(&r)), (&[1usize, 1, 3][..], vec![3, 3, 3]));
        let r = tf::strided_slice(&t, &[1, 0, 0], &[2, 2, 3], Some(&[1, 1, 1]), m).unwrap();
        assert_eq!((r.dims(), i32s(&r)), (&[1usize, 2, 3][..], vec![3, 3, 3, 4, 4, 4]));
        let r = tf::strided_slice(&t, &[1, -1, 0], &[2, -3, 3], Some(&[1, -1, 1]), m).unwrap();
        assert_eq!((r.dims(), i32s(&r)), (&[1usize, 2, 3][..], vec![4, 4, 4, 3, 3, 3]));

        // foo[5:,:,:3] on a 7x8x9 tensor is foo[5:7,0:8,0:3].
        let foo = ops::arange(0.0, 504.0, 1.0, DType::I32, &d).unwrap().reshape(&[7, 8, 9]).unwrap();
        let a = tf::strided_slice(&foo, &[5, 0, 0], &[0, 0, 3], None, StridedSliceMasks { end_mask: 3, ..m })
            .unwrap();
        let b = tf::strided_slice(&foo, &[5, 0, 0], &[7, 8, 3], None, m).unwrap();
        assert_eq!(a.dims(), &[2, 8, 3]);
        assert_eq!(i32s(&a), i32s(&b));
        // foo[::-1] reverses a tensor with shape 8.
        let v = ops::arange(0.0, 8.0, 1.0, DType::I32, &d).unwrap();
        let masks = StridedSliceMasks { begin_mask: 1, end_mask: 1, ..m };
        let r = tf::strided_slice(&v, &[0], &[0], Some(&[-1]), masks).unwrap();
        assert_eq!(i32s(&r), vec![7, 6, 5, 4, 3, 2, 1, 0]);
        // foo[3:5,...,4:5] on 10x3x3x10 is foo[3:5,:,:,4:5]; foo[3:5,...] is foo[3:5,:,:,:].
        let foo = ops::arange(0.0, 900.0, 1.0, DType::I32, &d).unwrap().reshape(&[10, 3, 3, 10]).unwrap();
        let e = StridedSliceMasks { ellipsis_mask: 2, ..m };
        let a = tf::strided_slice(&foo, &[3, 0, 4], &[5, 0, 5], None, e).unwrap();
        let full = StridedSliceMasks { begin_mask: 6, end_mask: 6, ..m };
        let b = tf::strided_slice(&foo, &[3, 0, 0, 4], &[5, 0, 0, 5], None, full).unwrap();
        assert_eq!(a.dims(), &[2, 3, 3, 1]);
        assert_eq!(i32s(&a), i32s(&b));
        let a = tf::strided_slice(&foo, &[3, 0], &[5, 0], None, e).unwrap();
        let b = tf::strided_slice(
            &foo,
            &[3, 0, 0, 0],
            &[5, 0, 0, 0],
            None,
            StridedSliceMasks { begin_mask: 14, end_mask: 14, ..m },
        )
        .unwrap();
        assert_eq!(a.dims(), &[2, 3, 3, 10]);
        assert_eq!(i32s(&a), i32s(&b));
        // foo[:4, tf.newaxis, :2] has shape (4, 1, 2).
        let foo = ops::arange(0.0, 30.0, 1.0, DType::I32, &d).unwrap().reshape(&[6, 5]).unwrap();
        let masks = StridedSliceMasks { begin_mask: 1 | 4, new_axis_mask: 2, ..m };
        let r = tf::strided_slice(&foo, &[0, 0, 0], &[4, 0, 2], None, masks).unwrap();
        assert_eq!((r.dims(), i32s(&r)), (&[4usize, 1, 2][..], vec![0, 1, 5, 6, 10, 11, 15, 16]));
        // foo[:, 3, :] uses shrink_axis_mask = 2.
        let foo = ops::arange(0.0, 24.0, 1.0, DType::I32, &d).unwrap().reshape(&[2, 4, 3]).unwrap();
        let masks = StridedSliceMasks { begin_mask: 5, end_mask: 5, shrink_axis_mask: 2, ..m };
        let r = tf::strided_slice(&foo, &[0, 3, 0], &[0, 4, 0], None, masks).unwrap();
        assert_eq!((r.dims(), i32s(&r)), (&[2usize, 3][..], vec![9, 10, 11, 21, 22, 23]));
    }
}

#[test]
fn seed_examples_tensor_scatter_nd() {
    for d in devices() {
        // tensor_scatter_nd_add, elements and slices.
        let updated = tf::tensor_scatter_nd_add(
            &ints(&[1; 8], &[8], &d),
            &ints(&[4, 3, 1, 7], &[4, 1], &d),
            &ints(&[9, 10, 11, 12], &[4], &d),
        )
        .unwrap();
        assert_eq!(i32s(&updated), vec![1, 12, 1, 11, 10, 1, 1, 13]);
        let slab: Vec<i32> = [5, 6, 7, 8].iter().flat_map(|&v| [v; 4]).collect();
        let upd = ints(&slab.repeat(2), &[2, 4, 4], &d);
        let ones = ints(&[1; 64], &[4, 4, 4], &d);
        let updated = tf::tensor_scatter_nd_add(&ones, &ints(&[0, 2], &[2, 1], &d), &upd).unwrap();
        let plus: Vec<i32> = slab.iter().map(|v| v + 1).collect();
        assert_eq!(i32s(&updated), [plus.clone(), vec![1; 16], plus, vec![1; 16]].concat());
        // tensor_scatter_nd_sub, elements and slices.
        let updated = tf::tensor_scatter_nd_sub(
            &ints(&[1; 8], &[8], &d),
            &ints(&[4, 3, 1, 7], &[4, 1], &d),
            &ints(&[9, 10, 11, 12], &[4], &d),
        )
        .unwrap();
        assert_eq!(i32s(&updated), vec![1, -10, 1, -9, -8, 1, 1, -11]);
        let updated = tf::tensor_scatter_nd_sub(&ones, &ints(&[0, 2], &[2, 1], &d), &upd).unwrap();
        let minus: Vec<i32> = slab.iter().map(|v| 1 - v).collect();
        assert_eq!(i32s(&updated), [minus.clone(), vec![1; 16], minus, vec![1; 16]].concat());
        // tensor_scatter_nd_max.
        let r = tf::tensor_scatter_nd_max(
            &ints(&[0; 8], &[8], &d),
            &ints(&[1, 4, 5], &[3, 1], &d),
            &ints(&[1, -1, 1], &[3], &d),
        )
        .unwrap();
        assert_eq!(i32s(&r), vec![0, 1, 0, 0, 0, 1, 0, 0]);

        // tensor_scatter_nd_update: scalar updates, rank 1 and rank 2.
        let r = tf::tensor_scatter_nd_update(
            &ints(&[0; 8], &[8], &d),
            &ints(&[1, 3, 4, 7], &[4, 1], &d),
            &ints(&[9, 10, 11, 12], &[4], &d),
        )
        .unwrap();
        assert_eq!(i32s(&r), vec![0, 9, 0, 10, 11, 0, 0, 12]);
        let r = tf::tensor_scatter_nd_update(
            &ints(&[1; 6], &[3, 2], &d),
            &ints(&[0, 1, 2, 0], &[2, 2], &d),
            &ints(&[5, 10], &[2], &d),
        )
        .unwrap();
        assert_eq!((r.dims(), i32s(&r)), (&[3usize, 2][..], vec![1, 5, 1, 1, 10, 1]));
        // Slice updates: rows of a (6, 3) tensor.
        let r = tf::tensor_scatter_nd_update(
            &ints(&[0; 18], &[6, 3], &d),
            &ints(&[2, 4], &[2, 1], &d),
            &ints(&[1, 2, 3, 4, 5, 6], &[2, 3], &d),
        )
        .unwrap();
        assert_eq!(i32s(&r), vec![0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 4, 5, 6, 0, 0, 0]);
        // Video clips [batch, time, width, height, channels] = 13, 11, 7, 5, 3.
        let (bs, time, w, h, c) = (13, 11, 7, 5, 3);
        let video_batch = ops::zeros(&[bs, time, w, h, c], DType::F32, &d).unwrap();
        let new_clips = ops::ones(&[2, time, w, h, c], DType::F32, &d).unwrap();
        let r = tf::tensor_scatter_nd_update(&video_batch, &ints(&[0, 1], &[2, 1], &d), &new_clips).unwrap();
        let clip = time * w * h * c;
        let v = f32s(&r);
        assert!(v[..2 * clip].iter().all(|&x| x == 1.0) && v[2 * clip..].iter().all(|&x| x == 0.0));
        let new_images = ops::ones(&[3, w, h, c], DType::F32, &d).unwrap();
        let r =
            tf::tensor_scatter_nd_update(&video_batch, &ints(&[0, 0, 1, 0, 2, 0], &[3, 2], &d), &new_images)
                .unwrap();
        let v = f32s(&r);
        let frame = w * h * c;
        for b in 0..bs {
            for t in 0..time {
                let want = if b < 3 && t == 0 { 1.0 } else { 0.0 };
                let at = (b * time + t) * frame;
                assert!(v[at..at + frame].iter().all(|&x| x == want), "clip {b} frame {t}");
            }
        }
        // Folded indices: draw an X on a (5, 5) matrix.
        let indices = ints(&[0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 0, 4, 1, 3, 2, 2, 3, 1, 4, 0], &[2, 5, 2], &d);
        let r = tf::tensor_scatter_nd_update(
            &ops::zeros(&[5, 5], DType::F32, &d).unwrap(),
            &indices,
            &floats(&[1.0; 10], &[2, 5], &d),
        )
        .unwrap();
        #[rustfmt::skip]
        let x = vec![
            1., 0., 0., 0., 1.,
            0., 1., 0., 1., 0.,
            0., 0., 1., 0., 0.,
            0., 1., 0., 1., 0.,
            1., 0., 0., 0., 1.,
        ];
        assert_eq!(f32s(&r), x);
    }
}

#[test]
fn seed_examples_histograms() {
    for d in devices() {
        let nbins = 5;
        let value_range = floats(&[0.0, 5.0], &[2], &d);
        let new_values = floats(&[-1.0, 0.0, 1.5, 2.0, 5.0, 15.0], &[6], &d);
        let indices = tf::histogram_fixed_width_bins(&new_values, &value_range, nbins, DType::I32).unwrap();
        assert_eq!(i32s(&indices), vec![0, 0, 1, 2, 4, 4]);
        let hist = tf::histogram_fixed_width(&new_values, &value_range, nbins, DType::I32).unwrap();
        assert_eq!(i32s(&hist), vec![2, 1, 1, 0, 2]);
    }
}

#[test]
fn seed_examples_unstack() {
    for d in devices() {
        let x = ops::arange(0.0, 12.0, 1.0, DType::I32, &d).unwrap().reshape(&[3, 4]).unwrap();
        let pqr = tf::unstack(&x, None, 0).unwrap();
        assert_eq!(pqr.len(), 3);
        assert_eq!(pqr[0].dims(), &[4]);
        let ijkl = tf::unstack(&x, None, 1).unwrap();
        assert_eq!(ijkl.len(), 4);
        assert_eq!(ijkl[0].dims(), &[3]);
        // This is the opposite of stack.
        let back = ops::stack(&ijkl, 1).unwrap();
        assert_eq!(i32s(&back), i32s(&x));
        // For a tensor of shape (A, B, C, D), unstacking axis 2 gives C tensors of (A, B, D),
        // items[i] == t[:, :, i, :].
        let (a, b, c, dd) = (2, 3, 4, 5);
        let t = rand_tensor(&mut Rng::new(1), &[a, b, c, dd], -1.0, 1.0, DType::F32, &d);
        let items = tf::unstack(&t, None, 2).unwrap();
        assert_eq!(items.len(), c);
        assert_eq!(items[0].dims(), &[2, 3, 5]);
        for (i, item) in items.iter().enumerate() {
            let masks = StridedSliceMasks {
                begin_mask: 0b1011,
                end_mask: 0b1011,
                shrink_axis_mask: 0b100,
                ..Default::default()
            };
            let slice =
                tf::strided_slice(&t, &[0, 0, i as i64, 0], &[0, 0, i as i64 + 1, 0], None, masks).unwrap();
            assert_eq!(f32s(item), f32s(&slice));
        }
        // a, b, c = tf.unstack(tf.constant([1, 2, 3])); `num` must match when given.
        let abc = tf::unstack(&ints(&[1, 2, 3], &[3], &d), Some(3), 0).unwrap();
        assert_eq!(abc.iter().map(|t| t.item().unwrap()).collect::<Vec<_>>(), vec![1.0, 2.0, 3.0]);
        assert_eq!(abc[0].dims(), &[] as &[usize]);
    }
}
