//! The one entry point from a Keras identifier to an object: a Keras serialized object
//! `{"module", "class_name", "config", "registered_name"}` is routed by its module to the family
//! that builds it (layers, losses, metrics, optimizers, initializers, activations, regularizers,
//! constraints, learning-rate schedules), and a string
//! identifier is looked up in the family the caller names. Each family's own `get` holds its
//! table of names, so the lists stay next to the classes they build.

use std::sync::Arc;

use serde_json::Value;

use crate::activations::Activation;
use crate::constraints::{self, Constraint};
use crate::error::{Error, Result};
use crate::initializers::{self, Initializer};
use crate::layers::{self, LayerRef};
use crate::losses::{self, Loss};
use crate::metrics::{self, Metric};
use crate::optimizers::schedules::{self, LearningRateSchedule};
use crate::optimizers::{self, Optimizer};
use crate::regularizers::{self, Regularizer};

/// The families of Keras objects the registry builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Layer,
    Loss,
    Metric,
    Optimizer,
    Initializer,
    Activation,
    Regularizer,
    Constraint,
    Schedule,
}

impl Family {
    pub const ALL: [Family; 9] = [
        Family::Layer,
        Family::Loss,
        Family::Metric,
        Family::Optimizer,
        Family::Initializer,
        Family::Activation,
        Family::Regularizer,
        Family::Constraint,
        Family::Schedule,
    ];

    /// The Keras module of the family (`keras.layers`, ...).
    pub fn module(self) -> &'static str {
        match self {
            Family::Layer => "keras.layers",
            Family::Loss => "keras.losses",
            Family::Metric => "keras.metrics",
            Family::Optimizer => "keras.optimizers",
            Family::Initializer => "keras.initializers",
            Family::Activation => "keras.activations",
            Family::Regularizer => "keras.regularizers",
            Family::Constraint => "keras.constraints",
            Family::Schedule => "keras.optimizers.schedules",
        }
    }

    /// The family of a serialized object's `module` (`keras.src.losses.losses` counts too).
    pub fn of_module(module: &str) -> Option<Family> {
        let m = module.strip_prefix("keras.src.").or_else(|| module.strip_prefix("keras.")).unwrap_or(module);
        if m.starts_with("optimizers.schedules") {
            return Some(Family::Schedule);
        }
        let head = m.split('.').next().unwrap_or("");
        Family::ALL.into_iter().find(|f| f.module().trim_start_matches("keras.") == head)
    }
}

/// A built Keras object.
pub enum KerasObject {
    Layer(LayerRef),
    Loss(Box<dyn Loss>),
    Metric(Box<dyn Metric>),
    Optimizer(Box<dyn Optimizer>),
    Initializer(Box<dyn Initializer>),
    Activation(Activation),
    Regularizer(Arc<dyn Regularizer>),
    Constraint(Arc<dyn Constraint>),
    Schedule(Arc<dyn LearningRateSchedule>),
}

/// Builds an object of `family` from a string identifier or a serialized object.
pub fn get(family: Family, identifier: &Value) -> Result<KerasObject> {
    Ok(match family {
        Family::Layer => KerasObject::Layer(layers::deserialize(identifier)?),
        Family::Loss => KerasObject::Loss(losses::get(identifier)?),
        Family::Metric => KerasObject::Metric(metrics::get(identifier)?),
        Family::Optimizer => KerasObject::Optimizer(optimizers::get(identifier)?),
        Family::Initializer => KerasObject::Initializer(initializers::get(identifier)?),
        Family::Activation => KerasObject::Activation(Activation::from_value(identifier)?),
        Family::Regularizer => KerasObject::Regularizer(
            regularizers::get(identifier)?
                .ok_or_else(|| Error::arg("regularizers.get", "null names no regularizer"))?,
        ),
        Family::Constraint => KerasObject::Constraint(
            constraints::get(identifier)?
                .ok_or_else(|| Error::arg("constraints.get", "null names no constraint"))?,
        ),
        Family::Schedule => KerasObject::Schedule(schedules::deserialize(identifier)?),
    })
}

/// Builds a serialized Keras object, finding its family from its `module`.
pub fn deserialize(serialized: &Value) -> Result<KerasObject> {
    let module = serialized.get("module").and_then(|m| m.as_str()).ok_or_else(|| {
        Error::arg(
            "registry.deserialize",
            format!("a serialized Keras object needs a \"module\" string, got {serialized}"),
        )
    })?;
    let family = Family::of_module(module).ok_or_else(|| {
        let known: Vec<&str> = Family::ALL.iter().map(|f| f.module()).collect();
        Error::arg("registry.deserialize", format!("unknown module {module:?}; known: {}", known.join(", ")))
    })?;
    get(family, serialized)
}

/// A small-object identifier as layer configs write it (a regularizer, a constraint): `null`
/// (none), a name, or a serialized object; gives the class name (or alias) and the config.
pub fn split_identifier(
    op: &'static str,
    what: &str,
    v: &Value,
) -> Result<Option<(String, serde_json::Map<String, Value>)>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some((s.clone(), serde_json::Map::new()))),
        Value::Object(o) => {
            let name = o
                .get("class_name")
                .and_then(Value::as_str)
                .ok_or_else(|| Error::arg(op, format!("could not interpret {what} identifier {v}")))?;
            let config = match o.get("config") {
                None | Some(Value::Null) => serde_json::Map::new(),
                Some(Value::Object(c)) => c.clone(),
                Some(other) => {
                    return Err(Error::arg(op, format!("{name}: the config must be an object, got {other}")))
                }
            };
            Ok(Some((name.to_string(), config)))
        }
        other => Err(Error::arg(op, format!("could not interpret {what} identifier {other}"))),
    }
}
