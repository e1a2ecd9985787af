//! The loops of `fit`, `evaluate` and `predict` (and the `*_on_batch` calls): batching,
//! shuffling, validation, the progress bar and the callback hooks around the recorded steps
//! of `mod.rs`, called where Keras 3 calls them (`keras/src/backend/jax/trainer.py`).

use std::collections::HashMap;
use std::ops::Range;

use wgkeras_runtime::{ops, Device, Tensor};

use super::{gather_rows, rows, Arrays, CompileArgs, FitArgs, Mode};
use crate::callbacks::{Callback, CallbackParams, History, Logs, ProgbarLogger};
use crate::error::{Error, Result};
use crate::models::Model;

/// `evaluate`'s arguments, with Keras's defaults (`batch_size=None` is 32).
pub struct EvaluateArgs<'a> {
    pub batch_size: usize,
    pub verbose: u8,
    pub sample_weight: Option<Tensor>,
    /// How many batches to evaluate (None: all of them).
    pub steps: Option<usize>,
    pub callbacks: Vec<&'a mut dyn Callback>,
}

impl Default for EvaluateArgs<'_> {
    fn default() -> Self {
        EvaluateArgs { batch_size: 32, verbose: 1, sample_weight: None, steps: None, callbacks: vec![] }
    }
}

/// `predict`'s arguments, with Keras's defaults (`batch_size=None` is 32).
pub struct PredictArgs<'a> {
    pub batch_size: usize,
    pub verbose: u8,
    /// How many batches to predict (None: all of them).
    pub steps: Option<usize>,
    pub callbacks: Vec<&'a mut dyn Callback>,
}

impl Default for PredictArgs<'_> {
    fn default() -> Self {
        PredictArgs { batch_size: 32, verbose: 1, steps: None, callbacks: vec![] }
    }
}

type Callbacks<'s, 'a> = &'s mut [&'a mut dyn Callback];

/// The user's callbacks, then (with `verbose` on, unless the user gave their own
/// ProgbarLogger) the progress bar, as Keras's `CallbackList` appends its `ProgbarLogger`.
fn with_progbar<'c, 'a: 'c>(
    user: Vec<&'a mut dyn Callback>,
    progbar: &'c mut ProgbarLogger,
    verbose: u8,
) -> Vec<&'c mut dyn Callback> {
    let mut all: Vec<&'c mut dyn Callback> = user.into_iter().map(|c| c as &'c mut dyn Callback).collect();
    if verbose >= 1 && !all.iter().any(|c| c.prints_progress()) {
        all.push(progbar);
    }
    all
}

/// The training data's walk: batches of `batch_size` rows in order (a new permutation per pass
/// over the data when shuffling). A pass's permutation depends only on the fit's base seed and
/// the pass number, so a fit resumed mid-way (BackupAndRestore) replays the same batches when
/// the global seed is the same.
struct Batches {
    n: usize,
    batch_size: usize,
    cursor: usize,
    pass: u64,
    shuffle: Option<u64>,
    order: Vec<usize>,
    order_pass: Option<u64>,
}

impl Batches {
    fn new(n: usize, batch_size: usize, shuffle: bool) -> Batches {
        Batches {
            n,
            batch_size,
            cursor: 0,
            pass: 0,
            shuffle: shuffle.then(crate::utils::rng::next_seed),
            order: (0..n).collect(),
            order_pass: None,
        }
    }

    /// The next batch's positions in the order (wrapping to a new pass at the end).
    fn advance(&mut self) -> Range<usize> {
        if self.cursor >= self.n {
            self.cursor = 0;
            self.pass += 1;
        }
        let start = self.cursor;
        self.cursor = (start + self.batch_size).min(self.n);
        start..self.cursor
    }

    /// The sample indices at `r` in the current pass's order.
    fn indices(&mut self, r: Range<usize>) -> &[usize] {
        if let Some(base) = self.shuffle {
            if self.order_pass != Some(self.pass) {
                self.order = permutation(base ^ self.pass.wrapping_mul(0x9E37_79B9_7F4A_7C15), self.n);
                self.order_pass = Some(self.pass);
            }
        }
        &self.order[r]
    }
}

/// Per-sample weights of the rows `idx` as a host tensor.
fn batch_weights(sw: Option<&Vec<f32>>, idx: &[usize]) -> Result<Option<Tensor>> {
    sw.map(|w| Tensor::from_vec(idx.iter().map(|&i| w[i]).collect::<Vec<f32>>(), &[idx.len()], &Device::Cpu))
        .transpose()
        .map_err(Into::into)
}

/// `evaluate`'s result: the loss first (as Keras's list result), then the rest in the logs'
/// order.
fn loss_first(logs: Logs) -> Logs {
    let mut out = Logs::default();
    if let Some(l) = logs.get("loss") {
        out.insert("loss", l);
    }
    for (k, v) in logs.iter() {
        out.insert(k, v);
    }
    out
}

impl Model {
    /// Makes the next `fit` start at `epoch`, and at batch `step` of it, instead of its
    /// `initial_epoch` (Keras's `model._initial_epoch`, which `BackupAndRestore` sets in
    /// `on_train_begin`). Read once by the `fit` that follows the `on_train_begin` hooks.
    pub fn set_initial_epoch(&mut self, epoch: usize, step: usize) {
        self.initial_position = Some((epoch, step));
    }

    /// The compiled metrics as (log name, Keras class name), once resolved by the first
    /// `fit`/`evaluate` (what `MonitorCallback` reads to find a metric's direction).
    pub fn compiled_metric_classes(&self) -> Vec<(String, &'static str)> {
        let Some(c) = &self.compiled else { return vec![] };
        c.metrics.iter().flatten().map(|(name, _, m)| (name.clone(), m.class_name())).collect()
    }

    /// Records the train step for the first batch before the callbacks start, so the
    /// optimizer's state exists (Keras's `_symbolic_build`) for a callback that restores it.
    fn build_train_step(&mut self, data: &FitData, batch: usize) -> Result<()> {
        let with_batch = |t: &Tensor| {
            let mut d = t.dims().to_vec();
            d[0] = batch;
            d
        };
        let xd: Vec<Vec<usize>> = data.x.iter().map(with_batch).collect();
        let yd: Vec<(Vec<usize>, wgkeras_runtime::DType)> =
            data.y.iter().map(|t| (with_batch(t), super::target_dtype(t.dtype()))).collect();
        self.step(Mode::Train, (&xd, &yd), data.sample_weight.is_some())
    }

    /// `model.fit(x, y, ...)`: trains and returns the History of epoch logs.
    pub fn fit(
        &mut self,
        x: impl Into<Arrays>,
        y: impl Into<Arrays>,
        mut args: FitArgs<'_>,
    ) -> Result<History> {
        const OP: &str = "Model.fit";
        self.compiled_mut(OP)?;
        let (mut x, mut y) = (x.into().0, y.into().0);
        if args.batch_size == 0 {
            return Err(Error::arg(OP, "batch_size must be positive"));
        }
        if !(0.0..1.0).contains(&args.validation_split) {
            return Err(Error::arg(
                OP,
                format!("validation_split must be in [0, 1), got {}", args.validation_split),
            ));
        }
        let n = self.prepare(OP, &x, Some(&y))?;
        let mut sample_weight =
            per_sample_weights(OP, n, args.sample_weight.as_ref(), args.class_weight.as_ref(), &y)?;
        // Keras takes the validation split from the end, before shuffling.
        let mut validation = args.validation_data.take();
        if args.validation_split > 0.0 && validation.is_none() {
            let n_val = (n as f64 * args.validation_split) as usize;
            if n_val == 0 || n_val == n {
                return Err(Error::arg(
                    OP,
                    format!("validation_split {} of {n} samples leaves an empty set", args.validation_split),
                ));
            }
            let train_idx: Vec<usize> = (0..n - n_val).collect();
            let val_idx: Vec<usize> = (n - n_val..n).collect();
            validation = Some((gather_rows(&x, &val_idx)?, gather_rows(&y, &val_idx)?));
            x = gather_rows(&x, &train_idx)?;
            y = gather_rows(&y, &train_idx)?;
            if let Some(sw) = &sample_weight {
                sample_weight = Some(sw[..n - n_val].to_vec());
            }
        }
        let n = rows(OP, "x", &x)?;
        if n == 0 {
            return Err(Error::arg(OP, "no training samples"));
        }
        let mut progbar = ProgbarLogger::new();
        let mut callbacks = with_progbar(std::mem::take(&mut args.callbacks), &mut progbar, args.verbose);
        let data = FitData { x, y, sample_weight, validation };
        let run = self.fit_epochs(&data, &args, &mut callbacks);
        // Keras's fit ends with `optimizer.finalize_variable_values` (EMA weights, when used),
        // also when a callback interrupted it.
        let finalized = match (self.compiled.as_ref(), args.epochs > 0) {
            (Some(c), true) => c.optimizer.finalize_variable_values(&self.trainable_weights()),
            _ => Ok(()),
        };
        let (history, training_logs) = run?;
        finalized?;
        for cb in callbacks.iter_mut() {
            cb.on_train_end(self, &training_logs)?;
        }
        Ok(history)
    }

    /// The epochs of `fit`: returns the History and the last epoch's logs (Keras's
    /// `training_logs`, given to `on_train_end`).
    fn fit_epochs(
        &mut self,
        data: &FitData,
        args: &FitArgs<'_>,
        callbacks: Callbacks<'_, '_>,
    ) -> Result<(History, Logs)> {
        const OP: &str = "Model.fit";
        let n = rows(OP, "x", &data.x)?;
        let batches_per_epoch = n.div_ceil(args.batch_size);
        let steps = args.steps_per_epoch.unwrap_or(batches_per_epoch);
        let mut history = History::default();
        let empty = Logs::default();
        self.stop_training = false;
        self.initial_position = None;
        self.build_train_step(data, args.batch_size.min(n))?;
        let params = CallbackParams { epochs: args.epochs, steps: Some(steps), verbose: args.verbose };
        for cb in callbacks.iter_mut() {
            cb.set_params(&params);
        }
        for cb in callbacks.iter_mut() {
            cb.on_train_begin(self, &empty)?;
        }
        let wants_batch_logs = callbacks.iter().any(|c| c.wants_batch_logs());
        let mut batches = Batches::new(n, args.batch_size, args.shuffle);
        // Keras: `initial_epoch = self._initial_epoch or initial_epoch`.
        let (first_epoch, mut first_step) = match self.initial_position.take() {
            Some((e, s)) if (e, s) != (0, 0) => {
                // A resumed fit walks the data as the interrupted one did up to there.
                for _ in 0..e * steps + s {
                    batches.advance();
                }
                (e, s)
            }
            _ => (args.initial_epoch, 0),
        };
        let mut training_logs = Logs::default();
        for epoch in first_epoch..args.epochs {
            self.reset_metrics()?;
            for cb in callbacks.iter_mut() {
                cb.on_epoch_begin(self, epoch, &empty)?;
            }
            for step in std::mem::take(&mut first_step)..steps {
                for cb in callbacks.iter_mut() {
                    cb.on_train_batch_begin(self, step)?;
                }
                let r = batches.advance();
                let idx = batches.indices(r);
                let xb = gather_rows(&data.x, idx)?;
                let yb = gather_rows(&data.y, idx)?;
                let swb = batch_weights(data.sample_weight.as_ref(), idx)?;
                self.run_step(Mode::Train, xb, yb, swb)?;
                let logs = if wants_batch_logs { Some(self.read_logs()?) } else { None };
                for cb in callbacks.iter_mut() {
                    cb.on_train_batch_end(self, step, logs.as_ref())?;
                }
                if self.stop_training {
                    break;
                }
            }
            let mut logs = self.read_logs()?;
            if let Some((vx, vy)) = &data.validation {
                // Keras runs `evaluate` with fit's callbacks: they get the test hooks.
                let val = self.evaluate_inner(vx, vy, None, args.batch_size, None, callbacks)?;
                for (k, v) in val.iter() {
                    logs.insert(format!("val_{k}"), v);
                }
            }
            // Keras's callbacks share one logs dict (LearningRateScheduler and
            // ReduceLROnPlateau add `learning_rate`), and History, appended last, records it.
            for cb in callbacks.iter_mut() {
                cb.on_epoch_end(self, epoch, &mut logs)?;
            }
            history.record(epoch, &logs);
            training_logs = logs;
            if self.stop_training {
                break;
            }
        }
        Ok((history, training_logs))
    }

    /// `model.evaluate(x, y, batch_size, verbose)`: the loss and metrics over the data.
    pub fn evaluate(
        &mut self,
        x: impl Into<Arrays>,
        y: impl Into<Arrays>,
        batch_size: usize,
        verbose: u8,
    ) -> Result<Logs> {
        self.evaluate_with(x, y, EvaluateArgs { batch_size, verbose, ..Default::default() })
    }

    /// `model.evaluate(..., sample_weight=...)`.
    pub fn evaluate_weighted(
        &mut self,
        x: impl Into<Arrays>,
        y: impl Into<Arrays>,
        sample_weight: &Tensor,
        batch_size: usize,
        verbose: u8,
    ) -> Result<Logs> {
        let args = EvaluateArgs {
            batch_size,
            verbose,
            sample_weight: Some(sample_weight.clone()),
            ..Default::default()
        };
        self.evaluate_with(x, y, args)
    }

    /// `model.evaluate(x, y, **kwargs)` with every Keras argument: the logs (Keras's
    /// `return_dict=True`), the loss first.
    pub fn evaluate_with(
        &mut self,
        x: impl Into<Arrays>,
        y: impl Into<Arrays>,
        mut args: EvaluateArgs<'_>,
    ) -> Result<Logs> {
        let (x, y) = (x.into().0, y.into().0);
        self.compiled_mut("Model.evaluate")?;
        let mut progbar = ProgbarLogger::new();
        let mut callbacks = with_progbar(std::mem::take(&mut args.callbacks), &mut progbar, args.verbose);
        if !callbacks.is_empty() {
            let n = self.prepare("Model.evaluate", &x, Some(&y))?;
            let steps = capped_steps("Model.evaluate", n, args.batch_size, args.steps)?;
            let params = CallbackParams { epochs: 1, steps: Some(steps), verbose: args.verbose };
            for cb in callbacks.iter_mut() {
                cb.set_params(&params);
            }
        }
        let sw = args.sample_weight.as_ref();
        let logs = self.evaluate_inner(&x, &y, sw, args.batch_size, args.steps, &mut callbacks)?;
        Ok(loss_first(logs))
    }

    #[allow(clippy::too_many_arguments)]
    fn evaluate_inner(
        &mut self,
        x: &[Tensor],
        y: &[Tensor],
        sw: Option<&Tensor>,
        batch_size: usize,
        steps: Option<usize>,
        callbacks: Callbacks<'_, '_>,
    ) -> Result<Logs> {
        const OP: &str = "Model.evaluate";
        let n = self.prepare(OP, x, Some(y))?;
        let steps = capped_steps(OP, n, batch_size, steps)?;
        let sw = per_sample_weights(OP, n, sw, None, y)?;
        let wants_batch_logs = callbacks.iter().any(|c| c.wants_batch_logs());
        for cb in callbacks.iter_mut() {
            cb.on_test_begin(self, &Logs::default())?;
        }
        self.reset_metrics()?;
        for step in 0..steps {
            for cb in callbacks.iter_mut() {
                cb.on_test_batch_begin(self, step)?;
            }
            let idx: Vec<usize> = (step * batch_size..((step + 1) * batch_size).min(n)).collect();
            let swb = batch_weights(sw.as_ref(), &idx)?;
            self.run_step(Mode::Test, gather_rows(x, &idx)?, gather_rows(y, &idx)?, swb)?;
            let logs = if wants_batch_logs { Some(self.read_logs()?) } else { None };
            for cb in callbacks.iter_mut() {
                cb.on_test_batch_end(self, step, logs.as_ref())?;
            }
        }
        let logs = self.read_logs()?;
        for cb in callbacks.iter_mut() {
            cb.on_test_end(self, &logs)?;
        }
        Ok(logs)
    }

    /// `model.predict(x, batch_size)`: one host tensor per output.
    pub fn predict(&mut self, x: impl Into<Arrays>, batch_size: usize, verbose: u8) -> Result<Vec<Tensor>> {
        self.predict_with(x, PredictArgs { batch_size, verbose, ..Default::default() })
    }

    /// `model.predict(x, **kwargs)` with every Keras argument.
    pub fn predict_with(&mut self, x: impl Into<Arrays>, mut args: PredictArgs<'_>) -> Result<Vec<Tensor>> {
        const OP: &str = "Model.predict";
        let x = x.into().0;
        let batch_size = args.batch_size;
        if self.compiled.is_none() {
            // Keras predicts with an uncompiled model: compile a forward-only setup on the
            // model's device.
            let device = self.device.clone();
            self.compile(CompileArgs::implicit_for_predict(device))?;
        }
        let n = self.prepare(OP, &x, None)?;
        let steps = capped_steps(OP, n, batch_size, args.steps)?;
        let mut progbar = ProgbarLogger::new();
        let mut callbacks = with_progbar(std::mem::take(&mut args.callbacks), &mut progbar, args.verbose);
        let params = CallbackParams { epochs: 1, steps: Some(steps), verbose: args.verbose };
        for cb in callbacks.iter_mut() {
            cb.set_params(&params);
        }
        for cb in callbacks.iter_mut() {
            cb.on_predict_begin(self, &Logs::default())?;
        }
        let mut parts: Vec<Vec<Tensor>> = vec![vec![]; self.outputs.len()];
        for step in 0..steps {
            for cb in callbacks.iter_mut() {
                cb.on_predict_batch_begin(self, step)?;
            }
            let idx: Vec<usize> = (step * batch_size..((step + 1) * batch_size).min(n)).collect();
            let outs = self.run_step(Mode::Predict, gather_rows(&x, &idx)?, vec![], None)?;
            let outs: Vec<Tensor> =
                outs.iter().map(|o| o.to_device(&Device::Cpu)).collect::<std::result::Result<_, _>>()?;
            for cb in callbacks.iter_mut() {
                cb.on_predict_batch_end(self, step, &outs)?;
            }
            for (k, o) in outs.into_iter().enumerate() {
                parts[k].push(o);
            }
        }
        for cb in callbacks.iter_mut() {
            cb.on_predict_end(self, &Logs::default())?;
        }
        parts.into_iter().map(|p| Ok(ops::concatenate(&p, 0)?)).collect()
    }

    /// `model.train_on_batch(x, y)`: one step; returns that batch's logs (the metrics are reset
    /// first, as Keras 3 does).
    pub fn train_on_batch(
        &mut self,
        x: impl Into<Arrays>,
        y: impl Into<Arrays>,
        sample_weight: Option<&Tensor>,
    ) -> Result<Logs> {
        self.on_batch(Mode::Train, "Model.train_on_batch", x.into().0, y.into().0, sample_weight)
    }

    /// `model.test_on_batch(x, y)`: like `train_on_batch` without the update.
    pub fn test_on_batch(
        &mut self,
        x: impl Into<Arrays>,
        y: impl Into<Arrays>,
        sample_weight: Option<&Tensor>,
    ) -> Result<Logs> {
        self.on_batch(Mode::Test, "Model.test_on_batch", x.into().0, y.into().0, sample_weight)
    }

    fn on_batch(
        &mut self,
        mode: Mode,
        op: &'static str,
        x: Vec<Tensor>,
        y: Vec<Tensor>,
        sample_weight: Option<&Tensor>,
    ) -> Result<Logs> {
        self.compiled_mut(op)?;
        let n = self.prepare(op, &x, Some(&y))?;
        let sw = per_sample_weights(op, n, sample_weight, None, &y)?
            .map(|w| Tensor::from_vec(w, &[n], &Device::Cpu))
            .transpose()?;
        self.reset_metrics()?;
        self.run_step(mode, x, y, sw)?;
        self.read_logs()
    }

    /// `model.predict_on_batch(x)`.
    pub fn predict_on_batch(&mut self, x: impl Into<Arrays>) -> Result<Vec<Tensor>> {
        let x = x.into().0;
        let n = x.first().map_or(0, |t| t.dims().first().copied().unwrap_or(0));
        self.predict(x, n.max(1), 0)
    }
}

/// The per-sample weights from `sample_weight` and/or `class_weight` (None when neither).
fn per_sample_weights(
    op: &'static str,
    n: usize,
    sample_weight: Option<&Tensor>,
    class_weight: Option<&HashMap<usize, f64>>,
    y: &[Tensor],
) -> Result<Option<Vec<f32>>> {
    let mut w: Option<Vec<f32>> = None;
    if let Some(sw) = sample_weight {
        if sw.dims() != [n] {
            return Err(Error::arg(
                op,
                format!("sample_weight must have shape [{n}] (one per sample), got {:?}", sw.dims()),
            ));
        }
        w = Some(sw.to_vec_f64()?.into_iter().map(|v| v as f32).collect());
    }
    if let Some(cw) = class_weight {
        if y.len() != 1 {
            return Err(Error::arg(op, "class_weight is only supported for models with a single output"));
        }
        let yt = &y[0];
        let labels: Vec<usize> = if yt.rank() >= 2 && yt.dims()[yt.rank() - 1] > 1 {
            ops::argmax(yt, Some(-1), false)?.to_vec_f64()?.into_iter().map(|v| v as usize).collect()
        } else {
            yt.to_vec_f64()?.into_iter().map(|v| v.round().max(0.0) as usize).collect()
        };
        let base = w.take().unwrap_or_else(|| vec![1.0; n]);
        let mut out = Vec::with_capacity(n);
        for (i, l) in labels.iter().enumerate() {
            let c = cw.get(l).ok_or_else(|| {
                Error::arg(op, format!("class_weight has no entry for class {l} (sample {i})"))
            })?;
            out.push(base[i] * *c as f32);
        }
        w = Some(out);
    }
    Ok(w)
}

/// The training arrays of `fit` after the validation split.
struct FitData {
    x: Vec<Tensor>,
    y: Vec<Tensor>,
    sample_weight: Option<Vec<f32>>,
    validation: Option<(Vec<Tensor>, Vec<Tensor>)>,
}

/// The number of batches of an evaluate/predict run: all of them, or `steps` when fewer.
fn capped_steps(op: &'static str, n: usize, batch_size: usize, steps: Option<usize>) -> Result<usize> {
    if batch_size == 0 {
        return Err(Error::arg(op, "batch_size must be positive"));
    }
    let all = n.div_ceil(batch_size);
    Ok(steps.map_or(all, |s| s.min(all)))
}

/// A Fisher-Yates permutation of `0..n` drawn from `seed`.
fn permutation(seed: u64, n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    if n < 2 {
        return order;
    }
    let mut gen = wgkeras_runtime::ops::random::Generator::new(seed);
    let bits = gen
        .random_bits(&[n], &Device::Cpu)
        .and_then(|t| t.to_vec::<u32>())
        .unwrap_or_else(|_| (0..n as u32).collect());
    for i in (1..n).rev() {
        let j = (bits[i] as usize) % (i + 1);
        order.swap(i, j);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_adds_a_progress_bar_only_when_verbose_and_none_was_given() {
        let (mut ours, mut users) = (ProgbarLogger::new(), ProgbarLogger::new());
        assert_eq!(with_progbar(vec![], &mut ours, 1).len(), 1);
        assert_eq!(with_progbar(vec![], &mut ours, 0).len(), 0);
        let given: Vec<&mut dyn Callback> = vec![&mut users];
        let all = with_progbar(given, &mut ours, 1);
        assert_eq!(all.len(), 1, "the user's ProgbarLogger replaces fit's own");
    }
}
