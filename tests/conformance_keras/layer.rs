//! Conformance kind `layer`: builds the layer from its serialized Keras `config` (without its
//! `build_config`), checks that `get_config()` gives Keras's config back, builds it for
//! `build_shape` with the batch dim unknown, sets the Keras weights, calls it on placeholders
//! (`training` from `call_kwargs`) and evaluates the graph on the device.

use serde_json::Value;
use wgkeras::frontend::graph::{Graph, Shape};
use wgkeras::frontend::layers::{self, CallContext};
use wgkeras::runtime::{Device, Tensor};

use super::KerasResult;
use crate::conformance_ops::parse_tensor;

pub fn run(case: &Value, device: &Device) -> KerasResult {
    match run_case(case, device) {
        Ok(items) => KerasResult::Compare(items),
        Err(e) => KerasResult::Error(e),
    }
}

/// `build_shape`: one shape or a list of shapes.
fn shapes_of(v: &Value) -> Result<Vec<Vec<usize>>, String> {
    let dims = |s: &Value| -> Result<Vec<usize>, String> {
        s.as_array()
            .ok_or_else(|| format!("bad shape {s}"))?
            .iter()
            .map(|d| d.as_u64().map(|d| d as usize).ok_or_else(|| format!("bad dim in {s}")))
            .collect()
    };
    match v.as_array() {
        Some(items) if !items.is_empty() && items.iter().all(|i| i.is_array()) => {
            items.iter().map(dims).collect()
        }
        _ => Ok(vec![dims(v)?]),
    }
}

fn run_case(case: &Value, device: &Device) -> Result<Vec<(String, Tensor, Value)>, String> {
    let mut serialized = case["config"].clone();
    if let Some(o) = serialized.as_object_mut() {
        o.remove("build_config");
    }
    let layer = layers::deserialize(&serialized).map_err(|e| e.to_string())?;

    // get_config() must give Keras's config back.
    let want = &case["config"]["config"];
    let got = Value::Object(layer.get_config());
    if &got != want {
        return Err(format!("get_config() differs from Keras's:\n  got  {got}\n  want {want}"));
    }

    let build: Vec<Shape> = shapes_of(&case["build_shape"])?
        .into_iter()
        .map(|dims| dims.iter().enumerate().map(|(i, &d)| if i == 0 { None } else { Some(d) }).collect())
        .collect();
    layer.ensure_built(&build).map_err(|e| e.to_string())?;

    // build_config as Keras writes it (with the batch dim unknown here); layers Keras builds
    // in __init__ have none.
    let want_bc = &case["config"]["build_config"]["input_shape"];
    let bc = match layer.build_config() {
        None if want_bc.is_null() => serde_json::json!({ "input_shape": null }),
        None => return Err("no build_config after ensure_built".into()),
        Some(bc) => bc,
    };
    let strip = |v: &Value| -> Value {
        // Compare without the batch dim (Keras's holds the concrete build shape).
        match v {
            Value::Array(items) if items.iter().all(|i| i.is_array()) && !items.is_empty() => Value::Array(
                items.iter().map(|s| Value::Array(s.as_array().unwrap()[1..].to_vec())).collect(),
            ),
            Value::Array(items) => Value::Array(items[1..].to_vec()),
            other => other.clone(),
        }
    };
    if strip(&bc["input_shape"]) != strip(want_bc) {
        return Err(format!("build_config {bc} does not match Keras's {want_bc}"));
    }

    let weights = layer.weights();
    let want_w = case["weights"].as_array().cloned().unwrap_or_default();
    if weights.len() != want_w.len() {
        return Err(format!("the layer has {} weights, Keras's has {}", weights.len(), want_w.len()));
    }
    for (var, w) in weights.iter().zip(&want_w) {
        let t = parse_tensor(w, device)?;
        if t.dims() != var.dims().as_slice() || t.dtype() != var.dtype() {
            return Err(format!(
                "weight {}: shape {:?} {}, Keras's {:?} {}",
                var.name(),
                var.dims(),
                var.dtype().name(),
                t.dims(),
                t.dtype().name()
            ));
        }
        var.replace(t);
    }

    let inputs: Vec<Tensor> = match &case["inputs"] {
        Value::Array(items) => items.iter().map(|i| parse_tensor(i, device)).collect::<Result<_, _>>()?,
        v => vec![parse_tensor(v, device)?],
    };
    let training = case["call_kwargs"].get("training").and_then(|t| t.as_bool()).unwrap_or(false);
    let graph = Graph::new();
    let syms: Vec<_> = inputs
        .iter()
        .map(|t| {
            let shape: Shape =
                t.dims().iter().enumerate().map(|(i, &d)| if i == 0 { None } else { Some(d) }).collect();
            graph.input(&shape, t.dtype())
        })
        .collect();
    let ctx = CallContext::new(training);
    let outs = layer.call_graph(&syms, &ctx).map_err(|e| e.to_string())?;
    let in_shapes: Vec<Shape> = syms.iter().map(|s| s.shape()).collect();
    let declared = layer.0.output_shapes(&in_shapes).map_err(|e| e.to_string())?;
    let built: Vec<Shape> = outs.iter().map(|s| s.shape()).collect();
    if declared != built {
        return Err(format!("output_shapes {declared:?} differ from the call's {built:?}"));
    }
    let values = graph.evaluate(&outs, &inputs).map_err(|e| e.to_string())?;
    if values.iter().any(|v| &v.device() != device) {
        return Err("a result is not on the case's device".into());
    }
    let expected = &case["expected"];
    Ok(values.into_iter().map(|v| ("output".to_string(), v, expected.clone())).collect())
}
