//! `keras.callbacks.LambdaCallback`: a callback made of closures, one per hook.

use wgkeras_runtime::Tensor;

use super::{Callback, Logs};
use crate::error::Result;
use crate::models::Model;

type EpochFn = Box<dyn FnMut(&mut Model, usize, &Logs) -> Result<()> + Send>;
type RunFn = Box<dyn FnMut(&mut Model, &Logs) -> Result<()> + Send>;
type BatchBeginFn = Box<dyn FnMut(&mut Model, usize) -> Result<()> + Send>;
type BatchEndFn = Box<dyn FnMut(&mut Model, usize, Option<&Logs>) -> Result<()> + Send>;
type PredictEndFn = Box<dyn FnMut(&mut Model, usize, &[Tensor]) -> Result<()> + Send>;

/// `keras.callbacks.LambdaCallback(on_epoch_begin=..., on_epoch_end=..., on_train_begin=...,
/// on_train_end=..., on_train_batch_begin=..., on_train_batch_end=..., **kwargs)`: each hook
/// given runs its closure; the others do nothing. The other hooks Keras takes through
/// `**kwargs` (`on_test_begin`, `on_predict_batch_end`, ...) have their own setters here.
/// Set [`LambdaCallback::batch_logs`] for batch-end closures that read the logs.
#[derive(Default)]
pub struct LambdaCallback {
    epoch_begin: Option<EpochFn>,
    epoch_end: Option<EpochFn>,
    train_begin: Option<RunFn>,
    train_end: Option<RunFn>,
    train_batch_begin: Option<BatchBeginFn>,
    train_batch_end: Option<BatchEndFn>,
    test_begin: Option<RunFn>,
    test_end: Option<RunFn>,
    test_batch_begin: Option<BatchBeginFn>,
    test_batch_end: Option<BatchEndFn>,
    predict_begin: Option<RunFn>,
    predict_end: Option<RunFn>,
    predict_batch_begin: Option<BatchBeginFn>,
    predict_batch_end: Option<PredictEndFn>,
    batch_logs: bool,
}

macro_rules! setter {
    ($name:ident, $field:ident, $($arg:ty),*) => {
        pub fn $name(mut self, f: impl FnMut($($arg),*) -> Result<()> + Send + 'static) -> Self {
            self.$field = Some(Box::new(f));
            self
        }
    };
}

impl LambdaCallback {
    pub fn new() -> LambdaCallback {
        LambdaCallback::default()
    }

    setter!(on_epoch_begin, epoch_begin, &mut Model, usize, &Logs);
    setter!(on_epoch_end, epoch_end, &mut Model, usize, &Logs);
    setter!(on_train_begin, train_begin, &mut Model, &Logs);
    setter!(on_train_end, train_end, &mut Model, &Logs);
    setter!(on_train_batch_begin, train_batch_begin, &mut Model, usize);
    setter!(on_train_batch_end, train_batch_end, &mut Model, usize, Option<&Logs>);
    setter!(on_test_begin, test_begin, &mut Model, &Logs);
    setter!(on_test_end, test_end, &mut Model, &Logs);
    setter!(on_test_batch_begin, test_batch_begin, &mut Model, usize);
    setter!(on_test_batch_end, test_batch_end, &mut Model, usize, Option<&Logs>);
    setter!(on_predict_begin, predict_begin, &mut Model, &Logs);
    setter!(on_predict_end, predict_end, &mut Model, &Logs);
    setter!(on_predict_batch_begin, predict_batch_begin, &mut Model, usize);
    setter!(on_predict_batch_end, predict_batch_end, &mut Model, usize, &[Tensor]);

    /// Whether the batch-end closures get the batch's logs (a readback per batch on a GPU).
    pub fn batch_logs(mut self, on: bool) -> Self {
        self.batch_logs = on;
        self
    }
}

impl Callback for LambdaCallback {
    fn on_epoch_begin(&mut self, model: &mut Model, epoch: usize, logs: &Logs) -> Result<()> {
        self.epoch_begin.as_mut().map_or(Ok(()), |f| f(model, epoch, logs))
    }
    fn on_epoch_end(&mut self, model: &mut Model, epoch: usize, logs: &mut Logs) -> Result<()> {
        self.epoch_end.as_mut().map_or(Ok(()), |f| f(model, epoch, logs))
    }
    fn on_train_begin(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        self.train_begin.as_mut().map_or(Ok(()), |f| f(model, logs))
    }
    fn on_train_end(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        self.train_end.as_mut().map_or(Ok(()), |f| f(model, logs))
    }
    fn on_train_batch_begin(&mut self, model: &mut Model, batch: usize) -> Result<()> {
        self.train_batch_begin.as_mut().map_or(Ok(()), |f| f(model, batch))
    }
    fn on_train_batch_end(&mut self, model: &mut Model, batch: usize, logs: Option<&Logs>) -> Result<()> {
        self.train_batch_end.as_mut().map_or(Ok(()), |f| f(model, batch, logs))
    }
    fn on_test_begin(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        self.test_begin.as_mut().map_or(Ok(()), |f| f(model, logs))
    }
    fn on_test_end(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        self.test_end.as_mut().map_or(Ok(()), |f| f(model, logs))
    }
    fn on_test_batch_begin(&mut self, model: &mut Model, batch: usize) -> Result<()> {
        self.test_batch_begin.as_mut().map_or(Ok(()), |f| f(model, batch))
    }
    fn on_test_batch_end(&mut self, model: &mut Model, batch: usize, logs: Option<&Logs>) -> Result<()> {
        self.test_batch_end.as_mut().map_or(Ok(()), |f| f(model, batch, logs))
    }
    fn on_predict_begin(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        self.predict_begin.as_mut().map_or(Ok(()), |f| f(model, logs))
    }
    fn on_predict_end(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        self.predict_end.as_mut().map_or(Ok(()), |f| f(model, logs))
    }
    fn on_predict_batch_begin(&mut self, model: &mut Model, batch: usize) -> Result<()> {
        self.predict_batch_begin.as_mut().map_or(Ok(()), |f| f(model, batch))
    }
    fn on_predict_batch_end(&mut self, model: &mut Model, batch: usize, outputs: &[Tensor]) -> Result<()> {
        self.predict_batch_end.as_mut().map_or(Ok(()), |f| f(model, batch, outputs))
    }
    fn wants_batch_logs(&self) -> bool {
        self.batch_logs
    }
}
