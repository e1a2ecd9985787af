//! `keras.optimizers.RMSprop`: gradients divided by a running root mean square.

use serde_json::{json, Map, Value};

use super::args::ConfigArgs;
use super::base::{OptimizerBase, OptimizerOptions};
use super::Optimizer;
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

/// RMSprop, as Keras computes it: `v = rho v + (1 - rho) g^2`; centered: `a = rho a + (1 -
/// rho) g` and `den = v - a^2 + eps`, else `den = v + eps`; `inc = lr g / sqrt(den)`; with
/// momentum > 0, `m = momentum m + inc; var -= m`, else `var -= inc`.
pub struct RMSprop {
    base: OptimizerBase,
    rho: f64,
    momentum: f64,
    epsilon: f64,
    centered: bool,
}

impl RMSprop {
    pub fn new(o: RMSpropOptions) -> Result<RMSprop> {
        Ok(RMSprop {
            base: OptimizerBase::new("RMSprop", o.learning_rate, o.common)?,
            rho: o.rho,
            momentum: o.momentum,
            epsilon: o.epsilon,
            centered: o.centered,
        })
    }

    /// From a Keras config (unknown keys and bad values are errors naming the key).
    pub fn from_config(config: &Map<String, Value>) -> Result<RMSprop> {
        let a = ConfigArgs::new("RMSprop", config);
        let (learning_rate, common) = OptimizerOptions::from_args(&a, 0.001)?;
        let rho = a.number("rho", 0.9)?;
        let momentum = a.number("momentum", 0.0)?;
        let epsilon = a.number("epsilon", 1e-7)?;
        let centered = a.bool("centered", false)?;
        a.finish()?;
        RMSprop::new(RMSpropOptions { learning_rate, rho, momentum, epsilon, centered, common })
    }
}

impl Optimizer for RMSprop {
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

    fn base(&self) -> &OptimizerBase {
        &self.base
    }

    fn apply_gradients<'g>(
        &self,
        graph: &'g Graph,
        pairs: &[(Variable, Sym<'g>)],
    ) -> Result<Vec<(Variable, Sym<'g>)>> {
        let step = self.base.begin(graph, pairs)?;
        let mut updates = vec![];
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
        step.finish(updates)
    }
}
