//! `keras.regularizers`: penalties on a weight (or a layer's output) added to the training loss.
//!
//! A regularizer is attached to a weight when a layer creates it
//! ([`crate::layers::LayerCommon::add_weight_with`]); a model adds the penalty of every
//! trainable weight that has one, once per step, and the `activity_regularizer` penalty of each
//! layer output divided by the batch size (Keras's `Layer.__call__`).

use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::error::{Error, Result};
use crate::graph::Sym;
use crate::optimizers::args::ConfigArgs;

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
    match crate::registry::split_identifier("regularizers.get", "regularizer", v)? {
        None => Ok(None),
        Some((name, config)) => from_config(&name, &config).map(Some),
    }
}

/// The classes (and snake-case aliases) [`get`] knows, as Keras's `ALL_OBJECTS_DICT` has them
/// (`"l1_l2"` is accepted as well: it is the name of Keras's public alias
/// `keras.regularizers.l1_l2`, although Keras's `get` only knows `"l1l2"`).
pub const NAMES: [&str; 11] = [
    "L1",
    "L1L2",
    "L2",
    "OrthogonalRegularizer",
    "Regularizer",
    "l1",
    "l1l2",
    "l1_l2",
    "l2",
    "orthogonal_regularizer",
    "regularizer",
];

/// Builds a regularizer from its class name (or alias) and config.
pub fn from_config(name: &str, config: &Map<String, Value>) -> Result<Arc<dyn Regularizer>> {
    Ok(match name {
        "L1" | "l1" => {
            let a = ConfigArgs::new("L1", config);
            let l1 = penalty_arg(&a, "l1", Some(0.01))?;
            a.finish()?;
            Arc::new(L1::new(l1)?)
        }
        "L2" | "l2" => {
            let a = ConfigArgs::new("L2", config);
            let l2 = penalty_arg(&a, "l2", Some(0.01))?;
            a.finish()?;
            Arc::new(L2::new(l2)?)
        }
        "L1L2" | "l1l2" | "l1_l2" => {
            let a = ConfigArgs::new("L1L2", config);
            let l1 = penalty_arg(&a, "l1", Some(0.0))?;
            let l2 = penalty_arg(&a, "l2", Some(0.0))?;
            a.finish()?;
            Arc::new(L1L2::new(l1, l2)?)
        }
        "OrthogonalRegularizer" | "orthogonal_regularizer" => {
            let a = ConfigArgs::new("OrthogonalRegularizer", config);
            let factor = if config.contains_key("factor") { penalty_arg(&a, "factor", None)? } else { 0.01 };
            let mode = match a.get("mode") {
                None if !config.contains_key("mode") => "rows".to_string(),
                Some(Value::String(s)) => s.clone(),
                Some(v) => return Err(OrthogonalRegularizer::mode_error(&v.to_string())),
                None => return Err(OrthogonalRegularizer::mode_error("None")),
            };
            a.finish()?;
            Arc::new(OrthogonalRegularizer::new(factor, &mode)?)
        }
        "Regularizer" | "regularizer" => {
            ConfigArgs::new("Regularizer", config).finish()?;
            Arc::new(NoPenalty)
        }
        other => {
            return Err(Error::arg(
                "regularizers.get",
                format!("Could not interpret regularizer identifier: {other:?}; known: {}", NAMES.join(", ")),
            ))
        }
    })
}

/// Reads a penalty factor: a non-negative finite number (`default` when null, as Keras's
/// `None` handling; `None` default: null is refused).
fn penalty_arg(a: &ConfigArgs<'_>, key: &str, default: Option<f64>) -> Result<f64> {
    match a.get(key) {
        None => default.ok_or_else(|| validate_error(a, key, "None")),
        Some(Value::Number(n)) => n.as_f64().ok_or_else(|| validate_error(a, key, &n.to_string())),
        Some(Value::String(s)) if matches!(s.as_str(), "nan" | "inf" | "-inf") => {
            Err(validate_error(a, key, s))
        }
        Some(v) => Err(validate_error(a, key, &v.to_string())),
    }
}

fn validate_error(a: &ConfigArgs<'_>, key: &str, got: &str) -> Error {
    a.error(
        key,
        format!("Invalid value for argument {key}: expected a non-negative float.Received: {key}={got}"),
    )
}

/// Keras's `validate_float_arg`: finite and non-negative.
fn validate_float(class: &'static str, key: &str, v: f64) -> Result<f64> {
    if !v.is_finite() || v < 0.0 {
        return Err(Error::arg(
            class,
            format!("Invalid value for argument {key}: expected a non-negative float.Received: {key}={v}"),
        ));
    }
    Ok(v)
}

/// `v` rounded to float32, as Keras stores the factors it converts to tensors (so `L1(0.01)`
/// has the config `{"l1": 0.009999999776482582}`).
fn f32_round(v: f64) -> f64 {
    v as f32 as f64
}

// ---------------------------------------------------------------------------------------------
// classes
// ---------------------------------------------------------------------------------------------

/// `l1 * sum(abs(x))` (default `l1=0.01`, kept as float32 as Keras does).
#[derive(Clone, Debug)]
pub struct L1 {
    pub l1: f64,
}

impl L1 {
    pub fn new(l1: f64) -> Result<L1> {
        Ok(L1 { l1: f32_round(validate_float("L1", "l1", l1)?) })
    }
}

impl Regularizer for L1 {
    fn class_name(&self) -> &'static str {
        "L1"
    }
    fn call<'g>(&self, x: Sym<'g>) -> Result<Sym<'g>> {
        x.abs()?.sum_all()?.mul_scalar(self.l1)
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("l1".into(), json!(self.l1));
        m
    }
}

/// `l2 * sum(square(x))` (default `l2=0.01`).
#[derive(Clone, Debug)]
pub struct L2 {
    pub l2: f64,
}

impl L2 {
    pub fn new(l2: f64) -> Result<L2> {
        Ok(L2 { l2: validate_float("L2", "l2", l2)? })
    }
}

impl Regularizer for L2 {
    fn class_name(&self) -> &'static str {
        "L2"
    }
    fn call<'g>(&self, x: Sym<'g>) -> Result<Sym<'g>> {
        x.square()?.sum_all()?.mul_scalar(self.l2)
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("l2".into(), json!(self.l2));
        m
    }
}

/// `l1 * sum(abs(x)) + l2 * sum(square(x))`; a zero factor's term is left out (defaults 0, 0).
#[derive(Clone, Debug)]
pub struct L1L2 {
    pub l1: f64,
    pub l2: f64,
}

impl L1L2 {
    pub fn new(l1: f64, l2: f64) -> Result<L1L2> {
        Ok(L1L2 { l1: validate_float("L1L2", "l1", l1)?, l2: validate_float("L1L2", "l2", l2)? })
    }
}

impl Regularizer for L1L2 {
    fn class_name(&self) -> &'static str {
        "L1L2"
    }
    fn call<'g>(&self, x: Sym<'g>) -> Result<Sym<'g>> {
        let mut total = x.graph.scalar(0.0, x.dtype())?;
        if self.l1 != 0.0 {
            total = total.add(x.abs()?.sum_all()?.mul_scalar(self.l1)?)?;
        }
        if self.l2 != 0.0 {
            total = total.add(x.square()?.sum_all()?.mul_scalar(self.l2)?)?;
        }
        Ok(total)
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("l1".into(), json!(self.l1));
        m.insert("l2".into(), json!(self.l2));
        m
    }
}

/// Which vectors [`OrthogonalRegularizer`] pushes apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrthogonalMode {
    Rows,
    Columns,
}

/// `factor * 0.5 * sum(|P - diag(P)|) / (n (n - 1) / 2)` where `P` is the Gram matrix of the
/// L2-normalized rows (or columns) of a rank-2 input and `n` their count.
#[derive(Clone, Debug)]
pub struct OrthogonalRegularizer {
    pub factor: f64,
    pub mode: OrthogonalMode,
}

impl OrthogonalRegularizer {
    pub fn new(factor: f64, mode: &str) -> Result<OrthogonalRegularizer> {
        let factor = f32_round(validate_float("OrthogonalRegularizer", "factor", factor)?);
        let mode = match mode {
            "rows" => OrthogonalMode::Rows,
            "columns" => OrthogonalMode::Columns,
            other => return Err(Self::mode_error(other)),
        };
        Ok(OrthogonalRegularizer { factor, mode })
    }

    fn mode_error(got: &str) -> Error {
        Error::arg(
            "OrthogonalRegularizer",
            format!("Invalid value for argument `mode`. Expected one of {{\"rows\", \"columns\"}}. Received: mode={got}"),
        )
    }
}

impl Regularizer for OrthogonalRegularizer {
    fn class_name(&self) -> &'static str {
        "OrthogonalRegularizer"
    }
    fn call<'g>(&self, x: Sym<'g>) -> Result<Sym<'g>> {
        let shape = x.shape();
        if shape.len() != 2 {
            return Err(Error::arg(
                "OrthogonalRegularizer",
                format!(
                    "Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape={}",
                    crate::graph::shape_str(&shape)
                ),
            ));
        }
        // The vectors are the rows (axis 1 normalized) or the columns (axis 0 normalized).
        let (norm_axis, vec_axis) = match self.mode {
            OrthogonalMode::Rows => (1i64, 0i64),
            OrthogonalMode::Columns => (0, 1),
        };
        let n = x.l2_normalize(&[norm_axis], EPSILON)?;
        let product = match self.mode {
            OrthogonalMode::Rows => n.matmul_t(n, false, true)?,
            OrthogonalMode::Columns => n.matmul_t(n, true, false)?,
        };
        // The diagonal of the Gram matrix is the squared norms of the normalized vectors (>= 0),
        // so the off-diagonal |sum| is the full one minus their sum; this needs no eye of a
        // size known only at run time (activity regularization of a batch).
        let off = product.abs()?.sum_all()?.sub(n.square()?.sum_all()?)?;
        let size = x.size(&[vec_axis])?.cast(x.dtype())?;
        let pairs = size.mul(size.add_scalar(-1.0)?)?.mul_scalar(0.5)?;
        off.div(pairs)?.mul_scalar(self.factor * 0.5)
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("factor".into(), json!(self.factor));
        m.insert("mode".into(), json!(if self.mode == OrthogonalMode::Rows { "rows" } else { "columns" }));
        m
    }
}

/// Keras's base `Regularizer`: no penalty.
#[derive(Clone, Debug)]
pub struct NoPenalty;

impl Regularizer for NoPenalty {
    fn class_name(&self) -> &'static str {
        "Regularizer"
    }
    fn call<'g>(&self, x: Sym<'g>) -> Result<Sym<'g>> {
        x.graph.scalar(0.0, x.dtype())
    }
    fn config(&self) -> Map<String, Value> {
        Map::new()
    }
}

/// `keras.backend.epsilon()`.
const EPSILON: f64 = 1e-7;
