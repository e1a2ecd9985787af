//! The runner's Keras-object kinds (`activation`, `loss`, `metric`, `optimizer`, `layer`,
//! `model_fit`): each builds the object from the case, runs it, and hands back the tensors to
//! compare with the expected values.

use serde_json::Value;
use wgkeras::runtime::{Device, Tensor};

pub mod activation;
pub mod layer;
pub mod loss;
pub mod metric;
pub mod model_fit;
pub mod optimizer;

pub enum KerasResult {
    /// The case names something the project does not implement.
    Unsupported(String),
    /// Building or running failed.
    Error(String),
    /// (label, got, expected tensor value) for each result to compare.
    Compare(Vec<(String, Tensor, Value)>),
}

impl KerasResult {
    /// A case's outcome: what the run gave, or the error that stopped it.
    pub fn from_run(run: Result<KerasResult, String>) -> KerasResult {
        run.unwrap_or_else(KerasResult::Error)
    }
}

/// The object built from a case's `config`, or the case's outcome when building failed:
/// `Unsupported` when `is_known` does not accept the config's `class_name` (the project does not
/// implement it), else `Error`.
pub fn built_or_outcome<T, E: std::fmt::Display>(
    config: &Value,
    built: Result<T, E>,
    is_known: impl Fn(&str) -> bool,
) -> Result<T, KerasResult> {
    built.map_err(|e| {
        let class = config.get("class_name").and_then(Value::as_str).unwrap_or("");
        if is_known(class) {
            KerasResult::Error(e.to_string())
        } else {
            KerasResult::Unsupported(e.to_string())
        }
    })
}

/// Runs a case of a Keras-object kind; `None` for kinds this module does not handle.
pub fn run(kind: &str, case: &Value, device: &Device) -> Option<KerasResult> {
    Some(match kind {
        "activation" => activation::run(case, device),
        "loss" => loss::run(case, device),
        "metric" => metric::run(case, device),
        "optimizer" => optimizer::run(case, device),
        "layer" => layer::run(case, device),
        "model_fit" => model_fit::run(case, device),
        _ => return None,
    })
}

/// A list of floats (a History entry) as a float32 tensor value for `compare`.
pub fn floats_value(xs: &[f64]) -> Value {
    serde_json::json!({"dtype": "float32", "shape": [xs.len()], "data": xs})
}
