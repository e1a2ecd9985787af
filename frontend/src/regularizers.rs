//! `keras.regularizers`: penalties on a weight (or a layer's output) added to the training loss.
//!
//! A regularizer is attached to a weight when a layer creates it
//! ([`crate::layers::LayerCommon::add_weight_with`]); a model adds the penalty of every
//! trainable weight that has one, once per step, and the `activity_regularizer` penalty of each
//! layer output divided by the batch size (Keras's `Layer.__call__`).

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::graph::Sym;

/// One regularizer class with its arguments.
pub trait Regularizer: Send + Sync + std::fmt::Debug {
    /// Keras's class name, e.g. `"L2"`.
    fn class_name(&self) -> &'static str;
    /// The penalty for `x`: a scalar of x's dtype.
    fn call<'g>(&self, x: Sym<'g>) -> Result<Sym<'g>>;
    /// Keras's `get_config()`.
    fn config(&self) -> Map<String, Value>;
}

/// Keras's serialized form `{"module", "class_name", "config", "registered_name"}`.
pub fn serialize(r: &dyn Regularizer) -> Value {
    serde_json::json!({
        "module": "keras.regularizers",
        "class_name": r.class_name(),
        "config": Value::Object(r.config()),
        "registered_name": Value::Null,
    })
}

/// `serialize` for an optional regularizer (`null` when none), as layer configs write it.
pub fn serialize_option(r: &Option<Arc<dyn Regularizer>>) -> Value {
    r.as_deref().map_or(Value::Null, serialize)
}

/// The regularizer a layer config names: `null` (none), a name (`"l2"`) or a serialized object.
pub fn get(v: &Value) -> Result<Option<Arc<dyn Regularizer>>> {
    let (name, config) = match v {
        Value::Null => return Ok(None),
        Value::String(s) => (s.as_str(), Map::new()),
        Value::Object(o) => {
            let name = o.get("class_name").and_then(Value::as_str).ok_or_else(|| {
                Error::arg("regularizers.get", format!("could not interpret regularizer identifier {v}"))
            })?;
            let config = match o.get("config") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(c)) => c.clone(),
                Some(other) => {
                    return Err(Error::arg(
                        "regularizers.get",
                        format!("{name}: the config must be an object, got {other}"),
                    ))
                }
            };
            (name, config)
        }
        other => {
            return Err(Error::arg(
                "regularizers.get",
                format!("could not interpret regularizer identifier {other}"),
            ))
        }
    };
    from_config(name, &config).map(Some)
}

/// The classes (and lower-case aliases) [`get`] knows.
pub const NAMES: [&str; 0] = [];

/// Builds a regularizer from its class name (or alias) and config.
pub fn from_config(name: &str, _config: &Map<String, Value>) -> Result<Arc<dyn Regularizer>> {
    Err(Error::arg("regularizers.get", format!("unknown regularizer {name:?}; known: {}", NAMES.join(", "))))
}
