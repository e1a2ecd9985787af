//! `keras.constraints`: projections applied to a weight after each optimizer update.
//!
//! A constraint is attached to a weight when a layer creates it
//! ([`crate::layers::LayerCommon::add_weight_with`]); every optimizer applies it to the
//! variable's new value in the same step (so on the GPU it is part of the one submit).

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::graph::Sym;

/// One constraint class with its arguments.
pub trait Constraint: Send + Sync + std::fmt::Debug {
    /// Keras's class name, e.g. `"MaxNorm"`.
    fn class_name(&self) -> &'static str;
    /// The projected value of `w`.
    fn call<'g>(&self, w: Sym<'g>) -> Result<Sym<'g>>;
    /// Keras's `get_config()`.
    fn config(&self) -> Map<String, Value>;
}

/// Keras's serialized form `{"module", "class_name", "config", "registered_name"}`.
pub fn serialize(c: &dyn Constraint) -> Value {
    serde_json::json!({
        "module": "keras.constraints",
        "class_name": c.class_name(),
        "config": Value::Object(c.config()),
        "registered_name": Value::Null,
    })
}

/// `serialize` for an optional constraint (`null` when none), as layer configs write it.
pub fn serialize_option(c: &Option<Arc<dyn Constraint>>) -> Value {
    c.as_deref().map_or(Value::Null, serialize)
}

/// The constraint a layer config names: `null` (none), a name (`"non_neg"`) or a serialized
/// object.
pub fn get(v: &Value) -> Result<Option<Arc<dyn Constraint>>> {
    let (name, config) = match v {
        Value::Null => return Ok(None),
        Value::String(s) => (s.as_str(), Map::new()),
        Value::Object(o) => {
            let name = o.get("class_name").and_then(Value::as_str).ok_or_else(|| {
                Error::arg("constraints.get", format!("could not interpret constraint identifier {v}"))
            })?;
            let config = match o.get("config") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(c)) => c.clone(),
                Some(other) => {
                    return Err(Error::arg(
                        "constraints.get",
                        format!("{name}: the config must be an object, got {other}"),
                    ))
                }
            };
            (name, config)
        }
        other => {
            return Err(Error::arg(
                "constraints.get",
                format!("could not interpret constraint identifier {other}"),
            ))
        }
    };
    from_config(name, &config).map(Some)
}

/// The classes (and snake-case aliases) [`get`] knows.
pub const NAMES: [&str; 0] = [];

/// Builds a constraint from its class name (or alias) and config.
pub fn from_config(name: &str, _config: &Map<String, Value>) -> Result<Arc<dyn Constraint>> {
    Err(Error::arg("constraints.get", format!("unknown constraint {name:?}; known: {}", NAMES.join(", "))))
}
