//! Model JSON: `Model::from_json` and `deserialize_keras_object` on any text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wgkeras_frontend::saving::{deserialize_keras_object, SafeModeScope};
use wgkeras_frontend::Model;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _safe = SafeModeScope::new(true);
    let _ = Model::from_json(text);
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        let _ = deserialize_keras_object(&v);
    }
});
