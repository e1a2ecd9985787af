//! Device-seeded random numbers: `uniform_seeded`, `dropout_mask_seeded` and `seed_advance`,
//! for plans that draw new numbers each time they are replayed.

mod common;

use common::*;
use wgkeras::ops;
use wgkeras::runtime::{DType, Device, Tensor};

const SHAPES: &[&[usize]] = &[&[], &[1], &[3], &[17], &[65, 2], &[130, 3], &[0, 4], &[1029]];
const SEEDS: [u64; 4] = [0, 42, 0xFFFF_FFFF, 0xDEAD_BEEF_0123_4567];

fn seed_tensor(seed: u64, dev: &Device) -> Tensor {
    Tensor::from_vec(vec![seed as u32, (seed >> 32) as u32], &[2], dev).unwrap()
}

fn bits(t: &Tensor) -> Vec<u32> {
    t.to_device(&Device::Cpu).unwrap().to_vec::<f32>().unwrap().iter().map(|v| v.to_bits()).collect()
}

#[test]
fn uniform_seeded_has_the_bits_of_uniform() {
    for dev in devices() {
        for &seed in &SEEDS {
            for dims in SHAPES {
                let s = seed_tensor(seed, &dev);
                let got = ops::uniform_seeded(dims, &s, -2.0, 3.0, DType::F32).unwrap();
                assert_eq!(got.device(), dev);
                assert_eq!(got.dims(), *dims);
                let want = ops::uniform(dims, -2.0, 3.0, DType::F32, seed, &dev).unwrap();
                assert_eq!(bits(&got), bits(&want), "{} seed {seed:#x} {dims:?}", dev.name());
                // And the same bits on the CPU.
                let cpu = ops::uniform(dims, -2.0, 3.0, DType::F32, seed, &Device::Cpu).unwrap();
                assert_eq!(bits(&got), bits(&cpu), "{} vs cpu, seed {seed:#x} {dims:?}", dev.name());
            }
        }
    }
    // Other float dtypes are the f32 draw cast, as for `uniform`.
    let s = seed_tensor(7, &Device::Cpu);
    let got = ops::uniform_seeded(&[33], &s, 0.0, 1.0, DType::F64).unwrap();
    let want = ops::uniform(&[33], 0.0, 1.0, DType::F64, 7, &Device::Cpu).unwrap();
    assert_eq!(got.dtype(), DType::F64);
    assert_eq!(got.to_vec::<f64>().unwrap(), want.to_vec::<f64>().unwrap());
}

#[test]
fn dropout_mask_seeded_keeps_what_dropout_mask_keeps() {
    for dev in devices() {
        for &seed in &SEEDS {
            for rate in [0.0, 0.25, 0.5, 0.9] {
                for dims in SHAPES {
                    let s = seed_tensor(seed, &dev);
                    let got = ops::dropout_mask_seeded(dims, rate, &s).unwrap();
                    assert_eq!((got.dtype(), got.dims(), got.device()), (DType::F32, *dims, dev.clone()));
                    let keep =
                        ops::dropout_mask(dims, rate, seed, &Device::Cpu).unwrap().to_vec::<bool>().unwrap();
                    let scale = (1.0 / (1.0 - rate)) as f32;
                    let want: Vec<u32> =
                        keep.iter().map(|&k| if k { scale.to_bits() } else { 0f32.to_bits() }).collect();
                    assert_eq!(bits(&got), want, "{} seed {seed:#x} rate {rate} {dims:?}", dev.name());
                }
            }
        }
    }
}

#[test]
fn seed_advance_is_a_64_bit_step_on_every_backend() {
    for dev in devices() {
        for &seed in &SEEDS {
            let mut s = seed_tensor(seed, &dev);
            let mut want = seed;
            for _ in 0..3 {
                s = ops::seed_advance(&s).unwrap();
                want = want.wrapping_add(ops::SEED_STEP);
                assert_eq!(s.device(), dev);
                let w = s.to_device(&Device::Cpu).unwrap().to_vec::<u32>().unwrap();
                assert_eq!(w, vec![want as u32, (want >> 32) as u32], "{} from {seed:#x}", dev.name());
            }
        }
    }
}

#[test]
fn bad_seeds_and_rates_are_clear_errors() {
    let d = Device::Cpu;
    let e =
        ops::uniform_seeded(&[3], &Tensor::from_vec(vec![1i32, 2], &[2], &d).unwrap(), 0.0, 1.0, DType::F32)
            .unwrap_err()
            .to_string();
    assert!(e.contains("uniform_seeded") && e.contains("int32") && e.contains("uint32"), "{e}");
    let e = ops::dropout_mask_seeded(&[3], 0.5, &Tensor::from_vec(vec![1u32, 2, 3], &[3], &d).unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("dropout_mask_seeded") && e.contains("[2]") && e.contains("[3]"), "{e}");
    let e = ops::dropout_mask_seeded(&[3], 1.0, &seed_tensor(1, &d)).unwrap_err().to_string();
    assert!(e.contains("dropout_mask_seeded") && e.contains("rate"), "{e}");
    let e = ops::uniform_seeded(&[3], &seed_tensor(1, &d), 0.0, 1.0, DType::I32).unwrap_err().to_string();
    assert!(e.contains("uniform_seeded") && e.contains("float"), "{e}");
    let e =
        ops::uniform_seeded(&[3], &seed_tensor(1, &d), 0.0, f64::NAN, DType::F32).unwrap_err().to_string();
    assert!(e.contains("uniform_seeded") && e.contains("maxval"), "{e}");
    let e =
        ops::seed_advance(&Tensor::from_vec(vec![1u32, 2], &[1, 2], &d).unwrap()).unwrap_err().to_string();
    assert!(e.contains("seed_advance") && e.contains("[1, 2]"), "{e}");
}

#[test]
fn a_captured_plan_draws_a_new_mask_each_run() {
    let Some(Device::Gpu(_)) = gpu() else { return };
    let dev = Device::gpu_with(&wgkeras::runtime::GpuOptions { allow_software: true, ..Default::default() })
        .unwrap();
    let Device::Gpu(gpu) = &dev else { unreachable!() };
    let (dims, rate, seed0) = ([33usize, 7], 0.4, 0x1234_5678_9ABC_DEF0u64);
    let seed = seed_tensor(seed0, &dev);
    gpu.synchronize().unwrap();

    gpu.begin_capture().unwrap();
    let mask = ops::dropout_mask_seeded(&dims, rate, &seed).unwrap();
    let next = ops::seed_advance(&seed).unwrap();
    let (src, dst) = (next.gpu().unwrap(), seed.gpu().unwrap());
    gpu.copy(src.buffer.buffer(), 0, dst.buffer.buffer(), 0, 8).unwrap();
    let plan = gpu.end_capture().unwrap();
    assert_eq!(plan.dispatches(), 2);

    let pipelines = gpu.pipelines_created();
    let mut masks = Vec::new();
    let mut s = seed0;
    for run in 0..3 {
        plan.run().unwrap();
        let got = bits(&mask);
        let want = ops::dropout_mask_seeded(&dims, rate, &seed_tensor(s, &Device::Cpu)).unwrap();
        assert_eq!(got, bits(&want), "run {run}: the mask of seed {s:#x}");
        s = s.wrapping_add(ops::SEED_STEP);
        let now = seed.to_vec::<u32>().unwrap();
        assert_eq!(now, vec![s as u32, (s >> 32) as u32], "run {run}: the seed advanced on the device");
        masks.push(got);
    }
    assert_ne!(masks[0], masks[1]);
    assert_ne!(masks[1], masks[2]);
    assert_eq!(gpu.pipelines_created(), pipelines, "replays compile nothing");
}
