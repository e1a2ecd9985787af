//! Bad layer configs give errors, never panics: every layer config of the Keras reference cases
//! (tests/conformance/layers*.json, 32 classes) is loaded with each of its keys replaced by
//! values of the wrong kind or range, then built and called on the case's input shape.

use std::panic::{catch_unwind, AssertUnwindSafe};

use serde_json::{json, Value};
use wgkeras::frontend::graph::{Graph, Shape};
use wgkeras::frontend::layers::{self, CallContext};
use wgkeras::runtime::DType;

fn layer_cases() -> Vec<Value> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance");
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !(name.starts_with("layers") && name.ends_with(".json")) {
            continue;
        }
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        out.extend(doc["cases"].as_array().unwrap().iter().filter(|c| c["kind"] == "layer").cloned());
    }
    out
}

fn shapes(v: &Value) -> Vec<Shape> {
    let one = |s: &Value| -> Shape {
        s.as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, d)| if i == 0 { None } else { d.as_u64().map(|d| d as usize) })
            .collect()
    };
    match v.as_array() {
        Some(items) if items.iter().all(Value::is_array) && !items.is_empty() => {
            items.iter().map(one).collect()
        }
        _ => vec![one(v)],
    }
}

/// Loads, builds and calls; any outcome but a panic is fine.
fn try_layer(config: &Value, build: &[Shape], int_inputs: bool) -> Result<(), String> {
    let layer = layers::deserialize(config).map_err(|e| e.to_string())?;
    layer.ensure_built(build).map_err(|e| e.to_string())?;
    let g = Graph::new();
    let dtype = if int_inputs { DType::I32 } else { DType::F32 };
    let xs: Vec<_> = build.iter().map(|s| g.input(s, dtype)).collect();
    for training in [false, true] {
        layer.call_graph(&xs, &CallContext::new(training)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[test]
fn bad_layer_configs_give_errors_not_panics() {
    let bad_values = [
        json!(null),
        json!("x"),
        json!(-1),
        json!(0),
        json!(1e300),
        json!(-1e300),
        json!([]),
        json!([1, -2]),
        json!({}),
        json!(true),
        json!(0.5),
        json!(1_000_000_000_000u64),
    ];
    let cases = layer_cases();
    assert!(cases.len() > 200, "only {} layer cases found", cases.len());
    let (mut tried, mut errors) = (0, 0);
    for case in &cases {
        let mut config = case["config"].clone();
        if let Some(o) = config.as_object_mut() {
            o.remove("build_config");
        }
        let build = shapes(&case["build_shape"]);
        let int_inputs = config["class_name"] == "Embedding";
        let keys: Vec<String> = config["config"].as_object().unwrap().keys().cloned().collect();
        for key in keys.iter().filter(|k| k.as_str() != "name") {
            for bad in &bad_values {
                let mut c = config.clone();
                c["config"][key.as_str()] = bad.clone();
                let outcome = catch_unwind(AssertUnwindSafe(|| try_layer(&c, &build, int_inputs)));
                match outcome {
                    Err(_) => panic!("{} with {key}={bad} panicked", config["class_name"]),
                    Ok(Err(_)) => errors += 1,
                    Ok(Ok(())) => {}
                }
                tried += 1;
            }
        }
    }
    assert!(errors > tried / 4, "only {errors} of {tried} bad configs were refused");
}
