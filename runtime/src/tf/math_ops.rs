//! TensorFlow-named eager math ops: `tf.zeros_like`, `tf.ones_like`, `tf.truncatediv`,
//! `tf.truncatemod`, `tf.realdiv`, `tf.clip_by_value`, `tf.clip_by_norm`,
//! `tf.clip_by_global_norm`, `tf.searchsorted`, `tf.norm`, `tf.tensordot`, `tf.einsum`,
//! `tf.pad`, `tf.unique` and `tf.unique_with_counts`, with TensorFlow 2.x argument names, composed from the runtime's eager ops.

use super::named;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::{self, NormOrd, TensordotAxes};
use crate::tensor::{same_device, Tensor};

fn scalar_like(v: f64, dtype: DType, like: &Tensor) -> Result<Tensor> {
    ops::full(&[], v, dtype, &like.device())
}

/// `tf.zeros_like(input, dtype=None)`.
pub fn zeros_like(input: &Tensor, dtype: Option<DType>) -> Result<Tensor> {
    ops::zeros(input.dims(), dtype.unwrap_or(input.dtype()), &input.device()).map_err(named("tf.zeros_like"))
}

/// `tf.ones_like(input, dtype=None)`.
pub fn ones_like(input: &Tensor, dtype: Option<DType>) -> Result<Tensor> {
    ops::ones(input.dims(), dtype.unwrap_or(input.dtype()), &input.device()).map_err(named("tf.ones_like"))
}

fn same_dtype(op: &'static str, x: &Tensor, y: &Tensor) -> Result<()> {
    same_device(op, &[x, y])?;
    if x.dtype() != y.dtype() {
        return Err(Error::arg(op, format!("x has dtype {} but y has dtype {}", x.dtype(), y.dtype())));
    }
    if x.dtype() == DType::Bool {
        return Err(Error::dtype(op, x.dtype(), "a numeric dtype"));
    }
    Ok(())
}

/// Rounds a float tensor toward zero.
fn trunc(x: &Tensor) -> Result<Tensor> {
    ops::multiply(&ops::sign(x)?, &ops::floor(&ops::abs(x)?)?)
}

/// Integer quotient rounded toward zero, from a float32 estimate refined with exact integer
/// remainders (`y` must hold no zero).
fn int_truncdiv(x: &Tensor, y: &Tensor) -> Result<Tensor> {
    let dtype = x.dtype();
    let yf = ops::cast(y, DType::F32)?;
    // Unsigned estimates are scaled down so that they never overshoot: the remainder then
    // stays non-negative (no wrap-around) and shrinks by about 2^-20 per refinement.
    let factor = if dtype == DType::I32 { 1.0 } else { 1.0 - 1.0 / (1u32 << 20) as f64 };
    let shrink = scalar_like(factor, DType::F32, x)?;
    let est = |num: &Tensor| -> Result<Tensor> {
        let qf = ops::multiply(&ops::divide(&ops::cast(num, DType::F32)?, &yf)?, &shrink)?;
        ops::cast(&trunc(&qf)?, dtype)
    };
    let mut q = est(x)?;
    for _ in 0..3 {
        let r = ops::subtract(x, &ops::multiply(&q, y)?)?;
        q = ops::add(&q, &est(&r)?)?;
    }
    if dtype == DType::I32 {
        // Final fix: the remainder must have x's sign (or be 0) and |r| < |y|.
        let zero = scalar_like(0.0, dtype, x)?;
        let r = ops::subtract(x, &ops::multiply(&q, y)?)?;
        let sy = ops::sign(y)?;
        let sx = ops::sign(x)?;
        let wrong_sign =
            ops::logical_and(&ops::not_equal(&r, &zero)?, &ops::not_equal(&ops::sign(&r)?, &sx)?)?;
        // r has the wrong sign: step q back toward zero by sign(x)*sign(y).
        let step = ops::multiply(&sx, &sy)?;
        q = ops::where_(&wrong_sign, &ops::subtract(&q, &step)?, &q)?;
        let r = ops::subtract(x, &ops::multiply(&q, y)?)?;
        let too_big = ops::greater_equal(&ops::abs(&r)?, &ops::abs(y)?)?;
        q = ops::where_(&too_big, &ops::add(&q, &step)?, &q)?;
    } else {
        let r = ops::subtract(x, &ops::multiply(&q, y)?)?;
        let too_big = ops::greater_equal(&r, y)?;
        q = ops::where_(&too_big, &ops::add(&q, &scalar_like(1.0, dtype, x)?)?, &q)?;
    }
    Ok(q)
}

fn check_no_zero(op: &'static str, y: &Tensor) -> Result<()> {
    if y.to_vec_f64()?.iter().any(|&v| v == 0.0) {
        return Err(Error::arg(op, "Integer division by zero"));
    }
    Ok(())
}

/// `tf.truncatediv(x, y)`: division rounded toward zero (an integer zero divisor is an
/// error, as in TensorFlow's CPU kernel).
pub fn truncatediv(x: &Tensor, y: &Tensor) -> Result<Tensor> {
    const OP: &str = "tf.truncatediv";
    same_dtype(OP, x, y)?;
    if x.dtype().is_float() {
        return ops::divide(x, y).and_then(|q| trunc(&q)).map_err(named(OP));
    }
    check_no_zero(OP, y)?;
    int_truncdiv(x, y).map_err(named(OP))
}

/// `tf.truncatemod(x, y)`: the remainder of truncated division (`fmod` for floats), with x's
/// sign.
pub fn truncatemod(x: &Tensor, y: &Tensor) -> Result<Tensor> {
    const OP: &str = "tf.truncatemod";
    same_dtype(OP, x, y)?;
    let q = if x.dtype().is_float() {
        trunc(&ops::divide(x, y)?).map_err(named(OP))?
    } else {
        check_no_zero(OP, y)?;
        int_truncdiv(x, y).map_err(named(OP))?
    };
    ops::subtract(x, &ops::multiply(&q, y)?).map_err(named(OP))
}

/// `tf.realdiv(x, y)`: `x / y` of float tensors (TensorFlow has no integer RealDiv kernel).
pub fn realdiv(x: &Tensor, y: &Tensor) -> Result<Tensor> {
    const OP: &str = "tf.realdiv";
    same_dtype(OP, x, y)?;
    float_only(OP, x)?;
    ops::divide(x, y).map_err(named(OP))
}

/// `tf.clip_by_value(t, clip_value_min, clip_value_max)`: `minimum(maximum(t, min), max)`;
/// the bounds broadcast to `t`'s shape (the result keeps `t`'s shape and dtype).
pub fn clip_by_value(t: &Tensor, clip_value_min: &Tensor, clip_value_max: &Tensor) -> Result<Tensor> {
    const OP: &str = "tf.clip_by_value";
    same_device(OP, &[t, clip_value_min, clip_value_max])?;
    for (what, v) in [("clip_value_min", clip_value_min), ("clip_value_max", clip_value_max)] {
        if v.dtype() != t.dtype() {
            return Err(Error::arg(
                OP,
                format!("{what} has dtype {} but t has dtype {}", v.dtype(), t.dtype()),
            ));
        }
    }
    let out =
        ops::maximum(t, clip_value_min).and_then(|m| ops::minimum(&m, clip_value_max)).map_err(named(OP))?;
    if out.dims() != t.dims() {
        return Err(Error::shapes(OP, t.dims(), out.dims(), "the clip bounds must broadcast to t's shape"));
    }
    Ok(out)
}

fn float_only(op: &'static str, t: &Tensor) -> Result<()> {
    if !t.dtype().is_float() {
        return Err(Error::dtype(op, t.dtype(), "a float dtype"));
    }
    Ok(())
}

/// `tf.clip_by_norm(t, clip_norm, axes=None)`: `t * clip_norm / max(l2norm(t, axes),
/// clip_norm)`, with TensorFlow's safe handling of an all-zero slice.
pub fn clip_by_norm(t: &Tensor, clip_norm: f64, axes: Option<&[i64]>) -> Result<Tensor> {
    const OP: &str = "tf.clip_by_norm";
    float_only(OP, t)?;
    let f = || -> Result<Tensor> {
        let all: Vec<i64> = (0..t.rank() as i64).collect();
        let axes = axes.unwrap_or(&all);
        let l2sum = ops::sum(&ops::multiply(t, t)?, Some(axes), true)?;
        let zero = scalar_like(0.0, t.dtype(), t)?;
        let pred = ops::greater(&l2sum, &zero)?;
        let safe = ops::where_(&pred, &l2sum, &ops::ones_like(&l2sum)?)?;
        let l2norm = ops::where_(&pred, &ops::sqrt(&safe)?, &l2sum)?;
        let c = scalar_like(clip_norm, t.dtype(), t)?;
        ops::divide(&ops::multiply(t, &c)?, &ops::maximum(&l2norm, &c)?)
    };
    f().map_err(named(OP))
}

/// `tf.linalg.global_norm(t_list)`: the square root of the sum of all squares (float32 scalar
/// of the first tensor's dtype).
fn global_norm(op: &'static str, t_list: &[Tensor]) -> Result<Tensor> {
    let first = t_list.first().ok_or_else(|| Error::arg(op, "t_list must not be empty"))?;
    let mut total = scalar_like(0.0, first.dtype(), first)?;
    for t in t_list {
        float_only(op, t)?;
        total = ops::add(&total, &ops::sum(&ops::multiply(t, t)?, None, false)?)?;
    }
    ops::sqrt(&total)
}

/// `tf.clip_by_global_norm(t_list, clip_norm, use_norm=None)`: every tensor times
/// `clip_norm / max(global_norm, clip_norm)`; returns the clipped list and the global norm
/// (NaN everywhere when the norm is infinite, as TensorFlow).
pub fn clip_by_global_norm(
    t_list: &[Tensor],
    clip_norm: f64,
    use_norm: Option<&Tensor>,
) -> Result<(Vec<Tensor>, Tensor)> {
    const OP: &str = "tf.clip_by_global_norm";
    let f = || -> Result<(Vec<Tensor>, Tensor)> {
        let norm = match use_norm {
            Some(n) => n.clone(),
            None => global_norm(OP, t_list)?,
        };
        let dtype = norm.dtype();
        let one = scalar_like(1.0, dtype, &norm)?;
        let c = scalar_like(clip_norm, dtype, &norm)?;
        let finite = ops::multiply(&c, &ops::minimum(&ops::divide(&one, &norm)?, &ops::divide(&one, &c)?)?)?;
        let scale = ops::add(&finite, &ops::subtract(&norm, &norm)?)?;
        let out = t_list
            .iter()
            .map(|t| ops::multiply(t, &ops::cast(&scale, t.dtype())?))
            .collect::<Result<Vec<_>>>()?;
        Ok((out, norm))
    };
    f().map_err(named(OP))
}

/// `tf.searchsorted(sorted_sequence, values, side='left', out_type=int32)`: per row of the
/// innermost dimension, the insertion points of `values` (leading dims must match).
pub fn searchsorted(
    sorted_sequence: &Tensor,
    values: &Tensor,
    side: &str,
    out_type: DType,
) -> Result<Tensor> {
    const OP: &str = "tf.searchsorted";
    same_device(OP, &[sorted_sequence, values])?;
    let (s, v) = (sorted_sequence.dims(), values.dims());
    if s.is_empty() || v.is_empty() || s[..s.len() - 1] != v[..v.len() - 1] {
        return Err(Error::shapes(
            OP,
            s,
            v,
            "sorted_sequence and values must have the same rank >= 1 and the same leading dimensions",
        ));
    }
    if !matches!(out_type, DType::I32) {
        return Err(Error::dtype(OP, out_type, "int32 for out_type (int64 has no dtype here)"));
    }
    if sorted_sequence.dtype() != values.dtype() {
        return Err(Error::arg(OP, "sorted_sequence and values must have the same dtype"));
    }
    let f = || -> Result<Tensor> {
        let seq = ops::expand_dims(sorted_sequence, &[-2])?;
        let val = ops::expand_dims(values, &[-1])?;
        let hit = match side {
            "left" => ops::less(&seq, &val)?,
            "right" => ops::less_equal(&seq, &val)?,
            other => return Err(Error::arg(OP, format!("side must be 'left' or 'right', got {other:?}"))),
        };
        let n = ops::sum(&ops::cast(&hit, DType::I32)?, Some(&[-1]), false)?;
        ops::cast(&n, out_type)
    };
    f().map_err(named(OP))
}

/// The `ord` of [`norm`]: `'euclidean'`, `'fro'` or a positive number (`inf` included).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TfNormOrd {
    Euclidean,
    Fro,
    P(f64),
}

/// `tf.norm(tensor, ord='euclidean', axis=None, keepdims=None)`: vector norms (axis None or
/// one axis; any `ord > 0`) and matrix norms (two axes; `'euclidean'`/`'fro'`, 1 and inf).
pub fn norm(tensor: &Tensor, ord: TfNormOrd, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    const OP: &str = "tf.norm";
    float_only(OP, tensor)?;
    let is_matrix = axis.is_some_and(|a| a.len() == 2);
    if let Some(a) = axis {
        if a.is_empty() || a.len() > 2 {
            return Err(Error::arg(OP, format!("axis must be None, an integer or a pair, got {a:?}")));
        }
    }
    let bad = || {
        Error::arg(
            OP,
            format!("invalid ord {ord:?} for a {} norm", if is_matrix { "matrix" } else { "vector" }),
        )
    };
    let all: Vec<i64> = (0..tensor.rank() as i64).collect();
    let r = match (is_matrix, ord) {
        (true, TfNormOrd::Euclidean | TfNormOrd::Fro) => ops::norm(tensor, NormOrd::Fro, axis, keepdims),
        (true, TfNormOrd::P(p)) if p == 1.0 || p == f64::INFINITY => {
            ops::norm(tensor, NormOrd::P(p), axis, keepdims)
        }
        (true, _) => return Err(bad()),
        (false, TfNormOrd::Euclidean | TfNormOrd::Fro) => {
            let ax = axis.unwrap_or(&all);
            ops::sqrt(&ops::sum(&ops::multiply(tensor, tensor)?, Some(ax), keepdims)?)
        }
        (false, TfNormOrd::P(p)) if p > 0.0 => match axis {
            Some(a) => ops::norm(tensor, NormOrd::P(p), Some(a), keepdims),
            None => {
                let flat = ops::reshape(tensor, &[-1])?;
                let n = ops::norm(&flat, NormOrd::P(p), Some(&[0]), false)?;
                if keepdims {
                    n.with_dims(&vec![1; tensor.rank()])
                } else {
                    Ok(n)
                }
            }
        },
        (false, _) => return Err(bad()),
    };
    r.map_err(named(OP))
}

/// The `axes` of [`tensordot`]: a count, or one list of axes per operand.
pub fn tensordot(a: &Tensor, b: &Tensor, axes: TensordotAxes) -> Result<Tensor> {
    ops::tensordot(a, b, axes).map_err(named("tf.tensordot"))
}

/// `tf.einsum(equation, *inputs)`.
pub fn einsum(equation: &str, inputs: &[&Tensor]) -> Result<Tensor> {
    ops::einsum(equation, inputs).map_err(named("tf.einsum"))
}

/// `tf.pad(tensor, paddings, mode='CONSTANT', constant_values=0)`: modes `CONSTANT`,
/// `REFLECT` (paddings < dim) and `SYMMETRIC` (paddings <= dim), case-insensitive.
pub fn pad(tensor: &Tensor, paddings: &[[i64; 2]], mode: &str, constant_values: f64) -> Result<Tensor> {
    const OP: &str = "tf.pad";
    let dims = tensor.dims();
    if paddings.len() != dims.len() {
        return Err(Error::arg(
            OP,
            format!(
                "paddings must have one [before, after] pair per dim of shape {dims:?}, got {paddings:?}"
            ),
        ));
    }
    let mode_l = mode.to_ascii_lowercase();
    let mut widths = Vec::with_capacity(dims.len());
    for (i, (&[b, a], &d)) in paddings.iter().zip(dims).enumerate() {
        if b < 0 || a < 0 {
            return Err(Error::arg(OP, format!("paddings must be non-negative, got {paddings:?}")));
        }
        let limit = match mode_l.as_str() {
            "constant" => i64::MAX,
            "reflect" => d as i64 - 1,
            "symmetric" => d as i64,
            _ => {
                return Err(Error::arg(
                    OP,
                    format!("mode must be CONSTANT, REFLECT or SYMMETRIC, got {mode:?}"),
                ))
            }
        };
        if (b > 0 && b > limit) || (a > 0 && a > limit) {
            return Err(Error::arg(
                OP,
                format!("paddings {:?} of dim {i} (size {d}) must be at most {limit} in {mode} mode", [b, a]),
            ));
        }
        widths.push([b as usize, a as usize]);
    }
    let cv = if mode_l == "constant" { Some(constant_values) } else { None };
    ops::pad(tensor, &widths, &mode_l, cv).map_err(named(OP))
}

/// `tf.unique_with_counts(x, out_idx=int32)`: the distinct values of the 1-D `x` in order of
/// first occurrence, the index of each element's value in them, and each value's count.
/// Composed from an all-pairs equality matrix (O(n²) memory); the number of distinct values is
/// read back to the host, since it is the output's shape. NaNs compare unequal to everything.
pub fn unique_with_counts(x: &Tensor, out_idx: DType) -> Result<(Tensor, Tensor, Tensor)> {
    const OP: &str = "tf.unique_with_counts";
    unique_impl(OP, x, out_idx)
}

/// `tf.unique(x, out_idx=int32)`: [`unique_with_counts`] without the counts.
pub fn unique(x: &Tensor, out_idx: DType) -> Result<(Tensor, Tensor)> {
    let (y, idx, _) = unique_impl("tf.unique", x, out_idx)?;
    Ok((y, idx))
}

fn unique_impl(op: &'static str, x: &Tensor, out_idx: DType) -> Result<(Tensor, Tensor, Tensor)> {
    if x.rank() != 1 {
        return Err(Error::arg(op, format!("x must be 1-D, got shape {:?}", x.dims())));
    }
    if out_idx != DType::I32 {
        return Err(Error::dtype(op, out_idx, "int32 for out_idx"));
    }
    let n = x.dims()[0];
    let dev = x.device();
    let f = || -> Result<(Tensor, Tensor, Tensor)> {
        if n == 0 {
            let e = ops::zeros(&[0], DType::I32, &dev)?;
            return Ok((x.clone(), e.clone(), e));
        }
        let eq = ops::equal(&ops::expand_dims(x, &[1])?, &ops::expand_dims(x, &[0])?)?;
        let eqi = ops::cast(&eq, DType::I32)?;
        let first = ops::argmax(&eqi, Some(1), false)?;
        let pos = ops::arange(0.0, n as f64, 1.0, DType::I32, &dev)?;
        // A NaN matches nothing, not even itself: its own position is its first occurrence.
        let self_eq = ops::take_along_axis(&eqi, &ops::expand_dims(&pos, &[1])?, Some(1))?;
        let own = ops::equal(&ops::reshape(&self_eq, &[-1])?, &ops::zeros(&[], DType::I32, &dev)?)?;
        let first = ops::where_(&own, &pos, &ops::cast(&first, DType::I32)?)?;
        let is_first = ops::equal(&first, &pos)?;
        let keep: Vec<i32> = is_first
            .to_vec_f64()?
            .iter()
            .enumerate()
            .filter(|(_, &v)| v != 0.0)
            .map(|(i, _)| i as i32)
            .collect();
        let k = keep.len();
        let keep = Tensor::from_vec(keep, &[k], &dev)?;
        let y = ops::take(x, &keep, Some(0))?;
        let rank = ops::subtract(
            &ops::cumsum(&ops::cast(&is_first, DType::I32)?, Some(0), None)?,
            &ops::ones(&[], DType::I32, &dev)?,
        )?;
        let idx = ops::take(&rank, &first, Some(0))?;
        let counts_all = ops::sum(&eqi, Some(&[1]), false)?;
        let counts = ops::take(&ops::cast(&counts_all, DType::I32)?, &keep, Some(0))?;
        let counts = ops::maximum(&counts, &ops::ones(&[], DType::I32, &dev)?)?;
        Ok((y, ops::cast(&idx, DType::I32)?, counts))
    };
    f().map_err(named(op))
}
