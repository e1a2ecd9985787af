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

/// Declares an optimizer whose own arguments are plain numbers and flags from one list: the
/// struct, its Keras `from_config` (each key with its Keras default, unknown keys refused, then
/// [`OptimizerArgs::check_args`]), a typed constructor `create`, and its [`Optimizer`] impl
/// (`own_config` in Keras's order; the update is the class's [`UpdateRule`] inside the common
/// step). Every class uses it, so none repeats that code.
macro_rules! keras_optimizer {
    ($(#[$doc:meta])* $name:ident, $class:literal, lr = $lr:expr,
     { $($key:ident : $ty:ty = $reader:ident($def:expr)),* $(,)? }) => {
        $(#[$doc])*
        pub struct $name {
            base: OptimizerBase,
            $(pub(crate) $key: $ty,)*
        }

        impl $name {
            /// From a Keras config (unknown keys and bad values are errors naming the key).
            pub fn from_config(config: &serde_json::Map<String, serde_json::Value>) -> Result<$name> {
                let config = <$name as OptimizerArgs>::prepare_config(config)?;
                let a = ConfigArgs::new($class, &config);
                let (learning_rate, common) = OptimizerOptions::from_args(&a, $lr)?;
                $(let $key: $ty = a.$reader(stringify!($key), $def)?;)*
                a.finish()?;
                $name::create(learning_rate, common, $($key),*)
            }

            /// From the learning rate, the common options and this class's own arguments.
            #[allow(clippy::too_many_arguments)]
            pub fn create(learning_rate: f64, common: OptimizerOptions, $($key: $ty),*) -> Result<$name> {
                <$name as OptimizerArgs>::check_args(&[$((stringify!($key), serde_json::json!($key))),*])?;
                Ok($name { base: OptimizerBase::new($class, learning_rate, common)?, $($key,)* })
            }

        }

        impl Optimizer for $name {
            fn own_config(&self) -> Vec<(&'static str, serde_json::Value)> {
                vec![$((stringify!($key), serde_json::json!(self.$key))),*]
            }

            fn slot_groups(&self) -> Vec<&'static [&'static str]> {
                <$name as UpdateRule>::slot_groups(self)
            }

            fn base(&self) -> &OptimizerBase {
                &self.base
            }

            fn apply_gradients<'g>(
                &self,
                graph: &'g crate::graph::Graph,
                pairs: &[(crate::variable::Variable, crate::graph::Sym<'g>)],
            ) -> Result<Vec<(crate::variable::Variable, crate::graph::Sym<'g>)>> {
                let step = self.base.begin(graph, pairs)?;
                let mut updates = vec![];
                if !step.items.is_empty() {
                    <$name as UpdateRule>::update(self, graph, &step, &mut updates)?;
                }
                step.finish(updates)
            }
        }
    };
}

/// A class's update rule, which [`keras_optimizer!`] wraps in the common step
/// ([`OptimizerBase::begin`] .. `Step::finish`: clipping, weight decay, accumulation, EMA,
/// constraints, iteration count).
pub(crate) trait UpdateRule {
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

/// Per-class hooks of [`keras_optimizer!`].
pub(crate) trait OptimizerArgs {
    /// Keras's argument checks (the own arguments by name, in declaration order).
    fn check_args(_args: &[(&'static str, Value)]) -> Result<()> {
        Ok(())
    }
    /// Rewrites a config before it is read (AdamW's non-null weight decay default).
    fn prepare_config(config: &Map<String, Value>) -> Result<Map<String, Value>> {
        Ok(config.clone())
    }
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
