//! `keras.callbacks.TensorBoard`: scalar summaries in TensorBoard's event files, written without
//! TensorFlow.
//!
//! The layout is Keras 3's: `<log_dir>/train/` and `<log_dir>/validation/`, each holding one
//! `events.out.tfevents.<secs>.<host>.<pid>.<n>.v2` file per `fit` (a new file each run, as
//! Keras's `set_model` resets its writers). A file is a sequence of TFRecords (u64 length,
//! masked CRC-32C of the length, the bytes, masked CRC-32C of the bytes), each an `Event`
//! protobuf: first `file_version: "brain.Event:2"`, then one event per scalar, as TF 2's
//! `tf.summary.scalar` writes it: `summary { value { tag, tensor { DT_FLOAT, shape [],
//! tensor_content }, metadata { plugin_data { plugin_name: "scalars" } } } }`.
//!
//! Tags and steps follow Keras: `epoch_<key>` at step `epoch` (training keys in `train/`,
//! `val_` keys without the prefix in `validation/`), `epoch_learning_rate`, with
//! `write_steps_per_second` `epoch_steps_per_second` and `batch_steps_per_second`, with
//! `update_freq` a number of batches `batch_<key>` at the global batch count (1-based) when it
//! is a multiple of it, and `evaluation_<key>_vs_iterations` at the optimizer's iteration
//! count when a test run (evaluate or validation) calls `on_test_end`. With `write_graph`
//! (the default) the model's JSON is written as the `keras` summary (plugin
//! `graph_keras_model`), which TensorBoard's graph tab shows.
//!
//! One difference from Keras with an integer `update_freq`: Keras's epoch-level summaries are
//! then written under `tf.summary.record_if(<last batch count> % update_freq == 0)` (left on
//! from the batch hooks), so they are silently dropped for some epochs; here they are always
//! written.
//!
//! Not built (they need TensorFlow's ops or profiler): `histogram_freq > 0`,
//! `write_images`, `embeddings_freq > 0` and `profile_batch`; asking for one is an `Err`.
//!
//! Event files are appended to and flushed at every epoch end (TensorBoard reads them while
//! they grow, so they cannot be written to a temporary name and renamed); a crash mid-write
//! leaves a truncated last record, which readers detect through its length CRC and skip.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::{Callback, Logs};
use crate::error::{Error, Result};
use crate::models::Model;

const OP: &str = "TensorBoard";

/// When batch-level summaries are written (Keras's `update_freq`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateFreq {
    /// `"epoch"` (the default): only epoch-level summaries.
    Epoch,
    /// An integer N (`"batch"` is N = 1): the batch logs every N batches as well.
    Batches(usize),
}

impl UpdateFreq {
    /// Keras's spellings: `"epoch"`, `"batch"` or a positive integer.
    pub fn parse(s: &str) -> Result<UpdateFreq> {
        match s {
            "epoch" => Ok(UpdateFreq::Epoch),
            "batch" => Ok(UpdateFreq::Batches(1)),
            _ => match s.parse::<usize>() {
                Ok(n) if n > 0 => Ok(UpdateFreq::Batches(n)),
                _ => Err(Error::arg(
                    OP,
                    format!("update_freq must be \"batch\", \"epoch\" or a positive integer, got {s:?}"),
                )),
            },
        }
    }
}

/// `keras.callbacks.TensorBoard(log_dir="logs", ...)`: see the module docs.
#[derive(Debug)]
pub struct TensorBoard {
    log_dir: PathBuf,
    write_graph: bool,
    write_steps_per_second: bool,
    update_freq: UpdateFreq,
    train: Option<EventFileWriter>,
    val: Option<EventFileWriter>,
    global_train_batch: u64,
    previous_epoch_iterations: i64,
    epoch_start: Option<Instant>,
    batch_start: Option<Instant>,
}

impl TensorBoard {
    /// A callback writing under `log_dir`, with Keras's defaults (`write_graph=True`,
    /// `write_steps_per_second=False`, `update_freq="epoch"`).
    pub fn new(log_dir: impl AsRef<Path>) -> TensorBoard {
        TensorBoard {
            log_dir: log_dir.as_ref().to_path_buf(),
            write_graph: true,
            write_steps_per_second: false,
            update_freq: UpdateFreq::Epoch,
            train: None,
            val: None,
            global_train_batch: 0,
            previous_epoch_iterations: 0,
            epoch_start: None,
            batch_start: None,
        }
    }

    pub fn write_graph(mut self, on: bool) -> Self {
        self.write_graph = on;
        self
    }

    pub fn write_steps_per_second(mut self, on: bool) -> Self {
        self.write_steps_per_second = on;
        self
    }

    /// `update_freq`; `Batches(0)` is an `Err` (Keras would divide by zero).
    pub fn update_freq(mut self, freq: UpdateFreq) -> Result<Self> {
        if freq == UpdateFreq::Batches(0) {
            return Err(Error::arg(OP, "update_freq must be a positive number of batches, got 0"));
        }
        self.update_freq = freq;
        Ok(self)
    }

    /// `histogram_freq`: 0 is accepted; weight histograms are not built.
    pub fn histogram_freq(self, freq: usize) -> Result<Self> {
        not_built(self, freq == 0, format!("histogram_freq={freq}"), "weight histograms")
    }

    /// `write_images`: false is accepted; weight images are not built.
    pub fn write_images(self, on: bool) -> Result<Self> {
        not_built(self, !on, "write_images=True".to_string(), "weight images")
    }

    /// `embeddings_freq`: 0 is accepted; the embedding projector is not built.
    pub fn embeddings_freq(self, freq: usize) -> Result<Self> {
        not_built(self, freq == 0, format!("embeddings_freq={freq}"), "the embedding projector")
    }

    /// `profile_batch` as (start, stop): (0, 0) is accepted; profiling is not built.
    pub fn profile_batch(self, start: usize, stop: usize) -> Result<Self> {
        if stop < start {
            return Err(Error::arg(
                OP,
                format!(
                    "profile_batch must be a non-negative integer or 2-tuple of positive integers. A \
                     pair of positive integers signifies a range of batches to profile. Found: \
                     ({start}, {stop})"
                ),
            ));
        }
        not_built(self, start == 0 && stop == 0, format!("profile_batch=({start}, {stop})"), "profiling")
    }

    /// The folder of the training summaries.
    pub fn train_dir(&self) -> PathBuf {
        self.log_dir.join("train")
    }

    /// The folder of the validation and evaluation summaries.
    pub fn validation_dir(&self) -> PathBuf {
        self.log_dir.join("validation")
    }

    fn train_writer(&mut self) -> Result<&mut EventFileWriter> {
        if self.train.is_none() {
            self.train = Some(EventFileWriter::create(&self.train_dir())?);
        }
        Ok(self.train.as_mut().expect("just created"))
    }

    fn val_writer(&mut self) -> Result<&mut EventFileWriter> {
        if self.val.is_none() {
            self.val = Some(EventFileWriter::create(&self.validation_dir())?);
        }
        Ok(self.val.as_mut().expect("just created"))
    }

    fn close_writers(&mut self) -> Result<()> {
        for w in [self.train.take(), self.val.take()].into_iter().flatten() {
            w.close()?;
        }
        Ok(())
    }

    fn write_keras_model_summary(&mut self, model: &Model) -> Result<()> {
        // Keras's `keras_model_summary` warns and goes on when the model cannot be serialized.
        let json = match model.to_json() {
            Ok(j) => j,
            Err(e) => {
                log::warn!("{OP}: model failed to serialize as JSON, the graph is not written: {e}");
                return Ok(());
            }
        };
        let value = summary_value_string("keras", json.as_bytes(), "graph_keras_model", b"1");
        self.train_writer()?.write_summary(0, &value)
    }
}

fn not_built(tb: TensorBoard, ok: bool, what: String, feature: &str) -> Result<TensorBoard> {
    if ok {
        Ok(tb)
    } else {
        Err(Error::arg(
            OP,
            format!("{what} is not supported: {feature} need TensorFlow and are not built in wgkeras"),
        ))
    }
}

fn optimizer_state(model: &Model) -> Result<Option<(f64, i64)>> {
    match model.compiled.as_ref() {
        Some(c) => {
            let base = c.optimizer.base();
            Ok(Some((base.learning_rate()?, base.iterations()?)))
        }
        None => Ok(None),
    }
}

impl Callback for TensorBoard {
    fn on_train_begin(&mut self, model: &mut Model, _logs: &Logs) -> Result<()> {
        // Keras's `set_model`: fresh writers (so new event files) for every run.
        self.close_writers()?;
        self.global_train_batch = 0;
        self.previous_epoch_iterations = 0;
        if self.write_graph {
            self.write_keras_model_summary(model)?;
        }
        Ok(())
    }

    fn on_train_end(&mut self, _model: &mut Model, _logs: &Logs) -> Result<()> {
        self.close_writers()
    }

    fn on_test_end(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        if let Some((_, iterations)) = optimizer_state(model)? {
            let w = self.val_writer()?;
            for (name, value) in logs.iter() {
                w.write_scalar(iterations, &format!("evaluation_{name}_vs_iterations"), value)?;
            }
            w.flush()?;
        }
        Ok(())
    }

    fn on_train_batch_begin(&mut self, _model: &mut Model, _batch: usize) -> Result<()> {
        self.global_train_batch += 1;
        if self.write_steps_per_second {
            self.batch_start = Some(Instant::now());
        }
        Ok(())
    }

    fn on_train_batch_end(&mut self, model: &mut Model, _batch: usize, logs: Option<&Logs>) -> Result<()> {
        // With update_freq="epoch" Keras has no default writer during batches, so nothing of
        // the batch is written.
        let UpdateFreq::Batches(n) = self.update_freq else { return Ok(()) };
        let step = self.global_train_batch;
        if step % n as u64 != 0 {
            return Ok(());
        }
        let read;
        let logs = match logs {
            Some(l) => Some(l),
            // Read back only on the batches that are written.
            None if model.compiled.is_some() => {
                read = model.read_logs()?;
                Some(&read)
            }
            None => None,
        };
        let per_second = match (self.write_steps_per_second, self.batch_start) {
            (true, Some(t)) => Some(1.0 / t.elapsed().as_secs_f64()),
            _ => None,
        };
        let w = self.train_writer()?;
        if let Some(v) = per_second {
            w.write_scalar(step as i64, "batch_steps_per_second", v)?;
        }
        for (name, value) in logs.into_iter().flat_map(|l| l.iter()) {
            w.write_scalar(step as i64, &format!("batch_{name}"), value)?;
        }
        Ok(())
    }

    fn on_epoch_begin(&mut self, model: &mut Model, _epoch: usize, _logs: &Logs) -> Result<()> {
        if self.write_steps_per_second {
            self.previous_epoch_iterations = optimizer_state(model)?.map_or(0, |s| s.1);
            self.epoch_start = Some(Instant::now());
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, model: &mut Model, epoch: usize, logs: &mut Logs) -> Result<()> {
        if logs.0.is_empty() {
            return Ok(());
        }
        let mut train: Vec<(String, f64)> =
            logs.iter().filter(|(k, _)| !k.starts_with("val_")).map(|(k, v)| (k.to_string(), v)).collect();
        let val: Vec<(&str, f64)> =
            logs.iter().filter_map(|(k, v)| k.strip_prefix("val_").map(|k| (k, v))).collect();
        let state = optimizer_state(model)?;
        if let Some((lr, _)) = state {
            upsert(&mut train, "learning_rate", lr);
        }
        if self.write_steps_per_second {
            if let (Some((_, it)), Some(t)) = (state, self.epoch_start) {
                let sps = (it - self.previous_epoch_iterations) as f32 / t.elapsed().as_secs_f32();
                upsert(&mut train, "steps_per_second", sps as f64);
            }
        }
        let step = epoch as i64;
        if !train.is_empty() {
            let w = self.train_writer()?;
            for (name, value) in &train {
                w.write_scalar(step, &format!("epoch_{name}"), *value)?;
            }
            w.flush()?;
        }
        if !val.is_empty() {
            let w = self.val_writer()?;
            for (name, value) in &val {
                w.write_scalar(step, &format!("epoch_{name}"), *value)?;
            }
            w.flush()?;
        }
        Ok(())
    }
}

/// Python's `dict[key] = value`: replaces in place or appends.
fn upsert(v: &mut Vec<(String, f64)>, key: &str, value: f64) {
    match v.iter_mut().find(|(k, _)| k == key) {
        Some(e) => e.1 = value,
        None => v.push((key.to_string(), value)),
    }
}

// ---------------------------------------------------------------------------------------------
// Event files
// ---------------------------------------------------------------------------------------------

/// One event file, appended record by record.
#[derive(Debug)]
struct EventFileWriter {
    path: PathBuf,
    out: BufWriter<File>,
}

impl EventFileWriter {
    /// Creates `dir` and a new event file in it, and writes the `file_version` event.
    fn create(dir: &Path) -> Result<EventFileWriter> {
        static UID: AtomicU64 = AtomicU64::new(0);
        fs::create_dir_all(dir).map_err(|e| Error::io(OP, dir, e))?;
        let now = wall_time();
        let name = format!(
            "events.out.tfevents.{}.{}.{}.{}.v2",
            now as u64,
            hostname(),
            std::process::id(),
            UID.fetch_add(1, Ordering::Relaxed)
        );
        let path = dir.join(name);
        let file = fs::OpenOptions::new()
            .create_new(true)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(OP, &path, e))?;
        let mut w = EventFileWriter { path, out: BufWriter::new(file) };
        // TF writes the first event's time in whole seconds.
        let mut ev = Proto::default();
        ev.double(1, now.floor());
        ev.bytes(3, b"brain.Event:2");
        let mut source = Proto::default();
        source.bytes(1, b"wgkeras");
        ev.message(10, &source);
        w.write_record(&ev.0)?;
        w.flush()?;
        Ok(w)
    }

    fn write_scalar(&mut self, step: i64, tag: &str, value: f64) -> Result<()> {
        let v = summary_value_f32(tag, value as f32);
        self.write_summary(step, &v)
    }

    /// An `Event { wall_time, step, summary { value } }`.
    fn write_summary(&mut self, step: i64, value: &Proto) -> Result<()> {
        let mut summary = Proto::default();
        summary.message(1, value);
        let mut ev = Proto::default();
        ev.double(1, wall_time());
        if step != 0 {
            ev.varint(2, step as u64);
        }
        ev.message(5, &summary);
        self.write_record(&ev.0)
    }

    fn write_record(&mut self, data: &[u8]) -> Result<()> {
        let len = (data.len() as u64).to_le_bytes();
        let mut rec = Vec::with_capacity(data.len() + 16);
        rec.extend_from_slice(&len);
        rec.extend_from_slice(&masked_crc32c(&len).to_le_bytes());
        rec.extend_from_slice(data);
        rec.extend_from_slice(&masked_crc32c(data).to_le_bytes());
        self.out.write_all(&rec).map_err(|e| Error::io(OP, &self.path, e))
    }

    fn flush(&mut self) -> Result<()> {
        self.out.flush().map_err(|e| Error::io(OP, &self.path, e))
    }

    fn close(mut self) -> Result<()> {
        self.flush()?;
        self.out.get_ref().sync_all().map_err(|e| Error::io(OP, &self.path, e))
    }
}

/// TFRecord's CRC mask: rotate right by 15 and add a constant.
fn masked_crc32c(data: &[u8]) -> u32 {
    let crc = crc32c::crc32c(data);
    (crc.rotate_right(15)).wrapping_add(0xa282_ead8)
}

fn wall_time() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

/// The host name for the file name (Python's `socket.gethostname()`), "localhost" if unknown.
fn hostname() -> String {
    let from_file = |p: &str| fs::read_to_string(p).ok().map(|s| s.trim().to_string());
    let name = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| from_file("/proc/sys/kernel/hostname"))
        .or_else(|| from_file("/etc/hostname"))
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_default();
    // Keep the name a single path component.
    let name: String =
        name.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect();
    if name.is_empty() {
        "localhost".to_string()
    } else {
        name
    }
}

/// A scalar as TF 2's `tf.summary.scalar` writes it: a float32 tensor of shape [] in
/// `tensor_content`, tagged for the scalars plugin.
fn summary_value_f32(tag: &str, value: f32) -> Proto {
    let mut tensor = Proto::default();
    tensor.varint(1, 1); // DT_FLOAT
    tensor.message(2, &Proto::default()); // shape []
    tensor.bytes(4, &value.to_le_bytes());
    summary_value(tag, &tensor, "scalars", b"")
}

/// A string tensor of shape [] (how Keras writes the model's JSON).
fn summary_value_string(tag: &str, value: &[u8], plugin: &str, content: &[u8]) -> Proto {
    let mut tensor = Proto::default();
    tensor.varint(1, 7); // DT_STRING
    tensor.message(2, &Proto::default());
    tensor.bytes(8, value);
    summary_value(tag, &tensor, plugin, content)
}

/// `Summary.Value { tag = 1, tensor = 8, metadata = 9 { plugin_data = 1 { plugin_name = 1,
/// content = 2 } } }`, fields in number order as protobuf serializers write them.
fn summary_value(tag: &str, tensor: &Proto, plugin: &str, content: &[u8]) -> Proto {
    let mut plugin_data = Proto::default();
    plugin_data.bytes(1, plugin.as_bytes());
    if !content.is_empty() {
        plugin_data.bytes(2, content);
    }
    let mut metadata = Proto::default();
    metadata.message(1, &plugin_data);
    let mut v = Proto::default();
    v.bytes(1, tag.as_bytes());
    v.message(8, tensor);
    v.message(9, &metadata);
    v
}

/// A protobuf message being encoded: the few wire types events need.
#[derive(Debug, Default)]
struct Proto(Vec<u8>);

impl Proto {
    fn raw_varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8 & 0x7f) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn key(&mut self, field: u32, wire: u8) {
        self.raw_varint(((field as u64) << 3) | wire as u64);
    }

    fn varint(&mut self, field: u32, v: u64) {
        self.key(field, 0);
        self.raw_varint(v);
    }

    fn double(&mut self, field: u32, v: f64) {
        self.key(field, 1);
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn bytes(&mut self, field: u32, b: &[u8]) {
        self.key(field, 2);
        self.raw_varint(b.len() as u64);
        self.0.extend_from_slice(b);
    }

    fn message(&mut self, field: u32, m: &Proto) {
        self.bytes(field, &m.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_mask_and_varints() {
        // TFRecord's reference value: the masked CRC of an empty payload's length (0u64).
        let mut p = Proto::default();
        p.varint(2, 300);
        assert_eq!(p.0, vec![0x10, 0xac, 0x02]);
        p.0.clear();
        p.varint(2, (-1i64) as u64);
        assert_eq!(p.0.len(), 11);
        assert_eq!(masked_crc32c(b""), 0u32.rotate_right(15).wrapping_add(0xa282_ead8));
        assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);
    }

    #[test]
    fn update_freq_spellings() {
        assert_eq!(UpdateFreq::parse("epoch").unwrap(), UpdateFreq::Epoch);
        assert_eq!(UpdateFreq::parse("batch").unwrap(), UpdateFreq::Batches(1));
        assert_eq!(UpdateFreq::parse("25").unwrap(), UpdateFreq::Batches(25));
        assert!(UpdateFreq::parse("0").unwrap_err().to_string().contains("update_freq"));
        assert!(UpdateFreq::parse("often").is_err());
    }
}
