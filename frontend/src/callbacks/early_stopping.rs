//! `keras.callbacks.EarlyStopping`, and `Monitor` (Keras's `MonitorCallback` base: which way
//! a monitored value improves) that ModelCheckpoint and ReduceLROnPlateau share.

use wgkeras_runtime::Tensor;

use super::{Callback, Logs};
use crate::error::{Error, Result};
use crate::models::Model;
use crate::utils::progbar::print_msg;

/// Keras metric classes whose `_direction` is "up" (higher is better).
const UP: &[&str] = &[
    "AUC",
    "Accuracy",
    "BinaryAccuracy",
    "BinaryIoU",
    "CategoricalAccuracy",
    "ConcordanceCorrelation",
    "CosineSimilarity",
    "F1Score",
    "FBetaScore",
    "IoU",
    "MeanIoU",
    "OneHotIoU",
    "OneHotMeanIoU",
    "PearsonCorrelation",
    "Precision",
    "PrecisionAtRecall",
    "R2Score",
    "Recall",
    "RecallAtPrecision",
    "SensitivityAtSpecificity",
    "SparseCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "SpecificityAtSensitivity",
    "TopKCategoricalAccuracy",
];

/// Keras metric classes whose `_direction` is "down" (lower is better).
const DOWN: &[&str] = &[
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "Hinge",
    "KLDivergence",
    "LogCoshError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "RootMeanSquaredError",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Less,
    Greater,
}

/// Keras's `MonitorCallback`: the monitored key, the mode and `min_delta`, and the comparison
/// they give (resolved from the model's metrics on the first epoch end in `"auto"` mode).
#[derive(Clone, Debug)]
pub(crate) struct Monitor {
    class: &'static str,
    pub(crate) monitor: String,
    mode: &'static str,
    /// `abs(min_delta)`.
    min_delta: f64,
    op: Option<Op>,
}

impl Monitor {
    pub(crate) fn new(class: &'static str, monitor: &str, mode: &str, min_delta: f64) -> Monitor {
        let mode = match mode {
            "min" => "min",
            "max" => "max",
            "auto" => "auto",
            other => {
                eprintln!("UserWarning: {class} mode '{other}' is unknown, fallback to auto mode.");
                "auto"
            }
        };
        Monitor { class, monitor: monitor.to_string(), mode, min_delta: min_delta.abs(), op: None }
    }

    /// Keras's `_set_monitor_op` (once).
    pub(crate) fn resolve(&mut self, model: &Model) -> Result<()> {
        if self.op.is_some() {
            return Ok(());
        }
        self.op = match self.mode {
            "min" => Some(Op::Less),
            "max" => Some(Op::Greater),
            _ => {
                let name = self.monitor.strip_prefix("val_").unwrap_or(&self.monitor);
                let mut op = (name == "loss").then_some(Op::Less);
                for (log_name, class) in model.compiled_metric_classes() {
                    if log_name == name {
                        if UP.contains(&class) {
                            op = Some(Op::Greater);
                        } else if DOWN.contains(&class) {
                            op = Some(Op::Less);
                        }
                    }
                }
                op
            }
        };
        if self.op.is_none() {
            return Err(Error::arg(
                self.class,
                format!(
                    "{} callback received monitor={}, but Keras isn't able to automatically determine \
                     whether that metric should be maximized or minimized. Pass `mode='max'` in order to \
                     monitor based on the highest metric value, or pass `mode='min'` in order to use the \
                     lowest value.",
                    self.class, self.monitor
                ),
            ));
        }
        Ok(())
    }

    /// Keras's `_is_improvement`: `current - min_delta` beats `reference` (min_delta counted
    /// towards the better side), and anything beats no reference.
    pub(crate) fn is_improvement(&self, current: f64, reference: Option<f64>) -> bool {
        let Some(reference) = reference else { return true };
        match self.op {
            Some(Op::Greater) => current - self.min_delta > reference,
            _ => current + self.min_delta < reference,
        }
    }
}

/// `EarlyStopping`'s arguments, with Keras's defaults.
#[derive(Clone, Debug)]
pub struct EarlyStoppingArgs {
    pub monitor: String,
    pub min_delta: f64,
    pub patience: usize,
    pub verbose: u8,
    /// `"auto"`, `"min"` or `"max"` (anything else warns and is `"auto"`, as Keras does).
    pub mode: String,
    pub baseline: Option<f64>,
    pub restore_best_weights: bool,
    pub start_from_epoch: usize,
}

impl Default for EarlyStoppingArgs {
    fn default() -> Self {
        EarlyStoppingArgs {
            monitor: "val_loss".into(),
            min_delta: 0.0,
            patience: 0,
            verbose: 0,
            mode: "auto".into(),
            baseline: None,
            restore_best_weights: false,
            start_from_epoch: 0,
        }
    }
}

/// `keras.callbacks.EarlyStopping`: stops `fit` when the monitored value has not improved for
/// `patience` epochs, optionally restoring the best epoch's weights at the end.
pub struct EarlyStopping {
    monitor: Monitor,
    patience: usize,
    verbose: u8,
    baseline: Option<f64>,
    restore_best_weights: bool,
    start_from_epoch: usize,
    /// Epochs since the last improvement.
    pub wait: usize,
    /// The epoch training stopped at (0: it did not stop early).
    pub stopped_epoch: usize,
    pub best: Option<f64>,
    pub best_epoch: usize,
    best_weights: Option<Vec<Tensor>>,
    warned_missing: bool,
}

impl EarlyStopping {
    pub fn new(args: EarlyStoppingArgs) -> EarlyStopping {
        EarlyStopping {
            monitor: Monitor::new("EarlyStopping", &args.monitor, &args.mode, args.min_delta),
            patience: args.patience,
            verbose: args.verbose,
            baseline: args.baseline,
            restore_best_weights: args.restore_best_weights,
            start_from_epoch: args.start_from_epoch,
            wait: 0,
            stopped_epoch: 0,
            best: None,
            best_epoch: 0,
            best_weights: None,
            warned_missing: false,
        }
    }

    fn monitor_value(&mut self, logs: &Logs) -> Option<f64> {
        let v = logs.get(&self.monitor.monitor);
        if v.is_none() && !self.warned_missing {
            self.warned_missing = true;
            let keys: Vec<&str> = logs.iter().map(|(k, _)| k).collect();
            eprintln!(
                "UserWarning: Early stopping conditioned on metric `{}` which is not available. Available \
                 metrics are: {}",
                self.monitor.monitor,
                keys.join(",")
            );
        }
        v
    }
}

fn msg(s: &str) -> Result<()> {
    print_msg(s, true).map_err(|e| Error::arg("EarlyStopping", format!("writing a message: {e}")))
}

impl Callback for EarlyStopping {
    fn on_train_begin(&mut self, _model: &mut Model, _logs: &Logs) -> Result<()> {
        self.wait = 0;
        self.stopped_epoch = 0;
        self.best = None;
        self.best_weights = None;
        self.best_epoch = 0;
        Ok(())
    }

    fn on_epoch_end(&mut self, model: &mut Model, epoch: usize, logs: &mut Logs) -> Result<()> {
        self.monitor.resolve(model)?;
        let Some(current) = self.monitor_value(logs) else { return Ok(()) };
        if epoch < self.start_from_epoch {
            return Ok(());
        }
        if self.restore_best_weights && self.best_weights.is_none() {
            // The first epoch checked is the best so far even when it does not beat the
            // baseline.
            self.best_weights = Some(model.get_weights()?);
            self.best_epoch = epoch;
        }
        self.wait += 1;
        if self.monitor.is_improvement(current, self.best) {
            self.best = Some(current);
            self.best_epoch = epoch;
            if self.restore_best_weights {
                self.best_weights = Some(model.get_weights()?);
            }
            // Only restart the wait if we beat both the baseline and our previous best.
            if self.baseline.is_none() || self.monitor.is_improvement(current, self.baseline) {
                self.wait = 0;
            }
            return Ok(());
        }
        if self.wait >= self.patience && epoch > 0 {
            self.stopped_epoch = epoch;
            model.stop_training = true;
        }
        Ok(())
    }

    fn on_train_end(&mut self, model: &mut Model, _logs: &Logs) -> Result<()> {
        if self.stopped_epoch > 0 && self.verbose > 0 {
            msg(&format!("Epoch {}: early stopping", self.stopped_epoch + 1))?;
        }
        if let (true, Some(w)) = (self.restore_best_weights, self.best_weights.as_ref()) {
            if self.verbose > 0 {
                msg(&format!(
                    "Restoring model weights from the end of the best epoch: {}.",
                    self.best_epoch + 1
                ))?;
            }
            model.set_weights(w)?;
        }
        Ok(())
    }
}
