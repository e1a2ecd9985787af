//! Reshaping layers: `Flatten`, `Reshape`, `Permute`, `RepeatVector`.

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

/// The list of integers under `key` (Keras writes tuples as lists), or an error naming the
/// class and the key.
fn int_list(class: &'static str, config: &Map<String, Value>, key: &str) -> Result<Vec<i64>> {
    let v = config
        .get(key)
        .filter(|v| !v.is_null())
        .ok_or_else(|| Error::arg(class, format!("{class}: missing the required argument `{key}`")))?;
    let bad = || Error::arg(class, format!("{class}: `{key}` must be a list of integers, got {v}"));
    v.as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|d| {
            d.as_i64().or_else(|| d.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9e15).map(|f| f as i64))
        })
        .collect::<Option<Vec<i64>>>()
        .ok_or_else(bad)
}

fn tuple_str(v: &[i64]) -> String {
    match v {
        [one] => format!("({one},)"),
        _ => format!("({})", v.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    }
}

/// Keras's input spec check `ndim=n` of a one-input layer.
fn check_ndim(class: &'static str, name: &str, shape: &Shape, ndim: usize) -> Result<()> {
    if shape.len() != ndim {
        return Err(Error::arg(
            class,
            format!(
                "Input 0 of layer {name:?} ({class}) is incompatible with the layer: expected ndim={ndim}, found \
                 ndim={}. Full shape received: {}",
                shape.len(),
                shape_str(shape)
            ),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reshape
// ---------------------------------------------------------------------------------------------

/// `keras.layers.Reshape`: reshapes the non-batch dims to `target_shape` (one entry may be -1,
/// inferred from the input's size).
pub struct Reshape {
    common: LayerCommon,
    target_shape: Vec<i64>,
}

impl Reshape {
    pub fn new(target_shape: &[i64]) -> Result<Reshape> {
        let mut config = Map::new();
        config.insert("target_shape".into(), Value::from(target_shape.to_vec()));
        Reshape::from_config(&config)
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Reshape> {
        const C: &str = "Reshape";
        let common = common_from_config(C, config, &["target_shape"])?;
        let target_shape = int_list(C, config, "target_shape")?;
        // Keras's validate_reshape_shape.
        if target_shape.iter().any(|&d| d < -1) {
            return Err(Error::arg(
                C,
                format!(
                    "Each dimension in `target_shape` must be a non-negative integer, or `-1` for a single \
                     unknown dimension. Received: target_shape={}.",
                    tuple_str(&target_shape)
                ),
            ));
        }
        if target_shape.iter().filter(|&&d| d == -1).count() > 1 {
            return Err(Error::arg(
                C,
                format!(
                    "There must be at most one unknown dimension (-1) in `target_shape`. Received: \
                     target_shape={}.",
                    tuple_str(&target_shape)
                ),
            ));
        }
        Ok(Reshape { common, target_shape })
    }

    pub fn target_shape(&self) -> &[i64] {
        &self.target_shape
    }

    /// Keras's compute_reshape_output_shape on the non-batch dims.
    fn resolve(&self, input: &Shape) -> Result<Shape> {
        let t = &self.target_shape;
        let tshape = || tuple_str(t);
        if input.len() < 1 {
            return Err(Error::arg(
                "Reshape",
                format!("layer {:?} (Reshape) needs inputs of rank >= 1, got a scalar", self.common.name),
            ));
        }
        let rest = &input[1..];
        let as_dim = |d: i64| if d == -1 { None } else { Some(d as usize) };
        let Some(size) = rest.iter().try_fold(1usize, |acc, d| d.map(|d| acc * d)) else {
            return Ok(t.iter().map(|&d| as_dim(d)).collect());
        };
        let known: usize = t.iter().filter(|&&d| d != -1).map(|&d| d as usize).product();
        if !t.contains(&-1) {
            if known != size {
                return Err(Error::arg(
                    "Reshape",
                    format!(
                        "The total size of the tensor must be unchanged. Received: input_shape={}, \
                         target_shape={}",
                        shape_str(rest),
                        tshape()
                    ),
                ));
            }
            return Ok(t.iter().map(|&d| as_dim(d)).collect());
        }
        if known == 0 || size % known != 0 {
            return Err(Error::arg(
                "Reshape",
                format!(
                    "The total size of the tensor must be unchanged, however, the input size cannot by divided \
                     by the specified dimensions in target_shape. Received: input_shape={}, target_shape={}",
                    shape_str(rest),
                    tshape()
                ),
            ));
        }
        Ok(t.iter().map(|&d| Some(if d == -1 { size / known } else { d as usize })).collect())
    }
}

impl Layer for Reshape {
    fn class_name(&self) -> &'static str {
        "Reshape"
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("target_shape".into(), Value::from(self.target_shape.clone()));
        m
    }

    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        let s = single_shape("Reshape", &self.common.name, input_shapes)?;
        let mut out = vec![s.first().copied().flatten()];
        out.extend(self.resolve(s)?);
        Ok(vec![out])
    }

    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let x = single_input("Reshape", &self.common.name, inputs)?;
        let s = x.shape();
        let resolved = self.resolve(&s)?;
        let mut target: Vec<i64> = vec![s[0].map_or(-1, |b| b as i64)];
        let unknown = resolved.iter().filter(|d| d.is_none()).count();
        if unknown + usize::from(s[0].is_none()) > 1 {
            return Err(Error::arg(
                "Reshape",
                format!(
                    "layer {:?} (Reshape): cannot reshape an input of shape {} to target_shape={} (more than \
                     one unknown dimension)",
                    self.common.name,
                    shape_str(&s),
                    tuple_str(&self.target_shape)
                ),
            ));
        }
        target.extend(resolved.iter().map(|d| d.map_or(-1, |d| d as i64)));
        Ok(vec![x.reshape(&target)?])
    }
}

// ---------------------------------------------------------------------------------------------
// Permute
// ---------------------------------------------------------------------------------------------

/// `keras.layers.Permute`: permutes the non-batch axes; `dims` are 1-based (axis 0 is the batch).
pub struct Permute {
    common: LayerCommon,
    dims: Vec<i64>,
}

impl Permute {
    pub fn new(dims: &[i64]) -> Result<Permute> {
        let mut config = Map::new();
        config.insert("dims".into(), Value::from(dims.to_vec()));
        Permute::from_config(&config)
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Permute> {
        const C: &str = "Permute";
        let common = common_from_config(C, config, &["dims"])?;
        let dims = int_list(C, config, "dims")?;
        let mut sorted = dims.clone();
        sorted.sort_unstable();
        if sorted != (1..=dims.len() as i64).collect::<Vec<_>>() {
            return Err(Error::arg(
                C,
                format!(
                    "Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` must be \
                     consecutive and start from 1. Received dims={}",
                    tuple_str(&dims)
                ),
            ));
        }
        Ok(Permute { common, dims })
    }

    pub fn dims(&self) -> &[i64] {
        &self.dims
    }

    fn perm(&self) -> Vec<usize> {
        std::iter::once(0).chain(self.dims.iter().map(|&d| d as usize)).collect()
    }
}

impl Layer for Permute {
    fn class_name(&self) -> &'static str {
        "Permute"
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("dims".into(), Value::from(self.dims.clone()));
        m
    }

    fn build(&self, input_shapes: &[Shape]) -> Result<()> {
        let s = single_shape("Permute", &self.common.name, input_shapes)?;
        check_ndim("Permute", &self.common.name, s, self.dims.len() + 1)
    }

    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        let s = single_shape("Permute", &self.common.name, input_shapes)?;
        check_ndim("Permute", &self.common.name, s, self.dims.len() + 1)?;
        Ok(vec![self.perm().iter().map(|&a| s[a]).collect()])
    }

    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let x = single_input("Permute", &self.common.name, inputs)?;
        check_ndim("Permute", &self.common.name, &x.shape(), self.dims.len() + 1)?;
        Ok(vec![x.transpose(&self.perm())?])
    }
}

// ---------------------------------------------------------------------------------------------
// RepeatVector
// ---------------------------------------------------------------------------------------------

/// `keras.layers.RepeatVector`: `[batch, features]` to `[batch, n, features]`.
pub struct RepeatVector {
    common: LayerCommon,
    n: usize,
}

impl RepeatVector {
    pub fn new(n: usize) -> Result<RepeatVector> {
        let mut config = Map::new();
        config.insert("n".into(), Value::from(n));
        RepeatVector::from_config(&config)
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<RepeatVector> {
        const C: &str = "RepeatVector";
        let common = common_from_config(C, config, &["n"])?;
        let n = match config.get("n") {
            None | Some(Value::Null) => {
                return Err(Error::arg(C, "RepeatVector: missing the required argument `n`"))
            }
            Some(v) => v.as_i64().ok_or_else(|| {
                Error::arg(C, format!("RepeatVector: Expected an integer value for `n`, got {v}."))
            })?,
        };
        if n <= 0 {
            return Err(Error::arg(
                C,
                format!("RepeatVector: Argument `n` should be a positive integer. Received: n={n}"),
            ));
        }
        Ok(RepeatVector { common, n: n as usize })
    }

    pub fn n(&self) -> usize {
        self.n
    }
}

impl Layer for RepeatVector {
    fn class_name(&self) -> &'static str {
        "RepeatVector"
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("n".into(), Value::from(self.n));
        m
    }

    fn build(&self, input_shapes: &[Shape]) -> Result<()> {
        check_ndim(
            "RepeatVector",
            &self.common.name,
            single_shape("RepeatVector", &self.common.name, input_shapes)?,
            2,
        )
    }

    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        let s = single_shape("RepeatVector", &self.common.name, input_shapes)?;
        check_ndim("RepeatVector", &self.common.name, s, 2)?;
        Ok(vec![vec![s[0], Some(self.n), s[1]]])
    }

    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let x = single_input("RepeatVector", &self.common.name, inputs)?;
        let s = x.shape();
        check_ndim("RepeatVector", &self.common.name, &s, 2)?;
        let Some(f) = s[1] else {
            return Err(Error::arg(
                "RepeatVector",
                format!(
                    "layer {:?} (RepeatVector) needs a known feature dimension, got {}",
                    self.common.name,
                    shape_str(&s)
                ),
            ));
        };
        if self.n.checked_mul(f).is_none_or(|m| m > u32::MAX as usize) {
            return Err(Error::arg(
                "RepeatVector",
                format!(
                    "layer {:?} (RepeatVector): {} copies of {f} features exceed the 2^32 - 1 elements a \
                     tensor can hold per sample",
                    self.common.name, self.n
                ),
            ));
        }
        // [B, 1, F] + zeros [1, n, 1]: a broadcast whose gradient (sum over the n copies) the
        // graph already has.
        let zeros = x.graph.constant(wgkeras_runtime::ops::zeros(
            &[1, self.n, 1],
            x.dtype(),
            &wgkeras_runtime::Device::Cpu,
        )?);
        Ok(vec![x.expand_dims(1)?.add(zeros)?])
    }
}

/// The registry entries of this file.
pub(crate) fn entries() -> Vec<(&'static str, crate::layers::LayerFactory)> {
    vec![
        ("Flatten", |c| Ok(LayerRef::from(Flatten::from_config(c)?))),
        ("Reshape", |c| Ok(LayerRef::from(Reshape::from_config(c)?))),
        ("Permute", |c| Ok(LayerRef::from(Permute::from_config(c)?))),
        ("RepeatVector", |c| Ok(LayerRef::from(RepeatVector::from_config(c)?))),
    ]
}
