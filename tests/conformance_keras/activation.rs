//! Conformance kind `activation`.

use serde_json::Value;
use wgkeras::runtime::Device;

use super::KerasResult;

pub fn run(_case: &Value, _device: &Device) -> KerasResult {
    KerasResult::Unsupported("kind \"activation\" is not implemented yet".into())
}
