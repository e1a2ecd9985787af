//! The Keras functions a `MeanMetricWrapper` can wrap (its config's `fn`), with their keyword
//! arguments: the metric functions of `keras.metrics` and the loss functions of `keras.losses`
//! (Keras finds a serialized `"builtins"` function by name in those modules). The math is the
//! losses' and accuracies' own functions; this file only names and parses them.

use serde_json::{Map, Value};

use super::accuracy::{
    binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
};
use crate::error::{Error, Result};
use crate::graph::Sym;
use crate::losses::{self, ConfigReader};

/// The function names a `MeanMetricWrapper` knows (Keras's `keras.metrics` and `keras.losses`
/// functions, without `circle`, `ctc` and the correlation functions).
pub const METRIC_FUNCTIONS: [&str; 25] = [
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "kl_divergence",
    "poisson",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "log_cosh",
    "huber",
    "cosine_similarity",
    "dice",
    "tversky",
];

/// Every keyword argument of the functions above (a wrapper's config holds them beside `name`,
/// `dtype` and `fn`).
pub(crate) const FUNCTION_KWARGS: [&str; 13] = [
    "threshold",
    "k",
    "from_sorted_ids",
    "from_logits",
    "label_smoothing",
    "axis",
    "ignore_class",
    "apply_class_balancing",
    "alpha",
    "gamma",
    "q",
    "delta",
    "beta",
];

/// One wrapped function with its parsed keyword arguments.
#[derive(Clone, Debug, PartialEq)]
pub enum MetricFn {
    BinaryAccuracy {
        threshold: f64,
    },
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopK {
        k: i64,
    },
    SparseTopK {
        k: i64,
        from_sorted_ids: bool,
    },
    BinaryCrossentropy {
        from_logits: bool,
        label_smoothing: f64,
        axis: i64,
    },
    CategoricalCrossentropy {
        from_logits: bool,
        label_smoothing: f64,
        axis: i64,
    },
    SparseCategoricalCrossentropy {
        from_logits: bool,
        ignore_class: Option<i64>,
        axis: i64,
    },
    BinaryFocal {
        apply_class_balancing: bool,
        alpha: f64,
        gamma: f64,
        from_logits: bool,
        label_smoothing: f64,
        axis: i64,
    },
    CategoricalFocal {
        alpha: f64,
        gamma: f64,
        from_logits: bool,
        label_smoothing: f64,
        axis: i64,
    },
    GeneralizedCrossEntropy {
        q: f64,
    },
    /// A function of `(y_true, y_pred)` only, by name.
    Plain(&'static str),
    Huber {
        delta: f64,
    },
    CosineSimilarity {
        axis: i64,
    },
    Dice {
        axis: Option<Vec<i64>>,
    },
    Tversky {
        alpha: f64,
        beta: f64,
        axis: Option<Vec<i64>>,
    },
}

const WRAPPER: &str = "MeanMetricWrapper";

impl MetricFn {
    /// The function `name` with the keyword arguments `kwargs` (Keras's defaults for the ones
    /// left out); an `Err` names an unknown function or an argument it does not take.
    pub fn parse(name: &str, kwargs: &Map<String, Value>) -> Result<MetricFn> {
        let mut r = ConfigReader::new(WRAPPER, kwargs);
        let f = match name {
            "binary_accuracy" => MetricFn::BinaryAccuracy { threshold: r.f64("threshold", 0.5)? },
            "categorical_accuracy" => MetricFn::CategoricalAccuracy,
            "sparse_categorical_accuracy" => MetricFn::SparseCategoricalAccuracy,
            "top_k_categorical_accuracy" => MetricFn::TopK { k: r.i64("k", 5)? },
            "sparse_top_k_categorical_accuracy" => {
                MetricFn::SparseTopK { k: r.i64("k", 5)?, from_sorted_ids: r.bool("from_sorted_ids", false)? }
            }
            "binary_crossentropy" | "categorical_crossentropy" => {
                let from_logits = r.bool("from_logits", false)?;
                let label_smoothing = r.f64("label_smoothing", 0.0)?;
                let axis = r.i64("axis", -1)?;
                if name == "binary_crossentropy" {
                    MetricFn::BinaryCrossentropy { from_logits, label_smoothing, axis }
                } else {
                    MetricFn::CategoricalCrossentropy { from_logits, label_smoothing, axis }
                }
            }
            "sparse_categorical_crossentropy" => MetricFn::SparseCategoricalCrossentropy {
                from_logits: r.bool("from_logits", false)?,
                ignore_class: r.opt_i64("ignore_class")?,
                axis: r.i64("axis", -1)?,
            },
            "binary_focal_crossentropy" => MetricFn::BinaryFocal {
                apply_class_balancing: r.bool("apply_class_balancing", false)?,
                alpha: r.f64("alpha", 0.25)?,
                gamma: r.f64("gamma", 2.0)?,
                from_logits: r.bool("from_logits", false)?,
                label_smoothing: r.f64("label_smoothing", 0.0)?,
                axis: r.i64("axis", -1)?,
            },
            "categorical_focal_crossentropy" => MetricFn::CategoricalFocal {
                alpha: r.f64("alpha", 0.25)?,
                gamma: r.f64("gamma", 2.0)?,
                from_logits: r.bool("from_logits", false)?,
                label_smoothing: r.f64("label_smoothing", 0.0)?,
                axis: r.i64("axis", -1)?,
            },
            "categorical_generalized_cross_entropy" => match r.value("q") {
                Some(v) => MetricFn::GeneralizedCrossEntropy {
                    q: v.as_f64().ok_or_else(|| {
                        Error::arg(WRAPPER, format!("{WRAPPER}: `q` must be a number, got {v}"))
                    })?,
                },
                None => {
                    return Err(Error::arg(
                        WRAPPER,
                        format!("{WRAPPER}: categorical_generalized_cross_entropy needs the argument `q`"),
                    ))
                }
            },
            n @ ("kl_divergence"
            | "poisson"
            | "hinge"
            | "squared_hinge"
            | "categorical_hinge"
            | "mean_squared_error"
            | "mean_absolute_error"
            | "mean_absolute_percentage_error"
            | "mean_squared_logarithmic_error"
            | "log_cosh") => MetricFn::Plain(static_name(n)?),
            "huber" => MetricFn::Huber { delta: r.f64("delta", 1.0)? },
            "cosine_similarity" => MetricFn::CosineSimilarity { axis: r.i64("axis", -1)? },
            "dice" => MetricFn::Dice { axis: r.axes("axis")?.axes },
            "tversky" => MetricFn::Tversky {
                alpha: r.f64("alpha", 0.5)?,
                beta: r.f64("beta", 0.5)?,
                axis: r.axes("axis")?.axes,
            },
            other => {
                return Err(Error::arg(
                    WRAPPER,
                    format!(
                        "{WRAPPER}: unknown metric function `fn`={other:?}; known: {}",
                        METRIC_FUNCTIONS.join(", ")
                    ),
                ))
            }
        };
        r.finish().map_err(|e| Error::arg(WRAPPER, format!("{e} (arguments of the function {name:?})")))?;
        match &f {
            MetricFn::TopK { k } | MetricFn::SparseTopK { k, .. } if *k < 1 => {
                return Err(Error::arg(
                    WRAPPER,
                    format!("{WRAPPER}: `k` must be a positive integer, got {k}"),
                ))
            }
            MetricFn::BinaryCrossentropy { label_smoothing, .. }
            | MetricFn::CategoricalCrossentropy { label_smoothing, .. }
            | MetricFn::BinaryFocal { label_smoothing, .. }
            | MetricFn::CategoricalFocal { label_smoothing, .. } => {
                if !(0.0..=1.0).contains(label_smoothing) {
                    return Err(Error::arg(
                        WRAPPER,
                        format!("{WRAPPER}: `label_smoothing` must be in [0, 1], got {label_smoothing}"),
                    ));
                }
            }
            _ => {}
        }
        Ok(f)
    }

    /// The per-sample values and, for `sparse_categorical_crossentropy` with `ignore_class`,
    /// the mask of valid positions (Keras's `_keras_mask` on the values).
    pub fn call<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<(Sym<'g>, Option<Sym<'g>>)> {
        let v = match self {
            MetricFn::BinaryAccuracy { threshold } => binary_accuracy(y_true, y_pred, *threshold)?,
            MetricFn::CategoricalAccuracy => categorical_accuracy(y_true, y_pred)?,
            MetricFn::SparseCategoricalAccuracy => sparse_categorical_accuracy(y_true, y_pred)?,
            MetricFn::TopK { k } => top_k_categorical_accuracy(y_true, y_pred, *k)?,
            MetricFn::SparseTopK { k, from_sorted_ids } => {
                sparse_top_k_categorical_accuracy(y_true, y_pred, *k, *from_sorted_ids)?
            }
            MetricFn::BinaryCrossentropy { from_logits, label_smoothing, axis } => {
                losses::binary_crossentropy(y_true, y_pred, *from_logits, *label_smoothing, *axis)?
            }
            MetricFn::CategoricalCrossentropy { from_logits, label_smoothing, axis } => {
                losses::categorical_crossentropy(y_true, y_pred, *from_logits, *label_smoothing, *axis)?
            }
            MetricFn::SparseCategoricalCrossentropy { from_logits, ignore_class, axis } => {
                return losses::sparse_categorical_crossentropy_masked(
                    y_true,
                    y_pred,
                    *from_logits,
                    *ignore_class,
                    *axis,
                )
            }
            MetricFn::BinaryFocal {
                apply_class_balancing,
                alpha,
                gamma,
                from_logits,
                label_smoothing,
                axis,
            } => losses::binary_focal_crossentropy(
                y_true,
                y_pred,
                *apply_class_balancing,
                *alpha,
                *gamma,
                *from_logits,
                *label_smoothing,
                *axis,
            )?,
            MetricFn::CategoricalFocal { alpha, gamma, from_logits, label_smoothing, axis } => {
                losses::categorical_focal_crossentropy(
                    y_true,
                    y_pred,
                    *alpha,
                    *gamma,
                    *from_logits,
                    *label_smoothing,
                    *axis,
                )?
            }
            MetricFn::GeneralizedCrossEntropy { q } => {
                losses::categorical_generalized_cross_entropy(y_true, y_pred, *q)?
            }
            MetricFn::Plain(name) => plain_function(name)?(y_true, y_pred)?,
            MetricFn::Huber { delta } => losses::huber(y_true, y_pred, *delta)?,
            MetricFn::CosineSimilarity { axis } => losses::cosine_similarity(y_true, y_pred, *axis)?,
            MetricFn::Dice { axis } => losses::dice(y_true, y_pred, axis.as_deref())?,
            MetricFn::Tversky { alpha, beta, axis } => {
                losses::tversky(y_true, y_pred, *alpha, *beta, axis.as_deref())?
            }
        };
        Ok((v, None))
    }
}

/// A function of `(y_true, y_pred)` only.
type PlainFn = for<'g> fn(Sym<'g>, Sym<'g>) -> Result<Sym<'g>>;

fn plain_function(name: &str) -> Result<PlainFn> {
    Ok(match name {
        "kl_divergence" => losses::kl_divergence,
        "poisson" => losses::poisson,
        "hinge" => losses::hinge,
        "squared_hinge" => losses::squared_hinge,
        "categorical_hinge" => losses::categorical_hinge,
        "mean_squared_error" => losses::mean_squared_error,
        "mean_absolute_error" => losses::mean_absolute_error,
        "mean_absolute_percentage_error" => losses::mean_absolute_percentage_error,
        "mean_squared_logarithmic_error" => losses::mean_squared_logarithmic_error,
        "log_cosh" => losses::log_cosh,
        other => return Err(Error::arg(WRAPPER, format!("{WRAPPER}: unknown metric function {other:?}"))),
    })
}

/// The `'static` spelling of a function name of [`METRIC_FUNCTIONS`].
fn static_name(name: &str) -> Result<&'static str> {
    METRIC_FUNCTIONS
        .iter()
        .copied()
        .find(|n| *n == name)
        .ok_or_else(|| Error::arg(WRAPPER, format!("{WRAPPER}: unknown metric function {name:?}")))
}

/// The function name of a config's `fn`: a name, or Keras's serialized function
/// `{"module": "builtins", "class_name": "function", "config": name, ...}`.
pub(crate) fn function_name(value: &Value) -> Result<String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Object(o) if o.get("class_name").and_then(Value::as_str) == Some("function") => {
            o.get("config").and_then(Value::as_str).map(str::to_string).ok_or_else(|| {
                Error::arg(
                    WRAPPER,
                    format!("{WRAPPER}: a serialized function needs a string \"config\", got {value}"),
                )
            })
        }
        other => Err(Error::arg(
            WRAPPER,
            format!("{WRAPPER}: `fn` must be a function name or a serialized function, got {other}"),
        )),
    }
}

/// Keras's serialized form of a built-in function.
pub(crate) fn serialize_function(name: &str) -> Value {
    serde_json::json!({
        "module": "builtins",
        "class_name": "function",
        "config": name,
        "registered_name": "function",
    })
}
