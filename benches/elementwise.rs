//! Elementwise throughput: add and exp over 1M..16M float32 elements, CPU and GPU.
//! GPU figures include a readback-free synchronize, so they measure the kernels.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use wgkeras::ops;
use wgkeras::runtime::{DType, Device, Tensor};

fn devices() -> Vec<Device> {
    let mut v = vec![Device::Cpu];
    if let Ok(g) = Device::gpu() {
        v.push(g);
    }
    v
}

fn bench(c: &mut Criterion) {
    for device in devices() {
        let label = if device.is_gpu() { "gpu" } else { "cpu" };
        let mut group = c.benchmark_group(format!("elementwise/{label}"));
        group.sample_size(10);
        for n in [1usize << 20, 1 << 22, 1 << 24] {
            let a = ops::arange(0.0, n as f64, 1.0, DType::F32, &device).unwrap();
            let a = ops::multiply(&a, &Tensor::scalar(1e-7f32, &device).unwrap()).unwrap();
            let b = ops::ones(&[n], DType::F32, &device).unwrap();
            device.synchronize().unwrap();
            group.throughput(Throughput::Elements(n as u64));
            group.bench_with_input(BenchmarkId::new("add", n), &n, |bch, _| {
                bch.iter(|| {
                    let y = ops::add(&a, &b).unwrap();
                    device.synchronize().unwrap();
                    y
                })
            });
            group.bench_with_input(BenchmarkId::new("exp", n), &n, |bch, _| {
                bch.iter(|| {
                    let y = ops::exp(&a).unwrap();
                    device.synchronize().unwrap();
                    y
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
