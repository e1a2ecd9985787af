//! `keras.optimizers.Ftrl`: Follow The Regularized Leader.

use serde_json::{json, Map, Value};

use super::base::{OptimizerBase, OptimizerOptions, Step};
use super::{read_config, UpdateRule};
use crate::error::{Error, Result};
use crate::graph::{Graph, Sym};
use crate::variable::Variable;

/// FTRL as Keras computes it, with `p = -learning_rate_power`, `l2 = l2_regularization_strength +
/// beta / (2 lr)`: `n1 = n + g^2`; `z += g + 2 l2_shrinkage var - (n1^p - n^p) / lr * var`; `var =
/// (clip(z, -l1, l1) - z) / (n1^p / lr + 2 l2)`; `n = n1`.
pub struct Ftrl {
    base: OptimizerBase,
    pub(crate) learning_rate_power: f64,
    pub(crate) initial_accumulator_value: f64,
    pub(crate) l1_regularization_strength: f64,
    pub(crate) l2_regularization_strength: f64,
    pub(crate) l2_shrinkage_regularization_strength: f64,
    pub(crate) beta: f64,
}

impl Ftrl {
    /// From a Keras config (unknown keys and bad values are errors naming the key).
    pub fn from_config(config: &Map<String, Value>) -> Result<Ftrl> {
        let (learning_rate, common, own) = read_config("Ftrl", config, 0.001, |a| {
            Ok([
                a.number("learning_rate_power", -0.5)?,
                a.number("initial_accumulator_value", 0.1)?,
                a.number("l1_regularization_strength", 0.0)?,
                a.number("l2_regularization_strength", 0.0)?,
                a.number("l2_shrinkage_regularization_strength", 0.0)?,
                a.number("beta", 0.0)?,
            ])
        })?;
        let [power, initial, l1, l2, l2_shrinkage, beta] = own;
        Ftrl::create(learning_rate, common, power, initial, l1, l2, l2_shrinkage, beta)
    }

    /// From the learning rate, the common options and Ftrl's own arguments (in Keras's order).
    #[allow(clippy::too_many_arguments)]
    pub fn create(
        learning_rate: f64,
        common: OptimizerOptions,
        learning_rate_power: f64,
        initial_accumulator_value: f64,
        l1_regularization_strength: f64,
        l2_regularization_strength: f64,
        l2_shrinkage_regularization_strength: f64,
        beta: f64,
    ) -> Result<Ftrl> {
        // Keras's checks (a non-finite value is refused too).
        if learning_rate_power > 0.0 || !learning_rate_power.is_finite() {
            let x = learning_rate_power;
            return Err(Error::arg(
                "Ftrl",
                format!(
                    "`learning_rate_power` needs to be negative or zero. Received: learning_rate_power={x}."
                ),
            ));
        }
        for (key, x) in [
            ("initial_accumulator_value", initial_accumulator_value),
            ("l1_regularization_strength", l1_regularization_strength),
            ("l2_regularization_strength", l2_regularization_strength),
            ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength),
        ] {
            if x < 0.0 || !x.is_finite() {
                return Err(Error::arg(
                    "Ftrl",
                    format!("`{key}` needs to be positive or zero. Received: {key}={x}."),
                ));
            }
        }
        Ok(Ftrl {
            base: OptimizerBase::new("Ftrl", learning_rate, common)?,
            learning_rate_power,
            initial_accumulator_value,
            l1_regularization_strength,
            l2_regularization_strength,
            l2_shrinkage_regularization_strength,
            beta,
        })
    }
}

impl UpdateRule for Ftrl {
    fn base(&self) -> &OptimizerBase {
        &self.base
    }

    fn own_config(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("learning_rate_power", json!(self.learning_rate_power)),
            ("initial_accumulator_value", json!(self.initial_accumulator_value)),
            ("l1_regularization_strength", json!(self.l1_regularization_strength)),
            ("l2_regularization_strength", json!(self.l2_regularization_strength)),
            ("l2_shrinkage_regularization_strength", json!(self.l2_shrinkage_regularization_strength)),
            ("beta", json!(self.beta)),
        ]
    }

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
