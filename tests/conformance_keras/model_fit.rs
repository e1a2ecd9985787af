//! Conformance kind `model_fit`: loads the model from Keras JSON, sets the Keras weights,
//! compiles (optimizer and loss as identifiers or serialized objects, metrics by name), fits
//! with `shuffle: false` and compares the final weights and every History value.

use serde_json::Value;
use wgkeras::frontend::models::{CompileArgs, FitArgs};
use wgkeras::frontend::Model;
use wgkeras::runtime::{Device, Tensor};

use super::{floats_value, KerasResult};
use crate::conformance_ops::parse_tensor;

pub fn run(case: &Value, device: &Device) -> KerasResult {
    match run_case(case, device) {
        Ok(items) => KerasResult::Compare(items),
        Err(e) => KerasResult::Error(e),
    }
}

fn tensors(v: &Value) -> Result<Vec<Tensor>, String> {
    match v.as_array() {
        Some(items) if !crate::conformance_ops::is_tensor(v) => {
            items.iter().map(|t| parse_tensor(t, &Device::Cpu)).collect()
        }
        _ => Ok(vec![parse_tensor(v, &Device::Cpu)?]),
    }
}

fn run_case(case: &Value, device: &Device) -> Result<Vec<(String, Tensor, Value)>, String> {
    let text = serde_json::to_string(&case["model"]).map_err(|e| e.to_string())?;
    let mut model = Model::from_json(&text).map_err(|e| e.to_string())?;
    let compile = &case["compile"];
    let metrics: Vec<String> = compile["metrics"]
        .as_array()
        .map(|m| m.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let metric_refs: Vec<&str> = metrics.iter().map(String::as_str).collect();
    let losses = match &compile["loss"] {
        Value::Array(items) => items.clone(),
        one => vec![one.clone()],
    };
    let args = CompileArgs::new(compile["optimizer"].clone(), Value::Null)
        .losses(losses)
        .metrics(&metric_refs)
        .device(device.clone());
    model.compile(args).map_err(|e| e.to_string())?;
    model.set_weights(&tensors(&case["weights"])?).map_err(|e| e.to_string())?;
    let fit = &case["fit"];
    let fit_args = FitArgs {
        batch_size: fit["batch_size"].as_u64().unwrap_or(32) as usize,
        epochs: fit["epochs"].as_u64().unwrap_or(1) as usize,
        shuffle: fit["shuffle"].as_bool().unwrap_or(true),
        validation_split: fit["validation_split"].as_f64().unwrap_or(0.0),
        verbose: 0,
        ..Default::default()
    };
    let history =
        model.fit(tensors(&case["x"])?, tensors(&case["y"])?, fit_args).map_err(|e| e.to_string())?;
    let mut out = vec![];
    let got_weights = model.get_weights().map_err(|e| e.to_string())?;
    let want_weights = case["expected_weights"].as_array().ok_or("expected_weights is not a list")?;
    if got_weights.len() != want_weights.len() {
        return Err(format!("{} weights, Keras has {}", got_weights.len(), want_weights.len()));
    }
    for (k, (g, w)) in got_weights.into_iter().zip(want_weights).enumerate() {
        out.push((format!("weight {k}"), g, w.clone()));
    }
    let want_hist = case["expected_history"].as_object().ok_or("expected_history is not an object")?;
    for (key, values) in want_hist {
        let got = history
            .get(key)
            .ok_or_else(|| format!("History has no {key:?} (it has {:?})", history.keys()))?;
        let want: Vec<f64> = values
            .as_array()
            .ok_or("history values are not a list")?
            .iter()
            .filter_map(|v| v.as_f64())
            .collect();
        let got_t =
            Tensor::from_vec(got.iter().map(|&v| v as f32).collect::<Vec<f32>>(), &[got.len()], &Device::Cpu)
                .map_err(|e| e.to_string())?;
        out.push((format!("history[{key:?}]"), got_t, floats_value(&want)));
    }
    for key in history.keys() {
        if !want_hist.contains_key(key) {
            return Err(format!("History has {key:?}, which Keras's does not"));
        }
    }
    Ok(out)
}
