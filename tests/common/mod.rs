//! Helpers shared by the integration tests: the devices to test on, seeded random tensors,
//! and closeness checks.
#![allow(dead_code)]

use std::sync::OnceLock;

use wgkeras::frontend::graph::autodiff::gradients;
use wgkeras::frontend::graph::{Graph, Sym};
use wgkeras::runtime::{CpuStorage, DType, Device, Tensor};

/// The GPU to test on (software adapters included, so lavapipe runs in CI), or None. Printed
/// once so a test log says which adapter ran.
pub fn gpu() -> Option<Device> {
    static GPU: OnceLock<Option<Device>> = OnceLock::new();
    GPU.get_or_init(|| match Device::gpu() {
        Ok(d) => {
            eprintln!("[wgkeras tests] GPU adapter: {}", d.name());
            Some(d)
        }
        Err(e) => {
            eprintln!("[wgkeras tests] no GPU adapter ({e}); GPU halves of tests are skipped");
            None
        }
    })
    .clone()
}

/// Every backend available here: the CPU, then the GPU if any.
pub fn devices() -> Vec<Device> {
    let mut v = vec![Device::Cpu];
    v.extend(gpu());
    v
}

/// A small deterministic generator for test data (SplitMix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn vec(&mut self, n: usize, lo: f64, hi: f64) -> Vec<f64> {
        (0..n).map(|_| self.uniform(lo, hi)).collect()
    }
}

/// A tensor of `dims` with values uniform in [lo, hi) converted to `dtype`, on `device`.
pub fn rand_tensor(rng: &mut Rng, dims: &[usize], lo: f64, hi: f64, dtype: DType, device: &Device) -> Tensor {
    let n = dims.iter().product();
    let data = wgkeras::runtime::CpuStorage::from_f64(dtype, rng.vec(n, lo, hi));
    Tensor::from_cpu(data, dims, device).unwrap()
}

/// Asserts two tensors have the same shape and dtype and elements within `atol + rtol * |b|`
/// (NaN equals NaN, infinities must match).
pub fn assert_close(what: &str, a: &Tensor, b: &Tensor, rtol: f64, atol: f64) {
    assert_eq!(a.dims(), b.dims(), "{what}: shapes differ");
    assert_eq!(a.dtype(), b.dtype(), "{what}: dtypes differ");
    let (x, y) = (a.to_vec_f64().unwrap(), b.to_vec_f64().unwrap());
    for (i, (u, v)) in x.iter().zip(&y).enumerate() {
        let ok = (u.is_nan() && v.is_nan()) || u == v || (u - v).abs() <= atol + rtol * v.abs();
        assert!(ok, "{what}: element {i} differs: {u} vs {v} (shape {:?})", a.dims());
    }
}

/// Runs `f` on the CPU and on the GPU (when there is one) with the same inputs and checks that
/// the results agree.
pub fn check_backends(
    what: &str,
    inputs: &[Tensor],
    rtol: f64,
    atol: f64,
    f: impl Fn(&[Tensor]) -> wgkeras::runtime::Result<Tensor>,
) {
    let cpu_in: Vec<Tensor> = inputs.iter().map(|t| t.to_device(&Device::Cpu).unwrap()).collect();
    let expected = f(&cpu_in).unwrap_or_else(|e| panic!("{what} on cpu: {e}"));
    if let Some(gpu) = gpu() {
        let gpu_in: Vec<Tensor> = inputs.iter().map(|t| t.to_device(&gpu).unwrap()).collect();
        let got = f(&gpu_in).unwrap_or_else(|e| panic!("{what} on gpu: {e}"));
        assert!(got.device().is_gpu(), "{what}: result left the GPU");
        assert_close(
            &format!("{what} (gpu vs cpu)"),
            &got.to_device(&Device::Cpu).unwrap(),
            &expected,
            rtol,
            atol,
        );
    }
}

/// A float64 host tensor.
pub fn host(data: Vec<f64>, dims: &[usize]) -> Tensor {
    Tensor::from_cpu(CpuStorage::from_f64(DType::F64, data), dims, &Device::Cpu).unwrap()
}

/// Checks d(sum(f(xs) * weights))/dx against central differences, in float64 on the CPU.
/// `f` builds the output from placeholders; `xs` are the points (each (data, dims)).
pub fn check_grad(name: &str, xs: &[(Vec<f64>, Vec<usize>)], f: impl for<'g> Fn(&[Sym<'g>]) -> Sym<'g>) {
    let g = Graph::new();
    let syms: Vec<Sym> = xs
        .iter()
        .map(|(_, d)| g.input(&d.iter().map(|&d| Some(d)).collect::<Vec<_>>(), DType::F64))
        .collect();
    let y = f(&syms);
    // A fixed random weighting of the outputs makes every element of y count.
    let y_dims: Vec<usize> = y.shape().iter().map(|d| d.unwrap()).collect();
    let n_y: usize = y_dims.iter().product();
    let mut rng = Rng::new(99);
    let wts = rng.vec(n_y, -1.0, 1.0);
    let w = g.constant(host(wts.clone(), &y_dims));
    let obj = y.mul(w).unwrap().sum_all().unwrap();
    let grads = gradients(obj, &syms, None).unwrap();
    let feeds: Vec<Tensor> = xs.iter().map(|(d, dims)| host(d.clone(), dims)).collect();
    let outs: Vec<Sym> = grads.iter().map(|g| g.unwrap_or_else(|| panic!("{name}: no gradient"))).collect();
    let got = g.evaluate(&outs, &feeds).unwrap();
    let eval_obj =
        |feeds: &[Tensor]| -> f64 { g.evaluate(&[obj], feeds).unwrap()[0].to_vec_f64().unwrap()[0] };
    let h = 1e-6;
    for (k, (data, dims)) in xs.iter().enumerate() {
        let analytic = got[k].to_vec_f64().unwrap();
        assert_eq!(analytic.len(), data.len(), "{name}: gradient {k} has the wrong size");
        for i in 0..data.len() {
            let mut plus = feeds.clone();
            let mut minus = feeds.clone();
            let mut dp = data.clone();
            dp[i] += h;
            plus[k] = host(dp, dims);
            let mut dm = data.clone();
            dm[i] -= h;
            minus[k] = host(dm, dims);
            let numeric = (eval_obj(&plus) - eval_obj(&minus)) / (2.0 * h);
            let err = (numeric - analytic[i]).abs();
            assert!(
                err <= 1e-5 + 1e-4 * numeric.abs(),
                "{name}: d/dx{k}[{i}] autodiff {} vs finite difference {numeric}",
                analytic[i]
            );
        }
    }
}

/// `n` samples of 4 features and labels in {0, 1, 2} that depend on the features.
pub fn three_class_data(n: usize, seed: u64) -> (Tensor, Tensor) {
    let mut rng = Rng::new(seed);
    let x: Vec<f32> = rng.vec(n * 4, -1.0, 1.0).into_iter().map(|v| v as f32).collect();
    let y: Vec<i32> = (0..n)
        .map(|i| {
            let s = x[i * 4] + x[i * 4 + 1] - x[i * 4 + 2];
            if s < -0.3 {
                0
            } else if s < 0.3 {
                1
            } else {
                2
            }
        })
        .collect();
    (Tensor::from_vec(x, &[n, 4], &Device::Cpu).unwrap(), Tensor::from_vec(y, &[n], &Device::Cpu).unwrap())
}
