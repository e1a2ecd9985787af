//! Conformance kind `loss`: builds the loss from its serialized config and calls it on
//! `y_true`, `y_pred` and the optional `sample_weight`. The loss's `get_config()` must equal the
//! case's config (Keras's) exactly, for a serialized class.

use serde_json::Value;
use wgkeras::frontend::losses;
use wgkeras::runtime::Device;

use super::{built_or_outcome, KerasResult};
use crate::conformance_ops::parse_tensor;

pub fn run(case: &Value, device: &Device) -> KerasResult {
    KerasResult::from_run(run_inner(case, device))
}

fn run_inner(case: &Value, device: &Device) -> Result<KerasResult, String> {
    let config = &case["config"];
    let is_known = |class: &str| losses::CLASS_NAMES.contains(&class) || class == "function";
    let loss = match built_or_outcome(config, losses::get(config), is_known) {
        Ok(l) => l,
        Err(outcome) => return Ok(outcome),
    };
    let class = config.get("class_name").and_then(Value::as_str).unwrap_or("");
    if let Some(Value::Object(want)) = config.get("config") {
        if losses::CLASS_NAMES.contains(&class) && &loss.config() != want {
            return Err(format!(
                "get_config() differs from Keras's: got {}, want {}",
                Value::Object(loss.config()),
                Value::Object(want.clone())
            ));
        }
    }
    let y_true = parse_tensor(&case["y_true"], device)?;
    let y_pred = parse_tensor(&case["y_pred"], device)?;
    let sw = match case.get("sample_weight") {
        Some(v) if !v.is_null() => Some(parse_tensor(v, device)?),
        _ => None,
    };
    let out = losses::evaluate(loss.as_ref(), &y_true, &y_pred, sw.as_ref()).map_err(|e| e.to_string())?;
    if &out.device() != device {
        return Err(format!("the loss ran on {}, not {}", out.device(), device));
    }
    Ok(KerasResult::Compare(vec![("loss".into(), out, case["expected"].clone())]))
}
