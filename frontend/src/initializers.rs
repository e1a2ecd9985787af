//! `keras.initializers`: the starting values of weights. Each has Keras's class name and
//! config keys; seeds come from the runtime's Philox generator (through `utils::rng` when no
//! seed is given), so a seeded program gives the same weights on every device.

use serde_json::{Map, Value};
use wgkeras_runtime::{DType, Device, Tensor};

use crate::error::Result;

pub trait Initializer: Send + Sync {
    fn class_name(&self) -> &'static str;
    /// Keras's `get_config()`.
    fn config(&self) -> Map<String, Value>;
    /// A new tensor of `dims`.
    fn init(&self, dims: &[usize], dtype: DType, device: &Device) -> Result<Tensor>;
}

/// Builds an initializer from a string identifier (`"glorot_uniform"`, `"zeros"`) or a Keras
/// serialized object. Filled by the initializers work.
pub fn get(identifier: &Value) -> Result<Box<dyn Initializer>> {
    Err(crate::error::Error::arg("initializers.get", format!("unknown initializer {identifier}")))
}

/// Keras's serialized form of an initializer.
pub fn serialize(init: &dyn Initializer) -> Value {
    serde_json::json!({
        "module": "keras.initializers",
        "class_name": init.class_name(),
        "config": Value::Object(init.config()),
        "registered_name": Value::Null,
    })
}
