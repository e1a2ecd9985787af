//! `keras.utils.pad_sequences`: pads (and truncates) variable-length sequences into one tensor.

use wgkeras_runtime::{CpuStorage, DType, Device, Error, Result, Tensor};

const OP: &str = "pad_sequences";

/// The keyword arguments of `keras.utils.pad_sequences`, with Keras's defaults
/// (`PadSequences::default()`: `maxlen=None, dtype="int32", padding="pre", truncating="pre",
/// value=0.0`). `padding` and `truncating` are Keras's strings, `"pre"` or `"post"`.
#[derive(Debug, Clone, PartialEq)]
pub struct PadSequences<'a> {
    /// The number of timesteps of the result; `None` is the longest sequence's length.
    pub maxlen: Option<usize>,
    /// The result's dtype; sequence values and `value` are converted to it as NumPy's
    /// `np.asarray(.., dtype)` does (floats truncate toward zero for integer dtypes).
    pub dtype: DType,
    /// `"pre"` pads at the start of each sequence, `"post"` at its end.
    pub padding: &'a str,
    /// `"pre"` drops the first values of a sequence longer than `maxlen`, `"post"` the last.
    pub truncating: &'a str,
    /// The padding value.
    pub value: f64,
}

impl Default for PadSequences<'_> {
    fn default() -> Self {
        PadSequences { maxlen: None, dtype: DType::I32, padding: "pre", truncating: "pre", value: 0.0 }
    }
}

/// `keras.utils.pad_sequences(sequences, maxlen, dtype, padding, truncating, value)` for lists of
/// scalar sequences: a `(len(sequences), maxlen)` tensor on `device`.
///
/// ```text
/// pad_sequences(&[vec![1.], vec![2., 3.], vec![4., 5., 6.]], &PadSequences::default(), &dev)
///   == [[0, 0, 1], [0, 2, 3], [4, 5, 6]]   (int32)
/// ```
///
/// Errors as Keras: `Truncating type "x" not understood` / `Padding type "x" not understood`
/// (raised, as in Keras, only when some sequence is non-empty), a non-finite `value` for an
/// integer dtype, and an empty `sequences` with no `maxlen` (there is no longest length).
/// `maxlen: Some(0)` gives a `(n, 0)` tensor (Keras fails on it by accident of `s[-0:]`).
pub fn pad_sequences<S: AsRef<[f64]>>(
    sequences: &[S],
    options: &PadSequences,
    device: &Device,
) -> Result<Tensor> {
    let seqs: Vec<(usize, &[f64])> = sequences.iter().map(|s| (s.as_ref().len(), s.as_ref())).collect();
    pad_rows(&seqs, &[], options, device)
}

/// `pad_sequences` for sequences given as tensors of shape `(timesteps, *sample_shape)`: the
/// result has shape `(len(sequences), maxlen, *sample_shape)`. The sample shape is the first
/// non-empty sequence's; another non-empty sequence with a different one is an error, as in
/// Keras, and so is a 0-d tensor (not a sequence). Values are read to the host and the result
/// is built on `device`.
pub fn pad_tensor_sequences(sequences: &[Tensor], options: &PadSequences, device: &Device) -> Result<Tensor> {
    check_modes(sequences.iter().any(|s| s.dims().first().is_some_and(|&n| n > 0)), options)?;
    let mut sample_shape: Option<Vec<usize>> = None;
    let mut host = Vec::with_capacity(sequences.len());
    for (idx, s) in sequences.iter().enumerate() {
        if s.rank() == 0 {
            return Err(Error::arg(
                OP,
                format!("`sequences` must be a list of iterables. Found non-iterable: a 0-d tensor at position {idx}"),
            ));
        }
        if s.dims()[0] > 0 {
            let shape = s.dims()[1..].to_vec();
            match &sample_shape {
                None => sample_shape = Some(shape),
                Some(expected) if *expected != shape => {
                    return Err(Error::arg(
                        OP,
                        format!(
                            "Shape of sample {shape:?} of sequence at position {idx} is different from expected shape {expected:?}"
                        ),
                    ))
                }
                Some(_) => {}
            }
        }
        host.push((s.dims()[0], s.to_vec_f64()?));
    }
    let seqs: Vec<(usize, &[f64])> = host.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    pad_rows(&seqs, sample_shape.as_deref().unwrap_or(&[]), options, device)
}

/// Keras checks `truncating`, then `padding`, at the first non-empty sequence (so before any
/// sample-shape mismatch of a later one, and never when all sequences are empty).
fn check_modes(any_nonempty: bool, o: &PadSequences) -> Result<()> {
    if any_nonempty {
        if o.truncating != "pre" && o.truncating != "post" {
            return Err(Error::arg(OP, format!("Truncating type \"{}\" not understood", o.truncating)));
        }
        if o.padding != "pre" && o.padding != "post" {
            return Err(Error::arg(OP, format!("Padding type \"{}\" not understood", o.padding)));
        }
    }
    Ok(())
}

/// The shared body: `seqs` holds each sequence's length and its values (`len * sample` values).
fn pad_rows(
    seqs: &[(usize, &[f64])],
    sample_shape: &[usize],
    o: &PadSequences,
    device: &Device,
) -> Result<Tensor> {
    let maxlen = match o.maxlen {
        Some(m) => m,
        None => seqs.iter().map(|s| s.0).max().ok_or_else(|| {
            Error::arg(OP, "cannot infer maxlen from an empty list of sequences; pass maxlen")
        })?,
    };
    if !o.dtype.is_float() && o.dtype != DType::Bool && !o.value.is_finite() {
        return Err(Error::arg(OP, format!("value={} cannot be converted to dtype {}", o.value, o.dtype)));
    }
    check_modes(seqs.iter().any(|s| s.0 > 0), o)?;
    let sample: usize = sample_shape.iter().product();
    let row =
        maxlen.checked_mul(sample).ok_or_else(|| Error::arg(OP, format!("maxlen={maxlen} is too large")))?;
    let total =
        seqs.len().checked_mul(row).ok_or_else(|| Error::arg(OP, format!("maxlen={maxlen} is too large")))?;
    let mut out = vec![o.value; total];
    for (i, &(len, values)) in seqs.iter().enumerate() {
        let keep = len.min(maxlen);
        if keep == 0 {
            continue;
        }
        let src_start = if o.truncating == "pre" { len - keep } else { 0 };
        let dst_start = if o.padding == "pre" { maxlen - keep } else { 0 };
        let src = &values[src_start * sample..(src_start + keep) * sample];
        out[i * row + dst_start * sample..i * row + (dst_start + keep) * sample].copy_from_slice(src);
    }
    let mut dims = vec![seqs.len(), maxlen];
    dims.extend_from_slice(sample_shape);
    Tensor::from_cpu(CpuStorage::from_f64(o.dtype, out), &dims, device)
}
