//! Normalization layers: `BatchNormalization`, `LayerNormalization`, `RMSNormalization`,
//! `GroupNormalization`, `UnitNormalization` (Keras 3.15.1's classes, configs and numbers).
//!
//! Every computation is graph ops, so the layers run on both backends and inside a compiled
//! step; batch statistics of `BatchNormalization` are recorded as state updates of the call.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::constraints::{self, Constraint};
use crate::error::{Error, Result};
use crate::graph::{shape_str, Sym};
use crate::initializers::{self, Initializer};
use crate::layers::{LayerFactory, LayerRef};
use crate::regularizers::{self, Regularizer};

mod batch;
mod group;
mod layer_norm;

pub use batch::BatchNormalization;
pub use group::{GroupNormalization, UnitNormalization};
pub use layer_norm::{LayerNormalization, RMSNormalization};

/// This file's layer classes for [`crate::layers::registry`].
pub fn entries() -> Vec<(&'static str, LayerFactory)> {
    vec![
        ("BatchNormalization", |c| Ok(LayerRef::from(BatchNormalization::from_config(c)?))),
        ("LayerNormalization", |c| Ok(LayerRef::from(LayerNormalization::from_config(c)?))),
        ("RMSNormalization", |c| Ok(LayerRef::from(RMSNormalization::from_config(c)?))),
        ("GroupNormalization", |c| Ok(LayerRef::from(GroupNormalization::from_config(c)?))),
        ("UnitNormalization", |c| Ok(LayerRef::from(UnitNormalization::from_config(c)?))),
    ]
}

/// An initializer argument (`default` when absent or null).
fn init_arg(
    class: &'static str,
    config: &Map<String, Value>,
    key: &str,
    default: &str,
) -> Result<Box<dyn Initializer>> {
    let v = match config.get(key) {
        None | Some(Value::Null) => Value::from(default),
        Some(v) => v.clone(),
    };
    initializers::get(&v).map_err(|e| Error::arg(class, format!("{class}: `{key}`: {e}")))
}

fn reg_arg(
    class: &'static str,
    config: &Map<String, Value>,
    key: &str,
) -> Result<Option<Arc<dyn Regularizer>>> {
    regularizers::get(config.get(key).unwrap_or(&Value::Null))
        .map_err(|e| Error::arg(class, format!("{class}: `{key}`: {e}")))
}

fn con_arg(
    class: &'static str,
    config: &Map<String, Value>,
    key: &str,
) -> Result<Option<Arc<dyn Constraint>>> {
    constraints::get(config.get(key).unwrap_or(&Value::Null))
        .map_err(|e| Error::arg(class, format!("{class}: `{key}`: {e}")))
}

/// A number argument kept as Keras keeps it (an int stays an int in `get_config`).
fn num_arg(class: &'static str, config: &Map<String, Value>, key: &str, default: Value) -> Result<Value> {
    match config.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v @ Value::Number(_)) => Ok(v.clone()),
        Some(v) => Err(Error::arg(class, format!("{class}: `{key}` must be a number, got {v}"))),
    }
}

/// The `gamma`/`beta` arguments every normalization layer with a scale and offset shares.
struct Affine {
    center: bool,
    scale: bool,
    beta_initializer: Box<dyn Initializer>,
    gamma_initializer: Box<dyn Initializer>,
    beta_regularizer: Option<Arc<dyn Regularizer>>,
    gamma_regularizer: Option<Arc<dyn Regularizer>>,
    beta_constraint: Option<Arc<dyn Constraint>>,
    gamma_constraint: Option<Arc<dyn Constraint>>,
}

const AFFINE_KEYS: &[&str] = &[
    "center",
    "scale",
    "beta_initializer",
    "gamma_initializer",
    "beta_regularizer",
    "gamma_regularizer",
    "beta_constraint",
    "gamma_constraint",
];

impl Affine {
    fn from_config(class: &'static str, config: &Map<String, Value>) -> Result<Affine> {
        use crate::layers::serialization::get_bool;
        Ok(Affine {
            center: get_bool(class, config, "center", true)?,
            scale: get_bool(class, config, "scale", true)?,
            beta_initializer: init_arg(class, config, "beta_initializer", "zeros")?,
            gamma_initializer: init_arg(class, config, "gamma_initializer", "ones")?,
            beta_regularizer: reg_arg(class, config, "beta_regularizer")?,
            gamma_regularizer: reg_arg(class, config, "gamma_regularizer")?,
            beta_constraint: con_arg(class, config, "beta_constraint")?,
            gamma_constraint: con_arg(class, config, "gamma_constraint")?,
        })
    }

    /// The config keys, `center`/`scale` included.
    fn config(&self, m: &mut Map<String, Value>) {
        m.insert("center".into(), Value::from(self.center));
        m.insert("scale".into(), Value::from(self.scale));
        m.insert("beta_initializer".into(), initializers::serialize(self.beta_initializer.as_ref()));
        m.insert("gamma_initializer".into(), initializers::serialize(self.gamma_initializer.as_ref()));
        m.insert("beta_regularizer".into(), regularizers::serialize_option(&self.beta_regularizer));
        m.insert("gamma_regularizer".into(), regularizers::serialize_option(&self.gamma_regularizer));
        m.insert("beta_constraint".into(), constraints::serialize_option(&self.beta_constraint));
        m.insert("gamma_constraint".into(), constraints::serialize_option(&self.gamma_constraint));
    }

    fn add_gamma(&self, common: &crate::layers::LayerCommon, dims: &[usize]) -> Result<()> {
        common.add_weight_with(
            "gamma",
            dims,
            self.gamma_initializer.as_ref(),
            true,
            self.gamma_regularizer.clone(),
            self.gamma_constraint.clone(),
        )?;
        Ok(())
    }

    fn add_beta(&self, common: &crate::layers::LayerCommon, dims: &[usize]) -> Result<()> {
        common.add_weight_with(
            "beta",
            dims,
            self.beta_initializer.as_ref(),
            true,
            self.beta_regularizer.clone(),
            self.beta_constraint.clone(),
        )?;
        Ok(())
    }
}

/// An `axis` argument: one int or a list of ints (Keras's `TypeError` otherwise).
#[derive(Clone, Debug, PartialEq)]
enum AxisArg {
    One(i64),
    Many(Vec<i64>),
}

impl AxisArg {
    fn parse(class: &'static str, v: Option<&Value>, allow_list: bool) -> Result<AxisArg> {
        let int = |v: &Value| v.as_i64();
        match v {
            None | Some(Value::Null) => Ok(AxisArg::One(-1)),
            Some(v) if int(v).is_some() => Ok(AxisArg::One(int(v).unwrap_or(-1))),
            Some(Value::Array(items)) if allow_list && items.iter().all(|i| int(i).is_some()) => {
                Ok(AxisArg::Many(items.iter().filter_map(int).collect()))
            }
            Some(v) => Err(Error::arg(
                class,
                format!(
                    "{class}: expected an int{} for the argument 'axis', but received: {v}",
                    if allow_list { " or a list/tuple of ints" } else { "" }
                ),
            )),
        }
    }

    fn list(&self) -> Vec<i64> {
        match self {
            AxisArg::One(a) => vec![*a],
            AxisArg::Many(v) => v.clone(),
        }
    }

    fn value(&self) -> Value {
        match self {
            AxisArg::One(a) => Value::from(*a),
            AxisArg::Many(v) => Value::from(v.clone()),
        }
    }
}

/// An axis against a rank, with Keras's out-of-bounds message.
fn resolve_axis(
    class: &'static str,
    name: &str,
    axis: i64,
    shape: &[Option<usize>],
    shown: &Value,
) -> Result<usize> {
    let r = shape.len() as i64;
    if axis >= r || axis < -r {
        return Err(Error::arg(
            class,
            format!(
                "layer {name:?} ({class}): Axis {axis} is out of bounds for input shape {}. Received: axis={shown}",
                shape_str(shape)
            ),
        ));
    }
    Ok(if axis < 0 { (axis + r) as usize } else { axis as usize })
}

/// The dim of `shape` at `axis`, which must be known to build a weight of it.
fn known_dim(class: &'static str, name: &str, shape: &[Option<usize>], axis: usize) -> Result<usize> {
    shape[axis].ok_or_else(|| {
        Error::arg(
            class,
            format!(
                "layer {name:?} ({class}): axis {axis} of the input shape {} must be known",
                shape_str(shape)
            ),
        )
    })
}

/// Float inputs keep their dtype (Keras computes in `result_type(x, float32)`); others go to
/// float32.
fn float_input(x: Sym<'_>) -> Result<Sym<'_>> {
    if x.dtype().is_float() {
        Ok(x)
    } else {
        x.cast(wgkeras_runtime::DType::F32)
    }
}

/// `v` (of the normalized dims) reshaped to broadcast against a rank-`rank` input whose
/// normalized axes are `axes` (each kept, others 1).
fn broadcast_param<'g>(v: Sym<'g>, rank: usize, axes: &[usize], shape: &[Option<usize>]) -> Result<Sym<'g>> {
    let mut target = vec![1i64; rank];
    for &a in axes {
        target[a] = shape[a].map_or(-1, |d| d as i64);
    }
    v.reshape(&target)
}

/// `mean` and biased `variance` over `axes` (keepdims), as `jnp.mean` / `jnp.var`.
fn moments<'g>(x: Sym<'g>, axes: &[i64]) -> Result<(Sym<'g>, Sym<'g>)> {
    let mean = x.mean(axes, true)?;
    let var = x.sub(mean)?.square()?.mean(axes, true)?;
    Ok((mean, var))
}

/// Keras's `batch_normalization` arithmetic: `x * inv + (beta - mean * inv)` with
/// `inv = rsqrt(var + eps) * gamma`; every statistic already broadcastable to `x`.
fn normalize<'g>(
    x: Sym<'g>,
    mean: Sym<'g>,
    var: Sym<'g>,
    gamma: Option<Sym<'g>>,
    beta: Option<Sym<'g>>,
    epsilon: f64,
) -> Result<Sym<'g>> {
    let mut inv = var.add_scalar(epsilon)?.rsqrt()?;
    if let Some(g) = gamma {
        inv = inv.mul(g)?;
    }
    let mut res = mean.neg()?.mul(inv)?;
    if let Some(b) = beta {
        res = res.add(b)?;
    }
    x.mul(inv)?.add(res)
}
