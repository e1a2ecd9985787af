//! Cross-backend agreement of the elementwise ops, creation ops and casts.

mod common;

use common::*;
use wgkeras::ops;
use wgkeras::runtime::{DType, Device, Tensor};

const SHAPES: &[&[usize]] = &[&[], &[1], &[7], &[3, 5], &[2, 0, 3], &[2, 3, 17], &[1, 1, 1, 1029]];

#[test]
fn unary_ops_agree_across_backends() {
    let mut rng = Rng::new(1);
    let ops_list: &[(&str, fn(&Tensor) -> wgkeras::runtime::Result<Tensor>, f64, f64)] = &[
        ("negative", ops::negative, -3.0, 3.0),
        ("abs", ops::abs, -3.0, 3.0),
        ("sign", ops::sign, -3.0, 3.0),
        ("exp", ops::exp, -5.0, 5.0),
        ("expm1", ops::expm1, -1.0, 1.0),
        ("log", ops::log, 0.01, 10.0),
        ("log1p", ops::log1p, -0.5, 3.0),
        ("sqrt", ops::sqrt, 0.0, 9.0),
        ("rsqrt", ops::rsqrt, 0.1, 9.0),
        ("square", ops::square, -3.0, 3.0),
        ("reciprocal", ops::reciprocal, 0.5, 4.0),
        ("sin", ops::sin, -3.0, 3.0),
        ("cos", ops::cos, -3.0, 3.0),
        ("tan", ops::tan, -1.0, 1.0),
        ("tanh", ops::tanh, -4.0, 4.0),
        ("sigmoid", ops::sigmoid, -8.0, 8.0),
        ("relu", ops::relu, -2.0, 2.0),
        ("softplus", ops::softplus, -8.0, 8.0),
        ("erf", ops::erf, -3.0, 3.0),
        ("floor", ops::floor, -3.0, 3.0),
        ("ceil", ops::ceil, -3.0, 3.0),
        ("round", ops::round, -3.0, 3.0),
    ];
    for (name, f, lo, hi) in ops_list {
        for dims in SHAPES {
            let x = rand_tensor(&mut rng, dims, *lo, *hi, DType::F32, &Device::Cpu);
            check_backends(name, &[x], 2e-6, 2e-6, |t| f(&t[0]));
        }
        let xi = rand_tensor(&mut rng, &[4, 9], -20.0, 20.0, DType::I32, &Device::Cpu);
        check_backends(&format!("{name} int32"), &[xi], 2e-6, 2e-6, |t| f(&t[0]));
    }
}

#[test]
fn binary_ops_broadcast_and_agree() {
    let mut rng = Rng::new(2);
    let pairs: &[(&[usize], &[usize])] = &[
        (&[], &[]),
        (&[5], &[]),
        (&[3, 1], &[1, 4]),
        (&[2, 3, 4], &[4]),
        (&[2, 0, 3], &[1, 3]),
        (&[1029], &[1029]),
    ];
    type Bin = fn(&Tensor, &Tensor) -> wgkeras::runtime::Result<Tensor>;
    let bins: &[(&str, Bin)] = &[
        ("add", ops::add),
        ("subtract", ops::subtract),
        ("multiply", ops::multiply),
        ("divide", ops::divide),
        ("maximum", ops::maximum),
        ("minimum", ops::minimum),
        ("power", ops::power),
        ("equal", ops::equal),
        ("not_equal", ops::not_equal),
        ("greater", ops::greater),
        ("greater_equal", ops::greater_equal),
        ("less", ops::less),
        ("less_equal", ops::less_equal),
        ("logical_and", ops::logical_and),
        ("logical_or", ops::logical_or),
    ];
    for (name, f) in bins {
        for (da, db) in pairs {
            for dtype in [DType::F32, DType::I32] {
                let (lo, hi) = if *name == "power" { (0.1, 3.0) } else { (-4.0, 4.0) };
                let a = rand_tensor(&mut rng, da, lo, hi, dtype, &Device::Cpu);
                let b = rand_tensor(&mut rng, db, lo.max(-3.0), hi, dtype, &Device::Cpu);
                check_backends(&format!("{name} {dtype} {da:?} {db:?}"), &[a, b], 1e-5, 1e-6, |t| {
                    f(&t[0], &t[1])
                });
            }
        }
    }
}

#[test]
fn broadcast_failure_is_an_error_naming_the_shapes() {
    for d in devices() {
        let a = ops::zeros(&[2, 3], DType::F32, &d).unwrap();
        let b = ops::zeros(&[4], DType::F32, &d).unwrap();
        let e = ops::add(&a, &b).unwrap_err().to_string();
        assert!(e.contains("add") && e.contains("[2, 3]") && e.contains("[4]"), "{e}");
    }
}

#[test]
fn where_clip_and_predicates_agree() {
    let mut rng = Rng::new(3);
    let c = rand_tensor(&mut rng, &[3, 1], 0.0, 2.0, DType::Bool, &Device::Cpu);
    let x = rand_tensor(&mut rng, &[3, 4], -2.0, 2.0, DType::F32, &Device::Cpu);
    let y = rand_tensor(&mut rng, &[4], -2.0, 2.0, DType::F32, &Device::Cpu);
    check_backends("where", &[c, x.clone(), y], 0.0, 0.0, |t| ops::where_(&t[0], &t[1], &t[2]));
    check_backends("clip", &[x.clone()], 0.0, 0.0, |t| ops::clip(&t[0], -0.5, 0.75));
    let special =
        Tensor::from_vec(vec![1.0f32, f32::NAN, f32::INFINITY, -f32::INFINITY, 0.0], &[5], &Device::Cpu)
            .unwrap();
    check_backends("isnan", &[special.clone()], 0.0, 0.0, |t| ops::isnan(&t[0]));
    check_backends("isfinite", &[special.clone()], 0.0, 0.0, |t| ops::isfinite(&t[0]));
    check_backends("logical_not", &[special.clone()], 0.0, 0.0, |t| ops::logical_not(&t[0]));
    check_backends("nan_to_num", &[special], 0.0, 0.0, |t| ops::nan_to_num(&t[0], 0.5, None, Some(-7.0)));
}

#[test]
fn creation_and_cast_agree() {
    for d in devices() {
        let a = ops::arange(1.0, 10.0, 2.5, DType::F32, &d).unwrap();
        assert_eq!(a.to_vec::<f32>().unwrap(), vec![1.0, 3.5, 6.0, 8.5]);
        let e = ops::eye(3, Some(4), 1, DType::I32, &d).unwrap();
        assert_eq!(e.to_vec::<i32>().unwrap(), vec![0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
        let f = ops::full(&[2, 2], 7.0, DType::I32, &d).unwrap();
        assert_eq!(f.to_vec::<i32>().unwrap(), vec![7; 4]);
        let l = ops::linspace(0.0, 1.0, 5, true, DType::F32, &d).unwrap();
        assert_eq!(l.to_vec::<f32>().unwrap(), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    }
    let mut rng = Rng::new(4);
    let x = rand_tensor(&mut rng, &[37], -5.0, 5.0, DType::F32, &Device::Cpu);
    for to in [DType::I32, DType::U32, DType::Bool, DType::F32] {
        check_backends(&format!("cast to {to}"), &[x.clone()], 0.0, 0.0, |t| ops::cast(&t[0], to));
    }
}
