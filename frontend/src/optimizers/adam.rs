//! The Adam family: `keras.optimizers.Adam` (and AMSGrad), `AdamW`, `Adamax`, `Nadam`, `Lamb`:
//! first and second moment estimates with bias correction.

use serde_json::{json, Map, Value};
use wgkeras_runtime::DType;

use super::args::ConfigArgs;
use super::base::{cast_to, OptimizerBase, OptimizerOptions, Step};
use super::{Optimizer, OptimizerArgs, UpdateRule};
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

keras_optimizer!(
    /// Adam, as Keras computes it: with `t = iterations + 1` and `alpha = lr * sqrt(1 - beta_2^t)
    /// / (1 - beta_1^t)` (one scalar per step), `m += (g - m)(1 - beta_1)`, `v += (g^2 - v)(1 -
    /// beta_2)` (AMSGrad: `vhat = max(vhat, v)` stands for `v`), `var -= m * alpha / (sqrt(v) +
    /// epsilon)`.
    Adam, "Adam", lr = 0.001, {
        beta_1: f64 = number(0.9),
        beta_2: f64 = number(0.999),
        epsilon: f64 = number(1e-7),
        amsgrad: bool = bool(false),
    }
);

impl OptimizerArgs for Adam {}

impl Adam {
    pub fn new(o: AdamOptions) -> Result<Adam> {
        Adam::create(o.learning_rate, o.common, o.beta_1, o.beta_2, o.epsilon, o.amsgrad)
    }
}

keras_optimizer!(
    /// AdamW: Adam with decoupled weight decay (`weight_decay` defaults to 0.004 and may not be
    /// null); the decay itself is the common `var -= var * weight_decay * lr` of every optimizer.
    AdamW, "AdamW", lr = 0.001, {
        beta_1: f64 = number(0.9),
        beta_2: f64 = number(0.999),
        epsilon: f64 = number(1e-7),
        amsgrad: bool = bool(false),
    }
);

impl OptimizerArgs for AdamW {
    fn prepare_config(config: &Map<String, Value>) -> Result<Map<String, Value>> {
        let mut c = config.clone();
        match c.get("weight_decay") {
            None => {
                c.insert("weight_decay".into(), json!(0.004));
            }
            Some(Value::Null) => {
                return Err(Error::arg(
                    "AdamW",
                    "Argument `weight_decay` must be a float. Received: weight_decay=None",
                ))
            }
            Some(_) => {}
        }
        Ok(c)
    }
}

impl AdamW {
    /// `AdamW` from Adam's options; `common.weight_decay` must be set (Keras's default is 0.004).
    pub fn new(o: AdamOptions) -> Result<AdamW> {
        if o.common.weight_decay.is_none() {
            return Err(Error::arg(
                "AdamW",
                "Argument `weight_decay` must be a float. Received: weight_decay=None",
            ));
        }
        AdamW::create(o.learning_rate, o.common, o.beta_1, o.beta_2, o.epsilon, o.amsgrad)
    }
}

fn adam_slot_groups(amsgrad: bool) -> Vec<&'static [&'static str]> {
    if amsgrad {
        vec![&["momentum", "velocity"], &["velocity_hat"]]
    } else {
        vec![&["momentum", "velocity"]]
    }
}

/// The moment updates every member shares: `m += (g - m)(1 - b1)`, `v += (g^2 - v)(1 - b2)`,
/// recorded in `updates`; returns `(m1, v1)`.
fn moments<'g>(
    base: &OptimizerBase,
    graph: &'g Graph,
    var: &Variable,
    g: Sym<'g>,
    b1: f64,
    b2: f64,
    second: &'static str,
    updates: &mut Vec<(Variable, Sym<'g>)>,
) -> Result<(Sym<'g>, Sym<'g>)> {
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

fn adam_update<'g>(
    base: &OptimizerBase,
    graph: &'g Graph,
    step: &Step<'g>,
    updates: &mut Vec<(Variable, Sym<'g>)>,
    (b1, b2, eps, amsgrad): (f64, f64, f64, bool),
) -> Result<()> {
    // The step size, once per step: lr * sqrt(1 - b2^t) / (1 - b1^t).
    let alpha = step.lr.mul(one_minus_pow(step, b2)?.sqrt()?)?.div(one_minus_pow(step, b1)?)?;
    for it in &step.items {
        let (m1, v1) = moments(base, graph, &it.var, it.g, b1, b2, "velocity", updates)?;
        let denom_v = if amsgrad {
            let vh_var = base.slot(&it.var, "velocity_hat")?;
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

impl UpdateRule for Adam {
    fn slot_groups(&self) -> Vec<&'static [&'static str]> {
        adam_slot_groups(self.amsgrad)
    }

    fn update<'g>(
        &self,
        graph: &'g Graph,
        step: &Step<'g>,
        updates: &mut Vec<(Variable, Sym<'g>)>,
    ) -> Result<()> {
        adam_update(&self.base, graph, step, updates, (self.beta_1, self.beta_2, self.epsilon, self.amsgrad))
    }
}

impl UpdateRule for AdamW {
    fn slot_groups(&self) -> Vec<&'static [&'static str]> {
        adam_slot_groups(self.amsgrad)
    }

    fn update<'g>(
        &self,
        graph: &'g Graph,
        step: &Step<'g>,
        updates: &mut Vec<(Variable, Sym<'g>)>,
    ) -> Result<()> {
        adam_update(&self.base, graph, step, updates, (self.beta_1, self.beta_2, self.epsilon, self.amsgrad))
    }
}

keras_optimizer!(
    /// Adamax: `m += (g - m)(1 - b1)`, `u = max(b2 u, |g|)`, `var -= lr m / ((1 - b1^t)(u + eps))`.
    Adamax, "Adamax", lr = 0.001, {
        beta_1: f64 = number(0.9),
        beta_2: f64 = number(0.999),
        epsilon: f64 = number(1e-7),
    }
);

impl OptimizerArgs for Adamax {}

impl UpdateRule for Adamax {
    fn slot_groups(&self) -> Vec<&'static [&'static str]> {
        vec![&["momentum", "norm"]]
    }

    fn update<'g>(
        &self,
        graph: &'g Graph,
        step: &Step<'g>,
        updates: &mut Vec<(Variable, Sym<'g>)>,
    ) -> Result<()> {
        let corr = one_minus_pow(step, self.beta_1)?;
        for it in &step.items {
            let (m1, u1) =
                moments(&self.base, graph, &it.var, it.g, self.beta_1, self.beta_2, "norm", updates)?;
            let c = cast_to(corr, it.w.dtype())?;
            let w1 = it.w.sub(it.lr.mul(m1)?.div(c.mul(u1.add_scalar(self.epsilon)?)?)?)?;
            updates.push((it.var.clone(), w1));
        }
        Ok(())
    }
}

keras_optimizer!(
    /// Nadam: Adam with Nesterov momentum and Keras's momentum schedule `u_t = b1 (1 - 0.5 *
    /// 0.96^t)`, whose running product is the optimizer-wide `u_product` state.
    Nadam, "Nadam", lr = 0.001, {
        beta_1: f64 = number(0.9),
        beta_2: f64 = number(0.999),
        epsilon: f64 = number(1e-7),
    }
);

impl OptimizerArgs for Nadam {}

impl UpdateRule for Nadam {
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
        let b1 = self.beta_1;
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
        let v_corr = one_minus_pow(step, self.beta_2)?;
        // m_hat = c1 * m + c2 * g with two scalars per step.
        let c1 = u_t_1.div(up_next.rsub_scalar(1.0)?)?;
        let c2 = u_t.rsub_scalar(1.0)?.div(up1.rsub_scalar(1.0)?)?;
        for it in &step.items {
            let (m1, v1) = moments(&self.base, graph, &it.var, it.g, b1, self.beta_2, "velocity", updates)?;
            let dt = it.w.dtype();
            let m_hat = m1.mul(cast_to(c1, dt)?)?.add(it.g.mul(cast_to(c2, dt)?)?)?;
            let v_hat = v1.div(cast_to(v_corr, dt)?)?;
            let w1 = it.w.sub(m_hat.mul(it.lr)?.div(v_hat.sqrt()?.add_scalar(self.epsilon)?)?)?;
            updates.push((it.var.clone(), w1));
        }
        Ok(())
    }
}

keras_optimizer!(
    /// LAMB: Adam's bias-corrected direction `r = m_hat / (sqrt(v_hat) + eps)` scaled per
    /// variable by the trust ratio `||var|| / ||r||` (1 when either norm is 0): `var -= ratio *
    /// lr * r`.
    Lamb, "Lamb", lr = 0.001, {
        beta_1: f64 = number(0.9),
        beta_2: f64 = number(0.999),
        epsilon: f64 = number(1e-7),
    }
);

impl OptimizerArgs for Lamb {}

impl UpdateRule for Lamb {
    fn slot_groups(&self) -> Vec<&'static [&'static str]> {
        vec![&["momentum", "velocity"]]
    }

    fn update<'g>(
        &self,
        graph: &'g Graph,
        step: &Step<'g>,
        updates: &mut Vec<(Variable, Sym<'g>)>,
    ) -> Result<()> {
        let c1 = one_minus_pow(step, self.beta_1)?;
        let c2 = one_minus_pow(step, self.beta_2)?;
        for it in &step.items {
            let (m1, v1) =
                moments(&self.base, graph, &it.var, it.g, self.beta_1, self.beta_2, "velocity", updates)?;
            let dt = it.w.dtype();
            let m_hat = m1.div(cast_to(c1, dt)?)?;
            let r = m_hat.div(v1.div(cast_to(c2, dt)?)?.sqrt()?.add_scalar(self.epsilon)?)?;
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
