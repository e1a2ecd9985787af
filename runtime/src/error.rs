//! The one error type of the runtime. Messages name the op, the shapes or dtypes involved and
//! what was expected, so a user can fix the call from the message alone.

use crate::dtype::DType;

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum Error {
    #[error("{op}: incompatible shapes {lhs:?} and {rhs:?}: {msg}")]
    ShapeMismatch { op: &'static str, lhs: Vec<usize>, rhs: Vec<usize>, msg: String },

    #[error("{op}: cannot broadcast shapes {lhs:?} and {rhs:?}")]
    Broadcast { op: &'static str, lhs: Vec<usize>, rhs: Vec<usize> },

    #[error("{op}: axis {axis} is out of range for a tensor of rank {rank}")]
    AxisOutOfRange { op: &'static str, axis: i64, rank: usize },

    #[error("{op}: dtype {got} is not supported here; expected {expected}")]
    DType { op: &'static str, got: DType, expected: String },

    #[error("{op}: dtype {dtype} is not supported on {device}: {why}")]
    DeviceDType { op: &'static str, dtype: DType, device: String, why: String },

    #[error("{op}: invalid argument: {msg}")]
    Argument { op: &'static str, msg: String },

    #[error("{op}: tensors are on different devices ({lhs} and {rhs}); move one with to_device")]
    DeviceMismatch { op: &'static str, lhs: String, rhs: String },

    #[error("{op}: {msg}")]
    Limit { op: &'static str, msg: String },

    #[error("no GPU adapter is available: {0}")]
    NoAdapter(String),

    #[error("GPU error: {0}")]
    Gpu(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn arg(op: &'static str, msg: impl Into<String>) -> Self {
        Error::Argument { op, msg: msg.into() }
    }

    pub fn dtype(op: &'static str, got: DType, expected: impl Into<String>) -> Self {
        Error::DType { op, got, expected: expected.into() }
    }

    pub fn shapes(op: &'static str, lhs: &[usize], rhs: &[usize], msg: impl Into<String>) -> Self {
        Error::ShapeMismatch { op, lhs: lhs.to_vec(), rhs: rhs.to_vec(), msg: msg.into() }
    }
}
