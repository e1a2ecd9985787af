//! `keras.optimizers`: each optimizer's update rule as graph ops, so a train step computes the
//! new weights and slots on the device.
//!
//! [`SGD`], [`Adam`], [`AdamW`], [`RMSprop`], [`Adagrad`], [`Adadelta`], [`Adamax`], [`Nadam`],
//! [`Lion`], [`Ftrl`] and [`Lamb`] follow Keras 3's formulas, config keys and defaults. Every
//! optimizer keeps its learning rate in a float32 scalar [`Variable`] (a callback changes it with
//! [`Optimizer::set_learning_rate`] and the compiled step reads the new value, no recompile) or
//! computes it from a [`schedules`] object at every step, and counts its calls in an int32
//! scalar `iterations` variable. Slots (moments, velocities) are created on first use per
//! variable, on the variable's device.
//!
//! One update ([`Optimizer::apply_gradients`]) is, as in Keras with JAX: unscale the gradients
//! (`loss_scale_factor`), accumulate them (`gradient_accumulation_steps`), clip them
//! (`clipnorm`, else `global_clipnorm`, else `clipvalue`), decay the weights (`var -= var *
//! weight_decay * lr`), the optimizer's rule with `t = iterations + 1`, the EMA of the weights
//! (`use_ema`), then the constraints; it returns every assignment as graph nodes, for a
//! [`Plan`](crate::graph::Plan) to run on the device (conditional parts are `where` selections
//! on the iteration count: no host branch, no readback). [`apply_gradients_eager`] does one
//! update right away.

/// What one optimizer class supplies: its state, its own config keys and its update rule. The
/// common step around the rule (clipping, weight decay, accumulation, EMA, constraints,
/// iteration count) is written once, in the `impl<T: UpdateRule> Optimizer for T` below, so
/// each class writes only what is its own.
pub(crate) trait UpdateRule: Send + Sync {
    /// The shared state: learning rate, iterations, options, slots.
    fn base(&self) -> &OptimizerBase;
    /// The config keys of the class's own arguments, in Keras's order.
    fn own_config(&self) -> Vec<(&'static str, Value)>;
    /// The slot names, group by group, in the order Keras's `optimizer.variables` lists them.
    fn slot_groups(&self) -> Vec<&'static [&'static str]>;
    /// Pushes the new values of the step's variables and of their slots onto `updates`.
    fn update<'g>(
        &self,
        graph: &'g Graph,
        step: &base::Step<'g>,
        updates: &mut Vec<(Variable, Sym<'g>)>,
    ) -> Result<()>;
}

impl<T: UpdateRule> Optimizer for T {
    fn own_config(&self) -> Vec<(&'static str, Value)> {
        UpdateRule::own_config(self)
    }

    fn slot_groups(&self) -> Vec<&'static [&'static str]> {
        UpdateRule::slot_groups(self)
    }

    fn base(&self) -> &OptimizerBase {
        UpdateRule::base(self)
    }

    /// The common step: `OptimizerBase::begin`, the class's rule, then `Step::finish`.
    fn apply_gradients<'g>(
        &self,
        graph: &'g Graph,
        pairs: &[(Variable, Sym<'g>)],
    ) -> Result<Vec<(Variable, Sym<'g>)>> {
        let step = UpdateRule::base(self).begin(graph, pairs)?;
        let mut updates = vec![];
        if !step.items.is_empty() {
            self.update(graph, &step, &mut updates)?;
        }
        step.finish(updates)
    }
}

/// Reads an optimizer's Keras config as every class's `from_config` does: the common keys
/// (the learning rate, with the class's default, returned apart), then the class's own keys
/// with `read_own`, then refuses the keys nothing read (errors name the class and the key).
pub(crate) fn read_config<A>(
    class: &'static str,
    config: &Map<String, Value>,
    default_lr: f64,
    read_own: impl FnOnce(&ConfigArgs<'_>) -> Result<A>,
) -> Result<(f64, OptimizerOptions, A)> {
    let args = ConfigArgs::new(class, config);
    let (learning_rate, common) = OptimizerOptions::from_args(&args, default_lr)?;
    let own = read_own(&args)?;
    args.finish()?;
    Ok((learning_rate, common, own))
}

mod adam;
pub(crate) mod args;
mod base;
mod ftrl;
mod lion;
mod rmsprop;
pub mod schedules;
mod sgd;

use serde_json::{Map, Value};
use wgkeras_runtime::Tensor;

use args::ConfigArgs;

pub use adam::{Adam, AdamOptions, AdamW, Adamax, Lamb, Nadam};
pub use base::{OptimizerBase, OptimizerOptions, ScheduleRef};
pub use ftrl::Ftrl;
pub use lion::Lion;
pub use rmsprop::{Adadelta, Adagrad, RMSprop, RMSpropOptions};
pub use schedules::LearningRateSchedule;
pub use sgd::{SgdOptions, SGD};

use crate::error::{Error, Result};
use crate::graph::plan::PlanOptions;
use crate::graph::{Graph, Plan, Sym};
use crate::variable::Variable;

pub trait Optimizer: Send + Sync {
    /// The config keys of this optimizer's own arguments, in Keras's order (they follow the
    /// common ones in [`Optimizer::config`]).
    fn own_config(&self) -> Vec<(&'static str, Value)>;
    /// The slot names, group by group, in the order Keras's `optimizer.variables` lists them
    /// (each group interleaved over the variables).
    fn slot_groups(&self) -> Vec<&'static [&'static str]>;
    /// The updates (variable <- new value, slots and iteration count included) that apply
    /// `grads` to `vars`, as Keras's `apply_gradients` does.
    fn apply_gradients<'g>(
        &self,
        graph: &'g Graph,
        pairs: &[(Variable, Sym<'g>)],
    ) -> Result<Vec<(Variable, Sym<'g>)>>;

    /// The shared state: learning rate, iterations, options, slots.
    fn base(&self) -> &OptimizerBase;

    fn class_name(&self) -> &'static str {
        self.base().class_name()
    }
    /// Keras's `get_config()`: the common keys, then [`Optimizer::own_config`].
    fn config(&self) -> Map<String, Value> {
        let mut m = self.base().config();
        for (key, value) in self.own_config() {
            m.insert(key.into(), value);
        }
        m
    }
    /// Every optimizer state variable (iterations, learning rate, slots).
    fn variables(&self) -> Vec<Variable> {
        self.base().variables(&self.slot_groups())
    }

    /// The optimizer's name (`config()["name"]`).
    fn name(&self) -> String {
        self.base().name().to_string()
    }
    /// The current learning rate (reads its variable back from the device).
    fn learning_rate(&self) -> Result<f64> {
        self.base().learning_rate()
    }
    /// Sets the learning rate; compiled steps read the new value on their next run.
    fn set_learning_rate(&self, lr: f64) -> Result<()> {
        self.base().set_learning_rate(lr)
    }
    /// The float32 scalar variable holding the learning rate.
    fn learning_rate_variable(&self) -> Variable {
        self.base().learning_rate_variable()
    }
    /// Keras's `iterations`: how many updates were applied (calls divided by the gradient
    /// accumulation period; reads the variable back).
    fn iterations(&self) -> Result<i64> {
        self.base().iterations()
    }
    /// The int32 scalar variable counting the calls.
    fn iterations_variable(&self) -> Variable {
        self.base().iterations_variable()
    }
    /// Keras's `finalize_variable_values`: with `use_ema`, the variables take their moving
    /// averages (called at the end of `fit`).
    fn finalize_variable_values(&self, vars: &[Variable]) -> Result<()> {
        self.base().finalize_variable_values(vars)
    }
    /// Keras's `scale_loss`: the loss the train step differentiates (times
    /// `loss_scale_factor`, when set).
    fn scale_loss<'g>(&self, loss: Sym<'g>) -> Result<Sym<'g>> {
        self.base().scale_loss(loss)
    }
}

/// The optimizers [`get`] knows, by their lowercase Keras names.
pub const OPTIMIZER_NAMES: [&str; 11] =
    ["adadelta", "adagrad", "adam", "adamax", "adamw", "ftrl", "lamb", "lion", "nadam", "rmsprop", "sgd"];

/// Keras optimizers not implemented here (named in the error of [`get`]).
const NOT_IMPLEMENTED: [&str; 5] =
    ["adafactor", "lossscaleoptimizer", "muon", "schedulefreeadamw", "multioptimizer"];

/// Builds an optimizer from a string identifier (`"adam"`, `"SGD"`: case-insensitive, as
/// Keras) or a Keras serialized object `{"class_name", "config", ...}`.
pub fn get(identifier: &Value) -> Result<Box<dyn Optimizer>> {
    let (class, config) = args::identifier_parts("optimizers.get", identifier)?;
    from_config(&class, &config)
}

/// Builds the optimizer `class_name` (case-insensitive) from its Keras config.
pub fn from_config(class_name: &str, config: &Map<String, Value>) -> Result<Box<dyn Optimizer>> {
    let lower = class_name.to_lowercase();
    Ok(match lower.as_str() {
        "sgd" => Box::new(SGD::from_config(config)?),
        "adam" => Box::new(Adam::from_config(config)?),
        "adamw" => Box::new(AdamW::from_config(config)?),
        "rmsprop" => Box::new(RMSprop::from_config(config)?),
        "adagrad" => Box::new(Adagrad::from_config(config)?),
        "adadelta" => Box::new(Adadelta::from_config(config)?),
        "adamax" => Box::new(Adamax::from_config(config)?),
        "nadam" => Box::new(Nadam::from_config(config)?),
        "lion" => Box::new(Lion::from_config(config)?),
        "ftrl" => Box::new(Ftrl::from_config(config)?),
        "lamb" => Box::new(Lamb::from_config(config)?),
        other if NOT_IMPLEMENTED.contains(&other) => {
            return Err(Error::arg(
                "optimizers.get",
                format!(
                    "the Keras optimizer {class_name:?} is not implemented yet; available: {}",
                    OPTIMIZER_NAMES.join(", ")
                ),
            ))
        }
        _ => {
            return Err(Error::arg(
                "optimizers.get",
                format!(
                    "could not interpret optimizer identifier {class_name:?}; known: {}",
                    OPTIMIZER_NAMES.join(", ")
                ),
            ))
        }
    })
}

/// Keras's serialized form of an optimizer.
pub fn serialize(opt: &dyn Optimizer) -> Value {
    serde_json::json!({
        "module": "keras.optimizers",
        "class_name": opt.class_name(),
        "config": Value::Object(opt.config()),
        "registered_name": Value::Null,
    })
}

/// Applies one update right away: builds the update graph with `grads` as constants and runs
/// it as a [`Plan`] on the variables' device (the new values are written into the variables,
/// the slots and the iteration count; nothing is read back).
pub fn apply_gradients_eager(opt: &dyn Optimizer, vars: &[Variable], grads: &[Tensor]) -> Result<()> {
    if vars.len() != grads.len() {
        return Err(Error::arg(
            "apply_gradients",
            format!("{} variables and {} gradients were given; they must pair up", vars.len(), grads.len()),
        ));
    }
    let Some(first) = vars.first() else { return Ok(()) };
    let device = first.device();
    let graph = Graph::new();
    let pairs: Vec<(Variable, Sym<'_>)> =
        vars.iter().zip(grads).map(|(v, g)| (v.clone(), graph.constant(g.clone()))).collect();
    let updates = opt.apply_gradients(&graph, &pairs)?;
    let updates: Vec<(Variable, usize)> = updates.into_iter().map(|(v, s)| (v, s.id)).collect();
    let plan = Plan::new(&graph, &[], &updates, &PlanOptions { device, fuse: true })?;
    plan.run(&[])?;
    Ok(())
}
