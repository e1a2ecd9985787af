//! The `.npy` reader: `NpyArray::from_npy_bytes`, then conversion to a tensor.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wgkeras_frontend::runtime::Device;
use wgkeras_frontend::utils::npy::NpyArray;

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = NpyArray::from_npy_bytes(data, std::path::Path::new("fuzz.npy")) {
        let _ = a.to_tensor(&Device::Cpu);
    }
});
