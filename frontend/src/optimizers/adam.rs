//! The Adam family: `keras.optimizers.Adam` (and AMSGrad), `AdamW`, `Adamax`, `Nadam`, `Lamb`:
//! first and second moment estimates with bias correction.

use serde_json::{json, Map, Value};
use wgkeras_runtime::DType;

use super::args::ConfigArgs;
use super::base::{cast_to, OptimizerBase, OptimizerOptions, Step};
use super::{read_config, UpdateRule};
use crate::error::{Error, Result};
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

/// `beta_1`, `beta_2` and `epsilon`: the arguments every member of the family has, with the same
/// Keras defaults (0.9, 0.999, 1e-7) and config keys.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Betas {
    pub(crate) beta_1: f64,
    pub(crate) beta_2: f64,
    pub(crate) epsilon: f64,
}

impl Betas {
    fn read(a: &ConfigArgs<'_>) -> Result<Betas> {
        Ok(Betas {
            beta_1: a.number("beta_1", 0.9)?,
            beta_2: a.number("beta_2", 0.999)?,
            epsilon: a.number("epsilon", 1e-7)?,
        })
    }

    fn config(&self) -> Vec<(&'static str, Value)> {
        vec![("beta_1", json!(self.beta_1)), ("beta_2", json!(self.beta_2)), ("epsilon", json!(self.epsilon))]
    }
}

/// Adam, as Keras computes it: with `t = iterations + 1` and `alpha = lr * sqrt(1 - beta_2^t) / (1 -
/// beta_1^t)` (one scalar per step), `m += (g - m)(1 - beta_1)`, `v += (g^2 - v)(1 - beta_2)`
/// (AMSGrad: `vhat = max(vhat, v)` stands for `v`), `var -= m * alpha / (sqrt(v) + epsilon)`.
pub struct Adam {
    base: OptimizerBase,
    pub(crate) betas: Betas,
    pub(crate) amsgrad: bool,
}

impl Adam {
    pub fn new(o: AdamOptions) -> Result<Adam> {
        Adam::create(o.learning_rate, o.common, o.beta_1, o.beta_2, o.epsilon, o.amsgrad)
    }

    /// From a Keras config (unknown keys and bad values are errors naming the key).
    pub fn from_config(config: &Map<String, Value>) -> Result<Adam> {
        Adam::read("Adam", config)
    }

    /// From the learning rate, the common options and Adam's own arguments.
    pub fn create(
        learning_rate: f64,
        common: OptimizerOptions,
        beta_1: f64,
        beta_2: f64,
        epsilon: f64,
        amsgrad: bool,
    ) -> Result<Adam> {
        let base = OptimizerBase::new("Adam", learning_rate, common)?;
        Ok(Adam { base, betas: Betas { beta_1, beta_2, epsilon }, amsgrad })
    }

    /// Adam's config reader, shared with AdamW (`class` names the errors and the optimizer).
    fn read(class: &'static str, config: &Map<String, Value>) -> Result<Adam> {
        let (learning_rate, common, (betas, amsgrad)) =
            read_config(class, config, 0.001, |a| Ok((Betas::read(a)?, a.bool("amsgrad", false)?)))?;
        Ok(Adam { base: OptimizerBase::new(class, learning_rate, common)?, betas, amsgrad })
    }
}

/// AdamW: Adam with decoupled weight decay (`weight_decay` defaults to 0.004 and may not be null);
/// the decay itself is the common `var -= var * weight_decay * lr` of every optimizer, so AdamW is
/// an [`Adam`] under its own class name.
pub struct AdamW {
    adam: Adam,
}

impl AdamW {
    /// `AdamW` from Adam's options; `common.weight_decay` must be set (Keras's default is 0.004).
    pub fn new(o: AdamOptions) -> Result<AdamW> {
        if o.common.weight_decay.is_none() {
            return Err(adamw_null_weight_decay());
        }
        AdamW::create(o.learning_rate, o.common, o.beta_1, o.beta_2, o.epsilon, o.amsgrad)
    }

    /// From a Keras config (unknown keys and bad values are errors naming the key).
    pub fn from_config(config: &Map<String, Value>) -> Result<AdamW> {
        let mut config = config.clone();
        match config.get("weight_decay") {
            None => {
                config.insert("weight_decay".into(), json!(0.004));
            }
            Some(Value::Null) => return Err(adamw_null_weight_decay()),
            Some(_) => {}
        }
        Ok(AdamW { adam: Adam::read("AdamW", &config)? })
    }

    /// From the learning rate, the common options and AdamW's own arguments.
    pub fn create(
        learning_rate: f64,
        common: OptimizerOptions,
        beta_1: f64,
        beta_2: f64,
        epsilon: f64,
        amsgrad: bool,
    ) -> Result<AdamW> {
        let base = OptimizerBase::new("AdamW", learning_rate, common)?;
        Ok(AdamW { adam: Adam { base, betas: Betas { beta_1, beta_2, epsilon }, amsgrad } })
    }
}

fn adamw_null_weight_decay() -> Error {
    Error::arg("AdamW", "Argument `weight_decay` must be a float. Received: weight_decay=None")
}

/// The moment updates every member shares: `m += (g - m)(1 - b1)`, `v += (g^2 - v)(1 - b2)`,
/// recorded in `updates`; returns `(m1, v1)`.
fn moments<'g>(
    base: &OptimizerBase,
    graph: &'g Graph,
    var: &Variable,
    g: Sym<'g>,
    betas: Betas,
    second: &'static str,
    updates: &mut Vec<(Variable, Sym<'g>)>,
) -> Result<(Sym<'g>, Sym<'g>)> {
    let (b1, b2) = (betas.beta_1, betas.beta_2);
    let m_var = base.slot(var, "momentum")?;
    let v_var = base.slot(var, second)?;
    let (m, v) = (graph.variable(&m_var), graph.variable(&v_var));
    let m1 = m.add(g.sub(m)?.mul_scalar(1.0 - b1)?)?;
    let v1 = if second == "norm" {
        // Adamax's exponentially weighted infinity norm.
        v.mul_scalar(b2)?.maximum(g.abs()?)?
    } else {
        v.add(g.square()?.sub(v)?.mul_scalar(1.0 - b2)?)?
    };
    updates.push((m_var, m1));
    updates.push((v_var, v1));
    Ok((m1, v1))
}

/// `1 - b^t` for the step's `t`, a float32 scalar.
fn one_minus_pow<'g>(step: &Step<'g>, b: f64) -> Result<Sym<'g>> {
    step.scalar(b, DType::F32)?.pow(step.t)?.rsub_scalar(1.0)
}

impl UpdateRule for Adam {
    fn base(&self) -> &OptimizerBase {
        &self.base
    }

    fn own_config(&self) -> Vec<(&'static str, Value)> {
        let mut config = self.betas.config();
        config.push(("amsgrad", json!(self.amsgrad)));
        config
    }

    fn slot_groups(&self) -> Vec<&'static [&'static str]> {
        if self.amsgrad {
            vec![&["momentum", "velocity"], &["velocity_hat"]]
        } else {
            vec![&["momentum", "velocity"]]
        }
    }

    fn update<'g>(
        &self,
        graph: &'g Graph,
        step: &Step<'g>,
        updates: &mut Vec<(Variable, Sym<'g>)>,
    ) -> Result<()> {
        let Betas { beta_1: b1, beta_2: b2, epsilon: eps } = self.betas;
        // The step size, once per step: lr * sqrt(1 - b2^t) / (1 - b1^t).
        let alpha = step.lr.mul(one_minus_pow(step, b2)?.sqrt()?)?.div(one_minus_pow(step, b1)?)?;
        for it in &step.items {
            let (m1, v1) = moments(&self.base, graph, &it.var, it.g, self.betas, "velocity", updates)?;
            let denom_v = if self.amsgrad {
                let vh_var = self.base.slot(&it.var, "velocity_hat")?;
                let vh1 = graph.variable(&vh_var).maximum(v1)?;
                updates.push((vh_var, vh1));
                vh1
            } else {
                v1
            };
            let a = cast_to(alpha, it.w.dtype())?;
            let w1 = it.w.sub(m1.mul(a)?.div(denom_v.sqrt()?.add_scalar(eps)?)?)?;
            updates.push((it.var.clone(), w1));
        }
        Ok(())
    }
}

/// AdamW is Adam's rule under its own class name.
impl UpdateRule for AdamW {
    fn base(&self) -> &OptimizerBase {
        self.adam.base()
    }

    fn own_config(&self) -> Vec<(&'static str, Value)> {
        self.adam.own_config()
    }

    fn slot_groups(&self) -> Vec<&'static [&'static str]> {
        self.adam.slot_groups()
    }

    fn update<'g>(
        &self,
        graph: &'g Graph,
        step: &Step<'g>,
        updates: &mut Vec<(Variable, Sym<'g>)>,
    ) -> Result<()> {
        self.adam.update(graph, step, updates)
    }
}

/// Adamax: `m += (g - m)(1 - b1)`, `u = max(b2 u, |g|)`, `var -= lr m / ((1 - b1^t)(u + eps))`.
pub struct Adamax {
    base: OptimizerBase,
    pub(crate) betas: Betas,
}

impl Adamax {
    /// From a Keras config (unknown keys and bad values are errors naming the key).
    pub fn from_config(config: &Map<String, Value>) -> Result<Adamax> {
        let (learning_rate, common, betas) = read_config("Adamax", config, 0.001, Betas::read)?;
        Ok(Adamax { base: OptimizerBase::new("Adamax", learning_rate, common)?, betas })
    }

    /// From the learning rate, the common options and Adamax's own arguments.
    pub fn create(
        learning_rate: f64,
        common: OptimizerOptions,
        beta_1: f64,
        beta_2: f64,
        epsilon: f64,
    ) -> Result<Adamax> {
        let base = OptimizerBase::new("Adamax", learning_rate, common)?;
        Ok(Adamax { base, betas: Betas { beta_1, beta_2, epsilon } })
    }
}

impl UpdateRule for Adamax {
    fn base(&self) -> &OptimizerBase {
        &self.base
    }

    fn own_config(&self) -> Vec<(&'static str, Value)> {
        self.betas.config()
    }

    fn slot_groups(&self) -> Vec<&'static [&'static str]> {
        vec![&["momentum", "norm"]]
    }

    fn update<'g>(
        &self,
        graph: &'g Graph,
        step: &Step<'g>,
        updates: &mut Vec<(Variable, Sym<'g>)>,
    ) -> Result<()> {
        let corr = one_minus_pow(step, self.betas.beta_1)?;
        for it in &step.items {
            let (m1, u1) = moments(&self.base, graph, &it.var, it.g, self.betas, "norm", updates)?;
            let c = cast_to(corr, it.w.dtype())?;
            let w1 = it.w.sub(it.lr.mul(m1)?.div(c.mul(u1.add_scalar(self.betas.epsilon)?)?)?)?;
            updates.push((it.var.clone(), w1));
        }
        Ok(())
    }
}

/// Nadam: Adam with Nesterov momentum and Keras's momentum schedule `u_t = b1 (1 - 0.5 *
/// 0.96^t)`, whose running product is the optimizer-wide `u_product` state.
pub struct Nadam {
    base: OptimizerBase,
    pub(crate) betas: Betas,
}

impl Nadam {
    /// From a Keras config (unknown keys and bad values are errors naming the key).
    pub fn from_config(config: &Map<String, Value>) -> Result<Nadam> {
        let (learning_rate, common, betas) = read_config("Nadam", config, 0.001, Betas::read)?;
        Ok(Nadam { base: OptimizerBase::new("Nadam", learning_rate, common)?, betas })
    }

    /// From the learning rate, the common options and Nadam's own arguments.
    pub fn create(
        learning_rate: f64,
        common: OptimizerOptions,
        beta_1: f64,
        beta_2: f64,
        epsilon: f64,
    ) -> Result<Nadam> {
        let base = OptimizerBase::new("Nadam", learning_rate, common)?;
        Ok(Nadam { base, betas: Betas { beta_1, beta_2, epsilon } })
    }
}

impl UpdateRule for Nadam {
    fn base(&self) -> &OptimizerBase {
        &self.base
    }

    fn own_config(&self) -> Vec<(&'static str, Value)> {
        self.betas.config()
    }

    fn slot_groups(&self) -> Vec<&'static [&'static str]> {
        vec![&["momentum", "velocity"]]
    }

    fn update<'g>(
        &self,
        graph: &'g Graph,
        step: &Step<'g>,
        updates: &mut Vec<(Variable, Sym<'g>)>,
    ) -> Result<()> {
        let Some(first) = step.items.first() else { return Ok(()) };
        let b1 = self.betas.beta_1;
        // Keras keeps `u_product` in the first variable's dtype, updated once per step before
        // the per-variable rules (which read the new value).
        let up_var = self.base.global_slot("u_product", 1.0, first.w.dtype(), &first.var.device())?;
        let decay = step.scalar(0.96, DType::F32)?;
        let u_t = decay.pow(step.t)?.mul_scalar(-0.5)?.add_scalar(1.0)?.mul_scalar(b1)?;
        let u_t_1 = decay.pow(step.t.add_scalar(1.0)?)?.mul_scalar(-0.5)?.add_scalar(1.0)?.mul_scalar(b1)?;
        let up = graph.variable(&up_var);
        let up1 = up.mul(cast_to(u_t, up.dtype())?)?;
        updates.push((up_var, up1));
        let up1 = cast_to(up1, DType::F32)?;
        let up_next = up1.mul(u_t_1)?;
        let v_corr = one_minus_pow(step, self.betas.beta_2)?;
        // m_hat = c1 * m + c2 * g with two scalars per step.
        let c1 = u_t_1.div(up_next.rsub_scalar(1.0)?)?;
        let c2 = u_t.rsub_scalar(1.0)?.div(up1.rsub_scalar(1.0)?)?;
        for it in &step.items {
            let (m1, v1) = moments(&self.base, graph, &it.var, it.g, self.betas, "velocity", updates)?;
            let dt = it.w.dtype();
            let m_hat = m1.mul(cast_to(c1, dt)?)?.add(it.g.mul(cast_to(c2, dt)?)?)?;
            let v_hat = v1.div(cast_to(v_corr, dt)?)?;
            let w1 = it.w.sub(m_hat.mul(it.lr)?.div(v_hat.sqrt()?.add_scalar(self.betas.epsilon)?)?)?;
            updates.push((it.var.clone(), w1));
        }
        Ok(())
    }
}

/// LAMB: Adam's bias-corrected direction `r = m_hat / (sqrt(v_hat) + eps)` scaled per
/// variable by the trust ratio `||var|| / ||r||` (1 when either norm is 0): `var -= ratio *
/// lr * r`.
pub struct Lamb {
    base: OptimizerBase,
    pub(crate) betas: Betas,
}

impl Lamb {
    /// From a Keras config (unknown keys and bad values are errors naming the key).
    pub fn from_config(config: &Map<String, Value>) -> Result<Lamb> {
        let (learning_rate, common, betas) = read_config("Lamb", config, 0.001, Betas::read)?;
        Ok(Lamb { base: OptimizerBase::new("Lamb", learning_rate, common)?, betas })
    }

    /// From the learning rate, the common options and Lamb's own arguments.
    pub fn create(
        learning_rate: f64,
        common: OptimizerOptions,
        beta_1: f64,
        beta_2: f64,
        epsilon: f64,
    ) -> Result<Lamb> {
        let base = OptimizerBase::new("Lamb", learning_rate, common)?;
        Ok(Lamb { base, betas: Betas { beta_1, beta_2, epsilon } })
    }
}

impl UpdateRule for Lamb {
    fn base(&self) -> &OptimizerBase {
        &self.base
    }

    fn own_config(&self) -> Vec<(&'static str, Value)> {
        self.betas.config()
    }

    fn slot_groups(&self) -> Vec<&'static [&'static str]> {
        vec![&["momentum", "velocity"]]
    }

    fn update<'g>(
        &self,
        graph: &'g Graph,
        step: &Step<'g>,
        updates: &mut Vec<(Variable, Sym<'g>)>,
    ) -> Result<()> {
        let c1 = one_minus_pow(step, self.betas.beta_1)?;
        let c2 = one_minus_pow(step, self.betas.beta_2)?;
        for it in &step.items {
            let (m1, v1) = moments(&self.base, graph, &it.var, it.g, self.betas, "velocity", updates)?;
            let dt = it.w.dtype();
            let m_hat = m1.div(cast_to(c1, dt)?)?;
            let r = m_hat.div(v1.div(cast_to(c2, dt)?)?.sqrt()?.add_scalar(self.betas.epsilon)?)?;
            let w_norm = it.w.square()?.sum_all()?.sqrt()?;
            let r_norm = r.square()?.sum_all()?.sqrt()?;
            let zero = w_norm.scalar_like(0.0)?;
            let one = w_norm.scalar_like(1.0)?;
            let ratio =
                w_norm.greater(zero)?.select(r_norm.greater(zero)?.select(w_norm.div(r_norm)?, one)?, one)?;
            let w1 = it.w.sub(ratio.mul(it.lr)?.mul(r)?)?;
            updates.push((it.var.clone(), w1));
        }
        Ok(())
    }
}
