//! `keras.layers.GroupNormalization` and `keras.layers.UnitNormalization`.

use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::{Map, Value};

use super::{float_input, moments, normalize, num_arg, resolve_axis, Affine, AxisArg, AFFINE_KEYS};
use crate::error::{Error, Result};
use crate::graph::{shape_str, Shape, Sym};
use crate::layers::serialization::{autocast, common_from_config, get_i64, single_input, single_shape};
use crate::layers::{CallContext, Layer, LayerCommon};

// ---------------------------------------------------------------------------------------------
// GroupNormalization
// ---------------------------------------------------------------------------------------------

/// `keras.layers.GroupNormalization`: splits the `axis` channels into `groups` and normalizes
/// each sample's group over the group's channels and every other non-batch axis; then a
/// per-channel `gamma` and `beta`. `groups=-1` (instance normalization) becomes the channel
/// count when the layer is built, as in Keras's `get_config`.
pub struct GroupNormalization {
    common: LayerCommon,
    groups: AtomicI64,
    axis: i64,
    epsilon: Value,
    affine: Affine,
}

const GN: &str = "GroupNormalization";

impl GroupNormalization {
    pub fn from_config(config: &Map<String, Value>) -> Result<GroupNormalization> {
        let mut own = vec!["groups", "axis", "epsilon"];
        own.extend_from_slice(AFFINE_KEYS);
        let common = common_from_config(GN, config, &own)?;
        let groups = match config.get("groups") {
            None => 32,
            Some(v) => match v.as_i64() {
                Some(g) if g > 0 || g == -1 => g,
                _ => {
                    return Err(Error::arg(
                        GN,
                        format!(
                            "Received an invalid value for argument `groups`, expected a positive integer \
                             (or `-1` for instance normalization). Received: groups={v}"
                        ),
                    ))
                }
            },
        };
        let axis = get_i64(GN, config, "axis")?.unwrap_or(-1);
        Ok(GroupNormalization {
            groups: AtomicI64::new(groups),
            axis,
            epsilon: num_arg(GN, config, "epsilon", Value::from(1e-3))?,
            affine: Affine::from_config(GN, config)?,
            common,
        })
    }

    fn groups(&self) -> i64 {
        self.groups.load(Ordering::Relaxed)
    }

    /// The computation with explicit `gamma` / `beta` nodes (`[channels]` each).
    pub fn forward<'g>(&self, x: Sym<'g>, gamma: Option<Sym<'g>>, beta: Option<Sym<'g>>) -> Result<Sym<'g>> {
        let x = float_input(x)?;
        let shape = x.shape();
        let name = &self.common.name;
        let axis = resolve_axis(GN, name, self.axis, &shape, &Value::from(self.axis))?;
        let dim = super::known_dim(GN, name, &shape, axis)?;
        let groups = self.groups();
        if groups <= 0 || dim % groups as usize != 0 {
            return Err(Error::arg(
                GN,
                format!(
                    "layer {name:?} ({GN}) was built for {groups} groups, which do not divide the {dim} channels \
                     of the input shape {}",
                    shape_str(&shape)
                ),
            ));
        }
        let groups = groups as usize;
        // [.., groups, dim / groups, ..]: the groups take the channel axis's place.
        let mut grouped: Vec<i64> = shape.iter().map(|d| d.map_or(-1, |d| d as i64)).collect();
        grouped[axis] = (dim / groups) as i64;
        grouped.insert(axis, groups as i64);
        let xg = x.reshape(&grouped)?;
        let axes: Vec<i64> = (1..grouped.len() as i64).filter(|&i| i != axis as i64).collect();
        let (mean, var) = moments(xg, &axes)?;
        let mut bshape = vec![1i64; shape.len()];
        bshape[axis] = (dim / groups) as i64;
        bshape.insert(axis, groups as i64);
        let dt = x.dtype();
        let bcast = |v: Sym<'g>| v.cast(dt)?.reshape(&bshape);
        let eps = self.epsilon.as_f64().unwrap_or(1e-3);
        let y = normalize(xg, mean, var, gamma.map(bcast).transpose()?, beta.map(bcast).transpose()?, eps)?;
        y.reshape_like(x)?.cast(self.common.dtype)
    }
}

impl Layer for GroupNormalization {
    /// Keras sets `supports_masking = True`: the input's mask passes through.
    fn supports_masking(&self) -> bool {
        true
    }

    fn class_name(&self) -> &'static str {
        GN
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("groups".into(), Value::from(self.groups()));
        m.insert("axis".into(), Value::from(self.axis));
        m.insert("epsilon".into(), self.epsilon.clone());
        self.affine.config(&mut m);
        m
    }

    fn build(&self, input_shapes: &[Shape]) -> Result<()> {
        let s = single_shape(GN, &self.common.name, input_shapes)?;
        let axis = resolve_axis(GN, &self.common.name, self.axis, s, &Value::from(self.axis))?;
        let dim = s[axis].ok_or_else(|| {
            Error::arg(
                GN,
                format!(
                    "Axis {} of input tensor should have a defined dimension but the layer received an input \
                     with shape {}.",
                    self.axis,
                    shape_str(s)
                ),
            )
        })?;
        let mut groups = self.groups();
        if groups == -1 {
            groups = dim as i64;
        }
        if (dim as i64) < groups {
            return Err(Error::arg(
                GN,
                format!("Number of groups ({groups}) cannot be more than the number of channels ({dim})."),
            ));
        }
        if dim as i64 % groups != 0 {
            return Err(Error::arg(
                GN,
                format!("Number of groups ({groups}) must be a multiple of the number of channels ({dim})."),
            ));
        }
        self.groups.store(groups, Ordering::Relaxed);
        if self.affine.scale {
            self.affine.add_gamma(&self.common, &[dim])?;
        }
        if self.affine.center {
            self.affine.add_beta(&self.common, &[dim])?;
        }
        Ok(())
    }

    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        let s = single_shape(GN, &self.common.name, input_shapes)?;
        resolve_axis(GN, &self.common.name, self.axis, s, &Value::from(self.axis))?;
        Ok(vec![s.clone()])
    }

    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let x = single_input(GN, &self.common.name, inputs)?;
        let g = x.graph;
        let mut w = self.common.weights().into_iter();
        let gamma = if self.affine.scale { w.next().map(|v| g.variable(&v)) } else { None };
        let beta = if self.affine.center { w.next().map(|v| g.variable(&v)) } else { None };
        Ok(vec![self.forward(x, gamma, beta)?])
    }
}

// ---------------------------------------------------------------------------------------------
// UnitNormalization
// ---------------------------------------------------------------------------------------------

/// `keras.layers.UnitNormalization`: `x / max(||x||_2 over axis, 1e-12)` (Keras's
/// `x * min(rsqrt(sum(x^2)), 1e12)`).
pub struct UnitNormalization {
    common: LayerCommon,
    axis: AxisArg,
}

const UN: &str = "UnitNormalization";

impl UnitNormalization {
    pub fn from_config(config: &Map<String, Value>) -> Result<UnitNormalization> {
        let common = common_from_config(UN, config, &["axis"])?;
        Ok(UnitNormalization { axis: AxisArg::parse(UN, config.get("axis"), true)?, common })
    }

    fn axes(&self, shape: &[Option<usize>]) -> Result<Vec<i64>> {
        self.axis
            .list()
            .into_iter()
            .map(|a| Ok(resolve_axis(UN, &self.common.name, a, shape, &self.axis.value())? as i64))
            .collect()
    }
}

impl Layer for UnitNormalization {
    /// Keras sets `supports_masking = True`: the input's mask passes through.
    fn supports_masking(&self) -> bool {
        true
    }

    fn class_name(&self) -> &'static str {
        UN
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("axis".into(), self.axis.value());
        m
    }

    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        let s = single_shape(UN, &self.common.name, input_shapes)?;
        self.axes(s)?;
        Ok(vec![s.clone()])
    }

    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let x = single_input(UN, &self.common.name, inputs)?;
        let x = autocast(float_input(x)?, self.common.dtype)?;
        let axes = self.axes(&x.shape())?;
        Ok(vec![x.l2_normalize(&axes, 1e-12)?])
    }
}
