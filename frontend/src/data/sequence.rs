//! The `Sequence` contract of `keras.utils.Sequence`: a dataset cut into batches, indexed by
//! batch position.
//!
//! - [`Sequence::len`] is the number of batches (Keras's `__len__`);
//! - [`Sequence::get`] returns one complete batch (Keras's `__getitem__`), an `Err` for an index
//!   past the end;
//! - [`Sequence::on_epoch_end`] is called at the end of every epoch (modify the dataset between
//!   epochs there, e.g. reshuffle);
//! - [`Sequence::iter`] goes over the batches `0..len()` in order (Keras's `__iter__`).
//!
//! `get` takes `&mut self` because Keras's own sequences (the image iterators) keep state across
//! calls: the shuffled index array is built lazily and each batch reseeds the random draws.

use wgkeras_runtime::{DType, Device, Tensor};

use crate::{Error, Result};

/// One batch: the inputs `x` and, when the dataset has them, the targets `y` and the per-sample
/// weights. All tensors share the first dimension (the batch size of this batch, the last batch
/// may be short).
#[derive(Debug, Clone)]
pub struct Batch {
    pub x: Tensor,
    pub y: Option<Tensor>,
    pub sample_weight: Option<Tensor>,
}

impl Batch {
    /// Number of samples in the batch (the first dimension of `x`).
    pub fn size(&self) -> usize {
        self.x.shape().first().copied().unwrap_or(0)
    }

    /// Builds a batch from host data on `device`: `x` as `x_dtype`, `y` and `sample_weight` as
    /// float32. Every array is `(data, dims)`; the sizes must match the dims.
    pub fn from_host(
        x: (Vec<f32>, &[usize]),
        y: Option<(Vec<f32>, &[usize])>,
        sample_weight: Option<(Vec<f32>, &[usize])>,
        x_dtype: DType,
        device: &Device,
    ) -> Result<Batch> {
        let x = host_tensor(x.0, x.1, x_dtype, device)?;
        let y = y.map(|(d, s)| host_tensor(d, s, DType::F32, device)).transpose()?;
        let sample_weight = sample_weight.map(|(d, s)| host_tensor(d, s, DType::F32, device)).transpose()?;
        Ok(Batch { x, y, sample_weight })
    }
}

/// A tensor of `dtype` on `device` from f32 host data (values converted as NumPy's `astype`).
pub(crate) fn host_tensor(data: Vec<f32>, dims: &[usize], dtype: DType, device: &Device) -> Result<Tensor> {
    let t = Tensor::from_vec(data, dims, &Device::cpu())?;
    let t = if dtype == DType::F32 { t } else { wgkeras_runtime::ops::cast(&t, dtype)? };
    Ok(if matches!(device, Device::Cpu) { t } else { t.to_device(device)? })
}

/// Keras's `Sequence`: every implementation gives [`len`](Sequence::len) and
/// [`get`](Sequence::get); [`on_epoch_end`](Sequence::on_epoch_end) is optional.
pub trait Sequence {
    /// Number of batches in the sequence.
    fn len(&self) -> usize;

    /// Gets the batch at position `index` (`0 <= index < len()`), a complete batch.
    fn get(&mut self, index: usize) -> Result<Batch>;

    /// Called at the end of every epoch. Default: nothing.
    fn on_epoch_end(&mut self) {}

    /// Whether the sequence has no batch.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Iterates over the batches `0..len()` in order (one epoch; `on_epoch_end` is not called).
    fn iter(&mut self) -> SequenceIter<'_, Self>
    where
        Self: Sized,
    {
        SequenceIter { seq: self, next: 0 }
    }
}

/// The iterator of [`Sequence::iter`]: yields `get(0)`, `get(1)`, ... `get(len() - 1)`.
pub struct SequenceIter<'a, S: Sequence> {
    seq: &'a mut S,
    next: usize,
}

impl<S: Sequence> Iterator for SequenceIter<'_, S> {
    type Item = Result<Batch>;

    fn next(&mut self) -> Option<Result<Batch>> {
        if self.next >= self.seq.len() {
            return None;
        }
        let i = self.next;
        self.next += 1;
        Some(self.seq.get(i))
    }
}

/// The error of a batch index past the end, worded as Keras's.
pub(crate) fn index_error(op: &'static str, index: usize, len: usize) -> Error {
    Error::arg(op, format!("asked to retrieve element {index}, but the Sequence has length {len}"))
}
