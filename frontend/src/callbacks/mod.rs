//! `keras.callbacks`: hooks into `fit`, `evaluate` and `predict`. This file holds the
//! [`Callback`] trait, the [`Logs`] they receive and [`History`], which `fit` always records.

mod backup_and_restore;
mod csv_logger;
mod early_stopping;
mod lambda_callback;
mod learning_rate;
mod model_checkpoint;
mod plot;
mod progbar_logger;
mod tensorboard;
mod terminate_on_nan;

pub use backup_and_restore::{BackupAndRestore, BackupAndRestoreArgs};
pub use csv_logger::{py_float_repr, CSVLogger};
pub use early_stopping::{EarlyStopping, EarlyStoppingArgs};
pub use lambda_callback::LambdaCallback;
pub use learning_rate::{LearningRateScheduler, ReduceLROnPlateau, ReduceLROnPlateauArgs};
pub use model_checkpoint::{format_filepath, FormatValue, ModelCheckpoint, ModelCheckpointArgs, SaveFreq};
pub use plot::{PANEL_HEIGHT, PANEL_WIDTH};
pub use progbar_logger::ProgbarLogger;
pub use tensorboard::{TensorBoard, UpdateFreq};
pub use terminate_on_nan::TerminateOnNaN;

use wgkeras_runtime::Tensor;

use crate::error::Result;
use crate::models::Model;

/// A step's or an epoch's values, in Keras's order (`loss` and metrics by name).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Logs(pub Vec<(String, f64)>);

impl Logs {
    pub fn get(&self, key: &str) -> Option<f64> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    pub fn insert(&mut self, key: impl Into<String>, value: f64) {
        let key = key.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(e) => e.1 = value,
            None => self.0.push((key, value)),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.0.iter().map(|(k, v)| (k.as_str(), *v))
    }
}

/// What `fit`, `evaluate` and `predict` tell their callbacks before they start (Keras's
/// `callback.params`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CallbackParams {
    pub epochs: usize,
    /// Batches per epoch (or per evaluate/predict run), when known.
    pub steps: Option<usize>,
    pub verbose: u8,
}

/// Hooks called by `fit`, `evaluate` and `predict`, Keras's `keras.callbacks.Callback`. Every
/// method has an empty default. A hook gets the model (Keras's `self.model`): it may read or set
/// weights, change the optimizer's learning rate, save the model, or set
/// [`Model::stop_training`]. An `Err` from a hook stops the run and is returned by it.
#[allow(unused_variables)]
pub trait Callback {
    /// Called once before a run with its parameters (Keras's `set_params`).
    fn set_params(&mut self, params: &CallbackParams) {}
    fn on_train_begin(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        Ok(())
    }
    fn on_train_end(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        Ok(())
    }
    fn on_epoch_begin(&mut self, model: &mut Model, epoch: usize, logs: &Logs) -> Result<()> {
        Ok(())
    }
    /// `logs` has the epoch's training values and, after validation, the `val_` ones. They are
    /// open to change: Keras's callbacks share one logs dict, so a callback may add values that
    /// the callbacks after it and History see (ReduceLROnPlateau and LearningRateScheduler add
    /// `learning_rate`).
    fn on_epoch_end(&mut self, model: &mut Model, epoch: usize, logs: &mut Logs) -> Result<()> {
        Ok(())
    }
    fn on_train_batch_begin(&mut self, model: &mut Model, batch: usize) -> Result<()> {
        Ok(())
    }
    /// `logs` (the running means of the epoch so far) is `None` unless
    /// [`Callback::wants_batch_logs`]: reading them costs a readback from the GPU.
    fn on_train_batch_end(&mut self, model: &mut Model, batch: usize, logs: Option<&Logs>) -> Result<()> {
        Ok(())
    }
    fn on_test_begin(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        Ok(())
    }
    fn on_test_end(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        Ok(())
    }
    fn on_test_batch_begin(&mut self, model: &mut Model, batch: usize) -> Result<()> {
        Ok(())
    }
    fn on_test_batch_end(&mut self, model: &mut Model, batch: usize, logs: Option<&Logs>) -> Result<()> {
        Ok(())
    }
    fn on_predict_begin(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        Ok(())
    }
    fn on_predict_end(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        Ok(())
    }
    fn on_predict_batch_begin(&mut self, model: &mut Model, batch: usize) -> Result<()> {
        Ok(())
    }
    /// `outputs` are the batch's predictions, one tensor per model output (Keras's
    /// `logs["outputs"]`).
    fn on_predict_batch_end(&mut self, model: &mut Model, batch: usize, outputs: &[Tensor]) -> Result<()> {
        Ok(())
    }
    /// Whether the batch hooks need the batch's logs.
    fn wants_batch_logs(&self) -> bool {
        false
    }
    /// Whether this callback prints the run's progress ([`ProgbarLogger`]): `fit`, `evaluate`
    /// and `predict` then add no progress bar of their own (Keras's CallbackList checks for a
    /// ProgbarLogger the same way).
    fn prints_progress(&self) -> bool {
        false
    }
}

/// Keras's `History`: each epoch's logs, by key, in the order they first appeared.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    pub epoch: Vec<usize>,
    pub history: Vec<(String, Vec<f64>)>,
}

impl History {
    /// The values of one key over the epochs.
    pub fn get(&self, key: &str) -> Option<&[f64]> {
        self.history.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_slice())
    }

    pub fn keys(&self) -> Vec<&str> {
        self.history.iter().map(|(k, _)| k.as_str()).collect()
    }

    pub(crate) fn record(&mut self, epoch: usize, logs: &Logs) {
        self.epoch.push(epoch);
        for (k, v) in logs.iter() {
            match self.history.iter_mut().find(|(key, _)| key == k) {
                Some((_, vals)) => vals.push(v),
                None => self.history.push((k.to_string(), vec![v])),
            }
        }
    }
}
