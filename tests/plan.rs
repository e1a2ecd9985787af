//! Captured GPU plans: a sequence of eager ops recorded once and replayed with one submit,
//! on fixed buffers, with new input data each time.

mod common;

use common::*;
use wgkeras::ops;
use wgkeras::runtime::{CpuStorage, DType, Device, Tensor};

/// The computation the tests capture: a few ops of several families.
fn step(x: &Tensor, w: &Tensor) -> wgkeras::runtime::Result<Tensor> {
    let h = ops::multiply(&ops::tanh(x)?, w)?;
    let h = ops::add(&h, &ops::exp(&ops::negative(&ops::square(x)?)?)?)?;
    ops::sum(&h, Some(&[1]), false)
}

#[test]
fn a_plan_replays_with_new_inputs_in_one_submit() {
    let Some(Device::Gpu(_)) = gpu() else { return };
    // A private device, so tests running beside this one do not move its counters.
    let dev = Device::gpu_with(&wgkeras::runtime::GpuOptions { allow_software: true, ..Default::default() })
        .unwrap();
    let Device::Gpu(gpu) = &dev else { unreachable!() };
    let mut rng = Rng::new(11);
    let x = rand_tensor(&mut rng, &[8, 33], -2.0, 2.0, DType::F32, &dev);
    let w = rand_tensor(&mut rng, &[33], -1.0, 1.0, DType::F32, &dev);

    gpu.begin_capture().unwrap();
    let y = step(&x, &w).unwrap();
    assert!(y.to_vec::<f32>().is_err(), "reading back during a capture must be refused");
    let plan = gpu.end_capture().unwrap();
    assert!(plan.dispatches() >= 6, "{} dispatches", plan.dispatches());

    let pipelines = gpu.pipelines_created();
    let mut created = gpu.pool_stats().created;
    for round in 0..5 {
        let data = rng.vec(8 * 33, -2.0, 2.0);
        x.gpu().unwrap().write(&CpuStorage::from_f64(DType::F32, data.clone())).unwrap();
        gpu.synchronize().unwrap();
        let submits = gpu.submits();
        plan.run().unwrap();
        assert_eq!(gpu.submits(), submits + 1, "round {round}: a plan run is one submit");
        let got = y.to_device(&Device::Cpu).unwrap();
        let x_cpu = Tensor::from_cpu(CpuStorage::from_f64(DType::F32, data), &[8, 33], &Device::Cpu).unwrap();
        let want = step(&x_cpu, &w.to_device(&Device::Cpu).unwrap()).unwrap();
        assert_close(&format!("round {round}"), &got, &want, 1e-5, 1e-5);
        if round == 0 {
            // The first readback creates its staging buffer; from then on nothing is created.
            created = gpu.pool_stats().created;
        }
    }
    assert_eq!(gpu.pipelines_created(), pipelines, "replays compile nothing");
    assert_eq!(gpu.pool_stats().created, created, "replays and readbacks allocate nothing");
}

#[test]
fn a_plan_reuses_dead_intermediates_and_frees_its_buffers_when_dropped() {
    let Some(Device::Gpu(_)) = gpu() else { return };
    // A private device, so other tests' buffers do not move the pool figures.
    let dev = Device::gpu_with(&wgkeras::runtime::GpuOptions { allow_software: true, ..Default::default() })
        .unwrap();
    let Device::Gpu(gpu) = &dev else { unreachable!() };
    let x = ops::ones(&[1024], DType::F32, &dev).unwrap();
    gpu.synchronize().unwrap();
    gpu.begin_capture().unwrap();
    let mut h = x.clone();
    for _ in 0..12 {
        h = ops::add(&ops::sin(&h).unwrap(), &x).unwrap();
    }
    let plan = gpu.end_capture().unwrap();
    assert_eq!(plan.dispatches(), 24);
    assert!(
        plan.buffers() <= 5,
        "24 ops on dead intermediates should need few buffers, got {}",
        plan.buffers()
    );
    plan.run().unwrap();
    let mut want = 1.0f32;
    for _ in 0..12 {
        want = want.sin() + 1.0;
    }
    let got = h.to_vec::<f32>().unwrap();
    assert!(got.iter().all(|&v| (v - want).abs() < 1e-5), "{} vs {want}", got[0]);
    let free_before = gpu.pool_stats().free_bytes;
    drop(plan);
    assert!(gpu.pool_stats().free_bytes > free_before, "dropping a plan returns its buffers to the pool");
}

#[test]
fn buffers_a_plan_uses_are_not_handed_to_others() {
    let Some(Device::Gpu(_)) = gpu() else { return };
    let dev = Device::gpu_with(&wgkeras::runtime::GpuOptions { allow_software: true, ..Default::default() })
        .unwrap();
    let Device::Gpu(gpu) = &dev else { unreachable!() };
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4], &dev).unwrap();
    gpu.begin_capture().unwrap();
    let t = ops::exp(&x).unwrap();
    let y = ops::add(&t, &x).unwrap();
    drop(t);
    let plan = gpu.end_capture().unwrap();
    // x's and the intermediate's buffers are the plan's now; new tensors must get others.
    drop(x);
    let others: Vec<Tensor> =
        (0..8).map(|i| ops::full(&[4], 100.0 + i as f64, DType::F32, &dev).unwrap()).collect();
    plan.run().unwrap();
    let got = y.to_vec::<f32>().unwrap();
    let want: Vec<f32> = [1.0f32, 2.0, 3.0, 4.0].iter().map(|v| v.exp() + v).collect();
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() < 1e-4, "{got:?} vs {want:?}");
    }
    assert_eq!(others[7].to_vec::<f32>().unwrap(), vec![107.0; 4]);
}

#[test]
fn capture_errors_are_clear() {
    let Some(Device::Gpu(gpu)) = gpu() else { return };
    let dev = Device::gpu_with(&wgkeras::runtime::GpuOptions { allow_software: true, ..Default::default() })
        .unwrap();
    let Device::Gpu(own) = &dev else { unreachable!() };
    assert!(own.end_capture().unwrap_err().to_string().contains("no plan is being captured"));
    own.begin_capture().unwrap();
    assert!(own.begin_capture().unwrap_err().to_string().contains("already being captured"));
    own.abort_capture();
    let x = ops::ones(&[3], DType::F32, &Device::Gpu(gpu)).unwrap();
    let bad = x.gpu().unwrap().write(&CpuStorage::from_f64(DType::F32, vec![1.0; 5]));
    assert!(bad.unwrap_err().to_string().contains("write"));
}
