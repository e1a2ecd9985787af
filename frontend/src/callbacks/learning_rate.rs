//! `keras.callbacks.LearningRateScheduler` and `keras.callbacks.ReduceLROnPlateau`: set the
//! optimizer's learning rate between epochs, and log it as `learning_rate` (Keras 3).

use super::early_stopping::Monitor;
use super::model_checkpoint::py_repr;
use super::{Callback, Logs};
use crate::error::{Error, Result};
use crate::models::Model;
use crate::optimizers::Optimizer;
use crate::utils::progbar::print_msg;

fn optimizer<'m>(class: &'static str, model: &'m Model) -> Result<&'m dyn Optimizer> {
    model.optimizer().ok_or_else(|| Error::arg(class, "the model has no optimizer: compile() it first"))
}

fn msg(class: &'static str, s: &str) -> Result<()> {
    print_msg(s, true).map_err(|e| Error::arg(class, format!("writing a message: {e}")))
}

/// The schedule of a [`LearningRateScheduler`]: `(epoch, current learning rate) -> new rate`.
pub type Schedule = Box<dyn FnMut(usize, f64) -> f64 + Send>;

/// `keras.callbacks.LearningRateScheduler(schedule, verbose=0)`: at each epoch's start sets the
/// learning rate to `schedule(epoch, lr)` (epoch 0-based, `lr` the current rate).
pub struct LearningRateScheduler {
    schedule: Schedule,
    verbose: u8,
}

impl LearningRateScheduler {
    pub fn new(
        schedule: impl FnMut(usize, f64) -> f64 + Send + 'static,
        verbose: u8,
    ) -> LearningRateScheduler {
        LearningRateScheduler { schedule: Box::new(schedule), verbose }
    }
}

impl Callback for LearningRateScheduler {
    fn on_epoch_begin(&mut self, model: &mut Model, epoch: usize, _logs: &Logs) -> Result<()> {
        const CLASS: &str = "LearningRateScheduler";
        let opt = optimizer(CLASS, model)?;
        let lr = (self.schedule)(epoch, opt.learning_rate()?);
        if !lr.is_finite() {
            return Err(Error::arg(
                CLASS,
                format!(
                    "The output of the `schedule` function should be a finite float. Got: {}",
                    py_repr(lr)
                ),
            ));
        }
        opt.set_learning_rate(lr)?;
        if self.verbose > 0 {
            msg(
                CLASS,
                &format!(
                    "\nEpoch {}: LearningRateScheduler setting learning rate to {}.",
                    epoch + 1,
                    py_repr(lr)
                ),
            )?;
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, model: &mut Model, _epoch: usize, logs: &mut Logs) -> Result<()> {
        logs.insert("learning_rate", optimizer("LearningRateScheduler", model)?.learning_rate()?);
        Ok(())
    }
}

/// `ReduceLROnPlateau`'s arguments, with Keras's defaults.
#[derive(Clone, Debug)]
pub struct ReduceLROnPlateauArgs {
    pub monitor: String,
    pub factor: f64,
    pub patience: usize,
    pub verbose: u8,
    /// `"auto"`, `"min"` or `"max"` (anything else warns and is `"auto"`, as Keras does).
    pub mode: String,
    pub min_delta: f64,
    pub cooldown: usize,
    pub min_lr: f64,
}

impl Default for ReduceLROnPlateauArgs {
    fn default() -> Self {
        ReduceLROnPlateauArgs {
            monitor: "val_loss".into(),
            factor: 0.1,
            patience: 10,
            verbose: 0,
            mode: "auto".into(),
            min_delta: 1e-4,
            cooldown: 0,
            min_lr: 0.0,
        }
    }
}

/// `keras.callbacks.ReduceLROnPlateau`: multiplies the learning rate by `factor` (not below
/// `min_lr`) when the monitored value has not improved for `patience` epochs, then waits
/// `cooldown` epochs before counting again.
pub struct ReduceLROnPlateau {
    monitor: Monitor,
    factor: f64,
    patience: usize,
    verbose: u8,
    cooldown: usize,
    min_lr: f64,
    pub best: Option<f64>,
    pub wait: usize,
    pub cooldown_counter: usize,
    warned_missing: bool,
}

impl ReduceLROnPlateau {
    pub fn new(args: ReduceLROnPlateauArgs) -> Result<ReduceLROnPlateau> {
        if args.factor >= 1.0 || args.factor.is_nan() {
            return Err(Error::arg(
                "ReduceLROnPlateau",
                format!(
                    "ReduceLROnPlateau does not support a factor >= 1.0. Received factor={}",
                    py_repr(args.factor)
                ),
            ));
        }
        Ok(ReduceLROnPlateau {
            monitor: Monitor::new("ReduceLROnPlateau", &args.monitor, &args.mode, args.min_delta),
            factor: args.factor,
            patience: args.patience,
            verbose: args.verbose,
            cooldown: args.cooldown,
            min_lr: args.min_lr,
            best: None,
            wait: 0,
            cooldown_counter: 0,
            warned_missing: false,
        })
    }

    fn in_cooldown(&self) -> bool {
        self.cooldown_counter > 0
    }

    /// Keras's `_reduce_optimizer_lr`: whether the rate was above `min_lr` and so reduced.
    fn reduce(&self, model: &Model, epoch: usize) -> Result<bool> {
        let opt = optimizer("ReduceLROnPlateau", model)?;
        let old_lr = opt.learning_rate()?;
        // Keras compares the float32 rate with `np.float32(min_lr)`.
        if old_lr > self.min_lr as f32 as f64 {
            let new_lr = (old_lr * self.factor).max(self.min_lr);
            opt.set_learning_rate(new_lr)?;
            if self.verbose > 0 {
                msg(
                    "ReduceLROnPlateau",
                    &format!(
                        "\nEpoch {}: ReduceLROnPlateau reducing learning rate to {}.",
                        epoch + 1,
                        py_repr(new_lr)
                    ),
                )?;
            }
            return Ok(true);
        }
        Ok(false)
    }
}

impl Callback for ReduceLROnPlateau {
    fn on_train_begin(&mut self, _model: &mut Model, _logs: &Logs) -> Result<()> {
        self.best = None;
        self.cooldown_counter = 0;
        self.wait = 0;
        Ok(())
    }

    fn on_epoch_end(&mut self, model: &mut Model, epoch: usize, logs: &mut Logs) -> Result<()> {
        self.monitor.resolve(model)?;
        logs.insert("learning_rate", optimizer("ReduceLROnPlateau", model)?.learning_rate()?);
        let Some(current) = logs.get(&self.monitor.monitor) else {
            if !self.warned_missing {
                self.warned_missing = true;
                let keys: Vec<&str> = logs.iter().map(|(k, _)| k).collect();
                eprintln!(
                    "UserWarning: Learning rate reduction is conditioned on metric `{}` which is not \
                     available. Available metrics are: {}.",
                    self.monitor.monitor,
                    keys.join(",")
                );
            }
            return Ok(());
        };
        if self.in_cooldown() {
            self.cooldown_counter -= 1;
            self.wait = 0;
        }
        if self.monitor.is_improvement(current, self.best) {
            self.best = Some(current);
            self.wait = 0;
        } else if !self.in_cooldown() {
            self.wait += 1;
            if self.wait >= self.patience && self.reduce(model, epoch)? {
                self.cooldown_counter = self.cooldown;
                self.wait = 0;
            }
        }
        Ok(())
    }
}
