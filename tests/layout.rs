//! Cross-backend agreement of the layout ops (views over `strided_copy`, index gathers along an
//! axis, tril/triu) with random shapes (odd, size-1 and empty dims), negative axes, bool and
//! int32 data; hand-checked values; and bad input that must be an `Err` naming the op.

mod common;

use common::*;
use wgkeras::ops::{self, SplitSpec};
use wgkeras::runtime::{DType, Device, Result, Tensor};

const DTYPES: [DType; 3] = [DType::F32, DType::I32, DType::Bool];

fn rand(rng: &mut Rng, dims: &[usize], dtype: DType) -> Tensor {
    rand_tensor(rng, dims, -50.0, 50.0, dtype, &Device::Cpu)
}

fn shapes(rng: &mut Rng, rank: usize) -> Vec<usize> {
    const SIZES: [usize; 8] = [1, 2, 3, 5, 7, 1, 4, 0];
    (0..rank).map(|_| SIZES[rng.below(SIZES.len())]).collect()
}

/// Runs a several-result op on both backends and checks each result.
fn check_many(what: &str, inputs: &[Tensor], f: impl Fn(&[Tensor]) -> Result<Vec<Tensor>>) {
    let cpu = f(inputs).unwrap_or_else(|e| panic!("{what} on cpu: {e}"));
    if let Some(g) = gpu() {
        let gin: Vec<Tensor> = inputs.iter().map(|t| t.to_device(&g).unwrap()).collect();
        let got = f(&gin).unwrap_or_else(|e| panic!("{what} on gpu: {e}"));
        assert_eq!(got.len(), cpu.len(), "{what}: result counts differ");
        for (i, (a, b)) in got.iter().zip(&cpu).enumerate() {
            assert!(a.device().is_gpu(), "{what}: result left the GPU");
            assert_close(&format!("{what} part {i}"), &a.to_device(&Device::Cpu).unwrap(), b, 0.0, 0.0);
        }
    }
}

fn err_of(r: Result<impl std::fmt::Debug>) -> String {
    r.expect_err("expected an error").to_string()
}

fn vals(t: &Tensor) -> Vec<f64> {
    t.to_vec_f64().unwrap()
}

#[test]
fn view_ops_agree_across_backends() {
    let mut rng = Rng::new(11);
    for round in 0..24 {
        let dtype = DTYPES[round % 3];
        let rank = 1 + round % 4;
        let dims = shapes(&mut rng, rank);
        let x = rand(&mut rng, &dims, dtype);
        let r = rank as i64;
        let tag = format!("{dtype} {dims:?}");
        let ax = rng.below(rank) as i64 - if round % 2 == 0 { r } else { 0 };
        let ax2 = rng.below(rank) as i64;
        check_backends(&format!("transpose {tag}"), std::slice::from_ref(&x), 0.0, 0.0, |t| {
            ops::transpose(&t[0], None)
        });
        check_backends(&format!("swapaxes {tag}"), std::slice::from_ref(&x), 0.0, 0.0, |t| {
            ops::swapaxes(&t[0], ax, -1)
        });
        check_backends(&format!("moveaxis {tag}"), std::slice::from_ref(&x), 0.0, 0.0, |t| {
            ops::moveaxis(&t[0], &[ax], &[ax2])
        });
        check_backends(&format!("flip {tag}"), std::slice::from_ref(&x), 0.0, 0.0, |t| {
            ops::flip(&t[0], Some(&[ax]))
        });
        check_backends(&format!("flip all {tag}"), std::slice::from_ref(&x), 0.0, 0.0, |t| {
            ops::flip(&t[0], None)
        });
        check_backends(&format!("expand_dims {tag}"), std::slice::from_ref(&x), 0.0, 0.0, |t| {
            ops::expand_dims(&t[0], &[0, -1])
        });
        check_backends(&format!("squeeze {tag}"), std::slice::from_ref(&x), 0.0, 0.0, |t| {
            ops::squeeze(&t[0], None)
        });
        check_backends(&format!("reshape {tag}"), std::slice::from_ref(&x), 0.0, 0.0, |t| {
            ops::reshape(&t[0], &[-1])
        });
        // slice: a random block, starts possibly negative / clamped
        let size: Vec<i64> = dims.iter().map(|&d| rng.below(d + 1) as i64).collect();
        let start: Vec<i64> = dims.iter().map(|&d| rng.below(d + 3) as i64 - 1).collect();
        check_backends(&format!("slice {tag} {start:?} {size:?}"), std::slice::from_ref(&x), 0.0, 0.0, |t| {
            ops::slice(&t[0], &start, &size)
        });
        let usize_: Vec<usize> = size.iter().map(|&s| s as usize).collect();
        let upd = rand(&mut rng, &usize_, DType::F32);
        check_backends(&format!("slice_update {tag} {start:?}"), &[x.clone(), upd], 0.0, 0.0, |t| {
            ops::slice_update(&t[0], &start, &t[1])
        });
        // broadcast_to: new leading dims and size-1 dims stretched
        let mut target = vec![3];
        target.extend(dims.iter().map(|&d| if d == 1 { 4 } else { d }));
        check_backends(&format!("broadcast_to {tag}"), std::slice::from_ref(&x), 0.0, 0.0, |t| {
            ops::broadcast_to(&t[0], &target)
        });
        if rank >= 2 {
            for k in [-2, 0, 1, 3] {
                check_backends(&format!("tril {tag} k={k}"), std::slice::from_ref(&x), 0.0, 0.0, |t| {
                    ops::tril(&t[0], k)
                });
                check_backends(&format!("triu {tag} k={k}"), std::slice::from_ref(&x), 0.0, 0.0, |t| {
                    ops::triu(&t[0], k)
                });
            }
        }
    }
}

#[test]
fn combine_ops_agree_across_backends() {
    let mut rng = Rng::new(12);
    for round in 0..24 {
        let dtype = DTYPES[round % 3];
        let rank = 1 + round % 3;
        let dims = shapes(&mut rng, rank);
        let x = rand(&mut rng, &dims, dtype);
        let tag = format!("{dtype} {dims:?}");
        let axis = rng.below(rank);
        let neg = axis as i64 - rank as i64;
        // concatenate with a mix of dtypes along a negative axis
        let mut other = dims.clone();
        other[axis] = [0, 1, 3][round % 3];
        let y = rand(&mut rng, &other, DTYPES[(round + 1) % 3]);
        let z = rand(&mut rng, &dims, dtype);
        check_backends(&format!("concatenate {tag} axis {neg}"), &[x.clone(), y, z.clone()], 0.0, 0.0, |t| {
            ops::concatenate(t, neg)
        });
        check_backends(&format!("stack {tag}"), &[x.clone(), z.clone()], 0.0, 0.0, |t| {
            ops::stack(t, neg - 1)
        });
        check_many(&format!("unstack {tag}"), std::slice::from_ref(&x), |t| ops::unstack(&t[0], None, neg));
        let len = dims[axis];
        let sections = if len == 0 { 3 } else { [1, len][round % 2] };
        check_many(&format!("split sections {tag}"), std::slice::from_ref(&x), |t| {
            ops::split(&t[0], &SplitSpec::Sections(sections), axis as i64)
        });
        let cut = rng.below(len + 1) as i64;
        check_many(&format!("split indices {tag}"), std::slice::from_ref(&x), |t| {
            ops::split(&t[0], &SplitSpec::Indices(vec![cut, cut, len as i64]), neg)
        });
        let reps: Vec<i64> = (0..rank + round % 2).map(|_| rng.below(3) as i64).collect();
        check_backends(&format!("tile {tag} {reps:?}"), std::slice::from_ref(&x), 0.0, 0.0, |t| {
            ops::tile(&t[0], &reps)
        });
        check_backends(&format!("repeat flat {tag}"), std::slice::from_ref(&x), 0.0, 0.0, |t| {
            ops::repeat(&t[0], &[2], None)
        });
        check_backends(&format!("repeat axis {tag}"), std::slice::from_ref(&x), 0.0, 0.0, |t| {
            ops::repeat(&t[0], &[3], Some(neg))
        });
        let counts: Vec<i64> = (0..len).map(|_| rng.below(4) as i64).collect();
        check_backends(
            &format!("repeat per element {tag} {counts:?}"),
            std::slice::from_ref(&x),
            0.0,
            0.0,
            |t| ops::repeat(&t[0], &counts, Some(axis as i64)),
        );
        let widths: Vec<[usize; 2]> = (0..rank).map(|_| [rng.below(4), rng.below(4)]).collect();
        check_backends(&format!("pad constant {tag} {widths:?}"), std::slice::from_ref(&x), 0.0, 0.0, |t| {
            ops::pad(&t[0], &widths, "constant", Some(3.0))
        });
        if dims.iter().all(|&d| d > 0) {
            for mode in ["edge", "reflect", "symmetric", "wrap"] {
                check_backends(
                    &format!("pad {mode} {tag} {widths:?}"),
                    std::slice::from_ref(&x),
                    0.0,
                    0.0,
                    |t| ops::pad(&t[0], &widths, mode, None),
                );
            }
        }
    }
}

#[test]
fn layout_values_are_right() {
    for d in devices() {
        let x = ops::reshape(&ops::arange(0.0, 6.0, 1.0, DType::I32, &d).unwrap(), &[2, 3]).unwrap();
        let f = |t: Result<Tensor>| vals(&t.unwrap());
        assert_eq!(f(ops::transpose(&x, None)), [0., 3., 1., 4., 2., 5.]);
        assert_eq!(f(ops::flip(&x, Some(&[-1]))), [2., 1., 0., 5., 4., 3.]);
        assert_eq!(f(ops::flip(&x, None)), [5., 4., 3., 2., 1., 0.]);
        assert_eq!(f(ops::slice(&x, &[1, 1], &[1, -1])), [4., 5.]);
        assert_eq!(f(ops::slice(&x, &[1, 2], &[1, 2])), [4., 5.], "clamped start");
        assert_eq!(f(ops::slice(&x, &[-1, -2], &[1, 2])), [4., 5.], "negative start");
        let u = Tensor::from_vec(vec![9i32, 8], &[1, 2], &d).unwrap();
        assert_eq!(f(ops::slice_update(&x, &[0, 5], &u)), [0., 9., 8., 3., 4., 5.]);
        assert_eq!(
            f(ops::concatenate(&[x.clone(), x.clone()], 1)),
            [0., 1., 2., 0., 1., 2., 3., 4., 5., 3., 4., 5.]
        );
        assert_eq!(
            f(ops::stack(&[x.clone(), x.clone()], -1)),
            [0., 0., 1., 1., 2., 2., 3., 3., 4., 4., 5., 5.]
        );
        assert_eq!(f(ops::tile(&x, &[1, 2])), [0., 1., 2., 0., 1., 2., 3., 4., 5., 3., 4., 5.]);
        assert_eq!(f(ops::repeat(&x, &[2, 0, 1], Some(1))), [0., 0., 2., 3., 3., 5.]);
        assert_eq!(f(ops::repeat(&x, &[2], None)), [0., 0., 1., 1., 2., 2., 3., 3., 4., 4., 5., 5.]);
        let r = ops::arange(0.0, 3.0, 1.0, DType::I32, &d).unwrap();
        assert_eq!(
            f(ops::pad(&r, &[[5, 4]], "reflect", None)),
            [1., 0., 1., 2., 1., 0., 1., 2., 1., 0., 1., 2.]
        );
        assert_eq!(
            f(ops::pad(&r, &[[5, 4]], "symmetric", None)),
            [1., 2., 2., 1., 0., 0., 1., 2., 2., 1., 0., 0.]
        );
        assert_eq!(f(ops::pad(&r, &[[2, 1]], "edge", None)), [0., 0., 0., 1., 2., 2.]);
        assert_eq!(f(ops::pad(&r, &[[1, 2]], "wrap", None)), [2., 0., 1., 2., 0., 1.]);
        assert_eq!(f(ops::pad(&r, &[[1, 1]], "constant", Some(2.7))), [2., 0., 1., 2., 2.]);
        assert_eq!(f(ops::tril(&x, 0)), [0., 0., 0., 3., 4., 0.]);
        assert_eq!(f(ops::triu(&x, 1)), [0., 1., 2., 0., 0., 5.]);
        let parts = ops::split(&x, &SplitSpec::Indices(vec![1]), 1).unwrap();
        assert_eq!(parts.iter().map(|p| p.dims().to_vec()).collect::<Vec<_>>(), [vec![2, 1], vec![2, 2]]);
        assert_eq!(vals(&parts[1]), [1., 2., 4., 5.]);
        let rows = ops::unstack(&x, Some(2), 0).unwrap();
        assert_eq!(vals(&rows[1]), [3., 4., 5.]);
        let m =
            ops::moveaxis(&ops::zeros(&[2, 3, 4, 5], DType::F32, &d).unwrap(), &[0, 1], &[-1, 0]).unwrap();
        assert_eq!(m.dims(), [3, 4, 5, 2]);
        assert_eq!(ops::expand_dims(&x, &[1, 3]).unwrap().dims(), [2, 1, 3, 1]);
        assert_eq!(
            ops::squeeze(&ops::zeros(&[1, 3, 1], DType::F32, &d).unwrap(), Some(&[-1])).unwrap().dims(),
            [1, 3]
        );
        let c = ops::concatenate(&[x.clone(), ops::ones(&[1, 3], DType::F32, &d).unwrap()], 0).unwrap();
        assert_eq!(c.dtype(), DType::F32, "int32 + float32 promotes");
        let b = ops::concatenate(
            &[ops::ones(&[2], DType::Bool, &d).unwrap(), ops::ones(&[1], DType::I32, &d).unwrap()],
            0,
        );
        assert_eq!(b.unwrap().dtype(), DType::I32, "bool + int32 promotes");
        assert_eq!(x.reshape(&[3, -1]).unwrap().dims(), [3, 2]);
        assert_eq!(x.t().unwrap().dims(), [3, 2]);
        assert_eq!(x.unsqueeze(0).unwrap().dims(), [1, 2, 3]);
        assert_eq!(x.broadcast_to(&[4, 2, 3]).unwrap().dims(), [4, 2, 3]);
    }
}

#[test]
fn bad_input_is_an_error_naming_the_op() {
    for d in devices() {
        let x = ops::zeros(&[2, 3], DType::F32, &d).unwrap();
        let cases: Vec<(&str, String)> = vec![
            ("swapaxes", err_of(ops::swapaxes(&x, 0, 2))),
            ("moveaxis", err_of(ops::moveaxis(&x, &[0, 1], &[1]))),
            ("moveaxis", err_of(ops::moveaxis(&x, &[0, 0], &[0, 1]))),
            ("moveaxis", err_of(ops::moveaxis(&x, &[5], &[0]))),
            ("expand_dims", err_of(ops::expand_dims(&x, &[3]))),
            ("expand_dims", err_of(ops::expand_dims(&x, &[0, 0]))),
            ("squeeze", err_of(ops::squeeze(&x, Some(&[0])))),
            ("squeeze", err_of(ops::squeeze(&x, Some(&[-3])))),
            ("concatenate", err_of(ops::concatenate(&[], 0))),
            (
                "concatenate",
                err_of(ops::concatenate(&[x.clone(), ops::zeros(&[3, 3], DType::F32, &d).unwrap()], 1)),
            ),
            (
                "concatenate",
                err_of(ops::concatenate(&[x.clone(), ops::zeros(&[3], DType::F32, &d).unwrap()], 0)),
            ),
            ("concatenate", err_of(ops::concatenate(std::slice::from_ref(&x), 2))),
            ("concatenate", err_of(ops::concatenate(&[ops::zeros(&[], DType::F32, &d).unwrap()], 0))),
            ("stack", err_of(ops::stack(&[x.clone(), ops::zeros(&[3, 2], DType::F32, &d).unwrap()], 0))),
            ("stack", err_of(ops::stack(&[], 0))),
            ("stack", err_of(ops::stack(std::slice::from_ref(&x), 3))),
            ("unstack", err_of(ops::unstack(&x, Some(3), 0))),
            ("unstack", err_of(ops::unstack(&x, None, -3))),
            ("split", err_of(ops::split(&x, &SplitSpec::Sections(2), 1))),
            ("split", err_of(ops::split(&x, &SplitSpec::Sections(0), 1))),
            ("split", err_of(ops::split(&x, &SplitSpec::Indices(vec![2, 1]), 1))),
            ("split", err_of(ops::split(&x, &SplitSpec::Indices(vec![4]), 1))),
            ("slice", err_of(ops::slice(&x, &[0, 0], &[3, 1]))),
            ("slice", err_of(ops::slice(&x, &[0], &[1, 1]))),
            ("slice", err_of(ops::slice(&x, &[0, 0], &[1, -2]))),
            (
                "slice_update",
                err_of(ops::slice_update(&x, &[0, 0], &ops::zeros(&[3, 1], DType::F32, &d).unwrap())),
            ),
            (
                "slice_update",
                err_of(ops::slice_update(&x, &[0], &ops::zeros(&[1, 1], DType::F32, &d).unwrap())),
            ),
            ("tile", err_of(ops::tile(&x, &[-1, 2]))),
            ("repeat", err_of(ops::repeat(&x, &[-1], None))),
            ("repeat", err_of(ops::repeat(&x, &[1, 2], Some(1)))),
            ("repeat", err_of(ops::repeat(&x, &[2], Some(2)))),
            ("flip", err_of(ops::flip(&x, Some(&[2])))),
            ("pad", err_of(ops::pad(&x, &[[1, 1], [1, 1], [1, 1]], "constant", None))),
            ("pad", err_of(ops::pad(&x, &[[1, 1]], "maximum", None))),
            ("pad", err_of(ops::pad(&x, &[[1, 1]], "edge", Some(1.0)))),
            (
                "pad",
                err_of(ops::pad(&ops::zeros(&[0, 2], DType::F32, &d).unwrap(), &[[1, 1]], "reflect", None)),
            ),
            ("broadcast_to", err_of(ops::broadcast_to(&x, &[3]))),
            ("broadcast_to", err_of(ops::broadcast_to(&x, &[2, 4]))),
            ("tril", err_of(ops::tril(&ops::zeros(&[3], DType::F32, &d).unwrap(), 0))),
            ("triu", err_of(ops::triu(&ops::zeros(&[], DType::F32, &d).unwrap(), 0))),
            ("transpose", err_of(ops::transpose(&x, Some(&[0, 0])))),
            ("reshape", err_of(ops::reshape(&x, &[4, -1]))),
        ];
        for (op, msg) in cases {
            assert!(msg.starts_with(&format!("{op}:")), "error does not name {op}: {msg}");
        }
        let e = err_of(ops::concatenate(&[x.clone(), ops::zeros(&[3, 3], DType::F32, &d).unwrap()], 1));
        assert!(e.contains("[2, 3]") && e.contains("[3, 3]"), "{e}");
    }
    if let Some(g) = gpu() {
        let a = ops::zeros(&[2], DType::F32, &Device::Cpu).unwrap();
        let b = ops::zeros(&[2], DType::F32, &g).unwrap();
        assert!(err_of(ops::concatenate(&[a.clone(), b.clone()], 0)).starts_with("concatenate:"));
        assert!(err_of(ops::slice_update(&a, &[0], &b)).starts_with("slice_update:"));
    }
}

#[test]
fn other_float_dtypes_work() {
    let mut rng = Rng::new(13);
    // bf16 and f64 live on the CPU only: check they run and keep their dtype.
    for dtype in [DType::F64, DType::BF16, DType::F16] {
        let x = rand(&mut rng, &[3, 4], dtype);
        let y = ops::pad(
            &ops::repeat(&ops::flip(&x, None).unwrap(), &[1, 2, 0], Some(0)).unwrap(),
            &[[1, 1]],
            "reflect",
            None,
        )
        .unwrap();
        assert_eq!((y.dims(), y.dtype()), (&[5, 6][..], dtype));
        let c = ops::concatenate(&[x.clone(), ops::tril(&x, 0).unwrap()], 0).unwrap();
        assert_eq!((c.dims(), c.dtype()), (&[6, 4][..], dtype));
    }
    // f16 on the GPU where the adapter has SHADER_F16.
    if let Some(Device::Gpu(gd)) = gpu().as_ref() {
        if gd.has_f16() {
            let x = rand(&mut rng, &[3, 5], DType::F16);
            check_backends("f16 concatenate", &[x.clone(), x.clone()], 0.0, 0.0, |t| ops::concatenate(t, 1));
            check_backends("f16 repeat", std::slice::from_ref(&x), 0.0, 0.0, |t| {
                ops::repeat(&t[0], &[1, 0, 3], Some(0))
            });
            check_backends("f16 pad", std::slice::from_ref(&x), 0.0, 0.0, |t| {
                ops::pad(&t[0], &[[2, 1]], "symmetric", None)
            });
            check_backends("f16 tril", std::slice::from_ref(&x), 0.0, 0.0, |t| ops::tril(&t[0], 1));
        } else {
            eprintln!("[layout] GPU has no SHADER_F16; f16 GPU half skipped");
        }
    }
}
