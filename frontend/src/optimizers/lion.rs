//! `keras.optimizers.Lion`: the sign of an interpolated momentum.

use serde_json::{json, Map, Value};

use super::base::{OptimizerBase, OptimizerOptions, Step};
use super::{read_config, UpdateRule};
use crate::error::{Error, Result};
use crate::graph::{Graph, Sym};
use crate::variable::Variable;

/// Lion: `var -= lr * sign(beta_1 m + (1 - beta_1) g)`, then `m = beta_2 m + (1 - beta_2) g`.
pub struct Lion {
    base: OptimizerBase,
    pub(crate) beta_1: f64,
    pub(crate) beta_2: f64,
}

impl Lion {
    /// From a Keras config (unknown keys and bad values are errors naming the key).
    pub fn from_config(config: &Map<String, Value>) -> Result<Lion> {
        let (learning_rate, common, (beta_1, beta_2)) = read_config("Lion", config, 0.001, |a| {
            Ok((a.number("beta_1", 0.9)?, a.number("beta_2", 0.99)?))
        })?;
        Lion::create(learning_rate, common, beta_1, beta_2)
    }

    /// From the learning rate, the common options and Lion's own arguments.
    pub fn create(learning_rate: f64, common: OptimizerOptions, beta_1: f64, beta_2: f64) -> Result<Lion> {
        if beta_1 <= 0.0 || beta_1 > 1.0 || beta_1.is_nan() {
            return Err(Error::arg(
                "Lion",
                format!(
                    "Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer degenerates to \
                     SignSGD. Received: beta_1={beta_1}."
                ),
            ));
        }
        Ok(Lion { base: OptimizerBase::new("Lion", learning_rate, common)?, beta_1, beta_2 })
    }
}

impl UpdateRule for Lion {
    fn base(&self) -> &OptimizerBase {
        &self.base
    }

    fn own_config(&self) -> Vec<(&'static str, Value)> {
        vec![("beta_1", json!(self.beta_1)), ("beta_2", json!(self.beta_2))]
    }

    fn slot_groups(&self) -> Vec<&'static [&'static str]> {
        vec![&["momentum"]]
    }

    fn update<'g>(
        &self,
        graph: &'g Graph,
        step: &Step<'g>,
        updates: &mut Vec<(Variable, Sym<'g>)>,
    ) -> Result<()> {
        for it in &step.items {
            let m_var = self.base.slot(&it.var, "momentum")?;
            let m = graph.variable(&m_var);
            let dir = m.mul_scalar(self.beta_1)?.add(it.g.mul_scalar(1.0 - self.beta_1)?)?.sign()?;
            let w1 = it.w.sub(it.lr.mul(dir)?)?;
            let m1 = m.mul_scalar(self.beta_2)?.add(it.g.mul_scalar(1.0 - self.beta_2)?)?;
            updates.push((m_var, m1));
            updates.push((it.var.clone(), w1));
        }
        Ok(())
    }
}
