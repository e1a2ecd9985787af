//! `keras.utils.split_dataset`, `pack_x_y_sample_weight` and `unpack_x_y_sample_weight` for
//! in-memory data: lists of tensors that share their first (sample) dim.

use wgkeras_runtime::ops::random::philox4x32;
use wgkeras_runtime::{ops, CpuStorage, Error, Result, Tensor};

use super::rng::next_seed;

const SPLIT: &str = "split_dataset";

/// One side's size for [`split_dataset`]: a sample count (Python `int`) or a fraction of the
/// dataset (Python `float`, in `(0, 1)`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SplitSize {
    Count(usize),
    Fraction(f64),
}

impl From<usize> for SplitSize {
    fn from(n: usize) -> Self {
        SplitSize::Count(n)
    }
}

impl From<f64> for SplitSize {
    fn from(f: f64) -> Self {
        SplitSize::Fraction(f)
    }
}

impl std::fmt::Display for SplitSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SplitSize::Count(n) => write!(f, "{n}"),
            SplitSize::Fraction(x) => write!(f, "{x:?}"),
        }
    }
}

fn show(s: Option<SplitSize>) -> String {
    s.map_or("None".to_string(), |s| s.to_string())
}

fn both_none() -> Error {
    Error::arg(
        SPLIT,
        "At least one of the `left_size` or `right_size` must be specified. Received: left_size=None and right_size=None",
    )
}

/// Keras's `_rescale_dataset_split_sizes`: the checks, in Keras's order and with its messages,
/// and the two sample counts. Fractions are rounded as Python's `round` (half to even).
fn split_sizes(left: Option<SplitSize>, right: Option<SplitSize>, total: usize) -> Result<(usize, usize)> {
    use SplitSize::*;
    if left.is_none() && right.is_none() {
        return Err(both_none());
    }
    let is_zero =
        |s: Option<SplitSize>| matches!(s, Some(Count(0))) || matches!(s, Some(Fraction(f)) if f == 0.0);
    if is_zero(left) && is_zero(right) {
        return Err(Error::arg(
            SPLIT,
            "Both `left_size` and `right_size` are zero. At least one of the split sizes must be non-zero.",
        ));
    }
    let bad = |s: Option<SplitSize>| match s {
        Some(Count(n)) => n == 0 || n >= total,
        // `!(0 < f < 1)` also refuses NaN.
        Some(Fraction(f)) => !(f > 0.0 && f < 1.0),
        None => false,
    };
    if bad(left) {
        return Err(Error::arg(
            SPLIT,
            format!(
                "`left_size` should be either a positive integer smaller than {total}, or a float within the range `[0, 1]`. Received: left_size={}",
                show(left)
            ),
        ));
    }
    if bad(right) {
        return Err(Error::arg(
            SPLIT,
            format!(
                "`right_size` should be either a positive integer and smaller than {total} or a float within the range `[0, 1]`. Received: right_size={}",
                show(right)
            ),
        ));
    }
    if let (Some(Fraction(l)), Some(Fraction(r))) = (left, right) {
        if l + r > 1.0 {
            return Err(Error::arg(
                SPLIT,
                "The sum of `left_size` and `right_size` is greater than 1. It must be less than or equal to 1.",
            ));
        }
    }
    let count = |s: SplitSize| match s {
        Count(n) => n,
        Fraction(f) => (f * total as f64).round_ties_even() as usize,
    };
    let (l, r) = match (left.map(count), right.map(count)) {
        (Some(l), Some(r)) => (l, r),
        (Some(l), None) => (l, total - l),
        (None, Some(r)) => (total - r, r),
        (None, None) => return Err(both_none()),
    };
    if l + r > total {
        return Err(Error::arg(
            SPLIT,
            format!("The sum of `left_size` and `right_size` should be smaller than the {total}. Received: left_size + right_size = {} and total_length = {total}", l + r),
        ));
    }
    for (split, side) in [(l, "left"), (r, "right")] {
        if split == 0 {
            return Err(Error::arg(
                SPLIT,
                format!(
                    "With `dataset` of length={total}, `left_size`={l} and `right_size`={r}. Resulting {side} side dataset split will be empty. Adjust any of the aforementioned parameters"
                ),
            ));
        }
    }
    Ok((l, r))
}

/// A permutation of `0..n` (Fisher-Yates) from Philox draws keyed by `seed`: the same on every
/// machine for a seed (not Python's `random.shuffle` order, which Keras uses).
fn permutation(n: usize, seed: u64) -> Vec<i32> {
    let mut p: Vec<i32> = (0..n as i32).collect();
    let key = [seed as u32, (seed >> 32) as u32];
    let mut words = [0u32; 4];
    for i in (1..n).rev() {
        let k = n - 1 - i;
        if k % 2 == 0 {
            let b = (k / 2) as u64;
            words = philox4x32([b as u32, (b >> 32) as u32, 0, 0], key);
        }
        let w = &words[(k % 2) * 2..(k % 2) * 2 + 2];
        let r = (w[0] as u64) | ((w[1] as u64) << 32);
        // Uniform in [0, i] (the 64-bit modulo bias is below 2^-32 for any n here).
        let j = (r % (i as u64 + 1)) as usize;
        p.swap(i, j);
    }
    p
}

/// `keras.utils.split_dataset(dataset, left_size=None, right_size=None, shuffle=False,
/// seed=None)` for a list/tuple of arrays: `dataset` is the tensors (all with the same first
/// dim, the samples); the result is `(left, right)`, each the list of the same tensors cut to
/// the first `left` samples and the last `right` samples (in the shuffled order when `shuffle`).
/// Samples in neither part (when `left + right < n`) are dropped, as in Keras.
///
/// Sizes are counts or fractions ([`SplitSize`]; `None` is the complement of the other side).
/// Errors, with Keras's messages: both sizes `None`, both zero, a count not in `(0, n)`, a
/// fraction not in `(0, 1)`, two fractions summing over 1, counts summing over `n`, a side that
/// rounds to zero samples, an empty list, tensors of different first dims, a 0-d tensor.
///
/// With `shuffle`, the order is a Philox-based permutation keyed by `seed`, or by a seed drawn
/// from the global generator ([`super::set_random_seed`]) when `seed` is `None`; it is not the
/// order Python's `random.shuffle` gives. The tensors stay on their devices (rows are gathered
/// with `take`, or sliced without shuffling). Keras returns `tf.data.Dataset`s; batch these with
/// any slicing.
pub fn split_dataset(
    dataset: &[Tensor],
    left_size: Option<SplitSize>,
    right_size: Option<SplitSize>,
    shuffle: bool,
    seed: Option<u64>,
) -> Result<(Vec<Tensor>, Vec<Tensor>)> {
    if left_size.is_none() && right_size.is_none() {
        return Err(both_none());
    }
    if dataset.is_empty() {
        return Err(Error::arg(
            SPLIT,
            "Received an empty list dataset. Please provide a non-empty list of arrays.",
        ));
    }
    let mut expected: Option<&[usize]> = None;
    for (i, t) in dataset.iter().enumerate() {
        if t.rank() == 0 {
            return Err(Error::arg(
                SPLIT,
                format!("Expected arrays with a sample dim, received a 0-d tensor at index {i}."),
            ));
        }
        match expected {
            None => expected = Some(t.dims()),
            Some(e) if e[0] != t.dims()[0] => {
                return Err(Error::arg(
                    SPLIT,
                    format!(
                        "Received a list of NumPy arrays with different lengths.Mismatch found at index {i}, Expected shape={e:?} Received shape={:?}.Please provide a list of NumPy arrays of the same length.",
                        t.dims()
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    let total = dataset[0].dims()[0];
    let (l, r) = split_sizes(left_size, right_size, total)?;
    let cut = |t: &Tensor, start: usize, len: usize, order: Option<&[i32]>| -> Result<Tensor> {
        match order {
            Some(p) => {
                let idx =
                    Tensor::from_cpu(CpuStorage::I32(p[start..start + len].to_vec()), &[len], &t.device())?;
                ops::take(t, &idx, Some(0))
            }
            None => {
                let mut starts = vec![0i64; t.rank()];
                starts[0] = start as i64;
                let mut shape = vec![-1i64; t.rank()];
                shape[0] = len as i64;
                ops::slice(t, &starts, &shape)
            }
        }
    };
    let order = shuffle.then(|| permutation(total, seed.unwrap_or_else(next_seed)));
    let mut left = Vec::with_capacity(dataset.len());
    let mut right = Vec::with_capacity(dataset.len());
    for t in dataset {
        left.push(cut(t, 0, l, order.as_deref())?);
        right.push(cut(t, total - r, r, order.as_deref())?);
    }
    Ok((left, right))
}

/// The tuple formats of `Model.fit()` data: `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`.
/// `Single` is a bare `x`; `Tuple` holds the tuple's items in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Packed<T> {
    Single(T),
    Tuple(Vec<T>),
}

/// `keras.utils.pack_x_y_sample_weight(x, y=None, sample_weight=None)`: `x` alone when `y` is
/// `None` (a `sample_weight` without `y` is dropped, as in Keras), else `(x, y)` or
/// `(x, y, sample_weight)`. (Keras wraps an `x` that is itself a tuple as `(x,)`; a Rust `T`
/// that is a list of tensors is never ambiguous, so `x` stays `Single`.)
pub fn pack_x_y_sample_weight<T>(x: T, y: Option<T>, sample_weight: Option<T>) -> Packed<T> {
    match (y, sample_weight) {
        (None, _) => Packed::Single(x),
        (Some(y), None) => Packed::Tuple(vec![x, y]),
        (Some(y), Some(sw)) => Packed::Tuple(vec![x, y, sw]),
    }
}

/// `keras.utils.unpack_x_y_sample_weight(data)`: `(x, y, sample_weight)` with `None` for what
/// `data` lacks. A bare `x` and tuples of length 1, 2 and 3 are accepted; any other tuple
/// length is an error (Keras's message, with the length).
pub fn unpack_x_y_sample_weight<T>(data: Packed<T>) -> Result<(T, Option<T>, Option<T>)> {
    match data {
        Packed::Single(x) => Ok((x, None, None)),
        Packed::Tuple(items) => {
            let n = items.len();
            let mut it = items.into_iter();
            match (n, it.next(), it.next(), it.next()) {
                (1, Some(x), None, None) => Ok((x, None, None)),
                (2, Some(x), Some(y), None) => Ok((x, Some(y), None)),
                (3, Some(x), Some(y), Some(sw)) => Ok((x, Some(y), Some(sw))),
                _ => Err(Error::arg(
                    "unpack_x_y_sample_weight",
                    format!(
                        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, found: a tuple of length {n}"
                    ),
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wgkeras_runtime::Device;

    #[test]
    fn permutation_is_a_permutation() {
        for n in [0, 1, 2, 3, 10, 1000] {
            let mut p = permutation(n, 42);
            assert_eq!(p, permutation(n, 42));
            p.sort();
            assert_eq!(p, (0..n as i32).collect::<Vec<_>>());
        }
        assert_ne!(permutation(100, 1), permutation(100, 2));
    }

    #[test]
    fn sizes_round_half_to_even() {
        assert_eq!(split_sizes(Some(SplitSize::Fraction(0.5)), None, 5).unwrap(), (2, 3));
        assert_eq!(split_sizes(None, Some(SplitSize::Fraction(0.25)), 10).unwrap(), (8, 2));
    }

    #[test]
    fn cpu_device_is_usable() {
        let x =
            Tensor::from_vec((0..6).map(|v| v as f32).collect::<Vec<_>>(), &[3, 2], &Device::Cpu).unwrap();
        let (l, r) = split_dataset(&[x], Some(SplitSize::Count(1)), None, false, None).unwrap();
        assert_eq!(l[0].to_vec_f64().unwrap(), vec![0.0, 1.0]);
        assert_eq!(r[0].dims(), &[2, 2]);
    }
}
