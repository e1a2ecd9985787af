//! `keras.saving`: saving and loading models.
//!
//! - [`Model::save_weights`] / [`Model::load_weights`]: the weights (and a compiled model's
//!   optimizer state) as a `.safetensors` file ([`weights`]; Keras writes `.weights.h5`, wgkeras
//!   takes any path ending in `.safetensors`, `model.weights.safetensors` being the usual name).
//! - [`Model::save`] / [`load_model`]: one `.keras` zip bundle holding `metadata.json`,
//!   `config.json` (Keras's `serialize_keras_object(model)` with `build_config` and
//!   `compile_config`) and `model.weights.safetensors` ([`bundle`]).
//! - [`serialize_keras_object`] / [`deserialize_keras_object`] for every object kind of the
//!   registry and for models ([`serialization`]).
//! - custom classes and safe mode ([`object_registration`]).
//!
//! Every file is written under a temporary name in its folder and renamed into place
//! ([`crate::utils::files::write_atomically`]). Every loader has a bytes entry point
//! ([`load_model_from_bytes`], [`Model::load_weights_from_bytes`]); corrupt, truncated or hostile
//! input is an error, never a panic or an unbounded allocation.

pub mod bundle;
pub mod object_registration;
pub mod serialization;
pub mod weights;

use std::path::Path;

use wgkeras_runtime::Device;

use crate::error::{Error, Result};
use crate::models::Model;
use crate::utils::files::write_bytes_atomically;

pub use bundle::{load_model, load_model_from_bytes, load_model_with, LoadOptions};
pub use object_registration::{
    custom_object_scope, get_registered_name, in_safe_mode, register_keras_serializable, CustomObjectScope,
    LayerBuilder, SafeModeScope,
};
pub use serialization::{
    deserialize_keras_object, deserialize_keras_object_in, serialize_keras_object, Deserialized,
    KerasSerializable,
};

fn check_weights_path(op: &'static str, path: &Path) -> Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if !name.ends_with(".safetensors") || name == ".safetensors" {
        return Err(Error::arg(
            op,
            format!(
                "the filename must end in `.safetensors` (e.g. `model.weights.safetensors`). Received: filepath={}",
                path.display()
            ),
        ));
    }
    Ok(())
}

impl Model {
    /// `model.save_weights(path)`: the weights (and the optimizer's state when compiled) as
    /// `.safetensors`, written atomically. The path must end in `.safetensors`.
    pub fn save_weights(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        check_weights_path("Model.save_weights", path)?;
        let bytes = weights::weights_to_bytes(self)?;
        write_bytes_atomically("Model.save_weights", path, &bytes)
    }

    /// `model.load_weights(path)`: see [`weights`] for what is checked. The path must end in
    /// `.safetensors`.
    pub fn load_weights(&mut self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        check_weights_path("Model.load_weights", path)?;
        let bytes = std::fs::read(path).map_err(|e| Error::io("Model.load_weights", path, e))?;
        weights::load_weights_bytes(self, &bytes, path)
    }

    /// [`Model::load_weights`] from the bytes of a `.safetensors` file.
    pub fn load_weights_from_bytes(&mut self, bytes: &[u8]) -> Result<()> {
        weights::load_weights_bytes(self, bytes, Path::new("<bytes>"))
    }

    /// The bytes [`Model::save_weights`] writes.
    pub fn weights_to_bytes(&self) -> Result<Vec<u8>> {
        weights::weights_to_bytes(self)
    }

    /// `model.save(path)`: the whole model (config, weights, optimizer state) in one `.keras`
    /// bundle, written atomically. Another extension is an error, as in Keras.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        bundle::check_keras_path("Model.save", path)?;
        let bytes = bundle::model_to_bytes(self)?;
        write_bytes_atomically("Model.save", path, &bytes)
    }
}

/// Where a loaded model goes when the caller does not say: `Device::auto()`.
pub(crate) fn default_device() -> Device {
    Device::auto()
}
