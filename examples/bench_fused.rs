//! A fused elementwise program against the same ops run one by one: an Adam-like update
//! (12 ops, 3 outputs) over n f32 elements.
//!
//! `cargo run --release --example bench_fused -- [--device cpu|gpu|both] [--n N] [--reps R] [--fused-only]`
//! (defaults: both, n = 1048576, reps = 20). Prints the median milliseconds of each and the
//! speedup. GPU timings include a device synchronize, so the work has really finished.

use std::time::Instant;

use wgkeras::ops::{self, BinaryOp as B, FusedInstr as I, FusedProgram, UnaryOp as U};
use wgkeras::runtime::{CpuStorage, DType, Device, Result, Tensor};

/// m' = b1 m + (1 - b1) g; v' = b2 v + (1 - b2) g^2; p' = p - lr * m' / (sqrt(v') + eps)
fn program() -> FusedProgram {
    FusedProgram {
        instrs: vec![
            I::Input(0),
            I::Input(1),
            I::Input(2),
            I::Input(3),
            I::Input(4),
            I::Const(0.9, DType::F32),
            I::Const(0.1, DType::F32),
            I::Binary(B::Multiply, 2, 5),
            I::Binary(B::Multiply, 1, 6),
            I::Binary(B::Add, 7, 8),
            I::Const(0.999, DType::F32),
            I::Const(0.001, DType::F32),
            I::Binary(B::Multiply, 3, 10),
            I::Unary(U::Square, 1),
            I::Binary(B::Multiply, 13, 11),
            I::Binary(B::Add, 12, 14),
            I::Unary(U::Sqrt, 15),
            I::Const(1e-7, DType::F32),
            I::Binary(B::Add, 16, 17),
            I::Binary(B::Divide, 9, 18),
            I::Binary(B::Multiply, 19, 4),
            I::Binary(B::Subtract, 0, 20),
        ],
        outputs: vec![21, 9, 15],
    }
}

/// The same update as eager ops (constants made once, outside the timing).
fn eager(x: &[Tensor], c: &[Tensor]) -> Result<Vec<Tensor>> {
    let m = ops::add(&ops::multiply(&x[2], &c[0])?, &ops::multiply(&x[1], &c[1])?)?;
    let v = ops::add(&ops::multiply(&x[3], &c[2])?, &ops::multiply(&ops::square(&x[1])?, &c[3])?)?;
    let step = ops::multiply(&ops::divide(&m, &ops::add(&ops::sqrt(&v)?, &c[4])?)?, &x[4])?;
    Ok(vec![ops::subtract(&x[0], &step)?, m, v])
}

fn sync(dev: &Device) {
    if let Device::Gpu(g) = dev {
        g.synchronize().unwrap();
    }
}

fn median_ms(reps: usize, dev: &Device, mut f: impl FnMut()) -> f64 {
    f();
    sync(dev);
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            sync(dev);
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(|a, b| a.total_cmp(b));
    t[reps / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let get = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let n: usize = get("--n").and_then(|v| v.parse().ok()).unwrap_or(1 << 20);
    let reps: usize = get("--reps").and_then(|v| v.parse().ok()).unwrap_or(20).max(1);
    let mut devices = Vec::new();
    let which = get("--device").unwrap_or_else(|| "both".into());
    if which == "cpu" || which == "both" {
        devices.push(Device::Cpu);
    }
    if which == "gpu" || which == "both" {
        match Device::gpu() {
            Ok(d) => devices.push(d),
            Err(e) => eprintln!("no GPU: {e}"),
        }
    }
    let p = program();
    for dev in devices {
        let data = |seed: u64, len: usize| {
            let v = (0..len).map(|i| (((i as u64 * 2654435761 + seed) % 1000) as f64) / 1000.0 + 0.01);
            Tensor::from_cpu(CpuStorage::from_f64(DType::F32, v), &[len], &dev).unwrap()
        };
        let mut x: Vec<Tensor> = (0..4).map(|s| data(s, n)).collect();
        x.push(ops::full(&[], 0.001, DType::F32, &dev).unwrap());
        let c: Vec<Tensor> = [0.9, 0.1, 0.999, 0.001, 1e-7]
            .iter()
            .map(|&v| ops::full(&[], v, DType::F32, &dev).unwrap())
            .collect();
        let refs: Vec<&Tensor> = x.iter().collect();
        let fused_ms = median_ms(reps, &dev, || {
            ops::fused(&p, &refs, &[n]).unwrap();
        });
        if args.iter().any(|a| a == "--fused-only") {
            println!("device={} n={n} fused_ms={fused_ms:.3}", dev.name());
            continue;
        }
        let eager_ms = median_ms(reps, &dev, || {
            eager(&x, &c).unwrap();
        });
        println!(
            "device={} n={n} fused_ms={fused_ms:.3} eager_ms={eager_ms:.3} speedup={:.2}",
            dev.name(),
            eager_ms / fused_ms
        );
    }
}
