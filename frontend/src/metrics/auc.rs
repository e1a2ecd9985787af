//! `keras.metrics.AUC`: the area under the ROC, PR or PR-gain curve, from tp/fp/tn/fn counted at
//! `num_thresholds` thresholds (the counting is [`update_confusion`], shared with the other
//! confusion metrics).

use std::sync::RwLock;

use serde_json::{json, Map, Value};
use wgkeras_runtime::{DType, Tensor};

use super::confusion::{
    accumulator, div_no_nan, evenly_distributed, host_tensor, read_f32, update_confusion, Condition,
    ConfusionSpec,
};
use super::reduction::{name_dtype_config, read_name_dtype};
use super::Metric;
use crate::error::{Error, Result};
use crate::graph::{shape_str, Graph, Sym};
use crate::losses::ConfigReader;
use crate::variable::Variable;

const CLASS: &str = "AUC";
/// `keras.backend.epsilon()`: the end thresholds sit this far outside [0, 1].
const EPSILON: f64 = 1e-7;

/// Keras's `AUCCurve`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curve {
    Roc,
    Pr,
    PrGain,
}

impl Curve {
    /// Keras's `AUCCurve.from_str`.
    pub fn parse(key: &str) -> Result<Curve> {
        match key {
            "roc" | "ROC" => Ok(Curve::Roc),
            "pr" | "PR" => Ok(Curve::Pr),
            "prgain" | "PRGAIN" => Ok(Curve::PrGain),
            _ => Err(Error::arg(
                CLASS,
                format!("{CLASS}: Invalid AUC curve value: \"{key}\". Expected values are [\"PR\", \"ROC\", \"PRGAIN\"]"),
            )),
        }
    }
    pub fn value(self) -> &'static str {
        match self {
            Curve::Roc => "ROC",
            Curve::Pr => "PR",
            Curve::PrGain => "PRGAIN",
        }
    }
}

/// Keras's `AUCSummationMethod`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Summation {
    Interpolation,
    Majoring,
    Minoring,
}

impl Summation {
    /// Keras's `AUCSummationMethod.from_str`.
    pub fn parse(key: &str) -> Result<Summation> {
        match key {
            "interpolation" | "Interpolation" => Ok(Summation::Interpolation),
            "majoring" | "Majoring" => Ok(Summation::Majoring),
            "minoring" | "Minoring" => Ok(Summation::Minoring),
            _ => Err(Error::arg(
                CLASS,
                format!(
                    "{CLASS}: Invalid AUC summation method value: \"{key}\". Expected values are [\"interpolation\", \"majoring\", \"minoring\"]"
                ),
            )),
        }
    }
    pub fn value(self) -> &'static str {
        match self {
            Summation::Interpolation => "interpolation",
            Summation::Majoring => "majoring",
            Summation::Minoring => "minoring",
        }
    }
}

/// tp, fp, tn, fn of shape `[num_thresholds]` or `[num_thresholds, num_labels]`.
#[derive(Debug)]
struct AucState {
    vars: [Variable; 4],
    labels: usize,
}

/// `keras.metrics.AUC(num_thresholds=200, curve="ROC", summation_method="interpolation",
/// name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
/// label_weights=None, from_logits=False)`. A multi-label AUC without `num_labels` creates its
/// state on the first update, from the predictions' shape (as Keras's lazy `_build`).
#[derive(Debug)]
pub struct Auc {
    name: String,
    dtype: DType,
    num_thresholds: usize,
    curve: Curve,
    summation: Summation,
    multi_label: bool,
    num_labels: Option<i64>,
    label_weights: Option<Vec<f32>>,
    from_logits: bool,
    /// The thresholds given (sorted), for the config.
    init_thresholds: Option<Vec<f64>>,
    spec: ConfusionSpec,
    state: RwLock<Option<AucState>>,
}

/// `label_weights` as Keras writes it (`{"class_name": "__tensor__", ...}`) or a plain list.
fn parse_label_weights(v: Option<&Value>) -> Result<Option<Vec<f32>>> {
    let bad = |v: &Value| {
        Error::arg(CLASS, format!("{CLASS}: `label_weights` must be null or a list of numbers, got {v}"))
    };
    let list = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(o)) if o.get("class_name").and_then(Value::as_str) == Some("__tensor__") => {
            o.get("config").and_then(|c| c.get("value")).ok_or_else(|| bad(v.unwrap_or(&Value::Null)))?
        }
        Some(v) => v,
    };
    match list {
        Value::Array(a) => a
            .iter()
            .map(|x| x.as_f64().map(|x| x as f32).ok_or_else(|| bad(list)))
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Value::Number(n) => Ok(Some(vec![n.as_f64().unwrap_or(0.0) as f32])),
        other => Err(bad(other)),
    }
}

impl Auc {
    /// The ROC AUC with Keras's defaults.
    pub fn new() -> Result<Auc> {
        Self::from_config(&Map::new())
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Auc> {
        let mut r = ConfigReader::new(CLASS, config);
        let (name, dtype) = read_name_dtype(&mut r, "auc")?;
        let num_thresholds = r.i64("num_thresholds", 200)?;
        let curve = r.string("curve", "ROC")?;
        let summation = r.string("summation_method", "interpolation")?;
        let multi_label = r.bool("multi_label", false)?;
        let num_labels = r.opt_i64("num_labels")?;
        let label_weights = parse_label_weights(r.value("label_weights"))?;
        let from_logits = r.bool("from_logits", false)?;
        let given = match r.value("thresholds") {
            None | Some(Value::Null) => None,
            Some(v @ Value::Array(a)) => {
                Some(a.iter().map(Value::as_f64).collect::<Option<Vec<f64>>>().ok_or_else(|| {
                    Error::arg(CLASS, format!("{CLASS}: `thresholds` must be a list of numbers, got {v}"))
                })?)
            }
            Some(v) => {
                return Err(Error::arg(
                    CLASS,
                    format!("{CLASS}: `thresholds` must be a list of numbers, got {v}"),
                ))
            }
        };
        r.finish()?;
        let (num_thresholds, inner, evenly) = match given.clone() {
            Some(mut t) => {
                t.sort_by(f64::total_cmp);
                let mut ends = vec![0.0];
                ends.extend(&t);
                ends.push(1.0);
                (t.len() + 2, t, evenly_distributed(&ends))
            }
            None => {
                if num_thresholds <= 1 {
                    return Err(Error::arg(
                        CLASS,
                        format!("{CLASS}: Argument `num_thresholds` must be an integer > 1. Received: num_thresholds={num_thresholds}"),
                    ));
                }
                let n = num_thresholds as usize;
                ((n), (0..n - 2).map(|i| (i + 1) as f64 / (n - 1) as f64).collect(), true)
            }
        };
        let mut thresholds = vec![0.0 - EPSILON];
        thresholds.extend(&inner);
        thresholds.push(1.0 + EPSILON);
        let curve = Curve::parse(&curve)?;
        let summation = Summation::parse(&summation)?;
        if !multi_label && num_labels.is_some_and(|n| n != 0) {
            return Err(Error::arg(
                CLASS,
                format!("{CLASS}: `num_labels` is needed only when `multi_label` is True."),
            ));
        }
        if let Some(n) = num_labels {
            if n < 0 {
                return Err(Error::arg(
                    CLASS,
                    format!("{CLASS}: `num_labels` must be a positive integer, got {n}"),
                ));
            }
        }
        let auc = Auc {
            num_thresholds,
            curve,
            summation,
            multi_label,
            num_labels,
            label_weights: label_weights.clone(),
            from_logits,
            init_thresholds: given.map(|_| inner),
            spec: ConfusionSpec {
                thresholds,
                evenly,
                top_k: None,
                class_id: None,
                multi_label,
                // The label weights enter the counts only without multi_label; with it they
                // weight the per-label areas in the result.
                label_weights: if multi_label { None } else { label_weights },
            },
            state: RwLock::new(None),
            name,
            dtype,
        };
        match (multi_label, num_labels) {
            (false, _) => auc.build(None)?,
            (true, Some(n)) if n > 0 => auc.build(Some(n as usize))?,
            _ => {}
        }
        Ok(auc)
    }

    fn build(&self, labels: Option<usize>) -> Result<()> {
        let dims = match labels {
            Some(l) => vec![self.num_thresholds, l],
            None => vec![self.num_thresholds],
        };
        let n = &self.name;
        let vars = [
            accumulator(n, "true_positives", &dims, self.dtype)?,
            accumulator(n, "false_positives", &dims, self.dtype)?,
            accumulator(n, "true_negatives", &dims, self.dtype)?,
            accumulator(n, "false_negatives", &dims, self.dtype)?,
        ];
        *self.state.write().expect("AUC state lock") = Some(AucState { vars, labels: labels.unwrap_or(1) });
        Ok(())
    }

    /// The thresholds the predictions are compared with, end points included.
    pub fn thresholds(&self) -> &[f64] {
        &self.spec.thresholds
    }

    fn result_f32(&self) -> Result<f32> {
        let guard = self.state.read().expect("AUC state lock");
        let Some(state) = guard.as_ref() else {
            return Err(Error::arg(
                CLASS,
                format!("{CLASS}: no state yet: a multi-label AUC without `num_labels` is built by its first update_state"),
            ));
        };
        let [tp, fp, tn, fn_] = &state.vars;
        let (tp, fp, tn, fn_) = (read_f32(tp)?, read_f32(fp)?, read_f32(tn)?, read_f32(fn_)?);
        let l = state.labels;
        let t = self.num_thresholds;
        let at = |v: &[f32], i: usize, k: usize| v[i * l + k];
        let mut by_label = vec![0f64; l];
        if self.curve == Curve::Pr && self.summation == Summation::Interpolation {
            // Keras's `interpolate_pr_auc` (Davis & Goadrich): precision interpolated between
            // thresholds through the true and false positives.
            for (k, area) in by_label.iter_mut().enumerate() {
                for i in 0..t - 1 {
                    let dtp = at(&tp, i, k) - at(&tp, i + 1, k);
                    let p0 = at(&tp, i, k) + at(&fp, i, k);
                    let p1 = at(&tp, i + 1, k) + at(&fp, i + 1, k);
                    let slope = div_no_nan(dtp, (p0 - p1).max(0.0));
                    let intercept = at(&tp, i + 1, k) - slope * p1;
                    let ratio = if p0 > 0.0 && p1 > 0.0 { div_no_nan(p0, p1.max(0.0)) } else { 1.0 };
                    let inc = div_no_nan(
                        slope * (dtp + intercept * ratio.ln()),
                        (at(&tp, i + 1, k) + at(&fn_, i + 1, k)).max(0.0),
                    );
                    *area += inc as f64;
                }
            }
        } else {
            let n = tp.len();
            let recall: Vec<f32> = (0..n).map(|j| div_no_nan(tp[j], tp[j] + fn_[j])).collect();
            let (x, y): (Vec<f32>, Vec<f32>) = match self.curve {
                Curve::Roc => ((0..n).map(|j| div_no_nan(fp[j], fp[j] + tn[j])).collect(), recall),
                Curve::Pr => (recall, (0..n).map(|j| div_no_nan(tp[j], tp[j] + fp[j])).collect()),
                Curve::PrGain => (0..n)
                    .map(|j| {
                        let scaling = div_no_nan(tp[j] + fn_[j], tn[j] + fp[j]);
                        let mut rg = 1.0 - scaling * div_no_nan(fn_[j], tp[j]);
                        let mut pg = 1.0 - scaling * div_no_nan(fp[j], tp[j]);
                        if tp[j] == 0.0 {
                            rg = 0.0;
                            pg = 1.0;
                        }
                        (rg.max(0.0), pg)
                    })
                    .unzip(),
            };
            for (k, area) in by_label.iter_mut().enumerate() {
                for i in 0..t - 1 {
                    let (y0, y1) = (at(&y, i, k), at(&y, i + 1, k));
                    let height = match self.summation {
                        Summation::Interpolation => (y0 + y1) / 2.0,
                        Summation::Minoring => y0.min(y1),
                        Summation::Majoring => y0.max(y1),
                    };
                    *area += ((at(&x, i, k) - at(&x, i + 1, k)) * height) as f64;
                }
            }
        }
        if !self.multi_label {
            return Ok(by_label[0] as f32);
        }
        let by_label: Vec<f32> = by_label.into_iter().map(|a| a as f32).collect();
        match &self.label_weights {
            None => Ok((by_label.iter().map(|&a| a as f64).sum::<f64>() / l as f64) as f32),
            Some(w) => {
                if w.len() != l && w.len() != 1 {
                    return Err(Error::arg(
                        CLASS,
                        format!("{CLASS}: `label_weights` has {} values for {l} labels", w.len()),
                    ));
                }
                let wk = |k: usize| if w.len() == 1 { w[0] } else { w[k] };
                let num: f64 = (0..l).map(|k| (by_label[k] * wk(k)) as f64).sum();
                let den: f64 = (0..l).map(|k| wk(k) as f64).sum();
                Ok(div_no_nan(num as f32, den as f32))
            }
        }
    }
}

impl Metric for Auc {
    fn class_name(&self) -> &'static str {
        CLASS
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = name_dtype_config(&self.name, self.dtype);
        m.insert("num_thresholds".into(), Value::from(self.num_thresholds));
        m.insert("curve".into(), Value::from(self.curve.value()));
        m.insert("summation_method".into(), Value::from(self.summation.value()));
        m.insert("multi_label".into(), Value::from(self.multi_label));
        m.insert("num_labels".into(), self.num_labels.map_or(Value::Null, Value::from));
        let lw = self.label_weights.as_ref().map_or(Value::Null, |w| {
            let values: Vec<f64> = w.iter().map(|&x| x as f64).collect();
            json!({"class_name": "__tensor__", "config": {"value": values, "dtype": self.dtype.name()}})
        });
        m.insert("label_weights".into(), lw);
        m.insert("from_logits".into(), Value::from(self.from_logits));
        if let Some(t) = &self.init_thresholds {
            m.insert("thresholds".into(), Value::from(t.clone()));
        }
        m
    }
    fn variables(&self) -> Vec<Variable> {
        self.state.read().expect("AUC state lock").as_ref().map_or(vec![], |s| s.vars.to_vec())
    }
    fn update<'g>(
        &self,
        graph: &'g Graph,
        y_true: Sym<'g>,
        y_pred: Sym<'g>,
        sample_weight: Option<Sym<'g>>,
    ) -> Result<Vec<(Variable, Sym<'g>)>> {
        if self.state.read().expect("AUC state lock").is_none() {
            let shape = y_pred.shape();
            if shape.len() != 2 {
                return Err(Error::arg(
                    CLASS,
                    format!(
                        "{CLASS}: `y_pred` must have rank 2 when `multi_label=True`. Found rank {}. Full shape received for `y_pred`: {}",
                        shape.len(),
                        shape_str(&shape)
                    ),
                ));
            }
            let labels = shape[1].ok_or_else(|| {
                Error::arg(
                    CLASS,
                    format!("{CLASS}: the number of labels of `y_pred` {} is unknown", shape_str(&shape)),
                )
            })?;
            self.build(Some(labels))?;
        }
        let guard = self.state.read().expect("AUC state lock");
        let [tp, fp, tn, fn_] = &guard.as_ref().expect("built above").vars;
        let vars = [
            (Condition::TruePositives, tp),
            (Condition::TrueNegatives, tn),
            (Condition::FalsePositives, fp),
            (Condition::FalseNegatives, fn_),
        ];
        let y_pred = if self.from_logits {
            let p = if y_pred.dtype().is_float() { y_pred } else { y_pred.cast(self.dtype)? };
            p.sigmoid()?
        } else {
            y_pred
        };
        update_confusion(CLASS, graph, &self.spec, &vars, y_true, y_pred, sample_weight)
    }
    fn result(&self) -> Result<f64> {
        Ok(self.result_f32()? as f64)
    }
    fn result_tensor(&self) -> Result<Tensor> {
        host_tensor(&[self.result_f32()?], &[], self.dtype)
    }
    fn reset(&self) -> Result<()> {
        match self.state.read().expect("AUC state lock").as_ref() {
            Some(s) => s.vars.iter().try_for_each(Variable::assign_zeros),
            None => Ok(()),
        }
    }
}

/// The class of this file.
pub(crate) const CLASSES: &[&str] = &["AUC"];

pub(crate) fn from_config(class_name: &str, config: &Map<String, Value>) -> Result<Box<dyn Metric>> {
    match class_name {
        "AUC" => Ok(Box::new(Auc::from_config(config)?)),
        other => Err(Error::arg("metrics.get", format!("{other:?} is not an AUC metric"))),
    }
}
