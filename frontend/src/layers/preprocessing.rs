//! Preprocessing layers: `Rescaling`.

use serde_json::{Map, Value};
use wgkeras_runtime::{CpuStorage, DType, Device, Tensor};

use crate::config::ImageDataFormat;
use crate::error::{Error, Result};
use crate::graph::{Shape, Sym};
use crate::layers::serialization::{common_from_config, single_input, single_shape};
use crate::layers::{CallContext, Layer, LayerCommon, LayerFactory, LayerRef};

/// A number or a nested list of numbers as (dims, row-major values); None if `v` is neither or
/// the list is ragged.
pub(crate) fn nested_numbers(v: &Value) -> Option<(Vec<usize>, Vec<f64>)> {
    match v {
        Value::Number(n) => Some((vec![], vec![n.as_f64()?])),
        Value::Array(items) => {
            let parts = items.iter().map(nested_numbers).collect::<Option<Vec<_>>>()?;
            let inner = parts.first().map_or(vec![], |p| p.0.clone());
            if parts.iter().any(|p| p.0 != inner) {
                return None;
            }
            let mut dims = vec![items.len()];
            dims.extend(inner);
            Some((dims, parts.into_iter().flat_map(|p| p.1).collect()))
        }
        _ => None,
    }
}

/// One of `Rescaling`'s factors: the config value as given (Keras serializes it back as it
/// was passed) and its numbers.
struct Factor {
    raw: Value,
    dims: Vec<usize>,
    values: Vec<f64>,
}

impl Factor {
    fn parse(key: &str, v: &Value) -> Result<Factor> {
        let (dims, values) = nested_numbers(v).ok_or_else(|| {
            Error::arg(
                "Rescaling",
                format!("Rescaling: `{key}` must be a number or a (nested) list of numbers, got {v}"),
            )
        })?;
        Ok(Factor { raw: v.clone(), dims, values })
    }

    /// The factor as a constant of `dtype`; with channels_first a 1-D or 2-D factor gets trailing
    /// unit axes up to rank 3, as Keras does, so it lines up with the channel axis.
    fn broadcast_dims(&self) -> Vec<usize> {
        let mut dims = self.dims.clone();
        if !dims.is_empty() && crate::config::image_data_format() == ImageDataFormat::ChannelsFirst {
            while dims.len() < 3 {
                dims.push(1);
            }
        }
        dims
    }

    fn constant<'g>(&self, x: Sym<'g>, dtype: DType) -> Result<Sym<'g>> {
        let dims = self.broadcast_dims();
        let t =
            Tensor::from_cpu(CpuStorage::from_f64(dtype, self.values.iter().copied()), &dims, &Device::Cpu)?;
        Ok(x.graph.constant(t))
    }
}

/// `keras.layers.Rescaling`: `x * scale + offset` in the layer's dtype (any input dtype is cast
/// first); `scale` and `offset` are numbers or per-channel lists.
pub struct Rescaling {
    common: LayerCommon,
    scale: Factor,
    offset: Factor,
}

impl Rescaling {
    pub fn new(scale: f64, offset: f64) -> Result<Rescaling> {
        let mut config = Map::new();
        config.insert("scale".into(), Value::from(scale));
        config.insert("offset".into(), Value::from(offset));
        Rescaling::from_config(&config)
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Rescaling> {
        const C: &str = "Rescaling";
        let common = common_from_config(C, config, &["scale", "offset"])?;
        let scale = match config.get("scale") {
            None | Some(Value::Null) => {
                return Err(Error::arg(C, "Rescaling: missing the required argument `scale`"))
            }
            Some(v) => Factor::parse("scale", v)?,
        };
        let offset = Factor::parse(
            "offset",
            config.get("offset").filter(|v| !v.is_null()).unwrap_or(&Value::from(0.0)),
        )?;
        Ok(Rescaling { common, scale, offset })
    }
}

impl Layer for Rescaling {
    /// Keras sets `supports_masking = True`: the input's mask passes through.
    fn supports_masking(&self) -> bool {
        true
    }

    fn class_name(&self) -> &'static str {
        "Rescaling"
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("scale".into(), self.scale.raw.clone());
        m.insert("offset".into(), self.offset.raw.clone());
        m
    }

    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        let s = single_shape("Rescaling", &self.common.name, input_shapes)?;
        // The factors broadcast against the input (per-channel lists may add leading axes).
        let mut out = s.clone();
        for f in [&self.scale, &self.offset] {
            let fs: Shape = f.broadcast_dims().iter().map(|&d| Some(d)).collect();
            out = crate::graph::op::broadcast_static("Rescaling", &out, &fs)?;
        }
        Ok(vec![out])
    }

    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let x = single_input("Rescaling", &self.common.name, inputs)?.cast(self.common.dtype)?;
        let scale = self.scale.constant(x, self.common.dtype)?;
        let offset = self.offset.constant(x, self.common.dtype)?;
        Ok(vec![x.mul(scale)?.add(offset)?])
    }
}

/// This file's layer classes for [`crate::layers::registry`].
pub fn entries() -> Vec<(&'static str, LayerFactory)> {
    vec![("Rescaling", |c| Ok(LayerRef::from(Rescaling::from_config(c)?)))]
}
