//! The training loop: `compile`, `fit`, `evaluate`, `predict` and the `*_on_batch` calls.
//!
//! A train step (forward, loss, backward, optimizer update, loss and metric accumulation) is one
//! graph compiled to one [`Plan`] per batch size and recorded: on the GPU it runs as one queue
//! submit with no readback. The loss and metrics accumulate in variables on the device and are
//! read only when the progress bar, a callback or the epoch's end needs them.

mod loops;

pub use loops::{EvaluateArgs, PredictArgs};

use std::collections::HashMap;

use serde_json::Value;
use wgkeras_runtime::{ops, DType, Device, Tensor};

use crate::callbacks::{Callback, Logs};
use crate::error::{Error, Result};
use crate::graph::plan::{PlanOptions, Recorded};
use crate::graph::{autodiff, static_shape, Graph, NodeId, Plan, Shape, Sym};
use crate::layers::CallContext;
use crate::losses::{self, Loss};
use crate::metrics::{self, Metric};
use crate::models::Model;
use crate::optimizers::{self, Optimizer};
use crate::variable::Variable;

/// `model.compile(...)`'s arguments. Identifiers are strings (`"adam"`) or Keras serialized
/// objects; objects built in Rust are given with [`CompileArgs::optimizer_object`] and
/// [`CompileArgs::loss_objects`].
pub struct CompileArgs {
    optimizer: Option<Box<dyn Optimizer>>,
    optimizer_id: Option<Value>,
    losses: Vec<Box<dyn Loss>>,
    loss_ids: Vec<Value>,
    metrics: Vec<String>,
    loss_weights: Option<Vec<f64>>,
    device: Option<Device>,
    fuse: bool,
    /// Set by `predict` on a model the user never compiled: a forward-only setup that
    /// `optimizer()`, `compile_config()` and saving do not report.
    implicit: bool,
}

impl CompileArgs {
    /// `compile(optimizer=..., loss=...)` with identifiers (one loss for every output).
    pub fn new(optimizer: impl Into<Value>, loss: impl Into<Value>) -> CompileArgs {
        CompileArgs {
            optimizer: None,
            optimizer_id: Some(optimizer.into()),
            losses: vec![],
            loss_ids: vec![loss.into()],
            metrics: vec![],
            loss_weights: None,
            device: None,
            fuse: true,
            implicit: false,
        }
    }

    /// Without a loss: `fit` and `evaluate` then refuse to run.
    pub fn without_loss(optimizer: impl Into<Value>) -> CompileArgs {
        let mut a = CompileArgs::new(optimizer, Value::Null);
        a.loss_ids.clear();
        a
    }

    pub fn optimizer_object(mut self, optimizer: Box<dyn Optimizer>) -> Self {
        self.optimizer = Some(optimizer);
        self.optimizer_id = None;
        self
    }

    /// One loss per output (or one for all).
    pub fn losses(mut self, ids: Vec<Value>) -> Self {
        self.loss_ids = ids;
        self
    }

    pub fn loss_objects(mut self, losses: Vec<Box<dyn Loss>>) -> Self {
        self.losses = losses;
        self.loss_ids.clear();
        self
    }

    /// Metric identifiers (`"accuracy"`, `"mae"`, ...), applied to every output.
    pub fn metrics(mut self, names: &[&str]) -> Self {
        self.metrics = names.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn loss_weights(mut self, weights: Vec<f64>) -> Self {
        self.loss_weights = Some(weights);
        self
    }

    /// Where to train (default: `Device::auto()`, which honours `WGKERAS_DEVICE`).
    pub fn device(mut self, device: Device) -> Self {
        self.device = Some(device);
        self
    }

    /// The forward-only setup `predict` makes for a model that was never compiled.
    pub(crate) fn implicit_for_predict(device: Device) -> CompileArgs {
        let mut a = CompileArgs::without_loss("sgd").device(device);
        a.implicit = true;
        a
    }

    /// Whether the compiler fuses kernels (default true; off is for debugging).
    pub fn fuse(mut self, fuse: bool) -> Self {
        self.fuse = fuse;
        self
    }
}

/// `fit`'s arguments, with Keras's defaults.
pub struct FitArgs<'a> {
    pub batch_size: usize,
    pub epochs: usize,
    pub verbose: u8,
    pub validation_split: f64,
    pub validation_data: Option<(Vec<Tensor>, Vec<Tensor>)>,
    pub shuffle: bool,
    pub class_weight: Option<HashMap<usize, f64>>,
    pub sample_weight: Option<Tensor>,
    pub initial_epoch: usize,
    pub steps_per_epoch: Option<usize>,
    pub callbacks: Vec<&'a mut dyn Callback>,
}

impl Default for FitArgs<'_> {
    fn default() -> Self {
        FitArgs {
            batch_size: 32,
            epochs: 1,
            verbose: 1,
            validation_split: 0.0,
            validation_data: None,
            shuffle: true,
            class_weight: None,
            sample_weight: None,
            initial_epoch: 0,
            steps_per_epoch: None,
            callbacks: vec![],
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) enum Mode {
    Train,
    Test,
    Predict,
}

/// The running mean of the loss over the epoch, weighted by batch size (Keras's loss tracker).
struct LossTracker {
    total: Variable,
    count: Variable,
}

/// What `compile` set up.
pub(crate) struct Compiled {
    pub(crate) optimizer: Box<dyn Optimizer>,
    losses: Vec<Box<dyn Loss>>,
    loss_weights: Vec<f64>,
    metric_ids: Vec<String>,
    /// Resolved on the first batch (`"accuracy"` depends on the shapes): (log name, output, metric).
    metrics: Option<Vec<(String, usize, Box<dyn Metric>)>>,
    tracker: LossTracker,
    /// For models of several outputs, each output's (weighted) loss: (`<output>_loss`, tracker).
    output_trackers: Vec<(String, LossTracker)>,
    fuse: bool,
    /// Made by `predict` on an uncompiled model (see [`CompileArgs`]).
    implicit: bool,
    /// Recorded steps by (mode, batch size, with sample weights).
    plans: HashMap<(Mode, usize, bool), Recorded>,
}

impl Compiled {
    pub(crate) fn reset_plans(&mut self) {
        self.plans.clear();
    }

    /// The optimizer's, the loss tracker's and the metrics' variables.
    pub(crate) fn state_variables(&self) -> Vec<Variable> {
        let mut v = self.optimizer.variables();
        for t in std::iter::once(&self.tracker).chain(self.output_trackers.iter().map(|(_, t)| t)) {
            v.push(t.total.clone());
            v.push(t.count.clone());
        }
        for (_, _, m) in self.metrics.iter().flatten() {
            v.extend(m.variables());
        }
        v
    }
}

fn scalar_var(name: &str, device: &Device) -> Result<Variable> {
    Ok(Variable::new(name, ops::zeros(&[], DType::F32, device)?, false))
}

/// Read one f32 scalar variable.
fn read_scalar(v: &Variable) -> Result<f64> {
    Ok(v.value().to_vec_f64()?[0])
}

/// The batch-major arrays of `fit`/`evaluate`/`predict`: one host tensor per model input or output.
pub struct Arrays(pub Vec<Tensor>);

impl From<Tensor> for Arrays {
    fn from(t: Tensor) -> Arrays {
        Arrays(vec![t])
    }
}
impl From<&Tensor> for Arrays {
    fn from(t: &Tensor) -> Arrays {
        Arrays(vec![t.clone()])
    }
}
impl From<Vec<Tensor>> for Arrays {
    fn from(t: Vec<Tensor>) -> Arrays {
        Arrays(t)
    }
}
impl From<&[Tensor]> for Arrays {
    fn from(t: &[Tensor]) -> Arrays {
        Arrays(t.to_vec())
    }
}

/// Rows `idx` of every array, on the host.
pub(super) fn gather_rows(arrays: &[Tensor], idx: &[usize]) -> Result<Vec<Tensor>> {
    let ids =
        Tensor::from_vec(idx.iter().map(|&i| i as i32).collect::<Vec<i32>>(), &[idx.len()], &Device::Cpu)?;
    arrays.iter().map(|a| Ok(ops::take(a, &ids, Some(0))?)).collect()
}

pub(super) fn rows(op: &'static str, what: &str, arrays: &[Tensor]) -> Result<usize> {
    let n = arrays.first().map(|a| a.dims().first().copied().unwrap_or(0)).unwrap_or(0);
    for (k, a) in arrays.iter().enumerate() {
        if a.rank() == 0 || a.dims()[0] != n {
            return Err(Error::arg(
                op,
                format!("all {what} arrays must have the same number of samples: array 0 has {n}, array {k} has shape {:?}", a.dims()),
            ));
        }
    }
    Ok(n)
}

impl Model {
    /// `model.compile(optimizer, loss, metrics, loss_weights)`.
    pub fn compile(&mut self, args: CompileArgs) -> Result<()> {
        let optimizer = match (args.optimizer, args.optimizer_id) {
            (Some(o), _) => o,
            (None, Some(id)) => optimizers::get(&id)?,
            (None, None) => return Err(Error::arg("Model.compile", "an optimizer is required")),
        };
        let mut losses = args.losses;
        for id in &args.loss_ids {
            if id.is_null() {
                continue;
            }
            losses.push(losses::get(id)?);
        }
        let device = args.device.unwrap_or_else(Device::auto);
        let tracker = LossTracker {
            total: scalar_var("loss/total", &device)?,
            count: scalar_var("loss/count", &device)?,
        };
        let n_out = self.outputs.len().max(1);
        let loss_weights = match args.loss_weights {
            None => vec![1.0; n_out],
            Some(w) if w.len() == n_out => w,
            Some(w) => {
                return Err(Error::arg(
                    "Model.compile",
                    format!("loss_weights has {} entries, the model has {n_out} outputs", w.len()),
                ))
            }
        };
        if losses.len() > 1 && losses.len() != n_out {
            return Err(Error::arg(
                "Model.compile",
                format!("{} losses were given for a model with {n_out} outputs", losses.len()),
            ));
        }
        self.compiled = Some(Compiled {
            optimizer,
            losses,
            loss_weights,
            metric_ids: args.metrics,
            metrics: None,
            tracker,
            output_trackers: vec![],
            fuse: args.fuse,
            implicit: args.implicit,
            plans: HashMap::new(),
        });
        self.to_device(&device)
    }

    fn compiled_mut(&mut self, op: &'static str) -> Result<&mut Compiled> {
        self.compiled
            .as_mut()
            .filter(|c| !c.implicit)
            .ok_or_else(|| Error::arg(op, "you must call compile() before using the model"))
    }

    /// Builds a Sequential model without input from the data, checks the arrays against the
    /// model's inputs and outputs, and resolves the metrics.
    fn prepare(&mut self, op: &'static str, x: &[Tensor], y: Option<&[Tensor]>) -> Result<usize> {
        if !self.is_built() && self.is_sequential() {
            let first = x.first().ok_or_else(|| Error::arg(op, "x is empty"))?;
            let mut s: Shape = vec![None];
            s.extend(first.dims()[1..].iter().map(|&d| Some(d)));
            let dtype = if first.dtype().is_float() { DType::F32 } else { first.dtype() };
            self.set_input_batch_shape(s, dtype, None)?;
            let device = self.device.clone();
            self.to_device(&device)?;
        }
        if !self.is_built() {
            return Err(Error::arg(op, format!("model {:?} has no layers", self.name)));
        }
        if x.len() != self.inputs.len() {
            return Err(Error::arg(
                op,
                format!("model {:?} expects {} inputs, got {} arrays", self.name, self.inputs.len(), x.len()),
            ));
        }
        for (k, (a, inp)) in x.iter().zip(&self.inputs).enumerate() {
            let ok = a.rank() == inp.shape.len()
                && a.dims().iter().zip(&inp.shape).skip(1).all(|(&d, s)| s.is_none_or(|s| s == d));
            if !ok {
                let name = match &inp.origin {
                    super::Origin::Input { name } => name.clone(),
                    _ => format!("input {k}"),
                };
                return Err(Error::arg(
                    op,
                    format!(
                        "input {name:?} of model {:?} expects shape {}, got data of shape {:?}",
                        self.name,
                        crate::graph::shape_str(&inp.shape),
                        a.dims()
                    ),
                ));
            }
        }
        let n = rows(op, "x", x)?;
        if let Some(y) = y {
            if y.len() != self.outputs.len() {
                return Err(Error::arg(
                    op,
                    format!(
                        "model {:?} has {} outputs, got {} target arrays",
                        self.name,
                        self.outputs.len(),
                        y.len()
                    ),
                ));
            }
            let ny = rows(op, "y", y)?;
            if ny != n {
                return Err(Error::arg(
                    op,
                    format!("x and y have different lengths: {n} samples in x, {ny} in y"),
                ));
            }
            let c = self
                .compiled
                .as_ref()
                .ok_or_else(|| Error::arg(op, "you must call compile() before using the model"))?;
            if c.losses.is_empty() {
                return Err(Error::arg(
                    op,
                    "the model was compiled without a loss; give compile() a loss to train or evaluate",
                ));
            }
            self.resolve_metrics(y)?;
        }
        Ok(n)
    }

    fn resolve_metrics(&mut self, y: &[Tensor]) -> Result<()> {
        let out_shapes: Vec<Shape> = self.outputs.iter().map(|o| o.shape.clone()).collect();
        let out_names: Vec<String> = self
            .outputs
            .iter()
            .map(|o| match &o.origin {
                super::Origin::Call { call, .. } => call.layer.name().to_string(),
                super::Origin::Input { name } => name.clone(),
            })
            .collect();
        let device = self.device.clone();
        let c = self.compiled.as_mut().expect("checked by prepare");
        if c.metrics.is_some() {
            return Ok(());
        }
        let mut resolved = vec![];
        for (k, shape) in out_shapes.iter().enumerate() {
            for id in &c.metric_ids {
                let y_shape: Shape = y[k]
                    .dims()
                    .iter()
                    .enumerate()
                    .map(|(i, &d)| if i == 0 { None } else { Some(d) })
                    .collect();
                let metric = metrics::compile_metric(&Value::from(id.as_str()), &y_shape, shape)?;
                for v in metric.variables() {
                    v.to_device(&device)?;
                }
                let log = if out_shapes.len() > 1 {
                    format!("{}_{}", out_names[k], metric.name())
                } else {
                    metric.name().to_string()
                };
                resolved.push((log, k, metric));
            }
        }
        c.metrics = Some(resolved);
        if out_shapes.len() > 1 {
            c.output_trackers = out_names
                .iter()
                .map(|n| {
                    let name = format!("{n}_loss");
                    let t = LossTracker {
                        total: scalar_var(&format!("{name}/total"), &device)?,
                        count: scalar_var(&format!("{name}/count"), &device)?,
                    };
                    Ok((name, t))
                })
                .collect::<Result<_>>()?;
        }
        c.plans.clear();
        Ok(())
    }

    /// Builds and records the step of `mode` for batches of `batch` samples.
    fn step(
        &mut self,
        mode: Mode,
        batch_dims: (&[Vec<usize>], &[(Vec<usize>, DType)]),
        with_sw: bool,
    ) -> Result<()> {
        let batch = batch_dims.0[0][0];
        let key = (mode, batch, with_sw);
        if self.compiled.as_ref().is_some_and(|c| c.plans.contains_key(&key)) {
            return Ok(());
        }
        let g = Graph::new();
        let xs: Vec<Sym> = self.inputs.iter().map(|x| g.input(&x.shape, x.dtype)).collect();
        let ctx = CallContext::new(mode == Mode::Train);
        let (preds, pred_masks) = self.call_graph_masked(&xs, &ctx)?;
        let c = self
            .compiled
            .as_ref()
            .ok_or_else(|| Error::arg("Model", "you must call compile() before using the model"))?;
        let mut feed_dims: Vec<Vec<usize>> = batch_dims.0.to_vec();
        let (outputs, updates) = if mode == Mode::Predict {
            (preds.iter().map(|p| p.id).collect::<Vec<_>>(), vec![])
        } else {
            let ys: Vec<Sym> = batch_dims
                .1
                .iter()
                .map(|(dims, dtype)| {
                    let mut s = static_shape(dims);
                    s[0] = None;
                    g.input(&s, *dtype)
                })
                .collect();
            feed_dims.extend(batch_dims.1.iter().map(|(d, _)| d.clone()));
            let sw = if with_sw {
                feed_dims.push(vec![batch]);
                Some(g.input(&[None], DType::F32))
            } else {
                None
            };
            let n = xs[0].size(&[0])?;
            let track = |t: &LossTracker, value: Sym<'_>| -> Result<Vec<(Variable, NodeId)>> {
                let g = value.graph;
                Ok(vec![
                    (t.total.clone(), g.variable(&t.total).add(value.mul(n)?)?.id),
                    (t.count.clone(), g.variable(&t.count).add(n)?.id),
                ])
            };
            let mut updates: Vec<(Variable, Sym)> = vec![];
            let mut total: Option<Sym> = None;
            for (k, (y, p)) in ys.iter().zip(&preds).enumerate() {
                let loss = &c.losses[k.min(c.losses.len() - 1)];
                let l = losses::compute_masked(loss.as_ref(), *y, *p, sw, pred_masks[k])?.cast(DType::F32)?;
                let l = if c.loss_weights[k] == 1.0 { l } else { l.mul_scalar(c.loss_weights[k])? };
                if let Some((_, t)) = c.output_trackers.get(k) {
                    updates.extend(track(t, l)?.into_iter().map(|(v, id)| (v, g.sym(id))));
                }
                total = Some(match total {
                    None => l,
                    Some(t) => t.add(l)?,
                });
            }
            let mut loss = total.ok_or_else(|| Error::arg("Model", "the model has no outputs"))?;
            // Keras's `compute_loss`: the compiled loss plus every added loss (activity
            // regularization of this call, then the penalties of regularized trainable weights).
            let mut extra: Vec<Sym> = ctx.losses.borrow().iter().map(|&id| g.sym(id)).collect();
            for w in self.trainable_weights() {
                if let Some(reg) = w.regularizer() {
                    extra.push(reg.call(g.variable(&w))?);
                }
            }
            for e in extra {
                loss = loss.add(e.cast(DType::F32)?.sum_all()?)?;
            }
            updates.extend(track(&c.tracker, loss)?.into_iter().map(|(v, id)| (v, g.sym(id))));
            for (_, k, m) in c.metrics.iter().flatten() {
                // Keras's MeanMetricWrapper folds y_pred's mask into the sample weight -- with
                // the JAX backend only in the test step: the train step's metrics get y_pred
                // back from `jax.value_and_grad`'s aux output, which has lost the mask.
                let w = match pred_masks[*k] {
                    Some(mask) if mode == Mode::Test => Some(masked_metric_weight(mask, sw)?),
                    _ => sw,
                };
                updates.extend(m.update(&g, ys[*k], preds[*k], w)?);
            }
            if mode == Mode::Train {
                let weights = self.trainable_weights();
                let nodes: Vec<Sym> = weights.iter().map(|w| g.variable(w)).collect();
                // Keras differentiates `optimizer.scale_loss(loss)` (the tracked loss is unscaled).
                let grads = autodiff::gradients(c.optimizer.scale_loss(loss)?, &nodes, None)?;
                let pairs: Vec<(Variable, Sym)> =
                    weights.iter().zip(grads).filter_map(|(w, gr)| gr.map(|gr| (w.clone(), gr))).collect();
                updates.extend(c.optimizer.apply_gradients(&g, &pairs)?);
                for (v, id) in ctx.updates.borrow().iter() {
                    updates.push((v.clone(), g.sym(*id)));
                }
            }
            (vec![], updates)
        };
        let updates: Vec<(Variable, usize)> = updates.into_iter().map(|(v, s)| (v, s.id)).collect();
        let plan =
            Plan::new(&g, &outputs, &updates, &PlanOptions { device: self.device.clone(), fuse: c.fuse })?;
        let recorded = plan.record(&feed_dims)?;
        self.compiled.as_mut().expect("compiled").plans.insert(key, recorded);
        Ok(())
    }

    fn run_step(
        &mut self,
        mode: Mode,
        x: Vec<Tensor>,
        y: Vec<Tensor>,
        sw: Option<Tensor>,
    ) -> Result<Vec<Tensor>> {
        let xd: Vec<Vec<usize>> = x.iter().map(|t| t.dims().to_vec()).collect();
        let yd: Vec<(Vec<usize>, DType)> =
            y.iter().map(|t| (t.dims().to_vec(), target_dtype(t.dtype()))).collect();
        self.step(mode, (&xd, &yd), sw.is_some())?;
        let key = (mode, xd[0][0], sw.is_some());
        let mut feeds = x;
        feeds.extend(y);
        feeds.extend(sw);
        self.compiled.as_ref().expect("compiled").plans[&key].run(&feeds)
    }

    /// The current logs: the loss, each output's loss, each metric's result, sorted by name
    /// (the order Keras's logs have with the JAX backend: `accuracy`, `loss`, `val_...`).
    pub(crate) fn read_logs(&self) -> Result<Logs> {
        let c = self.compiled.as_ref().expect("compiled");
        let mut logs = Logs::default();
        for (name, _, m) in c.metrics.iter().flatten() {
            // Logs hold scalars; a metric with a vector result (F1Score(average=None), ...)
            // is read through `Model::metric_results` instead.
            let r = m.result_tensor()?;
            if r.numel() == 1 {
                logs.insert(name.clone(), r.to_vec_f64()?[0]);
            }
        }
        let mean = |t: &LossTracker| -> Result<f64> {
            let count = read_scalar(&t.count)?;
            Ok(if count == 0.0 { 0.0 } else { read_scalar(&t.total)? / count })
        };
        logs.insert("loss", mean(&c.tracker)?);
        for (name, t) in &c.output_trackers {
            logs.insert(name.clone(), mean(t)?);
        }
        logs.0.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(logs)
    }

    /// Every compiled metric's current `result()` as a tensor, by log name (vector results
    /// included, which the scalar [`Logs`] leave out).
    pub fn metric_results(&self) -> Result<Vec<(String, Tensor)>> {
        let Some(c) = &self.compiled else { return Ok(vec![]) };
        c.metrics.iter().flatten().map(|(name, _, m)| Ok((name.clone(), m.result_tensor()?))).collect()
    }

    /// `model.reset_metrics()`.
    pub fn reset_metrics(&self) -> Result<()> {
        let Some(c) = &self.compiled else { return Ok(()) };
        for t in std::iter::once(&c.tracker).chain(c.output_trackers.iter().map(|(_, t)| t)) {
            t.total.assign_zeros()?;
            t.count.assign_zeros()?;
        }
        for (_, _, m) in c.metrics.iter().flatten() {
            m.reset()?;
        }
        Ok(())
    }

    /// Kernel launches of the recorded train step for `batch` (after a `fit`), and the total.
    pub fn train_step_launches(&self, batch: usize) -> Option<usize> {
        let c = self.compiled.as_ref()?;
        c.plans.get(&(Mode::Train, batch, false)).map(|r| r.launches())
    }
}

/// Keras's `apply_mask(sample_weight, mask, reduction="sum")` as metrics use it: the mask as
/// 0/1 weights, times the sample weight (matched by one trailing axis).
fn masked_metric_weight<'g>(mask: Sym<'g>, sample_weight: Option<Sym<'g>>) -> Result<Sym<'g>> {
    let float_mask = mask.cast(DType::F32)?;
    match sample_weight {
        None => Ok(float_mask),
        Some(w) => {
            let (fm, w) = losses::squeeze_or_expand_to_same_rank(float_mask, w.cast(DType::F32)?)?;
            w.mul(fm)
        }
    }
}

/// Targets keep integer dtypes (class ids); floats train as float32.
fn target_dtype(d: DType) -> DType {
    if d.is_float() {
        DType::F32
    } else {
        d
    }
}

// Accessors for saving (`saving/`): the optimizer, Keras's `get_compile_config()` and
// `compile_from_config()`.
impl Model {
    /// The compiled optimizer (Keras's `model.optimizer`), `None` before `compile`.
    pub fn optimizer(&self) -> Option<&dyn Optimizer> {
        self.compiled.as_ref().filter(|c| !c.implicit).map(|c| c.optimizer.as_ref())
    }

    /// Keras's `model.get_compile_config()`: `None` before `compile`. The losses are written
    /// serialized (one object, or a list with one per output), the metrics as their identifiers.
    pub fn compile_config(&self) -> Option<Value> {
        let c = self.compiled.as_ref().filter(|c| !c.implicit)?;
        let loss = match c.losses.len() {
            0 => Value::Null,
            1 => c.losses[0].serialize(),
            _ => Value::Array(c.losses.iter().map(|l| l.serialize()).collect()),
        };
        let loss_weights = if c.loss_weights.iter().all(|&w| w == 1.0) {
            Value::Null
        } else {
            serde_json::json!(c.loss_weights)
        };
        let metrics = if c.metric_ids.is_empty() { Value::Null } else { serde_json::json!(c.metric_ids) };
        Some(serde_json::json!({
            "optimizer": optimizers::serialize(c.optimizer.as_ref()),
            "loss": loss,
            "loss_weights": loss_weights,
            "metrics": metrics,
            "weighted_metrics": Value::Null,
            "run_eagerly": false,
            "steps_per_execution": 1,
            "jit_compile": true,
        }))
    }

    /// Keras's `model.compile_from_config(config)`, on `device` (default `Device::auto()`).
    /// `weighted_metrics`, dict losses and dict loss weights are not supported (an error).
    pub fn compile_from_config(&mut self, config: &Value, device: Option<Device>) -> Result<()> {
        const OP: &str = "Model.compile_from_config";
        let obj =
            config.as_object().ok_or_else(|| Error::arg(OP, format!("expected an object, got {config}")))?;
        let optimizer = obj.get("optimizer").cloned().unwrap_or(Value::Null);
        if optimizer.is_null() {
            return Err(Error::arg(OP, "the compile config has no optimizer"));
        }
        let mut args = CompileArgs::without_loss(optimizer);
        match obj.get("loss") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => args = args.losses(items.clone()),
            Some(l @ (Value::String(_) | Value::Object(_))) => args = args.losses(vec![l.clone()]),
            Some(other) => return Err(Error::arg(OP, format!("unsupported loss {other}"))),
        }
        match obj.get("metrics") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                let names: Vec<&str> = items
                    .iter()
                    .map(|m| {
                        m.as_str().ok_or_else(|| {
                            Error::arg(OP, format!("metrics: only metric names are supported, got {m}"))
                        })
                    })
                    .collect::<Result<_>>()?;
                args = args.metrics(&names);
            }
            Some(other) => return Err(Error::arg(OP, format!("metrics must be a list, got {other}"))),
        }
        match obj.get("loss_weights") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                let w: Vec<f64> = items
                    .iter()
                    .map(|x| {
                        x.as_f64().ok_or_else(|| Error::arg(OP, format!("loss_weights: bad weight {x}")))
                    })
                    .collect::<Result<_>>()?;
                args = args.loss_weights(w);
            }
            Some(other) => return Err(Error::arg(OP, format!("loss_weights must be a list, got {other}"))),
        }
        if obj.get("weighted_metrics").is_some_and(|w| !w.is_null()) {
            return Err(Error::arg(OP, "weighted_metrics are not supported"));
        }
        if let Some(d) = device {
            args = args.device(d);
        }
        self.compile(args)
    }
}
