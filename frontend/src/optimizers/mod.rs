//! `keras.optimizers`: each optimizer's update rule as graph ops, so a train step computes the
//! new weights and slots on the device.

use serde_json::{Map, Value};

use crate::error::Result;
use crate::graph::{Graph, Sym};
use crate::variable::Variable;

pub trait Optimizer: Send + Sync {
    fn class_name(&self) -> &'static str;
    /// Keras's `get_config()`.
    fn config(&self) -> Map<String, Value>;
    /// Every optimizer state variable (iterations, learning rate, slots).
    fn variables(&self) -> Vec<Variable>;
    /// The updates (variable <- new value, slots and iteration count included) that apply
    /// `grads` to `vars`, as Keras's `apply_gradients` does.
    fn apply_gradients<'g>(&self, graph: &'g Graph, pairs: &[(Variable, Sym<'g>)]) -> Result<Vec<(Variable, Sym<'g>)>>;
}

/// Builds an optimizer from a string identifier or a Keras serialized object.
pub fn get(identifier: &Value) -> Result<Box<dyn Optimizer>> {
    Err(crate::error::Error::arg("optimizers.get", format!("unknown optimizer {identifier}")))
}
