//! Cross-entropy losses: `BinaryCrossentropy`, `CategoricalCrossentropy`,
//! `SparseCategoricalCrossentropy`.
//!
//! As in Keras (JAX backend): probabilities are clipped to `[eps, 1 - eps]` (eps =
//! [`crate::config::epsilon`]); categorical and sparse cross-entropy first divide `y_pred` by its
//! sum along the class axis. The `from_logits` paths are the stable forms: `log_softmax` for the
//! categorical losses and `t * softplus(-x) + (1 - t) * softplus(x)` (JAX's `log_sigmoid`) for
//! the binary one, so their gradients are right for any logit.

use std::marker::PhantomData;

use serde_json::{Map, Value};
use wgkeras_runtime::DType;

use super::{
    check_same_shape, squeeze_last, squeeze_or_expand_to_same_rank, ConfigReader, Loss, LossBase, Reduction,
};
use crate::error::{Error, Result};
use crate::graph::{shape_str, Sym};

pub(crate) fn check_label_smoothing(class: &'static str, ls: f64) -> Result<()> {
    if (0.0..=1.0).contains(&ls) {
        Ok(())
    } else {
        Err(Error::arg(class, format!("{class}: `label_smoothing` must be in [0, 1], got {ls}")))
    }
}

fn check_rank(class: &'static str, what: &str, x: Sym<'_>) -> Result<()> {
    if x.rank() == 0 {
        return Err(Error::arg(class, format!("{class}: {what} must have rank 1 or more, got a scalar")));
    }
    Ok(())
}

/// `y_true` cast to `y_pred`'s dtype, after checking that both have the same shape, that
/// `y_pred` (named `what` in the error) is not a scalar and that `axis` is one of its axes.
pub(crate) fn checked_labels<'g>(
    class: &'static str,
    what: &str,
    y_true: Sym<'g>,
    y_pred: Sym<'g>,
    axis: i64,
) -> Result<Sym<'g>> {
    let t = y_true.cast(y_pred.dtype())?;
    check_same_shape(class, t, y_pred)?;
    check_rank(class, what, y_pred)?;
    y_pred.axis(class, axis)?;
    Ok(t)
}

/// `log(clip(p, eps, 1 - eps))` of the probabilities normalized along `axis`.
fn log_normalized_probs<'g>(y_pred: Sym<'g>, axis: i64) -> Result<Sym<'g>> {
    let eps = crate::config::epsilon();
    let p = y_pred.div(y_pred.sum(&[axis], true)?)?;
    p.clip(eps, 1.0 - eps)?.log()
}

// ---------------------------------------------------------------------------------------------
// BinaryCrossentropy and CategoricalCrossentropy
// ---------------------------------------------------------------------------------------------

/// The Keras function of a cross-entropy class: `(y_true, y_pred, from_logits, label_smoothing,
/// axis)` to the per-sample losses.
pub type SmoothedCrossentropyFn = for<'g> fn(Sym<'g>, Sym<'g>, bool, f64, i64) -> Result<Sym<'g>>;

/// What tells [`BinaryCrossentropy`] and [`CategoricalCrossentropy`] apart: Keras's class and
/// default name, and the per-sample function.
pub trait SmoothedCrossentropyKind: Clone + std::fmt::Debug + PartialEq + Send + Sync {
    /// Keras's class name.
    const CLASS: &'static str;
    /// Keras's default `name`.
    const DEFAULT_NAME: &'static str;
    /// The per-sample losses.
    const VALUES: SmoothedCrossentropyFn;
}

/// The kind of [`BinaryCrossentropy`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binary;

impl SmoothedCrossentropyKind for Binary {
    const CLASS: &'static str = "BinaryCrossentropy";
    const DEFAULT_NAME: &'static str = "binary_crossentropy";
    const VALUES: SmoothedCrossentropyFn = binary_crossentropy;
}

/// The kind of [`CategoricalCrossentropy`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Categorical;

impl SmoothedCrossentropyKind for Categorical {
    const CLASS: &'static str = "CategoricalCrossentropy";
    const DEFAULT_NAME: &'static str = "categorical_crossentropy";
    const VALUES: SmoothedCrossentropyFn = categorical_crossentropy;
}

/// A cross-entropy with `from_logits`, `label_smoothing` and `axis`: [`BinaryCrossentropy`] or
/// [`CategoricalCrossentropy`] (the kind `K` says which).
///
/// Config keys: `name`, `reduction`, `from_logits`, `label_smoothing`, `axis`, and `dtype` (read
/// only).
#[derive(Clone, Debug, PartialEq)]
pub struct SmoothedCrossentropy<K> {
    pub base: LossBase,
    pub from_logits: bool,
    pub label_smoothing: f64,
    pub axis: i64,
    kind: PhantomData<K>,
}

/// `keras.losses.BinaryCrossentropy(from_logits=False, label_smoothing=0.0, axis=-1)`: the mean
/// over `axis` of the element-wise binary cross-entropy (default name `"binary_crossentropy"`).
pub type BinaryCrossentropy = SmoothedCrossentropy<Binary>;

/// `keras.losses.CategoricalCrossentropy(from_logits=False, label_smoothing=0.0, axis=-1)`:
/// `-sum(y_true * log(p), axis)` with one-hot (or soft) `y_true` (default name
/// `"categorical_crossentropy"`).
pub type CategoricalCrossentropy = SmoothedCrossentropy<Categorical>;

impl<K: SmoothedCrossentropyKind> Default for SmoothedCrossentropy<K> {
    fn default() -> Self {
        SmoothedCrossentropy {
            base: LossBase::new(K::DEFAULT_NAME),
            from_logits: false,
            label_smoothing: 0.0,
            axis: -1,
            kind: PhantomData,
        }
    }
}

impl<K: SmoothedCrossentropyKind> SmoothedCrossentropy<K> {
    pub fn new(from_logits: bool) -> Self {
        SmoothedCrossentropy { from_logits, ..Self::default() }
    }

    pub fn with_reduction(mut self, reduction: Reduction) -> Self {
        self.base.reduction = reduction;
        self
    }

    pub fn with_label_smoothing(mut self, label_smoothing: f64) -> Result<Self> {
        check_label_smoothing(K::CLASS, label_smoothing)?;
        self.label_smoothing = label_smoothing;
        Ok(self)
    }

    pub fn with_axis(mut self, axis: i64) -> Self {
        self.axis = axis;
        self
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Self> {
        let mut r = ConfigReader::new(K::CLASS, config);
        let base = LossBase::read(&mut r, K::DEFAULT_NAME)?;
        let from_logits = r.bool("from_logits", false)?;
        let label_smoothing = r.f64("label_smoothing", 0.0)?;
        let axis = r.i64("axis", -1)?;
        r.finish()?;
        check_label_smoothing(K::CLASS, label_smoothing)?;
        Ok(SmoothedCrossentropy { base, from_logits, label_smoothing, axis, kind: PhantomData })
    }
}

impl<K: SmoothedCrossentropyKind> Loss for SmoothedCrossentropy<K> {
    fn class_name(&self) -> &'static str {
        K::CLASS
    }
    fn base(&self) -> &LossBase {
        &self.base
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = self.base.config();
        m.insert("from_logits".into(), Value::from(self.from_logits));
        m.insert("label_smoothing".into(), Value::from(self.label_smoothing));
        m.insert("axis".into(), Value::from(self.axis));
        m
    }
    fn call<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        let (y_true, y_pred) = squeeze_or_expand_to_same_rank(y_true, y_pred)?;
        K::VALUES(y_true, y_pred, self.from_logits, self.label_smoothing, self.axis)
    }
}

/// `keras.losses.binary_crossentropy(y_true, y_pred, from_logits, label_smoothing, axis)`.
pub fn binary_crossentropy<'g>(
    y_true: Sym<'g>,
    y_pred: Sym<'g>,
    from_logits: bool,
    label_smoothing: f64,
    axis: i64,
) -> Result<Sym<'g>> {
    let mut t = checked_labels("BinaryCrossentropy", "`y_pred`", y_true, y_pred, axis)?;
    if label_smoothing != 0.0 {
        t = t.mul_scalar(1.0 - label_smoothing)?.add_scalar(0.5 * label_smoothing)?;
    }
    let bce = if from_logits {
        // -t * log_sigmoid(x) - (1 - t) * log_sigmoid(-x), log_sigmoid(x) = -softplus(-x).
        let pos = t.mul(y_pred.neg()?.softplus()?)?;
        let neg = t.rsub_scalar(1.0)?.mul(y_pred.softplus()?)?;
        pos.add(neg)?
    } else {
        let eps = crate::config::epsilon();
        let p = y_pred.clip(eps, 1.0 - eps)?;
        let a = t.mul(p.log()?)?;
        let b = t.rsub_scalar(1.0)?.mul(p.rsub_scalar(1.0)?.log()?)?;
        a.add(b)?.neg()?
    };
    bce.mean(&[axis], false)
}

/// `keras.losses.categorical_crossentropy(y_true, y_pred, from_logits, label_smoothing, axis)`.
pub fn categorical_crossentropy<'g>(
    y_true: Sym<'g>,
    y_pred: Sym<'g>,
    from_logits: bool,
    label_smoothing: f64,
    axis: i64,
) -> Result<Sym<'g>> {
    let mut t = checked_labels("CategoricalCrossentropy", "`y_true` and `y_pred`", y_true, y_pred, axis)?;
    if label_smoothing != 0.0 {
        // Keras divides by y_true.shape[-1], whatever the axis.
        let classes = t.size(&[-1])?.cast(t.dtype())?;
        let spread = classes.reciprocal()?.mul_scalar(label_smoothing)?;
        t = t.mul_scalar(1.0 - label_smoothing)?.add(spread)?;
    }
    let log_prob = if from_logits { y_pred.log_softmax(axis)? } else { log_normalized_probs(y_pred, axis)? };
    t.mul(log_prob)?.sum(&[axis], false)?.neg()
}

// ---------------------------------------------------------------------------------------------
// SparseCategoricalCrossentropy
// ---------------------------------------------------------------------------------------------

/// `keras.losses.SparseCategoricalCrossentropy(from_logits=False, ignore_class=None, axis=-1)`:
/// categorical cross-entropy with integer class ids as labels (int or float; a trailing size-1
/// label axis is squeezed). Labels outside `[0, classes)` give a loss of 0, as in Keras (JAX).
/// With `ignore_class`, positions labelled with it give 0 and are masked out of the reduction.
///
/// Config keys: `name` (`"sparse_categorical_crossentropy"`), `reduction`, `from_logits`,
/// `ignore_class`; `axis` and `dtype` are read but not written back (as in Keras).
#[derive(Clone, Debug, PartialEq)]
pub struct SparseCategoricalCrossentropy {
    pub base: LossBase,
    pub from_logits: bool,
    pub ignore_class: Option<i64>,
    pub axis: i64,
}

impl Default for SparseCategoricalCrossentropy {
    fn default() -> Self {
        SparseCategoricalCrossentropy {
            base: LossBase::new("sparse_categorical_crossentropy"),
            from_logits: false,
            ignore_class: None,
            axis: -1,
        }
    }
}

impl SparseCategoricalCrossentropy {
    pub fn new(from_logits: bool) -> Self {
        SparseCategoricalCrossentropy { from_logits, ..Self::default() }
    }

    pub fn with_reduction(mut self, reduction: Reduction) -> Self {
        self.base.reduction = reduction;
        self
    }

    pub fn with_ignore_class(mut self, ignore_class: Option<i64>) -> Self {
        self.ignore_class = ignore_class;
        self
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Self> {
        const CLASS: &str = "SparseCategoricalCrossentropy";
        let mut r = ConfigReader::new(CLASS, config);
        let base = LossBase::read(&mut r, "sparse_categorical_crossentropy")?;
        let from_logits = r.bool("from_logits", false)?;
        let ignore_class = r.opt_i64("ignore_class")?;
        let axis = r.i64("axis", -1)?;
        r.finish()?;
        Ok(SparseCategoricalCrossentropy { base, from_logits, ignore_class, axis })
    }
}

/// `keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits, ignore_class,
/// axis)`: the per-position losses and, with `ignore_class`, the mask of valid positions.
pub fn sparse_categorical_crossentropy_masked<'g>(
    y_true: Sym<'g>,
    y_pred: Sym<'g>,
    from_logits: bool,
    ignore_class: Option<i64>,
    axis: i64,
) -> Result<(Sym<'g>, Option<Sym<'g>>)> {
    const CLASS: &str = "SparseCategoricalCrossentropy";
    check_rank(CLASS, "`y_pred`", y_pred)?;
    let ax = y_pred.axis(CLASS, axis)?;
    let mut labels = y_true;
    if labels.rank() == y_pred.rank() && labels.shape()[ax] == Some(1) {
        labels =
            if ax + 1 == labels.rank() { squeeze_last(labels)? } else { labels.sum(&[ax as i64], false)? };
    }
    // The label shape must be y_pred's shape without the class axis.
    let pshape = y_pred.shape();
    let mut want = pshape.clone();
    want.remove(ax);
    let ls = labels.shape();
    let fits =
        ls.len() == want.len() && ls.iter().zip(&want).all(|(a, b)| a.is_none() || b.is_none() || a == b);
    if !fits {
        return Err(Error::arg(
            CLASS,
            format!(
                "{CLASS}: the labels must have y_pred's shape without the class axis {axis} ({}), got y_true.shape={} for y_pred.shape={}",
                shape_str(&want),
                shape_str(&y_true.shape()),
                shape_str(&pshape)
            ),
        ));
    }
    let classes = pshape[ax].ok_or_else(|| {
        Error::arg(CLASS, format!("{CLASS}: the class axis of y_pred {} must be known", shape_str(&pshape)))
    })?;
    let mut y_pred = y_pred;
    let mut valid = None;
    if let Some(ic) = ignore_class {
        let lf = labels.cast(y_pred.dtype())?;
        let v = lf.not_equal(lf.scalar_like(ic as f64)?)?;
        labels = v.select(lf, lf.scalar_like(0.0)?)?;
        y_pred = v.expand_dims(ax as i64)?.select(y_pred, y_pred.scalar_like(0.0)?)?;
        valid = Some(v);
    }
    // Keras casts the labels to int32 (floats truncate toward zero).
    let ids = labels.cast(DType::I32)?;
    let mut one_hot = ids.one_hot(classes)?.cast(y_pred.dtype())?;
    let r = y_pred.rank();
    if ax != r - 1 {
        // Move the new last (class) axis to `ax`.
        let mut perm: Vec<usize> = (0..r - 1).collect();
        perm.insert(ax, r - 1);
        one_hot = one_hot.transpose(&perm)?;
    }
    let log_prob =
        if from_logits { y_pred.log_softmax(ax as i64)? } else { log_normalized_probs(y_pred, ax as i64)? };
    let mut res = one_hot.mul(log_prob)?.sum(&[ax as i64], false)?.neg()?;
    if let Some(v) = valid {
        res = v.select(res, res.scalar_like(0.0)?)?;
    }
    Ok((res, valid))
}

/// `keras.losses.sparse_categorical_crossentropy` without `ignore_class`.
pub fn sparse_categorical_crossentropy<'g>(
    y_true: Sym<'g>,
    y_pred: Sym<'g>,
    from_logits: bool,
    axis: i64,
) -> Result<Sym<'g>> {
    Ok(sparse_categorical_crossentropy_masked(y_true, y_pred, from_logits, None, axis)?.0)
}

impl Loss for SparseCategoricalCrossentropy {
    fn class_name(&self) -> &'static str {
        "SparseCategoricalCrossentropy"
    }
    fn base(&self) -> &LossBase {
        &self.base
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = self.base.config();
        m.insert("from_logits".into(), Value::from(self.from_logits));
        m.insert("ignore_class".into(), self.ignore_class.map_or(Value::Null, Value::from));
        m
    }
    fn call<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        Ok(self.call_masked(y_true, y_pred)?.0)
    }
    fn call_masked<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<(Sym<'g>, Option<Sym<'g>>)> {
        let (y_true, y_pred) = squeeze_or_expand_to_same_rank(y_true, y_pred)?;
        sparse_categorical_crossentropy_masked(y_true, y_pred, self.from_logits, self.ignore_class, self.axis)
    }
}
