//! PLACEHOLDER (being written): `model.save` / `load_model` (one zip bundle), `save_weights` /
//! `load_weights` (.safetensors), Keras's `serialize` / `deserialize`, safe mode and custom
//! objects.

use std::path::Path;

use crate::error::{Error, Result};
use crate::models::Model;

fn not_yet(op: &'static str) -> Error {
    Error::arg(op, "not built yet")
}

impl Model {
    /// `model.save(path)`: the whole model (config, weights, optimizer state) in one bundle file.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let _ = path;
        Err(not_yet("Model.save"))
    }

    /// `model.save_weights(path)`: the weights (and the optimizer's state when compiled) as
    /// `.safetensors`.
    pub fn save_weights(&self, path: impl AsRef<Path>) -> Result<()> {
        let _ = path;
        Err(not_yet("Model.save_weights"))
    }

    /// `model.load_weights(path)`.
    pub fn load_weights(&mut self, path: impl AsRef<Path>) -> Result<()> {
        let _ = path;
        Err(not_yet("Model.load_weights"))
    }
}

/// `keras.saving.load_model(path)`.
pub fn load_model(path: impl AsRef<Path>) -> Result<Model> {
    let _ = path;
    Err(not_yet("load_model"))
}
