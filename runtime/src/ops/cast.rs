//! `keras.ops.cast` between every supported dtype.

use crate::device::Kernel;
use crate::dtype::DType;
use crate::error::Result;
use crate::ops::unary::gpu_map;
use crate::tensor::{Storage, Tensor};

/// Converts `x` to `dtype` (NumPy `astype` rules: floats truncate toward zero into integers,
/// anything nonzero is `true`).
pub fn cast(x: &Tensor, dtype: DType) -> Result<Tensor> {
    if x.dtype() == dtype {
        return Ok(x.clone());
    }
    let storage = match x.storage() {
        Storage::Cpu(s) => Storage::Cpu(s.cast(dtype)),
        Storage::Gpu(g) => {
            g.device.check_dtype("cast", dtype)?;
            let types = [("T", g.dtype), ("O", dtype)];
            let to_bool = if dtype == DType::Bool { 1.0 } else { 0.0 };
            let constants = [("TO_BOOL", to_bool)];
            Storage::Gpu(gpu_map(&Kernel::new("cast", &types).constants(&constants), g, dtype, &[], "cast")?)
        }
    };
    Tensor::from_storage(storage, x.dims())
}
