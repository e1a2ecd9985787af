//! Keras's `confusion_metrics.py` (and the update of `metrics_utils.py` they share):
//! `TruePositives`, `TrueNegatives`, `FalsePositives`, `FalseNegatives`, `Precision`, `Recall`,
//! `PrecisionAtRecall`, `RecallAtPrecision`, `SensitivityAtSpecificity`,
//! `SpecificityAtSensitivity` (and `AUC`, in auc.rs).
//!
//! The state is float accumulators of shape `[num_thresholds]` (`[num_thresholds, num_labels]`
//! for a multi-label AUC), created on the CPU. [`update_confusion`] adds one batch's weighted
//! counts with graph ops only (each prediction compared with every threshold), so a train step
//! updates them on the device; the results are computed from the read-back accumulators the way
//! Keras computes them (float32).

use serde_json::{Map, Value};
use wgkeras_runtime::ops::UnaryOp;
use wgkeras_runtime::{ops, CpuStorage, DType, Device, Tensor};

use super::reduction::{name_dtype_config, read_name_dtype};
use super::Metric;
use crate::error::{Error, Result};
use crate::graph::{shape_str, Graph, Sym};
use crate::losses::{squeeze_last, squeeze_or_expand_to_same_rank, ConfigReader, Num};
use crate::variable::Variable;

/// Keras's `metrics_utils.NEG_INF`: the threshold of a top-k metric, and the value that
/// `_filter_top_k` gives the predictions outside the top k.
pub const NEG_INF: f64 = -1e10;

/// One cell of the confusion matrix (Keras's `metrics_utils.ConfusionMatrix`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    TruePositives,
    FalsePositives,
    TrueNegatives,
    FalseNegatives,
}

impl Condition {
    fn class(self) -> &'static str {
        match self {
            Condition::TruePositives => "TruePositives",
            Condition::FalsePositives => "FalsePositives",
            Condition::TrueNegatives => "TrueNegatives",
            Condition::FalseNegatives => "FalseNegatives",
        }
    }
    fn default_name(self) -> &'static str {
        match self {
            Condition::TruePositives => "true_positives",
            Condition::FalsePositives => "false_positives",
            Condition::TrueNegatives => "true_negatives",
            Condition::FalseNegatives => "false_negatives",
        }
    }
}

/// How a batch is counted (the arguments of Keras's `update_confusion_matrix_variables`).
#[derive(Clone, Debug)]
pub(crate) struct ConfusionSpec {
    pub thresholds: Vec<f64>,
    /// Keras's `thresholds_distributed_evenly`: predictions are clipped to [0, 1] and bucketed
    /// (`ceil(p * (n - 1)) - 1`), as its memory-efficient path does.
    pub evenly: bool,
    pub top_k: Option<usize>,
    pub class_id: Option<i64>,
    pub multi_label: bool,
    pub label_weights: Option<Vec<f32>>,
}

/// Keras's `is_evenly_distributed_thresholds`: 3 or more thresholds `allclose` (atol 1e-7,
/// rtol 1e-5) to `i / (n - 1)`.
pub(crate) fn evenly_distributed(thresholds: &[f64]) -> bool {
    let n = thresholds.len();
    if n < 3 {
        return false;
    }
    thresholds.iter().enumerate().all(|(i, &t)| {
        let even = (i as f32 / (n - 1) as f32) as f64;
        (t - even).abs() <= 1e-7 + 1e-5 * even.abs()
    })
}

/// A float32 host tensor, cast to `dtype` in the graph.
fn constant<'g>(graph: &'g Graph, data: Vec<f32>, dims: &[usize], dtype: DType) -> Result<Sym<'g>> {
    graph.constant(Tensor::from_vec(data, dims, &Device::Cpu)?).cast(dtype)
}

/// Keras's `_filter_top_k(x, k)`: the k largest values of the last axis kept (ties to the lower
/// index, as `top_k`), the others set to `NEG_INF`. A value's rank is the number of values
/// ahead of it: larger ones, and equal ones at a lower index.
fn filter_top_k<'g>(class: &'static str, x: Sym<'g>, k: usize) -> Result<Sym<'g>> {
    let c = match x.shape().last() {
        Some(Some(c)) => *c,
        _ => {
            return Err(Error::arg(
                class,
                format!(
                    "{class}: `top_k` needs predictions with a known last axis, got shape {}",
                    shape_str(&x.shape())
                ),
            ))
        }
    };
    if k > c {
        return Err(Error::arg(
            class,
            format!(
                "{class}: `top_k`={k} is larger than the last axis of the predictions, of shape {}",
                shape_str(&x.shape())
            ),
        ));
    }
    let xi = x.expand_dims(-1)?;
    let xj = x.expand_dims(-2)?;
    let before: Vec<f32> = (0..c * c).map(|n| if n % c < n / c { 1.0 } else { 0.0 }).collect();
    let before = constant(x.graph, before, &[c, c], x.dtype())?;
    let greater = xj.greater(xi)?.cast(x.dtype())?;
    let tied_before = xj.equal(xi)?.cast(x.dtype())?.mul(before)?;
    let rank = greater.add(tied_before)?.sum(&[-1], false)?;
    let keep = rank.less(rank.scalar_like(k as f64)?)?.cast(x.dtype())?;
    x.mul(keep)?.add(keep.rsub_scalar(1.0)?.mul_scalar(NEG_INF)?)
}

/// `x` broadcast to `target`'s shape (NumPy's rule), or an error naming `what`.
fn broadcast_to<'g>(class: &'static str, what: &str, x: Sym<'g>, target: Sym<'g>) -> Result<Sym<'g>> {
    let (xs, ts) = (x.shape(), target.shape());
    let fits =
        xs.len() <= ts.len() && xs.iter().rev().zip(ts.iter().rev()).all(|(a, b)| *a == Some(1) || a == b);
    if !fits {
        return Err(Error::arg(
            class,
            format!(
                "{class}: {what} of shape {} cannot be broadcast to the predictions' shape {}",
                shape_str(&xs),
                shape_str(&ts)
            ),
        ));
    }
    x.broadcast_like(target)
}

/// Keras's `update_confusion_matrix_variables`: the new values of `vars` after adding the
/// weighted counts of one batch at every threshold. `y_true` counts as positive where nonzero;
/// a prediction is positive at threshold `t` where it is `> t`.
pub(crate) fn update_confusion<'g>(
    class: &'static str,
    graph: &'g Graph,
    spec: &ConfusionSpec,
    vars: &[(Condition, &Variable)],
    y_true: Sym<'g>,
    y_pred: Sym<'g>,
    sample_weight: Option<Sym<'g>>,
) -> Result<Vec<(Variable, Sym<'g>)>> {
    let Some((_, first)) = vars.first() else { return Ok(vec![]) };
    let dtype = first.dtype();
    let (mut y_pred, mut y_true) = squeeze_or_expand_to_same_rank(y_pred.cast(dtype)?, y_true.cast(dtype)?)?;
    // `squeeze_or_expand_to_same_rank(y_true, sample_weight[..., None], expand_rank_1=False)`
    let sw = match sample_weight {
        Some(w) => {
            let w = w.cast(dtype)?.expand_dims(-1)?;
            Some(if w.rank() == y_true.rank() + 1 && w.shape().last() == Some(&Some(1)) {
                squeeze_last(w)?
            } else {
                w
            })
        }
        None => None,
    };
    if let Some(k) = spec.top_k {
        if y_pred.rank() == 0 {
            return Err(Error::arg(class, format!("{class}: `top_k` needs predictions of rank 1 or more")));
        }
        y_pred = filter_top_k(class, y_pred, k)?;
    }
    if let Some(id) = spec.class_id {
        if y_pred.rank() <= 1 {
            return Err(Error::arg(
                class,
                format!(
                    "{class}: When class_id is provided, y_pred must be a 2D array with shape (num_samples, num_classes), found shape: {}",
                    shape_str(&y_pred.shape())
                ),
            ));
        }
        let pick = |x: Sym<'g>, what: &str| -> Result<Sym<'g>> {
            let n = x.shape().last().copied().flatten().unwrap_or(0) as i64;
            let i = if id < 0 { id + n } else { id };
            if x.rank() == 0 || i < 0 || i >= n {
                return Err(Error::arg(
                    class,
                    format!(
                        "{class}: `class_id`={id} is out of range for {what} of shape {}",
                        shape_str(&x.shape())
                    ),
                ));
            }
            x.slice_axis(-1, i as usize, 1)
        };
        y_true = pick(y_true, "the labels")?;
        y_pred = pick(y_pred, "the predictions")?;
    }
    if y_true.shape() != y_pred.shape() {
        return Err(Error::arg(
            class,
            format!(
                "{class}: the labels and predictions must have the same shape, got {} and {}",
                shape_str(&y_true.shape()),
                shape_str(&y_pred.shape())
            ),
        ));
    }
    let n_thr = spec.thresholds.len();
    let var_dims: Vec<usize> = first.dims();
    if spec.multi_label {
        let ok = y_pred.rank() == 2 && var_dims.len() == 2 && y_pred.shape()[1] == Some(var_dims[1]);
        if !ok {
            return Err(Error::arg(
                class,
                format!(
                    "{class}: multi-label predictions must have shape (batch, {}), got {}",
                    var_dims.get(1).copied().unwrap_or(0),
                    shape_str(&y_pred.shape())
                ),
            ));
        }
    }
    let mut weights = match sw {
        Some(w) => Some(broadcast_to(class, "`sample_weight`", w, y_pred)?),
        None => None,
    };
    if let (Some(lw), false) = (&spec.label_weights, spec.multi_label) {
        let lw = constant(graph, lw.clone(), &[1, lw.len()], dtype)?;
        let lw = broadcast_to(class, "`label_weights`", lw, y_pred)?;
        weights = Some(match weights {
            Some(w) => w.mul(lw)?,
            None => lw,
        });
    }
    let labels = y_true.not_equal(y_true.scalar_like(0.0)?)?.cast(dtype)?;
    // Non-multi-label data is flattened: [1, M] against thresholds [T, 1]; multi-label data is
    // [1, N, L] against [T, 1, 1], summed over the batch axis.
    let multi = spec.multi_label;
    let lift = |x: Sym<'g>| if multi { x.expand_dims(0) } else { x.reshape(&[1, -1]) };
    let thr_dims = if multi { vec![n_thr, 1, 1] } else { vec![n_thr, 1] };
    let pred_is_pos = if spec.evenly {
        let with_epsilon = spec.thresholds.first().is_some_and(|&t| t < 0.0)
            || spec.thresholds.last().is_some_and(|&t| t > 1.0);
        let p = y_pred.clip(0.0, 1.0)?;
        let mut bucket = p.mul_scalar((n_thr - 1) as f64)?.unary(UnaryOp::Ceil)?.add_scalar(-1.0)?;
        if with_epsilon {
            bucket = bucket.relu()?;
        }
        // A prediction in bucket b counts at thresholds 0..=b (Keras's reversed cumsum).
        let index = constant(graph, (0..n_thr).map(|i| i as f32).collect(), &thr_dims, dtype)?;
        lift(bucket)?.greater_equal(index)?
    } else {
        let thr = constant(graph, spec.thresholds.iter().map(|&t| t as f32).collect(), &thr_dims, dtype)?;
        lift(y_pred)?.greater(thr)?
    };
    let pos = pred_is_pos.cast(dtype)?;
    let mut lab = lift(labels)?;
    let mut nlab = lab.rsub_scalar(1.0)?;
    if let Some(w) = weights {
        let w = lift(w)?;
        lab = lab.mul(w)?;
        nlab = nlab.mul(w)?;
    }
    let neg = pos.rsub_scalar(1.0)?;
    let mut out = vec![];
    for (cond, var) in vars {
        let (p, l) = match cond {
            Condition::TruePositives => (pos, lab),
            Condition::FalsePositives => (pos, nlab),
            Condition::TrueNegatives => (neg, nlab),
            Condition::FalseNegatives => (neg, lab),
        };
        let count = p.mul(l)?.sum(&[1], false)?;
        out.push(((*var).clone(), graph.variable(var).add(count)?));
    }
    Ok(out)
}

/// A zeroed accumulator `<metric>/<name>` of `dims`, on the CPU.
pub(crate) fn accumulator(metric: &str, name: &str, dims: &[usize], dtype: DType) -> Result<Variable> {
    Ok(Variable::new(format!("{metric}/{name}"), ops::zeros(dims, dtype, &Device::Cpu)?, false))
}

/// A variable's value as float32 numbers (a readback from the GPU).
pub(crate) fn read_f32(v: &Variable) -> Result<Vec<f32>> {
    Ok(v.value().to_vec_f64()?.into_iter().map(|x| x as f32).collect())
}

/// Keras's `divide_no_nan` on float32.
pub(crate) fn div_no_nan(n: f32, d: f32) -> f32 {
    if d == 0.0 {
        0.0
    } else {
        n / d
    }
}

/// A host tensor of `dtype` from float32 values.
pub(crate) fn host_tensor(values: &[f32], dims: &[usize], dtype: DType) -> Result<Tensor> {
    Ok(Tensor::from_cpu(CpuStorage::from_f64(dtype, values.iter().map(|&v| v as f64)), dims, &Device::Cpu)?)
}

/// A result per threshold: a scalar for one threshold (Keras's `result[0]`), else a vector.
fn per_threshold(values: &[f32], dtype: DType) -> Result<Tensor> {
    if values.len() == 1 {
        host_tensor(values, &[], dtype)
    } else {
        host_tensor(values, &[values.len()], dtype)
    }
}

fn scalar_result(class: &'static str, t: &Tensor) -> Result<f64> {
    if t.numel() != 1 {
        return Err(Error::arg(
            class,
            format!(
                "{class}: the result has shape {:?} (one value per threshold); read it with result_tensor()",
                t.dims()
            ),
        ));
    }
    Ok(t.to_vec_f64()?[0])
}

/// Keras's `parse_init_thresholds`: null gives `[default]`, a number `[it]`, a list itself;
/// each must be in [0, 1].
fn parse_thresholds(class: &'static str, v: Option<&Value>, default: f64) -> Result<Vec<f64>> {
    let items: Vec<&Value> = match v {
        None | Some(Value::Null) => return Ok(vec![default]),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(x) => vec![x],
    };
    let mut out = vec![];
    let mut invalid = vec![];
    for it in items {
        match it.as_f64() {
            Some(t) if (0.0..=1.0).contains(&t) => out.push(t),
            Some(_) => invalid.push(it.to_string()),
            None if it.is_null() => invalid.push("None".into()),
            None => {
                return Err(Error::arg(
                    class,
                    format!(
                        "{class}: `thresholds` must be a number or a list of numbers, got {}",
                        v.unwrap_or(&Value::Null)
                    ),
                ))
            }
        }
    }
    if !invalid.is_empty() {
        return Err(Error::arg(
            class,
            format!("{class}: Threshold values must be in [0, 1]. Received: [{}]", invalid.join(", ")),
        ));
    }
    Ok(out)
}

fn opt_usize(class: &'static str, key: &str, v: Option<i64>) -> Result<Option<usize>> {
    match v {
        Some(k) if k < 0 => {
            Err(Error::arg(class, format!("{class}: `{key}` must be a non-negative integer, got {k}")))
        }
        other => Ok(other.map(|k| k as usize)),
    }
}

fn opt_int_json(v: Option<i64>) -> Value {
    v.map_or(Value::Null, Value::from)
}

// ---------------------------------------------------------------------------------------------
// TruePositives, FalsePositives, TrueNegatives, FalseNegatives
// ---------------------------------------------------------------------------------------------

/// Keras's `_ConfusionMatrixConditionCount`: `TruePositives`, `FalsePositives`,
/// `TrueNegatives` and `FalseNegatives(thresholds=None, name=None, dtype=None)`. The result is
/// the weighted count at each threshold (default 0.5): a scalar for one, a vector for a list.
#[derive(Debug)]
pub struct ConditionCount {
    cond: Condition,
    name: String,
    dtype: DType,
    init_thresholds: Value,
    spec: ConfusionSpec,
    accumulator: Variable,
}

impl ConditionCount {
    /// `thresholds`: JSON null, a number or a list of numbers (kept as given for the config).
    pub fn new(cond: Condition, thresholds: Value, name: Option<&str>) -> Result<ConditionCount> {
        let mut config = Map::new();
        config.insert("thresholds".into(), thresholds);
        if let Some(n) = name {
            config.insert("name".into(), Value::from(n));
        }
        Self::from_config(cond, &config)
    }

    pub fn from_config(cond: Condition, config: &Map<String, Value>) -> Result<ConditionCount> {
        let class = cond.class();
        let mut r = ConfigReader::new(class, config);
        let (name, dtype) = read_name_dtype(&mut r, cond.default_name())?;
        let init_thresholds = r.value("thresholds").cloned().unwrap_or(Value::Null);
        r.finish()?;
        let thresholds = parse_thresholds(class, Some(&init_thresholds), 0.5)?;
        let accumulator = accumulator(&name, "accumulator", &[thresholds.len()], dtype)?;
        let spec = ConfusionSpec {
            evenly: evenly_distributed(&thresholds),
            thresholds,
            top_k: None,
            class_id: None,
            multi_label: false,
            label_weights: None,
        };
        Ok(ConditionCount { cond, name, dtype, init_thresholds, spec, accumulator })
    }

    pub fn thresholds(&self) -> &[f64] {
        &self.spec.thresholds
    }
}

impl Metric for ConditionCount {
    fn class_name(&self) -> &'static str {
        self.cond.class()
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = name_dtype_config(&self.name, self.dtype);
        m.insert("thresholds".into(), self.init_thresholds.clone());
        m
    }
    fn variables(&self) -> Vec<Variable> {
        vec![self.accumulator.clone()]
    }
    fn update<'g>(
        &self,
        graph: &'g Graph,
        y_true: Sym<'g>,
        y_pred: Sym<'g>,
        sample_weight: Option<Sym<'g>>,
    ) -> Result<Vec<(Variable, Sym<'g>)>> {
        let vars = [(self.cond, &self.accumulator)];
        update_confusion(self.cond.class(), graph, &self.spec, &vars, y_true, y_pred, sample_weight)
    }
    fn result(&self) -> Result<f64> {
        scalar_result(self.cond.class(), &self.result_tensor()?)
    }
    fn result_tensor(&self) -> Result<Tensor> {
        per_threshold(&read_f32(&self.accumulator)?, self.dtype)
    }
    fn reset(&self) -> Result<()> {
        self.accumulator.assign_zeros()
    }
}

// ---------------------------------------------------------------------------------------------
// Precision, Recall
// ---------------------------------------------------------------------------------------------

/// Which ratio a [`PrecisionRecall`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ratio {
    /// `tp / (tp + fp)`
    Precision,
    /// `tp / (tp + fn)`
    Recall,
}

/// `keras.metrics.Precision` and `Recall(thresholds=None, top_k=None, class_id=None, name=None,
/// dtype=None)`. With `top_k`, only the k largest predictions of the last axis can be positive
/// (and the default threshold is `NEG_INF`); with `class_id`, only that class is counted.
#[derive(Debug)]
pub struct PrecisionRecall {
    ratio: Ratio,
    name: String,
    dtype: DType,
    init_thresholds: Value,
    top_k: Option<i64>,
    class_id: Option<i64>,
    spec: ConfusionSpec,
    true_positives: Variable,
    /// False positives (Precision) or false negatives (Recall).
    other: Variable,
}

impl PrecisionRecall {
    fn class(ratio: Ratio) -> &'static str {
        match ratio {
            Ratio::Precision => "Precision",
            Ratio::Recall => "Recall",
        }
    }

    pub fn new(ratio: Ratio, thresholds: Value, top_k: Option<usize>, class_id: Option<i64>) -> Result<Self> {
        let mut config = Map::new();
        config.insert("thresholds".into(), thresholds);
        config.insert("top_k".into(), top_k.map_or(Value::Null, Value::from));
        config.insert("class_id".into(), opt_int_json(class_id));
        Self::from_config(ratio, &config)
    }

    pub fn from_config(ratio: Ratio, config: &Map<String, Value>) -> Result<Self> {
        let class = Self::class(ratio);
        let mut r = ConfigReader::new(class, config);
        let default_name = match ratio {
            Ratio::Precision => "precision",
            Ratio::Recall => "recall",
        };
        let (name, dtype) = read_name_dtype(&mut r, default_name)?;
        let init_thresholds = r.value("thresholds").cloned().unwrap_or(Value::Null);
        let top_k = r.opt_i64("top_k")?;
        let class_id = r.opt_i64("class_id")?;
        r.finish()?;
        let k = opt_usize(class, "top_k", top_k)?;
        let default = if k.is_none() { 0.5 } else { NEG_INF };
        let thresholds = parse_thresholds(class, Some(&init_thresholds), default)?;
        let n = thresholds.len();
        let other_name = match ratio {
            Ratio::Precision => "false_positives",
            Ratio::Recall => "false_negatives",
        };
        Ok(PrecisionRecall {
            ratio,
            true_positives: accumulator(&name, "true_positives", &[n], dtype)?,
            other: accumulator(&name, other_name, &[n], dtype)?,
            spec: ConfusionSpec {
                evenly: evenly_distributed(&thresholds),
                thresholds,
                top_k: k,
                class_id,
                multi_label: false,
                label_weights: None,
            },
            name,
            dtype,
            init_thresholds,
            top_k,
            class_id,
        })
    }

    pub fn thresholds(&self) -> &[f64] {
        &self.spec.thresholds
    }
}

impl Metric for PrecisionRecall {
    fn class_name(&self) -> &'static str {
        Self::class(self.ratio)
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = name_dtype_config(&self.name, self.dtype);
        m.insert("thresholds".into(), self.init_thresholds.clone());
        m.insert("top_k".into(), opt_int_json(self.top_k));
        m.insert("class_id".into(), opt_int_json(self.class_id));
        m
    }
    fn variables(&self) -> Vec<Variable> {
        vec![self.true_positives.clone(), self.other.clone()]
    }
    fn update<'g>(
        &self,
        graph: &'g Graph,
        y_true: Sym<'g>,
        y_pred: Sym<'g>,
        sample_weight: Option<Sym<'g>>,
    ) -> Result<Vec<(Variable, Sym<'g>)>> {
        let other = match self.ratio {
            Ratio::Precision => Condition::FalsePositives,
            Ratio::Recall => Condition::FalseNegatives,
        };
        let vars = [(Condition::TruePositives, &self.true_positives), (other, &self.other)];
        update_confusion(self.class_name(), graph, &self.spec, &vars, y_true, y_pred, sample_weight)
    }
    fn result(&self) -> Result<f64> {
        scalar_result(self.class_name(), &self.result_tensor()?)
    }
    fn result_tensor(&self) -> Result<Tensor> {
        let tp = read_f32(&self.true_positives)?;
        let other = read_f32(&self.other)?;
        let r: Vec<f32> = tp.iter().zip(&other).map(|(&t, &o)| div_no_nan(t, t + o)).collect();
        per_threshold(&r, self.dtype)
    }
    fn reset(&self) -> Result<()> {
        self.true_positives.assign_zeros()?;
        self.other.assign_zeros()
    }
}

// ---------------------------------------------------------------------------------------------
// SensitivityAtSpecificity, SpecificityAtSensitivity, PrecisionAtRecall, RecallAtPrecision
// ---------------------------------------------------------------------------------------------

/// Which constrained maximum a [`SensitivitySpecificity`] metric is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtKind {
    /// The best sensitivity (recall) where the specificity is `>= specificity`.
    SensitivityAtSpecificity,
    /// The best specificity where the sensitivity is `>= sensitivity`.
    SpecificityAtSensitivity,
    /// The best precision where the recall is `>= recall`.
    PrecisionAtRecall,
    /// The best recall where the precision is `>= precision`.
    RecallAtPrecision,
}

impl AtKind {
    fn class(self) -> &'static str {
        match self {
            AtKind::SensitivityAtSpecificity => "SensitivityAtSpecificity",
            AtKind::SpecificityAtSensitivity => "SpecificityAtSensitivity",
            AtKind::PrecisionAtRecall => "PrecisionAtRecall",
            AtKind::RecallAtPrecision => "RecallAtPrecision",
        }
    }
    fn default_name(self) -> &'static str {
        match self {
            AtKind::SensitivityAtSpecificity => "sensitivity_at_specificity",
            AtKind::SpecificityAtSensitivity => "specificity_at_sensitivity",
            AtKind::PrecisionAtRecall => "precision_at_recall",
            AtKind::RecallAtPrecision => "recall_at_precision",
        }
    }
    /// The config key of the constraint's value.
    fn key(self) -> &'static str {
        match self {
            AtKind::SensitivityAtSpecificity => "specificity",
            AtKind::SpecificityAtSensitivity => "sensitivity",
            AtKind::PrecisionAtRecall => "recall",
            AtKind::RecallAtPrecision => "precision",
        }
    }
}

/// Keras's `SensitivitySpecificityBase` subclasses: `SensitivityAtSpecificity(specificity,
/// num_thresholds=200, class_id=None, name=None, dtype=None)` and the three like it. The state
/// is tp, fp, tn, fn at `num_thresholds` thresholds evenly spaced over [0, 1] (`[0.5]` for one).
#[derive(Debug)]
pub struct SensitivitySpecificity {
    kind: AtKind,
    name: String,
    dtype: DType,
    value: Num,
    num_thresholds: i64,
    class_id: Option<i64>,
    spec: ConfusionSpec,
    /// tp, fp, tn, fn.
    vars: [Variable; 4],
}

impl SensitivitySpecificity {
    pub fn new(kind: AtKind, value: f64, num_thresholds: i64, class_id: Option<i64>) -> Result<Self> {
        let mut config = Map::new();
        config.insert(kind.key().into(), Value::from(value));
        config.insert("num_thresholds".into(), Value::from(num_thresholds));
        config.insert("class_id".into(), opt_int_json(class_id));
        Self::from_config(kind, &config)
    }

    pub fn from_config(kind: AtKind, config: &Map<String, Value>) -> Result<Self> {
        let class = kind.class();
        let mut r = ConfigReader::new(class, config);
        let (name, dtype) = read_name_dtype(&mut r, kind.default_name())?;
        let class_id = r.opt_i64("class_id")?;
        let num_thresholds = r.i64("num_thresholds", 200)?;
        let key = kind.key();
        if r.value(key).is_none_or(Value::is_null) {
            return Err(Error::arg(class, format!("{class}: missing required argument `{key}`")));
        }
        let value = r.num(key, 0.0)?;
        r.finish()?;
        if !(0.0..=1.0).contains(&value.value) {
            return Err(Error::arg(
                class,
                format!(
                    "{class}: Argument `{key}` must be in the range [0, 1]. Received: {key}={}",
                    value.json
                ),
            ));
        }
        if num_thresholds <= 0 {
            return Err(Error::arg(
                class,
                format!("{class}: Argument `num_thresholds` must be an integer > 0. Received: num_thresholds={num_thresholds}"),
            ));
        }
        let (thresholds, evenly) = if num_thresholds == 1 {
            (vec![0.5], false)
        } else {
            let n = num_thresholds as usize;
            let mut t = vec![0.0];
            t.extend((0..n - 2).map(|i| (i + 1) as f64 / (n - 1) as f64));
            t.push(1.0);
            (t, true)
        };
        let n = thresholds.len();
        let vars = [
            accumulator(&name, "true_positives", &[n], dtype)?,
            accumulator(&name, "false_positives", &[n], dtype)?,
            accumulator(&name, "true_negatives", &[n], dtype)?,
            accumulator(&name, "false_negatives", &[n], dtype)?,
        ];
        let spec = ConfusionSpec {
            thresholds,
            evenly,
            top_k: None,
            class_id,
            multi_label: false,
            label_weights: None,
        };
        Ok(SensitivitySpecificity { kind, name, dtype, value, num_thresholds, class_id, spec, vars })
    }
}

impl Metric for SensitivitySpecificity {
    fn class_name(&self) -> &'static str {
        self.kind.class()
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = name_dtype_config(&self.name, self.dtype);
        m.insert("class_id".into(), opt_int_json(self.class_id));
        m.insert("num_thresholds".into(), Value::from(self.num_thresholds));
        m.insert(self.kind.key().into(), self.value.json.clone());
        m
    }
    fn variables(&self) -> Vec<Variable> {
        self.vars.to_vec()
    }
    fn update<'g>(
        &self,
        graph: &'g Graph,
        y_true: Sym<'g>,
        y_pred: Sym<'g>,
        sample_weight: Option<Sym<'g>>,
    ) -> Result<Vec<(Variable, Sym<'g>)>> {
        let [tp, fp, tn, fn_] = &self.vars;
        let vars = [
            (Condition::TruePositives, tp),
            (Condition::TrueNegatives, tn),
            (Condition::FalsePositives, fp),
            (Condition::FalseNegatives, fn_),
        ];
        update_confusion(self.class_name(), graph, &self.spec, &vars, y_true, y_pred, sample_weight)
    }
    fn result(&self) -> Result<f64> {
        let [tp, fp, tn, fn_] = &self.vars;
        let (tp, fp, tn, fn_) = (read_f32(tp)?, read_f32(fp)?, read_f32(tn)?, read_f32(fn_)?);
        let value = self.value.value as f32;
        // `_find_max_under_constraint`: max(where(constrained >= value, dependent, 0), initial=0).
        let mut best = 0f32;
        for i in 0..tp.len() {
            let recall = div_no_nan(tp[i], tp[i] + fn_[i]);
            let specificity = div_no_nan(tn[i], tn[i] + fp[i]);
            let precision = div_no_nan(tp[i], tp[i] + fp[i]);
            let (constrained, dependent) = match self.kind {
                AtKind::SensitivityAtSpecificity => (specificity, recall),
                AtKind::SpecificityAtSensitivity => (recall, specificity),
                AtKind::PrecisionAtRecall => (recall, precision),
                AtKind::RecallAtPrecision => (precision, recall),
            };
            let v = if constrained >= value { dependent } else { 0.0 };
            best = best.max(v);
        }
        Ok(best as f64)
    }
    fn result_tensor(&self) -> Result<Tensor> {
        host_tensor(&[self.result()? as f32], &[], self.dtype)
    }
    fn reset(&self) -> Result<()> {
        self.vars.iter().try_for_each(Variable::assign_zeros)
    }
}

// ---------------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------------

/// The classes of this file (Keras's `confusion_metrics.py`, less `AUC`: auc.rs).
pub(crate) const CLASSES: &[&str] = &[
    "TruePositives",
    "FalsePositives",
    "TrueNegatives",
    "FalseNegatives",
    "Precision",
    "Recall",
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
    "PrecisionAtRecall",
    "RecallAtPrecision",
];

pub(crate) fn from_config(class_name: &str, config: &Map<String, Value>) -> Result<Box<dyn Metric>> {
    Ok(match class_name {
        "TruePositives" => Box::new(ConditionCount::from_config(Condition::TruePositives, config)?),
        "FalsePositives" => Box::new(ConditionCount::from_config(Condition::FalsePositives, config)?),
        "TrueNegatives" => Box::new(ConditionCount::from_config(Condition::TrueNegatives, config)?),
        "FalseNegatives" => Box::new(ConditionCount::from_config(Condition::FalseNegatives, config)?),
        "Precision" => Box::new(PrecisionRecall::from_config(Ratio::Precision, config)?),
        "Recall" => Box::new(PrecisionRecall::from_config(Ratio::Recall, config)?),
        "SensitivityAtSpecificity" => {
            Box::new(SensitivitySpecificity::from_config(AtKind::SensitivityAtSpecificity, config)?)
        }
        "SpecificityAtSensitivity" => {
            Box::new(SensitivitySpecificity::from_config(AtKind::SpecificityAtSensitivity, config)?)
        }
        "PrecisionAtRecall" => {
            Box::new(SensitivitySpecificity::from_config(AtKind::PrecisionAtRecall, config)?)
        }
        "RecallAtPrecision" => {
            Box::new(SensitivitySpecificity::from_config(AtKind::RecallAtPrecision, config)?)
        }
        other => return Err(Error::arg("metrics.get", format!("{other:?} is not a confusion metric"))),
    })
}
