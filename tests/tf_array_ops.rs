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
        check_backends("tf.size", std::slice::from_ref(&x), 0.0, 0.0, |t| tf::size(&t[0]));
        check_backends("tf.shape", std::slice::from_ref(&x), 0.0, 0.0, |t| tf::shape(&t[0]));
        check_backends("tf.reverse", std::slice::from_ref(&x), 0.0, 0.0, |t| {
            tf::reverse(&t[0], if r > 1 { &[0, -1] } else { &[0] })
        });
        check_backends("tf.roll", std::slice::from_ref(&x), 0.0, 0.0, |t| {
            tf::roll(&t[0], &[3, -7], &[-1, 0])
        });
        let c = rand_bools(&mut rng, dims);
        check_backends("tf.where(c)", std::slice::from_ref(&c), 0.0, 0.0, |t| tf::where_(&t[0], None, None));
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
        check_backends("tf.sequence_mask", std::slice::from_ref(&l), 0.0, 0.0, |t| {
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
        err_names("tf.meshgrid", tf::meshgrid(std::slice::from_ref(&x), "xz"));
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

#[test]
fn agreement_linspace_sequences_partition_space_to_batch() {
    let mut rng = Rng::new(13);
    let a = rand_tensor(&mut rng, &[3, 1], -3.0, 3.0, DType::F32, &Device::Cpu);
    let b = rand_tensor(&mut rng, &[4], -3.0, 3.0, DType::F32, &Device::Cpu);
    for (num, axis) in [(0, 0), (1, 0), (2, -1), (7, 1), (33, 2)] {
        check_backends("tf.linspace", &[a.clone(), b.clone()], 1e-6, 1e-6, |t| {
            tf::linspace(&t[0], &t[1], num, axis)
        });
    }
    let x = rand_tensor(&mut rng, &[5, 7, 3], -3.0, 3.0, DType::F32, &Device::Cpu);
    let l = rand_ints(&mut rng, &[5], 0, 8);
    check_backends("tf.reverse_sequence", &[x.clone(), l], 0.0, 0.0, |t| {
        tf::reverse_sequence(&t[0], &t[1], 1, 0)
    });
    let l = rand_ints(&mut rng, &[7], 0, 6);
    check_backends("tf.reverse_sequence t", &[x.clone(), l], 0.0, 0.0, |t| {
        tf::reverse_sequence(&t[0], &t[1], 0, 1)
    });
    let p = rand_ints(&mut rng, &[5, 7], 0, 4);
    for i in 0..4 {
        check_backends("tf.dynamic_partition", &[x.clone(), p.clone()], 0.0, 0.0, |t| {
            Ok(tf::dynamic_partition(&t[0], &t[1], 4)?.remove(i))
        });
    }
    let i0 = ints(&[3, 0, 5], &[3], &Device::Cpu);
    let i1 = ints(&[1, 3], &[2], &Device::Cpu);
    let d0 = rand_tensor(&mut rng, &[3, 2], -3.0, 3.0, DType::F32, &Device::Cpu);
    let d1 = rand_tensor(&mut rng, &[2, 2], -3.0, 3.0, DType::F32, &Device::Cpu);
    check_backends("tf.dynamic_stitch", &[i0, i1, d0, d1], 0.0, 0.0, |t| {
        tf::dynamic_stitch(&t[..2], &t[2..])
    });
    let s = rand_tensor(&mut rng, &[3, 5, 4, 2], -3.0, 3.0, DType::F32, &Device::Cpu);
    check_backends("tf.space_to_batch_nd", std::slice::from_ref(&s), 0.0, 0.0, |t| {
        tf::space_to_batch_nd(&t[0], &[3, 2], &[[1, 0], [0, 2]])
    });
    let bt = rand_tensor(&mut rng, &[12, 2, 3, 1], -3.0, 3.0, DType::F32, &Device::Cpu);
    check_backends("tf.batch_to_space", &[bt], 0.0, 0.0, |t| {
        tf::batch_to_space(&t[0], &[2, 3], &[[1, 0], [2, 3]])
    });
    // Round trip with the paddings of required_space_to_batch_paddings.
    for d in devices() {
        let x = s.to_device(&d).unwrap();
        let (pads, crops) = tf::required_space_to_batch_paddings(&[5, 4], &[3, 3], None).unwrap();
        let y = tf::space_to_batch(&x, &[3, 3], &pads).unwrap();
        let z = tf::batch_to_space(&y, &[3, 3], &crops).unwrap();
        assert_eq!(z.to_vec::<f32>().unwrap(), s.to_vec::<f32>().unwrap());
    }
}

#[test]
fn bad_inputs_name_the_op_2() {
    for d in devices() {
        let f = Tensor::from_vec(vec![1.0f32, 2.0], &[2], &d).unwrap();
        let x = ints(&[1, 2, 3, 4, 5, 6], &[2, 3], &d);
        err_names("tf.linspace", tf::linspace(&x, &x, 3, 0));
        err_names("tf.linspace", tf::linspace(&f, &f, -1, 0));
        err_names("tf.linspace", tf::linspace(&f, &f, 3, 5));
        err_names("tf.reverse_sequence", tf::reverse_sequence(&x, &ints(&[4, 1], &[2], &d), 1, 0));
        err_names("tf.reverse_sequence", tf::reverse_sequence(&x, &ints(&[1], &[1], &d), 1, 0));
        err_names("tf.reverse_sequence", tf::reverse_sequence(&x, &ints(&[1, 1], &[2], &d), 0, 0));
        err_names("tf.parallel_stack", tf::parallel_stack(&[]));
        err_names("tf.dynamic_partition", tf::dynamic_partition(&x, &ints(&[0, 2], &[2], &d), 2));
        err_names("tf.dynamic_partition", tf::dynamic_partition(&x, &ints(&[0, 1, 0], &[3], &d), 2));
        err_names(
            "tf.dynamic_stitch",
            tf::dynamic_stitch(&[ints(&[0, -1], &[2], &d)], std::slice::from_ref(&f)),
        );
        err_names("tf.dynamic_stitch", tf::dynamic_stitch(&[ints(&[0], &[1], &d)], std::slice::from_ref(&f)));
        err_names("tf.broadcast_static_shape", tf::broadcast_static_shape(&[2, 3], &[4, 3]));
        err_names(
            "tf.broadcast_dynamic_shape",
            tf::broadcast_dynamic_shape(&ints(&[2], &[1], &d), &ints(&[3], &[1], &d)),
        );
        let s = Tensor::from_vec(vec![0.0f32; 12], &[1, 3, 4, 1], &d).unwrap();
        err_names("tf.space_to_batch_nd", tf::space_to_batch_nd(&s, &[2, 2], &[[0, 0], [0, 0]]));
        err_names("tf.space_to_batch_nd", tf::space_to_batch_nd(&s, &[0, 2], &[[0, 0], [0, 0]]));
        err_names("tf.space_to_batch_nd", tf::space_to_batch_nd(&s, &[1, 2], &[[0, 0]]));
        err_names("tf.batch_to_space", tf::batch_to_space(&s, &[2, 1], &[[0, 0], [0, 0]]));
        err_names("tf.batch_to_space", tf::batch_to_space(&s, &[1, 1], &[[3, 1], [0, 0]]));
        err_names(
            "tf.required_space_to_batch_paddings",
            tf::required_space_to_batch_paddings(&[3], &[2, 2], None),
        );
    }
}

/// Worked examples of the pages of the second group of ops.
#[test]
fn api_page_examples_2() {
    for d in devices() {
        let f = |v: &[f32], dims: &[usize]| Tensor::from_vec(v.to_vec(), dims, &d).unwrap();
        let l = tf::linspace(&f(&[10.0], &[]), &f(&[12.0], &[]), 3, 0).unwrap();
        assert_eq!(l.to_vec::<f32>().unwrap(), [10.0, 11.0, 12.0]);
        let (s, e) = (f(&[0.0, 5.0], &[2]), f(&[10.0, 40.0], &[2]));
        let l = tf::linspace(&s, &e, 5, 0).unwrap();
        assert_eq!(l.dims(), [5, 2]);
        assert_eq!(l.to_vec::<f32>().unwrap(), [0.0, 5.0, 2.5, 13.75, 5.0, 22.5, 7.5, 31.25, 10.0, 40.0]);
        let l = tf::linspace(&s, &e, 5, -1).unwrap();
        assert_eq!(l.to_vec::<f32>().unwrap(), [0.0, 2.5, 5.0, 7.5, 10.0, 5.0, 13.75, 22.5, 31.25, 40.0]);
        // tf.reverse_sequence: seq_lengths [7, 2, 3, 5] on a 4 x 8 input.
        let x = ints(&(0..32).collect::<Vec<_>>(), &[4, 8], &d);
        let r = i32s(&tf::reverse_sequence(&x, &ints(&[7, 2, 3, 5], &[4], &d), 1, 0).unwrap());
        assert_eq!(r[..8], [6, 5, 4, 3, 2, 1, 0, 7]);
        assert_eq!(r[8..16], [9, 8, 10, 11, 12, 13, 14, 15]);
        assert_eq!(r[16..24], [18, 17, 16, 19, 20, 21, 22, 23]);
        assert_eq!(r[24..], [28, 27, 26, 25, 24, 29, 30, 31]);
        // tf.parallel_stack
        let p =
            tf::parallel_stack(&[ints(&[1, 4], &[2], &d), ints(&[2, 5], &[2], &d), ints(&[3, 6], &[2], &d)]);
        assert_eq!(i32s(&p.unwrap()), [1, 4, 2, 5, 3, 6]);
        // tf.dynamic_partition
        let parts = tf::dynamic_partition(
            &ints(&[10, 20, 30, 40, 50], &[5], &d),
            &ints(&[0, 0, 1, 1, 0], &[5], &d),
            2,
        );
        let parts = parts.unwrap();
        assert_eq!(i32s(&parts[0]), [10, 20, 50]);
        assert_eq!(i32s(&parts[1]), [30, 40]);
        // tf.dynamic_stitch
        let idx = [ints(&[6], &[], &d), ints(&[4, 1], &[2], &d), ints(&[5, 2, 0, 3], &[2, 2], &d)];
        let data = [
            ints(&[61, 62], &[2], &d),
            ints(&[41, 42, 11, 12], &[2, 2], &d),
            ints(&[51, 52, 21, 22, 1, 2, 31, 32], &[2, 2, 2], &d),
        ];
        let m = tf::dynamic_stitch(&idx, &data).unwrap();
        assert_eq!(i32s(&m), [1, 2, 11, 12, 21, 22, 31, 32, 41, 42, 51, 52, 61, 62]);
        // tf.broadcast_static_shape / broadcast_dynamic_shape
        assert_eq!(tf::broadcast_static_shape(&[1, 2, 3], &[5, 1, 3]).unwrap(), [5, 2, 3]);
        let b = tf::broadcast_dynamic_shape(&ints(&[1, 2, 3], &[3], &d), &ints(&[5, 1, 3], &[3], &d));
        assert_eq!(i32s(&b.unwrap()), [5, 2, 3]);
        // tf.space_to_batch_nd / batch_to_space: the first examples.
        let x = ints(&[1, 2, 3, 4], &[1, 2, 2, 1], &d);
        let y = tf::space_to_batch_nd(&x, &[2, 2], &[[0, 0], [0, 0]]).unwrap();
        assert_eq!(y.dims(), [4, 1, 1, 1]);
        assert_eq!(i32s(&y), [1, 2, 3, 4]);
        let x = ints(&(1..17).collect::<Vec<_>>(), &[1, 4, 4, 1], &d);
        let y = tf::space_to_batch_nd(&x, &[2, 2], &[[0, 0], [0, 0]]).unwrap();
        assert_eq!(i32s(&y), [1, 3, 9, 11, 2, 4, 10, 12, 5, 7, 13, 15, 6, 8, 14, 16]);
        let z = tf::batch_to_space(&y, &[2, 2], &[[0, 0], [0, 0]]).unwrap();
        assert_eq!(i32s(&z), (1..17).collect::<Vec<_>>());
    }
}

#[test]
fn extract_volume_patches_agreement_and_errors() {
    let mut rng = Rng::new(21);
    for (dims, k, s, pad) in [
        ([2usize, 4, 5, 3, 2], [1i64, 2, 2, 2, 1], [1i64, 1, 2, 1, 1], "VALID"),
        ([1, 3, 4, 5, 3], [1, 2, 3, 2, 1], [1, 2, 1, 3, 1], "SAME"),
        ([1, 2, 3, 3, 1], [1, 3, 1, 1, 1], [1, 1, 1, 1, 1], "VALID"),
        ([0, 2, 2, 2, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1], "SAME"),
    ] {
        let x = rand_tensor(&mut rng, &dims, -3.0, 3.0, DType::F32, &Device::Cpu);
        check_backends("tf.extract_volume_patches", &[x], 0.0, 0.0, |t| {
            tf::extract_volume_patches(&t[0], &k, &s, pad)
        });
    }
    // A 1x1x1 window with unit strides is the input itself.
    let x = ints(&(0..24).collect::<Vec<_>>(), &[1, 2, 3, 4, 1], &Device::Cpu);
    let p = tf::extract_volume_patches(&x, &[1, 1, 1, 1, 1], &[1, 1, 1, 1, 1], "VALID").unwrap();
    assert_eq!(i32s(&p), (0..24).collect::<Vec<_>>());
    for d in devices() {
        let x = Tensor::from_vec(vec![0.0f32; 8], &[1, 2, 2, 2, 1], &d).unwrap();
        let op = "tf.extract_volume_patches";
        err_names(op, tf::extract_volume_patches(&x, &[1, 2, 2, 1], &[1, 1, 1, 1, 1], "VALID"));
        err_names(op, tf::extract_volume_patches(&x, &[2, 2, 2, 1, 1], &[1, 1, 1, 1, 1], "VALID"));
        err_names(op, tf::extract_volume_patches(&x, &[1, 1, 1, 1, 1], &[1, 0, 1, 1, 1], "VALID"));
        err_names(op, tf::extract_volume_patches(&x, &[1, 1, 1, 1, 1], &[1, 1, 1, 1, 1], "valid"));
        err_names(
            op,
            tf::extract_volume_patches(&x.with_dims(&[2, 2, 2]).unwrap(), &[1; 5], &[1; 5], "SAME"),
        );
    }
}
