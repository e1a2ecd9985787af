//! The probabilistic metrics (Keras's `probabilistic_metrics.py`): weighted means of the
//! KL-divergence, Poisson and cross-entropy loss functions of [`crate::losses`].

use serde_json::{Map, Value};

use super::reduction::{MeanMetric, MeanMetricKind};
use super::Metric;
use crate::error::{Error, Result};
use crate::graph::Sym;
use crate::losses::{
    binary_crossentropy, categorical_crossentropy, kl_divergence, poisson,
    sparse_categorical_crossentropy_masked, ConfigReader, Num,
};

/// The kind of [`KLDivergence`]: `keras.losses.kl_divergence`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KldValues;

impl MeanMetricKind for KldValues {
    const CLASS: &'static str = "KLDivergence";
    const DEFAULT_NAME: &'static str = "kl_divergence";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        kl_divergence(y_true, y_pred)
    }
}

/// `keras.metrics.KLDivergence(name="kl_divergence", dtype=None)`.
pub type KLDivergence = MeanMetric<KldValues>;

/// The kind of [`Poisson`]: `keras.losses.poisson`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoissonValues;

impl MeanMetricKind for PoissonValues {
    const CLASS: &'static str = "Poisson";
    const DEFAULT_NAME: &'static str = "poisson";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        poisson(y_true, y_pred)
    }
}

/// `keras.metrics.Poisson(name="poisson", dtype=None)`.
pub type Poisson = MeanMetric<PoissonValues>;

fn read_label_smoothing(class: &'static str, r: &mut ConfigReader<'_>) -> Result<Num> {
    // Keras's default is the int 0 and get_config gives back what was given (null counts as 0).
    let ls = match r.value("label_smoothing") {
        None => Num { value: 0.0, json: Value::from(0) },
        Some(Value::Null) => Num { value: 0.0, json: Value::Null },
        Some(v) => match v.as_f64() {
            Some(x) => Num { value: x, json: v.clone() },
            None => {
                return Err(Error::arg(
                    class,
                    format!("{class}: `label_smoothing` must be a number, got {v}"),
                ))
            }
        },
    };
    if !(0.0..=1.0).contains(&ls.value) {
        return Err(Error::arg(
            class,
            format!("{class}: `label_smoothing` must be in [0, 1], got {}", ls.json),
        ));
    }
    Ok(ls)
}

/// The kind of [`BinaryCrossentropy`]: `keras.losses.binary_crossentropy(from_logits,
/// label_smoothing)` over the last axis.
#[derive(Clone, Debug, PartialEq)]
pub struct BinaryCrossentropyValues {
    pub from_logits: bool,
    pub label_smoothing: Num,
}

impl Default for BinaryCrossentropyValues {
    fn default() -> Self {
        BinaryCrossentropyValues {
            from_logits: false,
            label_smoothing: Num { value: 0.0, json: Value::from(0) },
        }
    }
}

impl MeanMetricKind for BinaryCrossentropyValues {
    const CLASS: &'static str = "BinaryCrossentropy";
    const DEFAULT_NAME: &'static str = "binary_crossentropy";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        binary_crossentropy(y_true, y_pred, self.from_logits, self.label_smoothing.value, -1)
    }
    fn read_config(r: &mut ConfigReader<'_>) -> Result<Self> {
        let from_logits = r.bool("from_logits", false)?;
        let label_smoothing = read_label_smoothing(Self::CLASS, r)?;
        Ok(BinaryCrossentropyValues { from_logits, label_smoothing })
    }
    fn write_config(&self, config: &mut Map<String, Value>) {
        config.insert("from_logits".into(), Value::from(self.from_logits));
        config.insert("label_smoothing".into(), self.label_smoothing.json.clone());
    }
}

/// `keras.metrics.BinaryCrossentropy(name="binary_crossentropy", dtype=None, from_logits=False,
/// label_smoothing=0)`.
pub type BinaryCrossentropy = MeanMetric<BinaryCrossentropyValues>;

/// The kind of [`CategoricalCrossentropy`]: `keras.losses.categorical_crossentropy(from_logits,
/// label_smoothing, axis)`.
#[derive(Clone, Debug, PartialEq)]
pub struct CategoricalCrossentropyValues {
    pub from_logits: bool,
    pub label_smoothing: Num,
    pub axis: i64,
}

impl Default for CategoricalCrossentropyValues {
    fn default() -> Self {
        CategoricalCrossentropyValues {
            from_logits: false,
            label_smoothing: Num { value: 0.0, json: Value::from(0) },
            axis: -1,
        }
    }
}

impl MeanMetricKind for CategoricalCrossentropyValues {
    const CLASS: &'static str = "CategoricalCrossentropy";
    const DEFAULT_NAME: &'static str = "categorical_crossentropy";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        categorical_crossentropy(y_true, y_pred, self.from_logits, self.label_smoothing.value, self.axis)
    }
    fn read_config(r: &mut ConfigReader<'_>) -> Result<Self> {
        let from_logits = r.bool("from_logits", false)?;
        let label_smoothing = read_label_smoothing(Self::CLASS, r)?;
        let axis = r.i64("axis", -1)?;
        Ok(CategoricalCrossentropyValues { from_logits, label_smoothing, axis })
    }
    fn write_config(&self, config: &mut Map<String, Value>) {
        config.insert("from_logits".into(), Value::from(self.from_logits));
        config.insert("label_smoothing".into(), self.label_smoothing.json.clone());
        config.insert("axis".into(), Value::from(self.axis));
    }
}

/// `keras.metrics.CategoricalCrossentropy(name="categorical_crossentropy", dtype=None,
/// from_logits=False, label_smoothing=0, axis=-1)`.
pub type CategoricalCrossentropy = MeanMetric<CategoricalCrossentropyValues>;

/// The kind of [`SparseCategoricalCrossentropy`]:
/// `keras.losses.sparse_categorical_crossentropy(from_logits, ignore_class, axis)`.
#[derive(Clone, Debug, PartialEq)]
pub struct SparseCategoricalCrossentropyValues {
    pub from_logits: bool,
    pub ignore_class: Option<i64>,
    pub axis: i64,
}

impl Default for SparseCategoricalCrossentropyValues {
    fn default() -> Self {
        SparseCategoricalCrossentropyValues { from_logits: false, ignore_class: None, axis: -1 }
    }
}

impl MeanMetricKind for SparseCategoricalCrossentropyValues {
    const CLASS: &'static str = "SparseCategoricalCrossentropy";
    const DEFAULT_NAME: &'static str = "sparse_categorical_crossentropy";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        Ok(self.masked_values(y_true, y_pred)?.0)
    }
    /// With `ignore_class` the ignored positions give 0 and carry a mask, which Keras folds into
    /// the sample weight only when one is given (without one they still count).
    fn masked_values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<(Sym<'g>, Option<Sym<'g>>)> {
        sparse_categorical_crossentropy_masked(y_true, y_pred, self.from_logits, self.ignore_class, self.axis)
    }
    fn read_config(r: &mut ConfigReader<'_>) -> Result<Self> {
        Ok(SparseCategoricalCrossentropyValues {
            from_logits: r.bool("from_logits", false)?,
            ignore_class: r.opt_i64("ignore_class")?,
            axis: r.i64("axis", -1)?,
        })
    }
    fn write_config(&self, config: &mut Map<String, Value>) {
        config.insert("from_logits".into(), Value::from(self.from_logits));
        config.insert("ignore_class".into(), self.ignore_class.map_or(Value::Null, Value::from));
        config.insert("axis".into(), Value::from(self.axis));
    }
}

/// `keras.metrics.SparseCategoricalCrossentropy(name="sparse_categorical_crossentropy",
/// dtype=None, from_logits=False, ignore_class=None, axis=-1)`.
pub type SparseCategoricalCrossentropy = MeanMetric<SparseCategoricalCrossentropyValues>;

/// The classes of this file (Keras's `probabilistic_metrics.py`).
pub(crate) const CLASSES: &[&str] = &[
    "KLDivergence",
    "Poisson",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
];

pub(crate) fn from_config(class_name: &str, config: &Map<String, Value>) -> Result<Box<dyn Metric>> {
    Ok(match class_name {
        "KLDivergence" => Box::new(KLDivergence::from_config(config)?),
        "Poisson" => Box::new(Poisson::from_config(config)?),
        "BinaryCrossentropy" => Box::new(BinaryCrossentropy::from_config(config)?),
        "CategoricalCrossentropy" => Box::new(CategoricalCrossentropy::from_config(config)?),
        "SparseCategoricalCrossentropy" => Box::new(SparseCategoricalCrossentropy::from_config(config)?),
        other => return Err(Error::arg("metrics.get", format!("{other:?} is not a probabilistic metric"))),
    })
}
