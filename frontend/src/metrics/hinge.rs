//! The hinge metrics (Keras's `hinge_metrics.py`): weighted means of the hinge loss functions.

use serde_json::{Map, Value};

use super::reduction::{MeanMetric, MeanMetricKind};
use super::Metric;
use crate::error::{Error, Result};
use crate::graph::Sym;
use crate::losses::{categorical_hinge, hinge, squared_hinge};

/// The kind of [`Hinge`]: `keras.losses.hinge`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HingeValues;

impl MeanMetricKind for HingeValues {
    const CLASS: &'static str = "Hinge";
    const DEFAULT_NAME: &'static str = "hinge";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        hinge(y_true, y_pred)
    }
}

/// `keras.metrics.Hinge(name="hinge", dtype=None)`: the mean of `maximum(1 - y_true * y_pred, 0)`
/// (0/1 labels become -1/1).
pub type Hinge = MeanMetric<HingeValues>;

/// The kind of [`SquaredHinge`]: `keras.losses.squared_hinge`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SquaredHingeValues;

impl MeanMetricKind for SquaredHingeValues {
    const CLASS: &'static str = "SquaredHinge";
    const DEFAULT_NAME: &'static str = "squared_hinge";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        squared_hinge(y_true, y_pred)
    }
}

/// `keras.metrics.SquaredHinge(name="squared_hinge", dtype=None)`.
pub type SquaredHinge = MeanMetric<SquaredHingeValues>;

/// The kind of [`CategoricalHinge`]: `keras.losses.categorical_hinge`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CategoricalHingeValues;

impl MeanMetricKind for CategoricalHingeValues {
    const CLASS: &'static str = "CategoricalHinge";
    const DEFAULT_NAME: &'static str = "categorical_hinge";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        categorical_hinge(y_true, y_pred)
    }
}

/// `keras.metrics.CategoricalHinge(name="categorical_hinge", dtype=None)`.
pub type CategoricalHinge = MeanMetric<CategoricalHingeValues>;

/// The classes of this file (Keras's `hinge_metrics.py`).
pub(crate) const CLASSES: &[&str] = &["Hinge", "SquaredHinge", "CategoricalHinge"];

pub(crate) fn from_config(class_name: &str, config: &Map<String, Value>) -> Result<Box<dyn Metric>> {
    Ok(match class_name {
        "Hinge" => Box::new(Hinge::from_config(config)?),
        "SquaredHinge" => Box::new(SquaredHinge::from_config(config)?),
        "CategoricalHinge" => Box::new(CategoricalHinge::from_config(config)?),
        other => return Err(Error::arg("metrics.get", format!("{other:?} is not a hinge metric"))),
    })
}
