//! The running-average-of-squares family: `keras.optimizers.RMSprop`, `Adagrad`, `Adadelta`.

use serde_json::{json, Map, Value};

use super::base::{OptimizerBase, OptimizerOptions, Step};
use super::{read_config, UpdateRule};
use crate::error::Result;
use crate::graph::{Graph, Sym};
use crate::variable::Variable;

/// The arguments of `keras.optimizers.RMSprop`, with Keras's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct RMSpropOptions {
    pub learning_rate: f64,
    pub rho: f64,
    pub momentum: f64,
    pub epsilon: f64,
    pub centered: bool,
    pub common: OptimizerOptions,
}

impl Default for RMSpropOptions {
    fn default() -> Self {
        RMSpropOptions {
            learning_rate: 0.001,
            rho: 0.9,
            momentum: 0.0,
            epsilon: 1e-7,
            centered: false,
            common: OptimizerOptions::default(),
        }
    }
}

/// RMSprop, as Keras computes it: `v = rho v + (1 - rho) g^2`; centered: `a = rho a + (1 - rho) g`
/// and `den = v - a^2 + eps`, else `den = v + eps`; `inc = lr g / sqrt(den)`; with momentum > 0,
/// `m = momentum m + inc; var -= m`, else `var -= inc`.
pub struct RMSprop {
    base: OptimizerBase,
    pub(crate) rho: f64,
    pub(crate) momentum: f64,
    pub(crate) epsilon: f64,
    pub(crate) centered: bool,
}

impl RMSprop {
    pub fn new(o: RMSpropOptions) -> Result<RMSprop> {
        RMSprop::create(o.learning_rate, o.common, o.rho, o.momentum, o.epsilon, o.centered)
    }

    /// From a Keras config (unknown keys and bad values are errors naming the key).
    pub fn from_config(config: &Map<String, Value>) -> Result<RMSprop> {
        let (learning_rate, common, (rho, momentum, epsilon, centered)) =
            read_config("RMSprop", config, 0.001, |a| {
                Ok((
                    a.number("rho", 0.9)?,
                    a.number("momentum", 0.0)?,
                    a.number("epsilon", 1e-7)?,
                    a.bool("centered", false)?,
                ))
            })?;
        RMSprop::create(learning_rate, common, rho, momentum, epsilon, centered)
    }

    /// From the learning rate, the common options and RMSprop's own arguments.
    pub fn create(
        learning_rate: f64,
        common: OptimizerOptions,
        rho: f64,
        momentum: f64,
        epsilon: f64,
        centered: bool,
    ) -> Result<RMSprop> {
        let base = OptimizerBase::new("RMSprop", learning_rate, common)?;
        Ok(RMSprop { base, rho, momentum, epsilon, centered })
    }
}

impl UpdateRule for RMSprop {
    fn base(&self) -> &OptimizerBase {
        &self.base
    }

    fn own_config(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("rho", json!(self.rho)),
            ("momentum", json!(self.momentum)),
            ("epsilon", json!(self.epsilon)),
            ("centered", json!(self.centered)),
        ]
    }

    fn slot_groups(&self) -> Vec<&'static [&'static str]> {
        let mut g: Vec<&'static [&'static str]> = vec![&["velocity"]];
        if self.momentum > 0.0 {
            g.push(&["momentum"]);
        }
        if self.centered {
            g.push(&["average_gradient"]);
        }
        g
    }

    fn update<'g>(
        &self,
        graph: &'g Graph,
        step: &Step<'g>,
        updates: &mut Vec<(Variable, Sym<'g>)>,
    ) -> Result<()> {
        let rho = self.rho;
        for it in &step.items {
            let g = it.g;
            let v_var = self.base.slot(&it.var, "velocity")?;
            let m_var = if self.momentum > 0.0 { Some(self.base.slot(&it.var, "momentum")?) } else { None };
            let a_var = if self.centered { Some(self.base.slot(&it.var, "average_gradient")?) } else { None };
            let v1 = graph.variable(&v_var).mul_scalar(rho)?.add(g.square()?.mul_scalar(1.0 - rho)?)?;
            updates.push((v_var, v1));
            let den = match a_var {
                Some(a_var) => {
                    let a1 = graph.variable(&a_var).mul_scalar(rho)?.add(g.mul_scalar(1.0 - rho)?)?;
                    updates.push((a_var, a1));
                    v1.sub(a1.square()?)?.add_scalar(self.epsilon)?
                }
                None => v1.add_scalar(self.epsilon)?,
            };
            let inc = it.lr.mul(g)?.div(den.sqrt()?)?;
            let w1 = match m_var {
                Some(m_var) => {
                    let m1 = graph.variable(&m_var).mul_scalar(self.momentum)?.add(inc)?;
                    updates.push((m_var, m1));
                    it.w.sub(m1)?
                }
                None => it.w.sub(inc)?,
            };
            updates.push((it.var.clone(), w1));
        }
        Ok(())
    }
}

/// Adagrad: `acc += g^2; var -= lr g / sqrt(acc + epsilon)`, the accumulator starting at
/// `initial_accumulator_value`.
pub struct Adagrad {
    base: OptimizerBase,
    pub(crate) initial_accumulator_value: f64,
    pub(crate) epsilon: f64,
}

impl Adagrad {
    /// From a Keras config (unknown keys and bad values are errors naming the key).
    pub fn from_config(config: &Map<String, Value>) -> Result<Adagrad> {
        let (learning_rate, common, (initial_accumulator_value, epsilon)) =
            read_config("Adagrad", config, 0.001, |a| {
                Ok((a.number("initial_accumulator_value", 0.1)?, a.number("epsilon", 1e-7)?))
            })?;
        Adagrad::create(learning_rate, common, initial_accumulator_value, epsilon)
    }

    /// From the learning rate, the common options and Adagrad's own arguments.
    pub fn create(
        learning_rate: f64,
        common: OptimizerOptions,
        initial_accumulator_value: f64,
        epsilon: f64,
    ) -> Result<Adagrad> {
        let base = OptimizerBase::new("Adagrad", learning_rate, common)?;
        Ok(Adagrad { base, initial_accumulator_value, epsilon })
    }
}

impl UpdateRule for Adagrad {
    fn base(&self) -> &OptimizerBase {
        &self.base
    }

    fn own_config(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("initial_accumulator_value", json!(self.initial_accumulator_value)),
            ("epsilon", json!(self.epsilon)),
        ]
    }

    fn slot_groups(&self) -> Vec<&'static [&'static str]> {
        vec![&["accumulator"]]
    }

    fn update<'g>(
        &self,
        graph: &'g Graph,
        step: &Step<'g>,
        updates: &mut Vec<(Variable, Sym<'g>)>,
    ) -> Result<()> {
        for it in &step.items {
            let acc_var = self.base.slot_filled(&it.var, "accumulator", self.initial_accumulator_value)?;
            let acc1 = graph.variable(&acc_var).add(it.g.square()?)?;
            let w1 = it.w.sub(it.lr.mul(it.g)?.div(acc1.add_scalar(self.epsilon)?.sqrt()?)?)?;
            updates.push((acc_var, acc1));
            updates.push((it.var.clone(), w1));
        }
        Ok(())
    }
}

/// Adadelta: `G = rho G + (1 - rho) g^2`; `delta = -sqrt(D + eps) g / sqrt(G + eps)`; `D = rho D +
/// (1 - rho) delta^2`; `var += lr delta`.
pub struct Adadelta {
    base: OptimizerBase,
    pub(crate) rho: f64,
    pub(crate) epsilon: f64,
}

impl Adadelta {
    /// From a Keras config (unknown keys and bad values are errors naming the key).
    pub fn from_config(config: &Map<String, Value>) -> Result<Adadelta> {
        let (learning_rate, common, (rho, epsilon)) = read_config("Adadelta", config, 0.001, |a| {
            Ok((a.number("rho", 0.95)?, a.number("epsilon", 1e-7)?))
        })?;
        Adadelta::create(learning_rate, common, rho, epsilon)
    }

    /// From the learning rate, the common options and Adadelta's own arguments.
    pub fn create(learning_rate: f64, common: OptimizerOptions, rho: f64, epsilon: f64) -> Result<Adadelta> {
        Ok(Adadelta { base: OptimizerBase::new("Adadelta", learning_rate, common)?, rho, epsilon })
    }
}

impl UpdateRule for Adadelta {
    fn base(&self) -> &OptimizerBase {
        &self.base
    }

    fn own_config(&self) -> Vec<(&'static str, Value)> {
        vec![("rho", json!(self.rho)), ("epsilon", json!(self.epsilon))]
    }

    fn slot_groups(&self) -> Vec<&'static [&'static str]> {
        vec![&["accumulated_grad", "accumulated_delta_var"]]
    }

    fn update<'g>(
        &self,
        graph: &'g Graph,
        step: &Step<'g>,
        updates: &mut Vec<(Variable, Sym<'g>)>,
    ) -> Result<()> {
        let (rho, eps) = (self.rho, self.epsilon);
        for it in &step.items {
            let ag_var = self.base.slot(&it.var, "accumulated_grad")?;
            let ad_var = self.base.slot(&it.var, "accumulated_delta_var")?;
            let (ag, ad) = (graph.variable(&ag_var), graph.variable(&ad_var));
            let ag1 = ag.mul_scalar(rho)?.add(it.g.square()?.mul_scalar(1.0 - rho)?)?;
            let delta = ad.add_scalar(eps)?.sqrt()?.mul(it.g)?.div(ag1.add_scalar(eps)?.sqrt()?)?.neg()?;
            let ad1 = ad.mul_scalar(rho)?.add(delta.square()?.mul_scalar(1.0 - rho)?)?;
            let w1 = it.w.add(it.lr.mul(delta)?)?;
            updates.push((ag_var, ag1));
            updates.push((ad_var, ad1));
            updates.push((it.var.clone(), w1));
        }
        Ok(())
    }
}
