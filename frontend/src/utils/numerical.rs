//! `keras.utils.to_categorical` and `keras.utils.normalize` on runtime tensors.
//!
//! Both take a [`Tensor`] and return one on the same device. Keras has two paths for each: a
//! NumPy one (float64 results) and a backend-tensor one (`ops.one_hot`, `ops.normalize`, float32
//! results). A runtime tensor is a backend tensor, so the results here follow the backend path
//! and are float32 (or the input's float dtype for `normalize`); the values are the same as
//! NumPy's (see each function for the corner cases where Keras's two paths differ).

use wgkeras_runtime::ops;
use wgkeras_runtime::{DType, Error, Result, Tensor};

/// `keras.utils.to_categorical(x, num_classes=None)`: the one-hot (binary class matrix) form of
/// the integer class vector `x`, the class axis placed last, as float32.
///
/// - A trailing dim of 1 is dropped first when `x` has rank > 1 (`(n, 1)` gives `(n, C)`, not
///   `(n, 1, C)`); a 0-d `x` gives shape `(C,)`.
/// - `num_classes` of `None` (or `Some(0)`, which Keras's `if not num_classes` treats the same)
///   is inferred as `max(x) + 1`; an empty `x` then has no maximum and is an error.
/// - Every class must be an integer in `[0, num_classes)`: a negative, fractional, NaN or too
///   large value is an error naming it (NumPy would wrap a negative index around, and
///   `ops.one_hot` would give an all-zero row; neither is a class).
///
/// Bool inputs are classes 0 and 1. The values are read back to the host once to check them.
pub fn to_categorical(x: &Tensor, num_classes: Option<usize>) -> Result<Tensor> {
    const OP: &str = "to_categorical";
    let mut dims = x.dims().to_vec();
    if dims.len() > 1 && dims[dims.len() - 1] == 1 {
        dims.pop();
    }
    let values = x.to_vec_f64()?;
    for &v in &values {
        if !v.is_finite() || v.fract() != 0.0 {
            return Err(Error::arg(
                OP,
                format!("class values must be integers, found {v} in x of dtype {}", x.dtype()),
            ));
        }
        if v < 0.0 {
            return Err(Error::arg(OP, format!("class values must be non-negative, found {v}")));
        }
    }
    let max = values.iter().copied().fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
    let classes = match num_classes {
        Some(c) if c > 0 => c,
        _ => match max {
            Some(m) if m < i32::MAX as f64 => m as usize + 1,
            Some(m) => return Err(Error::arg(OP, format!("max(x) + 1 = {m} + 1 classes is too many"))),
            None => {
                return Err(Error::arg(
                    OP,
                    format!("cannot infer num_classes as max(x) + 1 from an empty x of shape {:?}", x.dims()),
                ))
            }
        },
    };
    if let Some(m) = max {
        if m >= classes as f64 {
            return Err(Error::arg(OP, format!("class {m} is out of range for num_classes={classes}")));
        }
    }
    if classes > i32::MAX as usize {
        return Err(Error::arg(OP, format!("num_classes={classes} is too large")));
    }
    let x = x.with_dims(&dims)?;
    let x = if x.dtype() == DType::I32 { x } else { ops::cast(&x, DType::I32)? };
    ops::one_hot(&x, classes as i64, -1, Some(DType::F32))
}

/// `keras.utils.normalize(x, axis=-1, order=2)`: `x` divided by its `order`-norm along `axis`.
///
/// This is Keras's backend-tensor formula (`keras.ops.normalize` with `epsilon=1e-7`): for
/// `order == 2`, `x * min(rsqrt(sum(x^2)), 1e7)`; otherwise `x / max(norm(x), 1e-7)`. A zero
/// norm therefore leaves its zeros as zeros, exactly as Keras's NumPy path does (which replaces
/// a zero norm by 1); the two paths differ only for norms in `(0, 1e-7)`.
///
/// `order` must be an integer >= 1. A 0-d `x` is treated as shape `(1,)`. Integer inputs are
/// normalized in float32 (Keras's NumPy path accepts them, its tensor path refuses them);
/// float inputs keep their dtype. Unlike Keras's NumPy path, `axis=0` normalizes along axis 0
/// (NumPy's path turns `axis=0` into `-1` when re-expanding the norm, a Keras bug).
pub fn normalize(x: &Tensor, axis: i64, order: i64) -> Result<Tensor> {
    const OP: &str = "normalize";
    if order < 1 {
        return Err(Error::arg(OP, format!("order must be an int >= 1, got order={order}")));
    }
    let x = match x.dtype() {
        d if d.is_float() => x.clone(),
        DType::Bool => return Err(Error::dtype(OP, DType::Bool, "a numeric dtype")),
        _ => ops::cast(x, DType::F32)?,
    };
    ops::normalize(&x, axis, order, None)
}
