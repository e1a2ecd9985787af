//! `keras.metrics`: stateful metrics whose state lives in variables on the model's device, so a
//! train step updates them without a readback.

use serde_json::{Map, Value};

use crate::error::Result;
use crate::graph::{Graph, Sym};
use crate::variable::Variable;

pub trait Metric: Send + Sync {
    fn class_name(&self) -> &'static str;
    fn name(&self) -> &str;
    /// Keras's `get_config()`.
    fn config(&self) -> Map<String, Value>;
    /// The state variables (created on the CPU; a model moves them to its device).
    fn variables(&self) -> Vec<Variable>;
    /// The new values of the state variables after `update_state(y_true, y_pred, sample_weight)`.
    fn update<'g>(
        &self,
        graph: &'g Graph,
        y_true: Sym<'g>,
        y_pred: Sym<'g>,
        sample_weight: Option<Sym<'g>>,
    ) -> Result<Vec<(Variable, Sym<'g>)>>;
    /// `result()`, read from the state (a readback on the GPU).
    fn result(&self) -> Result<f64>;
    /// `reset_state()`.
    fn reset(&self) -> Result<()>;
}

/// Builds a metric from a string identifier or a Keras serialized object.
pub fn get(identifier: &Value) -> Result<Box<dyn Metric>> {
    Err(crate::error::Error::arg("metrics.get", format!("unknown metric {identifier}")))
}
