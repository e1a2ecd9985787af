//! Regression losses: `MeanSquaredError`.

use serde_json::{Map, Value};

use super::{check_broadcast, squeeze_or_expand_to_same_rank, ConfigReader, Loss, LossBase, Reduction};
use crate::error::{Error, Result};
use crate::graph::Sym;

/// `keras.losses.MeanSquaredError`: `mean(square(y_true - y_pred), axis=-1)`.
///
/// Config keys: `name` (`"mean_squared_error"`), `reduction` (`"sum_over_batch_size"`),
/// `dtype` (read, not written back, as in Keras).
#[derive(Clone, Debug, PartialEq)]
pub struct MeanSquaredError {
    pub base: LossBase,
}

impl Default for MeanSquaredError {
    fn default() -> Self {
        MeanSquaredError { base: LossBase::new("mean_squared_error") }
    }
}

impl MeanSquaredError {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_reduction(mut self, reduction: Reduction) -> Self {
        self.base.reduction = reduction;
        self
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Self> {
        let mut r = ConfigReader::new("MeanSquaredError", config);
        let base = LossBase::read(&mut r, "mean_squared_error")?;
        r.finish()?;
        Ok(MeanSquaredError { base })
    }
}

/// `keras.losses.mean_squared_error(y_true, y_pred)`: the per-sample values.
pub fn mean_squared_error<'g>(y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
    const CLASS: &str = "MeanSquaredError";
    let y_true = y_true.cast(y_pred.dtype())?;
    let (y_true, y_pred) = squeeze_or_expand_to_same_rank(y_true, y_pred)?;
    if y_pred.rank() == 0 && y_true.rank() == 0 {
        return Err(Error::arg(
            CLASS,
            format!("{CLASS}: inputs must have rank 1 or more (the mean is over the last axis), got scalars"),
        ));
    }
    check_broadcast(CLASS, "`y_true` and `y_pred`", y_true, y_pred)?;
    y_true.sub(y_pred)?.square()?.mean(&[-1], false)
}

impl Loss for MeanSquaredError {
    fn class_name(&self) -> &'static str {
        "MeanSquaredError"
    }
    fn base(&self) -> &LossBase {
        &self.base
    }
    fn config(&self) -> Map<String, Value> {
        self.base.config()
    }
    fn call<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        let (y_true, y_pred) = squeeze_or_expand_to_same_rank(y_true, y_pred)?;
        mean_squared_error(y_true, y_pred)
    }
}
