//! Merging layers: `Concatenate`.

use serde_json::{Map, Value};
use wgkeras_runtime::DType;

use crate::error::{Error, Result};
use crate::graph::{Shape, Sym};
use crate::layers::serialization::{common_from_config, get_i64, shapes_str};
use crate::layers::{CallContext, Layer, LayerCommon, LayerRef};

/// `keras.layers.Concatenate`: joins a list of inputs along `axis`; the other dims must agree.
/// Inputs of different dtypes are promoted to a common one.
pub struct Concatenate {
    common: LayerCommon,
    axis: i64,
}

impl Concatenate {
    pub fn new(axis: i64) -> Result<Concatenate> {
        let mut config = Map::new();
        config.insert("axis".into(), Value::from(axis));
        Concatenate::from_config(&config)
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Concatenate> {
        const C: &str = "Concatenate";
        let common = common_from_config(C, config, &["axis"])?;
        let axis = get_i64(C, config, "axis")?.unwrap_or(-1);
        Ok(Concatenate { common, axis })
    }

    pub fn axis(&self) -> i64 {
        self.axis
    }

    /// Checks the input shapes and gives the output shape.
    fn merged_shape(&self, shapes: &[Shape]) -> Result<Shape> {
        let name = &self.common.name;
        let first = shapes.first().ok_or_else(|| {
            Error::arg(
                "Concatenate",
                format!("A `Concatenate` layer ({name:?}) should be called on a list of at least 1 input. Received: input_shape=[]"),
            )
        })?;
        let mismatch = || {
            Error::arg(
                "Concatenate",
                format!(
                    "A `Concatenate` layer ({name:?}) requires inputs with matching shapes except for the \
                     concatenation axis {}. Received: input_shape={}",
                    self.axis,
                    shapes_str(shapes)
                ),
            )
        };
        let r = first.len() as i64;
        let axis = if self.axis < 0 { self.axis + r } else { self.axis };
        if r == 0 || !(0..r).contains(&axis) {
            return Err(Error::arg(
                "Concatenate",
                format!(
                    "layer {name:?} (Concatenate): axis {} is out of range for inputs of shapes {}",
                    self.axis,
                    shapes_str(shapes)
                ),
            ));
        }
        let axis = axis as usize;
        if shapes.iter().any(|s| s.len() != first.len()) {
            return Err(mismatch());
        }
        let mut out = first.clone();
        for i in 0..first.len() {
            if i == axis {
                out[i] = shapes.iter().try_fold(0usize, |acc, s| s[i].map(|d| acc + d));
                continue;
            }
            let mut known = None;
            for s in shapes {
                match (known, s[i]) {
                    (Some(k), Some(d)) if k != d => return Err(mismatch()),
                    (None, Some(d)) => known = Some(d),
                    _ => {}
                }
            }
            out[i] = known;
        }
        Ok(out)
    }
}

impl Layer for Concatenate {
    fn class_name(&self) -> &'static str {
        "Concatenate"
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("axis".into(), Value::from(self.axis));
        m
    }

    fn build(&self, input_shapes: &[Shape]) -> Result<()> {
        self.merged_shape(input_shapes).map(|_| ())
    }

    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![self.merged_shape(input_shapes)?])
    }

    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let shapes: Vec<Shape> = inputs.iter().map(|s| s.shape()).collect();
        self.merged_shape(&shapes)?;
        let dtype = inputs.iter().skip(1).fold(inputs[0].dtype(), |d, s| DType::promote(d, s.dtype()));
        let xs = inputs.iter().map(|s| s.cast(dtype)).collect::<Result<Vec<_>>>()?;
        if xs.len() == 1 {
            return Ok(xs);
        }
        Ok(vec![Sym::concat(&xs, self.axis)?])
    }
}

/// The registry entries of this file.
pub(crate) fn entries() -> Vec<(&'static str, crate::layers::LayerFactory)> {
    vec![("Concatenate", |c| Ok(LayerRef::from(Concatenate::from_config(c)?)))]
}
