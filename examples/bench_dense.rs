//! Dense-layer products, fused vs the eager chain: `matmul_fused` (transposes read in place,
//! bias and activation in the write) against explicit `transpose` + `matmul` + `add` + `relu`.
//!
//! `cargo run --release --example bench_dense -- [--device cpu|gpu] [--reps R]`
//! Cases (batch 128, 784 -> 256, a first Dense layer on MNIST):
//!   forward  relu(x @ W + b)   [128x784] @ [784x256] + [256]
//!   dW       x^T @ g           stored x [128x784], g [128x256] -> [784x256]
//!   dx       g @ W^T           stored g [128x256], W [784x256] -> [128x784]
//! Prints the median milliseconds of each (GPU times include a synchronize).

use std::time::Instant;

use wgkeras::ops::{self, Epilogue};
use wgkeras::runtime::{CpuStorage, DType, Device, Tensor};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let get = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let device = match get("--device").as_deref() {
        Some("gpu") => Device::gpu().unwrap_or_else(|e| {
            eprintln!("no GPU: {e}");
            std::process::exit(2)
        }),
        _ => Device::Cpu,
    };
    let reps: usize = get("--reps").and_then(|v| v.parse().ok()).unwrap_or(20);
    let mut seed = 1u64;
    let mut tensor = |dims: &[usize]| {
        let n: usize = dims.iter().product();
        let data: Vec<f64> = (0..n)
            .map(|_| {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((seed >> 33) as f64 / (1u64 << 31) as f64) - 0.5
            })
            .collect();
        Tensor::from_cpu(CpuStorage::from_f64(DType::F32, data), dims, &device).unwrap()
    };
    let (batch, din, dout) = (128, 784, 256);
    let x = tensor(&[batch, din]);
    let w = tensor(&[din, dout]);
    let b = tensor(&[dout]);
    let g = tensor(&[batch, dout]);
    let time = |f: &dyn Fn() -> Tensor| {
        f();
        device.synchronize().unwrap();
        let mut t: Vec<f64> = (0..reps)
            .map(|_| {
                let s = Instant::now();
                let _r = f();
                device.synchronize().unwrap();
                s.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        t.sort_by(|a, b| a.partial_cmp(b).unwrap());
        t[t.len() / 2]
    };
    let tr = |t: &Tensor| ops::transpose(t, None).unwrap();
    type Run<'a> = Box<dyn Fn() -> Tensor + 'a>;
    let cases: Vec<(&str, Run, Run)> = vec![
        (
            "forward relu(x@W+b) 128x784x256",
            Box::new(|| ops::matmul_fused(&x, &w, false, false, Some(&b), Epilogue::Relu).unwrap()),
            Box::new(|| ops::relu(&ops::add(&ops::matmul(&x, &w).unwrap(), &b).unwrap()).unwrap()),
        ),
        (
            "dW x^T@g 784x128x256",
            Box::new(|| ops::matmul_fused(&x, &g, true, false, None, Epilogue::Linear).unwrap()),
            Box::new(|| ops::matmul(&tr(&x), &g).unwrap()),
        ),
        (
            "dx g@W^T 128x256x784",
            Box::new(|| ops::matmul_fused(&g, &w, false, true, None, Epilogue::Linear).unwrap()),
            Box::new(|| ops::matmul(&g, &tr(&w)).unwrap()),
        ),
    ];
    println!("device={}", device.name());
    for (name, fused, eager) in &cases {
        let (tf, te) = (time(fused.as_ref()), time(eager.as_ref()));
        println!("{name:34} fused {tf:8.3} ms   eager chain {te:8.3} ms   speedup {:.2}x", te / tf);
    }
}
