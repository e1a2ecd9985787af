//! `keras.optimizers.Ftrl`: Follow The Regularized Leader.

use serde_json::Value;

use super::args::ConfigArgs;
use super::base::{OptimizerBase, OptimizerOptions, Step};
use super::{Optimizer, OptimizerArgs, UpdateRule};
use crate::error::{Error, Result};
use crate::graph::{Graph, Sym};
use crate::variable::Variable;

keras_optimizer!(
    /// FTRL as Keras computes it, with `p = -learning_rate_power`, `l2 =
    /// l2_regularization_strength + beta / (2 lr)`: `n1 = n + g^2`; `z += g + 2 l2_shrinkage var -
    /// (n1^p - n^p) / lr * var`; `var = (clip(z, -l1, l1) - z) / (n1^p / lr + 2 l2)`; `n = n1`.
    Ftrl, "Ftrl", lr = 0.001, {
        learning_rate_power: f64 = number(-0.5),
        initial_accumulator_value: f64 = number(0.1),
        l1_regularization_strength: f64 = number(0.0),
        l2_regularization_strength: f64 = number(0.0),
        l2_shrinkage_regularization_strength: f64 = number(0.0),
        beta: f64 = number(0.0),
    }
);

impl OptimizerArgs for Ftrl {
    fn check_args(args: &[(&'static str, Value)]) -> Result<()> {
        for (key, v) in &args[..5] {
            let x = v.as_f64().unwrap_or(f64::NAN);
            let bad = if *key == "learning_rate_power" { x > 0.0 } else { x < 0.0 } || x.is_nan();
            if bad {
                let need =
                    if *key == "learning_rate_power" { "negative or zero" } else { "positive or zero" };
                return Err(Error::arg("Ftrl", format!("`{key}` needs to be {need}. Received: {key}={x}.")));
            }
        }
        Ok(())
    }
}

impl UpdateRule for Ftrl {
    fn slot_groups(&self) -> Vec<&'static [&'static str]> {
        vec![&["accumulator", "linear"]]
    }

    fn update<'g>(
        &self,
        graph: &'g Graph,
        step: &Step<'g>,
        updates: &mut Vec<(Variable, Sym<'g>)>,
    ) -> Result<()> {
        let p = -self.learning_rate_power;
        let l1 = self.l1_regularization_strength;
        for it in &step.items {
            let n_var = self.base.slot_filled(&it.var, "accumulator", self.initial_accumulator_value)?;
            let z_var = self.base.slot(&it.var, "linear")?;
            let (n, z, g, w, lr) = (graph.variable(&n_var), graph.variable(&z_var), it.g, it.w, it.lr);
            // 2 * l2 with l2 = l2_reg + beta / (2 lr)
            let two_l2 =
                lr.reciprocal()?.mul_scalar(self.beta)?.add_scalar(2.0 * self.l2_regularization_strength)?;
            let g_use = g.add(w.mul_scalar(2.0 * self.l2_shrinkage_regularization_strength)?)?;
            let n1 = n.add(g.square()?)?;
            let n1p = n1.pow_scalar(p)?;
            let z1 = z.add(g_use.sub(n1p.sub(n.pow_scalar(p)?)?.div(lr)?.mul(w)?)?)?;
            let quadratic = n1p.div(lr)?.add(two_l2)?;
            let w1 = z1.clip(-l1, l1)?.sub(z1)?.div(quadratic)?;
            updates.push((z_var, z1));
            updates.push((it.var.clone(), w1));
            updates.push((n_var, n1));
        }
        Ok(())
    }
}
