//! Square f32 matmul throughput on one device.
//!
//! `cargo run --release --example bench_matmul -- [--device cpu|gpu] [--n N] [--reps R]`
//! (default: the GPU when there is one, else the CPU; n = 1024). Prints `n=.. device=.. ms=..`
//! and, last, `gflops=<value>` (2 n^3 flops per product over the median time). GPU timings
//! include a device synchronize (wait for the queue to drain), so the work has really finished.

use std::time::Instant;

use wgkeras::ops;
use wgkeras::runtime::{CpuStorage, DType, Device, Tensor};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let get = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let n: usize = get("--n").and_then(|v| v.parse().ok()).unwrap_or(1024);
    let device = match get("--device").as_deref() {
        Some("cpu") => Device::Cpu,
        Some("gpu") => Device::gpu().unwrap_or_else(|e| {
            eprintln!("no GPU: {e}");
            std::process::exit(2)
        }),
        Some(other) => {
            eprintln!("--device must be cpu or gpu, not {other}");
            std::process::exit(2)
        }
        None => Device::gpu().unwrap_or(Device::Cpu),
    };
    let flops = 2.0 * (n as f64).powi(3);
    // About a second of work, at least 3 repetitions.
    let reps: usize = get("--reps").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut seed = 1u64;
    let mut data = |len: usize| -> Vec<f64> {
        (0..len)
            .map(|_| {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((seed >> 33) as f64 / (1u64 << 31) as f64) - 0.5
            })
            .collect()
    };
    let a = Tensor::from_cpu(CpuStorage::from_f64(DType::F32, data(n * n)), &[n, n], &device).unwrap();
    let b = Tensor::from_cpu(CpuStorage::from_f64(DType::F32, data(n * n)), &[n, n], &device).unwrap();
    // Each repetition waits for the device (a no-op on the CPU), so a GPU time is the real one.
    let run = || {
        let c = ops::matmul(&a, &b).unwrap();
        device.synchronize().unwrap();
        c
    };
    // Warmup (pipeline compile, pool, gemm packing buffers).
    let t0 = Instant::now();
    run();
    let first = t0.elapsed().as_secs_f64();
    let reps = if reps > 0 { reps } else { ((1.0 / first.max(1e-4)) as usize).clamp(3, 50) };
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t = Instant::now();
        let _c = run();
        times.push(t.elapsed().as_secs_f64());
    }
    // One readback checks the result is there and sane.
    let check = run().to_vec_f32().unwrap();
    assert!(check[check.len() - 1].is_finite());
    times.sort_by(|x, y| x.partial_cmp(y).unwrap());
    let median = times[times.len() / 2];
    println!(
        "n={n} device={} reps={reps} ms={:.3} best_ms={:.3}",
        device.name(),
        median * 1e3,
        times[0] * 1e3
    );
    println!("gflops={:.2}", flops / median / 1e9);
}
