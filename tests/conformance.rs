//! The conformance runner (being written): runs every case of ../shared/CONFORMANCE.md.

mod conformance_ops;

#[test]
fn dispatch_compiles() {
    let kwargs = serde_json::Map::new();
    let args = vec![serde_json::json!({"dtype": "float32", "shape": [2], "data": [1.0, "nan"]})];
    let d = wgkeras::runtime::Device::Cpu;
    let c = conformance_ops::Call { name: "exp", args: &args, kwargs: &kwargs, device: &d };
    assert!(conformance_ops::dispatch(&c).unwrap().is_ok());
}
