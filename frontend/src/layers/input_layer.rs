//! `keras.layers.InputLayer`: the entry point of a functional model (what `keras.Input`
//! makes). It has no weights and is not called on tensors: a model reads its `batch_shape`
//! and `dtype` to declare its placeholders.

use serde_json::{Map, Value};
use wgkeras_runtime::DType;

use crate::error::{Error, Result};
use crate::graph::{Shape, Sym};
use crate::layers::serialization::{check_keys, get_bool, get_i64, parse_shape, shape_value};
use crate::layers::{CallContext, Layer, LayerCommon, LayerRef};

const C: &str = "InputLayer";

pub struct InputLayer {
    common: LayerCommon,
    batch_shape: Shape,
    optional: bool,
}

impl InputLayer {
    /// `InputLayer(shape=shape, batch_size=None, dtype=dtype, name=name)`: `shape` excludes
    /// the batch; `dtype` None is the default float type.
    pub fn new(shape: &[Option<usize>], dtype: Option<DType>, name: Option<&str>) -> InputLayer {
        let mut batch_shape = vec![None];
        batch_shape.extend_from_slice(shape);
        InputLayer::with_batch_shape(batch_shape, dtype, name)
    }

    /// `InputLayer(batch_shape=batch_shape, ...)`: the full shape, batch included.
    pub fn with_batch_shape(batch_shape: Shape, dtype: Option<DType>, name: Option<&str>) -> InputLayer {
        let mut common = LayerCommon::new(C, name);
        common.dtype = dtype.unwrap_or_else(crate::config::floatx_dtype);
        InputLayer { common, batch_shape, optional: false }
    }

    /// From Keras's config (`batch_shape`, `dtype`, `sparse`, `ragged`, `name`, `optional`;
    /// also the constructor's `shape` + `batch_size` and the legacy `input_shape` /
    /// `batch_input_shape`). Sparse and ragged inputs and `input_tensor` are not supported.
    pub fn from_config(config: &Map<String, Value>) -> Result<InputLayer> {
        check_keys(
            C,
            config,
            &[
                "batch_shape",
                "dtype",
                "sparse",
                "ragged",
                "name",
                "optional",
                "shape",
                "batch_size",
                "batch_input_shape",
                "input_tensor",
            ],
        )?;
        for key in ["sparse", "ragged"] {
            if get_bool(C, config, key, false)? {
                return Err(Error::arg(C, format!("InputLayer: {key}=true is not supported")));
            }
        }
        if !config.get("input_tensor").is_none_or(|v| v.is_null()) {
            return Err(Error::arg(C, "InputLayer: `input_tensor` is not supported"));
        }
        if config.get("autocast").is_some()
            || config.get("activity_regularizer").is_some_and(|v| !v.is_null())
        {
            return Err(Error::arg(
                C,
                "InputLayer: `autocast` and `activity_regularizer` are not arguments of InputLayer",
            ));
        }
        let opt_shape = |key: &str| -> Result<Option<Shape>> {
            match config.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => Ok(Some(parse_shape(C, key, v)?)),
            }
        };
        let shape = match opt_shape("shape")? {
            Some(s) => Some(s),
            None => opt_shape("input_shape")?,
        };
        let batch_shape = match opt_shape("batch_shape")? {
            Some(s) => Some(s),
            None => opt_shape("batch_input_shape")?,
        };
        let batch_size = get_i64(C, config, "batch_size")?;
        let batch_shape = match (shape, batch_shape) {
            (Some(_), Some(_)) => {
                return Err(Error::arg(
                    C,
                    "InputLayer: you cannot pass both `shape` and `batch_shape` at the same time.",
                ))
            }
            (None, None) => return Err(Error::arg(C, "InputLayer: you must pass a `shape` argument.")),
            (None, Some(b)) => {
                if batch_size.is_some() {
                    return Err(Error::arg(
                        C,
                        "InputLayer: you cannot pass both `batch_size` and `batch_shape`.",
                    ));
                }
                b
            }
            (Some(s), None) => {
                let b = match batch_size {
                    None => None,
                    Some(b) if b >= 0 => Some(b as usize),
                    Some(b) => return Err(Error::arg(C, format!("InputLayer: invalid batch_size={b}"))),
                };
                let mut full = vec![b];
                full.extend(s);
                full
            }
        };
        let dtype = match config.get("dtype") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(
                DType::parse(s)
                    .ok_or_else(|| Error::arg(C, format!("InputLayer: unsupported dtype {s:?}")))?,
            ),
            Some(v @ Value::Object(_)) => Some(crate::layers::serialization::dtype_policy(C, v)?),
            Some(v) => return Err(Error::arg(C, format!("InputLayer: `dtype` must be a string, got {v}"))),
        };
        let name = match config.get("name") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(v) => return Err(Error::arg(C, format!("InputLayer: `name` must be a string, got {v}"))),
        };
        let mut layer = InputLayer::with_batch_shape(batch_shape, dtype, name);
        layer.optional = get_bool(C, config, "optional", false)?;
        Ok(layer)
    }

    /// The full input shape, batch included (`None` where unknown).
    pub fn batch_shape(&self) -> &Shape {
        &self.batch_shape
    }

    pub fn dtype(&self) -> DType {
        self.common.dtype
    }

    pub fn optional(&self) -> bool {
        self.optional
    }

    /// Keras's exact `InputLayer.get_config()`: `batch_shape`, `dtype` (a string), `sparse`,
    /// `ragged`, `name`, `optional` (no `trainable`, unlike other layers).
    pub fn input_config(&self) -> Map<String, Value> {
        let mut m = self.config();
        m.insert("name".into(), Value::from(self.common.name.clone()));
        m
    }
}

impl Layer for InputLayer {
    fn class_name(&self) -> &'static str {
        C
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    /// Keras's keys except `name` (which `LayerRef::get_config` adds). NOTE: `LayerRef::get_config`
    /// also adds `trainable`, which Keras's InputLayer config lacks; `input_config` is exact.
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("batch_shape".into(), shape_value(&self.batch_shape));
        m.insert("dtype".into(), Value::from(self.common.dtype.name()));
        m.insert("sparse".into(), Value::Bool(false));
        m.insert("ragged".into(), Value::Bool(false));
        m.insert("optional".into(), Value::Bool(self.optional));
        m
    }

    fn output_shapes(&self, _input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![self.batch_shape.clone()])
    }

    fn call<'g>(&self, _inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        Err(Error::arg(
            C,
            format!(
                "layer {:?} (InputLayer) is not callable: a model declares a placeholder of its batch_shape instead",
                self.common.name
            ),
        ))
    }
}

/// The registry entries of this file.
pub(crate) fn entries() -> Vec<(&'static str, crate::layers::LayerFactory)> {
    vec![("InputLayer", |c| Ok(LayerRef::from(InputLayer::from_config(c)?)))]
}
