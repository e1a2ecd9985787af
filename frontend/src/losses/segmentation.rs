//! Image-segmentation losses: `Dice`, `Tversky`. Their `axis` (default None: every axis, so one
//! value for the whole batch) may be an integer or a list.

use serde_json::{Map, Value};

use super::{
    check_broadcast, squeeze_or_expand_to_same_rank, Axes, ConfigReader, Loss, LossBase, Num, Reduction,
};
use crate::error::Result;
use crate::graph::Sym;

/// `y_true` cast to `y_pred`'s dtype, and the axes to reduce (checked against both ranks).
fn prepare<'g>(
    class: &'static str,
    y_true: Sym<'g>,
    y_pred: Sym<'g>,
    axis: Option<&[i64]>,
) -> Result<(Sym<'g>, Vec<i64>)> {
    let t = y_true.cast(y_pred.dtype())?;
    check_broadcast(class, "`y_true` and `y_pred`", t, y_pred)?;
    let rank = t.rank().max(y_pred.rank());
    let axes: Vec<i64> = match axis {
        None => (0..rank as i64).collect(),
        Some(a) => a.to_vec(),
    };
    let probe = if t.rank() >= y_pred.rank() { t } else { y_pred };
    for &a in &axes {
        probe.axis(class, a)?;
    }
    Ok((t, axes))
}

/// `keras.losses.dice(y_true, y_pred, axis=None)`: `1 - 2 * sum(t * p) / (sum(t) + sum(p) +
/// eps)`, the sums over `axis`.
pub fn dice<'g>(y_true: Sym<'g>, y_pred: Sym<'g>, axis: Option<&[i64]>) -> Result<Sym<'g>> {
    let (t, axes) = prepare("Dice", y_true, y_pred, axis)?;
    let inter = t.mul(y_pred)?.sum(&axes, false)?;
    let denom = t.sum(&axes, false)?.add(y_pred.sum(&axes, false)?)?.add_scalar(crate::config::epsilon())?;
    inter.mul_scalar(2.0)?.div(denom)?.rsub_scalar(1.0)
}

/// `keras.losses.tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None)`: `1 - TP / (TP +
/// alpha * FP + beta * FN + eps)` with `TP = sum(t * p)`, `FP = sum((1 - p) * t)`, `FN = sum(p
/// * (1 - t))` (Keras's naming), the sums over `axis`.
pub fn tversky<'g>(
    y_true: Sym<'g>,
    y_pred: Sym<'g>,
    alpha: f64,
    beta: f64,
    axis: Option<&[i64]>,
) -> Result<Sym<'g>> {
    let (t, axes) = prepare("Tversky", y_true, y_pred, axis)?;
    let inter = t.mul(y_pred)?.sum(&axes, false)?;
    let fp = y_pred.rsub_scalar(1.0)?.mul(t)?.sum(&axes, false)?;
    let fn_ = y_pred.mul(t.rsub_scalar(1.0)?)?.sum(&axes, false)?;
    let denom =
        inter.add(fp.mul_scalar(alpha)?)?.add(fn_.mul_scalar(beta)?)?.add_scalar(crate::config::epsilon())?;
    inter.div(denom)?.rsub_scalar(1.0)
}

/// `keras.losses.Dice(axis=None)` (default name `"dice"`).
#[derive(Clone, Debug, PartialEq)]
pub struct Dice {
    pub base: LossBase,
    pub axis: Axes,
}

impl Default for Dice {
    fn default() -> Self {
        Dice { base: LossBase::new("dice"), axis: Axes::all() }
    }
}

impl Dice {
    pub fn new(axis: Axes) -> Self {
        Dice { axis, ..Self::default() }
    }

    pub fn with_reduction(mut self, reduction: Reduction) -> Self {
        self.base.reduction = reduction;
        self
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Self> {
        let mut r = ConfigReader::new("Dice", config);
        let base = LossBase::read(&mut r, "dice")?;
        let axis = r.axes("axis")?;
        r.finish()?;
        Ok(Dice { base, axis })
    }
}

impl Loss for Dice {
    fn class_name(&self) -> &'static str {
        "Dice"
    }
    fn base(&self) -> &LossBase {
        &self.base
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = self.base.config();
        m.insert("axis".into(), self.axis.json.clone());
        m
    }
    fn call<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        let (y_true, y_pred) = squeeze_or_expand_to_same_rank(y_true, y_pred)?;
        dice(y_true, y_pred, self.axis.axes.as_deref())
    }
}

/// `keras.losses.Tversky(alpha=0.5, beta=0.5, axis=None)` (default name `"tversky"`).
#[derive(Clone, Debug, PartialEq)]
pub struct Tversky {
    pub base: LossBase,
    pub alpha: Num,
    pub beta: Num,
    pub axis: Axes,
}

impl Default for Tversky {
    fn default() -> Self {
        Tversky {
            base: LossBase::new("tversky"),
            alpha: Num::from(0.5),
            beta: Num::from(0.5),
            axis: Axes::all(),
        }
    }
}

impl Tversky {
    pub fn new(alpha: f64, beta: f64, axis: Axes) -> Self {
        Tversky { alpha: Num::from(alpha), beta: Num::from(beta), axis, ..Self::default() }
    }

    pub fn with_reduction(mut self, reduction: Reduction) -> Self {
        self.base.reduction = reduction;
        self
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Self> {
        let mut r = ConfigReader::new("Tversky", config);
        let base = LossBase::read(&mut r, "tversky")?;
        let alpha = r.num("alpha", 0.5)?;
        let beta = r.num("beta", 0.5)?;
        let axis = r.axes("axis")?;
        r.finish()?;
        Ok(Tversky { base, alpha, beta, axis })
    }
}

impl Loss for Tversky {
    fn class_name(&self) -> &'static str {
        "Tversky"
    }
    fn base(&self) -> &LossBase {
        &self.base
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = self.base.config();
        m.insert("alpha".into(), self.alpha.json.clone());
        m.insert("beta".into(), self.beta.json.clone());
        m.insert("axis".into(), self.axis.json.clone());
        m
    }
    fn call<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        let (y_true, y_pred) = squeeze_or_expand_to_same_rank(y_true, y_pred)?;
        tversky(y_true, y_pred, self.alpha.value, self.beta.value, self.axis.axes.as_deref())
    }
}
