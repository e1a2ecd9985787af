//! `keras.utils` array utilities on both backends: to_categorical, normalize, pad_sequences,
//! split_dataset, pack/unpack_x_y_sample_weight and the global seed. The worked examples of
//! Keras's "Python & NumPy utilities" page are checked with its printed numbers.

mod common;

use std::sync::Mutex;

use common::*;
use wgkeras::frontend::utils::{
    self, get_random_seed, next_seed, pack_x_y_sample_weight, random_seed, set_random_seed, split_dataset,
    unpack_x_y_sample_weight, Packed, PadSequences, SplitSize,
};
use wgkeras::ops;
use wgkeras::runtime::{CpuStorage, DType, Device, Tensor};

/// Serializes the tests that use the process-wide generator (tests run on several threads).
static GLOBAL_RNG: Mutex<()> = Mutex::new(());

fn t(data: &[f64], dims: &[usize], dtype: DType, dev: &Device) -> Tensor {
    Tensor::from_cpu(CpuStorage::from_f64(dtype, data.iter().copied()), dims, dev).unwrap()
}

fn vals(x: &Tensor) -> Vec<f64> {
    x.to_vec_f64().unwrap()
}

fn assert_near(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= 1e-6 + 1e-5 * w.abs(), "{got:?} vs {want:?}");
    }
}

fn err_of<T: std::fmt::Debug>(r: wgkeras::runtime::Result<T>) -> String {
    r.expect_err("expected an error").to_string()
}

// ---------------------------------------------------------------- to_categorical

/// Keras's example: `to_categorical([0, 1, 2, 3], num_classes=4)`, then
/// `categorical_crossentropy(a, b)` = [0.10536 0.82807 0.1011 1.77196] and
/// `categorical_crossentropy(a, a)` = [0. 0. 0. 0.], computed here with runtime ops as Keras's
/// `ops.categorical_crossentropy` does: `-sum(a * log(clip(b / sum(b), eps, 1 - eps)), -1)`.
#[test]
fn to_categorical_page_example() {
    let cce = |a: &Tensor, b: &Tensor| -> Tensor {
        let b = ops::divide(b, &ops::sum(b, Some(&[-1]), true).unwrap()).unwrap();
        let b = ops::clip(&b, 1e-7, 1.0 - 1e-7).unwrap();
        let s = ops::sum(&ops::multiply(a, &ops::log(&b).unwrap()).unwrap(), Some(&[-1]), false).unwrap();
        ops::negative(&s).unwrap()
    };
    let round5 = |v: Vec<f64>| v.iter().map(|x| (x * 1e5).round() / 1e5).collect::<Vec<_>>();
    for dev in devices() {
        let a = utils::to_categorical(&t(&[0., 1., 2., 3.], &[4], DType::I32, &dev), Some(4)).unwrap();
        assert_eq!(a.dims(), &[4, 4]);
        assert_eq!(a.dtype(), DType::F32);
        assert_eq!(a.device(), dev);
        let eye: Vec<f64> = (0..16).map(|i| (i / 4 == i % 4) as u8 as f64).collect();
        assert_eq!(vals(&a), eye);
        let b = t(
            &[0.9, 0.04, 0.03, 0.03, 0.3, 0.45, 0.15, 0.13, 0.04, 0.01, 0.94, 0.05, 0.12, 0.21, 0.5, 0.17],
            &[4, 4],
            DType::F32,
            &dev,
        );
        let loss = cce(&a, &b);
        assert_eq!(loss.dims(), &[4]);
        let got = round5(vals(&loss));
        for (g, w) in got.iter().zip([0.10536, 0.82807, 0.1011, 1.77196]) {
            assert!((g - w).abs() < 1.5e-5, "{dev}: loss {got:?}");
        }
        assert_eq!(round5(vals(&cce(&a, &a))), vec![0.0; 4], "{dev}");
    }
}

/// Host reference: `x` (integer classes) one-hot over `c` classes, class axis last.
fn one_hot_ref(x: &[f64], c: usize) -> Vec<f64> {
    x.iter().flat_map(|&v| (0..c).map(move |k| (v as usize == k) as u8 as f64)).collect()
}

#[test]
fn to_categorical_shapes_on_both_backends() {
    let mut rng = Rng::new(3);
    // (input dims, num_classes, expected output dims)
    let cases: &[(&[usize], Option<usize>, &[usize])] = &[
        (&[5], Some(3), &[5, 3]),
        (&[5, 1], Some(3), &[5, 3]),
        (&[2, 3, 1], Some(4), &[2, 3, 4]),
        (&[1], Some(2), &[1, 2]),
        (&[1, 1], Some(2), &[1, 2]),
        (&[], Some(6), &[6]),
        (&[0], Some(3), &[0, 3]),
        (&[2, 0, 1], Some(3), &[2, 0, 3]),
        (&[3, 7], Some(1029), &[3, 7, 1029]),
        // Inferred class counts (Keras's `if not num_classes`: 0 infers too); the last dim of
        // the expected dims is set below to the inferred 5.
        (&[4, 2], Some(0), &[4, 2, 0]),
        (&[17], None, &[17, 0]),
    ];
    for &(dims, nc, out) in cases {
        let n: usize = dims.iter().product();
        let classes = nc.filter(|&c| c > 0).unwrap_or(5);
        let mut data: Vec<f64> = (0..n).map(|_| rng.below(classes) as f64).collect();
        if nc.is_none_or(|c| c == 0) && n > 0 {
            data[n - 1] = 4.0; // makes the inferred count 5
        }
        let mut want_dims = out.to_vec();
        if nc.is_none_or(|c| c == 0) {
            *want_dims.last_mut().unwrap() = 5;
        }
        for dtype in [DType::I32, DType::F32] {
            let x = t(&data, dims, dtype, &Device::Cpu);
            check_backends(&format!("to_categorical {dims:?} {dtype}"), &[x.clone()], 0.0, 0.0, |i| {
                utils::to_categorical(&i[0], nc)
            });
            let y = utils::to_categorical(&x, nc).unwrap();
            assert_eq!(y.dims(), want_dims.as_slice(), "{dims:?} {nc:?}");
            assert_eq!(vals(&y), one_hot_ref(&data, *want_dims.last().unwrap()), "{dims:?} {nc:?}");
        }
    }
    // Bools are classes 0 and 1.
    for dev in devices() {
        let y = utils::to_categorical(&t(&[1., 0., 1.], &[3], DType::Bool, &dev), None).unwrap();
        assert_eq!(vals(&y), vec![0., 1., 1., 0., 0., 1.]);
    }
}

#[test]
fn to_categorical_errors() {
    for dev in devices() {
        let cases: &[(&[f64], DType, Option<usize>, &str)] = &[
            (&[0., -1., 2.], DType::I32, Some(3), "non-negative"),
            (&[0., 1.5], DType::F32, Some(3), "integers"),
            (&[0., f64::NAN], DType::F32, None, "integers"),
            (&[0., 3.], DType::I32, Some(3), "out of range"),
            (&[], DType::I32, None, "empty"),
        ];
        for &(data, dtype, nc, what) in cases {
            let x = t(data, &[data.len()], dtype, &dev);
            let e = err_of(utils::to_categorical(&x, nc));
            assert!(e.contains("to_categorical") && e.contains(what), "{dev} {data:?}: {e}");
        }
    }
}

// ---------------------------------------------------------------- normalize

fn normalize_ref(x: &[f64], dims: &[usize], axis: usize, order: i64) -> Vec<f64> {
    let r = dims[axis];
    let inner: usize = dims[axis + 1..].iter().product();
    let mut out = x.to_vec();
    for o in 0..x.len() / (r * inner).max(1) {
        for i in 0..inner {
            let idx = |k: usize| o * r * inner + k * inner + i;
            let norm =
                (0..r).map(|k| x[idx(k)].abs().powi(order as i32)).sum::<f64>().powf(1.0 / order as f64);
            for k in 0..r {
                out[idx(k)] = x[idx(k)] / norm.max(1e-7);
            }
        }
    }
    out
}

#[test]
fn normalize_agrees_with_reference_on_both_backends() {
    let mut rng = Rng::new(5);
    let shapes: &[&[usize]] = &[&[7], &[3, 5], &[2, 0, 3], &[4, 1, 6], &[2, 3, 17], &[1, 1029]];
    for dims in shapes {
        for axis in 0..dims.len() {
            for order in [1, 2, 3] {
                let x = rand_tensor(&mut rng, dims, -3.0, 3.0, DType::F32, &Device::Cpu);
                let what = format!("normalize {dims:?} axis {axis} order {order}");
                check_backends(&what, &[x.clone()], 1e-5, 1e-6, |i| {
                    utils::normalize(&i[0], axis as i64, order)
                });
                let got = utils::normalize(&x, axis as i64 - dims.len() as i64, order).unwrap();
                assert_eq!(got.dtype(), DType::F32);
                let want = normalize_ref(&vals(&x), dims, axis, order);
                for (g, w) in vals(&got).iter().zip(&want) {
                    assert!((g - w).abs() <= 1e-5 + 1e-4 * w.abs(), "{what}: {g} vs {w}");
                }
            }
        }
    }
}

#[test]
fn normalize_zero_rows_ints_and_errors() {
    for dev in devices() {
        // A zero row stays zero (Keras: a zero norm is replaced by 1, or floored at epsilon).
        let x = t(&[3., 0., 4., 0., 0., 0.], &[2, 3], DType::F32, &dev);
        for order in [1, 2, 3] {
            let y = vals(&utils::normalize(&x, -1, order).unwrap());
            assert_eq!(&y[3..], &[0., 0., 0.], "{dev} order {order}");
        }
        assert_near(&vals(&utils::normalize(&x, -1, 2).unwrap())[..3], &[0.6, 0.0, 0.8]);
        // Integers are normalized in float32; a 0-d input becomes shape (1,).
        let xi = t(&[3., 4.], &[2], DType::I32, &dev);
        let yi = utils::normalize(&xi, -1, 2).unwrap();
        assert_eq!(yi.dtype(), DType::F32);
        assert_near(&vals(&yi), &[0.6, 0.8]);
        let s = utils::normalize(&t(&[-2.5], &[], DType::F32, &dev), -1, 2).unwrap();
        assert_eq!(s.dims(), &[1]);
        assert_near(&vals(&s), &[-1.0]);
        for (r, what) in [
            (utils::normalize(&x, -1, 0), "order"),
            (utils::normalize(&x, 2, 2), "axis"),
            (utils::normalize(&t(&[1.], &[1], DType::Bool, &dev), -1, 2), "bool"),
        ] {
            let e = err_of(r);
            assert!(e.contains("normalize") && e.contains(what), "{dev}: {e}");
        }
    }
}

// ---------------------------------------------------------------- pad_sequences

fn ints(x: &Tensor) -> Vec<i64> {
    vals(x).into_iter().map(|v| v as i64).collect()
}

#[test]
fn pad_sequences_docstring_examples() {
    let seq = vec![vec![1.0], vec![2.0, 3.0], vec![4.0, 5.0, 6.0]];
    let d = PadSequences::default();
    for dev in devices() {
        let run = |o: &PadSequences| {
            let y = utils::pad_sequences(&seq, o, &dev).unwrap();
            assert_eq!((y.dtype(), y.device()), (DType::I32, dev.clone()));
            (y.dims().to_vec(), ints(&y))
        };
        assert_eq!(run(&d), (vec![3, 3], vec![0, 0, 1, 0, 2, 3, 4, 5, 6]));
        assert_eq!(
            run(&PadSequences { value: -1.0, ..d.clone() }),
            (vec![3, 3], vec![-1, -1, 1, -1, 2, 3, 4, 5, 6])
        );
        assert_eq!(
            run(&PadSequences { padding: "post", ..d.clone() }),
            (vec![3, 3], vec![1, 0, 0, 2, 3, 0, 4, 5, 6])
        );
        assert_eq!(run(&PadSequences { maxlen: Some(2), ..d.clone() }), (vec![3, 2], vec![0, 1, 2, 3, 5, 6]));
        assert_eq!(
            run(&PadSequences { maxlen: Some(2), truncating: "post", ..d.clone() }),
            (vec![3, 2], vec![0, 1, 2, 3, 4, 5])
        );
        assert_eq!(run(&PadSequences { maxlen: Some(0), ..d.clone() }), (vec![3, 0], vec![]));
        // Floats: kept as float32, truncated toward zero for int32 (as NumPy's asarray).
        let fs = [vec![1.5, -2.25], vec![-4.7]];
        let y = utils::pad_sequences(&fs, &PadSequences { dtype: DType::F32, value: 0.5, ..d.clone() }, &dev)
            .unwrap();
        assert_eq!((y.dtype(), vals(&y)), (DType::F32, vec![1.5, -2.25, 0.5, -4.7f32 as f64]));
        let y = utils::pad_sequences(&fs, &PadSequences { value: 0.9, ..d.clone() }, &dev).unwrap();
        assert_eq!(ints(&y), vec![1, -2, 0, -4]);
        // Empty sequences are all padding.
        let e: Vec<Vec<f64>> = vec![vec![], vec![7.0]];
        assert_eq!(ints(&utils::pad_sequences(&e, &d, &dev).unwrap()), vec![0, 7]);
        let y = utils::pad_sequences(&[Vec::<f64>::new(), vec![]], &d, &dev).unwrap();
        assert_eq!(y.dims(), &[2, 0]);
        let y = utils::pad_sequences(
            &Vec::<Vec<f64>>::new(),
            &PadSequences { maxlen: Some(4), ..d.clone() },
            &dev,
        )
        .unwrap();
        assert_eq!(y.dims(), &[0, 4]);
    }
}

#[test]
fn pad_tensor_sequences_keep_sample_shape() {
    let d = PadSequences::default();
    for dev in devices() {
        let a = t(&[1., 2.], &[1, 2], DType::F32, &dev);
        let b = t(&[3., 4., 5., 6., 7., 8.], &[3, 2], DType::F32, &dev);
        let empty = t(&[], &[0, 5], DType::F32, &dev); // an empty sequence's sample shape is ignored
        let y =
            utils::pad_tensor_sequences(&[a, b, empty], &PadSequences { maxlen: Some(2), ..d.clone() }, &dev)
                .unwrap();
        assert_eq!(y.dims(), &[3, 2, 2]);
        assert_eq!(ints(&y), vec![0, 0, 1, 2, 5, 6, 7, 8, 0, 0, 0, 0]);
        let bad = [t(&[1., 2.], &[1, 2], DType::F32, &dev), t(&[1., 2., 3.], &[1, 3], DType::F32, &dev)];
        let e = err_of(utils::pad_tensor_sequences(&bad, &d, &dev));
        assert!(
            e.contains("pad_sequences") && e.contains("Shape of sample [3] of sequence at position 1"),
            "{e}"
        );
        let e = err_of(utils::pad_tensor_sequences(&[t(&[1.], &[], DType::F32, &dev)], &d, &dev));
        assert!(e.contains("must be a list of iterables"), "{e}");
    }
}

#[test]
fn pad_sequences_errors() {
    let seq = vec![vec![1.0], vec![2.0, 3.0]];
    let d = PadSequences::default();
    for dev in devices() {
        let e = err_of(utils::pad_sequences(&seq, &PadSequences { padding: "middle", ..d.clone() }, &dev));
        assert!(e.contains("pad_sequences") && e.contains("Padding type \"middle\" not understood"), "{e}");
        let e = err_of(utils::pad_sequences(&seq, &PadSequences { truncating: "both", ..d.clone() }, &dev));
        assert!(e.contains("Truncating type \"both\" not understood"), "{e}");
        // Truncating is checked before padding, as in Keras.
        let e = err_of(utils::pad_sequences(
            &seq,
            &PadSequences { truncating: "x", padding: "y", ..d.clone() },
            &dev,
        ));
        assert!(e.contains("Truncating type \"x\""), "{e}");
        // Keras only looks at the modes when a sequence has values.
        let empty: Vec<Vec<f64>> = vec![vec![]];
        assert!(utils::pad_sequences(&empty, &PadSequences { padding: "middle", ..d.clone() }, &dev).is_ok());
        let e = err_of(utils::pad_sequences(&Vec::<Vec<f64>>::new(), &d, &dev));
        assert!(e.contains("pad_sequences") && e.contains("maxlen"), "{e}");
        let e = err_of(utils::pad_sequences(&seq, &PadSequences { value: f64::NAN, ..d.clone() }, &dev));
        assert!(e.contains("pad_sequences") && e.contains("NaN"), "{e}");
    }
}

// ---------------------------------------------------------------- split_dataset

/// The page's example: `split_dataset(np.random.random((1000, 4)), left_size=0.8)` gives 800
/// and 200 samples.
#[test]
fn split_dataset_page_example() {
    let mut rng = Rng::new(9);
    for dev in devices() {
        let data = rand_tensor(&mut rng, &[1000, 4], 0.0, 1.0, DType::F32, &dev);
        let (l, r) =
            split_dataset(std::slice::from_ref(&data), Some(SplitSize::Fraction(0.8)), None, false, None)
                .unwrap();
        assert_eq!((l.len(), r.len()), (1, 1));
        assert_eq!((l[0].dims(), r[0].dims()), (&[800, 4][..], &[200, 4][..]));
        assert_eq!((l[0].device(), r[0].device()), (dev.clone(), dev.clone()));
        let all = vals(&data);
        assert_eq!(vals(&l[0]), all[..3200]);
        assert_eq!(vals(&r[0]), all[3200..]);
        // Counts, right only, several arrays.
        let y = t(&(0..1000).map(|v| v as f64).collect::<Vec<_>>(), &[1000], DType::I32, &dev);
        let (l, r) =
            split_dataset(&[data.clone(), y.clone()], None, Some(SplitSize::Count(300)), false, None)
                .unwrap();
        assert_eq!((l[0].dims()[0], l[1].dims(), r[1].dims()), (700, &[700][..], &[300][..]));
        assert_eq!(ints(&r[1])[0], 700);
        // Both given and not covering everything: the middle is dropped.
        let (l, r) = split_dataset(
            &[y.clone()],
            Some(SplitSize::Count(100)),
            Some(SplitSize::Fraction(0.1)),
            false,
            None,
        )
        .unwrap();
        assert_eq!((ints(&l[0]).last().copied(), ints(&r[0])[0], r[0].dims()[0]), (Some(99), 900, 100));
    }
}

#[test]
fn split_dataset_shuffle_is_seeded_and_device_independent() {
    let n = 257;
    let ids: Vec<f64> = (0..n).map(|v| v as f64).collect();
    let mut seen: Vec<Vec<i64>> = Vec::new();
    for dev in devices() {
        let x = t(&ids, &[n], DType::I32, &dev);
        let x2 = t(&ids.iter().flat_map(|&v| [v, -v]).collect::<Vec<_>>(), &[n, 2], DType::F32, &dev);
        let (l, r) = split_dataset(&[x, x2], Some(SplitSize::Fraction(0.5)), None, true, Some(1234)).unwrap();
        assert_eq!((l[0].dims()[0], r[0].dims()[0]), (128, 129)); // round(128.5) = 128 (half to even)
        let mut order = ints(&l[0]);
        order.extend(ints(&r[0]));
        // Rows stay together across the arrays.
        let pairs = vals(&l[1]);
        for (k, id) in ints(&l[0]).iter().enumerate() {
            assert_eq!((pairs[2 * k], pairs[2 * k + 1]), (*id as f64, -(*id as f64)));
        }
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(sorted, (0..n as i64).collect::<Vec<_>>(), "a permutation");
        assert_ne!(order, (0..n as i64).collect::<Vec<_>>(), "shuffled");
        seen.push(order);
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "same order on every device");
    let x = t(&ids, &[n], DType::I32, &Device::Cpu);
    let (a, _) =
        split_dataset(std::slice::from_ref(&x), Some(SplitSize::Fraction(0.5)), None, true, Some(1234))
            .unwrap();
    let (b, _) =
        split_dataset(std::slice::from_ref(&x), Some(SplitSize::Fraction(0.5)), None, true, Some(99))
            .unwrap();
    assert_eq!(ints(&a[0]), seen[0][..128]);
    assert_ne!(ints(&a[0]), ints(&b[0]));
}

#[test]
fn split_dataset_errors() {
    use SplitSize::*;
    let dev = Device::Cpu;
    let x = t(&[0.; 40], &[10, 4], DType::F32, &dev);
    let xs = std::slice::from_ref(&x);
    let cases: Vec<(Option<SplitSize>, Option<SplitSize>, &str)> = vec![
        (None, None, "At least one of the `left_size` or `right_size` must be specified"),
        (Some(Count(0)), Some(Fraction(0.0)), "Both `left_size` and `right_size` are zero"),
        (Some(Count(10)), None, "`left_size` should be either a positive integer smaller than 10"),
        (Some(Count(0)), Some(Count(3)), "Received: left_size=0"),
        (Some(Fraction(1.0)), None, "Received: left_size=1.0"),
        (Some(Fraction(-0.5)), None, "Received: left_size=-0.5"),
        (Some(Fraction(f64::NAN)), None, "`left_size` should be"),
        (None, Some(Fraction(1.5)), "`right_size` should be either a positive integer and smaller than 10"),
        (None, Some(Count(11)), "Received: right_size=11"),
        (
            Some(Fraction(0.6)),
            Some(Fraction(0.5)),
            "The sum of `left_size` and `right_size` is greater than 1",
        ),
        (
            Some(Count(6)),
            Some(Count(5)),
            "should be smaller than the 10. Received: left_size + right_size = 11",
        ),
        (Some(Fraction(0.7)), Some(Count(4)), "left_size + right_size = 11"),
        (Some(Fraction(0.04)), None, "Resulting left side dataset split will be empty"),
        (None, Some(Fraction(0.01)), "Resulting right side dataset split will be empty"),
    ];
    for (l, r, what) in cases {
        let e = err_of(split_dataset(xs, l, r, false, None));
        assert!(e.contains("split_dataset") && e.contains(what), "{l:?} {r:?}: {e}");
    }
    let e = err_of(split_dataset(&[], Some(Count(1)), None, false, None));
    assert!(e.contains("Received an empty list dataset"), "{e}");
    let y = t(&[0.; 9], &[9], DType::F32, &dev);
    let e = err_of(split_dataset(&[x.clone(), y], Some(Count(1)), None, false, None));
    assert!(e.contains("different lengths") && e.contains("index 1"), "{e}");
    let s = t(&[1.], &[], DType::F32, &dev);
    let e = err_of(split_dataset(&[s], Some(Count(1)), None, false, None));
    assert!(e.contains("split_dataset") && e.contains("0-d"), "{e}");
    // Python's round: 0.05 * 10 = 0.5 rounds to 0 (an empty left side); 0.25 * 10 = 2.5 to 2.
    assert!(split_dataset(xs, Some(Fraction(0.05)), None, false, None).is_err());
    let (l, r) = split_dataset(xs, Some(Fraction(0.25)), None, false, None).unwrap();
    assert_eq!((l[0].dims()[0], r[0].dims()[0]), (2, 8));
}

// ---------------------------------------------------------------- pack / unpack

#[test]
fn pack_and_unpack_follow_keras_rules() {
    let dev = Device::Cpu;
    let x = ops::ones(&[10, 1], DType::F32, &dev).unwrap();
    let y = ops::zeros(&[10, 1], DType::F32, &dev).unwrap();
    let w = ops::full(&[10], 0.5, DType::F32, &dev).unwrap();
    // The page's example: x alone stays a tensor; with y it is a tuple.
    let data = pack_x_y_sample_weight(x.clone(), None, None);
    assert!(matches!(&data, Packed::Single(_)));
    let data = pack_x_y_sample_weight(x.clone(), Some(y.clone()), None);
    let Packed::Tuple(items) = &data else { panic!("a tuple") };
    assert_eq!(items.len(), 2);
    let (ux, uy, uw) = unpack_x_y_sample_weight(data).unwrap();
    assert_eq!((vals(&ux), vals(&uy.unwrap()), uw.is_none()), (vals(&x), vals(&y), true));
    // sample_weight without y is dropped, as in Keras.
    assert!(matches!(pack_x_y_sample_weight(1, None, Some(3)), Packed::Single(1)));
    assert_eq!(pack_x_y_sample_weight(1, Some(2), Some(3)), Packed::Tuple(vec![1, 2, 3]));
    let (_, _, uw) = unpack_x_y_sample_weight(pack_x_y_sample_weight(x, Some(y), Some(w.clone()))).unwrap();
    assert_eq!(vals(&uw.unwrap()), vals(&w));
    // Tuples of 1, 2, 3; a bare x; other lengths are errors.
    assert_eq!(unpack_x_y_sample_weight(Packed::Single(7)).unwrap(), (7, None, None));
    assert_eq!(unpack_x_y_sample_weight(Packed::Tuple(vec![7])).unwrap(), (7, None, None));
    assert_eq!(unpack_x_y_sample_weight(Packed::Tuple(vec![7, 8])).unwrap(), (7, Some(8), None));
    assert_eq!(unpack_x_y_sample_weight(Packed::Tuple(vec![7, 8, 9])).unwrap(), (7, Some(8), Some(9)));
    for n in [0, 4, 5] {
        let e = err_of(unpack_x_y_sample_weight(Packed::Tuple(vec![0; n])));
        assert!(e.contains("unpack_x_y_sample_weight") && e.contains("`(x, y, sample_weight)`"), "{e}");
        assert!(e.contains(&format!("length {n}")), "{e}");
    }
}

// ---------------------------------------------------------------- set_random_seed

#[test]
fn set_random_seed_makes_draws_reproducible() {
    let _guard = GLOBAL_RNG.lock().unwrap_or_else(|e| e.into_inner());
    let draw = |dev: &Device| {
        let mut g = random_seed();
        let u = vals(&g.uniform(&[5], 0.0, 1.0, DType::F32, dev).unwrap());
        let v = vals(&g.uniform(&[5], 0.0, 1.0, DType::F32, dev).unwrap());
        (u, v, next_seed())
    };
    set_random_seed(1337);
    assert_eq!(get_random_seed(), Some(1337));
    let first = draw(&Device::Cpu);
    assert_ne!(first.0, first.1, "successive draws of one stream differ");
    let second = draw(&Device::Cpu);
    assert_ne!(first.0, second.0, "successive streams differ");
    for dev in devices() {
        set_random_seed(1337);
        assert_eq!(draw(&dev), first, "{dev}: same seed, same numbers");
    }
    set_random_seed(7);
    assert_ne!(draw(&Device::Cpu).0, first.0);
    // split_dataset with no seed draws it from the global generator.
    let x = t(&(0..50).map(|v| v as f64).collect::<Vec<_>>(), &[50], DType::I32, &Device::Cpu);
    let xs = std::slice::from_ref(&x);
    set_random_seed(42);
    let (a, _) = split_dataset(xs, Some(SplitSize::Count(25)), None, true, None).unwrap();
    set_random_seed(42);
    let (b, _) = split_dataset(xs, Some(SplitSize::Count(25)), None, true, None).unwrap();
    assert_eq!(ints(&a[0]), ints(&b[0]));
}
