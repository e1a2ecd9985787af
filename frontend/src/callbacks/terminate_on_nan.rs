//! `keras.callbacks.TerminateOnNaN`: stops `fit` when a batch's loss is NaN or infinite.

use super::model_checkpoint::py_repr;
use super::{Callback, Logs};
use crate::error::{Error, Result};
use crate::models::Model;
use crate::utils::progbar::print_msg;

/// `keras.callbacks.TerminateOnNaN(raise_error=False)`: on a NaN or infinite batch loss, sets
/// `stop_training` (or, with `raise_error`, makes `fit` return an `Err` at once).
#[derive(Clone, Debug, Default)]
pub struct TerminateOnNaN {
    pub raise_error: bool,
}

impl TerminateOnNaN {
    pub fn new(raise_error: bool) -> TerminateOnNaN {
        TerminateOnNaN { raise_error }
    }
}

impl Callback for TerminateOnNaN {
    fn on_train_batch_end(&mut self, model: &mut Model, batch: usize, logs: Option<&Logs>) -> Result<()> {
        let Some(loss) = logs.and_then(|l| l.get("loss")) else { return Ok(()) };
        if loss.is_finite() {
            return Ok(());
        }
        if self.raise_error {
            return Err(Error::arg(
                "TerminateOnNaN",
                format!(
                    "NaN or Inf loss encountered at batch {batch}. Loss value: {}. Terminating training \
                     immediately.",
                    py_repr(loss)
                ),
            ));
        }
        print_msg(&format!("Batch {batch}: Invalid loss, terminating training"), true)
            .map_err(|e| Error::arg("TerminateOnNaN", format!("writing a message: {e}")))?;
        model.stop_training = true;
        Ok(())
    }

    fn wants_batch_logs(&self) -> bool {
        true
    }
}
