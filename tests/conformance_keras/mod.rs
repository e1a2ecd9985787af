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
