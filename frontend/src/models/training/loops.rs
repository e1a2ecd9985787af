//! The loops of `fit`, `evaluate` and `predict` (and the `*_on_batch` calls): batching,
//! shuffling, validation, the progress bar and the callback hooks around the recorded steps
//! of `mod.rs`.

use std::collections::HashMap;
use std::time::Instant;

use wgkeras_runtime::{ops, Device, Tensor};

use super::{gather_rows, rows, Arrays, CompileArgs, FitArgs, Mode};
use crate::callbacks::{CallbackParams, History, Logs};
use crate::error::{Error, Result};
use crate::models::Model;
use crate::utils::progbar::Progbar;

impl Model {
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
        if args.validation_split > 0.0 {
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
        let batches_per_epoch = n.div_ceil(args.batch_size);
        let steps = args.steps_per_epoch.unwrap_or(batches_per_epoch);
        let mut history = History::default();
        let empty = Logs::default();
        self.stop_training = false;
        let params = CallbackParams { epochs: args.epochs, steps: Some(steps), verbose: args.verbose };
        for cb in args.callbacks.iter_mut() {
            cb.set_params(&params);
        }
        for cb in args.callbacks.iter_mut() {
            cb.on_train_begin(self, &empty)?;
        }
        let wants_batch_logs = args.callbacks.iter().any(|c| c.wants_batch_logs());
        let mut order: Vec<usize> = (0..n).collect();
        let mut cursor = 0usize;
        for epoch in args.initial_epoch..args.epochs {
            self.reset_metrics()?;
            for cb in args.callbacks.iter_mut() {
                cb.on_epoch_begin(self, epoch, &empty)?;
            }
            if args.verbose >= 1 && args.epochs > 1 {
                crate::utils::progbar::print_msg(&format!("Epoch {}/{}", epoch + 1, args.epochs), true)
                    .map_err(|e| Error::arg(OP, format!("writing progress: {e}")))?;
            }
            let mut bar = (args.verbose >= 1)
                .then(|| Progbar::builder(Some(steps as u64)).verbose(args.verbose).unit_name("step").build())
                .transpose()
                .map_err(|e| Error::arg(OP, format!("progress bar: {e}")))?;
            if args.steps_per_epoch.is_none() {
                cursor = 0;
            }
            let mut last_shown = Instant::now();
            for step in 0..steps {
                if cursor >= n {
                    cursor = 0;
                }
                if cursor == 0 && args.shuffle {
                    shuffle(&mut order);
                }
                let end = (cursor + args.batch_size).min(n);
                let idx = &order[cursor..end];
                cursor = end;
                for cb in args.callbacks.iter_mut() {
                    cb.on_train_batch_begin(self, step)?;
                }
                let xb = gather_rows(&x, idx)?;
                let yb = gather_rows(&y, idx)?;
                let swb = sample_weight
                    .as_ref()
                    .map(|w| {
                        Tensor::from_vec(
                            idx.iter().map(|&i| w[i]).collect::<Vec<f32>>(),
                            &[idx.len()],
                            &Device::Cpu,
                        )
                    })
                    .transpose()?;
                self.run_step(Mode::Train, xb, yb, swb)?;
                let last = step + 1 == steps;
                let show = args.verbose == 1 && !last && last_shown.elapsed().as_secs_f64() >= 0.05;
                let logs = if show || wants_batch_logs { Some(self.read_logs()?) } else { None };
                if let (true, Some(bar), Some(logs)) = (show, bar.as_mut(), logs.as_ref()) {
                    let vals: Vec<(&str, f64)> = logs.iter().collect();
                    bar.update(step as u64 + 1, &vals, Some(false))
                        .map_err(|e| Error::arg(OP, format!("progress bar: {e}")))?;
                    last_shown = Instant::now();
                }
                for cb in args.callbacks.iter_mut() {
                    cb.on_train_batch_end(self, step, logs.as_ref())?;
                }
                if self.stop_training {
                    break;
                }
            }
            let mut logs = self.read_logs()?;
            if let Some((vx, vy)) = &validation {
                self.evaluate_arrays(vx, vy, args.batch_size, 0, None)?;
                for (k, v) in self.read_logs()?.iter() {
                    logs.insert(format!("val_{k}"), v);
                }
            }
            if let Some(bar) = bar.as_mut() {
                let vals: Vec<(&str, f64)> = logs.iter().collect();
                bar.update(steps as u64, &vals, Some(true))
                    .map_err(|e| Error::arg(OP, format!("progress bar: {e}")))?;
            }
            history.record(epoch, &logs);
            for cb in args.callbacks.iter_mut() {
                cb.on_epoch_end(self, epoch, &logs)?;
            }
            if self.stop_training {
                break;
            }
        }
        // Keras's fit ends with `optimizer.finalize_variable_values` (EMA weights, when used).
        if let (Some(c), true) = (self.compiled.as_ref(), args.epochs > 0) {
            c.optimizer.finalize_variable_values(&self.trainable_weights())?;
        }
        let final_logs =
            Logs(history.history.iter().map(|(k, v)| (k.clone(), *v.last().unwrap_or(&0.0))).collect());
        for cb in args.callbacks.iter_mut() {
            cb.on_train_end(self, &final_logs)?;
        }
        Ok(history)
    }

    /// `model.evaluate(x, y, batch_size, verbose)`: the loss and metrics over the data.
    pub fn evaluate(
        &mut self,
        x: impl Into<Arrays>,
        y: impl Into<Arrays>,
        batch_size: usize,
        verbose: u8,
    ) -> Result<Logs> {
        let (x, y) = (x.into().0, y.into().0);
        self.compiled_mut("Model.evaluate")?;
        self.evaluate_arrays(&x, &y, batch_size, verbose, None)
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
        let (x, y) = (x.into().0, y.into().0);
        self.compiled_mut("Model.evaluate")?;
        self.evaluate_arrays(&x, &y, batch_size, verbose, Some(sample_weight))
    }

    fn evaluate_arrays(
        &mut self,
        x: &[Tensor],
        y: &[Tensor],
        batch_size: usize,
        verbose: u8,
        sw: Option<&Tensor>,
    ) -> Result<Logs> {
        const OP: &str = "Model.evaluate";
        if batch_size == 0 {
            return Err(Error::arg(OP, "batch_size must be positive"));
        }
        let n = self.prepare(OP, x, Some(y))?;
        let sw = per_sample_weights(OP, n, sw, None, y)?;
        self.reset_metrics()?;
        let steps = n.div_ceil(batch_size);
        let mut bar = (verbose >= 1)
            .then(|| Progbar::builder(Some(steps as u64)).verbose(verbose).unit_name("step").build())
            .transpose()
            .map_err(|e| Error::arg(OP, format!("progress bar: {e}")))?;
        for step in 0..steps {
            let idx: Vec<usize> = (step * batch_size..((step + 1) * batch_size).min(n)).collect();
            let swb = sw
                .as_ref()
                .map(|w| {
                    Tensor::from_vec(
                        idx.iter().map(|&i| w[i]).collect::<Vec<f32>>(),
                        &[idx.len()],
                        &Device::Cpu,
                    )
                })
                .transpose()?;
            self.run_step(Mode::Test, gather_rows(x, &idx)?, gather_rows(y, &idx)?, swb)?;
        }
        let logs = self.read_logs()?;
        if let Some(bar) = bar.as_mut() {
            let vals: Vec<(&str, f64)> = logs.iter().collect();
            bar.update(steps as u64, &vals, Some(true))
                .map_err(|e| Error::arg(OP, format!("progress bar: {e}")))?;
        }
        // Keras returns the loss first.
        let mut out = Logs::default();
        out.insert("loss", logs.get("loss").unwrap_or(0.0));
        for (k, v) in logs.iter() {
            out.insert(k, v);
        }
        Ok(out)
    }

    /// `model.predict(x, batch_size)`: one host tensor per output.
    pub fn predict(&mut self, x: impl Into<Arrays>, batch_size: usize, verbose: u8) -> Result<Vec<Tensor>> {
        const OP: &str = "Model.predict";
        let x = x.into().0;
        if batch_size == 0 {
            return Err(Error::arg(OP, "batch_size must be positive"));
        }
        if self.compiled.is_none() {
            // Keras predicts with an uncompiled model: compile a forward-only setup on the
            // model's device.
            let device = self.device.clone();
            self.compile(CompileArgs::without_loss("sgd").device(device))?;
        }
        let n = self.prepare(OP, &x, None)?;
        let steps = n.div_ceil(batch_size);
        let mut bar = (verbose >= 1)
            .then(|| Progbar::builder(Some(steps as u64)).verbose(verbose).unit_name("step").build())
            .transpose()
            .map_err(|e| Error::arg(OP, format!("progress bar: {e}")))?;
        let mut parts: Vec<Vec<Tensor>> = vec![vec![]; self.outputs.len()];
        for step in 0..steps {
            let idx: Vec<usize> = (step * batch_size..((step + 1) * batch_size).min(n)).collect();
            let outs = self.run_step(Mode::Predict, gather_rows(&x, &idx)?, vec![], None)?;
            for (k, o) in outs.iter().enumerate() {
                parts[k].push(o.to_device(&Device::Cpu)?);
            }
        }
        if let Some(bar) = bar.as_mut() {
            bar.update(steps as u64, &[], Some(true))
                .map_err(|e| Error::arg(OP, format!("progress bar: {e}")))?;
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

/// Fisher-Yates with the global generator (so `set_random_seed` makes it reproducible).
fn shuffle(order: &mut [usize]) {
    let mut gen = wgkeras_runtime::ops::random::Generator::new(crate::utils::rng::next_seed());
    let n = order.len();
    if n < 2 {
        return;
    }
    let bits = gen
        .random_bits(&[n], &Device::Cpu)
        .and_then(|t| t.to_vec::<u32>())
        .unwrap_or_else(|_| (0..n as u32).collect());
    for i in (1..n).rev() {
        let j = (bits[i] as usize) % (i + 1);
        order.swap(i, j);
    }
}
