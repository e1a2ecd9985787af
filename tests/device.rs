//! Devices and dispatch: split dispatches over the binding limit, folded grids over the
//! per-dimension workgroup limit, the pipeline cache, the buffer pool, device choice from
//! `WGKERAS_DEVICE`, dtype support (f16, bf16, f64) and long queues of pending work.

mod common;

use common::*;
use wgkeras::ops;
use wgkeras::runtime::{DType, Device, GpuDevice, GpuOptions, Tensor};

/// A fresh GPU device with lowered limits, or None when there is no adapter at all.
fn gpu_with(max_binding_bytes: Option<u64>, max_workgroups_per_dim: Option<u32>) -> Option<GpuDevice> {
    gpu()?;
    match Device::gpu_with(&GpuOptions {
        allow_software: true,
        max_binding_bytes,
        max_workgroups_per_dim,
        ..Default::default()
    })
    .unwrap()
    {
        Device::Gpu(g) => Some(g),
        Device::Cpu => unreachable!(),
    }
}

/// `f` on the CPU and on `dev` agree within `tol`.
fn agree(
    what: &str,
    dev: &Device,
    inputs: &[Tensor],
    tol: f64,
    f: impl Fn(&[Tensor]) -> wgkeras::runtime::Result<Tensor>,
) {
    let cpu_in: Vec<Tensor> = inputs.iter().map(|t| t.to_device(&Device::Cpu).unwrap()).collect();
    let dev_in: Vec<Tensor> = inputs.iter().map(|t| t.to_device(dev).unwrap()).collect();
    let want = f(&cpu_in).unwrap_or_else(|e| panic!("{what} on cpu: {e}"));
    let got = f(&dev_in).unwrap_or_else(|e| panic!("{what} on {dev}: {e}"));
    assert!(got.device().is_gpu(), "{what}: result left the GPU");
    assert_close(what, &got.to_device(&Device::Cpu).unwrap(), &want, tol, tol);
}

#[test]
fn tensors_larger_than_one_binding_are_split() {
    let Some(g) = gpu_with(Some(4096), None) else { return };
    assert_eq!(g.max_binding_bytes(), 4096);
    let dev = Device::Gpu(g.clone());
    let mut rng = Rng::new(1);
    for n in [10_000, 12_345, 65_537] {
        let x = rand_tensor(&mut rng, &[n], -3.0, 3.0, DType::F32, &Device::Cpu);
        let y = rand_tensor(&mut rng, &[n], -3.0, 3.0, DType::F32, &Device::Cpu);
        let xi = rand_tensor(&mut rng, &[n], -1000.0, 1000.0, DType::I32, &Device::Cpu);
        let before = g.submits();
        agree(&format!("exp n={n}"), &dev, &[x.clone()], 2e-6, |t| ops::exp(&t[0]));
        agree(&format!("add n={n}"), &dev, &[x.clone(), y.clone()], 1e-6, |t| ops::add(&t[0], &t[1]));
        agree(&format!("add 2-d n={n}"), &dev, &[x.clone(), y.clone()], 1e-6, |t| {
            ops::add(&t[0].with_dims(&[1, n])?, &t[1].with_dims(&[1, n])?)
        });
        agree(&format!("add scalar n={n}"), &dev, &[x.clone()], 1e-6, |t| {
            ops::add(&t[0], &ops::full(&[], 2.5, DType::F32, &t[0].device())?)
        });
        agree(&format!("cast f32->i32 n={n}"), &dev, &[x.clone()], 0.0, |t| ops::cast(&t[0], DType::I32));
        agree(&format!("cast i32->f32 n={n}"), &dev, &[xi.clone()], 0.0, |t| ops::cast(&t[0], DType::F32));
        agree(&format!("cast f32->bool n={n}"), &dev, &[x.clone()], 0.0, |t| ops::cast(&t[0], DType::Bool));
        agree(&format!("greater n={n}"), &dev, &[x.clone(), y.clone()], 0.0, |t| ops::greater(&t[0], &t[1]));
        agree(&format!("random normal n={n}"), &dev, &[], 1e-6, |_| {
            ops::normal(&[n], 0.0, 1.0, DType::F32, 3, &dev)
        });
        assert!(g.submits() >= before, "submits counter");
    }
    // The CPU side of the random check above ran on the GPU twice; check it against the CPU too.
    let c = ops::random_bits(&[20_000], 8, &Device::Cpu).unwrap().to_vec::<u32>().unwrap();
    assert_eq!(ops::random_bits(&[20_000], 8, &dev).unwrap().to_vec::<u32>().unwrap(), c);
}

/// An op on tensors over the binding limit that cannot be split must either give the right
/// answer or an error naming the limit: never a panic or a wrong result.
#[test]
fn unsplittable_ops_over_the_binding_limit_are_clear_errors() {
    let Some(g) = gpu_with(Some(4096), None) else { return };
    let dev = Device::Gpu(g);
    let mut rng = Rng::new(2);
    let a = rand_tensor(&mut rng, &[100, 200], -1.0, 1.0, DType::F32, &Device::Cpu);
    let row = rand_tensor(&mut rng, &[200], -1.0, 1.0, DType::F32, &Device::Cpu);
    let col = rand_tensor(&mut rng, &[100, 1], -1.0, 1.0, DType::F32, &Device::Cpu);
    type F = fn(&[Tensor]) -> wgkeras::runtime::Result<Tensor>;
    let probes: &[(&str, Vec<Tensor>, F)] = &[
        ("add broadcast row", vec![a.clone(), row.clone()], |t| ops::add(&t[0], &t[1])),
        ("multiply broadcast col", vec![a.clone(), col.clone()], |t| ops::multiply(&t[0], &t[1])),
        ("less broadcast", vec![a.clone(), row.clone()], |t| ops::less(&t[0], &t[1])),
        ("greater then where, broadcast", vec![a.clone(), row.clone()], |t| {
            ops::where_(&ops::greater(&t[0], &t[1])?, &t[0], &t[1])
        }),
        ("full of 2.0", vec![a.clone()], |t| ops::full(t[0].dims(), 2.0, DType::F32, &t[0].device())),
        ("zeros", vec![a.clone()], |t| ops::zeros(t[0].dims(), DType::F32, &t[0].device())),
        ("arange", vec![a.clone()], |t| ops::arange(0.0, 20_000.0, 1.0, DType::I32, &t[0].device())),
        ("eye", vec![a.clone()], |t| ops::eye(100, Some(200), 0, DType::F32, &t[0].device())),
        ("strided_copy of transpose", vec![a.clone()], |t| ops::transpose(&t[0], None)),
        ("reshape", vec![a.clone()], |t| ops::reshape(&t[0], &[200, -1])),
    ];
    for (what, inputs, f) in probes {
        let cpu_in: Vec<Tensor> = inputs.iter().map(|t| t.to_device(&Device::Cpu).unwrap()).collect();
        let gpu_in: Vec<Tensor> = inputs.iter().map(|t| t.to_device(&dev).unwrap()).collect();
        let want = f(&cpu_in).unwrap();
        match f(&gpu_in) {
            Ok(got) => assert_close(what, &got.to_device(&Device::Cpu).unwrap(), &want, 1e-6, 1e-6),
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    msg.contains("4096") && msg.contains("limit"),
                    "{what}: error does not name the limit: {msg}"
                );
                let op = what.split(' ').next().unwrap();
                assert!(msg.starts_with(op), "{what}: error does not start with the op name: {msg}");
                eprintln!("{what}: refused: {msg}");
            }
        }
    }
}

#[test]
fn grids_over_the_workgroup_limit_fold_into_two_dimensions() {
    // 100_000 elements in workgroups of 256 are 391 groups: 64 per dimension folds them 64 x 7.
    let Some(g) = gpu_with(None, Some(64)) else { return };
    assert_eq!(g.max_workgroups_per_dim(), 64);
    let dev = Device::Gpu(g);
    let mut rng = Rng::new(3);
    for n in [100_000, 16_385, 257] {
        let x = rand_tensor(&mut rng, &[n], -3.0, 3.0, DType::F32, &Device::Cpu);
        let y = rand_tensor(&mut rng, &[n], -3.0, 3.0, DType::F32, &Device::Cpu);
        agree(&format!("exp n={n}"), &dev, &[x.clone()], 2e-6, |t| ops::exp(&t[0]));
        agree(&format!("add n={n}"), &dev, &[x.clone(), y.clone()], 1e-6, |t| ops::add(&t[0], &t[1]));
        agree(&format!("add broadcast n={n}"), &dev, &[x.clone()], 1e-6, |t| {
            ops::add(&t[0].with_dims(&[1, n])?, &ops::ones(&[3, 1], DType::F32, &t[0].device())?)
        });
        agree(&format!("cast n={n}"), &dev, &[x.clone()], 0.0, |t| ops::cast(&t[0], DType::I32));
        agree(&format!("arange n={n}"), &dev, &[], 0.0, |_| {
            ops::arange(0.0, n as f64, 1.0, DType::I32, &dev)
        });
        let c = ops::random_bits(&[n], 4, &Device::Cpu).unwrap().to_vec::<u32>().unwrap();
        assert_eq!(ops::random_bits(&[n], 4, &dev).unwrap().to_vec::<u32>().unwrap(), c, "random n={n}");
    }
    // With 4 workgroups per dimension a 1-D launch holds at most 4 x 4 groups (4096 threads):
    // that works, and a bigger launch is refused with an error naming the limit.
    let Some(g4) = gpu_with(None, Some(4)) else { return };
    let dev4 = Device::Gpu(g4);
    let x = rand_tensor(&mut rng, &[4096], -3.0, 3.0, DType::F32, &Device::Cpu);
    agree("exp n=4096, 4 groups per dim", &dev4, &[x], 2e-6, |t| ops::exp(&t[0]));
    let big = rand_tensor(&mut rng, &[100_000], -3.0, 3.0, DType::F32, &dev4);
    match ops::exp(&big) {
        Ok(t) => assert_close(
            "exp n=100000, 4 groups per dim",
            &t.to_device(&Device::Cpu).unwrap(),
            &ops::exp(&big.to_device(&Device::Cpu).unwrap()).unwrap(),
            2e-6,
            2e-6,
        ),
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains("workgroups") && msg.contains('4'), "{msg}");
            eprintln!("exp of 100000 with 4 workgroups per dimension: refused: {msg}");
        }
    }
}

#[test]
fn new_shapes_compile_no_new_pipelines() {
    let Some(g) = gpu_with(None, None) else { return };
    let dev = Device::Gpu(g.clone());
    let mut rng = Rng::new(4);
    let run = |dims: &[usize], rng: &mut Rng| {
        let x = rand_tensor(rng, dims, 0.1, 2.0, DType::F32, &dev);
        let y = rand_tensor(rng, &dims[dims.len() - 1..], 0.1, 2.0, DType::F32, &dev);
        let z = ops::add(&ops::exp(&x).unwrap(), &y).unwrap();
        let w = ops::cast(&ops::greater(&z, &x).unwrap(), DType::F32).unwrap();
        let r = ops::uniform(dims, 0.0, 1.0, DType::F32, 1, &dev).unwrap();
        ops::multiply(&w, &r).unwrap().to_vec::<f32>().unwrap();
    };
    // Two layout classes, two specializations: broadcasting operands and flat ones.
    run(&[3, 5], &mut rng);
    run(&[64], &mut rng);
    let compiled = g.pipelines_created();
    assert!(compiled > 0);
    for dims in [&[7, 1][..], &[2, 3, 9], &[1000], &[17, 33], &[1, 1, 1, 4097]] {
        run(dims, &mut rng);
        assert_eq!(g.pipelines_created(), compiled, "shape {dims:?} compiled a pipeline");
    }
}

#[test]
fn buffer_pool_reaches_a_steady_state() {
    let Some(g) = gpu_with(None, None) else { return };
    let dev = Device::Gpu(g.clone());
    let mut rng = Rng::new(5);
    let host = rand_tensor(&mut rng, &[64, 33], -1.0, 1.0, DType::F32, &Device::Cpu);
    let mut created = Vec::new();
    for _ in 0..50 {
        let x = host.to_device(&dev).unwrap();
        let y = ops::exp(&x).unwrap();
        let z = ops::add(&ops::multiply(&y, &x).unwrap(), &x).unwrap();
        let m = ops::greater(&z, &y).unwrap();
        let n = ops::normal(&[64, 33], 0.0, 1.0, DType::F32, 2, &dev).unwrap();
        let out = ops::where_(&m, &z, &n).unwrap();
        let v = out.to_vec::<f32>().unwrap();
        assert_eq!(v.len(), 64 * 33);
        created.push(g.pool_stats().created);
    }
    assert!(created[0] > 0);
    assert!(created[3..].iter().all(|&c| c == created[3]), "the pool keeps creating buffers: {created:?}");
    let stats = g.pool_stats();
    assert!(stats.free_bytes > 0, "{stats:?}");
    let held = stats.allocated_bytes;
    g.release_free_memory();
    let after = g.pool_stats();
    assert_eq!(after.free_bytes, 0, "{after:?}");
    assert_eq!(after.allocated_bytes, held - stats.free_bytes, "{after:?}");
    // A tensor still alive keeps its buffer, and works after the release.
    let x = host.to_device(&dev).unwrap();
    let kept = g.pool_stats().allocated_bytes;
    g.release_free_memory();
    assert!(g.pool_stats().allocated_bytes >= kept.min(1));
    assert_close(
        "after release",
        &ops::exp(&x).unwrap().to_device(&Device::Cpu).unwrap(),
        &ops::exp(&host).unwrap(),
        2e-6,
        2e-6,
    );
}

/// All environment-variable cases in one test, one after another (tests run in threads).
#[test]
fn device_choice_follows_wgkeras_device() {
    let saved = std::env::var_os("WGKERAS_DEVICE");
    let adapters = wgkeras::runtime::device::list_adapters();
    let any = !adapters.is_empty();
    let hardware = adapters.iter().any(|a| !a.is_software);

    std::env::set_var("WGKERAS_DEVICE", "cpu");
    assert_eq!(Device::auto(), Device::Cpu);
    assert_eq!(Device::choose().unwrap().device, Device::Cpu);

    std::env::set_var("WGKERAS_DEVICE", "gpu");
    if any {
        assert!(Device::auto().is_gpu(), "WGKERAS_DEVICE=gpu with an adapter gives a GPU");
    } else {
        assert!(Device::choose().is_err());
        assert_eq!(Device::auto(), Device::Cpu);
    }

    std::env::set_var("WGKERAS_DEVICE", " GPU ");
    assert_eq!(Device::auto().is_gpu(), any, "values are trimmed and case-insensitive");

    std::env::set_var("WGKERAS_DEVICE", "tpu");
    let e = Device::choose().unwrap_err().to_string();
    assert!(e.contains("WGKERAS_DEVICE") && e.contains("tpu"), "{e}");
    assert_eq!(Device::auto(), Device::Cpu, "an invalid value falls back to the CPU");

    for v in ["auto", ""] {
        std::env::set_var("WGKERAS_DEVICE", v);
        let c = Device::choose().unwrap();
        assert_eq!(c.device.is_gpu(), hardware, "auto with hardware={hardware}: {}", c.reason);
        assert!(!c.reason.is_empty());
    }
    std::env::remove_var("WGKERAS_DEVICE");
    let d = Device::auto();
    assert_eq!(d.is_gpu(), hardware, "unset: {d}");
    if !hardware {
        // Only software adapters (lavapipe here): auto is the CPU, and says why.
        let reason = Device::choose().unwrap().reason;
        assert!(reason.contains("CPU"), "{reason}");
    }

    match saved {
        Some(v) => std::env::set_var("WGKERAS_DEVICE", v),
        None => std::env::remove_var("WGKERAS_DEVICE"),
    }
}

#[test]
fn float16_on_the_gpu_needs_shader_f16() {
    let Some(Device::Gpu(g)) = gpu() else { return };
    let dev = Device::Gpu(g.clone());
    let mut rng = Rng::new(6);
    let x = rand_tensor(&mut rng, &[3, 257], -2.0, 2.0, DType::F16, &Device::Cpu);
    let y = rand_tensor(&mut rng, &[257], -2.0, 2.0, DType::F16, &Device::Cpu);
    eprintln!("adapter {} SHADER_F16: {}", g.name(), g.has_f16());
    if g.has_f16() {
        agree("exp f16", &dev, &[x.clone()], 1e-3, |t| ops::exp(&t[0]));
        agree("add f16", &dev, &[x.clone(), y.clone()], 1e-3, |t| ops::add(&t[0], &t[1]));
        agree("cast f16->f32", &dev, &[x.clone()], 1e-3, |t| ops::cast(&t[0], DType::F32));
        agree("cast f32->f16", &dev, &[ops::cast(&x, DType::F32).unwrap()], 1e-3, |t| {
            ops::cast(&t[0], DType::F16)
        });
        agree("cast f16->i32", &dev, &[x.clone()], 0.0, |t| ops::cast(&t[0], DType::I32));
    } else {
        let e = x.to_device(&dev).unwrap_err().to_string();
        assert!(e.contains("float16") && e.contains("SHADER_F16"), "{e}");
        let f = ops::ones(&[4], DType::F32, &dev).unwrap();
        let e = ops::cast(&f, DType::F16).unwrap_err().to_string();
        assert!(e.contains("float16") && e.contains("SHADER_F16"), "{e}");
        let e = ops::zeros(&[4], DType::F16, &dev).unwrap_err().to_string();
        assert!(e.contains("float16") && e.contains("SHADER_F16"), "{e}");
    }
}

#[test]
fn bfloat16_and_float64_are_cpu_only() {
    let mut rng = Rng::new(7);
    for dtype in [DType::BF16, DType::F64] {
        let x = rand_tensor(&mut rng, &[5, 7], -2.0, 2.0, dtype, &Device::Cpu);
        let y = rand_tensor(&mut rng, &[7], -2.0, 2.0, dtype, &Device::Cpu);
        let tol = if dtype == DType::BF16 { 1e-2 } else { 1e-12 };
        let e = ops::exp(&x).unwrap();
        assert_eq!(e.dtype(), dtype);
        let want: Vec<f64> = x.to_vec_f64().unwrap().iter().map(|v| v.exp()).collect();
        for (g, w) in e.to_vec_f64().unwrap().iter().zip(&want) {
            assert!((g - w).abs() <= tol * w.abs(), "exp {dtype}: {g} vs {w}");
        }
        let s = ops::add(&x, &y).unwrap();
        assert_eq!((s.dtype(), s.dims()), (dtype, &[5, 7][..]));
        let (xv, yv, sv) = (x.to_vec_f64().unwrap(), y.to_vec_f64().unwrap(), s.to_vec_f64().unwrap());
        for i in 0..35 {
            assert!((sv[i] - (xv[i] + yv[i % 7])).abs() <= tol * 4.0, "add {dtype} element {i}");
        }
        // bf16 -> f32 -> bf16 is exact; f64 -> f32 rounds to the nearest f32.
        let f = ops::cast(&x, DType::F32).unwrap();
        let want: Vec<f32> = xv.iter().map(|&v| v as f32).collect();
        assert_eq!(f.to_vec::<f32>().unwrap(), want, "cast {dtype} -> float32");
        let c = ops::cast(&f, dtype).unwrap();
        assert_eq!(c.dtype(), dtype);
        let back: Vec<f64> = want.iter().map(|&v| v as f64).collect();
        assert_eq!(c.to_vec_f64().unwrap(), back, "cast float32 -> {dtype}");
        let i = ops::cast(&x, DType::I32).unwrap();
        assert_eq!(i.to_vec_f64().unwrap(), xv.iter().map(|v| v.trunc()).collect::<Vec<_>>());

        if let Some(gpu) = gpu() {
            let e = x.to_device(&gpu).unwrap_err().to_string();
            assert!(e.contains(dtype.name()) && e.contains("CPU"), "{e}");
            let f = ops::ones(&[4], DType::F32, &gpu).unwrap();
            let e = ops::cast(&f, dtype).unwrap_err().to_string();
            assert!(e.contains(dtype.name()), "{e}");
            let e = ops::zeros(&[4], dtype, &gpu).unwrap_err().to_string();
            assert!(e.contains(dtype.name()), "{e}");
        }
    }
}

#[test]
fn readback_after_many_queued_dispatches_is_correct() {
    let Some(g) = gpu_with(None, None) else { return };
    let dev = Device::Gpu(g.clone());
    // 1500 dependent adds, each dropping its input (so buffers are recycled while earlier
    // submissions may still be in flight): more than 512 pending dispatches forces submits.
    let one = ops::ones(&[1000], DType::I32, &dev).unwrap();
    let mut x = ops::arange(0.0, 1000.0, 1.0, DType::I32, &dev).unwrap();
    let before = g.submits();
    for _ in 0..1500 {
        x = ops::add(&x, &one).unwrap();
    }
    assert!(g.submits() - before >= 2, "more than 512 dispatches were submitted in batches");
    let v = x.to_vec::<i32>().unwrap();
    assert_eq!(v, (0..1000).map(|i| i + 1500).collect::<Vec<i32>>());

    // Many independent results kept alive, read back in reverse order.
    let base = ops::arange(0.0, 4096.0, 1.0, DType::F32, &dev).unwrap();
    let outs: Vec<Tensor> = (0..700)
        .map(|k| ops::multiply(&base, &ops::full(&[], k as f64, DType::F32, &dev).unwrap()).unwrap())
        .collect();
    for (k, t) in outs.iter().enumerate().rev().step_by(37) {
        let v = t.to_vec::<f32>().unwrap();
        assert!(v.iter().enumerate().all(|(i, &y)| y == (i * k) as f32), "result {k}");
    }
    g.synchronize().unwrap();
}
