//! `keras.optimizers.Adam`: adaptive moment estimation (optionally AMSGrad).

use serde_json::{json, Map, Value};
use wgkeras_runtime::DType;

use super::args::ConfigArgs;
use super::base::{cast_to, OptimizerBase, OptimizerOptions};
use super::Optimizer;
use crate::error::Result;
use crate::graph::{Graph, Sym};
use crate::variable::Variable;

/// The arguments of `keras.optimizers.Adam`, with Keras's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct AdamOptions {
    pub learning_rate: f64,
    pub beta_1: f64,
    pub beta_2: f64,
    pub epsilon: f64,
    pub amsgrad: bool,
    pub common: OptimizerOptions,
}

impl Default for AdamOptions {
    fn default() -> Self {
        AdamOptions {
            learning_rate: 0.001,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
            amsgrad: false,
            common: OptimizerOptions::default(),
        }
    }
}

/// Adam, as Keras computes it: with `t = iterations + 1` and `alpha = lr * sqrt(1 - beta_2^t) /
/// (1 - beta_1^t)` (one scalar per step), `m += (g - m)(1 - beta_1)`, `v += (g^2 - v)(1 -
/// beta_2)` (AMSGrad: `vhat = max(vhat, v)` stands for `v`), `var -= m * alpha / (sqrt(v) +
/// epsilon)`.
pub struct Adam {
    base: OptimizerBase,
    beta_1: f64,
    beta_2: f64,
    epsilon: f64,
    amsgrad: bool,
}

impl Adam {
    pub fn new(o: AdamOptions) -> Result<Adam> {
        Ok(Adam {
            base: OptimizerBase::new("Adam", o.learning_rate, o.common)?,
            beta_1: o.beta_1,
            beta_2: o.beta_2,
            epsilon: o.epsilon,
            amsgrad: o.amsgrad,
        })
    }

    /// From a Keras config (unknown keys and bad values are errors naming the key).
    pub fn from_config(config: &Map<String, Value>) -> Result<Adam> {
        let a = ConfigArgs::new("Adam", config);
        let (learning_rate, common) = OptimizerOptions::from_args(&a, 0.001)?;
        let beta_1 = a.number("beta_1", 0.9)?;
        let beta_2 = a.number("beta_2", 0.999)?;
        let epsilon = a.number("epsilon", 1e-7)?;
        let amsgrad = a.bool("amsgrad", false)?;
        a.finish()?;
        Adam::new(AdamOptions { learning_rate, beta_1, beta_2, epsilon, amsgrad, common })
    }
}

impl Optimizer for Adam {
    fn own_config(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("beta_1", json!(self.beta_1)),
            ("beta_2", json!(self.beta_2)),
            ("epsilon", json!(self.epsilon)),
            ("amsgrad", json!(self.amsgrad)),
        ]
    }

    fn slot_groups(&self) -> Vec<&'static [&'static str]> {
        if self.amsgrad {
            vec![&["momentum", "velocity"], &["velocity_hat"]]
        } else {
            vec![&["momentum", "velocity"]]
        }
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
        if step.items.is_empty() {
            return step.finish(updates);
        }
        // The step size, once per step: lr * sqrt(1 - b2^t) / (1 - b1^t).
        let b1t = step.scalar(self.beta_1, DType::F32)?.pow(step.t)?;
        let b2t = step.scalar(self.beta_2, DType::F32)?.pow(step.t)?;
        let alpha = step.lr.mul(b2t.rsub_scalar(1.0)?.sqrt()?)?.div(b1t.rsub_scalar(1.0)?)?;
        for it in &step.items {
            let m_var = self.base.slot(&it.var, "momentum")?;
            let v_var = self.base.slot(&it.var, "velocity")?;
            let vh_var = if self.amsgrad { Some(self.base.slot(&it.var, "velocity_hat")?) } else { None };
            let (m, v, g) = (graph.variable(&m_var), graph.variable(&v_var), it.g);
            let m1 = m.add(g.sub(m)?.mul_scalar(1.0 - self.beta_1)?)?;
            let v1 = v.add(g.square()?.sub(v)?.mul_scalar(1.0 - self.beta_2)?)?;
            let denom_v = match &vh_var {
                Some(vh_var) => {
                    let vh1 = graph.variable(vh_var).maximum(v1)?;
                    updates.push((vh_var.clone(), vh1));
                    vh1
                }
                None => v1,
            };
            let a = cast_to(alpha, it.w.dtype())?;
            let w1 = it.w.sub(m1.mul(a)?.div(denom_v.sqrt()?.add_scalar(self.epsilon)?)?)?;
            updates.push((m_var, m1));
            updates.push((v_var, v1));
            updates.push((it.var.clone(), w1));
        }
        step.finish(updates)
    }
}
