//! `Model::load_weights_from_bytes` into a compiled Dense(3) model on input (4,): the corpus
//! seed is that model's own weights file.
#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;
use wgkeras_frontend::layers::Dense;
use wgkeras_frontend::models::CompileArgs;
use wgkeras_frontend::runtime::Device;
use wgkeras_frontend::Model;

thread_local! {
    static MODEL: RefCell<Model> = RefCell::new({
        let mut m = Model::sequential_with(&[4], vec![Dense::new(3, None).unwrap().into()]).unwrap();
        m.compile(CompileArgs::new("adam", "mse").device(Device::Cpu)).unwrap();
        m
    });
}

fuzz_target!(|data: &[u8]| {
    MODEL.with(|m| {
        let _ = m.borrow_mut().load_weights_from_bytes(data);
    });
});
