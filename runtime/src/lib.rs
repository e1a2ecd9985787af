//! wgkeras runtime: devices, buffers, dispatch, tensors and the eager op set (`keras.ops`),
//! each op on the GPU (WGSL through wgpu) and on the CPU (Rust, rayon, gemm).

pub mod device;
pub mod dtype;
pub mod element;
pub mod error;
pub mod ops;
pub mod shape;
pub mod tensor;
pub mod tf;

pub use device::{Device, GpuDevice, GpuOptions};
pub use dtype::DType;
pub use element::{CpuStorage, Element};
pub use error::{Error, Result};
pub use tensor::{Storage, Tensor};
