//! `keras.losses`: loss classes with Keras's config keys, reductions and sample weighting.

use serde_json::{Map, Value};
use wgkeras_runtime::Tensor;

use crate::error::Result;
use crate::graph::Sym;

/// Keras's loss reductions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduction {
    SumOverBatchSize,
    Sum,
    Mean,
    MeanWithSampleWeight,
    None,
}

pub trait Loss: Send + Sync {
    fn class_name(&self) -> &'static str;
    fn name(&self) -> &str;
    fn reduction(&self) -> Reduction;
    /// Keras's `get_config()`.
    fn config(&self) -> Map<String, Value>;
    /// The unreduced values (Keras's `call`): one per sample (and per extra leading position).
    fn call<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>>;
}

/// Keras's `Loss.__call__`: `call`, then sample weighting and the reduction.
pub fn compute<'g>(loss: &dyn Loss, y_true: Sym<'g>, y_pred: Sym<'g>, sample_weight: Option<Sym<'g>>) -> Result<Sym<'g>> {
    let _ = (loss, y_true, y_pred, sample_weight);
    Err(crate::error::Error::arg("losses", "not built yet"))
}

/// Evaluates a loss eagerly on tensors (one device).
pub fn evaluate(loss: &dyn Loss, y_true: &Tensor, y_pred: &Tensor, sample_weight: Option<&Tensor>) -> Result<Tensor> {
    let _ = (loss, y_true, y_pred, sample_weight);
    Err(crate::error::Error::arg("losses", "not built yet"))
}

/// Builds a loss from a string identifier or a Keras serialized object.
pub fn get(identifier: &Value) -> Result<Box<dyn Loss>> {
    Err(crate::error::Error::arg("losses.get", format!("unknown loss {identifier}")))
}
