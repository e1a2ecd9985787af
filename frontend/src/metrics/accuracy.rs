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

/// The classes of this file (Keras's `accuracy_metrics.py`).
pub(crate) const CLASSES: &[&str] =
    &["Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy"];

pub(crate) fn from_config(class_name: &str, config: &Map<String, Value>) -> Result<Box<dyn Metric>> {
    Ok(match class_name {
        "Accuracy" => Box::new(Accuracy::from_config(config)?),
        "BinaryAccuracy" => Box::new(BinaryAccuracy::from_config(config)?),
        "CategoricalAccuracy" => Box::new(CategoricalAccuracy::from_config(config)?),
        "SparseCategoricalAccuracy" => Box::new(SparseCategoricalAccuracy::from_config(config)?),
        other => return Err(Error::arg("metrics.get", format!("{other:?} is not an accuracy metric"))),
    })
}
