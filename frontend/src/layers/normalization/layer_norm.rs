//! `keras.layers.LayerNormalization` and `keras.layers.RMSNormalization`.

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Map, Value};

use super::{
    broadcast_param, float_input, moments, normalize, num_arg, resolve_axis, Affine, AxisArg, AFFINE_KEYS,
};
use crate::error::{Error, Result};
use crate::graph::{Shape, Sym};
use crate::initializers;
use crate::layers::serialization::{autocast, common_from_config, get_bool, single_input, single_shape};
use crate::layers::{CallContext, Layer, LayerCommon};

/// Keras sorts a list `axis` (by value, negative ones first) and turns an int into a one-item
/// list when it builds; its weights have the dims of those axes in that order.
fn built_axes(axis: &AxisArg) -> Vec<i64> {
    let mut a = axis.list();
    if matches!(axis, AxisArg::Many(_)) {
        a.sort_unstable();
    }
    a
}

/// The weight dims for `axes` of `shape`, and the axes resolved against its rank.
fn axis_dims(
    class: &'static str,
    name: &str,
    axis: &AxisArg,
    shape: &[Option<usize>],
) -> Result<(Vec<usize>, Vec<usize>)> {
    let mut dims = vec![];
    let mut resolved = vec![];
    for a in built_axes(axis) {
        let r = resolve_axis(class, name, a, shape, &axis.value())?;
        dims.push(super::known_dim(class, name, shape, r)?);
        resolved.push(r);
    }
    Ok((dims, resolved))
}

/// `axis` as `get_config` shows it: Keras's sorted list once built, as given before.
fn axis_config(axis: &AxisArg, built: bool) -> Value {
    if built {
        Value::from(built_axes(axis))
    } else {
        axis.value()
    }
}

// ---------------------------------------------------------------------------------------------
// LayerNormalization
// ---------------------------------------------------------------------------------------------

/// `keras.layers.LayerNormalization`: normalizes each sample over `axis` (an int or a list) with
/// its own mean and variance, then scales by `gamma` and shifts by `beta`. The deprecated
/// `rms_scaling=True` (kept by Keras 3.15.1) divides by the standard deviation without
/// centering and has no `beta`.
pub struct LayerNormalization {
    common: LayerCommon,
    axis: AxisArg,
    epsilon: Value,
    rms_scaling: bool,
    affine: Affine,
    built: AtomicBool,
}

const LN: &str = "LayerNormalization";

impl LayerNormalization {
    pub fn from_config(config: &Map<String, Value>) -> Result<LayerNormalization> {
        let mut own = vec!["axis", "epsilon", "rms_scaling"];
        own.extend_from_slice(AFFINE_KEYS);
        let common = common_from_config(LN, config, &own)?;
        Ok(LayerNormalization {
            axis: AxisArg::parse(LN, config.get("axis"), true)?,
            epsilon: num_arg(LN, config, "epsilon", Value::from(1e-3))?,
            rms_scaling: get_bool(LN, config, "rms_scaling", false)?,
            affine: Affine::from_config(LN, config)?,
            common,
            built: AtomicBool::new(false),
        })
    }

    fn has_gamma(&self) -> bool {
        self.affine.scale || self.rms_scaling
    }

    fn has_beta(&self) -> bool {
        self.affine.center && !self.rms_scaling
    }

    /// The computation with explicit `gamma` / `beta` nodes (of the weights' shapes).
    pub fn forward<'g>(&self, x: Sym<'g>, gamma: Option<Sym<'g>>, beta: Option<Sym<'g>>) -> Result<Sym<'g>> {
        let x = float_input(x)?;
        let shape = x.shape();
        let (_, axes) = axis_dims(LN, &self.common.name, &self.axis, &shape)?;
        let rank = shape.len();
        let dt = x.dtype();
        let bcast = |v: Sym<'g>| broadcast_param(v.cast(dt)?, rank, &axes, &shape);
        let gamma = gamma.map(bcast).transpose()?;
        let beta = beta.map(bcast).transpose()?;
        let ax: Vec<i64> = axes.iter().map(|&a| a as i64).collect();
        let eps = self.epsilon.as_f64().unwrap_or(1e-3);
        let (mean, var) = moments(x, &ax)?;
        let y = if self.rms_scaling {
            let y = x.mul(var.add_scalar(eps)?.rsqrt()?)?;
            match gamma {
                Some(g) => y.mul(g)?,
                None => y,
            }
        } else {
            normalize(x, mean, var, gamma, beta, eps)?
        };
        y.cast(self.common.dtype)
    }
}

impl Layer for LayerNormalization {
    /// Keras sets `supports_masking = True`: the input's mask passes through.
    fn supports_masking(&self) -> bool {
        true
    }

    fn class_name(&self) -> &'static str {
        LN
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("axis".into(), axis_config(&self.axis, self.built.load(Ordering::Relaxed)));
        m.insert("epsilon".into(), self.epsilon.clone());
        m.insert("rms_scaling".into(), Value::from(self.rms_scaling));
        self.affine.config(&mut m);
        m
    }

    fn build(&self, input_shapes: &[Shape]) -> Result<()> {
        let s = single_shape(LN, &self.common.name, input_shapes)?;
        let (dims, _) = axis_dims(LN, &self.common.name, &self.axis, s)?;
        if self.has_gamma() {
            self.affine.add_gamma(&self.common, &dims)?;
        }
        if self.has_beta() {
            self.affine.add_beta(&self.common, &dims)?;
        }
        self.built.store(true, Ordering::Relaxed);
        Ok(())
    }

    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        let s = single_shape(LN, &self.common.name, input_shapes)?;
        for a in self.axis.list() {
            resolve_axis(LN, &self.common.name, a, s, &self.axis.value())?;
        }
        Ok(vec![s.clone()])
    }

    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let x = single_input(LN, &self.common.name, inputs)?;
        let g = x.graph;
        let mut w = self.common.weights().into_iter();
        let gamma = if self.has_gamma() { w.next().map(|v| g.variable(&v)) } else { None };
        let beta = if self.has_beta() { w.next().map(|v| g.variable(&v)) } else { None };
        Ok(vec![self.forward(x, gamma, beta)?])
    }
}

// ---------------------------------------------------------------------------------------------
// RMSNormalization
// ---------------------------------------------------------------------------------------------

/// `keras.layers.RMSNormalization`: `x * rsqrt(mean(x^2, axis) + epsilon) * scale`. As in Keras,
/// `scale` (of the normalized dims) multiplies with NumPy broadcasting, aligned on the last axes.
pub struct RMSNormalization {
    common: LayerCommon,
    axis: AxisArg,
    epsilon: Value,
    built: AtomicBool,
}

const RMS: &str = "RMSNormalization";

impl RMSNormalization {
    pub fn from_config(config: &Map<String, Value>) -> Result<RMSNormalization> {
        let common = common_from_config(RMS, config, &["axis", "epsilon"])?;
        let epsilon = match config.get("epsilon") {
            // Keras keeps a null epsilon, and `ops.rms_normalization` then uses 1e-7.
            Some(Value::Null) => Value::Null,
            _ => num_arg(RMS, config, "epsilon", Value::from(1e-6))?,
        };
        Ok(RMSNormalization {
            axis: AxisArg::parse(RMS, config.get("axis"), true)?,
            epsilon,
            common,
            built: AtomicBool::new(false),
        })
    }

    /// The computation with an explicit `scale` node.
    pub fn forward<'g>(&self, x: Sym<'g>, scale: Sym<'g>) -> Result<Sym<'g>> {
        let x = autocast(float_input(x)?, self.common.dtype)?;
        let shape = x.shape();
        let (_, axes) = axis_dims(RMS, &self.common.name, &self.axis, &shape)?;
        let ax: Vec<i64> = axes.iter().map(|&a| a as i64).collect();
        let eps = self.epsilon.as_f64().unwrap_or(1e-7);
        let rrms = x.square()?.mean(&ax, true)?.add_scalar(eps)?.rsqrt()?;
        x.mul(rrms)?.mul(scale.cast(x.dtype())?)
    }
}

impl Layer for RMSNormalization {
    fn class_name(&self) -> &'static str {
        RMS
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("axis".into(), axis_config(&self.axis, self.built.load(Ordering::Relaxed)));
        m.insert("epsilon".into(), self.epsilon.clone());
        m
    }

    fn build(&self, input_shapes: &[Shape]) -> Result<()> {
        let s = single_shape(RMS, &self.common.name, input_shapes)?;
        let (dims, _) = axis_dims(RMS, &self.common.name, &self.axis, s)?;
        let ones = initializers::get(&Value::from("ones"))?;
        self.common.add_weight("scale", &dims, ones.as_ref(), true)?;
        self.built.store(true, Ordering::Relaxed);
        Ok(())
    }

    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        let s = single_shape(RMS, &self.common.name, input_shapes)?;
        for a in self.axis.list() {
            resolve_axis(RMS, &self.common.name, a, s, &self.axis.value())?;
        }
        Ok(vec![s.clone()])
    }

    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let x = single_input(RMS, &self.common.name, inputs)?;
        let scale =
            self.common.weights().into_iter().next().ok_or_else(|| {
                Error::arg(RMS, format!("layer {:?} ({RMS}) is not built", self.common.name))
            })?;
        Ok(vec![self.forward(x, x.graph.variable(&scale))?])
    }
}
