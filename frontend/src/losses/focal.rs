//! Focal and generalized cross-entropies: `BinaryFocalCrossentropy`,
//! `CategoricalFocalCrossentropy`, `CategoricalGeneralizedCrossEntropy`.
//!
//! As in Keras, the focal losses work on probabilities even with `from_logits` (a sigmoid or
//! softmax first), clipped to `[eps, 1 - eps]` where Keras clips them.

use serde_json::{Map, Value};

use super::crossentropy::{check_label_smoothing, checked_labels};
use super::{squeeze_or_expand_to_same_rank, ConfigReader, Loss, LossBase, Num, Reduction};
use crate::error::{Error, Result};
use crate::graph::Sym;

/// `keras.losses.binary_focal_crossentropy(y_true, y_pred, apply_class_balancing, alpha, gamma,
/// from_logits, label_smoothing, axis)`: the mean over `axis` of `(1 - p_t)^gamma * bce`
/// (times `alpha` for positives and `1 - alpha` for negatives with class balancing).
#[allow(clippy::too_many_arguments)]
pub fn binary_focal_crossentropy<'g>(
    y_true: Sym<'g>,
    y_pred: Sym<'g>,
    apply_class_balancing: bool,
    alpha: f64,
    gamma: f64,
    from_logits: bool,
    label_smoothing: f64,
    axis: i64,
) -> Result<Sym<'g>> {
    let mut t = checked_labels("BinaryFocalCrossentropy", "`y_pred`", y_true, y_pred, axis)?;
    if label_smoothing != 0.0 {
        t = t.mul_scalar(1.0 - label_smoothing)?.add_scalar(0.5 * label_smoothing)?;
    }
    let p = if from_logits { y_pred.sigmoid()? } else { y_pred };
    let eps = crate::config::epsilon();
    let pc = p.clip(eps, 1.0 - eps)?;
    let one_minus_t = t.rsub_scalar(1.0)?;
    let bce = t.mul(pc.log()?)?.add(one_minus_t.mul(pc.rsub_scalar(1.0)?.log()?)?)?.neg()?;
    // p_t uses the unclipped probabilities, as Keras does.
    let p_t = t.mul(p)?.add(one_minus_t.mul(p.rsub_scalar(1.0)?)?)?;
    let mut focal = p_t.rsub_scalar(1.0)?.pow_scalar(gamma)?.mul(bce)?;
    if apply_class_balancing {
        let weight = t.mul_scalar(alpha)?.add(one_minus_t.mul_scalar(1.0 - alpha)?)?;
        focal = weight.mul(focal)?;
    }
    focal.mean(&[axis], false)
}

/// `keras.losses.categorical_focal_crossentropy(y_true, y_pred, alpha, gamma, from_logits,
/// label_smoothing, axis)`: `sum(-alpha * (1 - p)^gamma * y_true * log(p), axis)` with `p`
/// normalized along `axis` and clipped.
pub fn categorical_focal_crossentropy<'g>(
    y_true: Sym<'g>,
    y_pred: Sym<'g>,
    alpha: f64,
    gamma: f64,
    from_logits: bool,
    label_smoothing: f64,
    axis: i64,
) -> Result<Sym<'g>> {
    let mut t =
        checked_labels("CategoricalFocalCrossentropy", "`y_true` and `y_pred`", y_true, y_pred, axis)?;
    if label_smoothing != 0.0 {
        // Keras divides by y_true.shape[-1], whatever the axis.
        let classes = t.size(&[-1])?.cast(t.dtype())?;
        t = t.mul_scalar(1.0 - label_smoothing)?.add(classes.reciprocal()?.mul_scalar(label_smoothing)?)?;
    }
    let p = if from_logits { y_pred.softmax(axis)? } else { y_pred };
    let eps = crate::config::epsilon();
    let out = p.div(p.sum(&[axis], true)?)?.clip(eps, 1.0 - eps)?;
    let cce = t.mul(out.log()?)?.neg()?;
    let weight = out.rsub_scalar(1.0)?.pow_scalar(gamma)?.mul_scalar(alpha)?;
    weight.mul(cce)?.sum(&[axis], false)
}

/// `keras.losses.categorical_generalized_cross_entropy(y_true, y_pred, q)`: `(1 - p^q) / q` with
/// `p` the predicted probability of the integer label `y_true` (labels outside the classes give
/// `p = 0`).
pub fn categorical_generalized_cross_entropy<'g>(
    y_true: Sym<'g>,
    y_pred: Sym<'g>,
    q: f64,
) -> Result<Sym<'g>> {
    const CLASS: &str = "CategoricalGeneralizedCrossEntropy";
    if y_pred.rank() == 0 {
        return Err(Error::arg(CLASS, format!("{CLASS}: `y_pred` must have a class axis, got a scalar")));
    }
    let classes = y_pred
        .shape()
        .last()
        .copied()
        .flatten()
        .ok_or_else(|| Error::arg(CLASS, format!("{CLASS}: the class axis of `y_pred` must be known")))?;
    let one_hot = y_true.cast(wgkeras_runtime::DType::I32)?.one_hot(classes)?.cast(y_pred.dtype())?;
    super::check_broadcast(CLASS, "one_hot(y_true) and `y_pred`", one_hot, y_pred)?;
    let p = y_pred.mul(one_hot)?.sum(&[-1], false)?;
    p.pow_scalar(q)?.rsub_scalar(1.0)?.mul_scalar(1.0 / q)
}

fn check_q(q: f64) -> Result<()> {
    if q > 0.0 && q < 1.0 {
        Ok(())
    } else {
        Err(Error::arg(
            "CategoricalGeneralizedCrossEntropy",
            format!("CategoricalGeneralizedCrossEntropy: q must be in the interval (0, 1), got q={q}"),
        ))
    }
}

/// `keras.losses.BinaryFocalCrossentropy(apply_class_balancing=False, alpha=0.25, gamma=2.0,
/// from_logits=False, label_smoothing=0.0, axis=-1)` (default name
/// `"binary_focal_crossentropy"`).
#[derive(Clone, Debug, PartialEq)]
pub struct BinaryFocalCrossentropy {
    pub base: LossBase,
    pub apply_class_balancing: bool,
    pub alpha: Num,
    pub gamma: Num,
    pub from_logits: bool,
    pub label_smoothing: Num,
    pub axis: i64,
}

impl Default for BinaryFocalCrossentropy {
    fn default() -> Self {
        BinaryFocalCrossentropy {
            base: LossBase::new("binary_focal_crossentropy"),
            apply_class_balancing: false,
            alpha: Num::from(0.25),
            gamma: Num::from(2.0),
            from_logits: false,
            label_smoothing: Num::from(0.0),
            axis: -1,
        }
    }
}

impl BinaryFocalCrossentropy {
    pub fn with_reduction(mut self, reduction: Reduction) -> Self {
        self.base.reduction = reduction;
        self
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Self> {
        const CLASS: &str = "BinaryFocalCrossentropy";
        let mut r = ConfigReader::new(CLASS, config);
        let base = LossBase::read(&mut r, "binary_focal_crossentropy")?;
        let l = BinaryFocalCrossentropy {
            base,
            apply_class_balancing: r.bool("apply_class_balancing", false)?,
            alpha: r.num("alpha", 0.25)?,
            gamma: r.num("gamma", 2.0)?,
            from_logits: r.bool("from_logits", false)?,
            label_smoothing: r.num("label_smoothing", 0.0)?,
            axis: r.i64("axis", -1)?,
        };
        r.finish()?;
        check_label_smoothing(CLASS, l.label_smoothing.value)?;
        Ok(l)
    }
}

impl Loss for BinaryFocalCrossentropy {
    fn class_name(&self) -> &'static str {
        "BinaryFocalCrossentropy"
    }
    fn base(&self) -> &LossBase {
        &self.base
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = self.base.config();
        m.insert("from_logits".into(), Value::from(self.from_logits));
        m.insert("label_smoothing".into(), self.label_smoothing.json.clone());
        m.insert("axis".into(), Value::from(self.axis));
        m.insert("apply_class_balancing".into(), Value::from(self.apply_class_balancing));
        m.insert("alpha".into(), self.alpha.json.clone());
        m.insert("gamma".into(), self.gamma.json.clone());
        m
    }
    fn call<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        let (y_true, y_pred) = squeeze_or_expand_to_same_rank(y_true, y_pred)?;
        binary_focal_crossentropy(
            y_true,
            y_pred,
            self.apply_class_balancing,
            self.alpha.value,
            self.gamma.value,
            self.from_logits,
            self.label_smoothing.value,
            self.axis,
        )
    }
}

/// `keras.losses.CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0, from_logits=False,
/// label_smoothing=0.0, axis=-1)` (default name `"categorical_focal_crossentropy"`).
#[derive(Clone, Debug, PartialEq)]
pub struct CategoricalFocalCrossentropy {
    pub base: LossBase,
    pub alpha: Num,
    pub gamma: Num,
    pub from_logits: bool,
    pub label_smoothing: Num,
    pub axis: i64,
}

impl Default for CategoricalFocalCrossentropy {
    fn default() -> Self {
        CategoricalFocalCrossentropy {
            base: LossBase::new("categorical_focal_crossentropy"),
            alpha: Num::from(0.25),
            gamma: Num::from(2.0),
            from_logits: false,
            label_smoothing: Num::from(0.0),
            axis: -1,
        }
    }
}

impl CategoricalFocalCrossentropy {
    pub fn with_reduction(mut self, reduction: Reduction) -> Self {
        self.base.reduction = reduction;
        self
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Self> {
        const CLASS: &str = "CategoricalFocalCrossentropy";
        let mut r = ConfigReader::new(CLASS, config);
        let base = LossBase::read(&mut r, "categorical_focal_crossentropy")?;
        let l = CategoricalFocalCrossentropy {
            base,
            alpha: r.num("alpha", 0.25)?,
            gamma: r.num("gamma", 2.0)?,
            from_logits: r.bool("from_logits", false)?,
            label_smoothing: r.num("label_smoothing", 0.0)?,
            axis: r.i64("axis", -1)?,
        };
        r.finish()?;
        check_label_smoothing(CLASS, l.label_smoothing.value)?;
        Ok(l)
    }
}

impl Loss for CategoricalFocalCrossentropy {
    fn class_name(&self) -> &'static str {
        "CategoricalFocalCrossentropy"
    }
    fn base(&self) -> &LossBase {
        &self.base
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = self.base.config();
        m.insert("from_logits".into(), Value::from(self.from_logits));
        m.insert("label_smoothing".into(), self.label_smoothing.json.clone());
        m.insert("axis".into(), Value::from(self.axis));
        m.insert("alpha".into(), self.alpha.json.clone());
        m.insert("gamma".into(), self.gamma.json.clone());
        m
    }
    fn call<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        let (y_true, y_pred) = squeeze_or_expand_to_same_rank(y_true, y_pred)?;
        categorical_focal_crossentropy(
            y_true,
            y_pred,
            self.alpha.value,
            self.gamma.value,
            self.from_logits,
            self.label_smoothing.value,
            self.axis,
        )
    }
}

/// `keras.losses.CategoricalGeneralizedCrossEntropy(q=0.5)` (default name
/// `"categorical_generalized_cross_entropy"`), for integer labels; `q` must be in (0, 1).
#[derive(Clone, Debug, PartialEq)]
pub struct CategoricalGeneralizedCrossEntropy {
    pub base: LossBase,
    pub q: Num,
}

impl Default for CategoricalGeneralizedCrossEntropy {
    fn default() -> Self {
        CategoricalGeneralizedCrossEntropy {
            base: LossBase::new("categorical_generalized_cross_entropy"),
            q: Num::from(0.5),
        }
    }
}

impl CategoricalGeneralizedCrossEntropy {
    pub fn new(q: f64) -> Result<Self> {
        check_q(q)?;
        Ok(CategoricalGeneralizedCrossEntropy { q: Num::from(q), ..Self::default() })
    }

    pub fn with_reduction(mut self, reduction: Reduction) -> Self {
        self.base.reduction = reduction;
        self
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Self> {
        let mut r = ConfigReader::new("CategoricalGeneralizedCrossEntropy", config);
        let base = LossBase::read(&mut r, "categorical_generalized_cross_entropy")?;
        let q = r.num("q", 0.5)?;
        r.finish()?;
        check_q(q.value)?;
        Ok(CategoricalGeneralizedCrossEntropy { base, q })
    }
}

impl Loss for CategoricalGeneralizedCrossEntropy {
    fn class_name(&self) -> &'static str {
        "CategoricalGeneralizedCrossEntropy"
    }
    fn base(&self) -> &LossBase {
        &self.base
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = self.base.config();
        m.insert("q".into(), self.q.json.clone());
        m
    }
    fn call<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        let (y_true, y_pred) = squeeze_or_expand_to_same_rank(y_true, y_pred)?;
        categorical_generalized_cross_entropy(y_true, y_pred, self.q.value)
    }
}
