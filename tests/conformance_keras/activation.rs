//! Conformance kind `activation`: `keras.activations.<name>(x, **kwargs)`.

use serde_json::Value;
use wgkeras::frontend::activations::Activation;
use wgkeras::frontend::graph::{static_shape, Graph};
use wgkeras::runtime::Device;

use super::KerasResult;
use crate::conformance_ops::parse_tensor;

pub fn run(case: &Value, device: &Device) -> KerasResult {
    KerasResult::from_run(run_inner(case, device))
}

fn run_inner(case: &Value, device: &Device) -> Result<KerasResult, String> {
    let name = case["name"].as_str().ok_or("case has no string \"name\"")?;
    let empty = serde_json::Map::new();
    let kwargs = case.get("kwargs").and_then(Value::as_object).unwrap_or(&empty);
    let act = Activation::with_kwargs(name, kwargs).map_err(|e| e.to_string())?;
    let x = parse_tensor(&case["x"], device)?;
    let g = Graph::new();
    let xs = g.input(&static_shape(x.dims()), x.dtype());
    let y = act.apply(xs).map_err(|e| e.to_string())?;
    let out = g.evaluate(&[y], &[x]).map_err(|e| e.to_string())?.remove(0);
    Ok(KerasResult::Compare(vec![("activation".into(), out, case["expected"].clone())]))
}
