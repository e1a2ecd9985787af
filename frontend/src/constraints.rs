//! `keras.constraints`: projections applied to a weight after each optimizer update.
//!
//! A constraint is attached to a weight when a layer creates it
//! ([`crate::layers::LayerCommon::add_weight_with`]); every optimizer applies it to the
//! variable's new value in the same step (so on the GPU it is part of the one submit).

use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::error::{Error, Result};
use crate::graph::Sym;
use crate::optimizers::args::ConfigArgs;

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
    match crate::registry::split_identifier("constraints.get", "constraint", v)? {
        None => Ok(None),
        Some((name, config)) => from_config(&name, &config).map(Some),
    }
}

/// The classes (and snake-case aliases) [`get`] knows, as Keras's `ALL_OBJECTS_DICT` has them.
pub const NAMES: [&str; 10] = [
    "Constraint",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "constraint",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "unit_norm",
];

/// Builds a constraint from its class name (or alias) and config.
pub fn from_config(name: &str, config: &Map<String, Value>) -> Result<Arc<dyn Constraint>> {
    Ok(match name {
        "MaxNorm" | "max_norm" => {
            let a = ConfigArgs::new("MaxNorm", config);
            let max_value = number_arg(&a, config, "max_value", json!(2))?;
            let axis = Axis::read(&a, config)?;
            a.finish()?;
            Arc::new(MaxNorm { max_value, axis })
        }
        "MinMaxNorm" | "min_max_norm" => {
            let a = ConfigArgs::new("MinMaxNorm", config);
            let min_value = number_arg(&a, config, "min_value", json!(0.0))?;
            let max_value = number_arg(&a, config, "max_value", json!(1.0))?;
            let rate = number_arg(&a, config, "rate", json!(1.0))?;
            let axis = Axis::read(&a, config)?;
            a.finish()?;
            Arc::new(MinMaxNorm { min_value, max_value, rate, axis })
        }
        "UnitNorm" | "unit_norm" => {
            let a = ConfigArgs::new("UnitNorm", config);
            let axis = Axis::read(&a, config)?;
            a.finish()?;
            Arc::new(UnitNorm { axis })
        }
        "NonNeg" | "non_neg" => {
            ConfigArgs::new("NonNeg", config).finish()?;
            Arc::new(NonNeg)
        }
        "Constraint" | "constraint" => {
            ConfigArgs::new("Constraint", config).finish()?;
            Arc::new(NoConstraint)
        }
        other => {
            return Err(Error::arg(
                "constraints.get",
                format!("Could not interpret constraint identifier: {other:?}; known: {}", NAMES.join(", ")),
            ))
        }
    })
}

/// A number argument, kept as the JSON it was given (Keras stores it unchanged, so
/// `MaxNorm(3)` has the config `{"max_value": 3}`).
#[derive(Clone, Debug)]
pub struct Number {
    pub value: f64,
    json: Value,
}

impl Number {
    pub fn new(value: f64) -> Number {
        Number { value, json: json!(value) }
    }
}

fn number_arg(a: &ConfigArgs<'_>, config: &Map<String, Value>, key: &str, default: Value) -> Result<Number> {
    let v = match a.get(key) {
        None if !config.contains_key(key) => default,
        Some(v @ Value::Number(_)) => v.clone(),
        Some(v) => return Err(a.error(key, format!("expected a number, got {v}"))),
        None => return Err(a.error(key, "expected a number, got null")),
    };
    let value = v.as_f64().ok_or_else(|| a.error(key, format!("expected a number, got {v}")))?;
    Ok(Number { value, json: v })
}

/// The `axis` of a norm constraint: one axis, a list, or `None` (all axes), default 0.
#[derive(Clone, Debug)]
pub struct Axis {
    axes: Option<Vec<i64>>,
    json: Value,
}

impl Axis {
    pub fn new(axis: i64) -> Axis {
        Axis { axes: Some(vec![axis]), json: json!(axis) }
    }

    pub fn list(axes: &[i64]) -> Axis {
        Axis { axes: Some(axes.to_vec()), json: json!(axes) }
    }

    fn read(a: &ConfigArgs<'_>, config: &Map<String, Value>) -> Result<Axis> {
        let v = match a.get("axis") {
            None if !config.contains_key("axis") => return Ok(Axis::new(0)),
            None => return Ok(Axis { axes: None, json: Value::Null }),
            Some(v) => v.clone(),
        };
        let bad = || a.error("axis", format!("expected an integer or a list of integers, got {v}"));
        let axes = match &v {
            Value::Number(n) => vec![n.as_i64().ok_or_else(bad)?],
            Value::Array(items) => items.iter().map(|i| i.as_i64().ok_or_else(bad)).collect::<Result<_>>()?,
            _ => return Err(bad()),
        };
        Ok(Axis { axes: Some(axes), json: v })
    }

    /// `sqrt(sum(w^2, axis, keepdims=True))`.
    fn norms<'g>(&self, w: Sym<'g>) -> Result<Sym<'g>> {
        let all: Vec<i64>;
        let axes = match &self.axes {
            Some(a) => a.as_slice(),
            None => {
                all = (0..w.rank() as i64).collect();
                &all
            }
        };
        w.square()?.sum(axes, true)?.sqrt()
    }
}

fn float_input<'g>(class: &'static str, w: Sym<'g>) -> Result<Sym<'g>> {
    if w.dtype().is_float() {
        Ok(w)
    } else {
        w.cast(crate::config::floatx_dtype()).map_err(|e| Error::arg(class, e.to_string()))
    }
}

/// `keras.backend.epsilon()`.
const EPSILON: f64 = 1e-7;

// ---------------------------------------------------------------------------------------------
// classes
// ---------------------------------------------------------------------------------------------

/// Rescales each slice along `axis` whose L2 norm exceeds `max_value` (default 2, axis 0):
/// `w * clip(norm, 0, max_value) / (epsilon + norm)`.
#[derive(Clone, Debug)]
pub struct MaxNorm {
    pub max_value: Number,
    pub axis: Axis,
}

impl Constraint for MaxNorm {
    fn class_name(&self) -> &'static str {
        "MaxNorm"
    }
    fn call<'g>(&self, w: Sym<'g>) -> Result<Sym<'g>> {
        let w = float_input("MaxNorm", w)?;
        let norms = self.axis.norms(w)?;
        let desired = norms.clip(0.0, self.max_value.value)?;
        w.mul(desired.div(norms.add_scalar(EPSILON)?)?)
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("max_value".into(), self.max_value.json.clone());
        m.insert("axis".into(), self.axis.json.clone());
        m
    }
}

/// Moves each slice's norm toward `[min_value, max_value]` at `rate` (defaults 0, 1, 1, axis 0):
/// `w * (rate * clip(norm, min, max) + (1 - rate) * norm) / (epsilon + norm)`.
#[derive(Clone, Debug)]
pub struct MinMaxNorm {
    pub min_value: Number,
    pub max_value: Number,
    pub rate: Number,
    pub axis: Axis,
}

impl Constraint for MinMaxNorm {
    fn class_name(&self) -> &'static str {
        "MinMaxNorm"
    }
    fn call<'g>(&self, w: Sym<'g>) -> Result<Sym<'g>> {
        let w = float_input("MinMaxNorm", w)?;
        let norms = self.axis.norms(w)?;
        let rate = self.rate.value;
        let desired = norms
            .clip(self.min_value.value, self.max_value.value)?
            .mul_scalar(rate)?
            .add(norms.mul_scalar(1.0 - rate)?)?;
        w.mul(desired.div(norms.add_scalar(EPSILON)?)?)
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("min_value".into(), self.min_value.json.clone());
        m.insert("max_value".into(), self.max_value.json.clone());
        m.insert("rate".into(), self.rate.json.clone());
        m.insert("axis".into(), self.axis.json.clone());
        m
    }
}

/// Scales each slice along `axis` (default 0) to unit norm: `w / (epsilon + norm)`.
#[derive(Clone, Debug)]
pub struct UnitNorm {
    pub axis: Axis,
}

impl Constraint for UnitNorm {
    fn class_name(&self) -> &'static str {
        "UnitNorm"
    }
    fn call<'g>(&self, w: Sym<'g>) -> Result<Sym<'g>> {
        let w = float_input("UnitNorm", w)?;
        let norms = self.axis.norms(w)?;
        w.div(norms.add_scalar(EPSILON)?)
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("axis".into(), self.axis.json.clone());
        m
    }
}

/// `maximum(w, 0)`.
#[derive(Clone, Debug)]
pub struct NonNeg;

impl Constraint for NonNeg {
    fn class_name(&self) -> &'static str {
        "NonNeg"
    }
    fn call<'g>(&self, w: Sym<'g>) -> Result<Sym<'g>> {
        w.maximum_scalar(0.0)
    }
    fn config(&self) -> Map<String, Value> {
        Map::new()
    }
}

/// Keras's base `Constraint`: the identity.
#[derive(Clone, Debug)]
pub struct NoConstraint;

impl Constraint for NoConstraint {
    fn class_name(&self) -> &'static str {
        "Constraint"
    }
    fn call<'g>(&self, w: Sym<'g>) -> Result<Sym<'g>> {
        Ok(w)
    }
    fn config(&self) -> Map<String, Value> {
        Map::new()
    }
}
