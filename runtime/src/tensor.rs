//! `Tensor`: a shape, a dtype and storage on one device. Tensors are immutable and always
//! contiguous row-major; cloning shares the storage, and reshaping a tensor shares it too.

use std::sync::Arc;

use crate::device::{Binding, Device, GpuDevice, PooledBuffer};
use crate::dtype::DType;
use crate::element::{CpuStorage, Element};
use crate::error::{Error, Result};
use crate::shape::numel;

/// Tensor data on the GPU: a pooled buffer holding `len` elements of `dtype`.
pub struct GpuStorage {
    pub buffer: PooledBuffer,
    pub device: GpuDevice,
    pub dtype: DType,
    pub len: usize,
}

impl GpuStorage {
    /// An uninitialized buffer for `len` elements of `dtype` on `device`.
    pub fn alloc(device: &GpuDevice, op: &'static str, dtype: DType, len: usize) -> Result<GpuStorage> {
        device.check_dtype(op, dtype)?;
        let buffer = device.alloc(op, (len * dtype.gpu_size()) as u64)?;
        Ok(GpuStorage { buffer, device: device.clone(), dtype, len })
    }

    /// Uploads host data.
    pub fn upload(device: &GpuDevice, op: &'static str, data: &CpuStorage) -> Result<GpuStorage> {
        device.check_dtype(op, data.dtype())?;
        let buffer = device.upload(op, &data.to_gpu_bytes())?;
        Ok(GpuStorage { buffer, device: device.clone(), dtype: data.dtype(), len: data.len() })
    }

    pub fn bytes(&self) -> u64 {
        (self.len * self.dtype.gpu_size()) as u64
    }

    /// The whole tensor as a kernel binding.
    pub fn binding(&self) -> Binding<'_> {
        Binding { buffer: self.buffer.buffer(), offset: 0, size: self.bytes().max(4) }
    }

    /// Elements `start..start + len` as a kernel binding.
    pub fn binding_range(&self, start: usize, len: usize) -> Binding<'_> {
        let size = self.dtype.gpu_size() as u64;
        Binding {
            buffer: self.buffer.buffer(),
            offset: start as u64 * size,
            size: (len as u64 * size).max(4),
        }
    }

    /// Overwrites the elements in place with `data` (same dtype and length): how new inputs
    /// reach a captured plan.
    pub fn write(&self, data: &CpuStorage) -> Result<()> {
        if data.dtype() != self.dtype || data.len() != self.len {
            return Err(Error::arg(
                "write",
                format!(
                    "{} {} values cannot overwrite {} {} values",
                    data.len(),
                    data.dtype(),
                    self.len,
                    self.dtype
                ),
            ));
        }
        self.device.write(self.buffer.buffer(), &data.to_gpu_bytes())
    }

    /// Reads the data back to the host.
    pub fn read(&self) -> Result<CpuStorage> {
        let bytes = self.device.read(self.buffer.buffer(), self.bytes())?;
        Ok(CpuStorage::from_gpu_bytes(self.dtype, &bytes, self.len))
    }
}

/// Where a tensor's elements are. Every op dispatches on this enum.
pub enum Storage {
    Cpu(CpuStorage),
    Gpu(GpuStorage),
}

impl Drop for Storage {
    /// Large f32 host buffers go back to the pool that CPU ops allocate their outputs from.
    fn drop(&mut self) {
        if let Storage::Cpu(CpuStorage::F32(v)) = self {
            if v.capacity() >= crate::element::f32_pool::MIN {
                crate::element::f32_pool::give(std::mem::take(v));
            }
        }
    }
}

impl Storage {
    pub fn dtype(&self) -> DType {
        match self {
            Storage::Cpu(s) => s.dtype(),
            Storage::Gpu(s) => s.dtype,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Storage::Cpu(s) => s.len(),
            Storage::Gpu(s) => s.len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn device(&self) -> Device {
        match self {
            Storage::Cpu(_) => Device::Cpu,
            Storage::Gpu(s) => Device::Gpu(s.device.clone()),
        }
    }

    /// Puts host data on `device`.
    pub fn from_cpu(data: CpuStorage, device: &Device, op: &'static str) -> Result<Storage> {
        match device {
            Device::Cpu => Ok(Storage::Cpu(data)),
            Device::Gpu(g) => Ok(Storage::Gpu(GpuStorage::upload(g, op, &data)?)),
        }
    }
}

#[derive(Clone)]
pub struct Tensor {
    storage: Arc<Storage>,
    dims: Vec<usize>,
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tensor(shape={:?}, dtype={}, device={})", self.dims, self.dtype(), self.device())
    }
}

impl Tensor {
    /// Wraps storage holding exactly `numel(dims)` elements.
    pub fn from_storage(storage: Storage, dims: &[usize]) -> Result<Tensor> {
        if storage.len() != numel(dims) {
            return Err(Error::arg(
                "Tensor::from_storage",
                format!("{} elements cannot have shape {dims:?}", storage.len()),
            ));
        }
        Ok(Tensor { storage: Arc::new(storage), dims: dims.to_vec() })
    }

    /// A tensor of host data with `dims`, placed on `device`.
    pub fn from_vec<T: Element>(data: Vec<T>, dims: &[usize], device: &Device) -> Result<Tensor> {
        if data.len() != numel(dims) {
            return Err(Error::arg(
                "Tensor::from_vec",
                format!("{} values cannot have shape {dims:?} ({} elements)", data.len(), numel(dims)),
            ));
        }
        Self::from_cpu(T::wrap(data), dims, device)
    }

    /// A tensor from host storage, placed on `device`.
    pub fn from_cpu(data: CpuStorage, dims: &[usize], device: &Device) -> Result<Tensor> {
        if data.len() != numel(dims) {
            return Err(Error::arg(
                "Tensor::from_cpu",
                format!("{} values cannot have shape {dims:?}", data.len()),
            ));
        }
        Self::from_storage(Storage::from_cpu(data, device, "Tensor::from_cpu")?, dims)
    }

    /// A 0-d tensor.
    pub fn scalar<T: Element>(value: T, device: &Device) -> Result<Tensor> {
        Self::from_vec(vec![value], &[], device)
    }

    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// Same as [`Tensor::dims`]: the shape, as Keras calls it.
    pub fn shape(&self) -> &[usize] {
        &self.dims
    }

    pub fn rank(&self) -> usize {
        self.dims.len()
    }

    pub fn numel(&self) -> usize {
        numel(&self.dims)
    }

    pub fn dtype(&self) -> DType {
        self.storage.dtype()
    }

    pub fn device(&self) -> Device {
        self.storage.device()
    }

    /// The same data with new dims of the same element count (no copy).
    pub fn with_dims(&self, dims: &[usize]) -> Result<Tensor> {
        if numel(dims) != self.numel() {
            return Err(Error::shapes("reshape", &self.dims, dims, "element counts differ"));
        }
        Ok(Tensor { storage: self.storage.clone(), dims: dims.to_vec() })
    }

    /// The data in host memory (a readback on the GPU).
    pub fn to_cpu_storage(&self) -> Result<CpuStorage> {
        match &*self.storage {
            Storage::Cpu(s) => Ok(s.clone()),
            Storage::Gpu(s) => s.read(),
        }
    }

    /// The elements as `T`, which must be the tensor's dtype.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        if T::DTYPE != self.dtype() {
            return Err(Error::dtype("to_vec", self.dtype(), format!("{} (cast first)", T::DTYPE)));
        }
        let s = self.to_cpu_storage()?;
        Ok(T::unwrap(&s).expect("dtype checked").to_vec())
    }

    /// The elements converted to f64, whatever the dtype.
    pub fn to_vec_f64(&self) -> Result<Vec<f64>> {
        Ok(self.to_cpu_storage()?.to_f64_vec())
    }

    /// The elements converted to f32, whatever the dtype.
    pub fn to_vec_f32(&self) -> Result<Vec<f32>> {
        Ok(self.to_vec_f64()?.into_iter().map(|v| v as f32).collect())
    }

    /// The value of a one-element tensor as f64.
    pub fn item(&self) -> Result<f64> {
        if self.numel() != 1 {
            return Err(Error::arg(
                "item",
                format!("a tensor of shape {:?} has {} elements, not 1", self.dims, self.numel()),
            ));
        }
        Ok(self.to_cpu_storage()?.get_f64(0))
    }

    /// A copy on `device` (the same tensor if it is already there).
    pub fn to_device(&self, device: &Device) -> Result<Tensor> {
        if &self.device() == device {
            return Ok(self.clone());
        }
        Self::from_cpu(self.to_cpu_storage()?, &self.dims, device)
    }

    /// The GPU storage and device, if the tensor is on a GPU.
    pub fn gpu(&self) -> Option<&GpuStorage> {
        match &*self.storage {
            Storage::Gpu(g) => Some(g),
            Storage::Cpu(_) => None,
        }
    }

    pub fn cpu(&self) -> Option<&CpuStorage> {
        match &*self.storage {
            Storage::Cpu(c) => Some(c),
            Storage::Gpu(_) => None,
        }
    }
}

/// Checks that all tensors share one device and returns it.
pub fn same_device(op: &'static str, tensors: &[&Tensor]) -> Result<Device> {
    let first = tensors[0].device();
    for t in &tensors[1..] {
        let d = t.device();
        if d != first {
            return Err(Error::DeviceMismatch { op, lhs: first.name(), rhs: d.name() });
        }
    }
    Ok(first)
}
