//! `Identity`.

use serde_json::{Map, Value};

use crate::error::Result;
use crate::graph::{Shape, Sym};
use crate::layers::serialization::common_from_config;
use crate::layers::{CallContext, Layer, LayerCommon, LayerFactory, LayerRef};

/// `keras.layers.Identity`: returns its inputs unchanged (any number of them).
pub struct Identity {
    common: LayerCommon,
}

impl Identity {
    pub fn new() -> Result<Identity> {
        Identity::from_config(&Map::new())
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Identity> {
        Ok(Identity { common: common_from_config("Identity", config, &[])? })
    }
}

impl Layer for Identity {
    /// Keras sets `supports_masking = True`: the input's mask passes through.
    fn supports_masking(&self) -> bool {
        true
    }

    fn class_name(&self) -> &'static str {
        "Identity"
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    fn config(&self) -> Map<String, Value> {
        Map::new()
    }

    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        Ok(input_shapes.to_vec())
    }

    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        Ok(inputs.to_vec())
    }
}

/// This file's layer classes for [`crate::layers::registry`].
pub fn entries() -> Vec<(&'static str, LayerFactory)> {
    vec![("Identity", |c| Ok(LayerRef::from(Identity::from_config(c)?)))]
}
