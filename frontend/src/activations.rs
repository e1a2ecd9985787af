//! `keras.activations`: functions applied to symbolic tensors, named by string in layer
//! configs (`"relu"`, `"softmax"`).
//!
//! | name | function |
//! |---|---|
//! | `linear` | `x` |
//! | `relu` | `max(x, 0)`; with [`Activation::relu_with`], Keras's `negative_slope`, `max_value`, `threshold` |
//! | `sigmoid` | `1 / (1 + exp(-x))` |
//! | `tanh` | `tanh(x)` |
//! | `softmax` | `exp(x) / sum(exp(x), axis)` (stable: the max along `axis` is subtracted first) |
//!
//! In a layer config Keras writes a built-in activation as its plain name (`"activation":
//! "relu"`); [`Activation::serialize`] does the same and [`Activation::from_value`] reads it back
//! (also from `null`, meaning `linear`, and from a serialized function object).

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::graph::Sym;

/// An activation function with its arguments.
#[derive(Clone, Debug, PartialEq)]
pub enum Activation {
    Linear,
    /// `relu` with Keras's defaults (`negative_slope=0`, `max_value=None`, `threshold=0`).
    Relu,
    /// `keras.activations.relu(x, negative_slope, max_value, threshold)` with other arguments.
    ReluWith {
        negative_slope: f64,
        max_value: Option<f64>,
        threshold: f64,
    },
    Sigmoid,
    Tanh,
    Softmax {
        axis: i64,
    },
}

/// The names [`Activation::get`] knows.
pub const NAMES: [&str; 5] = ["linear", "relu", "sigmoid", "tanh", "softmax"];

impl Activation {
    /// From Keras's name for it.
    pub fn get(name: &str) -> Result<Activation> {
        Ok(match name {
            "linear" => Activation::Linear,
            "relu" => Activation::Relu,
            "sigmoid" => Activation::Sigmoid,
            "tanh" => Activation::Tanh,
            "softmax" => Activation::Softmax { axis: -1 },
            other => {
                return Err(Error::arg(
                    "activations.get",
                    format!(
                        "could not interpret activation function identifier {other:?}; known: {}",
                        NAMES.join(", ")
                    ),
                ))
            }
        })
    }

    /// From a layer config's `activation` value: a name, `null` (`linear`), or a serialized
    /// function (`{"class_name": "function", "config": "relu", ...}`).
    pub fn from_value(v: &Value) -> Result<Activation> {
        match v {
            Value::Null => Ok(Activation::Linear),
            Value::String(s) => Activation::get(s),
            Value::Object(o) => match (o.get("class_name").and_then(Value::as_str), o.get("config")) {
                (Some("function"), Some(Value::String(name))) => Activation::get(name),
                _ => Err(Error::arg(
                    "activations.get",
                    format!(
                        "could not interpret activation function identifier {v}; known: {}",
                        NAMES.join(", ")
                    ),
                )),
            },
            other => Err(Error::arg(
                "activations.get",
                format!(
                    "could not interpret activation function identifier {other}; known: {}",
                    NAMES.join(", ")
                ),
            )),
        }
    }

    /// `keras.activations.<name>(x, **kwargs)`'s function: `relu` takes `negative_slope`,
    /// `max_value`, `threshold`; `softmax` takes `axis`; the others take none.
    pub fn with_kwargs(name: &str, kwargs: &Map<String, Value>) -> Result<Activation> {
        let base = Activation::get(name)?;
        let op = "activations.get";
        let num = |k: &str, v: &Value| {
            v.as_f64().ok_or_else(|| {
                Error::arg(op, format!("activation {name:?}: `{k}` must be a number, got {v}"))
            })
        };
        let unknown = |k: &str, allowed: &str| {
            Error::arg(op, format!("activation {name:?}: unknown argument `{k}`; accepted: {allowed}"))
        };
        match base {
            Activation::Relu => {
                let (mut ns, mut mv, mut th) = (0.0, None, 0.0);
                for (k, v) in kwargs {
                    match k.as_str() {
                        "negative_slope" => ns = num(k, v)?,
                        "max_value" => mv = if v.is_null() { None } else { Some(num(k, v)?) },
                        "threshold" => th = num(k, v)?,
                        _ => return Err(unknown(k, "negative_slope, max_value, threshold")),
                    }
                }
                Ok(Activation::relu_with(ns, mv, th))
            }
            Activation::Softmax { .. } => {
                let mut axis = -1;
                for (k, v) in kwargs {
                    match k.as_str() {
                        "axis" => {
                            axis = v.as_i64().ok_or_else(|| {
                                Error::arg(
                                    op,
                                    format!("activation {name:?}: `axis` must be an integer, got {v}"),
                                )
                            })?
                        }
                        _ => return Err(unknown(k, "axis")),
                    }
                }
                Ok(Activation::Softmax { axis })
            }
            other => match kwargs.keys().next() {
                Some(k) => Err(unknown(k, "none")),
                None => Ok(other),
            },
        }
    }

    /// `relu` with Keras's arguments: plain [`Activation::Relu`] for the defaults.
    pub fn relu_with(negative_slope: f64, max_value: Option<f64>, threshold: f64) -> Activation {
        if negative_slope == 0.0 && max_value.is_none() && threshold == 0.0 {
            Activation::Relu
        } else {
            Activation::ReluWith { negative_slope, max_value, threshold }
        }
    }

    /// Keras's name (what a layer config stores).
    pub fn name(&self) -> &'static str {
        match self {
            Activation::Linear => "linear",
            Activation::Relu | Activation::ReluWith { .. } => "relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Softmax { .. } => "softmax",
        }
    }

    /// Keras's `activations.serialize`: the plain name of a built-in.
    pub fn serialize(&self) -> Value {
        Value::from(self.name())
    }

    pub fn apply<'g>(&self, x: Sym<'g>) -> Result<Sym<'g>> {
        match self {
            Activation::Linear => Ok(x),
            Activation::Relu => x.relu(),
            Activation::ReluWith { negative_slope, max_value, threshold } => {
                relu_general(x, *negative_slope, *max_value, *threshold)
            }
            Activation::Sigmoid => x.sigmoid(),
            Activation::Tanh => x.tanh(),
            Activation::Softmax { axis } => {
                // Along an empty axis the result is empty: nothing to normalize (the max of an
                // empty axis has no identity, so the stable form cannot run).
                let a = x.axis("softmax", *axis)?;
                if x.shape()[a] == Some(0) {
                    return Ok(x);
                }
                x.softmax(*axis)
            }
        }
    }
}

/// Keras's `ReLU.static_call`, step for step.
fn relu_general<'g>(
    x: Sym<'g>,
    negative_slope: f64,
    max_value: Option<f64>,
    threshold: f64,
) -> Result<Sym<'g>> {
    let zero = x.scalar_like(0.0)?;
    let mut negative_part = None;
    if negative_slope != 0.0 {
        if max_value.is_none() && threshold == 0.0 {
            // leaky_relu: where(x >= 0, x, slope * x).
            return x.greater_equal(zero)?.select(x, x.mul_scalar(negative_slope)?);
        }
        let nx = x.neg()?;
        negative_part = Some(if threshold != 0.0 { nx.add_scalar(threshold)?.relu()? } else { nx.relu()? });
    }
    let mut y;
    let mut clip_max = max_value.is_some();
    if threshold != 0.0 {
        y = x.greater(x.scalar_like(threshold)?)?.select(x, zero)?;
    } else if max_value == Some(6.0) {
        y = x.relu()?.minimum_scalar(6.0)?;
        clip_max = false;
    } else {
        y = x.relu()?;
    }
    if let (true, Some(m)) = (clip_max, max_value) {
        y = y.clip(0.0, m)?;
    }
    if let Some(n) = negative_part {
        y = y.sub(n.mul_scalar(negative_slope)?)?;
    }
    Ok(y)
}
