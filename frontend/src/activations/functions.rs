//! The activations with more than one graph op, in the forms Keras's JAX backend computes
//! (`keras/src/backend/jax/nn.py` and `jax.nn`), so that results and gradients match: `where`
//! forms that keep the untaken branch finite, `expm1` and `softplus` for stability.

use crate::error::{Error, Result};
use crate::graph::{shape_str, Sym};

/// SELU's constants (`jax.nn.selu`).
pub const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;
pub const SELU_SCALE: f64 = 1.050_700_987_355_480_5;

/// Keras's `ReLU.static_call`, step for step.
pub fn relu_general<'g>(
    x: Sym<'g>,
    negative_slope: f64,
    max_value: Option<f64>,
    threshold: f64,
) -> Result<Sym<'g>> {
    let zero = x.scalar_like(0.0)?;
    let mut negative_part = None;
    if negative_slope != 0.0 {
        if max_value.is_none() && threshold == 0.0 {
            return leaky_relu(x, negative_slope);
        }
        let nx = x.neg()?;
        negative_part = Some(if threshold != 0.0 { nx.add_scalar(threshold)?.relu()? } else { nx.relu()? });
    }
    let mut y;
    let mut clip_max = max_value.is_some();
    if threshold != 0.0 {
        y = x.greater(x.scalar_like(threshold)?)?.select(x, zero)?;
    } else if max_value == Some(6.0) {
        y = relu6(x)?;
        clip_max = false;
    } else {
        y = x.relu()?;
    }
    if let (true, Some(m)) = (clip_max, max_value) {
        y = y.clip(0.0, m)?;
    }
    if let Some(n) = negative_part {
        y = y.sub(n.mul_scalar(negative_slope)?)?;
    }
    Ok(y)
}

/// `where(x >= 0, x, negative_slope * x)`.
pub fn leaky_relu(x: Sym<'_>, negative_slope: f64) -> Result<Sym<'_>> {
    x.greater_equal(x.scalar_like(0.0)?)?.select(x, x.mul_scalar(negative_slope)?)
}

/// `min(max(x, 0), 6)`.
pub fn relu6(x: Sym<'_>) -> Result<Sym<'_>> {
    x.relu()?.minimum_scalar(6.0)
}

/// `relu6(x + 3) / 6`.
pub fn hard_sigmoid(x: Sym<'_>) -> Result<Sym<'_>> {
    relu6(x.add_scalar(3.0)?)?.div(x.scalar_like(6.0)?)
}

/// `where(x > 0, x, alpha * expm1(where(x > 0, 0, x)))`: the inner `where` keeps `expm1` (and
/// its gradient) finite for large positive `x`.
pub fn elu(x: Sym<'_>, alpha: f64) -> Result<Sym<'_>> {
    let zero = x.scalar_like(0.0)?;
    let pos = x.greater(zero)?;
    let neg = pos.select(zero, x)?.expm1()?.mul_scalar(alpha)?;
    pos.select(x, neg)
}

/// `scale * elu(x, alpha)` with SELU's constants.
pub fn selu(x: Sym<'_>) -> Result<Sym<'_>> {
    elu(x, SELU_ALPHA)?.mul_scalar(SELU_SCALE)
}

/// `max(x, 0) + alpha * expm1(min(x, 0) / alpha)`.
pub fn celu(x: Sym<'_>, alpha: f64) -> Result<Sym<'_>> {
    let neg = x.minimum_scalar(0.0)?.div(x.scalar_like(alpha)?)?.expm1()?.mul_scalar(alpha)?;
    x.maximum_scalar(0.0)?.add(neg)
}

/// Exact: `x / 2 * erfc(-x / sqrt(2))`, written `x / 2 * (1 + erf(x / sqrt(2)))`; approximate:
/// `x / 2 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3)))`.
pub fn gelu(x: Sym<'_>, approximate: bool) -> Result<Sym<'_>> {
    if approximate {
        let c = (2.0 / std::f64::consts::PI).sqrt();
        let cube = x.mul(x)?.mul(x)?;
        let inner = x.add(cube.mul_scalar(0.044715)?)?.mul_scalar(c)?;
        let cdf = inner.tanh()?.add_scalar(1.0)?.mul_scalar(0.5)?;
        x.mul(cdf)
    } else {
        let cdf = x.mul_scalar(std::f64::consts::FRAC_1_SQRT_2)?.erf()?.add_scalar(1.0)?;
        x.mul_scalar(0.5)?.mul(cdf)
    }
}

/// `a * sigmoid(b)` for the halves `a`, `b` of `x` along `axis` (whose size must be even).
pub fn glu(x: Sym<'_>, axis: i64) -> Result<Sym<'_>> {
    let a = x.axis("glu", axis)?;
    let shape = x.shape();
    let n = match shape[a] {
        Some(n) if n % 2 == 0 => n,
        _ => {
            return Err(Error::arg(
                "glu",
                format!(
                "activation \"glu\": axis size must be divisible by 2. Received: x.shape={} with axis={axis}",
                shape_str(&shape)
            ),
            ))
        }
    };
    let first = x.slice_axis(a as i64, 0, n / 2)?;
    let second = x.slice_axis(a as i64, n / 2, n / 2)?;
    first.mul(second.sigmoid()?)
}

/// `where(abs(x) > threshold, x, 0)`.
pub fn hard_shrink(x: Sym<'_>, threshold: f64) -> Result<Sym<'_>> {
    x.abs()?.greater(x.scalar_like(threshold)?)?.select(x, x.scalar_like(0.0)?)
}

/// `where(x > t, x - t, where(x < -t, x + t, 0))`.
pub fn soft_shrink(x: Sym<'_>, threshold: f64) -> Result<Sym<'_>> {
    let low = x.less(x.scalar_like(-threshold)?)?.select(x.add_scalar(threshold)?, x.scalar_like(0.0)?)?;
    x.greater(x.scalar_like(threshold)?)?.select(x.add_scalar(-threshold)?, low)
}

/// `where(x > threshold, x, default_value)`.
pub fn threshold(x: Sym<'_>, threshold: f64, default_value: f64) -> Result<Sym<'_>> {
    x.greater(x.scalar_like(threshold)?)?.select(x, x.scalar_like(default_value)?)
}

/// `where(x <= -1, 0, where(x >= 1, x, (x + 1)^2 / 4))`.
pub fn sparse_plus(x: Sym<'_>) -> Result<Sym<'_>> {
    let mid = x.add_scalar(1.0)?.square()?.div(x.scalar_like(4.0)?)?;
    let upper = x.greater_equal(x.scalar_like(1.0)?)?.select(x, mid)?;
    x.less_equal(x.scalar_like(-1.0)?)?.select(x.scalar_like(0.0)?, upper)
}

/// The size along `axes` is 0: the result is empty, nothing to normalize (a max over an empty
/// axis has no identity, so the stable forms cannot run).
pub(crate) fn empty_along(x: Sym<'_>, op: &'static str, axes: &[i64]) -> Result<bool> {
    let shape = x.shape();
    for &a in axes {
        if shape[x.axis(op, a)?] == Some(0) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Softmax over `axes` (an empty axis gives the empty input back).
pub fn softmax<'g>(x: Sym<'g>, axes: &[i64]) -> Result<Sym<'g>> {
    if empty_along(x, "softmax", axes)? {
        return Ok(x);
    }
    x.softmax_over(axes)
}

/// Log-softmax over `axes`, as `jax.nn.log_softmax` computes it (see [`Sym::log_softmax_over`]).
pub fn log_softmax<'g>(x: Sym<'g>, axes: &[i64]) -> Result<Sym<'g>> {
    if empty_along(x, "log_softmax", axes)? {
        return Ok(x);
    }
    x.log_softmax_over(axes)
}

/// `x * tanh(softplus(x))` (the GPU's tanh keeps its relative precision near 0, which matters
/// here: `x` multiplies it for large negative `x`).
pub fn mish(x: Sym<'_>) -> Result<Sym<'_>> {
    x.mul(x.softplus()?.tanh()?)
}

/// Keras 3.15.1's `sparsemax` (JAX backend), without a sort.
///
/// Keras sorts `z` descending (`z_(1) >= z_(2) >= ...`), takes the support `z_(r) - (c_r - 1)
/// / r > 0` with `c_r` the cumulative sum, `k = |support|`, and then
/// `tau = (sum over the support of c_r - 1) / k` — note: the sum of the *cumulative sums*, not
/// the textbook `(c_k - 1) / k`, so its rows do not sum to 1 (e.g. `[1, 1, 1]` gives zeros).
/// wgkeras matches Keras's numbers. Without a sort: for element `i`, with `n_ge` / `n_gt` the
/// counts of elements `>=` / `>` it and `s_ge` the sum of those `>=` it (pairwise comparisons
/// along the axis, `O(n^2)`), the support test is `1 + n_ge * z_i > s_ge` (the same for all
/// members of a tie), and `sum_r c_r = sum_i w_i z_i` with `w_i = k - (n_gt + n_ge - 1) / 2`
/// (Keras's weight `k - r + 1`, averaged over a tie). The support and weights are computed under
/// stop_gradient, so autodiff gives the Jacobian JAX's autodiff gives through the sort.
pub fn sparsemax(x: Sym<'_>, axis: i64) -> Result<Sym<'_>> {
    let a = x.axis("sparsemax", axis)?;
    if x.shape()[a] == Some(0) {
        return Ok(x);
    }
    let dt = x.dtype();
    let a = a as i64;
    let xs = x.stop_gradient()?;
    let xi = xs.expand_dims(a + 1)?; // [.., n (i), 1, ..]
    let xj = xs.expand_dims(a)?; // [.., 1, n (j), ..]
    let ge = xj.greater_equal(xi)?.cast(dt)?;
    let gt = xj.greater(xi)?.cast(dt)?;
    let n_ge = ge.sum(&[a + 1], false)?;
    let n_gt = gt.sum(&[a + 1], false)?;
    let s_ge = ge.mul(xj)?.sum(&[a + 1], false)?;
    let support = n_ge.mul(xs)?.add_scalar(1.0)?.greater(s_ge)?.cast(dt)?;
    let k = support.sum(&[a], true)?;
    let w = k.sub(n_gt.add(n_ge)?.add_scalar(-1.0)?.mul_scalar(0.5)?)?;
    let coeff = support.mul(w)?.stop_gradient()?;
    let tau = coeff.mul(x)?.sum(&[a], true)?.add_scalar(-1.0)?.div(k)?;
    x.sub(tau)?.relu()
}
