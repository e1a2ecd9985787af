//! `keras.losses`: loss classes with Keras's config keys, reductions and sample weighting.
//!
//! A loss builds graph nodes ([`Sym`]), so it runs on either backend and is differentiable:
//! [`compute`] is Keras's `Loss.__call__` (the per-sample values of [`Loss::call`], then the
//! sample weights and the reduction), [`evaluate`] runs it once on concrete tensors.
//!
//! Every class of `keras.losses` but `CTC`; [`get`] takes the class names, the function names
//! of Keras's `ALL_OBJECTS` and its aliases (`mse`, `mae`, `mape`, `msle`, `kld`, `bce` and
//! their upper-case forms); see [`CLASS_NAMES`] and [`FUNCTION_NAMES`]. Each Keras function
//! (`keras.losses.huber(y_true, y_pred, delta)`, ...) is a `pub fn` of the same name on [`Sym`]s.
//!
//! Keras facts followed here (Keras 3.15.1, `keras/src/losses/loss.py`):
//! - `y_true` and `y_pred` are first cast to the loss's dtype (float32 unless `dtype` is given).
//! - A sample weight is matched to the per-sample loss by squeezing or expanding one trailing
//!   size-1 axis only (`squeeze_or_expand_to_same_rank`), then multiplied (with broadcasting).
//! - `sum_over_batch_size` and `mean`: `sum(loss * w) / loss.size`; `mean_with_sample_weight`:
//!   `sum(loss * w) / sum(w)` (without weights like `sum_over_batch_size`); both divide with
//!   `divide_no_nan` (0 / 0 gives 0); `sum`: `sum(loss * w)`; `none`: `loss * w`.

mod crossentropy;
mod focal;
mod hinge;
mod probabilistic;
mod regression;
mod segmentation;
mod similarity;
mod wrapper;

use serde_json::{Map, Value};
use wgkeras_runtime::{DType, Tensor};

use crate::error::{Error, Result};
use crate::graph::op::broadcast_static;
use crate::graph::plan::PlanOptions;
use crate::graph::{shape_str, static_shape, Graph, Plan, Sym};

pub use crossentropy::{
    binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy,
    sparse_categorical_crossentropy_masked, Binary, BinaryCrossentropy, Categorical, CategoricalCrossentropy,
    SmoothedCrossentropy, SmoothedCrossentropyFn, SmoothedCrossentropyKind, SparseCategoricalCrossentropy,
};
pub use focal::{
    binary_focal_crossentropy, categorical_focal_crossentropy, categorical_generalized_cross_entropy,
    BinaryFocalCrossentropy, CategoricalFocalCrossentropy, CategoricalGeneralizedCrossEntropy,
};
pub use hinge::{categorical_hinge, hinge, squared_hinge, CategoricalHinge, Hinge, SquaredHinge};
pub use probabilistic::{kl_divergence, poisson, KLDivergence, Poisson};
pub use regression::{
    cosine_similarity, huber, log_cosh, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_error, mean_squared_logarithmic_error, CosineSimilarity, Huber, LogCosh, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError,
};
pub use segmentation::{dice, tversky, Dice, Tversky};
pub use similarity::{circle, circle_masked, Circle};
pub use wrapper::{Plain, PlainKind};

/// Keras's loss reductions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduction {
    SumOverBatchSize,
    Sum,
    Mean,
    MeanWithSampleWeight,
    None,
}

impl Reduction {
    /// The accepted names, as Keras's `standardize_reduction` lists them (`None` is also taken).
    pub const NAMES: [&'static str; 5] =
        ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none"];

    /// Keras's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Reduction::SumOverBatchSize => "sum_over_batch_size",
            Reduction::Sum => "sum",
            Reduction::Mean => "mean",
            Reduction::MeanWithSampleWeight => "mean_with_sample_weight",
            Reduction::None => "none",
        }
    }

    /// From Keras's name (or `null` for no reduction).
    pub fn parse(op: &'static str, v: &Value) -> Result<Reduction> {
        Ok(match v {
            Value::Null => Reduction::None,
            Value::String(s) => match s.as_str() {
                "sum_over_batch_size" => Reduction::SumOverBatchSize,
                "sum" => Reduction::Sum,
                "mean" => Reduction::Mean,
                "mean_with_sample_weight" => Reduction::MeanWithSampleWeight,
                "none" => Reduction::None,
                _ => return Err(bad_reduction(op, v)),
            },
            _ => return Err(bad_reduction(op, v)),
        })
    }
}

fn bad_reduction(op: &'static str, v: &Value) -> Error {
    Error::arg(
        op,
        format!(
            "{op}: invalid value for argument `reduction`: expected one of {}, or null; received reduction={v}",
            Reduction::NAMES.join(", ")
        ),
    )
}

pub trait Loss: Send + Sync {
    fn class_name(&self) -> &'static str;
    /// The `name`, `reduction` and `dtype` every loss carries.
    fn base(&self) -> &LossBase;
    /// Keras's `get_config()`.
    fn config(&self) -> Map<String, Value>;
    /// The unreduced values (Keras's `call`): one per sample (and per extra leading position).
    fn call<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>>;
    fn name(&self) -> &str {
        &self.base().name
    }
    fn reduction(&self) -> Reduction {
        self.base().reduction
    }
    /// The dtype of the loss's computations (`y_true` and `y_pred` are cast to it first);
    /// float32 unless the loss was made with another `dtype`.
    fn dtype(&self) -> DType {
        self.base().dtype
    }
    /// `call` and the Keras mask it sets on its result (a bool tensor shaped like the values,
    /// e.g. the valid positions of `SparseCategoricalCrossentropy(ignore_class=..)`), if any.
    fn call_masked<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<(Sym<'g>, Option<Sym<'g>>)> {
        Ok((self.call(y_true, y_pred)?, None))
    }
    /// Keras's `serialize`: `{"module", "class_name", "config", "registered_name"}`.
    fn serialize(&self) -> Value {
        serde_json::json!({
            "module": "keras.losses",
            "class_name": self.class_name(),
            "config": Value::Object(self.config()),
            "registered_name": Value::Null,
        })
    }
}

/// Keras's `Loss.__call__`: `call`, then sample weighting and the reduction.
pub fn compute<'g>(
    loss: &dyn Loss,
    y_true: Sym<'g>,
    y_pred: Sym<'g>,
    sample_weight: Option<Sym<'g>>,
) -> Result<Sym<'g>> {
    compute_masked(loss, y_true, y_pred, sample_weight, None)
}

/// [`compute`] for a `y_pred` that carries a Keras mask (`backend.get_keras_mask(y_pred)`,
/// e.g. from an `Embedding(mask_zero=True)`): it is ANDed with the loss's own mask and folded
/// into the sample weight (Keras's `apply_mask`).
pub fn compute_masked<'g>(
    loss: &dyn Loss,
    y_true: Sym<'g>,
    y_pred: Sym<'g>,
    sample_weight: Option<Sym<'g>>,
    y_pred_mask: Option<Sym<'g>>,
) -> Result<Sym<'g>> {
    let dtype = loss.dtype();
    let y_pred = y_pred.cast(dtype)?;
    let y_true = y_true.cast(dtype)?;
    let (values, out_mask) = loss.call_masked(y_true, y_pred)?;
    let mask = match (y_pred_mask, out_mask) {
        (Some(a), Some(b)) => Some(a.logical_and(b)?),
        (a, b) => a.or(b),
    };
    reduce_weighted_values(loss.class_name(), values, sample_weight, mask, loss.reduction())
}

/// Evaluates a loss eagerly on tensors: builds the graph of [`compute`] and runs it on
/// `y_pred`'s device (the other tensors are moved there).
pub fn evaluate(
    loss: &dyn Loss,
    y_true: &Tensor,
    y_pred: &Tensor,
    sample_weight: Option<&Tensor>,
) -> Result<Tensor> {
    let device = y_pred.device();
    let g = Graph::new();
    let yt = g.input(&static_shape(y_true.dims()), y_true.dtype());
    let yp = g.input(&static_shape(y_pred.dims()), y_pred.dtype());
    let sw = sample_weight.map(|w| g.input(&static_shape(w.dims()), w.dtype()));
    let out = compute(loss, yt, yp, sw)?;
    let mut feeds = vec![y_true.clone(), y_pred.clone()];
    feeds.extend(sample_weight.cloned());
    let plan = Plan::new(&g, &[out.id], &[], &PlanOptions { device, fuse: false })?;
    Ok(plan.run(&feeds)?.remove(0))
}

// ---------------------------------------------------------------------------------------------
// get / deserialize
// ---------------------------------------------------------------------------------------------

/// The class names [`get`] and [`from_config`] know (every class of `keras.losses` but `CTC`).
pub const CLASS_NAMES: [&str; 21] = [
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "CosineSimilarity",
    "Huber",
    "LogCosh",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
    "KLDivergence",
    "Poisson",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "SparseCategoricalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "Dice",
    "Tversky",
    "Circle",
];

/// The function names and aliases [`get`] knows (each builds its class with default arguments):
/// Keras's `ALL_OBJECTS_DICT` without `ctc`.
pub const FUNCTION_NAMES: [&str; 32] = [
    "mean_squared_error",
    "mse",
    "MSE",
    "mean_absolute_error",
    "mae",
    "MAE",
    "mean_absolute_percentage_error",
    "mape",
    "MAPE",
    "mean_squared_logarithmic_error",
    "msle",
    "MSLE",
    "cosine_similarity",
    "huber",
    "log_cosh",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "kl_divergence",
    "kld",
    "KLD",
    "poisson",
    "binary_crossentropy",
    "bce",
    "BCE",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "sparse_categorical_crossentropy",
    "dice",
    "tversky",
    "circle",
];

/// Classes Keras's `get` does not take by name (they are missing from its `ALL_OBJECTS`), but
/// that a serialized object may name.
const SERIALIZED_ONLY: [&str; 1] = ["CategoricalGeneralizedCrossEntropy"];

fn known_names() -> String {
    CLASS_NAMES
        .iter()
        .filter(|c| !SERIALIZED_ONLY.contains(c))
        .chain(FUNCTION_NAMES.iter())
        .copied()
        .collect::<Vec<_>>()
        .join(", ")
}

/// The class a function name or alias stands for.
fn class_of_function(name: &str) -> Option<&'static str> {
    Some(match name {
        "mean_squared_error" | "mse" | "MSE" => "MeanSquaredError",
        "mean_absolute_error" | "mae" | "MAE" => "MeanAbsoluteError",
        "mean_absolute_percentage_error" | "mape" | "MAPE" => "MeanAbsolutePercentageError",
        "mean_squared_logarithmic_error" | "msle" | "MSLE" => "MeanSquaredLogarithmicError",
        "cosine_similarity" => "CosineSimilarity",
        "huber" => "Huber",
        "log_cosh" => "LogCosh",
        "hinge" => "Hinge",
        "squared_hinge" => "SquaredHinge",
        "categorical_hinge" => "CategoricalHinge",
        "kl_divergence" | "kld" | "KLD" => "KLDivergence",
        "poisson" => "Poisson",
        "binary_crossentropy" | "bce" | "BCE" => "BinaryCrossentropy",
        "binary_focal_crossentropy" => "BinaryFocalCrossentropy",
        "categorical_crossentropy" => "CategoricalCrossentropy",
        "categorical_focal_crossentropy" => "CategoricalFocalCrossentropy",
        "sparse_categorical_crossentropy" => "SparseCategoricalCrossentropy",
        "dice" => "Dice",
        "tversky" => "Tversky",
        "circle" => "Circle",
        _ => return None,
    })
}

/// Builds a loss of a class from its config (Keras's `from_config`): unknown keys or bad
/// values are errors naming the class and the key.
pub fn from_config(class_name: &str, config: &Map<String, Value>) -> Result<Box<dyn Loss>> {
    Ok(match class_name {
        "MeanSquaredError" => Box::new(MeanSquaredError::from_config(config)?),
        "MeanAbsoluteError" => Box::new(MeanAbsoluteError::from_config(config)?),
        "MeanAbsolutePercentageError" => Box::new(MeanAbsolutePercentageError::from_config(config)?),
        "MeanSquaredLogarithmicError" => Box::new(MeanSquaredLogarithmicError::from_config(config)?),
        "CosineSimilarity" => Box::new(CosineSimilarity::from_config(config)?),
        "Huber" => Box::new(Huber::from_config(config)?),
        "LogCosh" => Box::new(LogCosh::from_config(config)?),
        "Hinge" => Box::new(Hinge::from_config(config)?),
        "SquaredHinge" => Box::new(SquaredHinge::from_config(config)?),
        "CategoricalHinge" => Box::new(CategoricalHinge::from_config(config)?),
        "KLDivergence" => Box::new(KLDivergence::from_config(config)?),
        "Poisson" => Box::new(Poisson::from_config(config)?),
        "BinaryCrossentropy" => Box::new(BinaryCrossentropy::from_config(config)?),
        "BinaryFocalCrossentropy" => Box::new(BinaryFocalCrossentropy::from_config(config)?),
        "CategoricalCrossentropy" => Box::new(CategoricalCrossentropy::from_config(config)?),
        "CategoricalFocalCrossentropy" => Box::new(CategoricalFocalCrossentropy::from_config(config)?),
        "SparseCategoricalCrossentropy" => Box::new(SparseCategoricalCrossentropy::from_config(config)?),
        "CategoricalGeneralizedCrossEntropy" => {
            Box::new(CategoricalGeneralizedCrossEntropy::from_config(config)?)
        }
        "Dice" => Box::new(Dice::from_config(config)?),
        "Tversky" => Box::new(Tversky::from_config(config)?),
        "Circle" => Box::new(Circle::from_config(config)?),
        other => {
            return Err(Error::arg(
                "losses.get",
                format!("unknown loss class {other:?}; known classes: {}", CLASS_NAMES.join(", ")),
            ))
        }
    })
}

/// Builds a loss from a string identifier (a class name such as `"CategoricalCrossentropy"`,
/// a function name such as `"categorical_crossentropy"`, or an alias such as `"mse"`) or a
/// Keras serialized object (`{"module", "class_name", "config", "registered_name"}`, where a
/// serialized function `{"class_name": "function", "config": "mean_squared_error"}` and a
/// `LossFunctionWrapper` of one of these functions are accepted too).
pub fn get(identifier: &Value) -> Result<Box<dyn Loss>> {
    match identifier {
        Value::String(name) => {
            let is_class = CLASS_NAMES.contains(&name.as_str()) && !SERIALIZED_ONLY.contains(&name.as_str());
            let class = if is_class { Some(name.as_str()) } else { class_of_function(name) };
            match class {
                Some(c) => from_config(c, &Map::new()),
                None => Err(Error::arg(
                    "losses.get",
                    format!("could not interpret loss identifier {name:?}; known: {}", known_names()),
                )),
            }
        }
        Value::Object(obj) => {
            let class = obj.get("class_name").and_then(Value::as_str).ok_or_else(|| {
                Error::arg("losses.get", format!("a serialized loss needs a string \"class_name\", got {identifier}"))
            })?;
            let config = obj.get("config").unwrap_or(&Value::Null);
            match class {
                "function" => match config {
                    Value::String(f) if class_of_function(f).is_some() => get(config),
                    _ => Err(Error::arg(
                        "losses.get",
                        format!(
                            "unknown loss function {config}; known functions: {}",
                            FUNCTION_NAMES.join(", ")
                        ),
                    )),
                },
                "LossFunctionWrapper" => wrapper_from_config(config),
                _ => {
                    let empty = Map::new();
                    let config = match config {
                        Value::Object(m) => m,
                        Value::Null => &empty,
                        other => {
                            return Err(Error::arg(
                                "losses.get",
                                format!("{class}: \"config\" must be an object, got {other}"),
                            ))
                        }
                    };
                    from_config(class, config)
                }
            }
        }
        other => Err(Error::arg(
            "losses.get",
            format!(
                "could not interpret loss identifier {other}: expected a name or a serialized loss; known: {}",
                known_names()
            ),
        )),
    }
}

/// `LossFunctionWrapper(fn=<one of our functions>, name, reduction, dtype, **fn_kwargs)`.
fn wrapper_from_config(config: &Value) -> Result<Box<dyn Loss>> {
    const OP: &str = "LossFunctionWrapper";
    let Value::Object(m) = config else {
        return Err(Error::arg(
            OP,
            format!("LossFunctionWrapper: \"config\" must be an object, got {config}"),
        ));
    };
    let f = match m.get("fn") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) => match o.get("config") {
            Some(Value::String(s)) => s.clone(),
            _ => {
                return Err(Error::arg(
                    OP,
                    format!("LossFunctionWrapper: cannot read `fn` {}", Value::Object(o.clone())),
                ))
            }
        },
        other => {
            return Err(Error::arg(
                OP,
                format!("LossFunctionWrapper: `fn` must name a loss function, got {other:?}"),
            ))
        }
    };
    let class = class_of_function(&f).ok_or_else(|| {
        Error::arg(
            OP,
            format!(
                "LossFunctionWrapper: unknown `fn` {f:?}; known functions: {}",
                FUNCTION_NAMES.join(", ")
            ),
        )
    })?;
    let mut rest = m.clone();
    rest.remove("fn");
    from_config(class, &rest)
}

// ---------------------------------------------------------------------------------------------
// Config reading
// ---------------------------------------------------------------------------------------------

/// Reads a Keras config: each key once, then [`ConfigReader::finish`] refuses the keys no one
/// took. Public only as the argument of [`MeanMetricKind::read_config`](crate::metrics::MeanMetricKind::read_config);
/// it is made and read inside the crate.
pub struct ConfigReader<'a> {
    class: &'static str,
    config: &'a Map<String, Value>,
    taken: Vec<&'static str>,
}

impl<'a> ConfigReader<'a> {
    pub(crate) fn new(class: &'static str, config: &'a Map<String, Value>) -> Self {
        ConfigReader { class, config, taken: vec![] }
    }

    fn bad(&self, key: &str, want: &str, got: &Value) -> Error {
        Error::arg(self.class, format!("{}: `{key}` must be {want}, got {got}", self.class))
    }

    /// The raw value of `key` (None when absent).
    pub(crate) fn value(&mut self, key: &'static str) -> Option<&'a Value> {
        self.taken.push(key);
        self.config.get(key)
    }

    pub(crate) fn string(&mut self, key: &'static str, default: &str) -> Result<String> {
        match self.value(key) {
            None | Some(Value::Null) => Ok(default.to_string()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(v) => Err(self.bad(key, "a string", v)),
        }
    }

    pub(crate) fn bool(&mut self, key: &'static str, default: bool) -> Result<bool> {
        match self.value(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(self.bad(key, "a bool", v)),
        }
    }

    pub(crate) fn f64(&mut self, key: &'static str, default: f64) -> Result<f64> {
        match self.value(key) {
            None => Ok(default),
            Some(v) => v.as_f64().ok_or_else(|| self.bad(key, "a number", v)),
        }
    }

    pub(crate) fn i64(&mut self, key: &'static str, default: i64) -> Result<i64> {
        match self.value(key) {
            None => Ok(default),
            Some(v) => v.as_i64().ok_or_else(|| self.bad(key, "an integer", v)),
        }
    }

    /// A number that `get_config` gives back as it was written (`2` stays an int, `2.0` a float).
    pub(crate) fn num(&mut self, key: &'static str, default: f64) -> Result<Num> {
        match self.value(key) {
            None => Ok(Num::from(default)),
            Some(v) => match v.as_f64() {
                Some(x) => Ok(Num { value: x, json: v.clone() }),
                None => Err(self.bad(key, "a number", v)),
            },
        }
    }

    /// An `axis` that may be null (every axis), an integer or a list of integers.
    pub(crate) fn axes(&mut self, key: &'static str) -> Result<Axes> {
        let want = "null, an integer or a list of integers";
        let axes = match self.value(key) {
            None | Some(Value::Null) => None,
            Some(v @ Value::Number(_)) => Some(vec![v.as_i64().ok_or_else(|| self.bad(key, want, v))?]),
            Some(v @ Value::Array(items)) => Some(
                items
                    .iter()
                    .map(Value::as_i64)
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| self.bad(key, want, v))?,
            ),
            Some(v) => return Err(self.bad(key, want, v)),
        };
        Ok(Axes { axes, json: self.config.get(key).cloned().unwrap_or(Value::Null) })
    }

    pub(crate) fn opt_i64(&mut self, key: &'static str) -> Result<Option<i64>> {
        match self.value(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_i64().map(Some).ok_or_else(|| self.bad(key, "an integer or null", v)),
        }
    }

    /// A float dtype: a name (`"float32"`), a Keras `DTypePolicy` object, or null (floatx).
    pub(crate) fn dtype(&mut self, key: &'static str) -> Result<DType> {
        let v = self.value(key);
        let name = match v {
            None | Some(Value::Null) => return Ok(crate::config::floatx_dtype()),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Object(o)) => {
                match o.get("config").and_then(|c| c.get("name")).and_then(Value::as_str) {
                    Some(s) => s.to_string(),
                    None => {
                        return Err(self.bad(key, "a dtype name or a DTypePolicy", v.unwrap_or(&Value::Null)))
                    }
                }
            }
            Some(v) => return Err(self.bad(key, "a dtype name", v)),
        };
        match DType::parse(&name) {
            Some(d) if d.is_float() => Ok(d),
            _ => Err(Error::arg(
                self.class,
                format!(
                    "{}: `{key}` must be a float dtype (float16, bfloat16, float32, float64), got {name:?}",
                    self.class
                ),
            )),
        }
    }

    pub(crate) fn reduction(&mut self) -> Result<Reduction> {
        match self.value("reduction") {
            None => Ok(Reduction::SumOverBatchSize),
            Some(v) => Reduction::parse(self.class, v),
        }
    }

    /// Errs on the first key that was not read.
    pub(crate) fn finish(self) -> Result<()> {
        for k in self.config.keys() {
            if !self.taken.contains(&k.as_str()) {
                let mut known = self.taken.clone();
                known.sort_unstable();
                known.dedup();
                return Err(Error::arg(
                    self.class,
                    format!("{}: unknown config key {k:?}; accepted keys: {}", self.class, known.join(", ")),
                ));
            }
        }
        Ok(())
    }
}

/// A numeric argument, with the JSON that `get_config` writes back for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Num {
    pub value: f64,
    pub json: Value,
}

impl From<f64> for Num {
    fn from(value: f64) -> Num {
        Num { value, json: Value::from(value) }
    }
}

/// An `axis` argument of `Dice` and `Tversky`: `None` reduces every axis; `json` is what
/// `get_config` writes back (null, the integer, or the list).
#[derive(Clone, Debug, PartialEq)]
pub struct Axes {
    pub axes: Option<Vec<i64>>,
    pub json: Value,
}

impl Axes {
    pub fn all() -> Axes {
        Axes { axes: None, json: Value::Null }
    }

    pub fn of(axes: &[i64]) -> Axes {
        let json = if axes.len() == 1 { Value::from(axes[0]) } else { Value::from(axes.to_vec()) };
        Axes { axes: Some(axes.to_vec()), json }
    }
}

/// What every loss carries: `name`, `reduction` and the computation `dtype`.
#[derive(Clone, Debug, PartialEq)]
pub struct LossBase {
    pub name: String,
    pub reduction: Reduction,
    pub dtype: DType,
}

impl LossBase {
    pub(crate) fn read(r: &mut ConfigReader<'_>, default_name: &str) -> Result<LossBase> {
        Ok(LossBase {
            name: r.string("name", default_name)?,
            reduction: r.reduction()?,
            dtype: r.dtype("dtype")?,
        })
    }

    pub(crate) fn new(name: &str) -> LossBase {
        LossBase { name: name.to_string(), reduction: Reduction::SumOverBatchSize, dtype: DType::F32 }
    }

    /// `{"name", "reduction"}`, as Keras's `Loss.get_config` (the dtype is not written).
    pub(crate) fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("name".into(), Value::from(self.name.clone()));
        m.insert("reduction".into(), Value::from(self.reduction.as_str()));
        m
    }
}

// ---------------------------------------------------------------------------------------------
// Shared graph helpers (also used by the metrics)
// ---------------------------------------------------------------------------------------------

/// Drops the last axis, which must have size 1 (a reshape, or a sum over the axis when the
/// shape has several unknown dims).
pub(crate) fn squeeze_last<'g>(x: Sym<'g>) -> Result<Sym<'g>> {
    let mut s = x.shape();
    s.pop();
    if s.iter().filter(|d| d.is_none()).count() <= 1 {
        let t: Vec<i64> = s.iter().map(|d| d.map_or(-1, |d| d as i64)).collect();
        x.reshape(&t)
    } else {
        x.sum(&[-1], false)
    }
}

/// Keras's `squeeze_or_expand_to_same_rank(x1, x2)`: where the ranks differ by one and the
/// longer one ends in a size-1 axis, that axis is squeezed (or, when the other is 1-D, the other
/// is expanded).
pub(crate) fn squeeze_or_expand_to_same_rank<'g>(x1: Sym<'g>, x2: Sym<'g>) -> Result<(Sym<'g>, Sym<'g>)> {
    let (r1, r2) = (x1.rank(), x2.rank());
    let (mut a, mut b) = (x1, x2);
    if r1 == r2 + 1 && x1.shape().last() == Some(&Some(1)) {
        if r2 == 1 {
            b = b.expand_dims(-1)?;
        } else {
            a = squeeze_last(a)?;
        }
    }
    if r2 == r1 + 1 && x2.shape().last() == Some(&Some(1)) {
        if r1 == 1 {
            a = a.expand_dims(-1)?;
        } else {
            b = squeeze_last(b)?;
        }
    }
    Ok((a, b))
}

/// `n / d`, and 0 where `d == 0` (with a gradient that is 0 there, not NaN).
pub(crate) fn divide_no_nan<'g>(n: Sym<'g>, d: Sym<'g>) -> Result<Sym<'g>> {
    let zero = d.scalar_like(0.0)?;
    let is_zero = d.equal(zero)?;
    let safe = is_zero.select(d.scalar_like(1.0)?, d)?;
    is_zero.select(zero, n.div(safe)?)
}

/// Checks that two static shapes can broadcast, with an error naming `class` and what they are.
pub(crate) fn check_broadcast(class: &'static str, what: &str, a: Sym<'_>, b: Sym<'_>) -> Result<()> {
    broadcast_static(class, &a.shape(), &b.shape()).map(|_| ()).map_err(|_| {
        Error::arg(
            class,
            format!(
                "{class}: {what} of shapes {} and {} do not match",
                shape_str(&a.shape()),
                shape_str(&b.shape())
            ),
        )
    })
}

/// Checks that two static shapes are equal (unknown dims match anything).
pub(crate) fn check_same_shape(class: &'static str, a: Sym<'_>, b: Sym<'_>) -> Result<()> {
    let (sa, sb) = (a.shape(), b.shape());
    let same = sa.len() == sb.len() && sa.iter().zip(&sb).all(|(x, y)| x.is_none() || y.is_none() || x == y);
    if same {
        Ok(())
    } else {
        Err(Error::arg(
            class,
            format!(
                "{class}: `y_true` and `y_pred` must have the same shape, got y_true.shape={} and y_pred.shape={}",
                shape_str(&sa),
                shape_str(&sb)
            ),
        ))
    }
}

/// Keras's `reduce_weighted_values`: the mask folded into the sample weight, the weight matched
/// to the values' rank and multiplied in, then the reduction.
pub(crate) fn reduce_weighted_values<'g>(
    class: &'static str,
    values: Sym<'g>,
    sample_weight: Option<Sym<'g>>,
    mask: Option<Sym<'g>>,
    reduction: Reduction,
) -> Result<Sym<'g>> {
    let dtype = values.dtype();
    let mut sw = match sample_weight {
        Some(w) => Some(w.cast(dtype)?),
        None => None,
    };
    if let Some(mask) = mask {
        let float_mask = match reduction {
            Reduction::Mean | Reduction::SumOverBatchSize => {
                // Rescales the valid entries so the mean over all entries is the mean over the
                // valid ones.
                let m = mask.cast(dtype)?;
                let total = mask.size(&(0..mask.rank() as i64).collect::<Vec<_>>())?.cast(dtype)?;
                let weight = divide_no_nan(total, m.sum_all()?)?;
                mask.select(weight, m.scalar_like(0.0)?)?
            }
            _ => mask.cast(dtype)?,
        };
        sw = Some(match sw {
            Some(w) => {
                let (fm, w) = squeeze_or_expand_to_same_rank(float_mask, w)?;
                check_broadcast(class, "the mask and `sample_weight`", fm, w)?;
                w.mul(fm)?
            }
            None => float_mask,
        });
    }
    let mut values = values;
    if let Some(w) = sw {
        let (v, w2) = squeeze_or_expand_to_same_rank(values, w)?;
        check_broadcast(class, "the per-sample losses and `sample_weight`", v, w2)?;
        values = v.mul(w2)?;
        sw = Some(w2);
    }
    reduce_values(values, sw, reduction)
}

/// Keras's `reduce_values`.
fn reduce_values<'g>(
    values: Sym<'g>,
    sample_weight: Option<Sym<'g>>,
    reduction: Reduction,
) -> Result<Sym<'g>> {
    let shape = values.shape();
    if reduction == Reduction::None || shape.is_empty() || shape == [Some(0)] {
        return Ok(values);
    }
    let loss = values.sum_all()?;
    if reduction == Reduction::Sum {
        return Ok(loss);
    }
    let divisor = match (reduction, sample_weight) {
        (Reduction::MeanWithSampleWeight, Some(w)) => w.sum_all()?.cast(loss.dtype())?,
        _ => values.size(&(0..shape.len() as i64).collect::<Vec<_>>())?.cast(loss.dtype())?,
    };
    divide_no_nan(loss, divisor)
}
