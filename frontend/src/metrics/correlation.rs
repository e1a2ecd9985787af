//! Keras's `correlation_metrics.py`: [`PearsonCorrelation`] and [`ConcordanceCorrelation`],
//! `MeanMetricWrapper`s (running `total` / `count`) of [`pearson_correlation`] and
//! [`concordance_correlation`], which reduce over `axis` (default -1; null reduces everything).

use serde_json::{Map, Value};
use wgkeras_runtime::DType;

use super::reduction::{MeanMetric, MeanMetricKind};
use super::Metric;
use crate::error::{Error, Result};
use crate::graph::Sym;
use crate::losses::{squeeze_or_expand_to_same_rank, Axes, ConfigReader};

/// Keras's epsilon (`backend.epsilon()`).
const EPSILON: f64 = 1e-7;

/// The axes to reduce (`None`: all of them).
fn reduce_axes(x: Sym<'_>, axes: &Axes) -> Vec<i64> {
    match &axes.axes {
        Some(a) => a.clone(),
        None => (0..x.rank() as i64).collect(),
    }
}

/// `ops.var(x, axis, keepdims=True)` (population variance).
fn variance<'g>(x: Sym<'g>, axes: &[i64]) -> Result<Sym<'g>> {
    x.sub(x.mean(axes, true)?)?.square()?.mean(axes, true)
}

/// The operands as Keras converts them: `y_pred` as given (a float dtype for integer input,
/// as `ops.mean` of integers gives float32), `y_true` in `y_pred`'s dtype, matched in rank.
fn operands<'g>(y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<(Sym<'g>, Sym<'g>)> {
    let y_pred = if y_pred.dtype().is_float() { y_pred } else { y_pred.cast(DType::F32)? };
    let y_true = y_true.cast(y_pred.dtype())?;
    squeeze_or_expand_to_same_rank(y_true, y_pred)
}

/// `keras.metrics.pearson_correlation(y_true, y_pred, axis=-1)`: the mean over `axis` of the
/// product of the standardized (mean 0, population std 1) `y_true` and `y_pred`.
pub fn pearson_correlation<'g>(y_true: Sym<'g>, y_pred: Sym<'g>, axis: &Axes) -> Result<Sym<'g>> {
    let (t, p) = operands(y_true, y_pred)?;
    let axes = reduce_axes(p, axis);
    let tn = t.sub(t.mean(&axes, true)?)?;
    let pn = p.sub(p.mean(&axes, true)?)?;
    let tn = tn.div(variance(tn, &axes)?.sqrt()?)?;
    let pn = pn.div(variance(pn, &axes)?.sqrt()?)?;
    tn.mul(pn)?.mean(&axes, false)
}

/// `keras.metrics.concordance_correlation(y_true, y_pred, axis=-1)`: Lin's concordance
/// correlation as Keras computes it (its covariance term centers `y_true` on `y_pred`'s mean).
pub fn concordance_correlation<'g>(y_true: Sym<'g>, y_pred: Sym<'g>, axis: &Axes) -> Result<Sym<'g>> {
    let (t, p) = operands(y_true, y_pred)?;
    let axes = reduce_axes(p, axis);
    let t_mean = t.mean(&axes, true)?;
    let p_mean = p.mean(&axes, true)?;
    let t_var = variance(t.sub(t_mean)?, &axes)?;
    let p_var = variance(p.sub(p_mean)?, &axes)?;
    let covar = t.sub(p_mean)?.mul(p.sub(p_mean)?)?;
    let norm = t_var.add(p_var)?.add(t_mean.sub(p_mean)?.square()?)?;
    covar.mul_scalar(2.0)?.div(norm.add_scalar(EPSILON)?)?.mean(&axes, false)
}

fn read_axis(r: &mut ConfigReader<'_>) -> Result<Axes> {
    if r.value("axis").is_none() {
        return Ok(Axes::of(&[-1]));
    }
    r.axes("axis")
}

fn write_axis(axis: &Axes, config: &mut Map<String, Value>) {
    config.insert("axis".into(), axis.json.clone());
}

/// The kind of [`PearsonCorrelation`]: [`pearson_correlation`] over `axis`.
#[derive(Clone, Debug, PartialEq)]
pub struct Pearson {
    pub axis: Axes,
}

impl Default for Pearson {
    fn default() -> Self {
        Pearson { axis: Axes::of(&[-1]) }
    }
}

impl MeanMetricKind for Pearson {
    const CLASS: &'static str = "PearsonCorrelation";
    const DEFAULT_NAME: &'static str = "pearson_correlation";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        pearson_correlation(y_true, y_pred, &self.axis)
    }
    fn read_config(r: &mut ConfigReader<'_>) -> Result<Self> {
        Ok(Pearson { axis: read_axis(r)? })
    }
    fn write_config(&self, config: &mut Map<String, Value>) {
        write_axis(&self.axis, config)
    }
}

/// `keras.metrics.PearsonCorrelation(name="pearson_correlation", dtype=None, axis=-1)`.
pub type PearsonCorrelation = MeanMetric<Pearson>;

impl PearsonCorrelation {
    pub fn new(name: &str, axis: Axes) -> Result<Self> {
        Self::with_kind(name, Pearson { axis })
    }
}

/// The kind of [`ConcordanceCorrelation`]: [`concordance_correlation`] over `axis`.
#[derive(Clone, Debug, PartialEq)]
pub struct Concordance {
    pub axis: Axes,
}

impl Default for Concordance {
    fn default() -> Self {
        Concordance { axis: Axes::of(&[-1]) }
    }
}

impl MeanMetricKind for Concordance {
    const CLASS: &'static str = "ConcordanceCorrelation";
    const DEFAULT_NAME: &'static str = "concordance_correlation";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        concordance_correlation(y_true, y_pred, &self.axis)
    }
    fn read_config(r: &mut ConfigReader<'_>) -> Result<Self> {
        Ok(Concordance { axis: read_axis(r)? })
    }
    fn write_config(&self, config: &mut Map<String, Value>) {
        write_axis(&self.axis, config)
    }
}

/// `keras.metrics.ConcordanceCorrelation(name="concordance_correlation", dtype=None, axis=-1)`.
pub type ConcordanceCorrelation = MeanMetric<Concordance>;

impl ConcordanceCorrelation {
    pub fn new(name: &str, axis: Axes) -> Result<Self> {
        Self::with_kind(name, Concordance { axis })
    }
}

/// The classes of this file (Keras's `correlation_metrics.py`).
pub(crate) const CLASSES: &[&str] = &["PearsonCorrelation", "ConcordanceCorrelation"];

pub(crate) fn from_config(class_name: &str, config: &Map<String, Value>) -> Result<Box<dyn Metric>> {
    Ok(match class_name {
        "PearsonCorrelation" => Box::new(PearsonCorrelation::from_config(config)?),
        "ConcordanceCorrelation" => Box::new(ConcordanceCorrelation::from_config(config)?),
        other => return Err(Error::arg("metrics.get", format!("{other:?} is not a correlation metric"))),
    })
}
