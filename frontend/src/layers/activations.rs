//! Activation layers: `ReLU`, `LeakyReLU`, `ELU`, `PReLU`, `Softmax`, with Keras 3.15.1's
//! arguments, `get_config()` keys and argument errors.
//!
//! Numeric arguments are kept as the JSON numbers the config gave (an int stays an int), since
//! Keras writes back exactly what it was given (`ReLU(max_value=6)` has `"max_value": 6`).

use std::sync::Arc;

use serde_json::{Map, Number, Value};

use crate::activations::functions as f;
use crate::constraints::{self, Constraint};
use crate::error::{Error, Result};
use crate::graph::{shape_str, Shape, Sym};
use crate::initializers::{self, Initializer};
use crate::layers::serialization::{autocast, common_from_config, single_input, single_shape};
use crate::layers::{CallContext, Layer, LayerCommon, LayerFactory, LayerRef};
use crate::regularizers::{self, Regularizer};

/// A numeric config value: `default` when absent, `None` for null.
fn number(
    class: &'static str,
    config: &Map<String, Value>,
    key: &str,
    default: f64,
) -> Result<Option<Number>> {
    match config.get(key) {
        None => Ok(Number::from_f64(default)),
        Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(Some(n.clone())),
        Some(v) => Err(Error::arg(class, format!("{class}: `{key}` must be a number, got {v}"))),
    }
}

fn num_f64(n: &Number) -> f64 {
    n.as_f64().unwrap_or(f64::NAN)
}

fn num_value(n: &Option<Number>) -> Value {
    n.clone().map_or(Value::Null, Value::Number)
}

/// The single input, cast to the layer's dtype (Keras's autocast of call inputs).
fn input<'g>(class: &'static str, common: &LayerCommon, inputs: &[Sym<'g>]) -> Result<Sym<'g>> {
    autocast(single_input(class, &common.name, inputs)?, common.dtype)
}

/// Layers whose output shape is their input shape.
fn same_shape(class: &'static str, common: &LayerCommon, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
    Ok(vec![single_shape(class, &common.name, input_shapes)?.clone()])
}

// ---------------------------------------------------------------------------------------------
// ReLU
// ---------------------------------------------------------------------------------------------

/// `keras.layers.ReLU(max_value=None, negative_slope=0.0, threshold=0.0)`:
/// `keras.activations.relu` with these arguments.
pub struct ReLU {
    common: LayerCommon,
    max_value: Option<Number>,
    negative_slope: Number,
    threshold: Number,
}

impl ReLU {
    pub fn from_config(config: &Map<String, Value>) -> Result<ReLU> {
        const C: &str = "ReLU";
        let common = common_from_config(C, config, &["max_value", "negative_slope", "threshold"])?;
        let max_value = match config.get("max_value") {
            None => None,
            Some(_) => number(C, config, "max_value", 0.0)?,
        };
        let negative_slope = number(C, config, "negative_slope", 0.0)?;
        let threshold = number(C, config, "threshold", 0.0)?;
        if let Some(m) = &max_value {
            if num_f64(m) < 0.0 {
                return Err(Error::arg(
                    C,
                    format!("max_value of a ReLU layer cannot be a negative value. Received: max_value={m}"),
                ));
            }
        }
        let negative_slope = match negative_slope {
            Some(n) if num_f64(&n) >= 0.0 => n,
            n => {
                return Err(Error::arg(
                    C,
                    format!(
                        "negative_slope of a ReLU layer cannot be None or a negative value. Received: \
                         negative_slope={}",
                        n.map_or("None".to_string(), |n| n.to_string())
                    ),
                ))
            }
        };
        let threshold = match threshold {
            Some(t) if num_f64(&t) >= 0.0 => t,
            t => {
                return Err(Error::arg(
                    C,
                    format!(
                    "threshold of a ReLU layer cannot be None or a negative value. Received: threshold={}",
                    t.map_or("None".to_string(), |t| t.to_string())
                ),
                ))
            }
        };
        Ok(ReLU { common, max_value, negative_slope, threshold })
    }
}

impl Layer for ReLU {
    /// Keras sets `supports_masking = True`: the input's mask passes through.
    fn supports_masking(&self) -> bool {
        true
    }

    fn class_name(&self) -> &'static str {
        "ReLU"
    }
    fn common(&self) -> &LayerCommon {
        &self.common
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("max_value".into(), num_value(&self.max_value));
        m.insert("negative_slope".into(), Value::Number(self.negative_slope.clone()));
        m.insert("threshold".into(), Value::Number(self.threshold.clone()));
        m
    }
    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        same_shape("ReLU", &self.common, input_shapes)
    }
    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let x = input("ReLU", &self.common, inputs)?;
        let (ns, mv, th) =
            (num_f64(&self.negative_slope), self.max_value.as_ref().map(num_f64), num_f64(&self.threshold));
        let y =
            if ns == 0.0 && mv.is_none() && th == 0.0 { x.relu()? } else { f::relu_general(x, ns, mv, th)? };
        Ok(vec![y])
    }
}

// ---------------------------------------------------------------------------------------------
// LeakyReLU
// ---------------------------------------------------------------------------------------------

/// `keras.layers.LeakyReLU(negative_slope=0.3)` (the deprecated `alpha` is read as
/// `negative_slope`, as Keras does).
pub struct LeakyReLU {
    common: LayerCommon,
    negative_slope: Number,
}

impl LeakyReLU {
    pub fn from_config(config: &Map<String, Value>) -> Result<LeakyReLU> {
        const C: &str = "LeakyReLU";
        let common = common_from_config(C, config, &["negative_slope", "alpha"])?;
        let key = if config.contains_key("alpha") { "alpha" } else { "negative_slope" };
        let negative_slope = match number(C, config, key, 0.3)? {
            Some(n) if num_f64(&n) >= 0.0 => n,
            n => {
                return Err(Error::arg(
                    C,
                    format!(
                        "The negative_slope value of a Leaky ReLU layer cannot be None or negative value. \
                         Expected a float. Received: negative_slope={}",
                        n.map_or("None".to_string(), |n| n.to_string())
                    ),
                ))
            }
        };
        Ok(LeakyReLU { common, negative_slope })
    }
}

impl Layer for LeakyReLU {
    /// Keras sets `supports_masking = True`: the input's mask passes through.
    fn supports_masking(&self) -> bool {
        true
    }

    fn class_name(&self) -> &'static str {
        "LeakyReLU"
    }
    fn common(&self) -> &LayerCommon {
        &self.common
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("negative_slope".into(), Value::Number(self.negative_slope.clone()));
        m
    }
    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        same_shape("LeakyReLU", &self.common, input_shapes)
    }
    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let x = input("LeakyReLU", &self.common, inputs)?;
        Ok(vec![f::leaky_relu(x, num_f64(&self.negative_slope))?])
    }
}

// ---------------------------------------------------------------------------------------------
// ELU
// ---------------------------------------------------------------------------------------------

/// `keras.layers.ELU(alpha=1.0)`. Keras's config has `alpha` (from the base class's automatic
/// config of the constructor arguments).
pub struct ELU {
    common: LayerCommon,
    alpha: Number,
}

impl ELU {
    pub fn from_config(config: &Map<String, Value>) -> Result<ELU> {
        const C: &str = "ELU";
        let common = common_from_config(C, config, &["alpha"])?;
        let alpha = number(C, config, "alpha", 1.0)?
            .ok_or_else(|| Error::arg(C, "ELU: `alpha` must be a number, got null"))?;
        Ok(ELU { common, alpha })
    }
}

impl Layer for ELU {
    /// Keras sets `supports_masking = True`: the input's mask passes through.
    fn supports_masking(&self) -> bool {
        true
    }

    fn class_name(&self) -> &'static str {
        "ELU"
    }
    fn common(&self) -> &LayerCommon {
        &self.common
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("alpha".into(), Value::Number(self.alpha.clone()));
        m
    }
    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        same_shape("ELU", &self.common, input_shapes)
    }
    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let x = input("ELU", &self.common, inputs)?;
        Ok(vec![f::elu(x, num_f64(&self.alpha))?])
    }
}

// ---------------------------------------------------------------------------------------------
// PReLU
// ---------------------------------------------------------------------------------------------

/// `keras.layers.PReLU(alpha_initializer="Zeros", alpha_regularizer=None,
/// alpha_constraint=None, shared_axes=None)`: `relu(x) - alpha * relu(-x)` with a learned
/// `alpha` of the input's shape without the batch, size 1 along the `shared_axes`.
pub struct PReLU {
    common: LayerCommon,
    alpha_initializer: Box<dyn Initializer>,
    alpha_regularizer: Option<Arc<dyn Regularizer>>,
    alpha_constraint: Option<Arc<dyn Constraint>>,
    shared_axes: Option<Vec<i64>>,
}

impl PReLU {
    pub fn from_config(config: &Map<String, Value>) -> Result<PReLU> {
        const C: &str = "PReLU";
        let common = common_from_config(
            C,
            config,
            &["alpha_initializer", "alpha_regularizer", "alpha_constraint", "shared_axes"],
        )?;
        let init = match config.get("alpha_initializer") {
            None | Some(Value::Null) => Value::from("Zeros"),
            Some(v) => v.clone(),
        };
        let alpha_initializer = initializers::get(&init)
            .map_err(|e| Error::arg(C, format!("PReLU: `alpha_initializer`: {e}")))?;
        let alpha_regularizer = regularizers::get(config.get("alpha_regularizer").unwrap_or(&Value::Null))
            .map_err(|e| Error::arg(C, format!("PReLU: `alpha_regularizer`: {e}")))?;
        let alpha_constraint = constraints::get(config.get("alpha_constraint").unwrap_or(&Value::Null))
            .map_err(|e| Error::arg(C, format!("PReLU: `alpha_constraint`: {e}")))?;
        let axis = |v: &Value| {
            v.as_i64().ok_or_else(|| {
                Error::arg(
                    C,
                    format!("PReLU: `shared_axes` must be an integer or a list of integers, got {v}"),
                )
            })
        };
        let shared_axes = match config.get("shared_axes") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(items.iter().map(axis).collect::<Result<Vec<_>>>()?),
            Some(v) => Some(vec![axis(v)?]),
        };
        Ok(PReLU { common, alpha_initializer, alpha_regularizer, alpha_constraint, shared_axes })
    }

    /// The `alpha` shape for an input of `shape`: the input's without the batch, 1 along the
    /// shared axes.
    fn param_shape(&self, shape: &Shape) -> Result<Vec<usize>> {
        let bad = |msg: String| Error::arg("PReLU", format!("layer {:?} (PReLU): {msg}", self.common.name));
        if shape.is_empty() {
            return Err(bad("expects inputs of rank >= 1 (a batch axis first), got a scalar".into()));
        }
        let mut dims: Vec<Option<usize>> = shape[1..].to_vec();
        for &a in self.shared_axes.iter().flatten() {
            if a < 1 || a as usize > dims.len() {
                return Err(bad(format!(
                    "shared_axes entry {a} is out of range for input shape {} (expected 1..={})",
                    shape_str(shape),
                    dims.len()
                )));
            }
            dims[a as usize - 1] = Some(1);
        }
        dims.iter()
            .map(|d| {
                d.ok_or_else(|| {
                    bad(format!(
                        "the non-shared axes of the input must be known to build alpha, got shape {}",
                        shape_str(shape)
                    ))
                })
            })
            .collect()
    }

    /// Keras's input spec after build: same rank, same sizes along the non-shared axes.
    fn check_input(&self, shape: &Shape) -> Result<()> {
        let Some(built) = self.common.built_shapes().and_then(|s| s.into_iter().next()) else {
            return Ok(());
        };
        let shared = |i: usize| self.shared_axes.iter().flatten().any(|&a| a == i as i64);
        let ok = built.len() == shape.len()
            && (1..shape.len())
                .all(|i| shared(i) || built[i].is_none() || shape[i].is_none() || built[i] == shape[i]);
        if ok {
            Ok(())
        } else {
            Err(Error::arg(
                "PReLU",
                format!(
                    "Input 0 of layer {:?} (PReLU) is incompatible with the layer: it was built for shape {}, \
                     got shape {}",
                    self.common.name,
                    shape_str(&built),
                    shape_str(shape)
                ),
            ))
        }
    }
}

impl Layer for PReLU {
    /// Keras sets `supports_masking = True`: the input's mask passes through.
    fn supports_masking(&self) -> bool {
        true
    }

    fn class_name(&self) -> &'static str {
        "PReLU"
    }
    fn common(&self) -> &LayerCommon {
        &self.common
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("alpha_initializer".into(), initializers::serialize(self.alpha_initializer.as_ref()));
        m.insert("alpha_regularizer".into(), regularizers::serialize_option(&self.alpha_regularizer));
        m.insert("alpha_constraint".into(), constraints::serialize_option(&self.alpha_constraint));
        m.insert(
            "shared_axes".into(),
            self.shared_axes.as_ref().map_or(Value::Null, |a| Value::from(a.clone())),
        );
        m
    }
    fn build(&self, input_shapes: &[Shape]) -> Result<()> {
        let s = single_shape("PReLU", &self.common.name, input_shapes)?;
        let dims = self.param_shape(s)?;
        self.common.add_weight_with(
            "alpha",
            &dims,
            self.alpha_initializer.as_ref(),
            true,
            self.alpha_regularizer.clone(),
            self.alpha_constraint.clone(),
        )?;
        Ok(())
    }
    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        let s = single_shape("PReLU", &self.common.name, input_shapes)?;
        self.check_input(s)?;
        Ok(vec![s.clone()])
    }
    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let x = input("PReLU", &self.common, inputs)?;
        self.check_input(&x.shape())?;
        let alpha = self.common.weights().into_iter().next().ok_or_else(|| {
            Error::arg("PReLU", format!("layer {:?} (PReLU) is not built", self.common.name))
        })?;
        let alpha = x.graph.variable(&alpha).cast(x.dtype())?;
        let neg = alpha.neg()?.mul(x.neg()?.relu()?)?;
        Ok(vec![x.relu()?.add(neg)?])
    }
}

// ---------------------------------------------------------------------------------------------
// Softmax
// ---------------------------------------------------------------------------------------------

/// `keras.layers.Softmax(axis=-1)`; `axis` may be a list (several axes normalized together).
/// Keras's `mask` call argument is not supported (wgkeras layers get no masks).
pub struct Softmax {
    common: LayerCommon,
    /// The config's `axis` as given (an int or a list of ints).
    axis_value: Value,
    axes: Vec<i64>,
}

impl Softmax {
    pub fn from_config(config: &Map<String, Value>) -> Result<Softmax> {
        const C: &str = "Softmax";
        let common = common_from_config(C, config, &["axis"])?;
        let axis_value = config.get("axis").cloned().unwrap_or(Value::from(-1));
        let bad = || {
            Error::arg(
                C,
                format!("Softmax: `axis` must be an integer or a list of integers, got {axis_value}"),
            )
        };
        let axes = match &axis_value {
            Value::Array(items) if !items.is_empty() => {
                items.iter().map(|v| v.as_i64().ok_or_else(bad)).collect::<Result<Vec<_>>>()?
            }
            v => vec![v.as_i64().ok_or_else(bad)?],
        };
        Ok(Softmax { common, axis_value, axes })
    }
}

impl Layer for Softmax {
    /// Keras sets `supports_masking = True`: the input's mask passes through.
    fn supports_masking(&self) -> bool {
        true
    }

    fn class_name(&self) -> &'static str {
        "Softmax"
    }
    fn common(&self) -> &LayerCommon {
        &self.common
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("axis".into(), self.axis_value.clone());
        m
    }
    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        same_shape("Softmax", &self.common, input_shapes)
    }
    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let x = input("Softmax", &self.common, inputs)?;
        let y = if self.axes.len() == 1 {
            f::softmax(x, &self.axes)?
        } else {
            // Keras: exp(x - logsumexp(x, axes)).
            if f::empty_along(x, "Softmax", &self.axes)? {
                return Ok(vec![x]);
            }
            let m = x.max(&self.axes, true)?.stop_gradient()?;
            let lse = x.sub(m)?.exp()?.sum(&self.axes, true)?.log()?.add(m)?;
            x.sub(lse)?.exp()?
        };
        Ok(vec![y])
    }
}

/// This file's layer classes for [`crate::layers::registry`].
pub fn entries() -> Vec<(&'static str, LayerFactory)> {
    vec![
        ("ReLU", |c| Ok(LayerRef::from(ReLU::from_config(c)?))),
        ("LeakyReLU", |c| Ok(LayerRef::from(LeakyReLU::from_config(c)?))),
        ("ELU", |c| Ok(LayerRef::from(ELU::from_config(c)?))),
        ("PReLU", |c| Ok(LayerRef::from(PReLU::from_config(c)?))),
        ("Softmax", |c| Ok(LayerRef::from(Softmax::from_config(c)?))),
    ]
}
