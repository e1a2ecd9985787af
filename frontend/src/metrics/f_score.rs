//! Keras's `f_score_metrics.py`: [`FBetaScore`] and `F1Score` (the same struct with `beta = 1`,
//! [`FBetaScore::f1`]).
//!
//! The state is Keras's: `true_positives`, `false_positives`, `false_negatives` and
//! `intermediate_weights` (the weighted count of each class in `y_true`), one value per class
//! (a scalar each with `average="micro"`). As in Keras they are sized on the first update, from
//! `y_pred`'s last dimension; until then they are empty placeholders.

use std::sync::Mutex;

use serde_json::{Map, Value};
use wgkeras_runtime::{ops, DType, Device, Tensor};

use super::iou::read_metric_dtype;
use super::Metric;
use crate::error::{Error, Result};
use crate::graph::op::broadcast_static;
use crate::graph::{shape_str, Graph, Sym};
use crate::losses::ConfigReader;
use crate::variable::Variable;

/// Keras's epsilon (`backend.epsilon()`).
const EPSILON: f64 = 1e-7;

/// `average`: how the per-class scores are combined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FScoreAverage {
    /// `None`: one score per class (a vector result).
    PerClass,
    /// `"micro"`: one score from the counts summed over the classes.
    Micro,
    /// `"macro"`: the unweighted mean of the per-class scores.
    Macro,
    /// `"weighted"`: the mean of the per-class scores weighted by each class's true count.
    Weighted,
}

impl FScoreAverage {
    fn json(self) -> Value {
        match self {
            FScoreAverage::PerClass => Value::Null,
            FScoreAverage::Micro => Value::from("micro"),
            FScoreAverage::Macro => Value::from("macro"),
            FScoreAverage::Weighted => Value::from("weighted"),
        }
    }

    fn parse(class: &'static str, v: Option<&Value>) -> Result<FScoreAverage> {
        Ok(match v {
            None | Some(Value::Null) => FScoreAverage::PerClass,
            Some(Value::String(s)) if s == "micro" => FScoreAverage::Micro,
            Some(Value::String(s)) if s == "macro" => FScoreAverage::Macro,
            Some(Value::String(s)) if s == "weighted" => FScoreAverage::Weighted,
            Some(v) => {
                let shown = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                return Err(Error::arg(
                    class,
                    format!(
                        "{class}: Invalid `average` argument value. Expected one of: {{None, 'micro', 'macro', 'weighted'}}. Received: average={shown}"
                    ),
                ));
            }
        })
    }
}

/// `keras.metrics.FBetaScore(average=None, beta=1.0, threshold=None, name="fbeta_score",
/// dtype=None)` and `keras.metrics.F1Score(average=None, threshold=None, name="f1_score",
/// dtype=None)`: `(1 + beta^2) * precision * recall / (beta^2 * precision + recall)` for 2-D
/// one-hot / multi-label targets. Without a threshold the largest prediction of each row counts
/// as positive (a row of zeros has none); with one, every prediction above it.
#[derive(Debug)]
pub struct FBetaScore {
    class: &'static str,
    name: String,
    dtype: DType,
    average: FScoreAverage,
    beta: f64,
    threshold: Option<f64>,
    /// true_positives, false_positives, false_negatives, intermediate_weights.
    state: [Variable; 4],
    /// The number of classes once built (`None` before the first update).
    built: Mutex<Option<usize>>,
}

impl FBetaScore {
    /// Checks the arguments as Keras's constructor does.
    fn build(
        class: &'static str,
        average: FScoreAverage,
        beta: f64,
        threshold: Option<f64>,
        name: &str,
        dtype: DType,
    ) -> Result<FBetaScore> {
        if !beta.is_finite() || beta <= 0.0 {
            return Err(Error::arg(
                class,
                format!("{class}: Invalid `beta` argument value. It should be > 0. Received: beta={beta:?}"),
            ));
        }
        if let Some(t) = threshold {
            if !(t > 0.0 && t <= 1.0) {
                return Err(Error::arg(
                    class,
                    format!(
                        "{class}: Invalid `threshold` argument value. It should verify 0 < threshold <= 1. Received: threshold={t:?}"
                    ),
                ));
            }
        }
        if !dtype.is_float() {
            return Err(Error::arg(
                class,
                format!("{class}: `dtype` must be a float dtype, got {}", dtype.name()),
            ));
        }
        let dims: &[usize] = if average == FScoreAverage::Micro { &[] } else { &[0] };
        let var = |v: &str| -> Result<Variable> {
            Ok(Variable::new(format!("{name}/{v}"), ops::zeros(dims, dtype, &Device::Cpu)?, false))
        };
        Ok(FBetaScore {
            class,
            name: name.to_string(),
            dtype,
            average,
            beta,
            threshold,
            state: [
                var("true_positives")?,
                var("false_positives")?,
                var("false_negatives")?,
                var("intermediate_weights")?,
            ],
            built: Mutex::new(None),
        })
    }

    /// `FBetaScore(average, beta, threshold)`, float32, named `fbeta_score`.
    pub fn new(average: FScoreAverage, beta: f64, threshold: Option<f64>) -> Result<FBetaScore> {
        Self::build("FBetaScore", average, beta, threshold, "fbeta_score", DType::F32)
    }

    /// `F1Score(average, threshold)`, float32, named `f1_score`.
    pub fn f1(average: FScoreAverage, threshold: Option<f64>) -> Result<FBetaScore> {
        Self::build("F1Score", average, 1.0, threshold, "f1_score", DType::F32)
    }

    /// The same metric under another name.
    pub fn named(self, name: &str) -> Result<FBetaScore> {
        Self::build(self.class, self.average, self.beta, self.threshold, name, self.dtype)
    }

    pub fn average(&self) -> FScoreAverage {
        self.average
    }

    pub fn beta(&self) -> f64 {
        self.beta
    }

    pub fn threshold(&self) -> Option<f64> {
        self.threshold
    }

    /// `FBetaScore` or `F1Score` from a Keras config.
    pub fn from_config(class_name: &str, config: &Map<String, Value>) -> Result<FBetaScore> {
        let (class, default_name): (&'static str, &str) = match class_name {
            "FBetaScore" => ("FBetaScore", "fbeta_score"),
            "F1Score" => ("F1Score", "f1_score"),
            other => return Err(Error::arg("metrics.get", format!("{other:?} is not an F-score metric"))),
        };
        let mut r = ConfigReader::new(class, config);
        let name = r.string("name", default_name)?;
        let dtype = read_metric_dtype(&mut r, class, crate::config::floatx_dtype())?;
        let average = FScoreAverage::parse(class, r.value("average"))?;
        // Keras wants Python floats: an integer `beta` or `threshold` is refused.
        let float = |key: &str, v: &Value| -> Result<f64> {
            match v {
                Value::Number(n) if n.is_f64() => Ok(n.as_f64().unwrap_or(f64::NAN)),
                Value::Number(_) => Err(Error::arg(
                    class,
                    format!(
                        "{class}: Invalid `{key}` argument value. It should be a Python float. Received: {key}={v} of type '<class 'int'>'"
                    ),
                )),
                other => Err(Error::arg(
                    class,
                    format!(
                        "{class}: Invalid `{key}` argument value. It should be a Python float. Received: {key}={other}"
                    ),
                )),
            }
        };
        let beta = if class == "FBetaScore" {
            match r.value("beta") {
                None => 1.0,
                Some(v) => float("beta", v)?,
            }
        } else {
            1.0
        };
        let threshold = match r.value("threshold") {
            None | Some(Value::Null) => None,
            Some(v) => Some(float("threshold", v)?),
        };
        r.finish()?;
        Self::build(class, average, beta, threshold, &name, dtype)
    }

    /// Sizes the state for `num_classes` on the first update (Keras's `_build`).
    fn ensure_built(&self, num_classes: usize) -> Result<()> {
        let mut built = self.built.lock().unwrap_or_else(|e| e.into_inner());
        match *built {
            Some(n) if n == num_classes => Ok(()),
            Some(n) => Err(Error::arg(
                self.class,
                format!("{}: built for {n} classes, got predictions with {num_classes}", self.class),
            )),
            None => {
                if self.average != FScoreAverage::Micro {
                    for v in &self.state {
                        v.replace(ops::zeros(&[num_classes], self.dtype, &v.device())?);
                    }
                }
                *built = Some(num_classes);
                Ok(())
            }
        }
    }

    /// Keras's `result()` on the host, in the metric's precision (float32 unless float64).
    fn compute_result(&self) -> Result<Tensor> {
        if self.built.lock().unwrap_or_else(|e| e.into_inner()).is_none() {
            return Err(Error::arg(
                self.class,
                format!(
                    "{}: result() before any update_state: the state is built on the first update",
                    self.class
                ),
            ));
        }
        let read = |v: &Variable| v.value().to_vec_f64();
        let (tp, fp, fnn, iw) =
            (read(&self.state[0])?, read(&self.state[1])?, read(&self.state[2])?, read(&self.state[3])?);
        let f64_math = self.dtype == DType::F64;
        // Rounds each step to float32 as Keras computes it, unless the metric is float64.
        let q = |x: f64| if f64_math { x } else { x as f32 as f64 };
        let b2 = q(self.beta * self.beta);
        let scores: Vec<f64> = (0..tp.len())
            .map(|i| {
                let precision = q(tp[i] / q(q(tp[i] + fp[i]) + EPSILON));
                let recall = q(tp[i] / q(q(tp[i] + fnn[i]) + EPSILON));
                let mul = q(precision * recall);
                let add = q(q(b2 * precision) + recall);
                let mean = q(mul / q(add + EPSILON));
                q(mean * q(1.0 + b2))
            })
            .collect();
        let out: Vec<f64> = match self.average {
            FScoreAverage::PerClass => scores,
            FScoreAverage::Weighted => {
                let total = q(q(iw.iter().sum::<f64>()) + EPSILON);
                vec![q(scores.iter().zip(&iw).map(|(s, w)| q(s * q(w / total))).sum::<f64>())]
            }
            FScoreAverage::Micro | FScoreAverage::Macro => {
                vec![q(scores.iter().sum::<f64>() / scores.len() as f64)]
            }
        };
        let dims: &[usize] = if self.average == FScoreAverage::PerClass { &[out.len()] } else { &[] };
        let t = if f64_math {
            Tensor::from_vec(out, dims, &Device::Cpu)?
        } else {
            Tensor::from_vec(out.iter().map(|&x| x as f32).collect::<Vec<f32>>(), dims, &Device::Cpu)?
        };
        Ok(t)
    }
}

impl Metric for FBetaScore {
    fn class_name(&self) -> &'static str {
        self.class
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("name".into(), Value::from(self.name.as_str()));
        m.insert("dtype".into(), Value::from(self.dtype.name()));
        m.insert("average".into(), self.average.json());
        if self.class == "FBetaScore" {
            m.insert("beta".into(), Value::from(self.beta));
        }
        m.insert("threshold".into(), self.threshold.map_or(Value::Null, Value::from));
        m
    }
    fn variables(&self) -> Vec<Variable> {
        self.state.to_vec()
    }
    fn update<'g>(
        &self,
        graph: &'g Graph,
        y_true: Sym<'g>,
        y_pred: Sym<'g>,
        sample_weight: Option<Sym<'g>>,
    ) -> Result<Vec<(Variable, Sym<'g>)>> {
        let c = self.class;
        let (ts, ps) = (y_true.shape(), y_pred.shape());
        if ts.len() != 2 || ps.len() != 2 {
            return Err(Error::arg(
                c,
                format!(
                    "{c}: FBetaScore expects 2D inputs with shape (batch_size, output_dim). Received input shapes: y_pred.shape={} and y_true.shape={}.",
                    shape_str(&ps),
                    shape_str(&ts)
                ),
            ));
        }
        let (Some(num_classes), Some(_)) = (ps[1], ts[1]) else {
            return Err(Error::arg(
                c,
                format!(
                    "{c}: FBetaScore expects 2D inputs with shape (batch_size, output_dim), with output_dim fully defined (not None). Received input shapes: y_pred.shape={} and y_true.shape={}.",
                    shape_str(&ps),
                    shape_str(&ts)
                ),
            ));
        };
        self.ensure_built(num_classes)?;
        let dtype = self.dtype;
        let yt = y_true.cast(dtype)?;
        let yp = y_pred.cast(dtype)?;
        let positive = match self.threshold {
            None => {
                let top = yp.max(&[-1], true)?;
                // `abs(x) > eps` keeps a row of zeros from counting every class.
                yp.greater_equal(top)?.logical_and(yp.abs()?.greater(yp.scalar_like(1e-9)?)?)?
            }
            Some(t) => yp.greater(yp.scalar_like(t)?)?,
        };
        let yp = positive.cast(dtype)?;
        let sw = match sample_weight {
            None => None,
            Some(w) => {
                if w.rank() == 0 {
                    return Err(Error::arg(
                        c,
                        format!("{c}: `sample_weight` must have a batch axis (Keras expands it at axis 1), got a scalar"),
                    ));
                }
                Some(w.cast(dtype)?.expand_dims(1)?)
            }
        };
        let micro = self.average == FScoreAverage::Micro;
        let weighted_sum = |val: Sym<'g>| -> Result<Sym<'g>> {
            let val = match sw {
                Some(w) => {
                    if broadcast_static(c, &val.shape(), &w.shape()).is_err() {
                        return Err(Error::arg(
                            c,
                            format!(
                                "{c}: `sample_weight` of shape {} cannot be broadcast to the predictions of shape {} (Keras multiplies by expand_dims(sample_weight, 1))",
                                shape_str(&sample_weight.map(|w| w.shape()).unwrap_or_default()),
                                shape_str(&ps)
                            ),
                        ));
                    }
                    val.mul(w)?
                }
                None => val,
            };
            let s = if micro { val.sum_all()? } else { val.sum(&[0], false)? };
            let want: &[Option<usize>] = if micro { &[] } else { &[Some(num_classes)] };
            if s.shape() != want {
                return Err(Error::arg(
                    c,
                    format!(
                        "{c}: `sample_weight` of shape {} does not fit the predictions of shape {} (the sums have shape {}, the state {})",
                        shape_str(&sample_weight.map(|w| w.shape()).unwrap_or_default()),
                        shape_str(&ps),
                        shape_str(&s.shape()),
                        shape_str(want)
                    ),
                ));
            }
            Ok(s)
        };
        let one_minus = |x: Sym<'g>| x.rsub_scalar(1.0);
        let vals = [yp.mul(yt)?, yp.mul(one_minus(yt)?)?, one_minus(yp)?.mul(yt)?, yt];
        let mut out = vec![];
        for (v, val) in self.state.iter().zip(vals) {
            out.push((v.clone(), graph.variable(v).add(weighted_sum(val)?)?));
        }
        Ok(out)
    }
    fn result(&self) -> Result<f64> {
        let t = self.compute_result()?;
        if t.numel() != 1 || t.rank() != 0 {
            return Err(Error::arg(
                self.class,
                format!(
                    "{}: the result has shape {:?} (average=None gives one score per class); read it with result_tensor()",
                    self.class,
                    t.dims()
                ),
            ));
        }
        Ok(t.to_vec_f64()?[0])
    }
    fn result_tensor(&self) -> Result<Tensor> {
        self.compute_result()
    }
    fn reset(&self) -> Result<()> {
        for v in &self.state {
            v.assign_zeros()?;
        }
        Ok(())
    }
}

/// The classes of this file (Keras's `f_score_metrics.py`).
pub(crate) const CLASSES: &[&str] = &["FBetaScore", "F1Score"];

pub(crate) fn from_config(class_name: &str, config: &Map<String, Value>) -> Result<Box<dyn Metric>> {
    Ok(Box::new(FBetaScore::from_config(class_name, config)?))
}
