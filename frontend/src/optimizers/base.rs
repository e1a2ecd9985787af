//! What every optimizer shares (Keras's `BaseOptimizer`): the learning rate and iteration
//! variables, gradient clipping, weight decay, the per-variable slots, and the common config
//! keys.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};
use wgkeras_runtime::{DType, Device, Tensor};

use super::args::ConfigArgs;
use super::schedules::LearningRateSchedule;
use crate::error::{Error, Result};
use crate::graph::{static_shape, Graph, Sym};
use crate::variable::Variable;

/// A learning-rate schedule given as an optimizer's `learning_rate` (compared by config).
#[derive(Clone)]
pub struct ScheduleRef(pub Arc<dyn LearningRateSchedule>);

impl std::fmt::Debug for ScheduleRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({:?})", self.0.class_name(), self.0.config())
    }
}

impl PartialEq for ScheduleRef {
    fn eq(&self, other: &Self) -> bool {
        self.0.class_name() == other.0.class_name() && self.0.config() == other.0.config()
    }
}

/// The constructor arguments every Keras optimizer takes besides its learning rate, with
/// Keras's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizerOptions {
    /// `None`: the snake-case class name made unique (`adam`, `adam_1`, ...).
    pub name: Option<String>,
    /// When set, the learning rate is this schedule of the iteration count (the optimizer's
    /// float `learning_rate` is then unused), computed in the graph at every step.
    pub learning_rate_schedule: Option<ScheduleRef>,
    /// Decoupled weight decay: `var -= var * weight_decay * learning_rate` before each update.
    pub weight_decay: Option<f64>,
    /// Each gradient is rescaled so that its L2 norm is at most this.
    pub clipnorm: Option<f64>,
    /// All gradients are rescaled so that their joint L2 norm is at most this.
    pub global_clipnorm: Option<f64>,
    /// Each gradient element is clipped to `[-clipvalue, clipvalue]`.
    pub clipvalue: Option<f64>,
    /// Keep an exponential moving average of the variables (slot `average`), copied into
    /// them every `ema_overwrite_frequency` steps and by [`OptimizerBase::finalize_variable_values`].
    pub use_ema: bool,
    pub ema_momentum: f64,
    pub ema_overwrite_frequency: Option<i64>,
    /// The train step multiplies the loss by this and the optimizer divides the gradients by it.
    pub loss_scale_factor: Option<f64>,
    /// Gradients are summed over this many calls and their mean applied on the last one.
    pub gradient_accumulation_steps: Option<i64>,
}

impl Default for OptimizerOptions {
    fn default() -> Self {
        OptimizerOptions {
            name: None,
            learning_rate_schedule: None,
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
    /// Reads the common keys (and `learning_rate`, returned apart) of a Keras config; a
    /// serialized schedule as `learning_rate` becomes [`OptimizerOptions::learning_rate_schedule`].
    pub(crate) fn from_args(args: &ConfigArgs<'_>, default_lr: f64) -> Result<(f64, OptimizerOptions)> {
        let (lr, schedule) = match args.get("learning_rate") {
            Some(v @ Value::Object(_)) => (default_lr, Some(ScheduleRef(super::schedules::deserialize(v)?))),
            _ => (args.float("learning_rate", default_lr)?, None),
        };
        // Keras pops `decay` and ignores it with a warning.
        if args.opt_number("decay")?.is_some() {
            log::warn!("{}: argument `decay` is no longer supported and will be ignored", "optimizer");
        }
        let o = OptimizerOptions {
            name: args.opt_string("name")?,
            learning_rate_schedule: schedule,
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

/// Slots of one optimizer: per variable (in the order first seen), per slot name; and the
/// optimizer-wide state variables (Nadam's `u_product`).
#[derive(Default)]
struct Slots {
    order: Vec<u64>,
    map: HashMap<(u64, &'static str), Variable>,
    globals: Vec<(&'static str, Variable)>,
}

/// The state every optimizer shares. Its learning rate is a float32 scalar [`Variable`] (so a
/// callback changes it with no recompile) or a schedule of the iteration count, and its
/// iteration count an int32 scalar variable (Keras with JAX); both move to the device of the
/// variables they update.
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
            // Keras: `if gradient_accumulation_steps:` (0 means off).
            if n != 0 && n < 2 {
                return Err(Error::arg(
                    class,
                    format!("`gradient_accumulation_steps` must be an integer >= 2. Received: gradient_accumulation_steps={n}"),
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
                if f < 0 {
                    return Err(Error::arg(
                        class,
                        format!("`ema_overwrite_frequency` must be an integer >= 1 or None. Received: ema_overwrite_frequency={f}"),
                    ));
                }
            }
        }
        if o.loss_scale_factor == Some(0.0) {
            return Err(Error::arg(
                class,
                "`loss_scale_factor` must be non-zero (gradients are divided by it)",
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

    fn schedule(&self) -> Option<&Arc<dyn LearningRateSchedule>> {
        self.options.learning_rate_schedule.as_ref().map(|s| &s.0)
    }

    /// The learning-rate variable (unused when the learning rate is a schedule).
    pub fn learning_rate_variable(&self) -> Variable {
        self.learning_rate.clone()
    }

    pub fn iterations_variable(&self) -> Variable {
        self.iterations.clone()
    }

    /// The accumulation period, when gradients are accumulated.
    fn accumulation(&self) -> Option<i64> {
        self.options.gradient_accumulation_steps.filter(|&n| n >= 2)
    }

    /// The current learning rate (reads the variable back; a schedule is evaluated at the
    /// current iteration count, as Keras's `optimizer.learning_rate`).
    pub fn learning_rate(&self) -> Result<f64> {
        match self.schedule() {
            Some(s) => s.value(self.iterations.value().item()?),
            None => Ok(self.learning_rate.value().item()?),
        }
    }

    /// Sets the learning rate (stored as float32, as Keras does).
    pub fn set_learning_rate(&self, lr: f64) -> Result<()> {
        if self.schedule().is_some() {
            return Err(Error::arg(
                self.class,
                "This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` \
                 constructor argument, hence its learning rate is not settable.",
            ));
        }
        check_finite(self.class, "learning_rate", Some(lr))?;
        let dev = self.learning_rate.device();
        self.learning_rate.assign(&Tensor::from_vec(vec![lr as f32], &[], &dev)?)
    }

    /// Keras's `optimizer.iterations`: the update count (with gradient accumulation, the
    /// number of applied updates, i.e. calls divided by the period). Reads the variable back.
    pub fn iterations(&self) -> Result<i64> {
        let calls = self.iterations.value().item()? as i64;
        Ok(match self.accumulation() {
            Some(n) => calls.div_euclid(n),
            None => calls,
        })
    }

    /// Keras's common config keys, in Keras's order.
    pub(crate) fn config(&self) -> Map<String, Value> {
        let o = &self.options;
        let lr = match self.schedule() {
            Some(s) => super::schedules::serialize(s.as_ref()),
            // Keras reports `float(variable.numpy())`: the float32 value.
            None => json!(self
                .learning_rate
                .value()
                .to_vec_f32()
                .ok()
                .and_then(|v| v.first().copied())
                .unwrap_or(f32::NAN) as f64),
        };
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name));
        m.insert("learning_rate".into(), lr);
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

    /// Iterations, learning rate (absent with a schedule), the EMA averages, the gradient
    /// accumulators, then the slots group by group (each group interleaved over the variables
    /// in the order first seen), then optimizer-wide state: the order of Keras's
    /// `optimizer.variables`.
    pub(crate) fn variables(&self, groups: &[&[&'static str]]) -> Vec<Variable> {
        let mut out = vec![self.iterations.clone()];
        if self.schedule().is_none() {
            out.push(self.learning_rate.clone());
        }
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let common: [&[&'static str]; 2] = [&["average"], &["gradient_accumulator"]];
        for group in common.iter().chain(groups) {
            for id in &slots.order {
                for name in group.iter() {
                    if let Some(v) = slots.map.get(&(*id, *name)) {
                        out.push(v.clone());
                    }
                }
            }
        }
        out.extend(slots.globals.iter().map(|(_, v)| v.clone()));
        out
    }

    /// The slot `name` of `var` (zeros like the variable, on its device), created on first use.
    pub(crate) fn slot(&self, var: &Variable, name: &'static str) -> Result<Variable> {
        self.slot_filled(var, name, 0.0)
    }

    /// The slot `name` of `var`, created on first use filled with `init`.
    pub(crate) fn slot_filled(&self, var: &Variable, name: &'static str, init: f64) -> Result<Variable> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) = slots.map.get(&(var.id(), name)) {
            if v.device() != var.device() {
                v.to_device(&var.device())?;
            }
            return Ok(v.clone());
        }
        let value = var.value();
        let t = wgkeras_runtime::ops::full(value.dims(), init, value.dtype(), &value.device())?;
        let slot = Variable::new(format!("{}_{}", var.name(), name), t, false);
        if !slots.order.contains(&var.id()) {
            slots.order.push(var.id());
        }
        slots.map.insert((var.id(), name), slot.clone());
        Ok(slot)
    }

    /// An optimizer-wide scalar state variable of `dtype`, created on first use as `init` on
    /// `device`.
    pub(crate) fn global_slot(
        &self,
        name: &'static str,
        init: f64,
        dtype: DType,
        device: &Device,
    ) -> Result<Variable> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, v)) = slots.globals.iter().find(|(n, _)| *n == name) {
            if &v.device() != device {
                v.to_device(device)?;
            }
            return Ok(v.clone());
        }
        let t = Tensor::from_cpu(wgkeras_runtime::CpuStorage::from_f64(dtype, vec![init]), &[], device)?;
        let v = Variable::new(name, t, false);
        slots.globals.push((name, v.clone()));
        Ok(v)
    }

    /// Keras's `finalize_variable_values`: with EMA, each variable takes its moving average
    /// (the end of `fit` calls this). Runs on the device, nothing is read back.
    pub fn finalize_variable_values(&self, vars: &[Variable]) -> Result<()> {
        if !self.options.use_ema {
            return Ok(());
        }
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        for var in vars {
            if let Some(avg) = slots.map.get(&(var.id(), "average")) {
                var.assign(&avg.value())?;
            }
        }
        Ok(())
    }

    /// Keras's `scale_loss`: the loss times `loss_scale_factor`, when set.
    pub fn scale_loss<'g>(&self, loss: Sym<'g>) -> Result<Sym<'g>> {
        match self.options.loss_scale_factor {
            Some(f) => loss.mul_scalar(f),
            None => Ok(loss),
        }
    }

    fn check_pairs<'g>(&self, graph: &'g Graph, pairs: &[(Variable, Sym<'g>)]) -> Result<Device> {
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
        Ok(device)
    }

    /// Validates the pairs, moves the optimizer's variables to their device, unscales,
    /// accumulates and clips the gradients and applies weight decay: what every update step
    /// starts from. Everything is graph ops: the accumulation period and the EMA overwrite
    /// are `where` selections on the iteration count, so one compiled step serves every call.
    pub(crate) fn begin<'g>(&self, graph: &'g Graph, pairs: &[(Variable, Sym<'g>)]) -> Result<Step<'g>> {
        let device = self.check_pairs(graph, pairs)?;
        self.learning_rate.to_device(&device)?;
        self.iterations.to_device(&device)?;
        let iterations = graph.variable(&self.iterations);
        let next = iterations.add(graph.scalar(1.0, DType::I32)?)?;
        let lr = match self.schedule() {
            // Keras calls `schedule(self._iterations)`: the raw call count.
            Some(s) => s.call(iterations)?,
            None => graph.variable(&self.learning_rate),
        };
        let calls = iterations.cast(DType::F32)?;
        let f32c = |v: f64| graph.scalar(v, DType::F32);
        // Keras's `iterations` property (floor-divided by the accumulation period) and, with
        // accumulation, whether this call applies the update ((calls + 1) % n == 0). The +0.5
        // keeps the floors exact where the device's division is not correctly rounded.
        let (keras_it, is_update) = match self.accumulation() {
            Some(n) => {
                let n = n as f64;
                let q = calls
                    .add_scalar(0.5)?
                    .mul_scalar(1.0 / n)?
                    .unary(wgkeras_runtime::ops::UnaryOp::Floor)?;
                let c1 = calls.add_scalar(1.0)?;
                let q1 =
                    c1.add_scalar(0.5)?.mul_scalar(1.0 / n)?.unary(wgkeras_runtime::ops::UnaryOp::Floor)?;
                (q, Some(q1.mul_scalar(n)?.equal(c1)?))
            }
            None => (calls, None),
        };
        let t = keras_it.add_scalar(1.0)?;
        let mut grads: Vec<Sym<'g>> = pairs.iter().map(|(_, g)| *g).collect();
        if let Some(scale) = self.options.loss_scale_factor {
            grads = grads.into_iter().map(|g| g.mul_scalar(1.0 / scale)).collect::<Result<_>>()?;
        }
        let mut accumulators = vec![];
        if let (Some(is_update), Some(n)) = (is_update, self.accumulation()) {
            let zero = f32c(0.0)?;
            for ((var, _), g) in pairs.iter().zip(grads.iter_mut()) {
                let acc_var = self.slot(var, "gradient_accumulator")?;
                let sum = g.add(cast_to(graph.variable(&acc_var), g.dtype())?)?;
                let acc_next = is_update.select(cast_to(zero, sum.dtype())?, sum)?;
                accumulators.push((acc_var.clone(), cast_to(acc_next, acc_var.dtype())?));
                *g = is_update.select(sum.mul_scalar(1.0 / n as f64)?, *g)?;
            }
        }
        let grads = self.clip(grads)?;
        let wd = match self.options.weight_decay {
            Some(wd) => Some(lr.mul_scalar(wd)?),
            None => None,
        };
        let mut items = Vec::with_capacity(pairs.len());
        let mut ema = vec![];
        for ((var, _), g) in pairs.iter().zip(grads) {
            let w = graph.variable(var);
            let dtype = w.dtype();
            let g = cast_to(g, dtype)?;
            let w = match wd {
                Some(wdlr) => w.sub(w.mul(cast_to(wdlr, dtype)?)?)?,
                None => w,
            };
            items.push(StepItem { var: var.clone(), w, g, lr: cast_to(lr, dtype)? });
            if self.options.use_ema {
                ema.push((var.clone(), self.slot(var, "average")?));
            }
        }
        Ok(Step {
            graph,
            lr,
            t,
            keras_it,
            items,
            next_iterations: next,
            iterations_var: self.iterations.clone(),
            is_update,
            accumulators,
            ema,
            ema_momentum: self.options.ema_momentum,
            ema_overwrite_frequency: self.options.ema_overwrite_frequency.filter(|&f| f > 0),
        })
    }

    /// Keras's `_clip_gradients`: clipnorm (> 0), else global_clipnorm (> 0), else clipvalue (> 0).
    fn clip<'g>(&self, grads: Vec<Sym<'g>>) -> Result<Vec<Sym<'g>>> {
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
    /// Keras's `iterations + 1` as a float32 scalar (the update count, not the call count,
    /// under gradient accumulation).
    pub t: Sym<'g>,
    /// Keras's `iterations` as a float32 scalar.
    #[allow(dead_code)]
    pub keras_it: Sym<'g>,
    pub items: Vec<StepItem<'g>>,
    next_iterations: Sym<'g>,
    iterations_var: Variable,
    /// With gradient accumulation: true on the calls that apply the update.
    is_update: Option<Sym<'g>>,
    accumulators: Vec<(Variable, Sym<'g>)>,
    /// With EMA: (variable, its moving average).
    ema: Vec<(Variable, Variable)>,
    ema_momentum: f64,
    ema_overwrite_frequency: Option<i64>,
}

impl<'g> Step<'g> {
    /// A scalar constant of `dtype`.
    pub fn scalar(&self, v: f64, dtype: DType) -> Result<Sym<'g>> {
        self.graph.scalar(v, dtype)
    }

    /// Completes the rule's `updates` as Keras's JAX `_backend_apply_gradients` and `apply`
    /// do: under gradient accumulation every new value (weights and optimizer state) is kept
    /// only on update calls and the accumulators advance; the EMA averages follow the new
    /// weights and overwrite them every `ema_overwrite_frequency` updates; then each
    /// variable's constraint is applied to its new value and the call count advances.
    pub fn finish(self, updates: Vec<(Variable, Sym<'g>)>) -> Result<Vec<(Variable, Sym<'g>)>> {
        let graph = self.graph;
        let mut updates = updates;
        if let Some(is_update) = self.is_update {
            updates = updates
                .into_iter()
                .map(|(v, new)| {
                    let old = graph.variable(&v);
                    Ok((v, is_update.select(new, old)?))
                })
                .collect::<Result<Vec<_>>>()?;
            updates.extend(self.accumulators);
        }
        if !self.ema.is_empty() {
            let first_step = self.keras_it.equal(graph.scalar(0.0, DType::F32)?)?;
            let momentum = first_step
                .select(graph.scalar(0.0, DType::F32)?, graph.scalar(self.ema_momentum, DType::F32)?)?;
            let overwrite = match self.ema_overwrite_frequency {
                Some(f) => {
                    let f = f as f64;
                    let c1 = self.keras_it.add_scalar(1.0)?;
                    let q = c1
                        .add_scalar(0.5)?
                        .mul_scalar(1.0 / f)?
                        .unary(wgkeras_runtime::ops::UnaryOp::Floor)?;
                    Some(q.mul_scalar(f)?.equal(c1)?)
                }
                None => None,
            };
            for (var, avg_var) in self.ema {
                let pos = updates.iter().position(|(v, _)| v.id() == var.id());
                let new_w = match pos {
                    Some(i) => updates[i].1,
                    None => graph.variable(&var),
                };
                let m = cast_to(momentum, new_w.dtype())?;
                let avg = graph.variable(&avg_var);
                let avg1 = m.mul(avg)?.add(m.rsub_scalar(1.0)?.mul(new_w)?)?;
                updates.push((avg_var, avg1));
                if let Some(ow) = overwrite {
                    let w1 = ow.select(avg1, new_w)?;
                    match pos {
                        Some(i) => updates[i].1 = w1,
                        None => updates.push((var, w1)),
                    }
                }
            }
        }
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
