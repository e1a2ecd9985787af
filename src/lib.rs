//! wgkeras: Keras for Rust, on any GPU.
//!
//! The runtime (devices, tensors, `keras.ops`) is [`runtime`]; the Keras front end is
//! [`frontend`]. The prelude has what most programs need.

pub use wgkeras_frontend as frontend;
pub use wgkeras_runtime as runtime;
pub use wgkeras_runtime::ops;

pub mod prelude {
    pub use wgkeras_runtime::{ops, DType, Device, Error, Result, Tensor};
}
