//! Regularization layers: `ActivityRegularization`.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::graph::{Shape, Sym};
use crate::layers::serialization::{common_from_config, single_input, single_shape};
use crate::layers::{CallContext, Layer, LayerCommon, LayerFactory, LayerRef};

/// `keras.layers.ActivityRegularization`: the identity, whose output adds the L1L2 penalty
/// (divided by the batch size) to the training loss, through the layer's activity regularizer.
pub struct ActivityRegularization {
    common: LayerCommon,
    /// As given (Keras writes back what was passed, e.g. an int).
    l1: Value,
    l2: Value,
}

impl ActivityRegularization {
    pub fn new(l1: f64, l2: f64) -> Result<ActivityRegularization> {
        let mut config = Map::new();
        config.insert("l1".into(), Value::from(l1));
        config.insert("l2".into(), Value::from(l2));
        ActivityRegularization::from_config(&config)
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<ActivityRegularization> {
        const C: &str = "ActivityRegularization";
        let common = common_from_config(C, config, &["l1", "l2"])?;
        let factor = |key: &str| -> Result<(Value, f64)> {
            let v = config.get(key).filter(|v| !v.is_null()).cloned().unwrap_or(Value::from(0.0));
            match v.as_f64() {
                Some(f) if f >= 0.0 && f.is_finite() => Ok((v, f)),
                _ => Err(Error::arg(
                    C,
                    format!("{C}: Invalid value for argument {key}: expected a non-negative float.Received: {key}={v}"),
                )),
            }
        };
        let (l1, l1f) = factor("l1")?;
        let (l2, l2f) = factor("l2")?;
        let mut cfg = Map::new();
        cfg.insert("l1".into(), Value::from(l1f));
        cfg.insert("l2".into(), Value::from(l2f));
        common.set_activity_regularizer(Some(crate::regularizers::from_config("L1L2", &cfg)?));
        Ok(ActivityRegularization { common, l1, l2 })
    }
}

impl Layer for ActivityRegularization {
    /// Keras sets `supports_masking = True`: the input's mask passes through.
    fn supports_masking(&self) -> bool {
        true
    }

    fn class_name(&self) -> &'static str {
        "ActivityRegularization"
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("l1".into(), self.l1.clone());
        m.insert("l2".into(), self.l2.clone());
        m
    }

    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![single_shape("ActivityRegularization", &self.common.name, input_shapes)?.clone()])
    }

    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        Ok(vec![single_input("ActivityRegularization", &self.common.name, inputs)?])
    }
}

/// This file's layer classes for [`crate::layers::registry`].
pub fn entries() -> Vec<(&'static str, LayerFactory)> {
    vec![("ActivityRegularization", |c| Ok(LayerRef::from(ActivityRegularization::from_config(c)?)))]
}
