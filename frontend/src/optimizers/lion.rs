//! `keras.optimizers.Lion`: the sign of an interpolated momentum.

use serde_json::Value;

use super::args::ConfigArgs;
use super::base::{OptimizerBase, OptimizerOptions, Step};
use super::{Optimizer, OptimizerArgs, UpdateRule};
use crate::error::{Error, Result};
use crate::graph::{Graph, Sym};
use crate::variable::Variable;

keras_optimizer!(
    /// Lion: `var -= lr * sign(beta_1 m + (1 - beta_1) g)`, then `m = beta_2 m + (1 - beta_2) g`.
    Lion, "Lion", lr = 0.001, { beta_1: f64 = number(0.9), beta_2: f64 = number(0.99) }
);

impl OptimizerArgs for Lion {
    fn check_args(args: &[(&'static str, Value)]) -> Result<()> {
        let b1 = args[0].1.as_f64().unwrap_or(f64::NAN);
        if b1 <= 0.0 || b1 > 1.0 || b1.is_nan() {
            return Err(Error::arg(
                "Lion",
                format!(
                    "Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer degenerates to \
                     SignSGD. Received: beta_1={b1}."
                ),
            ));
        }
        Ok(())
    }
}

impl UpdateRule for Lion {
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
