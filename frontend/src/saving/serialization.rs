//! Keras's `serialize_keras_object` / `deserialize_keras_object`: every object kind of the
//! registry (layers, losses, metrics, optimizers, initializers, activations, regularizers,
//! constraints, learning-rate schedules) and models, in Keras's serialized form
//! `{"module", "class_name", "config", "registered_name"}` (layers and models with their
//! `build_config`, models with their `compile_config`).

use serde_json::Value;
use wgkeras_runtime::Device;

use crate::error::{Error, Result};
use crate::models::Model;
use crate::registry::{self, KerasObject};

/// What [`serialize_keras_object`] serializes.
pub trait KerasSerializable {
    fn serialize_keras(&self) -> Result<Value>;
}

impl KerasSerializable for KerasObject {
    fn serialize_keras(&self) -> Result<Value> {
        Ok(match self {
            KerasObject::Layer(l) => l.serialize_with_build_config(),
            KerasObject::Loss(l) => l.serialize(),
            KerasObject::Metric(m) => m.serialize(),
            KerasObject::Optimizer(o) => crate::optimizers::serialize(o.as_ref()),
            KerasObject::Initializer(i) => crate::initializers::serialize(i.as_ref()),
            KerasObject::Activation(a) => a.serialize(),
            KerasObject::Regularizer(r) => crate::regularizers::serialize(r.as_ref()),
            KerasObject::Constraint(c) => crate::constraints::serialize(c.as_ref()),
            KerasObject::Schedule(s) => crate::optimizers::schedules::serialize(s.as_ref()),
        })
    }
}

impl KerasSerializable for Model {
    /// The model's config (Keras's `model.to_json()` object) with its `compile_config`.
    fn serialize_keras(&self) -> Result<Value> {
        let text = self.to_json()?;
        let mut v: Value =
            serde_json::from_str(&text).map_err(|e| Error::arg("serialize_keras_object", e.to_string()))?;
        if let Some(o) = v.as_object_mut() {
            o.insert("compile_config".into(), self.compile_config().unwrap_or(Value::Null));
        }
        Ok(v)
    }
}

/// `keras.saving.serialize_keras_object(obj)`.
pub fn serialize_keras_object(obj: &dyn KerasSerializable) -> Result<Value> {
    obj.serialize_keras()
}

/// What [`deserialize_keras_object`] builds.
pub enum Deserialized {
    Object(KerasObject),
    Model(Model),
}

impl std::fmt::Debug for Deserialized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Deserialized::Object(_) => write!(f, "Deserialized::Object(..)"),
            Deserialized::Model(m) => write!(f, "Deserialized::Model({:?})", m.name),
        }
    }
}

const MODEL_CLASSES: [&str; 3] = ["Sequential", "Functional", "Model"];

/// Whether `v` is a serialized model.
pub(crate) fn is_model_config(v: &Value) -> bool {
    v.get("class_name").and_then(Value::as_str).is_some_and(|c| MODEL_CLASSES.contains(&c))
}

/// `keras.saving.deserialize_keras_object(config)`: a model (built from its layers, compiled
/// from its `compile_config` on `Device::auto()`) or an object of the family its `module` names.
/// Custom layer classes follow the safe-mode rule of [`super::object_registration`].
pub fn deserialize_keras_object(config: &Value) -> Result<Deserialized> {
    if is_model_config(config) {
        return Ok(Deserialized::Model(model_from_config(config, true, None)?));
    }
    Ok(Deserialized::Object(registry::deserialize(config)?))
}

/// `deserialize_keras_object(config, module_objects=<family>)`: a name (`"relu"`) or a
/// serialized object of `family`.
pub fn deserialize_keras_object_in(family: registry::Family, config: &Value) -> Result<KerasObject> {
    registry::get(family, config)
}

/// A model from its serialized config; with `compile`, compiled from its `compile_config` (when
/// present) on `device` (default `Device::auto()`), else moved to `device`.
pub(crate) fn model_from_config(config: &Value, compile: bool, device: Option<Device>) -> Result<Model> {
    if !is_model_config(config) {
        return Err(Error::arg(
            "deserialize_keras_object",
            format!(
                "expected a serialized model (class_name one of {MODEL_CLASSES:?}), got class_name {}",
                config.get("class_name").unwrap_or(&Value::Null)
            ),
        ));
    }
    let text =
        serde_json::to_string(config).map_err(|e| Error::arg("deserialize_keras_object", e.to_string()))?;
    let mut model = Model::from_json(&text)?;
    match config.get("compile_config").filter(|c| !c.is_null()) {
        Some(cc) if compile => model.compile_from_config(cc, device)?,
        _ => model.to_device(&device.unwrap_or_else(super::default_device))?,
    }
    Ok(model)
}
