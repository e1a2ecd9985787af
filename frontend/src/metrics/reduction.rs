//! `keras.metrics.Mean` and the weighted-mean state shared by the accuracy metrics (Keras's
//! `MeanMetricWrapper`).

use serde_json::{Map, Value};
use wgkeras_runtime::{ops, DType, Device, Tensor};

use super::functions::{function_name, serialize_function, MetricFn, FUNCTION_KWARGS};
use super::Metric;
use crate::error::{Error, Result};
use crate::graph::{shape_str, Graph, Sym};
use crate::losses::{squeeze_or_expand_to_same_rank, ConfigReader};
use crate::variable::Variable;

/// The state of a weighted mean: `total` and `count`, scalar variables of the metric's dtype,
/// created on the CPU.
#[derive(Clone, Debug)]
pub struct MeanState {
    pub total: Variable,
    pub count: Variable,
    pub dtype: DType,
}

impl MeanState {
    /// Zeroed `total` and `count` named `<name>/total`, `<name>/count`.
    pub fn new(name: &str, dtype: DType) -> Result<MeanState> {
        let zero = || ops::zeros(&[], dtype, &Device::Cpu);
        Ok(MeanState {
            total: Variable::new(format!("{name}/total"), zero()?, false),
            count: Variable::new(format!("{name}/count"), zero()?, false),
            dtype,
        })
    }

    pub fn variables(&self) -> Vec<Variable> {
        vec![self.total.clone(), self.count.clone()]
    }

    /// Keras's `Mean.update_state(values, sample_weight)` as new variable values:
    /// `total += sum(values)`, `count += sum(weights)` (or the number of samples).
    pub fn update<'g>(
        &self,
        class: &'static str,
        graph: &'g Graph,
        values: Sym<'g>,
        sample_weight: Option<Sym<'g>>,
    ) -> Result<Vec<(Variable, Sym<'g>)>> {
        let (values, sw) = reduce_to_samplewise_values(class, values, sample_weight, self.dtype)?;
        let total = graph.variable(&self.total);
        let count = graph.variable(&self.count);
        let n = match sw {
            Some(w) => w.sum_all()?,
            None if values.rank() >= 1 => values.size(&[0])?.cast(self.dtype)?,
            None => values.scalar_like(1.0)?,
        };
        let new_total = total.add(values.sum_all()?)?;
        let new_count = count.add(n)?;
        Ok(vec![(self.total.clone(), new_total), (self.count.clone(), new_count)])
    }

    /// `divide_no_nan(total, count)`.
    pub fn result(&self) -> Result<f64> {
        let t = self.total.value().item()?;
        let c = self.count.value().item()?;
        Ok(if c == 0.0 { 0.0 } else { t / c })
    }

    /// Zeros `total` and `count` (on the device where they are).
    pub fn reset(&self) -> Result<()> {
        self.total.assign_zeros()?;
        self.count.assign_zeros()
    }
}

/// Keras's `reduce_to_samplewise_values(values, sample_weight, reduce_fn=mean)`: the weight
/// matched to the values' rank (one trailing axis squeezed or expanded), the values averaged down
/// to the weight's rank and multiplied by it, then both averaged to one value per sample.
pub fn reduce_to_samplewise_values<'g>(
    class: &'static str,
    values: Sym<'g>,
    sample_weight: Option<Sym<'g>>,
    dtype: DType,
) -> Result<(Sym<'g>, Option<Sym<'g>>)> {
    reduce_samplewise(class, values, sample_weight, dtype, false)
}

/// [`reduce_to_samplewise_values`] with `reduce_fn` a sum (`sum`, as [`Sum`] uses it) or a
/// mean.
fn reduce_samplewise<'g>(
    class: &'static str,
    values: Sym<'g>,
    sample_weight: Option<Sym<'g>>,
    dtype: DType,
    sum: bool,
) -> Result<(Sym<'g>, Option<Sym<'g>>)> {
    let reduce = |x: Sym<'g>, axes: &[i64]| if sum { x.sum(axes, false) } else { x.mean(axes, false) };
    let mut values = values.cast(dtype)?;
    let mut sw_out = None;
    if let Some(w) = sample_weight {
        let w = w.cast(dtype)?;
        let (v, mut w) = squeeze_or_expand_to_same_rank(values, w)?;
        values = v;
        let (wn, vn) = (w.rank(), values.rank());
        if vn > wn {
            let axes: Vec<i64> = (wn as i64..vn as i64).collect();
            values = reduce(values, &axes)?;
        }
        let fits = {
            let (ws, vs) = (w.shape(), values.shape());
            ws.len() <= vs.len()
                && ws
                    .iter()
                    .rev()
                    .zip(vs.iter().rev())
                    .all(|(a, b)| *a == Some(1) || a.is_none() || b.is_none() || a == b)
        };
        if !fits {
            return Err(Error::arg(
                class,
                format!(
                    "{class}: `sample_weight` of shape {} cannot be broadcast to the per-sample values of shape {}",
                    shape_str(&w.shape()),
                    shape_str(&values.shape())
                ),
            ));
        }
        w = w.broadcast_like(values)?;
        values = values.mul(w)?;
        if wn > 1 {
            let axes: Vec<i64> = (1..wn as i64).collect();
            w = reduce(w, &axes)?;
        }
        sw_out = Some(w);
    }
    let vn = values.rank();
    if vn > 1 {
        let axes: Vec<i64> = (1..vn as i64).collect();
        values = reduce(values, &axes)?;
    }
    Ok((values, sw_out))
}

/// Reads `name` and `dtype` from a metric config.
pub(crate) fn read_name_dtype(r: &mut ConfigReader<'_>, default_name: &str) -> Result<(String, DType)> {
    Ok((r.string("name", default_name)?, r.dtype("dtype")?))
}

/// `{"name", "dtype"}` as Keras's metric configs start.
pub(crate) fn name_dtype_config(name: &str, dtype: DType) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("name".into(), Value::from(name));
    m.insert("dtype".into(), Value::from(dtype.name()));
    m
}

/// What a [`MeanMetric`] averages: Keras's class and default name, the per-sample values, and
/// the config keys beyond `name` and `dtype`.
pub trait MeanMetricKind: Clone + std::fmt::Debug + Default + Send + Sync {
    /// Keras's class name.
    const CLASS: &'static str;
    /// Keras's default `name`.
    const DEFAULT_NAME: &'static str;
    /// The per-sample values whose weighted mean the metric is.
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>>;
    /// The values and the Keras mask they carry (only `sparse_categorical_crossentropy` with
    /// `ignore_class` sets one); none by default.
    fn masked_values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<(Sym<'g>, Option<Sym<'g>>)> {
        Ok((self.values(y_true, y_pred)?, None))
    }
    /// `result()` from the weighted mean (the mean itself by default; its square root for
    /// `RootMeanSquaredError`).
    fn finish(&self, mean: f64) -> f64 {
        mean
    }
    /// Reads the kind's own config keys (none by default).
    fn read_config(_r: &mut ConfigReader<'_>) -> Result<Self> {
        Ok(Self::default())
    }
    /// Writes the kind's own config keys after `name` and `dtype` (none by default).
    fn write_config(&self, _config: &mut Map<String, Value>) {}
}

/// A weighted mean of per-sample values (Keras's `Mean` and `MeanMetricWrapper`); the kind `K`
/// says which values: [`Mean`], [`Accuracy`](super::Accuracy),
/// [`BinaryAccuracy`](super::BinaryAccuracy), [`CategoricalAccuracy`](super::CategoricalAccuracy)
/// and [`SparseCategoricalAccuracy`](super::SparseCategoricalAccuracy) are this struct.
#[derive(Clone, Debug)]
pub struct MeanMetric<K> {
    name: String,
    state: MeanState,
    kind: K,
}

impl<K: MeanMetricKind> MeanMetric<K> {
    /// Named `name`, with a zeroed float32 state.
    pub fn with_kind(name: &str, kind: K) -> Result<Self> {
        Ok(MeanMetric { name: name.to_string(), state: MeanState::new(name, DType::F32)?, kind })
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Self> {
        let mut r = ConfigReader::new(K::CLASS, config);
        let (name, dtype) = read_name_dtype(&mut r, K::DEFAULT_NAME)?;
        let kind = K::read_config(&mut r)?;
        r.finish()?;
        Ok(MeanMetric { state: MeanState::new(&name, dtype)?, name, kind })
    }

    pub fn state(&self) -> &MeanState {
        &self.state
    }

    pub(crate) fn kind(&self) -> &K {
        &self.kind
    }
}

impl<K: MeanMetricKind> Default for MeanMetric<K> {
    fn default() -> Self {
        Self::with_kind(K::DEFAULT_NAME, K::default()).expect("CPU zeros")
    }
}

impl<K: MeanMetricKind> Metric for MeanMetric<K> {
    fn class_name(&self) -> &'static str {
        K::CLASS
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = name_dtype_config(&self.name, self.state.dtype);
        self.kind.write_config(&mut m);
        m
    }
    fn variables(&self) -> Vec<Variable> {
        self.state.variables()
    }
    fn update<'g>(
        &self,
        graph: &'g Graph,
        y_true: Sym<'g>,
        y_pred: Sym<'g>,
        sample_weight: Option<Sym<'g>>,
    ) -> Result<Vec<(Variable, Sym<'g>)>> {
        let (values, mask) = self.kind.masked_values(y_true, y_pred)?;
        // Keras's `reduce_to_samplewise_values` folds the values' mask into the sample weight
        // (`apply_mask(.., reduction="sum")`) only when there is a sample weight.
        let sample_weight = match (mask, sample_weight) {
            (Some(m), Some(w)) => {
                let (m, w) =
                    squeeze_or_expand_to_same_rank(m.cast(self.state.dtype)?, w.cast(self.state.dtype)?)?;
                Some(w.mul(m)?)
            }
            (_, w) => w,
        };
        self.state.update(K::CLASS, graph, values, sample_weight)
    }
    fn result(&self) -> Result<f64> {
        Ok(self.kind.finish(self.state.result()?))
    }
    fn reset(&self) -> Result<()> {
        self.state.reset()
    }
}

/// The kind of [`Mean`]: the values themselves (`y_pred` through [`Metric::update`]; `y_true`
/// is ignored).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GivenValues;

impl MeanMetricKind for GivenValues {
    const CLASS: &'static str = "Mean";
    const DEFAULT_NAME: &'static str = "mean";
    fn values<'g>(&self, _y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        Ok(y_pred)
    }
}

/// `keras.metrics.Mean(name="mean", dtype=None)`: the weighted mean of the values given to
/// `update_state`. Through [`Metric::update`] the values are `y_pred` (`y_true` is ignored);
/// [`Mean::update_values`] takes them directly. A model's loss tracker is a `Mean` updated with
/// the batch loss and the batch size as weight.
pub type Mean = MeanMetric<GivenValues>;

impl Mean {
    pub fn new(name: &str) -> Result<Mean> {
        Self::with_kind(name, GivenValues)
    }

    /// `update_state(values, sample_weight)` as new variable values.
    pub fn update_values<'g>(
        &self,
        graph: &'g Graph,
        values: Sym<'g>,
        sample_weight: Option<Sym<'g>>,
    ) -> Result<Vec<(Variable, Sym<'g>)>> {
        self.state.update(GivenValues::CLASS, graph, values, sample_weight)
    }

    /// Eager `update_state(values, sample_weight)` on tensors.
    pub fn update_state_values(&self, values: &Tensor, sample_weight: Option<&Tensor>) -> Result<()> {
        super::update_state(self, None, values, sample_weight)
    }
}

// ---------------------------------------------------------------------------------------------
// Sum
// ---------------------------------------------------------------------------------------------

/// `keras.metrics.Sum(name="sum", dtype=None)`: the weighted sum of the values given to
/// `update_state` (one variable, `total`). Through [`Metric::update`] the values are `y_pred`
/// (`y_true` is ignored).
#[derive(Clone, Debug)]
pub struct Sum {
    name: String,
    total: Variable,
    dtype: DType,
}

impl Sum {
    pub fn new(name: &str) -> Result<Sum> {
        Self::with_dtype(name, DType::F32)
    }

    fn with_dtype(name: &str, dtype: DType) -> Result<Sum> {
        let total = Variable::new(format!("{name}/total"), ops::zeros(&[], dtype, &Device::Cpu)?, false);
        Ok(Sum { name: name.to_string(), total, dtype })
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Sum> {
        let mut r = ConfigReader::new("Sum", config);
        let (name, dtype) = read_name_dtype(&mut r, "sum")?;
        r.finish()?;
        Self::with_dtype(&name, dtype)
    }

    /// `update_state(values, sample_weight)` as the new `total`.
    pub fn update_values<'g>(
        &self,
        graph: &'g Graph,
        values: Sym<'g>,
        sample_weight: Option<Sym<'g>>,
    ) -> Result<Vec<(Variable, Sym<'g>)>> {
        let (values, _) = reduce_samplewise("Sum", values, sample_weight, self.dtype, true)?;
        let total = graph.variable(&self.total).add(values.sum_all()?)?;
        Ok(vec![(self.total.clone(), total)])
    }

    /// Eager `update_state(values, sample_weight)` on tensors.
    pub fn update_state_values(&self, values: &Tensor, sample_weight: Option<&Tensor>) -> Result<()> {
        super::update_state(self, None, values, sample_weight)
    }
}

impl Metric for Sum {
    fn class_name(&self) -> &'static str {
        "Sum"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn config(&self) -> Map<String, Value> {
        name_dtype_config(&self.name, self.dtype)
    }
    fn variables(&self) -> Vec<Variable> {
        vec![self.total.clone()]
    }
    fn update<'g>(
        &self,
        graph: &'g Graph,
        _y_true: Sym<'g>,
        y_pred: Sym<'g>,
        sample_weight: Option<Sym<'g>>,
    ) -> Result<Vec<(Variable, Sym<'g>)>> {
        self.update_values(graph, y_pred, sample_weight)
    }
    fn result(&self) -> Result<f64> {
        Ok(self.total.value().item()?)
    }
    fn reset(&self) -> Result<()> {
        self.total.assign_zeros()
    }
}

// ---------------------------------------------------------------------------------------------
// MeanMetricWrapper
// ---------------------------------------------------------------------------------------------

/// The kind of [`MeanMetricWrapper`]: a Keras function by name with its keyword arguments.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WrappedFn {
    /// The function's name and parsed arguments (`None` only in `Default`, whose updates fail:
    /// Keras's `MeanMetricWrapper` needs `fn`).
    function: Option<(String, MetricFn)>,
    /// The keyword arguments as given (written back by `get_config`).
    kwargs: Map<String, Value>,
}

impl WrappedFn {
    pub fn new(name: &str, kwargs: Map<String, Value>) -> Result<WrappedFn> {
        let f = MetricFn::parse(name, &kwargs)?;
        Ok(WrappedFn { function: Some((name.to_string(), f)), kwargs })
    }

    /// The wrapped function's name.
    pub fn function_name(&self) -> Option<&str> {
        self.function.as_ref().map(|(n, _)| n.as_str())
    }
}

impl MeanMetricKind for WrappedFn {
    const CLASS: &'static str = "MeanMetricWrapper";
    const DEFAULT_NAME: &'static str = "mean_metric_wrapper";
    fn values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        Ok(self.masked_values(y_true, y_pred)?.0)
    }
    fn masked_values<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<(Sym<'g>, Option<Sym<'g>>)> {
        match &self.function {
            Some((_, f)) => f.call(y_true, y_pred),
            None => Err(Error::arg(Self::CLASS, "MeanMetricWrapper: no function `fn` to wrap")),
        }
    }
    fn read_config(r: &mut ConfigReader<'_>) -> Result<Self> {
        let name = match r.value("fn") {
            Some(v) => function_name(v)?,
            None => return Err(Error::arg(Self::CLASS, "MeanMetricWrapper: the config needs `fn`")),
        };
        let mut kwargs = Map::new();
        for key in FUNCTION_KWARGS {
            if let Some(v) = r.value(key) {
                kwargs.insert(key.to_string(), v.clone());
            }
        }
        WrappedFn::new(&name, kwargs)
    }
    fn write_config(&self, config: &mut Map<String, Value>) {
        if let Some((name, _)) = &self.function {
            config.insert("fn".into(), serialize_function(name));
        }
        for (k, v) in &self.kwargs {
            config.insert(k.clone(), v.clone());
        }
    }
}

/// `keras.metrics.MeanMetricWrapper(fn, name=None, dtype=None, **kwargs)`: the weighted mean of
/// a Keras function's per-sample values (`fn` by name, see
/// [`METRIC_FUNCTIONS`](super::METRIC_FUNCTIONS); `kwargs` are its keyword arguments). Keras's
/// default name comes from `auto_name` (`"mean_metric_wrapper"`, then `_1`, ...); here it is
/// always `"mean_metric_wrapper"`.
pub type MeanMetricWrapper = MeanMetric<WrappedFn>;

impl MeanMetricWrapper {
    pub fn new(function: &str, name: Option<&str>, kwargs: Map<String, Value>) -> Result<Self> {
        Self::with_kind(name.unwrap_or(WrappedFn::DEFAULT_NAME), WrappedFn::new(function, kwargs)?)
    }
}

/// The classes of this file (Keras's `reduction_metrics.py`).
pub(crate) const CLASSES: &[&str] = &["Mean", "Sum", "MeanMetricWrapper"];

pub(crate) fn from_config(class_name: &str, config: &Map<String, Value>) -> Result<Box<dyn Metric>> {
    match class_name {
        "Mean" => Ok(Box::new(Mean::from_config(config)?)),
        "Sum" => Ok(Box::new(Sum::from_config(config)?)),
        "MeanMetricWrapper" => Ok(Box::new(MeanMetricWrapper::from_config(config)?)),
        other => Err(Error::arg("metrics.get", format!("{other:?} is not a reduction metric"))),
    }
}
