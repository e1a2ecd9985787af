//! `keras.metrics`: stateful metrics whose state lives in variables on the model's device, so a
//! train step updates them without a readback.
//!
//! | class | names for [`get`] | per-sample value |
//! |---|---|---|
//! | [`Mean`] | `mean`, `Mean` | the values themselves (weighted running mean) |
//! | [`Accuracy`] | `accuracy`, `Accuracy` | `y_true == y_pred` |
//! | [`BinaryAccuracy`] | `binary_accuracy`, `BinaryAccuracy` | `y_true == (y_pred > threshold)` |
//! | [`CategoricalAccuracy`] | `categorical_accuracy`, `CategoricalAccuracy` | `argmax(y_true) == argmax(y_pred)` |
//! | [`SparseCategoricalAccuracy`] | `sparse_categorical_accuracy`, `SparseCategoricalAccuracy` | `y_true == argmax(y_pred)` |
//!
//! Every one is a weighted mean (Keras's `Mean` / `MeanMetricWrapper`): the state is two float32
//! scalar variables, `total` and `count`, created on the CPU (a model moves them to its device).
//! [`Metric::update`] gives their new values as graph nodes (no readback), [`Metric::result`]
//! reads `divide_no_nan(total, count)`, [`Metric::reset`] zeros them. [`update_state`] runs one
//! update eagerly on tensors.
//!
//! In `model.compile(metrics=["accuracy"])` Keras picks the accuracy by the shapes of the
//! targets and predictions: [`resolve_accuracy`] (and [`compile_metric`] for any identifier).

mod accuracy;
mod confusion;
mod correlation;
mod f_score;
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
pub use correlation::{
    concordance_correlation, pearson_correlation, Concordance, ConcordanceCorrelation, Pearson,
    PearsonCorrelation,
};
pub use f_score::{FBetaScore, FScoreAverage};
pub use iou::{IoU, IoUArgs, IoUClass};
pub use reduction::{reduce_to_samplewise_values, GivenValues, Mean, MeanMetric, MeanMetricKind, MeanState};

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
    if y_true.is_none() && metric.class_name() != "Mean" {
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
        // `Mean` reads only y_pred; feed it twice.
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
    (iou::CLASSES, iou::from_config),
    (f_score::CLASSES, f_score::from_config),
    (correlation::CLASSES, correlation::from_config),
];

/// The class names [`get`] and [`from_config`] know.
pub fn class_names() -> Vec<&'static str> {
    FAMILIES.iter().flat_map(|(classes, _)| classes.iter().copied()).collect()
}

/// The snake-case names [`get`] knows (each the class with default arguments).
pub const FUNCTION_NAMES: [&str; 5] =
    ["mean", "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy"];

/// The class that a function name stands for.
const FUNCTION_CLASSES: [&str; 5] =
    ["Mean", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy"];

fn class_of(name: &str) -> Option<&'static str> {
    if let Some(c) = class_names().into_iter().find(|c| *c == name) {
        return Some(c);
    }
    FUNCTION_NAMES.iter().zip(FUNCTION_CLASSES.iter()).find(|(f, _)| **f == name).map(|(_, c)| *c)
}

fn known_names() -> String {
    class_names().into_iter().chain(FUNCTION_NAMES.iter().copied()).collect::<Vec<_>>().join(", ")
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

/// Builds a metric from a string identifier (`"mean"`, `"accuracy"`, `"binary_accuracy"`,
/// `"categorical_accuracy"`, `"sparse_categorical_accuracy"` or the class names) or a Keras
/// serialized object (`{"module", "class_name", "config", "registered_name"}`; a serialized
/// function `{"class_name": "function", "config": "binary_accuracy"}` too). As in Keras,
/// `"accuracy"` here is the exact-match [`Accuracy`]; `model.compile` resolves it by shape with
/// [`compile_metric`] instead.
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
                    Value::String(f) if FUNCTION_NAMES.contains(&f.as_str()) && f != "mean" => get(config),
                    _ => Err(Error::arg(
                        "metrics.get",
                        format!("unknown metric function {config}; known: {}", FUNCTION_NAMES[1..].join(", ")),
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
