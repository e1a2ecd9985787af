//! What every optimizer shares (Keras's `BaseOptimizer`): the learning rate and iteration
//! variables, gradient clipping, weight decay, the per-variable slots, and the common config
//! keys.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::{json, Map, Value};
use wgkeras_runtime::{DType, Device, Tensor};

use super::args::ConfigArgs;
use crate::error::{Error, Result};
use crate::graph::{static_shape, Graph, Sym};
use crate::variable::Variable;

/// The constructor arguments every Keras optimizer takes besides its learning rate, with
/// Keras's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizerOptions {
    /// `None`: the snake-case class name made unique (`adam`, `adam_1`, ...).
    pub name: Option<String>,
    /// Decoupled weight decay: `var -= var * weight_decay * learning_rate` before each update.
    pub weight_decay: Option<f64>,
    /// Each gradient is rescaled so that its L2 norm is at most this.
    pub clipnorm: Option<f64>,
    /// All gradients are rescaled so that their joint L2 norm is at most this.
    pub global_clipnorm: Option<f64>,
    /// Each gradient element is clipped to `[-clipvalue, clipvalue]`.
    pub clipvalue: Option<f64>,
    /// Not supported yet (`true` is refused).
    pub use_ema: bool,
    pub ema_momentum: f64,
    pub ema_overwrite_frequency: Option<i64>,
    /// Not supported yet (a value is refused).
    pub loss_scale_factor: Option<f64>,
    /// Not supported yet (a value >= 2 is refused).
    pub gradient_accumulation_steps: Option<i64>,
}

impl Default for OptimizerOptions {
    fn default() -> Self {
        OptimizerOptions {
            name: None,
            weight_decay: None,
            clipnorm: None,
            global_clipnorm: None,
            clipvalue: None,
            use_ema: false,
            ema_momentum: 0.99,
            ema_overwrite_frequency: None,
            loss_scale_factor: None,
            gradient_accumulation_steps: None,
        }
    }
}

impl OptimizerOptions {
    /// Reads the common keys (and `learning_rate`, returned apart) of a Keras config.
    pub(crate) fn from_args(args: &ConfigArgs<'_>, default_lr: f64) -> Result<(f64, OptimizerOptions)> {
        if let Some(Value::Object(_)) = args.get("learning_rate") {
            return Err(args.error(
                "learning_rate",
                "learning-rate schedules are not supported yet; give a float (a callback can change it)",
            ));
        }
        let lr = args.float("learning_rate", default_lr)?;
        // Keras pops `decay` and ignores it with a warning.
        if args.opt_number("decay")?.is_some() {
            log::warn!("{}: argument `decay` is no longer supported and will be ignored", "optimizer");
        }
        let o = OptimizerOptions {
            name: args.opt_string("name")?,
            weight_decay: args.opt_number("weight_decay")?,
            clipnorm: args.opt_number("clipnorm")?,
            global_clipnorm: args.opt_number("global_clipnorm")?,
            clipvalue: args.opt_number("clipvalue")?,
            use_ema: args.bool("use_ema", false)?,
            ema_momentum: args.number("ema_momentum", 0.99)?,
            ema_overwrite_frequency: args.opt_int("ema_overwrite_frequency")?,
            loss_scale_factor: args.opt_number("loss_scale_factor")?,
            gradient_accumulation_steps: args.opt_int("gradient_accumulation_steps")?,
        };
        Ok((lr, o))
    }
}

/// Slots of one optimizer: per variable (in the order first seen), per slot name.
#[derive(Default)]
struct Slots {
    order: Vec<u64>,
    map: HashMap<(u64, &'static str), Variable>,
}

/// The state every optimizer shares. Its learning rate is a float32 scalar [`Variable`] (so a
/// callback changes it with no recompile) and its iteration count an int32 scalar one (Keras
/// with JAX); both move to the device of the variables they update.
pub struct OptimizerBase {
    class: &'static str,
    pub(crate) options: OptimizerOptions,
    name: String,
    learning_rate: Variable,
    iterations: Variable,
    slots: Mutex<Slots>,
}

fn check_finite(class: &'static str, key: &str, v: Option<f64>) -> Result<()> {
    match v {
        Some(x) if !x.is_finite() => {
            Err(Error::arg(class, format!("`{key}` must be a finite number, got {x}")))
        }
        _ => Ok(()),
    }
}

impl OptimizerBase {
    /// Checks the common arguments as Keras does and creates the variables.
    pub(crate) fn new(
        class: &'static str,
        learning_rate: f64,
        options: OptimizerOptions,
    ) -> Result<OptimizerBase> {
        let o = &options;
        check_finite(class, "learning_rate", Some(learning_rate))?;
        for (k, v) in [
            ("weight_decay", o.weight_decay),
            ("clipnorm", o.clipnorm),
            ("global_clipnorm", o.global_clipnorm),
            ("clipvalue", o.clipvalue),
            ("loss_scale_factor", o.loss_scale_factor),
        ] {
            check_finite(class, k, v)?;
        }
        let clips = [o.clipnorm, o.clipvalue, o.global_clipnorm].iter().filter(|c| c.is_some()).count();
        if clips > 1 {
            let show = |v: Option<f64>| v.map_or("None".to_string(), |x| x.to_string());
            return Err(Error::arg(
                class,
                format!(
                    "only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: clipnorm={}, \
                     clipvalue={}, global_clipnorm={}",
                    show(o.clipnorm),
                    show(o.clipvalue),
                    show(o.global_clipnorm)
                ),
            ));
        }
        if let Some(n) = o.gradient_accumulation_steps {
            if n != 0 {
                if n < 2 {
                    return Err(Error::arg(
                        class,
                        format!("`gradient_accumulation_steps` must be an integer >= 2. Received: gradient_accumulation_steps={n}"),
                    ));
                }
                return Err(Error::arg(
                    class,
                    format!("`gradient_accumulation_steps` ({n}) is not supported yet; leave it null"),
                ));
            }
        }
        if o.use_ema {
            if !(0.0..=1.0).contains(&o.ema_momentum) {
                return Err(Error::arg(
                    class,
                    format!(
                        "`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={}",
                        o.ema_momentum
                    ),
                ));
            }
            if let Some(f) = o.ema_overwrite_frequency {
                if f < 1 {
                    return Err(Error::arg(
                        class,
                        format!("`ema_overwrite_frequency` must be an integer >= 1 or None. Received: {f}"),
                    ));
                }
            }
            return Err(Error::arg(class, "`use_ema` = true is not supported yet; leave it false"));
        }
        if let Some(f) = o.loss_scale_factor {
            return Err(Error::arg(
                class,
                format!("`loss_scale_factor` ({f}) is not supported yet; leave it null"),
            ));
        }
        let name = match &o.name {
            Some(n) => n.clone(),
            None => crate::utils::naming::auto_name(class),
        };
        let lr = Tensor::from_vec(vec![learning_rate as f32], &[], &Device::Cpu)?;
        let it = Tensor::from_vec(vec![0i32], &[], &Device::Cpu)?;
        Ok(OptimizerBase {
            class,
            options,
            name,
            learning_rate: Variable::new("learning_rate", lr, false),
            iterations: Variable::new("iteration", it, false),
            slots: Mutex::new(Slots::default()),
        })
    }

    pub fn class_name(&self) -> &'static str {
        self.class
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn learning_rate_variable(&self) -> Variable {
        self.learning_rate.clone()
    }

    pub fn iterations_variable(&self) -> Variable {
        self.iterations.clone()
    }

    /// The current learning rate (reads the variable back).
    pub fn learning_rate(&self) -> Result<f64> {
        Ok(self.learning_rate.value().item()?)
    }

    /// Sets the learning rate (stored as float32, as Keras does).
    pub fn set_learning_rate(&self, lr: f64) -> Result<()> {
        check_finite(self.class, "learning_rate", Some(lr))?;
        let dev = self.learning_rate.device();
        self.learning_rate.assign(&Tensor::from_vec(vec![lr as f32], &[], &dev)?)
    }

    /// How many times the update was applied (reads the variable back).
    pub fn iterations(&self) -> Result<i64> {
        Ok(self.iterations.value().item()? as i64)
    }

    /// Keras's common config keys, in Keras's order.
    pub(crate) fn config(&self) -> Map<String, Value> {
        let o = &self.options;
        // Keras reports `float(variable.numpy())`: the float32 value.
        let lr =
            self.learning_rate.value().to_vec_f32().ok().and_then(|v| v.first().copied()).unwrap_or(f32::NAN);
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name));
        m.insert("learning_rate".into(), json!(lr as f64));
        m.insert("weight_decay".into(), json!(o.weight_decay));
        m.insert("clipnorm".into(), json!(o.clipnorm));
        m.insert("global_clipnorm".into(), json!(o.global_clipnorm));
        m.insert("clipvalue".into(), json!(o.clipvalue));
        m.insert("use_ema".into(), json!(o.use_ema));
        m.insert("ema_momentum".into(), json!(o.ema_momentum));
        m.insert("ema_overwrite_frequency".into(), json!(o.ema_overwrite_frequency));
        m.insert("loss_scale_factor".into(), json!(o.loss_scale_factor));
        m.insert("gradient_accumulation_steps".into(), json!(o.gradient_accumulation_steps));
        m
    }

    /// Iterations, learning rate, then the slots group by group (each group interleaved over
    /// the variables in the order first seen), as Keras's `optimizer.variables` lists them.
    pub(crate) fn variables(&self, groups: &[&[&'static str]]) -> Vec<Variable> {
        let mut out = vec![self.iterations.clone(), self.learning_rate.clone()];
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        for group in groups {
            for id in &slots.order {
                for name in group.iter() {
                    if let Some(v) = slots.map.get(&(*id, *name)) {
                        out.push(v.clone());
                    }
                }
            }
        }
        out
    }

    /// The slot `name` of `var` (zeros like the variable, on its device), created on first use.
    pub(crate) fn slot(&self, var: &Variable, name: &'static str) -> Result<Variable> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) = slots.map.get(&(var.id(), name)) {
            if v.device() != var.device() {
                v.to_device(&var.device())?;
            }
            return Ok(v.clone());
        }
        let value = var.value();
        let zeros = wgkeras_runtime::ops::zeros(value.dims(), value.dtype(), &value.device())?;
        let slot = Variable::new(format!("{}_{}", var.name(), name), zeros, false);
        if !slots.order.contains(&var.id()) {
            slots.order.push(var.id());
        }
        slots.map.insert((var.id(), name), slot.clone());
        Ok(slot)
    }

    /// Validates the pairs, moves the optimizer's variables to their device, clips the
    /// gradients and applies weight decay: what every update step starts from.
    pub(crate) fn begin<'g>(&self, graph: &'g Graph, pairs: &[(Variable, Sym<'g>)]) -> Result<Step<'g>> {
        let class = self.class;
        let device = match pairs.first() {
            Some((v, _)) => v.device(),
            None => self.learning_rate.device(),
        };
        let mut seen = std::collections::HashSet::new();
        for (var, g) in pairs {
            if !std::ptr::eq(g.graph, graph) {
                return Err(Error::arg(
                    class,
                    format!("the gradient of {:?} belongs to another graph", var.name()),
                ));
            }
            let value = var.value();
            if !value.dtype().is_float() {
                return Err(Error::arg(
                    class,
                    format!(
                        "variable {:?} has dtype {}; only float variables can be optimized",
                        var.name(),
                        value.dtype().name()
                    ),
                ));
            }
            if g.shape() != static_shape(value.dims()) {
                return Err(Error::arg(
                    class,
                    format!(
                        "the gradient of variable {:?} has shape {}, the variable {}",
                        var.name(),
                        crate::graph::shape_str(&g.shape()),
                        crate::graph::shape_str(&static_shape(value.dims()))
                    ),
                ));
            }
            if !g.dtype().is_float() {
                return Err(Error::arg(
                    class,
                    format!(
                        "the gradient of variable {:?} has dtype {}, expected a float",
                        var.name(),
                        g.dtype().name()
                    ),
                ));
            }
            if value.device() != device {
                return Err(Error::arg(
                    class,
                    format!(
                        "variables {:?} and {:?} are on different devices ({} and {})",
                        pairs[0].0.name(),
                        var.name(),
                        device.name(),
                        value.device().name()
                    ),
                ));
            }
            if !seen.insert(var.id()) {
                return Err(Error::arg(
                    class,
                    format!("variable {:?} appears twice in the gradients", var.name()),
                ));
            }
        }
        self.learning_rate.to_device(&device)?;
        self.iterations.to_device(&device)?;
        let lr = graph.variable(&self.learning_rate);
        let iterations = graph.variable(&self.iterations);
        let next = iterations.add(graph.scalar(1.0, DType::I32)?)?;
        let t = next.cast(DType::F32)?;
        let grads = self.clip(graph, pairs)?;
        let wd = match self.options.weight_decay {
            Some(wd) => Some(lr.mul_scalar(wd)?),
            None => None,
        };
        let mut items = Vec::with_capacity(pairs.len());
        for ((var, _), g) in pairs.iter().zip(grads) {
            let w = graph.variable(var);
            let dtype = w.dtype();
            let g = cast_to(g, dtype)?;
            let w = match wd {
                Some(wdlr) => w.sub(w.mul(cast_to(wdlr, dtype)?)?)?,
                None => w,
            };
            items.push(StepItem { var: var.clone(), w, g, lr: cast_to(lr, dtype)? });
        }
        Ok(Step { graph, lr, t, items, next_iterations: next, iterations_var: self.iterations.clone() })
    }

    /// Keras's `_clip_gradients`: clipnorm (> 0), else global_clipnorm (> 0), else clipvalue (> 0).
    fn clip<'g>(&self, graph: &'g Graph, pairs: &[(Variable, Sym<'g>)]) -> Result<Vec<Sym<'g>>> {
        let grads: Vec<Sym<'g>> = pairs.iter().map(|(_, g)| *g).collect();
        let o = &self.options;
        if let Some(c) = o.clipnorm.filter(|&c| c > 0.0) {
            return grads
                .into_iter()
                .map(|g| {
                    let norm = g.square()?.sum_all()?.sqrt()?;
                    g.mul_scalar(c)?.div(norm.maximum_scalar(c)?)
                })
                .collect();
        }
        if let Some(c) = o.global_clipnorm.filter(|&c| c > 0.0) {
            if grads.is_empty() {
                return Ok(grads);
            }
            let mut total: Option<Sym<'g>> = None;
            for g in &grads {
                let s = cast_to(g.square()?.sum_all()?, DType::F32)?;
                total = Some(match total {
                    None => s,
                    Some(t) => t.add(s)?,
                });
            }
            let norm = total.ok_or_else(|| Error::arg(self.class, "no gradients"))?.sqrt()?;
            // c * min(1 / norm, 1 / c), NaN when the norm is not finite (as Keras).
            let scale = norm.reciprocal()?.minimum_scalar(1.0 / c)?.mul_scalar(c)?.add(norm.sub(norm)?)?;
            let _ = graph;
            return grads.into_iter().map(|g| g.mul(cast_to(scale, g.dtype())?)).collect();
        }
        if let Some(v) = o.clipvalue.filter(|&v| v > 0.0) {
            return grads.into_iter().map(|g| g.clip(-v, v)).collect();
        }
        Ok(grads)
    }
}

/// `x` as `dtype` (no node when it is already).
pub(crate) fn cast_to(x: Sym<'_>, dtype: DType) -> Result<Sym<'_>> {
    if x.dtype() == dtype {
        Ok(x)
    } else {
        x.cast(dtype)
    }
}

/// One variable of an update step: its value after weight decay, its clipped gradient (of the
/// variable's dtype) and the learning rate as the variable's dtype.
pub(crate) struct StepItem<'g> {
    pub var: Variable,
    pub w: Sym<'g>,
    pub g: Sym<'g>,
    pub lr: Sym<'g>,
}

/// An update step in construction.
pub(crate) struct Step<'g> {
    pub graph: &'g Graph,
    /// The learning rate (float32 scalar).
    pub lr: Sym<'g>,
    /// `iterations + 1` as a float32 scalar.
    pub t: Sym<'g>,
    pub items: Vec<StepItem<'g>>,
    next_iterations: Sym<'g>,
    iterations_var: Variable,
}

impl<'g> Step<'g> {
    /// A scalar constant of `dtype`.
    pub fn scalar(&self, v: f64, dtype: DType) -> Result<Sym<'g>> {
        self.graph.scalar(v, dtype)
    }

    /// The updates with each variable's constraint applied to its new value (Keras applies
    /// `variable.constraint` right after the update) and the iteration count's appended.
    pub fn finish(self, updates: Vec<(Variable, Sym<'g>)>) -> Result<Vec<(Variable, Sym<'g>)>> {
        let mut updates = updates
            .into_iter()
            .map(|(v, new)| match v.constraint() {
                Some(c) => Ok((v, c.call(new)?)),
                None => Ok((v, new)),
            })
            .collect::<Result<Vec<_>>>()?;
        if !self.items.is_empty() {
            updates.push((self.iterations_var, self.next_iterations));
        }
        Ok(updates)
    }
}
