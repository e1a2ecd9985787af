//! Neural-network ops of `keras.ops`: `softmax`, `log_softmax`, `normalize`, `moments`,
//! composed from the reductions and elementwise ops (no kernels of their own).

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::binary::{clip, divide, maximum, minimum, multiply, subtract};
use crate::ops::cast::cast;
use crate::ops::creation::full;
use crate::ops::reduce::{finite_max_keepdims, mean, norm, squeeze_reduced, sum, variance_compute, NormOrd};
use crate::ops::unary::{exp, log, rsqrt};
use crate::shape::normalize_axis;
use crate::tensor::Tensor;

/// Integers become float32 (as JAX does); bools are refused, as in Keras.
fn softmax_input(op: &'static str, x: &Tensor, axis: i64) -> Result<Tensor> {
    normalize_axis(op, axis, x.rank())?;
    match x.dtype() {
        DType::Bool => Err(Error::dtype(op, DType::Bool, "a numeric dtype")),
        d if d.is_float() => Ok(x.clone()),
        _ => cast(x, DType::F32),
    }
}

/// `keras.ops.softmax(x, axis=-1)`: `exp(x - max) / sum(exp(x - max))` along `axis`.
pub fn softmax(x: &Tensor, axis: i64) -> Result<Tensor> {
    let x = softmax_input("softmax", x, axis)?;
    let ax = [axis];
    let m = finite_max_keepdims(&x, Some(&ax))?;
    let e = exp(&subtract(&x, &m)?)?;
    divide(&e, &sum(&e, Some(&ax), true)?)
}

/// `keras.ops.log_softmax(x, axis=-1)`: `(x - max) - log(sum(exp(x - max)))` along `axis`.
pub fn log_softmax(x: &Tensor, axis: i64) -> Result<Tensor> {
    let x = softmax_input("log_softmax", x, axis)?;
    let ax = [axis];
    let m = finite_max_keepdims(&x, Some(&ax))?;
    let shifted = subtract(&x, &m)?;
    let s = sum(&exp(&shifted)?, Some(&ax), true)?;
    subtract(&shifted, &log(&s)?)
}

/// `keras.ops.normalize(x, axis=-1, order=2, epsilon=None)`: `x` divided by its `order`-norm
/// along `axis`, the norm floored at `epsilon` (default 1e-7, Keras's `epsilon()`).
pub fn normalize(x: &Tensor, axis: i64, order: i64, epsilon: Option<f64>) -> Result<Tensor> {
    if order < 1 {
        return Err(Error::arg("normalize", format!("order must be an int >= 1, got {order}")));
    }
    if !x.dtype().is_float() {
        return Err(Error::dtype("normalize", x.dtype(), "a float dtype"));
    }
    let x = if x.rank() == 0 { x.with_dims(&[1])? } else { x.clone() };
    normalize_axis("normalize", axis, x.rank())?;
    let eps = epsilon.unwrap_or(1e-7);
    let dev = x.device();
    let ax = [axis];
    if order == 2 {
        let sq = sum(&multiply(&x, &x)?, Some(&ax), true)?;
        let inv = minimum(&rsqrt(&sq)?, &full(&[], 1.0 / eps, x.dtype(), &dev)?)?;
        return multiply(&x, &inv);
    }
    let n = norm(&x, NormOrd::P(order as f64), Some(&ax), true)?;
    divide(&x, &maximum(&n, &full(&[], eps, x.dtype(), &dev)?)?)
}

/// `keras.ops.moments(x, axes, keepdims=False, synchronized=False)`: `(mean, variance)` over
/// `axes`. 16-bit floats are computed in float32 and clipped to their range; integers give
/// float32. `synchronized` only matters across several devices; on one device the result is
/// the same either way.
pub fn moments(x: &Tensor, axes: &[i64], keepdims: bool, synchronized: bool) -> Result<(Tensor, Tensor)> {
    let _ = synchronized;
    let dtype = x.dtype();
    let xc = if dtype.is_float() { x.clone() } else { cast(x, DType::F32)? };
    let m = mean(&cast(&xc, if dtype == DType::F64 { DType::F64 } else { DType::F32 })?, Some(axes), true)?;
    let v = variance_compute(&xc, Some(axes), true)?;
    let (m, v) = if keepdims {
        (m, v)
    } else {
        (squeeze_reduced(x.dims(), &m, Some(axes))?, squeeze_reduced(x.dims(), &v, Some(axes))?)
    };
    match dtype {
        DType::F16 | DType::BF16 => {
            let lim = if dtype == DType::F16 { 65504.0 } else { 3.3895313892515355e38 };
            Ok((cast(&clip(&m, -lim, lim)?, dtype)?, cast(&clip(&v, -lim, lim)?, dtype)?))
        }
        _ => Ok((cast(&m, xc.dtype())?, cast(&v, xc.dtype())?)),
    }
}
