//! `keras.layers.BatchNormalization`.

use serde_json::{Map, Value};
use wgkeras_runtime::ops::UnaryOp;
use wgkeras_runtime::{DType, Device, Tensor};

use super::{float_input, moments, normalize, num_arg, resolve_axis, Affine, AFFINE_KEYS};
use crate::error::{Error, Result};
use crate::graph::{shape_str, Shape, Sym};
use crate::initializers::{self, Initializer};
use crate::layers::serialization::{common_from_config, get_bool, get_f64, single_input, single_shape};
use crate::layers::{CallContext, Layer, LayerCommon};
use crate::variable::Variable;

const C: &str = "BatchNormalization";

/// `keras.layers.BatchNormalization`: normalizes along the `axis` features with the batch's
/// statistics in training (recording `moving = moving * momentum + batch * (1 - momentum)` as
/// state updates of the call) and with the moving statistics otherwise. A layer whose
/// `trainable` is false always runs in inference mode (Keras 3).
///
/// Weights in Keras's order: `gamma` (if `scale`), `beta` (if `center`), `moving_mean`,
/// `moving_variance`, then with `renorm` `moving_stddev`, `renorm_mean`, `renorm_stddev`.
/// `synchronized` is accepted: one device holds the whole batch, so it changes nothing.
pub struct BatchNormalization {
    common: LayerCommon,
    axis: i64,
    momentum: f64,
    epsilon: f64,
    affine: Affine,
    moving_mean_initializer: Box<dyn Initializer>,
    moving_variance_initializer: Box<dyn Initializer>,
    synchronized: bool,
    renorm: bool,
    /// As given (`null` or an object of `rmax`, `rmin`, `dmax`).
    renorm_clipping: Value,
    renorm_momentum: Value,
}

/// The variables of a built layer.
struct Vars {
    gamma: Option<Variable>,
    beta: Option<Variable>,
    moving_mean: Variable,
    moving_variance: Variable,
    /// moving_stddev, renorm_mean, renorm_stddev.
    renorm: Option<[Variable; 3]>,
}

/// Keras's renorm initializer of the stddev weights: sqrt of the moving variance's initializer.
struct SqrtOf<'a>(&'a dyn Initializer);

impl Initializer for SqrtOf<'_> {
    fn class_name(&self) -> &'static str {
        self.0.class_name()
    }
    fn config(&self) -> Map<String, Value> {
        self.0.config()
    }
    fn init(&self, dims: &[usize], dtype: DType, device: &Device) -> Result<Tensor> {
        let t = self.0.init(dims, dtype, device)?;
        Ok(wgkeras_runtime::ops::unary(UnaryOp::Sqrt, &t)?)
    }
}

impl BatchNormalization {
    pub fn from_config(config: &Map<String, Value>) -> Result<BatchNormalization> {
        let mut own = vec![
            "axis",
            "momentum",
            "epsilon",
            "moving_mean_initializer",
            "moving_variance_initializer",
            "synchronized",
            "renorm",
            "renorm_clipping",
            "renorm_momentum",
        ];
        own.extend_from_slice(AFFINE_KEYS);
        let common = common_from_config(C, config, &own)?;
        let axis = match config.get("axis") {
            None | Some(Value::Null) => -1,
            Some(v) => v.as_i64().ok_or_else(|| {
                Error::arg(C, format!("{C}: `axis` must be an integer, got {v} (int(axis) fails in Keras)"))
            })?,
        };
        let momentum = get_f64(C, config, "momentum")?.unwrap_or(0.99);
        let epsilon = get_f64(C, config, "epsilon")?.unwrap_or(1e-3);
        let renorm = get_bool(C, config, "renorm", false)?;
        let mut renorm_clipping = config.get("renorm_clipping").cloned().unwrap_or(Value::Null);
        if renorm {
            if renorm_clipping.is_null() {
                renorm_clipping = Value::Object(Map::new());
            }
            let clip = renorm_clipping.as_object().ok_or_else(|| {
                Error::arg(C, format!("{C}: `renorm_clipping` must be a dict, got {renorm_clipping}"))
            })?;
            let keys = ["rmax", "rmin", "dmax"];
            if clip.keys().any(|k| !keys.contains(&k.as_str())) {
                return Err(Error::arg(
                    C,
                    format!(
                        "Received invalid keys for `renorm_clipping` argument: {renorm_clipping}. \
                         Supported values: {keys:?}."
                    ),
                ));
            }
            for (k, v) in clip {
                if !v.is_null() && !v.is_number() {
                    return Err(Error::arg(
                        C,
                        format!("{C}: renorm_clipping[{k:?}] must be a number, got {v}"),
                    ));
                }
            }
            let get = |k: &str| clip.get(k).and_then(Value::as_f64);
            if let (Some(rmax), Some(rmin)) = (get("rmax"), get("rmin")) {
                if rmax < rmin {
                    return Err(Error::arg(
                        C,
                        format!(
                            "rmax should be greater than rmin in the `renorm_clipping` argument. \
                             Received: rmax={rmax}, rmin={rmin}."
                        ),
                    ));
                }
            }
            if get("dmax").is_some_and(|d| d < 0.0) {
                return Err(Error::arg(
                    C,
                    format!(
                        "dmax should be non-negative in the `renorm_clipping` argument. Received: dmax={}.",
                        get("dmax").unwrap_or(0.0)
                    ),
                ));
            }
        }
        Ok(BatchNormalization {
            common,
            axis,
            momentum,
            epsilon,
            affine: Affine::from_config(C, config)?,
            moving_mean_initializer: super::init_arg(C, config, "moving_mean_initializer", "zeros")?,
            moving_variance_initializer: super::init_arg(C, config, "moving_variance_initializer", "ones")?,
            synchronized: get_bool(C, config, "synchronized", false)?,
            renorm,
            renorm_clipping,
            renorm_momentum: num_arg(C, config, "renorm_momentum", Value::from(0.99))?,
        })
    }

    pub fn momentum(&self) -> f64 {
        self.momentum
    }

    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    fn vars(&self) -> Result<Vars> {
        let mut w = self.common.weights().into_iter();
        let mut next = || {
            w.next().ok_or_else(|| Error::arg(C, format!("layer {:?} ({C}) is not built", self.common.name)))
        };
        let gamma = if self.affine.scale { Some(next()?) } else { None };
        let beta = if self.affine.center { Some(next()?) } else { None };
        let moving_mean = next()?;
        let moving_variance = next()?;
        let renorm = if self.renorm { Some([next()?, next()?, next()?]) } else { None };
        Ok(Vars { gamma, beta, moving_mean, moving_variance, renorm })
    }

    /// `moving_mean`, `moving_variance` (None before `build`).
    pub fn moving_statistics(&self) -> Option<(Variable, Variable)> {
        self.vars().ok().map(|v| (v.moving_mean, v.moving_variance))
    }

    /// Keras's input spec of the built layer: the build rank and the axis dim.
    fn check_input(&self, shape: &Shape) -> Result<usize> {
        let built = self.common.built_shapes().and_then(|s| s.into_iter().next()).unwrap_or_default();
        let axis = resolve_axis(C, &self.common.name, self.axis, shape, &Value::from(self.axis))?;
        let want = resolve_axis(C, &self.common.name, self.axis, &built, &Value::from(self.axis))?;
        if shape.len() != built.len() || shape[axis] != built[want] {
            return Err(Error::arg(
                C,
                format!(
                    "Input 0 of layer {:?} ({C}) is incompatible with the layer: expected ndim={} and axis \
                     {} of input shape to have value {}, but received input with shape {}",
                    self.common.name,
                    built.len(),
                    self.axis,
                    built[want].map_or("None".into(), |d| d.to_string()),
                    shape_str(shape)
                ),
            ));
        }
        Ok(axis)
    }

    /// The layer's computation with explicit `gamma` / `beta` nodes (the layer passes its
    /// variables; tests pass inputs to check gradients). Returns the output and, when the batch
    /// statistics were used, the state updates `(variable, new value)`.
    pub fn forward<'g>(
        &self,
        x: Sym<'g>,
        gamma: Option<Sym<'g>>,
        beta: Option<Sym<'g>>,
        training: bool,
    ) -> Result<(Sym<'g>, Vec<(Variable, Sym<'g>)>)> {
        let x = float_input(x)?;
        let shape = x.shape();
        let axis = self.check_input(&shape)?;
        let vars = self.vars()?;
        let g = x.graph;
        let rank = shape.len();
        let dt = x.dtype();
        let c = shape[axis].map_or(-1, |d| d as i64);
        let bshape: Vec<i64> = (0..rank).map(|i| if i == axis { c } else { 1 }).collect();
        let bcast = |v: Sym<'g>| -> Result<Sym<'g>> { v.cast(dt)?.reshape(&bshape) };
        let mut gamma = gamma.map(bcast).transpose()?;
        let mut beta = beta.map(bcast).transpose()?;
        let read = |v: &Variable| bcast(g.variable(v));
        let mut updates = vec![];
        let (mean, var) = if training && self.common.trainable() {
            let axes: Vec<i64> = (0..rank as i64).filter(|&i| i != axis as i64).collect();
            let (mean, var) = moments(x, &axes)?;
            // Moving statistics are stored per channel, in the variables' dtype.
            let flat = |s: Sym<'g>, v: &Variable| -> Result<Sym<'g>> { s.reshape(&[c])?.cast(v.dtype()) };
            let ema = |v: &Variable, batch: Sym<'g>, m: f64| -> Result<Sym<'g>> {
                g.variable(v).mul_scalar(m)?.add(batch.mul_scalar(1.0 - m)?)
            };
            let m = self.momentum;
            let batch_mean = flat(mean, &vars.moving_mean)?;
            let batch_var = flat(var, &vars.moving_variance)?;
            match &vars.renorm {
                None => {
                    updates.push((vars.moving_mean.clone(), ema(&vars.moving_mean, batch_mean, m)?));
                    updates.push((vars.moving_variance.clone(), ema(&vars.moving_variance, batch_var, m)?));
                }
                Some([moving_stddev, renorm_mean, renorm_stddev]) => {
                    let eps = self.epsilon;
                    let stddev = var.add_scalar(eps)?.sqrt()?;
                    let rm = read(renorm_mean)?;
                    let rs = read(renorm_stddev)?.maximum_scalar(eps.sqrt())?;
                    let mut r = stddev.div(rs)?;
                    let mut d = mean.sub(rm)?.div(rs)?;
                    let clip = |k: &str| self.renorm_clipping.get(k).and_then(Value::as_f64);
                    if let Some(rmin) = clip("rmin") {
                        r = r.maximum_scalar(rmin)?;
                    }
                    if let Some(rmax) = clip("rmax") {
                        r = r.minimum_scalar(rmax)?;
                    }
                    if let Some(dmax) = clip("dmax") {
                        d = d.clip(-dmax, dmax)?;
                    }
                    let (r, d) = (r.stop_gradient()?, d.stop_gradient()?);
                    let (eg, eb) = match gamma {
                        Some(gm) => (r.mul(gm)?, d.mul(gm)?),
                        None => (r, d),
                    };
                    gamma = Some(eg);
                    beta = Some(match beta {
                        Some(b) => eb.add(b)?,
                        None => eb,
                    });
                    let rmom = self.renorm_momentum.as_f64().unwrap_or(0.99);
                    let batch_std = flat(stddev, moving_stddev)?;
                    updates.push((renorm_mean.clone(), ema(renorm_mean, batch_mean, rmom)?));
                    updates.push((renorm_stddev.clone(), ema(renorm_stddev, batch_std, rmom)?));
                    updates.push((vars.moving_mean.clone(), ema(&vars.moving_mean, batch_mean, m)?));
                    let new_std = ema(moving_stddev, batch_std, m)?;
                    updates.push((moving_stddev.clone(), new_std));
                    let new_var = new_std.square()?.add_scalar(-eps)?.relu()?;
                    updates.push((vars.moving_variance.clone(), new_var));
                }
            }
            (mean, var)
        } else {
            (read(&vars.moving_mean)?, read(&vars.moving_variance)?)
        };
        let y = normalize(x, mean, var, gamma, beta, self.epsilon)?;
        Ok((y.cast(self.common.dtype)?, updates))
    }
}

impl Layer for BatchNormalization {
    /// Keras sets `supports_masking = True`: the input's mask passes through.
    fn supports_masking(&self) -> bool {
        true
    }

    fn class_name(&self) -> &'static str {
        C
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("axis".into(), Value::from(self.axis));
        m.insert("momentum".into(), Value::from(self.momentum));
        m.insert("epsilon".into(), Value::from(self.epsilon));
        self.affine.config(&mut m);
        m.insert(
            "moving_mean_initializer".into(),
            initializers::serialize(self.moving_mean_initializer.as_ref()),
        );
        m.insert(
            "moving_variance_initializer".into(),
            initializers::serialize(self.moving_variance_initializer.as_ref()),
        );
        m.insert("synchronized".into(), Value::from(self.synchronized));
        m.insert("renorm".into(), Value::from(self.renorm));
        m.insert("renorm_clipping".into(), self.renorm_clipping.clone());
        m.insert("renorm_momentum".into(), self.renorm_momentum.clone());
        m
    }

    fn build(&self, input_shapes: &[Shape]) -> Result<()> {
        let s = single_shape(C, &self.common.name, input_shapes)?;
        let axis = resolve_axis(C, &self.common.name, self.axis, s, &Value::from(self.axis))?;
        let dims = [super::known_dim(C, &self.common.name, s, axis)?];
        if self.affine.scale {
            self.affine.add_gamma(&self.common, &dims)?;
        }
        if self.affine.center {
            self.affine.add_beta(&self.common, &dims)?;
        }
        self.common.add_weight("moving_mean", &dims, self.moving_mean_initializer.as_ref(), false)?;
        self.common.add_weight("moving_variance", &dims, self.moving_variance_initializer.as_ref(), false)?;
        if self.renorm {
            let std_init = SqrtOf(self.moving_variance_initializer.as_ref());
            self.common.add_weight("moving_stddev", &dims, &std_init, false)?;
            self.common.add_weight("renorm_mean", &dims, self.moving_mean_initializer.as_ref(), false)?;
            self.common.add_weight("renorm_stddev", &dims, &std_init, false)?;
        }
        Ok(())
    }

    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        let s = single_shape(C, &self.common.name, input_shapes)?;
        resolve_axis(C, &self.common.name, self.axis, s, &Value::from(self.axis))?;
        Ok(vec![s.clone()])
    }

    fn call<'g>(&self, inputs: &[Sym<'g>], ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let x = single_input(C, &self.common.name, inputs)?;
        let vars = self.vars()?;
        let g = x.graph;
        let gamma = vars.gamma.as_ref().map(|v| g.variable(v));
        let beta = vars.beta.as_ref().map(|v| g.variable(v));
        let (y, updates) = self.forward(x, gamma, beta, ctx.training)?;
        ctx.updates.borrow_mut().extend(updates.into_iter().map(|(v, s)| (v, s.id)));
        Ok(vec![y])
    }
}
