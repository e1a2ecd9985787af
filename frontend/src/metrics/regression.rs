//! The regression metrics (Keras's `regression_metrics.py`): weighted means of the regression
//! loss functions of [`crate::losses`], `RootMeanSquaredError` (the square root of a mean) and
//! `R2Score` (per-output sums).

use std::sync::Mutex;

use serde_json::{Map, Value};
use wgkeras_runtime::{ops, DType, Device, Tensor};

use super::reduction::{name_dtype_config, read_name_dtype, MeanMetric, MeanMetricKind};
use super::Metric;
use crate::error::{Error, Result};
use crate::graph::{shape_str, Graph, Sym};
use crate::losses::{
    cosine_similarity, log_cosh, mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
    mean_squared_logarithmic_error, squeeze_or_expand_to_same_rank, ConfigReader,
};
use crate::variable::Variable;

/// The kind of [`MeanSquaredError`]: `keras.losses.mean_squared_error`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MseValues;

impl MeanMetricKind for MseValues {
    const CLASS: &'static str = "MeanSquaredError";
    const DEFAULT_NAME: &'static str = "mean_squared_error";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        mean_squared_error(y_true, y_pred)
    }
}

/// `keras.metrics.MeanSquaredError(name="mean_squared_error", dtype=None)`.
pub type MeanSquaredError = MeanMetric<MseValues>;

/// The kind of [`MeanAbsoluteError`]: `keras.losses.mean_absolute_error`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MaeValues;

impl MeanMetricKind for MaeValues {
    const CLASS: &'static str = "MeanAbsoluteError";
    const DEFAULT_NAME: &'static str = "mean_absolute_error";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        mean_absolute_error(y_true, y_pred)
    }
}

/// `keras.metrics.MeanAbsoluteError(name="mean_absolute_error", dtype=None)`.
pub type MeanAbsoluteError = MeanMetric<MaeValues>;

/// The kind of [`MeanAbsolutePercentageError`]: `keras.losses.mean_absolute_percentage_error`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MapeValues;

impl MeanMetricKind for MapeValues {
    const CLASS: &'static str = "MeanAbsolutePercentageError";
    const DEFAULT_NAME: &'static str = "mean_absolute_percentage_error";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        mean_absolute_percentage_error(y_true, y_pred)
    }
}

/// `keras.metrics.MeanAbsolutePercentageError(name="mean_absolute_percentage_error", dtype=None)`.
pub type MeanAbsolutePercentageError = MeanMetric<MapeValues>;

/// The kind of [`MeanSquaredLogarithmicError`]: `keras.losses.mean_squared_logarithmic_error`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MsleValues;

impl MeanMetricKind for MsleValues {
    const CLASS: &'static str = "MeanSquaredLogarithmicError";
    const DEFAULT_NAME: &'static str = "mean_squared_logarithmic_error";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        mean_squared_logarithmic_error(y_true, y_pred)
    }
}

/// `keras.metrics.MeanSquaredLogarithmicError(name="mean_squared_logarithmic_error", dtype=None)`.
pub type MeanSquaredLogarithmicError = MeanMetric<MsleValues>;

/// The kind of [`LogCoshError`]: `keras.losses.log_cosh`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogCoshValues;

impl MeanMetricKind for LogCoshValues {
    const CLASS: &'static str = "LogCoshError";
    const DEFAULT_NAME: &'static str = "logcosh";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        log_cosh(y_true, y_pred)
    }
}

/// `keras.metrics.LogCoshError(name="logcosh", dtype=None)`.
pub type LogCoshError = MeanMetric<LogCoshValues>;

/// The kind of [`CosineSimilarity`]: `sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`
/// (the negated cosine-similarity loss).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CosineValues {
    pub axis: i64,
}

impl Default for CosineValues {
    fn default() -> Self {
        CosineValues { axis: -1 }
    }
}

impl MeanMetricKind for CosineValues {
    const CLASS: &'static str = "CosineSimilarity";
    const DEFAULT_NAME: &'static str = "cosine_similarity";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        cosine_similarity(y_true, y_pred, self.axis)?.neg()
    }
    /// As in Keras, `axis` is read but `get_config` does not write it.
    fn read_config(r: &mut ConfigReader<'_>) -> Result<Self> {
        Ok(CosineValues { axis: r.i64("axis", -1)? })
    }
}

/// `keras.metrics.CosineSimilarity(name="cosine_similarity", dtype=None, axis=-1)`: the mean
/// cosine of the angle between labels and predictions along `axis`. Keras's `get_config` leaves
/// `axis` out, so a config round trip gives `axis=-1`.
pub type CosineSimilarity = MeanMetric<CosineValues>;

/// The kind of [`RootMeanSquaredError`]: squared errors, whose mean's square root is the result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SquaredErrors;

impl MeanMetricKind for SquaredErrors {
    const CLASS: &'static str = "RootMeanSquaredError";
    const DEFAULT_NAME: &'static str = "root_mean_squared_error";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        let t = y_true.cast(DType::F32)?;
        let p = y_pred.cast(DType::F32)?;
        let (t, p) = squeeze_or_expand_to_same_rank(t, p)?;
        crate::losses::check_broadcast(Self::CLASS, "`y_true` and `y_pred`", t, p)?;
        p.sub(t)?.square()
    }
    fn finish(&self, mean: f64) -> f64 {
        mean.sqrt()
    }
}

/// `keras.metrics.RootMeanSquaredError(name="root_mean_squared_error", dtype=None)`: the square
/// root of the weighted mean of the element-wise squared errors (a `Mean` of them).
pub type RootMeanSquaredError = MeanMetric<SquaredErrors>;

// ---------------------------------------------------------------------------------------------
// R2Score
// ---------------------------------------------------------------------------------------------

/// How `R2Score` combines the per-output scores (Keras's `class_aggregation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClassAggregation {
    /// `None`: one score per output.
    PerOutput,
    UniformAverage,
    VarianceWeightedAverage,
}

/// The per-output sums of an `R2Score`, made on the first update (their size is `y_pred`'s
/// last dimension).
#[derive(Clone, Debug)]
struct R2Sums {
    squared_sum: Variable,
    sum: Variable,
    residual: Variable,
    count: Variable,
}

impl R2Sums {
    fn variables(&self) -> Vec<Variable> {
        vec![self.squared_sum.clone(), self.sum.clone(), self.residual.clone(), self.count.clone()]
    }
}

/// `keras.metrics.R2Score(class_aggregation="uniform_average", num_regressors=0,
/// name="r2_score", dtype=None)`: the coefficient of determination of `[batch, outputs]`
/// labels and predictions, per output and aggregated; with `num_regressors > 0` the adjusted
/// score (falling back to the plain one when there are too few samples, as Keras does with a
/// warning). State: `num_samples`, and per output `squared_sum`, `sum`, `residual`, `count`
/// (made on the first update, on the device of `num_samples`).
#[derive(Debug)]
pub struct R2Score {
    name: String,
    dtype: DType,
    class_aggregation: ClassAggregation,
    num_regressors: i64,
    num_samples: Variable,
    sums: Mutex<Option<R2Sums>>,
}

const R2: &str = "R2Score";

impl R2Score {
    pub fn new(class_aggregation: ClassAggregation, num_regressors: i64, name: &str) -> Result<R2Score> {
        Self::build(class_aggregation, num_regressors, name, DType::F32)
    }

    fn build(
        class_aggregation: ClassAggregation,
        num_regressors: i64,
        name: &str,
        dtype: DType,
    ) -> Result<R2Score> {
        if num_regressors < 0 {
            return Err(Error::arg(
                R2,
                format!(
                    "{R2}: Invalid value for argument `num_regressors`. Expected a value >= 0. Received: num_regressors={num_regressors}"
                ),
            ));
        }
        Ok(R2Score {
            name: name.to_string(),
            dtype,
            class_aggregation,
            num_regressors,
            num_samples: Variable::new(
                format!("{name}/num_samples"),
                ops::zeros(&[], dtype, &Device::Cpu)?,
                false,
            ),
            sums: Mutex::new(None),
        })
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<R2Score> {
        let mut r = ConfigReader::new(R2, config);
        let (name, dtype) = read_name_dtype(&mut r, "r2_score")?;
        let class_aggregation = match r.value("class_aggregation") {
            None => ClassAggregation::UniformAverage,
            Some(Value::Null) => ClassAggregation::PerOutput,
            Some(Value::String(s)) if s == "uniform_average" => ClassAggregation::UniformAverage,
            Some(Value::String(s)) if s == "variance_weighted_average" => ClassAggregation::VarianceWeightedAverage,
            Some(v) => {
                return Err(Error::arg(
                    R2,
                    format!(
                        "{R2}: Invalid value for argument `class_aggregation`. Expected one of (None, 'uniform_average', 'variance_weighted_average'). Received: class_aggregation={v}"
                    ),
                ))
            }
        };
        let num_regressors = r.i64("num_regressors", 0)?;
        r.finish()?;
        Self::build(class_aggregation, num_regressors, &name, dtype)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<R2Sums>> {
        self.sums.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The per-output sums for `outputs` outputs, made (zeroed, on `num_samples`' device) on
    /// the first call.
    fn sums_for(&self, outputs: usize) -> Result<R2Sums> {
        let mut guard = self.lock();
        if let Some(s) = guard.as_ref() {
            let have = s.sum.value().dims().to_vec();
            if have != [outputs] {
                return Err(Error::arg(
                    R2,
                    format!(
                        "{R2}: built for {} outputs, got predictions with {outputs}",
                        have.first().unwrap_or(&0)
                    ),
                ));
            }
            return Ok(s.clone());
        }
        let device = self.num_samples.device();
        let var = |n: &str| -> Result<Variable> {
            let v = Variable::new(
                format!("{}/{n}", self.name),
                ops::zeros(&[outputs], self.dtype, &Device::Cpu)?,
                false,
            );
            v.to_device(&device)?;
            Ok(v)
        };
        let s = R2Sums {
            squared_sum: var("squared_sum")?,
            sum: var("sum")?,
            residual: var("residual")?,
            count: var("count")?,
        };
        *guard = Some(s.clone());
        Ok(s)
    }

    /// The scores per output (f32 arithmetic, as Keras), before aggregation.
    fn raw_scores(&self) -> Result<(Vec<f32>, Vec<f32>)> {
        let s = self.lock().clone().ok_or_else(|| {
            Error::arg(
                R2,
                format!("{R2}: result() before any update_state (the state is built on the first update)"),
            )
        })?;
        let read = |v: &Variable| -> Result<Vec<f32>> {
            Ok(v.value().to_vec_f64()?.into_iter().map(|x| x as f32).collect())
        };
        let (sq, sum, res, count) =
            (read(&s.squared_sum)?, read(&s.sum)?, read(&s.residual)?, read(&s.count)?);
        let mut totals = vec![];
        let mut raw = vec![];
        for i in 0..sum.len() {
            let mean = sum[i] / count[i];
            let total = sq[i] - sum[i] * mean;
            let r = 1.0 - res[i] / total;
            raw.push(if r.is_infinite() { 0.0 } else { r });
            totals.push(total);
        }
        Ok((raw, totals))
    }

    fn scores(&self) -> Result<Vec<f32>> {
        let (raw, totals) = self.raw_scores()?;
        let mut scores = match self.class_aggregation {
            ClassAggregation::PerOutput => raw,
            ClassAggregation::UniformAverage => vec![raw.iter().sum::<f32>() / raw.len() as f32],
            ClassAggregation::VarianceWeightedAverage => {
                let weighted: f32 = totals.iter().zip(&raw).map(|(t, r)| t * r).sum();
                vec![weighted / totals.iter().sum::<f32>()]
            }
        };
        if self.num_regressors != 0 {
            let n = self.num_samples.value().item()? as f32;
            let p = self.num_regressors as f32;
            // Keras falls back to the plain score (with a warning) when p >= n - 1.
            if p < n - 1.0 {
                for s in &mut scores {
                    *s = 1.0 - (1.0 - *s) * (n - 1.0) / (n - p - 1.0);
                }
            }
        }
        Ok(scores)
    }
}

impl Metric for R2Score {
    fn class_name(&self) -> &'static str {
        R2
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = name_dtype_config(&self.name, self.dtype);
        let agg = match self.class_aggregation {
            ClassAggregation::PerOutput => Value::Null,
            ClassAggregation::UniformAverage => Value::from("uniform_average"),
            ClassAggregation::VarianceWeightedAverage => Value::from("variance_weighted_average"),
        };
        m.insert("class_aggregation".into(), agg);
        m.insert("num_regressors".into(), Value::from(self.num_regressors));
        m
    }
    fn variables(&self) -> Vec<Variable> {
        let mut v = vec![self.num_samples.clone()];
        if let Some(s) = self.lock().as_ref() {
            v.extend(s.variables());
        }
        v
    }
    fn update<'g>(
        &self,
        graph: &'g Graph,
        y_true: Sym<'g>,
        y_pred: Sym<'g>,
        sample_weight: Option<Sym<'g>>,
    ) -> Result<Vec<(Variable, Sym<'g>)>> {
        let t = y_true.cast(self.dtype)?;
        let p = y_pred.cast(self.dtype)?;
        let (t, p) = squeeze_or_expand_to_same_rank(t, p)?;
        if t.rank() != 2 || p.rank() != 2 {
            return Err(Error::arg(
                R2,
                format!(
                    "{R2}: R2Score expects 2D inputs with shape (batch_size, output_dim). Received input shapes: y_pred.shape={} and y_true.shape={}.",
                    shape_str(&p.shape()),
                    shape_str(&t.shape())
                ),
            ));
        }
        let (Some(outputs), Some(_)) = (p.shape()[1], t.shape()[1]) else {
            return Err(Error::arg(
                R2,
                format!(
                    "{R2}: R2Score expects 2D inputs with shape (batch_size, output_dim), with output_dim fully defined (not None). Received input shapes: y_pred.shape={} and y_true.shape={}.",
                    shape_str(&p.shape()),
                    shape_str(&t.shape())
                ),
            ));
        };
        crate::losses::check_broadcast(R2, "`y_true` and `y_pred`", t, p)?;
        let w = match sample_weight {
            None => t.scalar_like(1.0)?,
            Some(w) => {
                let w = w.cast(self.dtype)?;
                if w.rank() == 1 {
                    w.expand_dims(1)?
                } else {
                    w
                }
            }
        };
        crate::losses::check_broadcast(R2, "`sample_weight` and `y_true`", w, t)?;
        let w = w.broadcast_like(t)?;
        let s = self.sums_for(outputs)?;
        let weighted = t.mul(w)?;
        let add = |v: &Variable, x: Sym<'g>| -> Result<(Variable, Sym<'g>)> {
            Ok((v.clone(), graph.variable(v).add(x.sum(&[0], false)?)?))
        };
        let n = t.size(&[0, 1])?.cast(self.dtype)?;
        Ok(vec![
            add(&s.sum, weighted)?,
            add(&s.squared_sum, t.mul(weighted)?)?,
            add(&s.residual, t.sub(p)?.square()?.mul(w)?)?,
            add(&s.count, w)?,
            (self.num_samples.clone(), graph.variable(&self.num_samples).add(n)?),
        ])
    }
    fn result(&self) -> Result<f64> {
        let s = self.scores()?;
        if s.len() != 1 {
            return Err(Error::arg(
                R2,
                format!(
                    "{R2}: the result has {} values (class_aggregation=None); read it with result_tensor()",
                    s.len()
                ),
            ));
        }
        Ok(s[0] as f64)
    }
    fn result_tensor(&self) -> Result<Tensor> {
        let s = self.scores()?;
        Ok(match self.class_aggregation {
            ClassAggregation::PerOutput => {
                let n = s.len();
                Tensor::from_vec(s, &[n], &Device::Cpu)?
            }
            _ => Tensor::scalar(s[0], &Device::Cpu)?,
        })
    }
    fn reset(&self) -> Result<()> {
        for v in self.variables() {
            v.assign_zeros()?;
        }
        Ok(())
    }
}

/// The classes of this file (Keras's `regression_metrics.py`).
pub(crate) const CLASSES: &[&str] = &[
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "RootMeanSquaredError",
    "CosineSimilarity",
    "LogCoshError",
    "R2Score",
];

pub(crate) fn from_config(class_name: &str, config: &Map<String, Value>) -> Result<Box<dyn Metric>> {
    Ok(match class_name {
        "MeanSquaredError" => Box::new(MeanSquaredError::from_config(config)?),
        "MeanAbsoluteError" => Box::new(MeanAbsoluteError::from_config(config)?),
        "MeanAbsolutePercentageError" => Box::new(MeanAbsolutePercentageError::from_config(config)?),
        "MeanSquaredLogarithmicError" => Box::new(MeanSquaredLogarithmicError::from_config(config)?),
        "RootMeanSquaredError" => Box::new(RootMeanSquaredError::from_config(config)?),
        "CosineSimilarity" => Box::new(CosineSimilarity::from_config(config)?),
        "LogCoshError" => Box::new(LogCoshError::from_config(config)?),
        "R2Score" => Box::new(R2Score::from_config(config)?),
        other => return Err(Error::arg("metrics.get", format!("{other:?} is not a regression metric"))),
    })
}
