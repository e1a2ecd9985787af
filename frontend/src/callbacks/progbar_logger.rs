//! `keras.callbacks.ProgbarLogger`: the progress bar of `fit`, `evaluate` and `predict`, as a
//! callback (Keras adds one to every run with `verbose != 0`).
//!
//! A port of Keras 3.15.1's `progbar_logger.py` on [`Progbar`]: `Epoch i/n` before each epoch
//! (when `epochs > 1`), the bar redrawn after each batch with `verbose=1`, one line per epoch
//! with `verbose=2`, and the final values (the `val_` ones included) at the epoch's end. As in
//! Keras, the bar shows the logs as given (`stateless_metrics=set()`: the batch logs already
//! are the epoch's running means, so nothing is averaged again), and the test runs of `fit`'s
//! validation print nothing.
//!
//! Keras 3's `ProgbarLogger()` takes no arguments: Keras 2's `count_mode` and
//! `stateful_metrics` are gone (Keras 3 raises a `TypeError` for them), so they are not here.
//!
//! Reading a batch's logs costs a readback from the GPU, so unless another callback asked for
//! them ([`Callback::wants_batch_logs`]) the logger reads them itself only when the bar is due
//! to redraw (every 0.05 s, the bar's interval), which shows exactly what Keras shows.

use std::io::Write;
use std::sync::{Arc, Mutex};

use wgkeras_runtime::Tensor;

use super::{Callback, CallbackParams, Logs};
use crate::error::{Error, Result};
use crate::models::Model;
use crate::utils::progbar::{print_msg, Clock, Progbar, SystemClock};

const OP: &str = "ProgbarLogger";
/// Keras's `Progbar` default `interval`.
const INTERVAL: f64 = 0.05;

type SharedWriter = Arc<Mutex<Box<dyn Write + Send>>>;

/// `keras.callbacks.ProgbarLogger()`: see the module docs.
pub struct ProgbarLogger {
    seen: u64,
    progbar: Option<Progbar<'static>>,
    target: Option<u64>,
    verbose: u8,
    epochs: usize,
    called_in_fit: bool,
    /// The clock time of the last redraw the logger asked for.
    last_draw: f64,
    writer: Option<SharedWriter>,
    clock: Arc<dyn Clock + Sync>,
    dynamic_display: Option<bool>,
}

impl std::fmt::Debug for ProgbarLogger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgbarLogger")
            .field("seen", &self.seen)
            .field("target", &self.target)
            .field("verbose", &self.verbose)
            .field("epochs", &self.epochs)
            .finish_non_exhaustive()
    }
}

impl Default for ProgbarLogger {
    fn default() -> Self {
        Self::new()
    }
}

impl ProgbarLogger {
    /// Prints to stdout (or the `log` crate when interactive logging is off), timed by the wall
    /// clock.
    pub fn new() -> ProgbarLogger {
        ProgbarLogger {
            seen: 0,
            progbar: None,
            target: None,
            verbose: 1,
            epochs: 1,
            called_in_fit: false,
            last_draw: 0.0,
            writer: None,
            clock: Arc::new(SystemClock),
            dynamic_display: None,
        }
    }

    /// Sends the output to `writer` instead (the bar then uses its newline form unless
    /// [`dynamic_display`](Self::dynamic_display) says otherwise).
    pub fn writer(mut self, writer: impl Write + Send + 'static) -> Self {
        self.writer = Some(Arc::new(Mutex::new(Box::new(writer))));
        self
    }

    /// Replaces the wall clock (for reproducible output in tests).
    pub fn clock(mut self, clock: impl Clock + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Forces the bar's dynamic display on or off.
    pub fn dynamic_display(mut self, dynamic: bool) -> Self {
        self.dynamic_display = Some(dynamic);
        self
    }

    fn reset_progbar(&mut self) {
        self.seen = 0;
        self.progbar = None;
    }

    fn maybe_init_progbar(&mut self) -> Result<()> {
        if self.progbar.is_none() {
            let clock = self.clock.clone();
            let mut b = Progbar::builder(self.target)
                .verbose(self.verbose)
                .unit_name("step")
                .stateless_metrics(Vec::<String>::new())
                .clock(move || clock.now());
            if let Some(w) = &self.writer {
                b = b.writer(Shared(w.clone()));
            }
            if let Some(d) = self.dynamic_display {
                b = b.dynamic_display(d);
            }
            self.progbar = Some(b.build()?);
            self.last_draw = 0.0;
        }
        Ok(())
    }

    fn print(&self, message: &str) -> Result<()> {
        let r = match &self.writer {
            Some(w) => {
                let mut w = w.lock().unwrap_or_else(|e| e.into_inner());
                w.write_all(message.as_bytes()).and_then(|_| w.write_all(b"\n")).and_then(|_| w.flush())
            }
            None => print_msg(message, true),
        };
        r.map_err(|e| Error::arg(OP, format!("writing progress: {e}")))
    }

    /// Keras's `_update_progbar`, reading the model's logs when the bar is due to redraw and
    /// none were given.
    fn update_progbar(
        &mut self,
        model: &Model,
        batch: usize,
        logs: Option<&Logs>,
        has_logs: bool,
    ) -> Result<()> {
        self.maybe_init_progbar()?;
        self.seen = batch as u64 + 1;
        if self.verbose != 1 {
            return Ok(());
        }
        let now = self.clock.now();
        let due = now - self.last_draw >= INTERVAL;
        let read;
        let logs = match logs {
            Some(l) => Some(l),
            None if due && has_logs && model.compiled.is_some() => {
                read = model.read_logs()?;
                Some(&read)
            }
            None if !has_logs => None,
            None => return Ok(()),
        };
        let values: Vec<(&str, f64)> = logs.map(|l| l.iter().collect()).unwrap_or_default();
        let bar = self.progbar.as_mut().expect("initialized above");
        bar.update(self.seen, &values, Some(false))
            .map_err(|e| Error::arg(OP, format!("writing progress: {e}")))?;
        if due {
            self.last_draw = now;
        }
        Ok(())
    }

    fn finalize_progbar(&mut self, logs: &Logs) -> Result<()> {
        self.maybe_init_progbar()?;
        let bar = self.progbar.as_mut().expect("initialized above");
        if self.target.is_none() {
            self.target = Some(self.seen);
            bar.set_target(self.target);
        }
        let values: Vec<(&str, f64)> = logs.iter().collect();
        bar.update(self.target.unwrap_or(self.seen), &values, Some(true))
            .map_err(|e| Error::arg(OP, format!("writing progress: {e}")))
    }
}

/// A clone of the logger's writer for one bar.
struct Shared(SharedWriter);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).flush()
    }
}

impl Callback for ProgbarLogger {
    fn prints_progress(&self) -> bool {
        true
    }

    fn set_params(&mut self, params: &CallbackParams) {
        self.verbose = params.verbose;
        self.epochs = params.epochs;
        self.target = params.steps.map(|s| s as u64);
    }

    fn on_train_begin(&mut self, _model: &mut Model, _logs: &Logs) -> Result<()> {
        // Inside `fit`, validation is silent.
        self.called_in_fit = true;
        Ok(())
    }

    fn on_train_end(&mut self, _model: &mut Model, _logs: &Logs) -> Result<()> {
        // Keras makes a new logger per `fit`; this one may be passed to a later `evaluate`.
        self.called_in_fit = false;
        Ok(())
    }

    fn on_test_begin(&mut self, _model: &mut Model, _logs: &Logs) -> Result<()> {
        if !self.called_in_fit {
            self.reset_progbar();
            self.maybe_init_progbar()?;
        }
        Ok(())
    }

    fn on_predict_begin(&mut self, _model: &mut Model, _logs: &Logs) -> Result<()> {
        self.reset_progbar();
        self.maybe_init_progbar()
    }

    fn on_epoch_begin(&mut self, _model: &mut Model, epoch: usize, _logs: &Logs) -> Result<()> {
        self.reset_progbar();
        self.maybe_init_progbar()?;
        if self.verbose > 0 && self.epochs > 1 {
            self.print(&format!("Epoch {}/{}", epoch + 1, self.epochs))?;
        }
        Ok(())
    }

    fn on_train_batch_end(&mut self, model: &mut Model, batch: usize, logs: Option<&Logs>) -> Result<()> {
        self.update_progbar(model, batch, logs, true)
    }

    fn on_test_batch_end(&mut self, model: &mut Model, batch: usize, logs: Option<&Logs>) -> Result<()> {
        if !self.called_in_fit {
            self.update_progbar(model, batch, logs, true)?;
        }
        Ok(())
    }

    fn on_predict_batch_end(&mut self, model: &mut Model, batch: usize, _outputs: &[Tensor]) -> Result<()> {
        // Predictions are not shown.
        self.update_progbar(model, batch, None, false)
    }

    fn on_epoch_end(&mut self, _model: &mut Model, _epoch: usize, logs: &mut Logs) -> Result<()> {
        self.finalize_progbar(logs)
    }

    fn on_test_end(&mut self, _model: &mut Model, logs: &Logs) -> Result<()> {
        if !self.called_in_fit {
            self.finalize_progbar(logs)?;
        }
        Ok(())
    }

    fn on_predict_end(&mut self, _model: &mut Model, logs: &Logs) -> Result<()> {
        self.finalize_progbar(logs)
    }
}
