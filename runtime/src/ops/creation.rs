//! Creation ops: zeros, ones, full, arange, linspace, eye and the `*_like` forms.

use crate::device::{Device, Kernel};
use crate::dtype::DType;
use crate::element::CpuStorage;
use crate::error::{Error, Result};
use crate::shape::numel;
use crate::tensor::{GpuStorage, Storage, Tensor};

/// Records a strided fill `out[offset + i * stride] = value` for `n` elements.
pub(crate) fn gpu_fill(
    op: &'static str,
    out: &GpuStorage,
    n: usize,
    offset: usize,
    stride: usize,
    value: f64,
) -> Result<()> {
    let dtype = if out.dtype == DType::Bool { DType::U32 } else { out.dtype };
    let is_int = !dtype.is_float();
    let bits = if is_int { (value as i64 as i32) as u32 } else { (value as f32).to_bits() };
    let types = [("T", dtype)];
    let constants = [("IS_INT", if is_int { 1.0 } else { 0.0 })];
    let kernel = Kernel::new("fill", &types).entry("fill").constants(&constants).op(op);
    let params = [n as u32, offset as u32, stride as u32, bits];
    out.device.launch(&kernel, &params, &[out.binding()], n)
}

/// A tensor of `dims` filled with `value` converted to `dtype`.
pub fn full(dims: &[usize], value: f64, dtype: DType, device: &Device) -> Result<Tensor> {
    let n = numel(dims);
    let storage = match device {
        Device::Cpu => Storage::Cpu(CpuStorage::filled(dtype, n, value)),
        Device::Gpu(g) => {
            let out = GpuStorage::alloc(g, "full", dtype, n)?;
            let value = if dtype == DType::Bool { (value != 0.0) as u8 as f64 } else { value };
            if value == 0.0 {
                g.clear(out.buffer.buffer(), out.bytes())?;
            } else {
                gpu_fill("full", &out, n, 0, 1, value)?;
            }
            Storage::Gpu(out)
        }
    };
    Tensor::from_storage(storage, dims)
}

pub fn zeros(dims: &[usize], dtype: DType, device: &Device) -> Result<Tensor> {
    full(dims, 0.0, dtype, device)
}

pub fn ones(dims: &[usize], dtype: DType, device: &Device) -> Result<Tensor> {
    full(dims, 1.0, dtype, device)
}

pub fn zeros_like(x: &Tensor) -> Result<Tensor> {
    zeros(x.dims(), x.dtype(), &x.device())
}

pub fn ones_like(x: &Tensor) -> Result<Tensor> {
    ones(x.dims(), x.dtype(), &x.device())
}

pub fn full_like(x: &Tensor, value: f64) -> Result<Tensor> {
    full(x.dims(), value, x.dtype(), &x.device())
}

fn check_finite(op: &'static str, what: &str, v: f64) -> Result<()> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(Error::arg(op, format!("{what} must be finite, got {v}")))
    }
}

/// `arange(start, stop, step)` as NumPy: `ceil((stop - start) / step)` values.
pub fn arange(start: f64, stop: f64, step: f64, dtype: DType, device: &Device) -> Result<Tensor> {
    for (what, v) in [("start", start), ("stop", stop), ("step", step)] {
        check_finite("arange", what, v)?;
    }
    if step == 0.0 {
        return Err(Error::arg("arange", "step must not be zero"));
    }
    let n = ((stop - start) / step).ceil().max(0.0) as usize;
    match device {
        Device::Cpu => Tensor::from_cpu(
            CpuStorage::from_f64(dtype, (0..n).map(|i| start + i as f64 * step)),
            &[n],
            device,
        ),
        Device::Gpu(g) => {
            let out = GpuStorage::alloc(g, "arange", dtype, n)?;
            let is_int = !dtype.is_float();
            let enc = |v: f64| {
                if is_int {
                    (v as i32) as u32
                } else {
                    (v as f32).to_bits()
                }
            };
            let types = [("T", if dtype == DType::Bool { DType::U32 } else { dtype })];
            let constants = [("IS_INT", if is_int { 1.0 } else { 0.0 })];
            let kernel = Kernel::new("fill", &types).entry("arange").constants(&constants).op("arange");
            g.launch(&kernel, &[n as u32, enc(start), enc(step)], &[out.binding()], n)?;
            Tensor::from_storage(Storage::Gpu(out), &[n])
        }
    }
}

/// `linspace(start, stop, num, endpoint)`: `num` evenly spaced values.
pub fn linspace(
    start: f64,
    stop: f64,
    num: usize,
    endpoint: bool,
    dtype: DType,
    device: &Device,
) -> Result<Tensor> {
    check_finite("linspace", "start", start)?;
    check_finite("linspace", "stop", stop)?;
    let div = if endpoint { num.saturating_sub(1) } else { num };
    let step = if div > 0 { (stop - start) / div as f64 } else { 0.0 };
    let values =
        (0..num).map(|i| if endpoint && i + 1 == num && num > 1 { stop } else { start + i as f64 * step });
    Tensor::from_cpu(CpuStorage::from_f64(dtype, values), &[num], device)
}

/// `eye(n, m, k)`: ones on the k-th diagonal.
pub fn eye(n: usize, m: Option<usize>, k: i64, dtype: DType, device: &Device) -> Result<Tensor> {
    let m = m.unwrap_or(n);
    let (row0, col0) = if k >= 0 { (0usize, k as usize) } else { ((-k) as usize, 0usize) };
    let count = if row0 >= n || col0 >= m { 0 } else { (n - row0).min(m - col0) };
    let t = zeros(&[n, m], dtype, device)?;
    if count == 0 {
        return Ok(t);
    }
    match t.storage() {
        Storage::Cpu(_) => {
            let mut v = vec![0.0; n * m];
            for i in 0..count {
                v[(row0 + i) * m + col0 + i] = 1.0;
            }
            Tensor::from_cpu(CpuStorage::from_f64(dtype, v), &[n, m], device)
        }
        Storage::Gpu(g) => {
            gpu_fill("eye", g, count, row0 * m + col0, m + 1, 1.0)?;
            Ok(t)
        }
    }
}
