//! Reshaping layers: `Flatten`.

use serde_json::{Map, Value};

use crate::config::ImageDataFormat;
use crate::error::{Error, Result};
use crate::graph::{shape_str, Shape, Sym};
use crate::layers::serialization::{common_from_config, get_str, single_input, single_shape};
use crate::layers::{CallContext, Layer, LayerCommon, LayerRef};

/// `keras.layers.Flatten`: `[batch, d1, d2, ...]` to `[batch, d1 * d2 * ...]` (`[batch]` to
/// `[batch, 1]`). With `channels_first`, inputs of rank > 2 are first transposed to channels
/// last, as Keras does, so the flattened order matches a channels-last model.
pub struct Flatten {
    common: LayerCommon,
    data_format: ImageDataFormat,
}

impl Flatten {
    /// `data_format` None is `keras.config.image_data_format()`.
    pub fn new(data_format: Option<&str>) -> Result<Flatten> {
        let mut config = Map::new();
        config.insert("data_format".into(), data_format.map_or(Value::Null, Value::from));
        Flatten::from_config(&config)
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Flatten> {
        const C: &str = "Flatten";
        let common = common_from_config(C, config, &["data_format"])?;
        let data_format = match get_str(C, config, "data_format")? {
            None => crate::config::image_data_format(),
            Some(f) => ImageDataFormat::parse(C, f)?,
        };
        Ok(Flatten { common, data_format })
    }

    pub fn data_format(&self) -> ImageDataFormat {
        self.data_format
    }

    fn flat_shape(&self, s: &Shape) -> Result<Shape> {
        if s.is_empty() {
            return Err(Error::arg(
                "Flatten",
                format!(
                    "layer {:?} (Flatten) needs inputs of rank >= 1, got shape {}",
                    self.common.name,
                    shape_str(s)
                ),
            ));
        }
        let rest: Option<usize> = s[1..].iter().try_fold(1usize, |acc, d| d.map(|d| acc * d));
        Ok(vec![s[0], rest])
    }
}

impl Layer for Flatten {
    fn class_name(&self) -> &'static str {
        "Flatten"
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("data_format".into(), Value::from(self.data_format.as_str()));
        m
    }

    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![self.flat_shape(single_shape("Flatten", &self.common.name, input_shapes)?)?])
    }

    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let mut x = single_input("Flatten", &self.common.name, inputs)?;
        let s = x.shape();
        let out = self.flat_shape(&s)?;
        let r = s.len();
        if self.data_format == ImageDataFormat::ChannelsFirst && r > 2 {
            let mut perm: Vec<usize> = vec![0];
            perm.extend(2..r);
            perm.push(1);
            x = x.transpose(&perm)?;
        }
        let target: Vec<i64> = match (out[0], out[1]) {
            (_, Some(n)) if n > 0 => vec![-1, n as i64],
            (Some(b), Some(n)) => vec![b as i64, n as i64],
            (Some(b), None) => vec![b as i64, -1],
            (None, n) => {
                return Err(Error::arg(
                    "Flatten",
                    format!(
                        "layer {:?} (Flatten): cannot flatten shape {} ({}): the batch size and the flattened size \
                         cannot both be unknown",
                        self.common.name,
                        shape_str(&s),
                        if n.is_none() { "unknown non-batch dims" } else { "zero-size non-batch dims" }
                    ),
                ))
            }
        };
        Ok(vec![x.reshape(&target)?])
    }
}

/// The registry entries of this file.
pub(crate) fn entries() -> Vec<(&'static str, crate::layers::LayerFactory)> {
    vec![("Flatten", |c| Ok(LayerRef::from(Flatten::from_config(c)?)))]
}
