//! Matrix products on both backends: `matmul` (1-D operands, broadcast batches, ints, empty
//! dims, odd sizes around the 64-wide tiles), `dot`, `tensordot`, `outer` and `einsum`.

mod common;

use common::*;
use wgkeras::ops;
use wgkeras::runtime::{DType, Device, Tensor};

/// Plain triple loop in f64 over broadcast batches: the reference for `matmul`.
fn naive_matmul(a: &Tensor, b: &Tensor) -> (Vec<usize>, Vec<f64>) {
    let (da, db) = (a.dims().to_vec(), b.dims().to_vec());
    let (m, k) = (da[da.len() - 2], da[da.len() - 1]);
    let n = db[db.len() - 1];
    let (ba, bb) = (&da[..da.len() - 2], &db[..db.len() - 2]);
    let rank = ba.len().max(bb.len());
    let pad = |s: &[usize]| {
        let mut v = vec![1; rank - s.len()];
        v.extend_from_slice(s);
        v
    };
    let (pa, pb) = (pad(ba), pad(bb));
    let batch: Vec<usize> = pa.iter().zip(&pb).map(|(&x, &y)| x.max(y)).collect();
    let count: usize = batch.iter().product();
    let (x, y) = (a.to_vec_f64().unwrap(), b.to_vec_f64().unwrap());
    let mut out = vec![0.0; count * m * n];
    for z in 0..count {
        let (mut rem, mut za, mut zb, mut sa, mut sb) = (z, 0, 0, 1, 1);
        for d in (0..rank).rev() {
            let c = rem % batch[d];
            rem /= batch[d];
            za += (c % pa[d]) * sa;
            zb += (c % pb[d]) * sb;
            sa *= pa[d];
            sb *= pb[d];
        }
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0;
                for p in 0..k {
                    s += x[za * m * k + i * k + p] * y[zb * k * n + p * n + j];
                }
                out[z * m * n + i * n + j] = s;
            }
        }
    }
    let mut dims = batch;
    dims.extend([m, n]);
    (dims, out)
}

fn check_against_naive(what: &str, a: &Tensor, b: &Tensor, got: &Tensor, tol: f64) {
    let (dims, want) = naive_matmul(a, b);
    assert_eq!(got.dims(), &dims[..], "{what}: shape");
    let g = got.to_vec_f64().unwrap();
    for (i, (u, v)) in g.iter().zip(&want).enumerate() {
        assert!((u - v).abs() <= tol * (1.0 + v.abs()), "{what}: element {i}: {u} vs {v}");
    }
}

#[test]
fn matmul_odd_sizes_agree_with_reference_on_every_backend() {
    let mut rng = Rng::new(10);
    let sizes = [1usize, 3, 17, 65, 130];
    for &m in &sizes {
        for &k in &sizes {
            for &n in &sizes {
                if m * k * n > 130 * 65 * 130 {
                    continue;
                }
                let a = rand_tensor(&mut rng, &[m, k], -1.0, 1.0, DType::F32, &Device::Cpu);
                let b = rand_tensor(&mut rng, &[k, n], -1.0, 1.0, DType::F32, &Device::Cpu);
                for d in devices() {
                    let r = ops::matmul(&a.to_device(&d).unwrap(), &b.to_device(&d).unwrap()).unwrap();
                    check_against_naive(&format!("{m}x{k}x{n} on {d}"), &a, &b, &r, 1e-5);
                }
            }
        }
    }
}

#[test]
fn matmul_aligned_sizes_and_multiple_tiles() {
    let mut rng = Rng::new(11);
    for (m, k, n) in [(64, 64, 64), (128, 32, 192), (4, 8, 12), (68, 132, 260), (2, 4, 4)] {
        let a = rand_tensor(&mut rng, &[m, k], -1.0, 1.0, DType::F32, &Device::Cpu);
        let b = rand_tensor(&mut rng, &[k, n], -1.0, 1.0, DType::F32, &Device::Cpu);
        check_backends(&format!("matmul {m}x{k}x{n}"), &[a, b], 1e-5, 1e-5, |t| ops::matmul(&t[0], &t[1]));
    }
}

#[test]
fn matmul_batches_broadcast() {
    let mut rng = Rng::new(12);
    let pairs: &[(&[usize], &[usize])] = &[
        (&[2, 1, 3, 4], &[5, 4, 6]),
        (&[3, 5, 7], &[7, 2]),
        (&[5, 7], &[3, 7, 2]),
        (&[2, 1, 17, 3], &[1, 4, 3, 65]),
        (&[6, 1, 9], &[6, 9, 1]),
        (&[1, 1, 4, 4], &[3, 2, 4, 4]),
    ];
    for (da, db) in pairs {
        let a = rand_tensor(&mut rng, da, -1.0, 1.0, DType::F32, &Device::Cpu);
        let b = rand_tensor(&mut rng, db, -1.0, 1.0, DType::F32, &Device::Cpu);
        for d in devices() {
            let r = ops::matmul(&a.to_device(&d).unwrap(), &b.to_device(&d).unwrap()).unwrap();
            check_against_naive(&format!("{da:?}@{db:?} on {d}"), &a, &b, &r, 1e-5);
        }
    }
    let a = ops::zeros(&[2, 1, 3, 4], DType::F32, &Device::Cpu).unwrap();
    let b = ops::zeros(&[5, 4, 6], DType::F32, &Device::Cpu).unwrap();
    assert_eq!(ops::matmul(&a, &b).unwrap().dims(), &[2, 5, 3, 6]);
}

#[test]
fn matmul_one_d_operands() {
    let mut rng = Rng::new(13);
    let cases: &[(&[usize], &[usize], &[usize])] = &[
        (&[5], &[5], &[]),
        (&[5], &[5, 3], &[3]),
        (&[4, 5], &[5], &[4]),
        (&[2, 4, 5], &[5], &[2, 4]),
        (&[5], &[2, 5, 3], &[2, 3]),
        (&[130], &[130, 65], &[65]),
        (&[65, 130], &[130], &[65]),
    ];
    for (da, db, want) in cases {
        let a = rand_tensor(&mut rng, da, -1.0, 1.0, DType::F32, &Device::Cpu);
        let b = rand_tensor(&mut rng, db, -1.0, 1.0, DType::F32, &Device::Cpu);
        let r = ops::matmul(&a, &b).unwrap();
        assert_eq!(r.dims(), *want, "{da:?} @ {db:?}");
        check_backends(&format!("matmul {da:?}@{db:?}"), &[a, b], 1e-5, 1e-5, |t| ops::matmul(&t[0], &t[1]));
    }
}

#[test]
fn matmul_integers_and_bools() {
    let mut rng = Rng::new(14);
    for (m, k, n) in [(3, 17, 5), (1, 9, 7), (66, 5, 1), (33, 64, 70)] {
        let a = rand_tensor(&mut rng, &[m, k], -9.0, 9.0, DType::I32, &Device::Cpu);
        let b = rand_tensor(&mut rng, &[k, n], -9.0, 9.0, DType::I32, &Device::Cpu);
        let r = ops::matmul(&a, &b).unwrap();
        assert_eq!(r.dtype(), DType::I32);
        check_against_naive("int32", &a, &b, &r, 0.0);
        check_backends(&format!("matmul int32 {m}x{k}x{n}"), &[a, b], 0.0, 0.0, |t| {
            ops::matmul(&t[0], &t[1])
        });
    }
    let a = rand_tensor(&mut rng, &[4, 6], 0.0, 2.0, DType::Bool, &Device::Cpu);
    let b = rand_tensor(&mut rng, &[6, 3], 0.0, 2.0, DType::Bool, &Device::Cpu);
    check_backends("matmul bool", &[a.clone(), b.clone()], 0.0, 0.0, |t| ops::matmul(&t[0], &t[1]));
    assert_eq!(ops::matmul(&a, &b).unwrap().dtype(), DType::Bool);
    let f = rand_tensor(&mut rng, &[6, 3], -1.0, 1.0, DType::F32, &Device::Cpu);
    let ai = ops::cast(&a, DType::I32).unwrap();
    assert_eq!(ops::matmul(&ai, &f).unwrap().dtype(), DType::F32);
}

#[test]
fn matmul_f16_and_f64() {
    let mut rng = Rng::new(15);
    let a = rand_tensor(&mut rng, &[17, 33], -1.0, 1.0, DType::F16, &Device::Cpu);
    let b = rand_tensor(&mut rng, &[33, 9], -1.0, 1.0, DType::F16, &Device::Cpu);
    let r = ops::matmul(&a, &b).unwrap();
    assert_eq!(r.dtype(), DType::F16);
    check_against_naive("f16 cpu", &a, &b, &r, 1e-2);
    if let Some(gpu) = gpu() {
        if let wgkeras::runtime::Device::Gpu(g) = &gpu {
            if g.has_f16() {
                check_backends("matmul f16", &[a, b], 1e-2, 1e-2, |t| ops::matmul(&t[0], &t[1]));
            }
        }
    }
    for dtype in [DType::F64, DType::BF16] {
        let a = rand_tensor(&mut rng, &[5, 7], -1.0, 1.0, dtype, &Device::Cpu);
        let b = rand_tensor(&mut rng, &[7, 3], -1.0, 1.0, dtype, &Device::Cpu);
        let r = ops::matmul(&a, &b).unwrap();
        assert_eq!(r.dtype(), dtype);
        check_against_naive(
            &format!("{dtype} cpu"),
            &a,
            &b,
            &r,
            if dtype == DType::F64 { 1e-12 } else { 2e-2 },
        );
    }
}

#[test]
fn matmul_empty_dims() {
    for d in devices() {
        // Empty K: zeros.
        let a = ops::ones(&[3, 0], DType::F32, &d).unwrap();
        let b = ops::ones(&[0, 4], DType::F32, &d).unwrap();
        let r = ops::matmul(&a, &b).unwrap();
        assert_eq!(r.dims(), &[3, 4]);
        assert_eq!(r.to_vec::<f32>().unwrap(), vec![0.0; 12]);
        let ai = ops::ones(&[2, 3, 0], DType::I32, &d).unwrap();
        let bi = ops::ones(&[0, 2], DType::I32, &d).unwrap();
        assert_eq!(ops::matmul(&ai, &bi).unwrap().to_vec::<i32>().unwrap(), vec![0; 12]);
        // Empty M, N and batch.
        let a = ops::ones(&[0, 5], DType::F32, &d).unwrap();
        let b = ops::ones(&[5, 4], DType::F32, &d).unwrap();
        assert_eq!(ops::matmul(&a, &b).unwrap().dims(), &[0, 4]);
        let b0 = ops::ones(&[5, 0], DType::F32, &d).unwrap();
        assert_eq!(ops::matmul(&b.with_dims(&[4, 5]).unwrap(), &b0).unwrap().dims(), &[4, 0]);
        let a = ops::ones(&[0, 2, 5], DType::F32, &d).unwrap();
        assert_eq!(ops::matmul(&a, &b).unwrap().dims(), &[0, 2, 4]);
        let v = ops::ones(&[0], DType::F32, &d).unwrap();
        let s = ops::matmul(&v, &v).unwrap();
        assert_eq!(s.dims(), &[] as &[usize]);
        assert_eq!(s.item().unwrap(), 0.0);
    }
}

#[test]
fn matmul_shape_errors_name_both_shapes() {
    for d in devices() {
        let a = ops::zeros(&[2, 3], DType::F32, &d).unwrap();
        let b = ops::zeros(&[4, 5], DType::F32, &d).unwrap();
        let e = ops::matmul(&a, &b).unwrap_err().to_string();
        assert!(e.contains("matmul") && e.contains("[2, 3]") && e.contains("[4, 5]"), "{e}");
        let c = ops::zeros(&[2, 3, 4], DType::F32, &d).unwrap();
        let e2 = ops::zeros(&[3, 4, 5], DType::F32, &d).unwrap();
        let e = ops::matmul(&c, &e2).unwrap_err().to_string();
        assert!(e.contains("matmul") && e.contains("[2, 3, 4]") && e.contains("[3, 4, 5]"), "{e}");
        let s = ops::zeros(&[], DType::F32, &d).unwrap();
        assert!(ops::matmul(&s, &a).unwrap_err().to_string().contains("matmul"));
        let e = ops::dot(&a, &b).unwrap_err().to_string();
        assert!(e.contains("dot") && e.contains("[2, 3]") && e.contains("[4, 5]"), "{e}");
        let e = ops::tensordot(&a, &b, 1).unwrap_err().to_string();
        assert!(e.contains("tensordot"), "{e}");
        let e = ops::tensordot(&a, &b, 3).unwrap_err().to_string();
        assert!(e.contains("tensordot"), "{e}");
        let e = ops::einsum("ij,jk->ik", &[&a, &b]).unwrap_err().to_string();
        assert!(e.contains("einsum"), "{e}");
        let e = ops::einsum("ij,jk->ik", &[&a]).unwrap_err().to_string();
        assert!(e.contains("einsum"), "{e}");
        let e = ops::einsum("ijk->i", &[&a]).unwrap_err().to_string();
        assert!(e.contains("einsum") && e.contains("[2, 3]"), "{e}");
        let e = ops::einsum("ij->iz", &[&a]).unwrap_err().to_string();
        assert!(e.contains("einsum"), "{e}");
        let e = ops::einsum("i1->i", &[&a]).unwrap_err().to_string();
        assert!(e.contains("einsum"), "{e}");
    }
}

#[test]
fn dot_tensordot_outer_agree() {
    let mut rng = Rng::new(16);
    let t = |rng: &mut Rng, d: &[usize]| rand_tensor(rng, d, -1.0, 1.0, DType::F32, &Device::Cpu);
    let dots: &[(&[usize], &[usize], &[usize])] = &[
        (&[], &[2, 3], &[2, 3]),
        (&[7], &[7], &[]),
        (&[3, 7], &[7], &[3]),
        (&[7], &[7, 4], &[4]),
        (&[2, 3, 4], &[5, 4, 6], &[2, 3, 5, 6]),
        (&[3, 4], &[4, 65], &[3, 65]),
    ];
    for (da, db, want) in dots {
        let (a, b) = (t(&mut rng, da), t(&mut rng, db));
        assert_eq!(ops::dot(&a, &b).unwrap().dims(), *want);
        check_backends(&format!("dot {da:?} {db:?}"), &[a, b], 1e-5, 1e-5, |x| ops::dot(&x[0], &x[1]));
    }
    let (a, b) = (t(&mut rng, &[3, 4, 5]), t(&mut rng, &[4, 3, 2]));
    let r = ops::tensordot(&a, &b, (vec![1, 0], vec![0, 1])).unwrap();
    assert_eq!(r.dims(), &[5, 2]);
    check_backends("tensordot pairs", &[a.clone(), b], 1e-5, 1e-5, |x| {
        ops::tensordot(&x[0], &x[1], (vec![1, 0], vec![0, 1]))
    });
    let c = t(&mut rng, &[4, 5, 6]);
    check_backends("tensordot 2", &[a.clone(), c.clone()], 1e-5, 1e-5, |x| ops::tensordot(&x[0], &x[1], 2));
    assert_eq!(ops::tensordot(&a, &c, 2).unwrap().dims(), &[3, 6]);
    let e = t(&mut rng, &[2, 2]);
    assert_eq!(ops::tensordot(&a, &e, 0).unwrap().dims(), &[3, 4, 5, 2, 2]);
    check_backends("tensordot 0", &[a.clone(), e], 1e-6, 1e-6, |x| ops::tensordot(&x[0], &x[1], 0));
    check_backends("tensordot negative axes", &[a, c], 1e-5, 1e-5, |x| {
        ops::tensordot(&x[0], &x[1], (vec![-1], vec![1]))
    });
    let (u, v) = (t(&mut rng, &[2, 3]), t(&mut rng, &[4]));
    assert_eq!(ops::outer(&u, &v).unwrap().dims(), &[6, 4]);
    check_backends("outer", &[u, v], 1e-6, 1e-6, |x| ops::outer(&x[0], &x[1]));
}

#[test]
fn einsum_contractions_agree_with_matmul() {
    let mut rng = Rng::new(17);
    let t = |rng: &mut Rng, d: &[usize]| rand_tensor(rng, d, -1.0, 1.0, DType::F32, &Device::Cpu);
    let (a, b) = (t(&mut rng, &[17, 5]), t(&mut rng, &[5, 65]));
    let want = ops::matmul(&a, &b).unwrap();
    for s in ["ij,jk->ik", "ij,jk", "ab,bc->ac", " i j , j k -> i k "] {
        assert_close(s, &ops::einsum(s, &[&a, &b]).unwrap(), &want, 1e-6, 1e-6);
    }
    let cases: &[(&str, &[&[usize]], &[usize])] = &[
        ("ij,jk->ik", &[&[17, 5], &[5, 65]], &[17, 65]),
        ("ij,jk", &[&[3, 4], &[4, 2]], &[3, 2]),
        ("bij,bjk->bik", &[&[3, 17, 5], &[3, 5, 9]], &[3, 17, 9]),
        ("bij,jk->bik", &[&[3, 17, 5], &[5, 9]], &[3, 17, 9]),
        ("ij->ji", &[&[3, 5]], &[5, 3]),
        ("ii->i", &[&[4, 4]], &[4]),
        ("ii", &[&[4, 4]], &[]),
        ("ij->", &[&[3, 5]], &[]),
        ("ij->j", &[&[3, 5]], &[5]),
        ("i,i->", &[&[65], &[65]], &[]),
        ("i,i", &[&[7], &[7]], &[]),
        ("i,j->ij", &[&[3], &[4]], &[3, 4]),
        ("...ij,...jk->...ik", &[&[2, 3, 4, 5], &[3, 5, 6]], &[2, 3, 4, 6]),
        ("...ij,...jk->...ik", &[&[4, 5], &[5, 6]], &[4, 6]),
        ("bhqd,bhkd->bhqk", &[&[2, 3, 17, 8], &[2, 3, 9, 8]], &[2, 3, 17, 9]),
        ("bhqk,bhkd->bhqd", &[&[2, 3, 17, 9], &[2, 3, 9, 8]], &[2, 3, 17, 8]),
        ("bqhd,bkhd->bhqk", &[&[2, 5, 3, 4], &[2, 6, 3, 4]], &[2, 3, 5, 6]),
        ("abc,cd,de->abe", &[&[2, 3, 4], &[4, 5], &[5, 6]], &[2, 3, 6]),
        ("ij,ij->i", &[&[3, 7], &[3, 7]], &[3]),
        ("ijk,ik->j", &[&[2, 3, 4], &[2, 4]], &[3]),
        ("bi,bj->bij", &[&[3, 4], &[3, 5]], &[3, 4, 5]),
        ("ba,cb", &[&[3, 4], &[5, 3]], &[4, 5]),
        ("...i,...i->...", &[&[2, 1, 4], &[3, 4]], &[2, 3]),
        ("ij,kl->", &[&[2, 3], &[4, 5]], &[]),
        ("iij,jk->ik", &[&[3, 3, 4], &[4, 2]], &[3, 2]),
        // Transposed operands read in place (aligned vec4 and scalar paths), and GEMV shapes.
        ("ki,kj->ij", &[&[20, 68], &[20, 132]], &[68, 132]),
        ("ik,jk->ij", &[&[68, 20], &[132, 20]], &[68, 132]),
        ("ki,jk->ij", &[&[21, 67], &[130, 21]], &[67, 130]),
        ("bk,bnk->bn", &[&[3, 33], &[3, 70, 33]], &[3, 70]),
        ("bkm,bk->bm", &[&[3, 33, 70], &[3, 33]], &[3, 70]),
        ("bmk,bk->bm", &[&[3, 70, 33], &[3, 33]], &[3, 70]),
    ];
    for (s, shapes, want) in cases {
        let ins: Vec<Tensor> = shapes.iter().map(|d| t(&mut rng, d)).collect();
        let refs: Vec<&Tensor> = ins.iter().collect();
        let r = ops::einsum(s, &refs).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(r.dims(), *want, "{s}");
        check_backends(&format!("einsum {s}"), &ins, 1e-5, 1e-5, |x| {
            ops::einsum(s, &x.iter().collect::<Vec<_>>())
        });
    }
    // Cross-check against explicit compositions.
    let (q, k) = (t(&mut rng, &[2, 3, 5, 4]), t(&mut rng, &[2, 3, 6, 4]));
    let kt = ops::transpose(&k, Some(&[0, 1, 3, 2])).unwrap();
    assert_close(
        "attention scores",
        &ops::einsum("bhqd,bhkd->bhqk", &[&q, &k]).unwrap(),
        &ops::matmul(&q, &kt).unwrap(),
        1e-6,
        1e-6,
    );
    let m = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2], &Device::Cpu).unwrap();
    assert_eq!(ops::einsum("ii->i", &[&m]).unwrap().to_vec::<f32>().unwrap(), vec![1.0, 4.0]);
    assert_eq!(ops::einsum("ij->", &[&m]).unwrap().item().unwrap(), 10.0);
    assert_eq!(ops::einsum("ij->ji", &[&m]).unwrap().to_vec::<f32>().unwrap(), vec![1.0, 3.0, 2.0, 4.0]);
    let mi = ops::cast(&m, DType::I32).unwrap();
    let r = ops::einsum("ij,jk->ik", &[&mi, &mi]).unwrap();
    assert_eq!(r.dtype(), DType::I32);
    assert_eq!(r.to_vec::<i32>().unwrap(), vec![7, 10, 15, 22]);
}
