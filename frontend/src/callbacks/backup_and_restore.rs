//! `keras.callbacks.BackupAndRestore`: backs up the training state (weights, optimizer state,
//! where `fit` is) in a folder so that a `fit` interrupted by an error, a panic or a killed
//! process resumes there when run again with the same callback arguments.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::model_checkpoint::SaveFreq;
use super::{Callback, Logs};
use crate::error::{Error, Result};
use crate::models::Model;
use crate::utils::files::write_bytes_atomically;

const CLASS: &str = "BackupAndRestore";
/// The weights file in the backup folder (Keras's `latest.weights.h5`; written with
/// `Model::save_weights`, which includes the optimizer's state).
pub(crate) const WEIGHTS_FILE: &str = "latest.weights.safetensors";
const METADATA_FILE: &str = "training_metadata.json";

/// `BackupAndRestore`'s arguments after `backup_dir`, with Keras's defaults.
#[derive(Clone, Debug)]
pub struct BackupAndRestoreArgs {
    pub save_freq: SaveFreq,
    /// Keep the previous backup too (`*.bkp`), restored when the latest cannot be read.
    pub double_checkpoint: bool,
    /// Delete the backup folder when `fit` ends normally.
    pub delete_checkpoint: bool,
}

impl Default for BackupAndRestoreArgs {
    fn default() -> Self {
        BackupAndRestoreArgs { save_freq: SaveFreq::Epoch, double_checkpoint: false, delete_checkpoint: true }
    }
}

/// `keras.callbacks.BackupAndRestore(backup_dir, save_freq="epoch", double_checkpoint=False,
/// delete_checkpoint=True)`.
///
/// The metadata file has Keras's keys (`epoch`: the epochs finished, `batch`: the last batch
/// seen) and `step`: the batches of the current epoch already trained, so that with
/// `save_freq` in batches the resumed `fit` continues inside the epoch (Keras 3.15 restarts
/// the epoch). The loss and metrics logged for a resumed epoch cover its remaining batches.
/// With `shuffle`, the resumed `fit` draws the same batches when the global seed is set to the
/// same value before each run (`utils::set_random_seed`): each pass's order derives from the
/// seed `fit` draws when it starts.
pub struct BackupAndRestore {
    backup_dir: PathBuf,
    save_freq: SaveFreq,
    double_checkpoint: bool,
    delete_checkpoint: bool,
    batches_seen_since_last_saving: usize,
    last_batch_seen: usize,
    current_epoch: usize,
    /// Batches of the current epoch trained so far.
    steps_done: usize,
}

impl BackupAndRestore {
    pub fn new(backup_dir: impl AsRef<Path>, args: BackupAndRestoreArgs) -> Result<BackupAndRestore> {
        let backup_dir = backup_dir.as_ref().to_path_buf();
        if backup_dir.as_os_str().is_empty() {
            return Err(Error::arg(CLASS, "Empty `backup_dir` argument passed"));
        }
        Ok(BackupAndRestore {
            backup_dir,
            save_freq: args.save_freq,
            double_checkpoint: args.double_checkpoint,
            delete_checkpoint: args.delete_checkpoint,
            batches_seen_since_last_saving: 0,
            last_batch_seen: 0,
            current_epoch: 0,
            steps_done: 0,
        })
    }

    fn weights_path(&self) -> PathBuf {
        self.backup_dir.join(WEIGHTS_FILE)
    }

    fn metadata_path(&self) -> PathBuf {
        self.backup_dir.join(METADATA_FILE)
    }

    fn bkp(p: &Path) -> PathBuf {
        let mut s = p.as_os_str().to_owned();
        s.push(".bkp");
        PathBuf::from(s)
    }

    /// Keras's `_load_model`: the weights (and optimizer state), then where to start.
    fn load(&self, model: &mut Model) -> Result<()> {
        if !model.is_built() {
            return Err(Error::arg(
                CLASS,
                format!(
                    "To use the BackupAndRestore callback, you model must be built before you call `fit()`. \
                     Model {:?} is unbuilt. You can build it beforehand by calling it on a batch of data.",
                    model.name
                ),
            ));
        }
        let weights = self.weights_path();
        if weights.exists() {
            model.load_weights(&weights)?;
        }
        let meta_path = self.metadata_path();
        if meta_path.exists() {
            let text = std::fs::read_to_string(&meta_path).map_err(|e| Error::io(CLASS, &meta_path, e))?;
            let meta: Value = serde_json::from_str(&text)
                .map_err(|e| Error::format(CLASS, &meta_path, format!("not valid JSON: {e}")))?;
            let epoch = meta
                .get("epoch")
                .and_then(Value::as_u64)
                .ok_or_else(|| Error::format(CLASS, &meta_path, "no integer \"epoch\" key"))?;
            let step = meta.get("step").and_then(Value::as_u64).unwrap_or(0);
            model.set_initial_epoch(epoch as usize, step as usize);
        }
        Ok(())
    }

    fn save(&self, model: &mut Model) -> Result<()> {
        std::fs::create_dir_all(&self.backup_dir).map_err(|e| Error::io(CLASS, &self.backup_dir, e))?;
        let (weights, meta) = (self.weights_path(), self.metadata_path());
        if self.double_checkpoint {
            for p in [&weights, &meta] {
                if p.exists() {
                    std::fs::copy(p, Self::bkp(p)).map_err(|e| Error::io(CLASS, p, e))?;
                }
            }
        }
        model.save_weights(&weights)?;
        let meta_json = json!({
            "epoch": self.current_epoch,
            "batch": self.last_batch_seen,
            "step": self.steps_done,
        });
        write_bytes_atomically(CLASS, &meta, meta_json.to_string().as_bytes())
    }

    /// Keras's `_should_save_on_batch`.
    fn should_save_on_batch(&mut self, batch: usize) -> bool {
        let SaveFreq::Batches(freq) = self.save_freq else { return false };
        let add = if batch <= self.last_batch_seen { batch + 1 } else { batch - self.last_batch_seen };
        self.batches_seen_since_last_saving += add;
        self.last_batch_seen = batch;
        if self.batches_seen_since_last_saving >= freq {
            self.batches_seen_since_last_saving = 0;
            return true;
        }
        false
    }
}

impl Callback for BackupAndRestore {
    fn on_train_begin(&mut self, model: &mut Model, _logs: &Logs) -> Result<()> {
        let Err(e) = self.load(model) else { return Ok(()) };
        // The latest backup could not be read: fall back on the previous one when kept.
        let (weights, meta) = (self.weights_path(), self.metadata_path());
        let prev_weights = Self::bkp(&weights);
        if !prev_weights.exists() {
            return Err(e);
        }
        std::fs::copy(&prev_weights, &weights).map_err(|e| Error::io(CLASS, &weights, e))?;
        let prev_meta = Self::bkp(&meta);
        if prev_meta.exists() {
            std::fs::copy(&prev_meta, &meta).map_err(|e| Error::io(CLASS, &meta, e))?;
        } else if meta.exists() {
            std::fs::remove_file(&meta).map_err(|e| Error::io(CLASS, &meta, e))?;
        }
        self.load(model)
    }

    fn on_epoch_begin(&mut self, _model: &mut Model, epoch: usize, _logs: &Logs) -> Result<()> {
        self.current_epoch = epoch;
        self.steps_done = 0;
        Ok(())
    }

    fn on_train_batch_end(&mut self, model: &mut Model, batch: usize, _logs: Option<&Logs>) -> Result<()> {
        self.steps_done = batch + 1;
        if self.should_save_on_batch(batch) {
            self.save(model)?;
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, model: &mut Model, epoch: usize, _logs: &mut Logs) -> Result<()> {
        self.current_epoch = epoch + 1;
        self.last_batch_seen = 0;
        self.steps_done = 0;
        if self.save_freq == SaveFreq::Epoch {
            self.save(model)?;
        }
        Ok(())
    }

    fn on_train_end(&mut self, _model: &mut Model, _logs: &Logs) -> Result<()> {
        if self.delete_checkpoint && self.backup_dir.exists() {
            std::fs::remove_dir_all(&self.backup_dir).map_err(|e| Error::io(CLASS, &self.backup_dir, e))?;
        }
        Ok(())
    }
}
