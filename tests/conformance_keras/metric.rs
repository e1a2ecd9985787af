//! Conformance kind `metric`: builds the metric from its serialized config, runs
//! `update_state` for each entry of `updates` in order, then compares `result()`.
//!
//! An update is `{y_true, y_pred, sample_weight?}`; for `Mean` (whose `update_state` takes
//! `values`), `{values, sample_weight?}` (or `y_pred` as the values).

use serde_json::Value;
use wgkeras::frontend::metrics;
use wgkeras::runtime::{Device, Tensor};

use super::{built_or_outcome, KerasResult};
use crate::conformance_ops::parse_tensor;

pub fn run(case: &Value, device: &Device) -> KerasResult {
    KerasResult::from_run(run_inner(case, device))
}

fn run_inner(case: &Value, device: &Device) -> Result<KerasResult, String> {
    let config = &case["config"];
    let is_known = |class: &str| metrics::class_names().contains(&class);
    let metric = match built_or_outcome(config, metrics::get(config), is_known) {
        Ok(m) => m,
        Err(outcome) => return Ok(outcome),
    };
    if let Some(Value::Object(want)) = config.get("config") {
        if &metric.config() != want {
            return Err(format!(
                "get_config() differs from Keras's: got {}, want {}",
                Value::Object(metric.config()),
                Value::Object(want.clone())
            ));
        }
    }
    let updates = case["updates"].as_array().ok_or("case has no \"updates\" list")?;
    let opt = |u: &Value, k: &str| -> Result<Option<Tensor>, String> {
        match u.get(k) {
            Some(v) if !v.is_null() => Ok(Some(parse_tensor(v, device)?)),
            _ => Ok(None),
        }
    };
    for (i, u) in updates.iter().enumerate() {
        let y_pred = match (opt(u, "values")?, opt(u, "y_pred")?) {
            (Some(v), _) | (None, Some(v)) => v,
            (None, None) => return Err(format!("update {i} has neither \"y_pred\" nor \"values\"")),
        };
        let y_true = opt(u, "y_true")?;
        let sw = opt(u, "sample_weight")?;
        metrics::update_state(metric.as_ref(), y_true.as_ref(), &y_pred, sw.as_ref())
            .map_err(|e| format!("update {i}: {e}"))?;
        for v in metric.variables() {
            if &v.device() != device {
                return Err(format!("variable {:?} is on {}, not {}", v.name(), v.device(), device));
            }
        }
    }
    let got = metric.result_tensor().map_err(|e| e.to_string())?;
    Ok(KerasResult::Compare(vec![("result".into(), got, case["expected"].clone())]))
}
