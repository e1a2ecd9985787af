//! Square f32 matmul, n = 256, 512, 1024, 2048, on the CPU backend and (when any adapter exists,
//! software ones included) on the GPU. Throughput is reported in elements of the output per
//! second; GFLOP/s = 2 n^3 / time. GPU iterations end with a device synchronize, so they time
//! the real work. `cargo bench --bench matmul`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use wgkeras::ops;
use wgkeras::runtime::{CpuStorage, DType, Device, Tensor};

const SIZES: [usize; 4] = [256, 512, 1024, 2048];

fn operands(n: usize, device: &Device) -> (Tensor, Tensor) {
    let make = |salt: usize| {
        let v = (0..n * n).map(|i| (((i * 7919 + salt) % 1000) as f64) / 1000.0 - 0.5);
        Tensor::from_cpu(CpuStorage::from_f64(DType::F32, v), &[n, n], device).unwrap()
    };
    (make(1), make(2))
}

fn bench_device(c: &mut Criterion, name: &str, device: &Device) {
    let mut group = c.benchmark_group(format!("matmul_f32_{name}"));
    group.sample_size(10);
    for n in SIZES {
        let (a, b) = operands(n, device);
        group.throughput(Throughput::Elements((2 * n * n * n) as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |bench, _| {
            bench.iter(|| {
                let c = ops::matmul(&a, &b).unwrap();
                device.synchronize().unwrap();
                c
            })
        });
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_device(c, "cpu", &Device::Cpu);
    match Device::gpu() {
        Ok(gpu) => bench_device(c, "gpu", &gpu),
        Err(e) => eprintln!("no GPU adapter ({e}): GPU group skipped"),
    }
}

criterion_group!(matmul, benches);
criterion_main!(matmul);
