//! The TensorFlow-named array ops (`wgkeras::runtime::tf::array_ops`): CPU/GPU agreement on
//! random shapes (odd, size-1 and empty dims), bad input errors that name the op, and the
//! worked examples of these ops' TensorFlow API pages, run on every backend.

mod common;

use common::*;
use wgkeras::runtime::tf;
use wgkeras::runtime::{DType, Device, Tensor};

fn ints(v: &[i32], dims: &[usize], d: &Device) -> Tensor {
    Tensor::from_vec(v.to_vec(), dims, d).unwrap()
}

fn bools(v: &[bool], dims: &[usize], d: &Device) -> Tensor {
    Tensor::from_vec(v.to_vec(), dims, d).unwrap()
}

fn i32s(t: &Tensor) -> Vec<i32> {
    assert_eq!(t.dtype(), DType::I32, "{t:?}");
    t.to_vec::<i32>().unwrap()
}

fn err_names(op: &str, r: wgkeras::runtime::Result<impl std::fmt::Debug>) {
    match r {
        Ok(v) => panic!("{op}: expected an error, got {v:?}"),
        Err(e) => assert!(e.to_string().starts_with(op), "error should name {op}: {e}"),
    }
}

fn rand_ints(rng: &mut Rng, dims: &[usize], lo: i64, hi: i64) -> Tensor {
    let n: usize = dims.iter().product();
    let v: Vec<i32> = (0..n).map(|_| (lo + rng.below((hi - lo) as usize) as i64) as i32).collect();
    ints(&v, dims, &Device::Cpu)
}

fn rand_bools(rng: &mut Rng, dims: &[usize]) -> Tensor {
    let n: usize = dims.iter().product();
    let v: Vec<bool> = (0..n).map(|_| rng.below(2) == 1).collect();
    bools(&v, dims, &Device::Cpu)
}

const SHAPES: &[&[usize]] = &[&[7], &[3, 5], &[1, 4, 1], &[2, 0, 3], &[5, 1, 6, 3], &[0], &[33, 17]];

#[test]
fn agreement_shape_ops_reverse_roll_where() {
    let mut rng = Rng::new(5);
    for dims in SHAPES {
        let x = rand_tensor(&mut rng, dims, -3.0, 3.0, DType::F32, &Device::Cpu);
        let r = dims.len() as i64;
        check_backends("tf.size", &[x.clone()], 0.0, 0.0, |t| tf::size(&t[0]));
        check_backends("tf.shape", &[x.clone()], 0.0, 0.0, |t| tf::shape(&t[0]));
        check_backends("tf.reverse", &[x.clone()], 0.0, 0.0, |t| {
            tf::reverse(&t[0], if r > 1 { &[0, -1] } else { &[0] })
        });
        check_backends("tf.roll", &[x.clone()], 0.0, 0.0, |t| tf::roll(&t[0], &[3, -7], &[-1, 0]));
        let c = rand_bools(&mut rng, dims);
        check_backends("tf.where(c)", &[c.clone()], 0.0, 0.0, |t| tf::where_(&t[0], None, None));
        let y = rand_tensor(&mut rng, dims, -3.0, 3.0, DType::F32, &Device::Cpu);
        check_backends("tf.where(c,x,y)", &[c.clone(), x.clone(), y], 0.0, 0.0, |t| {
            tf::where_(&t[0], Some(&t[1]), Some(&t[2]))
        });
        let m = rand_bools(&mut rng, &dims[..1]);
        check_backends("tf.boolean_mask", &[x.clone(), m], 0.0, 0.0, |t| {
            tf::boolean_mask(&t[0], &t[1], None)
        });
        let n = dims[r as usize - 1];
        if n > 0 {
            let idx = rand_ints(&mut rng, &[4, 3], 0, n as i64);
            check_backends("tf.gather", &[x.clone(), idx], 0.0, 0.0, |t| {
                tf::gather(&t[0], &t[1], Some(-1), 0)
            });
        }
        if dims[0] > 0 {
            let idx = rand_ints(&mut rng, &[5, 1], 0, dims[0] as i64);
            check_backends("tf.gather_nd", &[x.clone(), idx], 0.0, 0.0, |t| tf::gather_nd(&t[0], &t[1], 0));
            let sh: Vec<i64> = dims.iter().map(|&d| d as i64).collect();
            let idx = rand_ints(&mut rng, &[6, 1], 0, dims[0] as i64);
            let mut ud = vec![6];
            ud.extend_from_slice(&dims[1..]);
            let upd = rand_tensor(&mut rng, &ud, -3.0, 3.0, DType::F32, &Device::Cpu);
            check_backends("tf.scatter_nd", &[idx, upd], 1e-6, 1e-6, |t| tf::scatter_nd(&t[0], &t[1], &sh));
        }
    }
}

#[test]
fn agreement_batched_gather_sequence_mask_meshgrid() {
    let mut rng = Rng::new(9);
    for (pd, axis, b) in
        [(&[3usize, 5, 4][..], 1i64, 1i64), (&[2, 3, 7, 2], 2, 2), (&[4, 1, 3], 2, 1), (&[0, 3], 1, 1)]
    {
        let x = rand_tensor(&mut rng, pd, -3.0, 3.0, DType::F32, &Device::Cpu);
        let mut id: Vec<usize> = pd[..b as usize].to_vec();
        id.push(5);
        let idx = rand_ints(&mut rng, &id, 0, pd[axis as usize] as i64);
        check_backends("tf.gather batch_dims", &[x, idx], 0.0, 0.0, |t| {
            tf::gather(&t[0], &t[1], Some(axis), b)
        });
    }
    let x = rand_tensor(&mut rng, &[2, 3, 4], -3.0, 3.0, DType::F32, &Device::Cpu);
    let idx = rand_ints(&mut rng, &[2, 5, 1], 0, 3);
    check_backends("tf.gather_nd batch_dims", &[x, idx], 0.0, 0.0, |t| tf::gather_nd(&t[0], &t[1], 1));
    for dims in [&[5usize][..], &[2, 3], &[0]] {
        let l = rand_ints(&mut rng, dims, 0, 9);
        check_backends("tf.sequence_mask", &[l.clone()], 0.0, 0.0, |t| {
            tf::sequence_mask(&t[0], None, DType::Bool)
        });
        check_backends("tf.sequence_mask f32", &[l], 0.0, 0.0, |t| {
            tf::sequence_mask(&t[0], Some(4), DType::F32)
        });
    }
    let a = rand_tensor(&mut rng, &[3], -1.0, 1.0, DType::F32, &Device::Cpu);
    let b = rand_tensor(&mut rng, &[5], -1.0, 1.0, DType::F32, &Device::Cpu);
    for indexing in ["xy", "ij"] {
        check_backends("tf.meshgrid", &[a.clone(), b.clone()], 0.0, 0.0, |t| {
            Ok(tf::meshgrid(t, indexing)?.remove(1))
        });
    }
}

#[test]
fn bad_inputs_name_the_op() {
    for d in devices() {
        let x = ints(&[1, 2, 3, 4, 5, 6], &[2, 3], &d);
        err_names("tf.reverse", tf::reverse(&x, &[0, 0]));
        err_names("tf.reverse", tf::reverse(&x, &[2]));
        err_names("tf.roll", tf::roll(&x, &[1, 2], &[0]));
        err_names("tf.roll", tf::roll(&x, &[1], &[5]));
        err_names("tf.where", tf::where_(&x, Some(&x), None));
        err_names("tf.where", tf::where_(&x, Some(&x), Some(&x)));
        err_names("tf.boolean_mask", tf::boolean_mask(&x, &bools(&[true, false], &[2], &d), Some(1)));
        err_names("tf.boolean_mask", tf::boolean_mask(&x, &x, None));
        err_names("tf.sequence_mask", tf::sequence_mask(&x, Some(-1), DType::Bool));
        err_names("tf.meshgrid", tf::meshgrid(&[x.clone()], "xz"));
        err_names("tf.gather", tf::gather(&x, &ints(&[3], &[1], &d), Some(1), 0));
        err_names("tf.gather", tf::gather(&x, &ints(&[0], &[1], &d), Some(2), 0));
        err_names("tf.gather", tf::gather(&x, &ints(&[-1], &[1], &d), None, 0));
        err_names("tf.gather_nd", tf::gather_nd(&x, &ints(&[0, 3], &[1, 2], &d), 0));
        err_names("tf.gather_nd", tf::gather_nd(&x, &ints(&[0, 0, 0], &[1, 3], &d), 0));
        err_names("tf.scatter_nd", tf::scatter_nd(&ints(&[4], &[1, 1], &d), &ints(&[1], &[1], &d), &[3]));
        err_names("tf.scatter_nd", tf::scatter_nd(&ints(&[1], &[1, 1], &d), &ints(&[1, 2], &[2], &d), &[3]));
        err_names("tf.unravel_index", tf::unravel_index(&ints(&[9], &[1], &d), &[3, 3]));
        err_names("tf.range", tf::range(1.0, Some(5.0), 0.0, None, &d));
        err_names("tf.range", tf::range(5.0, Some(1.0), 1.0, None, &d));
    }
}

/// The worked examples of the TensorFlow API pages (tensorflow_api_pages.md).
#[test]
fn api_page_examples() {
    for d in devices() {
        let t = ints(&[1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4], &[2, 2, 3], &d);
        assert_eq!(i32s(&tf::size(&t).unwrap()), [12]);
        assert_eq!(i32s(&tf::rank(&t).unwrap()), [3]);
        assert_eq!(i32s(&tf::shape(&t).unwrap()), [2, 2, 3]);
        // tf.reverse: t of shape [1, 2, 3, 4], dims [3] / [1] / [2].
        let t = ints(&(0..24).collect::<Vec<_>>(), &[1, 2, 3, 4], &d);
        assert_eq!(i32s(&tf::reverse(&t, &[3]).unwrap())[..8], [3, 2, 1, 0, 7, 6, 5, 4]);
        assert_eq!(i32s(&tf::reverse(&t, &[1]).unwrap())[..4], [12, 13, 14, 15]);
        assert_eq!(i32s(&tf::reverse(&t, &[2]).unwrap())[..4], [8, 9, 10, 11]);
        // tf.roll
        let t = ints(&[0, 1, 2, 3, 4], &[5], &d);
        assert_eq!(i32s(&tf::roll(&t, &[2], &[0]).unwrap()), [3, 4, 0, 1, 2]);
        let t = ints(&(0..10).collect::<Vec<_>>(), &[2, 5], &d);
        assert_eq!(i32s(&tf::roll(&t, &[1, -2], &[0, 1]).unwrap()), [7, 8, 9, 5, 6, 2, 3, 4, 0, 1]);
        assert_eq!(i32s(&tf::roll(&t, &[2, -3], &[1, 1]).unwrap()), [1, 2, 3, 4, 0, 6, 7, 8, 9, 5]);
        // tf.where
        let c = bools(&[true, false, false, true], &[4], &d);
        assert_eq!(i32s(&tf::where_(&c, None, None).unwrap()), [0, 3]);
        let x = ints(&[1, 2, 3, 4], &[4], &d);
        let y = ints(&[100, 200, 300, 400], &[4], &d);
        assert_eq!(i32s(&tf::where_(&c, Some(&x), Some(&y)).unwrap()), [1, 200, 300, 4]);
        let y = ints(&[100], &[], &d);
        assert_eq!(i32s(&tf::where_(&c, Some(&x), Some(&y)).unwrap()), [1, 100, 100, 4]);
        // tf.boolean_mask
        let t = ints(&[0, 1, 2, 3], &[4], &d);
        let m = bools(&[true, false, true, false], &[4], &d);
        assert_eq!(i32s(&tf::boolean_mask(&t, &m, None).unwrap()), [0, 2]);
        let t = ints(&[1, 2, 3, 4, 5, 6], &[3, 2], &d);
        let m = bools(&[true, false, true], &[3], &d);
        assert_eq!(i32s(&tf::boolean_mask(&t, &m, None).unwrap()), [1, 2, 5, 6]);
        // tf.sequence_mask
        let l = ints(&[1, 3, 2], &[3], &d);
        let s = tf::sequence_mask(&l, Some(5), DType::I32).unwrap();
        assert_eq!(i32s(&s), [1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0]);
        let l = ints(&[1, 3, 2, 0], &[2, 2], &d);
        let s = tf::sequence_mask(&l, None, DType::I32).unwrap();
        assert_eq!(s.dims(), [2, 2, 3]);
        assert_eq!(i32s(&s), [1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
        // tf.meshgrid
        let g = tf::meshgrid(&[ints(&[1, 2, 3], &[3], &d), ints(&[4, 5, 6], &[3], &d)], "xy").unwrap();
        assert_eq!(i32s(&g[0]), [1, 2, 3, 1, 2, 3, 1, 2, 3]);
        assert_eq!(i32s(&g[1]), [4, 4, 4, 5, 5, 5, 6, 6, 6]);
        // tf.gather
        let p = ints(&[0, 10, 20, 30, 40, 50], &[6], &d);
        assert_eq!(i32s(&tf::gather(&p, &ints(&[2, 0, 2, 5], &[4], &d), None, 0).unwrap()), [20, 0, 20, 50]);
        // tf.gather_nd
        let p = ints(&[1, 2, 3, 4], &[2, 2], &d);
        assert_eq!(i32s(&tf::gather_nd(&p, &ints(&[0, 0, 1, 1], &[2, 2], &d), 0).unwrap()), [1, 4]);
        // tf.scatter_nd
        let s = tf::scatter_nd(&ints(&[4, 3, 1, 7], &[4, 1], &d), &ints(&[9, 10, 11, 12], &[4], &d), &[8]);
        assert_eq!(i32s(&s.unwrap()), [0, 11, 0, 10, 9, 0, 0, 12]);
        // tf.unravel_index
        let u = tf::unravel_index(&ints(&[2, 5, 7], &[3], &d), &[3, 3]).unwrap();
        assert_eq!(i32s(&u), [0, 1, 2, 2, 2, 1]);
        // tf.range
        assert_eq!(i32s(&tf::range(3.0, Some(18.0), 3.0, None, &d).unwrap()), [3, 6, 9, 12, 15]);
        assert_eq!(i32s(&tf::range(5.0, None, 1.0, None, &d).unwrap()), [0, 1, 2, 3, 4]);
        let r = tf::range(3.0, Some(1.0), -0.5, None, &d).unwrap();
        assert_eq!(r.to_vec::<f32>().unwrap(), [3.0, 2.5, 2.0, 1.5]);
    }
}
