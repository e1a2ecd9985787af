//! The accuracy metrics (Keras's `MeanMetricWrapper`s of the accuracy functions).

use serde_json::{Map, Value};
use wgkeras_runtime::DType;

use super::reduction::{MeanMetric, MeanMetricKind};
use super::Metric;
use crate::error::{Error, Result};
use crate::graph::op::broadcast_static;
use crate::graph::{shape_str, Sym};
use crate::losses::{squeeze_last, squeeze_or_expand_to_same_rank, ConfigReader};

fn check_match(class: &'static str, a: Sym<'_>, b: Sym<'_>) -> Result<()> {
    broadcast_static(class, &a.shape(), &b.shape()).map(|_| ()).map_err(|_| {
        Error::arg(
            class,
            format!(
                "{class}: the labels and predictions have incompatible shapes {} and {}",
                shape_str(&a.shape()),
                shape_str(&b.shape())
            ),
        )
    })
}

/// `keras.metrics.accuracy(y_true, y_pred)`: 1.0 where they are equal.
pub fn accuracy<'g>(y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
    let y_true = y_true.cast(y_pred.dtype())?;
    let (y_true, y_pred) = squeeze_or_expand_to_same_rank(y_true, y_pred)?;
    check_match("Accuracy", y_true, y_pred)?;
    y_true.equal(y_pred)?.cast(DType::F32)
}

/// `keras.metrics.binary_accuracy(y_true, y_pred, threshold)`: 1.0 where
/// `y_true == (y_pred > threshold)`.
pub fn binary_accuracy<'g>(y_true: Sym<'g>, y_pred: Sym<'g>, threshold: f64) -> Result<Sym<'g>> {
    let (y_true, y_pred) = squeeze_or_expand_to_same_rank(y_true, y_pred)?;
    check_match("BinaryAccuracy", y_true, y_pred)?;
    let p = if y_pred.dtype().is_float() { y_pred } else { y_pred.cast(DType::F32)? };
    let hit = p.greater(p.scalar_like(threshold)?)?.cast(y_true.dtype())?;
    y_true.equal(hit)?.cast(DType::F32)
}

/// `keras.metrics.categorical_accuracy(y_true, y_pred)`: 1.0 where the argmaxes agree.
pub fn categorical_accuracy<'g>(y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
    const CLASS: &str = "CategoricalAccuracy";
    if y_true.rank() == 0 || y_pred.rank() == 0 {
        return Err(Error::arg(
            CLASS,
            format!("{CLASS}: the labels and predictions must have rank 1 or more"),
        ));
    }
    let mut t = y_true.argmax(-1)?.cast(y_pred.dtype())?;
    let org = t.shape();
    let mut reshape = false;
    if t.rank() == y_pred.rank() {
        if t.shape().last() != Some(&Some(1)) {
            return Err(Error::arg(
                CLASS,
                format!(
                    "{CLASS}: cannot compare the labels of shape {} with predictions of shape {}",
                    shape_str(&y_true.shape()),
                    shape_str(&y_pred.shape())
                ),
            ));
        }
        t = squeeze_last(t)?;
        reshape = true;
    }
    let p = y_pred.argmax(-1)?.cast(t.dtype())?;
    check_match(CLASS, t, p)?;
    let mut m = t.equal(p)?.cast(DType::F32)?;
    if reshape && org.iter().filter(|d| d.is_none()).count() <= 1 {
        let target: Vec<i64> = org.iter().map(|d| d.map_or(-1, |d| d as i64)).collect();
        m = m.reshape(&target)?;
    }
    Ok(m)
}

/// `keras.metrics.sparse_categorical_accuracy(y_true, y_pred)`: 1.0 where the integer label
/// equals `argmax(y_pred, -1)`; labels of shape `[B]` or `[B, 1]`, int or float.
pub fn sparse_categorical_accuracy<'g>(y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
    const CLASS: &str = "SparseCategoricalAccuracy";
    if y_pred.rank() == 0 {
        return Err(Error::arg(CLASS, format!("{CLASS}: the predictions must have rank 1 or more")));
    }
    let mut t = y_true.cast(y_pred.dtype())?;
    if t.rank() == y_pred.rank() && t.shape().last() == Some(&Some(1)) {
        // Keras squeezes, compares, and reshapes back to [.., 1]; the final squeeze below
        // drops that axis again, so squeezing once is the same.
        t = squeeze_last(t)?;
    }
    let p = y_pred.argmax(-1)?.cast(t.dtype())?;
    check_match(CLASS, t, p)?;
    let mut m = t.equal(p)?.cast(DType::F32)?;
    if m.rank() > 1 && m.shape().last() == Some(&Some(1)) {
        m = squeeze_last(m)?;
    }
    Ok(m)
}

/// Keras's `ops.in_top_k(targets, predictions, k)` (JAX backend) along the last axis: true where
/// fewer than `k` predictions are strictly greater than the prediction at the target. A target
/// outside `[-classes, classes)` or a NaN prediction at the target counts as `-inf` (JAX's
/// `take_along_axis` fills out-of-range indices with NaN; negative ones wrap).
fn in_top_k<'g>(targets: Sym<'g>, predictions: Sym<'g>, k: i64) -> Result<Sym<'g>> {
    let classes = predictions.shape().last().copied().flatten().ok_or_else(|| {
        Error::arg(
            "in_top_k",
            format!(
                "in_top_k: the class axis of the predictions {} must be known",
                shape_str(&predictions.shape())
            ),
        )
    })?;
    let t = targets.cast(DType::I32)?;
    let wrapped = t.less(t.scalar_like(0.0)?)?.select(t.add_scalar(classes as f64)?, t)?;
    let one_hot = wrapped.one_hot(classes)?;
    let hot = one_hot.greater(one_hot.scalar_like(0.5)?)?;
    let in_range = one_hot.sum(&[-1], true)?;
    let in_range = in_range.greater(in_range.scalar_like(0.5)?)?;
    let at_label = hot.select(predictions, predictions.scalar_like(0.0)?)?.sum(&[-1], true)?;
    let neg_inf = predictions.scalar_like(f64::NEG_INFINITY)?;
    let at_label = at_label.not_equal(at_label)?.select(neg_inf, at_label)?;
    let at_label = in_range.select(at_label, neg_inf)?;
    let above = predictions.greater(at_label)?.cast(DType::F32)?.sum(&[-1], false)?;
    above.less(above.scalar_like(k as f64 - 0.5)?)
}

fn check_k(class: &'static str, k: i64) -> Result<()> {
    if k < 1 {
        return Err(Error::arg(class, format!("{class}: `k` must be a positive integer, got {k}")));
    }
    Ok(())
}

fn check_top_k_ranks(class: &'static str, y_true: Sym<'_>, y_pred: Sym<'_>) -> Result<()> {
    if y_pred.rank() == 0 {
        return Err(Error::arg(
            class,
            format!("{class}: the predictions must have rank 1 or more, got a scalar"),
        ));
    }
    if y_true.rank() + 1 != y_pred.rank() {
        return Err(Error::arg(
            class,
            format!(
                "{class}: the labels {} must have one axis less than the predictions {}",
                shape_str(&y_true.shape()),
                shape_str(&y_pred.shape())
            ),
        ));
    }
    let (ts, ps) = (y_true.shape(), y_pred.shape());
    let fits = ts.iter().zip(&ps).all(|(a, b)| a.is_none() || b.is_none() || a == b);
    if !fits {
        return Err(Error::arg(
            class,
            format!(
                "{class}: the labels and predictions have incompatible shapes {} and {}",
                shape_str(&ts),
                shape_str(&ps)
            ),
        ));
    }
    Ok(())
}

/// `keras.metrics.top_k_categorical_accuracy(y_true, y_pred, k=5)`: 1.0 where the argmax of the
/// one-hot `y_true` is among the `k` largest predictions (ties count for the label).
pub fn top_k_categorical_accuracy<'g>(y_true: Sym<'g>, y_pred: Sym<'g>, k: i64) -> Result<Sym<'g>> {
    const CLASS: &str = "TopKCategoricalAccuracy";
    check_k(CLASS, k)?;
    if y_true.rank() == 0 {
        return Err(Error::arg(CLASS, format!("{CLASS}: the labels must have rank 1 or more, got a scalar")));
    }
    let t = y_true.cast(y_pred.dtype())?.argmax(-1)?;
    check_top_k_ranks(CLASS, t, y_pred)?;
    in_top_k(t, y_pred, k)?.cast(DType::F32)
}

/// `keras.metrics.sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False)`:
/// 1.0 where the integer label is among the `k` largest predictions; with `from_sorted_ids`,
/// `y_pred` holds class ids sorted by score and the label is looked for in its first `k`.
pub fn sparse_top_k_categorical_accuracy<'g>(
    y_true: Sym<'g>,
    y_pred: Sym<'g>,
    k: i64,
    from_sorted_ids: bool,
) -> Result<Sym<'g>> {
    const CLASS: &str = "SparseTopKCategoricalAccuracy";
    check_k(CLASS, k)?;
    let mut t = y_true;
    if t.rank() == y_pred.rank() && t.rank() > 0 && t.shape().last() == Some(&Some(1)) {
        // Keras flattens [B, 1] labels and reshapes the matches back; the per-sample mean of
        // the wrapper makes that the same as one value per sample.
        t = squeeze_last(t)?;
    }
    check_top_k_ranks(CLASS, t, y_pred)?;
    let m = if from_sorted_ids {
        let t = t.cast(y_pred.dtype())?;
        let n = y_pred.shape().last().copied().flatten().ok_or_else(|| {
            Error::arg(
                CLASS,
                format!("{CLASS}: the last axis of y_pred {} must be known", shape_str(&y_pred.shape())),
            )
        })?;
        let top = y_pred.slice_axis(-1, 0, n.min(k as usize))?;
        let hits = t.expand_dims(-1)?.equal(top)?.cast(DType::F32)?.sum(&[-1], false)?;
        hits.greater(hits.scalar_like(0.5)?)?
    } else {
        // Keras converts the labels to int32 (floats truncate).
        in_top_k(t.cast(DType::I32)?, y_pred, k)?
    };
    m.cast(DType::F32)
}

/// The kind of [`Accuracy`]: `y_true == y_pred`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExactMatch;

impl MeanMetricKind for ExactMatch {
    const CLASS: &'static str = "Accuracy";
    const DEFAULT_NAME: &'static str = "accuracy";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        accuracy(y_true, y_pred)
    }
}

/// `keras.metrics.Accuracy(name="accuracy")`: how often `y_pred` equals `y_true` exactly.
pub type Accuracy = MeanMetric<ExactMatch>;

impl Accuracy {
    pub fn new(name: &str) -> Self {
        Self::with_kind(name, ExactMatch).expect("CPU zeros")
    }
}

/// The kind of [`BinaryAccuracy`]: `y_true == (y_pred > threshold)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ThresholdMatch {
    pub threshold: f64,
}

impl Default for ThresholdMatch {
    fn default() -> Self {
        ThresholdMatch { threshold: 0.5 }
    }
}

impl MeanMetricKind for ThresholdMatch {
    const CLASS: &'static str = "BinaryAccuracy";
    const DEFAULT_NAME: &'static str = "binary_accuracy";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        binary_accuracy(y_true, y_pred, self.threshold)
    }
    fn read_config(r: &mut ConfigReader<'_>) -> Result<Self> {
        Ok(ThresholdMatch { threshold: r.f64("threshold", 0.5)? })
    }
    fn write_config(&self, config: &mut Map<String, Value>) {
        config.insert("threshold".into(), Value::from(self.threshold));
    }
}

/// `keras.metrics.BinaryAccuracy(name="binary_accuracy", threshold=0.5)`: how often
/// `y_pred > threshold` matches the 0/1 `y_true`.
pub type BinaryAccuracy = MeanMetric<ThresholdMatch>;

impl BinaryAccuracy {
    pub fn new(name: &str, threshold: f64) -> Self {
        Self::with_kind(name, ThresholdMatch { threshold }).expect("CPU zeros")
    }

    pub fn threshold(&self) -> f64 {
        self.kind().threshold
    }
}

/// The kind of [`CategoricalAccuracy`]: `argmax(y_true) == argmax(y_pred)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArgmaxMatch;

impl MeanMetricKind for ArgmaxMatch {
    const CLASS: &'static str = "CategoricalAccuracy";
    const DEFAULT_NAME: &'static str = "categorical_accuracy";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        categorical_accuracy(y_true, y_pred)
    }
}

/// `keras.metrics.CategoricalAccuracy(name="categorical_accuracy")`: how often the argmax of
/// `y_pred` matches the argmax of the one-hot `y_true`.
pub type CategoricalAccuracy = MeanMetric<ArgmaxMatch>;

impl CategoricalAccuracy {
    pub fn new(name: &str) -> Self {
        Self::with_kind(name, ArgmaxMatch).expect("CPU zeros")
    }
}

/// The kind of [`SparseCategoricalAccuracy`]: `y_true == argmax(y_pred)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LabelMatch;

impl MeanMetricKind for LabelMatch {
    const CLASS: &'static str = "SparseCategoricalAccuracy";
    const DEFAULT_NAME: &'static str = "sparse_categorical_accuracy";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        sparse_categorical_accuracy(y_true, y_pred)
    }
}

/// `keras.metrics.SparseCategoricalAccuracy(name="sparse_categorical_accuracy")`: how often
/// the argmax of `y_pred` matches the integer label.
pub type SparseCategoricalAccuracy = MeanMetric<LabelMatch>;

impl SparseCategoricalAccuracy {
    pub fn new(name: &str) -> Self {
        Self::with_kind(name, LabelMatch).expect("CPU zeros")
    }
}

/// The kind of [`TopKCategoricalAccuracy`]: the one-hot label among the `k` top predictions.
#[derive(Clone, Debug, PartialEq)]
pub struct TopKMatch {
    pub k: i64,
}

impl Default for TopKMatch {
    fn default() -> Self {
        TopKMatch { k: 5 }
    }
}

impl MeanMetricKind for TopKMatch {
    const CLASS: &'static str = "TopKCategoricalAccuracy";
    const DEFAULT_NAME: &'static str = "top_k_categorical_accuracy";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        top_k_categorical_accuracy(y_true, y_pred, self.k)
    }
    fn read_config(r: &mut ConfigReader<'_>) -> Result<Self> {
        let k = r.i64("k", 5)?;
        check_k(Self::CLASS, k)?;
        Ok(TopKMatch { k })
    }
    fn write_config(&self, config: &mut Map<String, Value>) {
        config.insert("k".into(), Value::from(self.k));
    }
}

/// `keras.metrics.TopKCategoricalAccuracy(k=5, name="top_k_categorical_accuracy")`: how often
/// the one-hot label is among the `k` largest predictions.
pub type TopKCategoricalAccuracy = MeanMetric<TopKMatch>;

impl TopKCategoricalAccuracy {
    pub fn new(k: i64, name: &str) -> Result<Self> {
        check_k(TopKMatch::CLASS, k)?;
        Self::with_kind(name, TopKMatch { k })
    }
}

/// The kind of [`SparseTopKCategoricalAccuracy`]: the integer label among the `k` top
/// predictions (or the first `k` sorted ids).
#[derive(Clone, Debug, PartialEq)]
pub struct SparseTopKMatch {
    pub k: i64,
    pub from_sorted_ids: bool,
}

impl Default for SparseTopKMatch {
    fn default() -> Self {
        SparseTopKMatch { k: 5, from_sorted_ids: false }
    }
}

impl MeanMetricKind for SparseTopKMatch {
    const CLASS: &'static str = "SparseTopKCategoricalAccuracy";
    const DEFAULT_NAME: &'static str = "sparse_top_k_categorical_accuracy";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        sparse_top_k_categorical_accuracy(y_true, y_pred, self.k, self.from_sorted_ids)
    }
    fn read_config(r: &mut ConfigReader<'_>) -> Result<Self> {
        let k = r.i64("k", 5)?;
        check_k(Self::CLASS, k)?;
        Ok(SparseTopKMatch { k, from_sorted_ids: r.bool("from_sorted_ids", false)? })
    }
    fn write_config(&self, config: &mut Map<String, Value>) {
        config.insert("k".into(), Value::from(self.k));
        // Keras writes `from_sorted_ids` only when it is set.
        if self.from_sorted_ids {
            config.insert("from_sorted_ids".into(), Value::from(true));
        }
    }
}

/// `keras.metrics.SparseTopKCategoricalAccuracy(k=5, name="sparse_top_k_categorical_accuracy",
/// from_sorted_ids=False)`: how often the integer label is among the `k` largest predictions.
pub type SparseTopKCategoricalAccuracy = MeanMetric<SparseTopKMatch>;

impl SparseTopKCategoricalAccuracy {
    pub fn new(k: i64, from_sorted_ids: bool, name: &str) -> Result<Self> {
        check_k(SparseTopKMatch::CLASS, k)?;
        Self::with_kind(name, SparseTopKMatch { k, from_sorted_ids })
    }
}

/// The classes of this file (Keras's `accuracy_metrics.py`).
pub(crate) const CLASSES: &[&str] = &[
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
];

pub(crate) fn from_config(class_name: &str, config: &Map<String, Value>) -> Result<Box<dyn Metric>> {
    Ok(match class_name {
        "Accuracy" => Box::new(Accuracy::from_config(config)?),
        "BinaryAccuracy" => Box::new(BinaryAccuracy::from_config(config)?),
        "CategoricalAccuracy" => Box::new(CategoricalAccuracy::from_config(config)?),
        "SparseCategoricalAccuracy" => Box::new(SparseCategoricalAccuracy::from_config(config)?),
        "TopKCategoricalAccuracy" => Box::new(TopKCategoricalAccuracy::from_config(config)?),
        "SparseTopKCategoricalAccuracy" => Box::new(SparseTopKCategoricalAccuracy::from_config(config)?),
        other => return Err(Error::arg("metrics.get", format!("{other:?} is not an accuracy metric"))),
    })
}
