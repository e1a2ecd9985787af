//! Random numbers: Philox known answers (Rust and WGSL), CPU/GPU agreement to the bit, split
//! independence, statistics of every distribution, and bad-input errors.

mod common;

use common::*;
use wgkeras::ops;
use wgkeras::ops::random::Generator;
use wgkeras::runtime::{DType, Device, GpuOptions, Tensor};

const SEEDS: &[u64] = &[0, 1, 42, 0xDEAD_BEEF_1234_5678, u64::MAX];
const SIZES: &[usize] = &[1, 5, 1000, 1 << 20];

/// Random123 kat_vectors for philox4x32_10.
const KAT: &[([u32; 4], [u32; 2], [u32; 4])] = &[
    ([0; 4], [0; 2], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]),
    ([u32::MAX; 4], [u32::MAX; 2], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]),
    (
        [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
        [0xa4093822, 0x299f31d0],
        [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
    ),
];

#[test]
fn philox_known_answer_vectors() {
    for (ctr, key, want) in KAT {
        assert_eq!(ops::philox4x32(*ctr, *key), *want, "cpu philox({ctr:x?}, {key:x?})");
        if let Some(Device::Gpu(g)) = gpu() {
            let got = ops::random::philox4x32_on_gpu(&g, *ctr, *key).unwrap();
            assert_eq!(got, *want, "wgsl philox({ctr:x?}, {key:x?})");
        }
    }
    // Element i of random_bits is lane i % 4 of block (i / 4, 0, 0, 0) under key (seed_lo, seed_hi).
    for dev in devices() {
        let bits = ops::random_bits(&[4], 0, &dev).unwrap().to_vec::<u32>().unwrap();
        assert_eq!(bits, KAT[0].2, "random_bits seed 0 on {dev}");
        let bits = ops::random_bits(&[9], 0x1234_5678_9abc_def0, &dev).unwrap().to_vec::<u32>().unwrap();
        let b2 = ops::philox4x32([2, 0, 0, 0], [0x9abc_def0, 0x1234_5678]);
        assert_eq!(bits[8], b2[0], "random_bits element 8 on {dev}");
    }
}

/// Distance in units in the last place between two finite f32 (same sign assumed near).
fn ulps(a: f32, b: f32) -> u32 {
    let key = |x: f32| {
        let i = x.to_bits() as i32;
        if i < 0 {
            i32::MIN.wrapping_sub(i)
        } else {
            i
        }
    };
    key(a).wrapping_sub(key(b)).unsigned_abs()
}

/// GPU floats equal CPU floats to the bit, or within `max_ulps` (a GPU compiler may fuse a
/// multiply-add into an FMA); values near zero may differ by an absolute 1e-6 for the same reason.
/// Returns the worst ulp distance seen.
fn assert_floats_match(what: &str, cpu: &[f32], gpu: &[f32], max_ulps: u32) -> u32 {
    assert_eq!(cpu.len(), gpu.len(), "{what}: lengths");
    let mut worst = 0;
    for (i, (&c, &g)) in cpu.iter().zip(gpu).enumerate() {
        let u = ulps(c, g);
        worst = worst.max(u);
        assert!(u <= max_ulps || (c - g).abs() <= 1e-6, "{what}: element {i}: cpu {c} gpu {g} ({u} ulps)");
    }
    worst
}

#[test]
fn integer_draws_are_bit_identical_on_cpu_and_gpu() {
    let Some(gpu) = gpu() else { return };
    for &seed in SEEDS {
        for &n in SIZES {
            let c = ops::random_bits(&[n], seed, &Device::Cpu).unwrap().to_vec::<u32>().unwrap();
            let g = ops::random_bits(&[n], seed, &gpu).unwrap().to_vec::<u32>().unwrap();
            assert!(c == g, "random_bits seed {seed} n {n}: cpu and gpu differ");

            let c = ops::randint(&[n], -7, 1000, DType::I32, seed, &Device::Cpu).unwrap();
            let g = ops::randint(&[n], -7, 1000, DType::I32, seed, &gpu).unwrap();
            assert!(c.to_vec::<i32>().unwrap() == g.to_vec::<i32>().unwrap(), "randint seed {seed} n {n}");

            let c = ops::dropout_mask(&[n], 0.3, seed, &Device::Cpu).unwrap();
            let g = ops::dropout_mask(&[n], 0.3, seed, &gpu).unwrap();
            assert!(
                c.to_vec::<bool>().unwrap() == g.to_vec::<bool>().unwrap(),
                "dropout_mask seed {seed} n {n}"
            );
        }
    }
    // Full ranges (range 2^32 travels as 0) and uint32.
    for (lo, hi, dtype) in
        [(i32::MIN as i64, i32::MAX as i64 + 1, DType::I32), (0, 1 << 32, DType::U32), (3, 9, DType::U32)]
    {
        let c = ops::randint(&[1001], lo, hi, dtype, 9, &Device::Cpu).unwrap().to_vec_f64().unwrap();
        let g = ops::randint(&[1001], lo, hi, dtype, 9, &gpu).unwrap().to_vec_f64().unwrap();
        assert_eq!(c, g, "randint [{lo}, {hi}) {dtype}");
    }
}

#[test]
fn float_draws_match_on_cpu_and_gpu() {
    let Some(gpu) = gpu() else { return };
    let mut worst = [0u32; 3];
    for &seed in SEEDS {
        for &n in SIZES {
            let run = |dev: &Device| -> Vec<Vec<f32>> {
                vec![
                    ops::uniform(&[n], -2.0, 3.0, DType::F32, seed, dev).unwrap().to_vec().unwrap(),
                    ops::normal(&[n], 0.5, 2.0, DType::F32, seed, dev).unwrap().to_vec().unwrap(),
                    ops::truncated_normal(&[n], -1.0, 0.5, DType::F32, seed, dev).unwrap().to_vec().unwrap(),
                ]
            };
            let (c, g) = (run(&Device::Cpu), run(&gpu));
            for (k, name) in ["uniform", "normal", "truncated_normal"].iter().enumerate() {
                let w = assert_floats_match(&format!("{name} seed {seed} n {n}"), &c[k], &g[k], 4);
                worst[k] = worst[k].max(w);
            }
        }
    }
    eprintln!(
        "worst ulp distance gpu vs cpu: uniform {}, normal {}, truncated_normal {}",
        worst[0], worst[1], worst[2]
    );
}

#[test]
fn results_do_not_depend_on_how_dispatches_are_split() {
    let Some(Device::Gpu(_)) = gpu() else { return };
    let split = Device::gpu_with(&GpuOptions {
        allow_software: true,
        max_binding_bytes: Some(4096),
        max_workgroups_per_dim: Some(4),
        ..Default::default()
    })
    .unwrap();
    for n in [1023, 10_001] {
        let c = ops::random_bits(&[n], 77, &Device::Cpu).unwrap().to_vec::<u32>().unwrap();
        let g = ops::random_bits(&[n], 77, &split).unwrap().to_vec::<u32>().unwrap();
        assert!(c == g, "random_bits n {n} split into 4096-byte dispatches");
        let c = ops::normal(&[n], 0.0, 1.0, DType::F32, 77, &Device::Cpu).unwrap().to_vec::<f32>().unwrap();
        let g = ops::normal(&[n], 0.0, 1.0, DType::F32, 77, &split).unwrap().to_vec::<f32>().unwrap();
        assert_floats_match(&format!("normal n {n} split"), &c, &g, 4);
    }
    // A prefix of a longer draw is the shorter draw (element i depends on i only).
    for dev in devices() {
        let long = ops::random_bits(&[1000], 5, &dev).unwrap().to_vec::<u32>().unwrap();
        let short = ops::random_bits(&[13], 5, &dev).unwrap().to_vec::<u32>().unwrap();
        assert_eq!(&long[..13], &short[..], "prefix on {dev}");
    }
}

#[test]
fn shapes_and_dtypes() {
    let shapes: &[&[usize]] = &[&[], &[0], &[1], &[2, 0, 3], &[3, 5], &[2, 3, 7]];
    for dev in devices() {
        for dims in shapes {
            let u = ops::uniform(dims, 0.0, 1.0, DType::F32, 1, &dev).unwrap();
            assert_eq!((u.dims(), u.dtype()), (*dims, DType::F32));
            let n = ops::normal(dims, 0.0, 1.0, DType::F32, 1, &dev).unwrap();
            assert_eq!((n.dims(), n.dtype()), (*dims, DType::F32));
            let t = ops::truncated_normal(dims, 0.0, 1.0, DType::F32, 1, &dev).unwrap();
            assert_eq!((t.dims(), t.dtype()), (*dims, DType::F32));
            let r = ops::randint(dims, 0, 10, DType::I32, 1, &dev).unwrap();
            assert_eq!((r.dims(), r.dtype()), (*dims, DType::I32));
            let m = ops::dropout_mask(dims, 0.5, 1, &dev).unwrap();
            assert_eq!((m.dims(), m.dtype()), (*dims, DType::Bool));
        }
        // float16 where the device has it; the values are the float32 draw rounded.
        let has_f16 = match &dev {
            Device::Cpu => true,
            Device::Gpu(g) => g.has_f16(),
        };
        if has_f16 {
            let h = ops::uniform(&[100], 0.0, 1.0, DType::F16, 3, &dev).unwrap();
            assert_eq!(h.dtype(), DType::F16);
            let f = ops::uniform(&[100], 0.0, 1.0, DType::F32, 3, &dev).unwrap();
            assert_close("uniform f16", &h, &ops::cast(&f, DType::F16).unwrap(), 0.0, 0.0);
        }
    }
    // bfloat16 and float64 on the CPU.
    for dtype in [DType::BF16, DType::F64] {
        let t = ops::normal(&[50], 1.0, 2.0, dtype, 4, &Device::Cpu).unwrap();
        assert_eq!(t.dtype(), dtype);
    }
}

#[test]
fn generator_advances_and_is_reproducible() {
    for dev in devices() {
        let mut a = Generator::new(11);
        let mut b = Generator::new(11);
        let a1 = a.random_bits(&[64], &dev).unwrap().to_vec::<u32>().unwrap();
        let a2 = a.random_bits(&[64], &dev).unwrap().to_vec::<u32>().unwrap();
        assert_ne!(a1, a2, "successive draws differ on {dev}");
        assert_eq!(a.counter, 2);
        assert_eq!(b.random_bits(&[64], &dev).unwrap().to_vec::<u32>().unwrap(), a1);
        assert_eq!(b.random_bits(&[64], &dev).unwrap().to_vec::<u32>().unwrap(), a2);
        // The free functions are the generator's first draw.
        assert_eq!(ops::random_bits(&[64], 11, &dev).unwrap().to_vec::<u32>().unwrap(), a1);
        let other = ops::random_bits(&[64], 12, &dev).unwrap().to_vec::<u32>().unwrap();
        assert_ne!(other, a1, "different seeds differ");
        let mut c = Generator::new(11);
        let u = c.uniform(&[8], 0.0, 1.0, DType::F32, &dev).unwrap();
        assert_close(
            "generator uniform",
            &u,
            &ops::uniform(&[8], 0.0, 1.0, DType::F32, 11, &dev).unwrap(),
            0.0,
            0.0,
        );
        for _ in 0..3 {
            let x = c.normal(&[4], 0.0, 1.0, DType::F32, &dev).unwrap();
            let y = c.truncated_normal(&[4], 0.0, 1.0, DType::F32, &dev).unwrap();
            let z = c.randint(&[4], 0, 5, DType::I32, &dev).unwrap();
            let m = c.dropout_mask(&[4], 0.5, &dev).unwrap();
            assert_eq!((x.numel(), y.numel(), z.numel(), m.numel()), (4, 4, 4, 4));
        }
        assert_eq!(c.counter, 13);
    }
    // A generator gives the same sequence on every device.
    if let Some(g) = gpu() {
        let (mut a, mut b) = (Generator::new(3), Generator::new(3));
        for _ in 0..3 {
            let x = a.randint(&[100], 0, 1 << 20, DType::I32, &Device::Cpu).unwrap().to_vec::<i32>().unwrap();
            let y = b.randint(&[100], 0, 1 << 20, DType::I32, &g).unwrap().to_vec::<i32>().unwrap();
            assert_eq!(x, y);
        }
    }
}

/// Standard normal CDF (Abramowitz and Stegun 7.1.26 erf, |error| < 1.5e-7).
fn phi(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.3275911 * z);
    let poly =
        t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    let erf = 1.0 - poly * (-z * z).exp();
    0.5 * (1.0 + if x >= 0.0 { erf } else { -erf })
}

/// The Kolmogorov-Smirnov statistic of `xs` against `cdf`.
fn ks(xs: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len() as f64;
    v.iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = cdf(x);
            (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
        })
        .fold(0.0, f64::max)
}

fn mean_std(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
    (m, var.sqrt())
}

/// Chi-square statistic of counts against equal expected counts.
fn chi_square(counts: &[usize]) -> f64 {
    let total: usize = counts.iter().sum();
    let e = total as f64 / counts.len() as f64;
    counts.iter().map(|&c| (c as f64 - e).powi(2) / e).sum()
}

const N_STAT: usize = 200_000;

#[test]
fn uniform_statistics() {
    for dev in devices() {
        for (seed, lo, hi) in [(1u64, 0.0, 1.0), (2, -3.0, 5.0)] {
            let x = ops::uniform(&[N_STAT], lo, hi, DType::F32, seed, &dev).unwrap().to_vec_f64().unwrap();
            assert!(x.iter().all(|&v| v >= lo && v < hi), "uniform outside [{lo}, {hi}) on {dev}");
            let (m, s) = mean_std(&x);
            let w = hi - lo;
            assert!((m - (lo + hi) / 2.0).abs() < 0.01 * w, "uniform mean {m} on {dev}");
            assert!((s - w / 12f64.sqrt()).abs() < 0.01 * w, "uniform std {s} on {dev}");
            // 100 bins: chi-square with 99 degrees of freedom; 99.9% quantile is about 148.
            let mut counts = vec![0usize; 100];
            for &v in &x {
                counts[(((v - lo) / w) * 100.0).min(99.0) as usize] += 1;
            }
            let chi = chi_square(&counts);
            assert!(chi < 148.0, "uniform chi-square {chi} on {dev}");
            let d = ks(&x, |v| (v - lo) / w);
            assert!(d < 1.95 / (N_STAT as f64).sqrt(), "uniform KS {d} on {dev}");
        }
    }
}

#[test]
fn normal_statistics() {
    for dev in devices() {
        let x = ops::normal(&[N_STAT], 0.0, 1.0, DType::F32, 5, &dev).unwrap().to_vec_f64().unwrap();
        let (m, s) = mean_std(&x);
        assert!(m.abs() < 0.01, "normal mean {m} on {dev}");
        assert!((s - 1.0).abs() < 0.01, "normal std {s} on {dev}");
        let d = ks(&x, phi);
        assert!(d < 1.95 / (N_STAT as f64).sqrt(), "normal KS {d} on {dev}");
        assert!(x.iter().all(|v| v.is_finite()));
        let tail = x.iter().filter(|v| v.abs() > 3.0).count() as f64 / N_STAT as f64;
        assert!((tail - 0.0027).abs() < 0.001, "normal tail mass beyond 3 sd {tail} on {dev}");

        let y = ops::normal(&[N_STAT], 10.0, 0.5, DType::F32, 6, &dev).unwrap().to_vec_f64().unwrap();
        let (m, s) = mean_std(&y);
        assert!((m - 10.0).abs() < 0.01 && (s - 0.5).abs() < 0.01, "normal(10, 0.5): {m} {s} on {dev}");
    }
}

#[test]
fn truncated_normal_statistics() {
    let (p_lo, p_hi) = (phi(-2.0), phi(2.0));
    for dev in devices() {
        let x =
            ops::truncated_normal(&[N_STAT], 0.0, 1.0, DType::F32, 7, &dev).unwrap().to_vec_f64().unwrap();
        assert!(x.iter().all(|v| v.abs() <= 2.0), "truncated normal beyond 2 sd on {dev}");
        let (m, s) = mean_std(&x);
        assert!(m.abs() < 0.01, "truncated normal mean {m} on {dev}");
        assert!((s - 0.879_626).abs() < 0.01, "truncated normal std {s} on {dev}");
        let d = ks(&x, |v| (phi(v) - p_lo) / (p_hi - p_lo));
        assert!(d < 1.95 / (N_STAT as f64).sqrt(), "truncated normal KS {d} on {dev}");

        let y =
            ops::truncated_normal(&[N_STAT], 3.0, 0.25, DType::F32, 8, &dev).unwrap().to_vec_f64().unwrap();
        assert!(y.iter().all(|v| (v - 3.0).abs() <= 0.5 + 1e-6), "truncated_normal(3, 0.25) bounds on {dev}");
        let (m, s) = mean_std(&y);
        assert!((m - 3.0).abs() < 0.01 && (s - 0.25 * 0.879_626).abs() < 0.01, "{m} {s} on {dev}");
    }
}

#[test]
fn randint_and_dropout_statistics() {
    for dev in devices() {
        let x = ops::randint(&[N_STAT], -5, 15, DType::I32, 9, &dev).unwrap().to_vec::<i32>().unwrap();
        assert!(x.iter().all(|&v| (-5..15).contains(&v)), "randint bounds on {dev}");
        let mut counts = vec![0usize; 20];
        for &v in &x {
            counts[(v + 5) as usize] += 1;
        }
        // 19 degrees of freedom; 99.9% quantile is about 43.8.
        let chi = chi_square(&counts);
        assert!(chi < 43.8, "randint chi-square {chi} on {dev}");

        let m = ops::dropout_mask(&[N_STAT], 0.25, 10, &dev).unwrap().to_vec::<bool>().unwrap();
        let kept = m.iter().filter(|&&b| b).count() as f64 / N_STAT as f64;
        assert!((kept - 0.75).abs() < 0.005, "dropout keep fraction {kept} on {dev}");

        let mut rng = Rng::new(3);
        let inp = rand_tensor(&mut rng, &[40, 50], 1.0, 2.0, DType::F32, &dev);
        let out = ops::random_dropout(&inp, 0.4, None, 12).unwrap();
        let mask = ops::dropout_mask(&[40, 50], 0.4, 12, &dev).unwrap().to_vec::<bool>().unwrap();
        let (xi, xo) = (inp.to_vec::<f32>().unwrap(), out.to_vec::<f32>().unwrap());
        for i in 0..xi.len() {
            let want = if mask[i] { xi[i] / 0.6 } else { 0.0 };
            assert!((xo[i] - want).abs() < 1e-5, "dropout element {i} on {dev}");
        }
        // noise_shape broadcasts one mask over rows.
        let out = ops::random_dropout(&inp, 0.5, Some(&[1, 50]), 13).unwrap().to_vec::<f32>().unwrap();
        for c in 0..50 {
            let zero = out[c] == 0.0;
            assert!((0..40).all(|r| (out[r * 50 + c] == 0.0) == zero), "noise_shape column {c} on {dev}");
        }
    }
    // Dropout agrees across devices.
    let mut rng = Rng::new(4);
    let x = rand_tensor(&mut rng, &[3, 1029], -1.0, 1.0, DType::F32, &Device::Cpu);
    check_backends("random_dropout", &[x], 1e-6, 1e-6, |t| ops::random_dropout(&t[0], 0.3, None, 99));
}

fn err_of(r: wgkeras::runtime::Result<Tensor>) -> String {
    match r {
        Ok(t) => panic!("expected an error, got {t:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_inputs_are_errors() {
    for dev in devices() {
        let e = err_of(ops::uniform(&[3], 0.0, 1.0, DType::I32, 1, &dev));
        assert!(e.contains("random.uniform") && e.contains("int32"), "{e}");
        let e = err_of(ops::uniform(&[3], f64::NAN, 1.0, DType::F32, 1, &dev));
        assert!(e.contains("random.uniform") && e.contains("minval"), "{e}");
        let e = err_of(ops::normal(&[3], 0.0, 1.0, DType::Bool, 1, &dev));
        assert!(e.contains("random.normal"), "{e}");
        let e = err_of(ops::truncated_normal(&[3], 0.0, f64::INFINITY, DType::F32, 1, &dev));
        assert!(e.contains("random.truncated_normal") && e.contains("stddev"), "{e}");
        let e = err_of(ops::randint(&[3], 5, 5, DType::I32, 1, &dev));
        assert!(e.contains("random.randint") && e.contains("minval"), "{e}");
        let e = err_of(ops::randint(&[3], 0, 5, DType::F32, 1, &dev));
        assert!(e.contains("random.randint") && e.contains("float32"), "{e}");
        let e = err_of(ops::randint(&[3], -1, 5, DType::U32, 1, &dev));
        assert!(e.contains("random.randint"), "{e}");
        let e = err_of(ops::randint(&[3], 0, 1 << 40, DType::I32, 1, &dev));
        assert!(e.contains("random.randint"), "{e}");
        let e = err_of(ops::dropout_mask(&[3], 1.0, 1, &dev));
        assert!(e.contains("random.dropout") && e.contains("rate"), "{e}");
        let x = ops::ones(&[4, 5], DType::F32, &dev).unwrap();
        let e = err_of(ops::random_dropout(&x, -0.1, None, 1));
        assert!(e.contains("random.dropout"), "{e}");
        let e = err_of(ops::random_dropout(&x, 0.5, Some(&[3, 5]), 1));
        assert!(e.contains("random.dropout"), "{e}");
        let e = err_of(ops::random_dropout(&x, 0.5, Some(&[1, 1, 5]), 1));
        assert!(e.contains("random.dropout"), "{e}");
    }
    if let Some(g) = gpu() {
        for dtype in [DType::BF16, DType::F64] {
            let e = err_of(ops::uniform(&[3], 0.0, 1.0, dtype, 1, &g));
            assert!(e.contains("random.uniform") && e.contains(dtype.name()), "{e}");
        }
    }
}
