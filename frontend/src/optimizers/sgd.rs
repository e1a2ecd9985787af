//! `keras.optimizers.SGD`: gradient descent with optional (Nesterov) momentum.

use serde_json::{json, Map, Value};

use super::base::{OptimizerBase, OptimizerOptions, Step};
use super::{read_config, UpdateRule};
use crate::error::{Error, Result};
use crate::graph::{Graph, Sym};
use crate::variable::Variable;

/// The arguments of `keras.optimizers.SGD`, with Keras's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct SgdOptions {
    pub learning_rate: f64,
    /// In `[0, 1]`; 0 is plain gradient descent (no momentum slot).
    pub momentum: f64,
    pub nesterov: bool,
    pub common: OptimizerOptions,
}

impl Default for SgdOptions {
    fn default() -> Self {
        SgdOptions {
            learning_rate: 0.01,
            momentum: 0.0,
            nesterov: false,
            common: OptimizerOptions::default(),
        }
    }
}

/// Gradient descent: `m = momentum * m - lr * g; var += m` (Nesterov: `var += momentum * m - lr *
/// g`); with momentum 0, `var -= lr * g`.
pub struct SGD {
    base: OptimizerBase,
    pub(crate) momentum: f64,
    pub(crate) nesterov: bool,
}

impl SGD {
    pub fn new(o: SgdOptions) -> Result<SGD> {
        SGD::create(o.learning_rate, o.common, o.momentum, o.nesterov)
    }

    /// From a Keras config (unknown keys and bad values are errors naming the key).
    pub fn from_config(config: &Map<String, Value>) -> Result<SGD> {
        let (learning_rate, common, (momentum, nesterov)) = read_config("SGD", config, 0.01, |a| {
            Ok((a.float("momentum", 0.0)?, a.bool("nesterov", false)?))
        })?;
        SGD::create(learning_rate, common, momentum, nesterov)
    }

    /// From the learning rate, the common options and SGD's own arguments.
    pub fn create(
        learning_rate: f64,
        common: OptimizerOptions,
        momentum: f64,
        nesterov: bool,
    ) -> Result<SGD> {
        if !(0.0..=1.0).contains(&momentum) {
            return Err(Error::arg(
                "SGD",
                format!("`momentum` must be a float between [0, 1], got {momentum}"),
            ));
        }
        Ok(SGD { base: OptimizerBase::new("SGD", learning_rate, common)?, momentum, nesterov })
    }
}

impl UpdateRule for SGD {
    fn base(&self) -> &OptimizerBase {
        &self.base
    }

    fn own_config(&self) -> Vec<(&'static str, Value)> {
        vec![("momentum", json!(self.momentum)), ("nesterov", json!(self.nesterov))]
    }

    fn slot_groups(&self) -> Vec<&'static [&'static str]> {
        if self.momentum != 0.0 {
            vec![&["momentum"]]
        } else {
            vec![]
        }
    }

    fn update<'g>(
        &self,
        graph: &'g Graph,
        step: &Step<'g>,
        updates: &mut Vec<(Variable, Sym<'g>)>,
    ) -> Result<()> {
        for it in &step.items {
            let lr_g = it.g.mul(it.lr)?;
            if self.momentum != 0.0 {
                let slot = self.base.slot(&it.var, "momentum")?;
                let m = graph.variable(&slot);
                let m1 = m.mul_scalar(self.momentum)?.sub(lr_g)?;
                let w1 = if self.nesterov {
                    it.w.add(m1.mul_scalar(self.momentum)?.sub(lr_g)?)?
                } else {
                    it.w.add(m1)?
                };
                updates.push((slot, m1));
                updates.push((it.var.clone(), w1));
            } else {
                updates.push((it.var.clone(), it.w.sub(lr_g)?));
            }
        }
        Ok(())
    }
}
