//! `keras.callbacks`: hooks into `fit`, `evaluate` and `predict`. This file holds the
//! [`Callback`] trait, the [`Logs`] they receive and [`History`], which `fit` always records.

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

/// What a callback can ask of the model being trained.
#[derive(Default)]
pub struct TrainControl {
    /// Set to stop `fit` after the current epoch (Keras's `model.stop_training = True`).
    pub stop_training: bool,
}

/// Hooks called by the training loop. Every method has an empty default.
#[allow(unused_variables)]
pub trait Callback {
    fn on_train_begin(&mut self, logs: &Logs) {}
    fn on_train_end(&mut self, logs: &Logs) {}
    fn on_epoch_begin(&mut self, epoch: usize, logs: &Logs) {}
    fn on_epoch_end(&mut self, epoch: usize, logs: &Logs, control: &mut TrainControl) {}
    fn on_train_batch_begin(&mut self, batch: usize) {}
    /// `logs` is `None` unless [`Callback::wants_batch_logs`] (reading them costs a readback).
    fn on_train_batch_end(&mut self, batch: usize, logs: Option<&Logs>, control: &mut TrainControl) {}
    fn on_test_begin(&mut self) {}
    fn on_test_end(&mut self, logs: &Logs) {}
    fn on_predict_begin(&mut self) {}
    fn on_predict_end(&mut self) {}
    /// Whether `on_train_batch_end` needs the batch's logs.
    fn wants_batch_logs(&self) -> bool {
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
