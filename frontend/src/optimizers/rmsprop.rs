//! The running-average-of-squares family: `keras.optimizers.RMSprop`, `Adagrad`, `Adadelta`.

use super::args::ConfigArgs;
use super::base::{OptimizerBase, OptimizerOptions, Step};
use super::{Optimizer, OptimizerArgs, UpdateRule};
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

keras_optimizer!(
    /// RMSprop, as Keras computes it: `v = rho v + (1 - rho) g^2`; centered: `a = rho a + (1 -
    /// rho) g` and `den = v - a^2 + eps`, else `den = v + eps`; `inc = lr g / sqrt(den)`; with
    /// momentum > 0, `m = momentum m + inc; var -= m`, else `var -= inc`.
    RMSprop, "RMSprop", lr = 0.001, {
        rho: f64 = number(0.9),
        momentum: f64 = number(0.0),
        epsilon: f64 = number(1e-7),
        centered: bool = bool(false),
    }
);

impl OptimizerArgs for RMSprop {}

impl RMSprop {
    pub fn new(o: RMSpropOptions) -> Result<RMSprop> {
        RMSprop::create(o.learning_rate, o.common, o.rho, o.momentum, o.epsilon, o.centered)
    }
}

impl UpdateRule for RMSprop {
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

keras_optimizer!(
    /// Adagrad: `acc += g^2; var -= lr g / sqrt(acc + epsilon)`, the accumulator starting at
    /// `initial_accumulator_value`.
    Adagrad, "Adagrad", lr = 0.001, {
        initial_accumulator_value: f64 = number(0.1),
        epsilon: f64 = number(1e-7),
    }
);

impl OptimizerArgs for Adagrad {}

impl UpdateRule for Adagrad {
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

keras_optimizer!(
    /// Adadelta: `G = rho G + (1 - rho) g^2`; `delta = -sqrt(D + eps) g / sqrt(G + eps)`;
    /// `D = rho D + (1 - rho) delta^2`; `var += lr delta`.
    Adadelta, "Adadelta", lr = 0.001, { rho: f64 = number(0.95), epsilon: f64 = number(1e-7) }
);

impl OptimizerArgs for Adadelta {}

impl UpdateRule for Adadelta {
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
