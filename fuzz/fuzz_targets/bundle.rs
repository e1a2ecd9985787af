//! `load_model_from_bytes`: any input is a model or an error, never a panic or an allocation bomb.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wgkeras_frontend::runtime::Device;
use wgkeras_frontend::saving::{load_model_from_bytes, LoadOptions};

fuzz_target!(|data: &[u8]| {
    let options = LoadOptions { device: Some(Device::Cpu), ..Default::default() };
    let _ = load_model_from_bytes(data, &options);
});
