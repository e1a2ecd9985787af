//! Regression losses: `MeanSquaredError`, `MeanAbsoluteError`, `MeanAbsolutePercentageError`,
//! `MeanSquaredLogarithmicError`, `LogCosh`, `Huber`, `CosineSimilarity`.
//!
//! Each function matches `y_true` and `y_pred` in rank first (Keras's
//! `squeeze_or_expand_to_same_rank`), as Keras's functions do.

use serde_json::{Map, Value};

use super::wrapper::{matched_pair, plain_loss};
use super::{squeeze_or_expand_to_same_rank, ConfigReader, Loss, LossBase, Num, Reduction};
use crate::error::Result;
use crate::graph::Sym;

plain_loss!(
    Mse,
    MeanSquaredError,
    "MeanSquaredError",
    "mean_squared_error",
    mean_squared_error,
    "`keras.losses.MeanSquaredError`: `mean(square(y_true - y_pred), axis=-1)`."
);
plain_loss!(
    Mae,
    MeanAbsoluteError,
    "MeanAbsoluteError",
    "mean_absolute_error",
    mean_absolute_error,
    "`keras.losses.MeanAbsoluteError`: `mean(abs(y_true - y_pred), axis=-1)`."
);
plain_loss!(
    Mape,
    MeanAbsolutePercentageError,
    "MeanAbsolutePercentageError",
    "mean_absolute_percentage_error",
    mean_absolute_percentage_error,
    "`keras.losses.MeanAbsolutePercentageError`: `100 * mean(abs((y_true - y_pred) / max(abs(y_true), eps)), axis=-1)`."
);
plain_loss!(
    Msle,
    MeanSquaredLogarithmicError,
    "MeanSquaredLogarithmicError",
    "mean_squared_logarithmic_error",
    mean_squared_logarithmic_error,
    "`keras.losses.MeanSquaredLogarithmicError`: `mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)`."
);
plain_loss!(
    LogCoshKind,
    LogCosh,
    "LogCosh",
    "log_cosh",
    log_cosh,
    "`keras.losses.LogCosh`: `mean(log(cosh(y_pred - y_true)), axis=-1)`, computed stably."
);

/// `keras.losses.mean_squared_error(y_true, y_pred)`.
pub fn mean_squared_error<'g>(y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
    let (t, p) = matched_pair("MeanSquaredError", y_true, y_pred)?;
    t.sub(p)?.square()?.mean(&[-1], false)
}

/// `keras.losses.mean_absolute_error(y_true, y_pred)`.
pub fn mean_absolute_error<'g>(y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
    let (t, p) = matched_pair("MeanAbsoluteError", y_true, y_pred)?;
    t.sub(p)?.abs()?.mean(&[-1], false)
}

/// `keras.losses.mean_absolute_percentage_error(y_true, y_pred)`.
pub fn mean_absolute_percentage_error<'g>(y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
    let (t, p) = matched_pair("MeanAbsolutePercentageError", y_true, y_pred)?;
    let denom = t.abs()?.maximum_scalar(crate::config::epsilon())?;
    t.sub(p)?.div(denom)?.abs()?.mean(&[-1], false)?.mul_scalar(100.0)
}

/// `keras.losses.mean_squared_logarithmic_error(y_true, y_pred)`.
pub fn mean_squared_logarithmic_error<'g>(y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
    let (t, p) = matched_pair("MeanSquaredLogarithmicError", y_true, y_pred)?;
    let eps = crate::config::epsilon();
    let first = p.maximum_scalar(eps)?.add_scalar(1.0)?.log()?;
    let second = t.maximum_scalar(eps)?.add_scalar(1.0)?.log()?;
    first.sub(second)?.square()?.mean(&[-1], false)
}

/// `keras.losses.log_cosh(y_true, y_pred)`: `x + softplus(-2x) - log(2)` with `x = y_pred -
/// y_true` (no overflow of `cosh` for large errors).
pub fn log_cosh<'g>(y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
    let (t, p) = matched_pair("LogCosh", y_true, y_pred)?;
    let x = p.sub(t)?;
    x.add(x.mul_scalar(-2.0)?.softplus()?)?.add_scalar(-std::f64::consts::LN_2)?.mean(&[-1], false)
}

/// `keras.losses.huber(y_true, y_pred, delta=1.0)`: the mean over the last axis of `0.5 * e^2`
/// where `|e| <= delta`, else `delta * |e| - 0.5 * delta^2` (`e = y_pred - y_true`).
pub fn huber<'g>(y_true: Sym<'g>, y_pred: Sym<'g>, delta: f64) -> Result<Sym<'g>> {
    let (t, p) = matched_pair("Huber", y_true, y_pred)?;
    let e = p.sub(t)?;
    let a = e.abs()?;
    let quadratic = e.square()?.mul_scalar(0.5)?;
    let linear = a.mul_scalar(delta)?.add_scalar(-0.5 * delta * delta)?;
    a.less_equal(a.scalar_like(delta)?)?.select(quadratic, linear)?.mean(&[-1], false)
}

/// `keras.losses.cosine_similarity(y_true, y_pred, axis=-1)`: `-sum(l2_normalize(y_true) *
/// l2_normalize(y_pred), axis)`.
pub fn cosine_similarity<'g>(y_true: Sym<'g>, y_pred: Sym<'g>, axis: i64) -> Result<Sym<'g>> {
    const CLASS: &str = "CosineSimilarity";
    let (t, p) = matched_pair(CLASS, y_true, y_pred)?;
    t.axis(CLASS, axis)?;
    p.axis(CLASS, axis)?;
    let t = t.l2_normalize(&[axis], crate::config::epsilon())?;
    let p = p.l2_normalize(&[axis], crate::config::epsilon())?;
    t.mul(p)?.sum(&[axis], false)?.neg()
}

/// `keras.losses.Huber(delta=1.0)` (default name `"huber_loss"`). As in Keras, `get_config`
/// writes only `name` and `reduction`: `delta` is read from a config but not written back.
#[derive(Clone, Debug, PartialEq)]
pub struct Huber {
    pub base: LossBase,
    pub delta: f64,
}

impl Default for Huber {
    fn default() -> Self {
        Huber { base: LossBase::new("huber_loss"), delta: 1.0 }
    }
}

impl Huber {
    pub fn new(delta: f64) -> Self {
        Huber { delta, ..Self::default() }
    }

    pub fn with_reduction(mut self, reduction: Reduction) -> Self {
        self.base.reduction = reduction;
        self
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Self> {
        let mut r = ConfigReader::new("Huber", config);
        let base = LossBase::read(&mut r, "huber_loss")?;
        let delta: Num = r.num("delta", 1.0)?;
        r.finish()?;
        Ok(Huber { base, delta: delta.value })
    }
}

impl Loss for Huber {
    fn class_name(&self) -> &'static str {
        "Huber"
    }
    fn base(&self) -> &LossBase {
        &self.base
    }
    fn config(&self) -> Map<String, Value> {
        self.base.config()
    }
    fn call<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        let (y_true, y_pred) = squeeze_or_expand_to_same_rank(y_true, y_pred)?;
        huber(y_true, y_pred, self.delta)
    }
}

/// `keras.losses.CosineSimilarity(axis=-1)` (default name `"cosine_similarity"`): values in
/// [-1, 1], -1 for parallel vectors. As in Keras, `axis` is read from a config but not written.
#[derive(Clone, Debug, PartialEq)]
pub struct CosineSimilarity {
    pub base: LossBase,
    pub axis: i64,
}

impl Default for CosineSimilarity {
    fn default() -> Self {
        CosineSimilarity { base: LossBase::new("cosine_similarity"), axis: -1 }
    }
}

impl CosineSimilarity {
    pub fn new(axis: i64) -> Self {
        CosineSimilarity { axis, ..Self::default() }
    }

    pub fn with_reduction(mut self, reduction: Reduction) -> Self {
        self.base.reduction = reduction;
        self
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Self> {
        let mut r = ConfigReader::new("CosineSimilarity", config);
        let base = LossBase::read(&mut r, "cosine_similarity")?;
        let axis = r.i64("axis", -1)?;
        r.finish()?;
        Ok(CosineSimilarity { base, axis })
    }
}

impl Loss for CosineSimilarity {
    fn class_name(&self) -> &'static str {
        "CosineSimilarity"
    }
    fn base(&self) -> &LossBase {
        &self.base
    }
    fn config(&self) -> Map<String, Value> {
        self.base.config()
    }
    fn call<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        let (y_true, y_pred) = squeeze_or_expand_to_same_rank(y_true, y_pred)?;
        cosine_similarity(y_true, y_pred, self.axis)
    }
}
