//! `keras.metrics`: stateful metrics whose state lives in variables on the model's device, so a
//! train step updates them without a readback.
//!
//! | class | names for [`get`] | per-sample value |
//! |---|---|---|
//! | [`Mean`] | `mean`, `Mean` | the values themselves (weighted running mean) |
//! | [`Sum`] | `sum`, `Sum` | the values themselves (weighted running sum, one variable) |
//! | [`MeanMetricWrapper`] | (config with `fn`) | a Keras function by name, see [`METRIC_FUNCTIONS`] |
//! | [`Accuracy`] | `accuracy`, `Accuracy` | `y_true == y_pred` |
//! | [`BinaryAccuracy`] | `binary_accuracy`, `BinaryAccuracy` | `y_true == (y_pred > threshold)` |
//! | [`CategoricalAccuracy`] | `categorical_accuracy`, `CategoricalAccuracy` | `argmax(y_true) == argmax(y_pred)` |
//! | [`SparseCategoricalAccuracy`] | `sparse_categorical_accuracy`, `SparseCategoricalAccuracy` | `y_true == argmax(y_pred)` |
//! | [`TopKCategoricalAccuracy`] | `top_k_categorical_accuracy`, ... | `argmax(y_true)` in the top `k` of `y_pred` |
//! | [`SparseTopKCategoricalAccuracy`] | `sparse_top_k_categorical_accuracy`, ... | `y_true` in the top `k` (or first `k` sorted ids) |
//! | [`KLDivergence`], [`Poisson`] | `kl_divergence`, `poisson`, ... | the loss functions |
//! | [`BinaryCrossentropy`], [`CategoricalCrossentropy`], [`SparseCategoricalCrossentropy`] | `bce`, `binary_crossentropy`, ... | the loss functions with the class's arguments |
//! | [`Hinge`], [`SquaredHinge`], [`CategoricalHinge`] | `hinge`, ... | the loss functions |
//! | [`MeanSquaredError`], [`MeanAbsoluteError`], [`MeanAbsolutePercentageError`], [`MeanSquaredLogarithmicError`], [`LogCoshError`] | `mse`, `mae`, `mape`, `msle`, `mean_squared_error`, `log_cosh_error`, ... | the loss functions |
//! | [`RootMeanSquaredError`] | `root_mean_squared_error`, ... | `square(y_pred - y_true)`; the result is the square root |
//! | [`CosineSimilarity`] | `cosine_similarity`, ... | `sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)` |
//! | [`R2Score`] | `r2_score`, `R2Score` | (own per-output state) |
//!
//! Every string Keras's `keras.metrics.get` takes works here ([`names`]: class names, their
//! [`to_snake_case`] forms and the aliases [`FUNCTION_NAMES`]).
//!
//! All but `Sum` and `R2Score` are weighted means (Keras's `Mean` / `MeanMetricWrapper`): the state is two float32
//! scalar variables, `total` and `count`, created on the CPU (a model moves them to its device).
//! [`Metric::update`] gives their new values as graph nodes (no readback), [`Metric::result`]
//! reads `divide_no_nan(total, count)`, [`Metric::reset`] zeros them. [`update_state`] runs one
//! update eagerly on tensors.
//!
//! In `model.compile(metrics=["accuracy"])` Keras picks the accuracy by the shapes of the
//! targets and predictions: [`resolve_accuracy`] (and [`compile_metric`] for any identifier).

mod accuracy;
mod auc;
mod confusion;
mod correlation;
mod f_score;
mod functions;
mod hinge;
mod iou;
mod probabilistic;
mod reduction;
mod regression;

use serde_json::{Map, Value};
use wgkeras_runtime::Tensor;

use crate::error::{Error, Result};
use crate::graph::plan::PlanOptions;
use crate::graph::{static_shape, Graph, Plan, Shape, Sym};
use crate::variable::Variable;

pub use accuracy::{
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, Accuracy, ArgmaxMatch,
    BinaryAccuracy, CategoricalAccuracy, ExactMatch, LabelMatch, SparseCategoricalAccuracy, ThresholdMatch,
};
pub use accuracy::{
    sparse_top_k_categorical_accuracy, top_k_categorical_accuracy, SparseTopKCategoricalAccuracy,
    SparseTopKMatch, TopKCategoricalAccuracy, TopKMatch,
};
pub use auc::{Auc, Curve, Summation};
pub use confusion::{
    AtKind, Condition, ConditionCount, PrecisionRecall, Ratio, SensitivitySpecificity, NEG_INF,
};
pub use correlation::{
    concordance_correlation, pearson_correlation, Concordance, ConcordanceCorrelation, Pearson,
    PearsonCorrelation,
};
pub use f_score::{FBetaScore, FScoreAverage};
pub use functions::{MetricFn, METRIC_FUNCTIONS};
pub use hinge::{
    CategoricalHinge, CategoricalHingeValues, Hinge, HingeValues, SquaredHinge, SquaredHingeValues,
};
pub use iou::{IoU, IoUArgs, IoUClass};
pub use probabilistic::{
    BinaryCrossentropy, BinaryCrossentropyValues, CategoricalCrossentropy, CategoricalCrossentropyValues,
    KLDivergence, KldValues, Poisson, PoissonValues, SparseCategoricalCrossentropy,
    SparseCategoricalCrossentropyValues,
};
pub use reduction::{
    reduce_to_samplewise_values, GivenValues, Mean, MeanMetric, MeanMetricKind, MeanMetricWrapper, MeanState,
    Sum, WrappedFn,
};
pub use regression::{
    ClassAggregation, CosineSimilarity, CosineValues, LogCoshError, LogCoshValues, MaeValues, MapeValues,
    MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError, MseValues,
    MsleValues, R2Score, RootMeanSquaredError, SquaredErrors,
};

pub trait Metric: Send + Sync {
    fn class_name(&self) -> &'static str;
    fn name(&self) -> &str;
    /// Keras's `get_config()`.
    fn config(&self) -> Map<String, Value>;
    /// The state variables (created on the CPU; a model moves them to its device).
    fn variables(&self) -> Vec<Variable>;
    /// The new values of the state variables after `update_state(y_true, y_pred, sample_weight)`.
    fn update<'g>(
        &self,
        graph: &'g Graph,
        y_true: Sym<'g>,
        y_pred: Sym<'g>,
        sample_weight: Option<Sym<'g>>,
    ) -> Result<Vec<(Variable, Sym<'g>)>>;
    /// `result()` of a metric whose result is a scalar, read from the state (a readback on the
    /// GPU). A metric whose result has several elements returns an `Err` naming it here and
    /// gives its result through [`Metric::result_tensor`].
    fn result(&self) -> Result<f64>;
    /// `result()` as a host tensor of the shape Keras gives: a scalar for most metrics, a vector
    /// for e.g. `F1Score(average=None)` or `Precision(thresholds=[..])`.
    fn result_tensor(&self) -> Result<Tensor> {
        Ok(Tensor::scalar(self.result()? as f32, &wgkeras_runtime::Device::Cpu)?)
    }
    /// `reset_state()`.
    fn reset(&self) -> Result<()>;
    /// Keras's `serialize`: `{"module", "class_name", "config", "registered_name"}`.
    fn serialize(&self) -> Value {
        serde_json::json!({
            "module": "keras.metrics",
            "class_name": self.class_name(),
            "config": Value::Object(self.config()),
            "registered_name": Value::Null,
        })
    }
}

/// Runs one `update_state` eagerly: builds the update graph and runs it on `y_pred`'s device
/// (the metric's variables are moved there first).
pub fn update_state(
    metric: &dyn Metric,
    y_true: Option<&Tensor>,
    y_pred: &Tensor,
    sample_weight: Option<&Tensor>,
) -> Result<()> {
    if y_true.is_none() && !matches!(metric.class_name(), "Mean" | "Sum") {
        return Err(Error::arg(
            metric.class_name(),
            format!("{}: update_state needs y_true", metric.class_name()),
        ));
    }
    let device = y_pred.device();
    for v in metric.variables() {
        v.to_device(&device)?;
    }
    let g = Graph::new();
    let yp = g.input(&static_shape(y_pred.dims()), y_pred.dtype());
    let yt = match y_true {
        Some(t) => g.input(&static_shape(t.dims()), t.dtype()),
        // `Mean` and `Sum` read only y_pred; feed it twice.
        None => g.input(&static_shape(y_pred.dims()), y_pred.dtype()),
    };
    let sw = sample_weight.map(|w| g.input(&static_shape(w.dims()), w.dtype()));
    let updates = metric.update(&g, yt, yp, sw)?;
    let updates: Vec<(Variable, usize)> = updates.into_iter().map(|(v, s)| (v, s.id)).collect();
    let plan = Plan::new(&g, &[], &updates, &PlanOptions { device, fuse: false })?;
    let mut feeds = vec![y_pred.clone(), y_true.unwrap_or(y_pred).clone()];
    feeds.extend(sample_weight.cloned());
    plan.run(&feeds)?;
    Ok(())
}

/// A metric family's builder: `from_config(class_name, config)` for one of its `CLASSES`.
type FromConfig = fn(&str, &Map<String, Value>) -> Result<Box<dyn Metric>>;

/// Every metric family (one file each, as Keras's `keras/src/metrics/*_metrics.py`): its class
/// names and its builder.
const FAMILIES: &[(&[&str], FromConfig)] = &[
    (reduction::CLASSES, reduction::from_config),
    (accuracy::CLASSES, accuracy::from_config),
    (probabilistic::CLASSES, probabilistic::from_config),
    (hinge::CLASSES, hinge::from_config),
    (regression::CLASSES, regression::from_config),
    (confusion::CLASSES, confusion::from_config),
    (auc::CLASSES, auc::from_config),
    (iou::CLASSES, iou::from_config),
    (f_score::CLASSES, f_score::from_config),
    (correlation::CLASSES, correlation::from_config),
];

/// The class names [`get`] and [`from_config`] know.
pub fn class_names() -> Vec<&'static str> {
    FAMILIES.iter().flat_map(|(classes, _)| classes.iter().copied()).collect()
}

/// The names [`get`] knows beyond the class names and their snake-case forms (Keras's
/// `ALL_OBJECTS_DICT` aliases); [`FUNCTION_CLASSES`] gives the class of each.
pub const FUNCTION_NAMES: [&str; 10] =
    ["bce", "BCE", "mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE"];

/// The class that each of [`FUNCTION_NAMES`] stands for.
pub const FUNCTION_CLASSES: [&str; 10] = [
    "BinaryCrossentropy",
    "BinaryCrossentropy",
    "MeanSquaredError",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "MeanSquaredLogarithmicError",
];

/// Keras's `naming.to_snake_case` (the regexes `(.)([A-Z][a-z]+)` -> `\1_\2` and
/// `([a-z])([A-Z])` -> `\1_\2`, then lower case): `"TopKCategoricalAccuracy"` ->
/// `"top_k_categorical_accuracy"`, `"BinaryIoU"` -> `"binary_io_u"`.
pub fn to_snake_case(name: &str) -> String {
    let c: Vec<char> = name.chars().filter(|c| c.is_alphanumeric() || *c == '_').collect();
    let (upper, lower) = (|c: char| c.is_ascii_uppercase(), |c: char| c.is_ascii_lowercase());
    let mut first = vec![];
    let mut i = 0;
    while i < c.len() {
        if i + 2 < c.len() && upper(c[i + 1]) && lower(c[i + 2]) {
            first.extend([c[i], '_', c[i + 1]]);
            i += 2;
            while i < c.len() && lower(c[i]) {
                first.push(c[i]);
                i += 1;
            }
        } else {
            first.push(c[i]);
            i += 1;
        }
    }
    let mut out = String::new();
    let mut i = 0;
    while i < first.len() {
        if i + 1 < first.len() && lower(first[i]) && upper(first[i + 1]) {
            out.push(first[i]);
            out.push('_');
            out.push(first[i + 1]);
            i += 2;
        } else {
            out.push(first[i]);
            i += 1;
        }
    }
    out.to_lowercase()
}

/// Every string [`get`] accepts: the class names, their snake-case forms and
/// [`FUNCTION_NAMES`] (Keras's `ALL_OBJECTS_DICT` keys, less the abstract `Metric`).
pub fn names() -> Vec<String> {
    let classes = class_names();
    let mut v: Vec<String> = classes.iter().map(|c| c.to_string()).collect();
    v.extend(classes.iter().map(|c| to_snake_case(c)));
    v.extend(FUNCTION_NAMES.iter().map(|s| s.to_string()));
    v
}

/// The class that a string names: a class name, a class's snake-case name or an alias.
fn class_of(name: &str) -> Option<&'static str> {
    let classes = class_names();
    if let Some(c) = classes.iter().find(|c| **c == name) {
        return Some(c);
    }
    if let Some(c) = classes.iter().find(|c| to_snake_case(c) == name) {
        return Some(c);
    }
    FUNCTION_NAMES.iter().zip(FUNCTION_CLASSES.iter()).find(|(f, _)| **f == name).map(|(_, c)| *c)
}

fn known_names() -> String {
    names().join(", ")
}

/// A serialized Keras function as a metric: the class that wraps the same function with its
/// defaults (`binary_accuracy`, `mean_squared_error`, ...) when there is one, else a
/// [`MeanMetricWrapper`] of it; named after the function, as `compile` names it.
fn function_metric(f: &str) -> Result<Box<dyn Metric>> {
    if !METRIC_FUNCTIONS.contains(&f) {
        return Err(Error::arg(
            "metrics.get",
            format!("unknown metric function {f:?}; known: {}", METRIC_FUNCTIONS.join(", ")),
        ));
    }
    // keras.metrics.CosineSimilarity is the negated keras.losses.cosine_similarity.
    let twin = class_names().into_iter().find(|c| to_snake_case(c) == f && f != "cosine_similarity");
    match twin {
        Some(class) => {
            let mut config = Map::new();
            config.insert("name".into(), Value::from(f));
            from_config(class, &config)
        }
        None => Ok(Box::new(MeanMetricWrapper::new(f, Some(f), Map::new())?)),
    }
}

/// Builds a metric of a class from its config (Keras's `from_config`).
pub fn from_config(class_name: &str, config: &Map<String, Value>) -> Result<Box<dyn Metric>> {
    for (classes, build) in FAMILIES {
        if classes.contains(&class_name) {
            return build(class_name, config);
        }
    }
    Err(Error::arg(
        "metrics.get",
        format!("unknown metric class {class_name:?}; known classes: {}", class_names().join(", ")),
    ))
}

/// Keras's `keras.metrics.get`: a metric from a string identifier (a class name, its snake-case
/// form such as `"mean_squared_error"` or `"top_k_categorical_accuracy"`, or an alias `"mse"`,
/// `"mae"`, `"mape"`, `"msle"`, `"bce"` and their upper-case forms: see [`names`]) with default
/// arguments, or from a Keras serialized object (`{"module", "class_name", "config",
/// "registered_name"}`). A serialized function `{"class_name": "function", "config": name}`
/// (any of [`METRIC_FUNCTIONS`]) gives the class wrapping that function when there is one, else
/// a [`MeanMetricWrapper`], named after the function. As in Keras, `"accuracy"` here is the
/// exact-match [`Accuracy`]; `model.compile` resolves it by shape with [`compile_metric`].
pub fn get(identifier: &Value) -> Result<Box<dyn Metric>> {
    match identifier {
        Value::String(name) => match class_of(name) {
            Some(c) => from_config(c, &Map::new()),
            None => Err(Error::arg(
                "metrics.get",
                format!("could not interpret metric identifier {name:?}; known: {}", known_names()),
            )),
        },
        Value::Object(obj) => {
            let class = obj.get("class_name").and_then(Value::as_str).ok_or_else(|| {
                Error::arg("metrics.get", format!("a serialized metric needs a string \"class_name\", got {identifier}"))
            })?;
            let config = obj.get("config").unwrap_or(&Value::Null);
            if class == "function" {
                return match config {
                    Value::String(f) => function_metric(f),
                    _ => Err(Error::arg(
                        "metrics.get",
                        format!("a serialized function needs its name as \"config\", got {config}"),
                    )),
                };
            }
            let empty = Map::new();
            let config = match config {
                Value::Object(m) => m,
                Value::Null => &empty,
                other => {
                    return Err(Error::arg("metrics.get", format!("{class}: \"config\" must be an object, got {other}")))
                }
            };
            from_config(class, config)
        }
        other => Err(Error::arg(
            "metrics.get",
            format!("could not interpret metric identifier {other}: expected a name or a serialized metric; known: {}", known_names()),
        )),
    }
}

/// Keras's `is_binary_or_sparse_categorical(y_true, y_pred)` on static shapes.
fn binary_or_sparse(y_true_shape: &[Option<usize>], y_pred_shape: &[Option<usize>]) -> (bool, bool) {
    let t_last = y_true_shape.last().copied().flatten();
    let p_last = y_pred_shape.last().copied().flatten();
    let is_binary = p_last == Some(1);
    let is_sparse =
        y_true_shape.len() < y_pred_shape.len() || (t_last == Some(1) && p_last.is_some_and(|d| d > 1));
    (is_binary, is_sparse)
}

/// The accuracy metric that `compile(metrics=["accuracy"])` makes for these shapes, named
/// `name` (Keras uses the identifier: `"accuracy"` or `"acc"`): y_pred's last dim 1 gives
/// [`BinaryAccuracy`] (threshold 0.5); a y_true of lower rank, or with last dim 1 while y_pred's
/// is larger, gives [`SparseCategoricalAccuracy`]; anything else [`CategoricalAccuracy`].
pub fn resolve_accuracy(
    name: &str,
    y_true_shape: &[Option<usize>],
    y_pred_shape: &[Option<usize>],
) -> Box<dyn Metric> {
    let (is_binary, is_sparse) = binary_or_sparse(y_true_shape, y_pred_shape);
    if is_binary {
        Box::new(BinaryAccuracy::new(name, 0.5))
    } else if is_sparse {
        Box::new(SparseCategoricalAccuracy::new(name))
    } else {
        Box::new(CategoricalAccuracy::new(name))
    }
}

/// Keras's `compile_utils.get_metric`: `"accuracy"` / `"acc"` (any case) resolved by shape with
/// [`resolve_accuracy`], anything else through [`get`]; a metric given by string is named by
/// that string.
pub fn compile_metric(
    identifier: &Value,
    y_true_shape: &Shape,
    y_pred_shape: &Shape,
) -> Result<Box<dyn Metric>> {
    if let Value::String(s) = identifier {
        let lower = s.to_lowercase();
        if lower == "accuracy" || lower == "acc" {
            return Ok(resolve_accuracy(s, y_true_shape, y_pred_shape));
        }
        let m = get(identifier)?;
        if m.name() != s {
            // Keras names a metric given by string after the string.
            let mut config = m.config();
            config.insert("name".into(), Value::from(s.clone()));
            return from_config(m.class_name(), &config);
        }
        return Ok(m);
    }
    get(identifier)
}

/// Keras's `keras.metrics.serialize`: `{"module": "keras.metrics", "class_name", "config",
/// "registered_name": null}`.
pub fn serialize(metric: &dyn Metric) -> Value {
    metric.serialize()
}

/// Keras's `keras.metrics.deserialize`: a metric from its serialized form (or a name), as
/// [`get`].
pub fn deserialize(config: &Value) -> Result<Box<dyn Metric>> {
    get(config)
}
