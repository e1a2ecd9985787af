//! `keras.activations`: functions applied to symbolic tensors, named by string in layer
//! configs (`"relu"`, `"softmax"`), with Keras 3.15.1's names, aliases (`swish` = `silu`,
//! `hard_swish` = `hard_silu`), keyword arguments and defaults.
//!
//! | name | arguments (default) | function |
//! |---|---|---|
//! | `celu` | `alpha` (1.0) | `max(x, 0) + alpha * expm1(min(x, 0) / alpha)` |
//! | `elu` | `alpha` (1.0) | `x > 0 ? x : alpha * expm1(x)` |
//! | `exponential` | | `exp(x)` |
//! | `gelu` | `approximate` (false) | `x * Phi(x)`, or the tanh approximation |
//! | `glu` | `axis` (-1) | `a * sigmoid(b)` for the two halves `a, b` of `x` along `axis` |
//! | `hard_shrink` | `threshold` (0.5) | `abs(x) > threshold ? x : 0` |
//! | `hard_sigmoid` | | `relu6(x + 3) / 6` |
//! | `hard_silu`, `hard_swish` | | `x * hard_sigmoid(x)` |
//! | `hard_tanh` | | `clip(x, -1, 1)` |
//! | `leaky_relu` | `negative_slope` (0.2) | `x >= 0 ? x : negative_slope * x` |
//! | `linear` | | `x` |
//! | `log_sigmoid` | | `-softplus(-x)` |
//! | `log_softmax` | `axis` (-1; an int or a list) | `x - logsumexp(x, axis)` |
//! | `mish` | | `x * tanh(softplus(x))` |
//! | `relu` | `negative_slope` (0), `max_value` (None), `threshold` (0) | Keras's `ReLU.static_call` |
//! | `relu6` | | `min(max(x, 0), 6)` |
//! | `selu` | | `scale * elu(x, alpha)` with SELU's constants |
//! | `sigmoid` | | `1 / (1 + exp(-x))` |
//! | `silu`, `swish` | | `x * sigmoid(x)` |
//! | `soft_shrink` | `threshold` (0.5) | `x - threshold`, `x + threshold` or 0 |
//! | `softmax` | `axis` (-1; an int or a list) | `exp(x) / sum(exp(x), axis)`, stable |
//! | `softplus` | | `log(1 + exp(x))`, stable |
//! | `softsign` | | `x / (abs(x) + 1)` |
//! | `sparse_plus` | | `0`, `(x + 1)^2 / 4` or `x` (kinks at -1 and 1) |
//! | `sparse_sigmoid` | | `clip(x + 1, 0, 2) / 2` |
//! | `sparsemax` | `axis` (-1) | Keras's sparsemax (see [`functions::sparsemax`]) |
//! | `squareplus` | `b` (4) | `(x + sqrt(x^2 + b)) / 2` |
//! | `tanh` | | `tanh(x)` |
//! | `tanh_shrink` | | `x - tanh(x)` |
//! | `threshold` | `threshold`, `default_value` (both required) | `x > threshold ? x : default_value` |
//!
//! In a layer config Keras writes a built-in activation as its plain (canonical) name
//! (`"activation": "relu"`, `"silu"` for `swish`); [`Activation::serialize`] does the same and
//! [`Activation::from_value`] reads it back (also from `null`, meaning `linear`, and from a
//! serialized function object).

pub mod functions;

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
    LeakyRelu {
        negative_slope: f64,
    },
    Relu6,
    Sigmoid,
    Tanh,
    Softmax {
        axis: i64,
    },
    /// `softmax` over several axes at once (Keras's tuple `axis`).
    SoftmaxAxes {
        axes: Vec<i64>,
    },
    LogSoftmax {
        axis: i64,
    },
    LogSoftmaxAxes {
        axes: Vec<i64>,
    },
    Celu {
        alpha: f64,
    },
    Elu {
        alpha: f64,
    },
    Selu,
    Exponential,
    Gelu {
        approximate: bool,
    },
    Glu {
        axis: i64,
    },
    HardShrink {
        threshold: f64,
    },
    HardSigmoid,
    HardSilu,
    HardTanh,
    LogSigmoid,
    Mish,
    Silu,
    SoftShrink {
        threshold: f64,
    },
    Softplus,
    Softsign,
    SparsePlus,
    SparseSigmoid,
    Sparsemax {
        axis: i64,
    },
    Squareplus {
        b: f64,
    },
    TanhShrink,
    Threshold {
        threshold: f64,
        default_value: f64,
    },
}

/// The names [`Activation::get`] knows (Keras's `ALL_OBJECTS_DICT`, aliases included).
pub const NAMES: &[&str] = &[
    "celu",
    "elu",
    "exponential",
    "gelu",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "swish",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "tanh",
    "tanh_shrink",
    "threshold",
];

/// The keyword arguments each activation accepts (besides `x`).
fn accepted(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "relu" => &["negative_slope", "max_value", "threshold"],
        "leaky_relu" => &["negative_slope"],
        "softmax" | "log_softmax" | "glu" | "sparsemax" => &["axis"],
        "celu" | "elu" => &["alpha"],
        "gelu" => &["approximate"],
        "hard_shrink" | "soft_shrink" => &["threshold"],
        "squareplus" => &["b"],
        "threshold" => &["threshold", "default_value"],
        n if NAMES.contains(&n) => &[],
        _ => return None,
    })
}

fn unknown_identifier(what: impl std::fmt::Display) -> Error {
    Error::arg(
        "activations.get",
        format!("could not interpret activation function identifier {what}; known: {}", NAMES.join(", ")),
    )
}

/// Reads one activation's keyword arguments, with errors naming the activation and argument.
struct Kwargs<'a> {
    name: &'a str,
    kwargs: &'a Map<String, Value>,
}

impl Kwargs<'_> {
    fn err(&self, key: &str, msg: impl std::fmt::Display) -> Error {
        Error::arg("activations.get", format!("activation {:?}: `{key}` {msg}", self.name))
    }

    fn f64_or(&self, key: &str, default: f64) -> Result<f64> {
        match self.kwargs.get(key) {
            None => Ok(default),
            Some(v) => self.number(key, v),
        }
    }

    fn number(&self, key: &str, v: &Value) -> Result<f64> {
        match v {
            Value::Bool(b) => Ok(*b as u8 as f64),
            v => v.as_f64().ok_or_else(|| self.err(key, format!("must be a number, got {v}"))),
        }
    }

    fn required(&self, key: &str) -> Result<f64> {
        match self.kwargs.get(key) {
            Some(v) => self.number(key, v),
            None => Err(self.err(key, "is required (Keras: missing a required positional argument)")),
        }
    }

    fn bool_or(&self, key: &str, default: bool) -> Result<bool> {
        match self.kwargs.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(self.err(key, format!("must be a bool, got {v}"))),
        }
    }

    fn int(&self, key: &str, v: &Value) -> Result<i64> {
        v.as_i64().ok_or_else(|| self.err(key, format!("must be an integer, got {v}")))
    }

    fn axis_or(&self, default: i64) -> Result<i64> {
        match self.kwargs.get("axis") {
            None => Ok(default),
            Some(v) => self.int("axis", v),
        }
    }

    /// An int axis, or a list of them (Keras's tuple axis).
    fn axes_or(&self, default: i64) -> Result<std::result::Result<i64, Vec<i64>>> {
        match self.kwargs.get("axis") {
            Some(Value::Array(items)) => {
                if items.is_empty() {
                    return Err(self.err("axis", "must not be an empty list"));
                }
                Ok(Err(items.iter().map(|v| self.int("axis", v)).collect::<Result<Vec<_>>>()?))
            }
            Some(v) => Ok(Ok(self.int("axis", v)?)),
            None => Ok(Ok(default)),
        }
    }
}

impl Activation {
    /// From Keras's name for it, with its default arguments (`threshold`, whose arguments
    /// have no defaults, needs [`Activation::with_kwargs`]).
    pub fn get(name: &str) -> Result<Activation> {
        Activation::with_kwargs(name, &Map::new())
    }

    /// From a layer config's `activation` value: a name, `null` (`linear`), or a serialized
    /// function (`{"class_name": "function", "config": "relu", ...}`).
    pub fn from_value(v: &Value) -> Result<Activation> {
        match v {
            Value::Null => Ok(Activation::Linear),
            Value::String(s) => Activation::get(s),
            Value::Object(o) => match (o.get("class_name").and_then(Value::as_str), o.get("config")) {
                (Some("function"), Some(Value::String(name))) => Activation::get(name),
                _ => Err(unknown_identifier(v)),
            },
            other => Err(unknown_identifier(other)),
        }
    }

    /// `keras.activations.<name>(x, **kwargs)`'s function: the arguments of the table in the
    /// module docs, an unknown argument or a value of the wrong type being an error naming the
    /// activation and the argument.
    pub fn with_kwargs(name: &str, kwargs: &Map<String, Value>) -> Result<Activation> {
        let allowed = accepted(name).ok_or_else(|| unknown_identifier(format!("{name:?}")))?;
        if let Some(k) = kwargs.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(Error::arg(
                "activations.get",
                format!(
                    "activation {name:?}: unknown argument `{k}`; accepted: {}",
                    if allowed.is_empty() { "none".to_string() } else { allowed.join(", ") }
                ),
            ));
        }
        let kw = Kwargs { name, kwargs };
        use Activation::*;
        Ok(match name {
            "linear" => Linear,
            "relu" => {
                let negative_slope = kw.f64_or("negative_slope", 0.0)?;
                let max_value = match kwargs.get("max_value") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(kw.number("max_value", v)?),
                };
                let threshold = kw.f64_or("threshold", 0.0)?;
                Activation::relu_with(negative_slope, max_value, threshold)
            }
            "leaky_relu" => LeakyRelu { negative_slope: kw.f64_or("negative_slope", 0.2)? },
            "relu6" => Relu6,
            "sigmoid" => Sigmoid,
            "tanh" => Tanh,
            "softmax" => match kw.axes_or(-1)? {
                Ok(axis) => Softmax { axis },
                Err(axes) => SoftmaxAxes { axes },
            },
            "log_softmax" => match kw.axes_or(-1)? {
                Ok(axis) => LogSoftmax { axis },
                Err(axes) => LogSoftmaxAxes { axes },
            },
            "celu" => Celu { alpha: kw.f64_or("alpha", 1.0)? },
            "elu" => Elu { alpha: kw.f64_or("alpha", 1.0)? },
            "selu" => Selu,
            "exponential" => Exponential,
            "gelu" => Gelu { approximate: kw.bool_or("approximate", false)? },
            "glu" => Glu { axis: kw.axis_or(-1)? },
            "hard_shrink" => HardShrink { threshold: kw.f64_or("threshold", 0.5)? },
            "hard_sigmoid" => HardSigmoid,
            "hard_silu" | "hard_swish" => HardSilu,
            "hard_tanh" => HardTanh,
            "log_sigmoid" => LogSigmoid,
            "mish" => Mish,
            "silu" | "swish" => Silu,
            "soft_shrink" => SoftShrink { threshold: kw.f64_or("threshold", 0.5)? },
            "softplus" => Softplus,
            "softsign" => Softsign,
            "sparse_plus" => SparsePlus,
            "sparse_sigmoid" => SparseSigmoid,
            "sparsemax" => Sparsemax { axis: kw.axis_or(-1)? },
            "squareplus" => Squareplus { b: kw.f64_or("b", 4.0)? },
            "tanh_shrink" => TanhShrink,
            "threshold" => Threshold {
                threshold: kw.required("threshold")?,
                default_value: kw.required("default_value")?,
            },
            _ => return Err(unknown_identifier(format!("{name:?}"))),
        })
    }

    /// `relu` with Keras's arguments: plain [`Activation::Relu`] for the defaults.
    pub fn relu_with(negative_slope: f64, max_value: Option<f64>, threshold: f64) -> Activation {
        if negative_slope == 0.0 && max_value.is_none() && threshold == 0.0 {
            Activation::Relu
        } else {
            Activation::ReluWith { negative_slope, max_value, threshold }
        }
    }

    /// Keras's (canonical) name, what a layer config stores: `silu` for `swish`.
    pub fn name(&self) -> &'static str {
        use Activation::*;
        match self {
            Linear => "linear",
            Relu | ReluWith { .. } => "relu",
            LeakyRelu { .. } => "leaky_relu",
            Relu6 => "relu6",
            Sigmoid => "sigmoid",
            Tanh => "tanh",
            Softmax { .. } | SoftmaxAxes { .. } => "softmax",
            LogSoftmax { .. } | LogSoftmaxAxes { .. } => "log_softmax",
            Celu { .. } => "celu",
            Elu { .. } => "elu",
            Selu => "selu",
            Exponential => "exponential",
            Gelu { .. } => "gelu",
            Glu { .. } => "glu",
            HardShrink { .. } => "hard_shrink",
            HardSigmoid => "hard_sigmoid",
            HardSilu => "hard_silu",
            HardTanh => "hard_tanh",
            LogSigmoid => "log_sigmoid",
            Mish => "mish",
            Silu => "silu",
            SoftShrink { .. } => "soft_shrink",
            Softplus => "softplus",
            Softsign => "softsign",
            SparsePlus => "sparse_plus",
            SparseSigmoid => "sparse_sigmoid",
            Sparsemax { .. } => "sparsemax",
            Squareplus { .. } => "squareplus",
            TanhShrink => "tanh_shrink",
            Threshold { .. } => "threshold",
        }
    }

    /// Keras's `activations.serialize`: the plain name of a built-in (its arguments are not
    /// part of it, as in Keras, where a layer config names only the function).
    pub fn serialize(&self) -> Value {
        Value::from(self.name())
    }

    /// Appends the activation of `x` to its graph.
    pub fn apply<'g>(&self, x: Sym<'g>) -> Result<Sym<'g>> {
        use functions as f;
        use Activation::*;
        match self {
            Linear => Ok(x),
            Relu => x.relu(),
            ReluWith { negative_slope, max_value, threshold } => {
                f::relu_general(x, *negative_slope, *max_value, *threshold)
            }
            LeakyRelu { negative_slope } => f::leaky_relu(x, *negative_slope),
            Relu6 => f::relu6(x),
            Sigmoid => x.sigmoid(),
            Tanh => x.tanh(),
            Softmax { axis } => f::softmax(x, &[*axis]),
            SoftmaxAxes { axes } => f::softmax(x, axes),
            LogSoftmax { axis } => f::log_softmax(x, &[*axis]),
            LogSoftmaxAxes { axes } => f::log_softmax(x, axes),
            Celu { alpha } => f::celu(x, *alpha),
            Elu { alpha } => f::elu(x, *alpha),
            Selu => f::selu(x),
            Exponential => x.exp(),
            Gelu { approximate } => f::gelu(x, *approximate),
            Glu { axis } => f::glu(x, *axis),
            HardShrink { threshold } => f::hard_shrink(x, *threshold),
            HardSigmoid => f::hard_sigmoid(x),
            HardSilu => x.mul(f::hard_sigmoid(x)?),
            HardTanh => x.clip(-1.0, 1.0),
            LogSigmoid => x.neg()?.softplus()?.neg(),
            Mish => f::mish(x),
            Silu => x.mul(x.sigmoid()?),
            SoftShrink { threshold } => f::soft_shrink(x, *threshold),
            Softplus => x.softplus(),
            Softsign => x.div(x.abs()?.add_scalar(1.0)?),
            SparsePlus => f::sparse_plus(x),
            SparseSigmoid => x.add_scalar(1.0)?.clip(0.0, 2.0)?.mul_scalar(0.5),
            Sparsemax { axis } => f::sparsemax(x, *axis),
            Squareplus { b } => x.add(x.square()?.add_scalar(*b)?.sqrt()?)?.mul_scalar(0.5),
            TanhShrink => x.sub(x.tanh()?),
            Threshold { threshold, default_value } => f::threshold(x, *threshold, *default_value),
        }
    }
}
