//! `keras.metrics.Mean` and the weighted-mean state shared by the accuracy metrics (Keras's
//! `MeanMetricWrapper`).

use serde_json::{Map, Value};
use wgkeras_runtime::{ops, DType, Device, Tensor};

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
    let mut values = values.cast(dtype)?;
    let mut sw_out = None;
    if let Some(w) = sample_weight {
        let w = w.cast(dtype)?;
        let (v, mut w) = squeeze_or_expand_to_same_rank(values, w)?;
        values = v;
        let (wn, vn) = (w.rank(), values.rank());
        if vn > wn {
            let axes: Vec<i64> = (wn as i64..vn as i64).collect();
            values = values.mean(&axes, false)?;
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
            w = w.mean(&axes, false)?;
        }
        sw_out = Some(w);
    }
    let vn = values.rank();
    if vn > 1 {
        let axes: Vec<i64> = (1..vn as i64).collect();
        values = values.mean(&axes, false)?;
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

/// `keras.metrics.Mean(name="mean", dtype=None)`: the weighted mean of the values given to
/// `update_state`. Through [`Metric::update`] the values are `y_pred` (`y_true` is ignored);
/// [`Mean::update_values`] takes them directly. A model's loss tracker is a `Mean` updated with
/// the batch loss and the batch size as weight.
#[derive(Clone, Debug)]
pub struct Mean {
    name: String,
    state: MeanState,
}

impl Mean {
    pub fn new(name: &str) -> Result<Mean> {
        Ok(Mean { name: name.to_string(), state: MeanState::new(name, DType::F32)? })
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Mean> {
        let mut r = ConfigReader::new("Mean", config);
        let (name, dtype) = read_name_dtype(&mut r, "mean")?;
        r.finish()?;
        Ok(Mean { state: MeanState::new(&name, dtype)?, name })
    }

    pub fn state(&self) -> &MeanState {
        &self.state
    }

    /// `update_state(values, sample_weight)` as new variable values.
    pub fn update_values<'g>(
        &self,
        graph: &'g Graph,
        values: Sym<'g>,
        sample_weight: Option<Sym<'g>>,
    ) -> Result<Vec<(Variable, Sym<'g>)>> {
        self.state.update("Mean", graph, values, sample_weight)
    }

    /// Eager `update_state(values, sample_weight)` on tensors.
    pub fn update_state_values(&self, values: &Tensor, sample_weight: Option<&Tensor>) -> Result<()> {
        super::update_state(self, None, values, sample_weight)
    }
}

impl Metric for Mean {
    fn class_name(&self) -> &'static str {
        "Mean"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn config(&self) -> Map<String, Value> {
        name_dtype_config(&self.name, self.state.dtype)
    }
    fn variables(&self) -> Vec<Variable> {
        self.state.variables()
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
        self.state.result()
    }
    fn reset(&self) -> Result<()> {
        self.state.reset()
    }
}
