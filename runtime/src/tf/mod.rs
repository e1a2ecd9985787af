//! TensorFlow-named eager ops of the seed pages: `tf.fill`, `tf.eye`, `tf.one_hot`,
//! `tf.strided_slice`, `tf.tensor_scatter_nd_{update,add,sub,min,max}`,
//! `tf.histogram_fixed_width_bins`, `tf.histogram_fixed_width`, `tf.argsort`, `tf.sort` and
//! `tf.unstack`, with TensorFlow 2.x argument names and semantics.
//!
//! Each op is composed from the runtime's eager ops (strided views, gathers, scatters, sorts,
//! elementwise ops), so it runs on the CPU and on the GPU with the same kernels. Errors name
//! the op as `tf.<op>`.
//!
//! Where TensorFlow differs by device, the CPU behaviour is the one followed: an out-of-range
//! scatter index is an error on both backends (the indices are read back and checked on the
//! host before any launch), and duplicate indices of `tensor_scatter_nd_update` keep the last
//! update.

mod array_ops;
mod math_ops;

pub use array_ops::*;
pub use math_ops::*;

use std::collections::HashMap;

use crate::device::Device;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::{self, View};
use crate::shape::{normalize_axis, numel};
use crate::tensor::{same_device, Tensor};

/// Re-labels an error of a composed op so that it names the TensorFlow op.
fn named(op: &'static str) -> impl Fn(Error) -> Error {
    move |e| match e {
        Error::Gpu(_) | Error::NoAdapter(_) => e,
        other => {
            let msg = other.to_string();
            if msg.starts_with(op) {
                other
            } else {
                Error::arg(op, msg)
            }
        }
    }
}

/// Non-negative dims from TensorFlow's integer list.
fn dims_arg(op: &'static str, what: &str, dims: &[i64]) -> Result<Vec<usize>> {
    dims.iter()
        .map(|&d| {
            usize::try_from(d)
                .map_err(|_| Error::arg(op, format!("{what} {dims:?}: dimension {d} must be >= 0")))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Creation: fill, eye, one_hot
// ---------------------------------------------------------------------------------------------

/// `tf.fill(dims, value)`: a tensor of shape `dims` holding the scalar `value` everywhere, with
/// the dtype and on the device of `value` (one strided copy with zero strides).
pub fn fill(dims: &[i64], value: &Tensor) -> Result<Tensor> {
    const OP: &str = "tf.fill";
    let dims = dims_arg(OP, "dims", dims)?;
    if value.rank() != 0 {
        return Err(Error::arg(OP, format!("value must be a scalar, got shape {:?}", value.dims())));
    }
    ops::broadcast_to(value, &dims).map_err(named(OP))
}

/// `tf.eye(num_rows, num_columns=None, batch_shape=None, dtype=float32)`: identity matrices of
/// shape `batch_shape + [num_rows, num_columns]` on `device`.
pub fn eye(
    num_rows: i64,
    num_columns: Option<i64>,
    batch_shape: Option<&[i64]>,
    dtype: DType,
    device: &Device,
) -> Result<Tensor> {
    const OP: &str = "tf.eye";
    let rows = dims_arg(OP, "num_rows", &[num_rows])?[0];
    let cols = match num_columns {
        Some(c) => dims_arg(OP, "num_columns", &[c])?[0],
        None => rows,
    };
    let batch = dims_arg(OP, "batch_shape", batch_shape.unwrap_or(&[]))?;
    let m = ops::eye(rows, Some(cols), 0, dtype, device).map_err(named(OP))?;
    if batch.is_empty() {
        return Ok(m);
    }
    let mut dims = batch;
    dims.extend([rows, cols]);
    ops::broadcast_to(&m, &dims).map_err(named(OP))
}

/// The optional arguments of [`one_hot`], named as in `tf.one_hot`.
#[derive(Debug, Clone, Copy, Default)]
pub struct OneHotOptions<'a> {
    /// Scalar written where `indices[j] == i` (default 1 of the output dtype).
    pub on_value: Option<&'a Tensor>,
    /// Scalar written everywhere else (default 0 of the output dtype).
    pub off_value: Option<&'a Tensor>,
    /// Where the new axis goes: -1 (last, the default) or `0..=indices.rank()`.
    pub axis: Option<i64>,
    /// Output dtype; inferred from `on_value`, then `off_value`, else float32.
    pub dtype: Option<DType>,
}

/// `tf.one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None)`: a new
/// axis of size `depth` at `axis`, `on_value` where the position equals the index and
/// `off_value` elsewhere. Negative or too large indices give an all-`off_value` row. The
/// dtype follows TensorFlow: `on_value`'s, else `off_value`'s, else `dtype`, else float32; a
/// given `dtype` must match the values' dtype.
pub fn one_hot(indices: &Tensor, depth: i64, options: OneHotOptions) -> Result<Tensor> {
    const OP: &str = "tf.one_hot";
    if !indices.dtype().is_int() {
        return Err(Error::dtype(OP, indices.dtype(), "an integer dtype for indices"));
    }
    if depth < 0 {
        return Err(Error::arg(OP, format!("depth must be non-negative, got {depth}")));
    }
    let rank = indices.rank() as i64;
    let axis = options.axis.unwrap_or(-1);
    if axis != -1 && !(0..=rank).contains(&axis) {
        return Err(Error::arg(
            OP,
            format!("expected axis to be -1 or between [0, {}), got {axis}", rank + 1),
        ));
    }
    for (what, v) in [("on_value", options.on_value), ("off_value", options.off_value)] {
        if let Some(v) = v {
            if v.rank() != 0 {
                return Err(Error::arg(OP, format!("{what} must be a scalar, got shape {:?}", v.dims())));
            }
            if let Some(d) = options.dtype {
                if v.dtype() != d {
                    return Err(Error::arg(
                        OP,
                        format!("dtype {} of {what} does not match dtype {d}", v.dtype()),
                    ));
                }
            }
        }
    }
    if let (Some(on), Some(off)) = (options.on_value, options.off_value) {
        if on.dtype() != off.dtype() {
            return Err(Error::arg(
                OP,
                format!("dtype {} of on_value does not match dtype {} of off_value", on.dtype(), off.dtype()),
            ));
        }
    }
    let dtype =
        options.on_value.or(options.off_value).map(|v| v.dtype()).or(options.dtype).unwrap_or(DType::F32);
    let device = indices.device();
    if options.on_value.is_none() && options.off_value.is_none() {
        return ops::one_hot(indices, depth, axis, Some(dtype)).map_err(named(OP));
    }
    let value = |v: Option<&Tensor>, default: f64| -> Result<Tensor> {
        match v {
            Some(t) => t.to_device(&device),
            None => ops::full(&[], default, dtype, &device),
        }
    };
    let on = value(options.on_value, 1.0).map_err(named(OP))?;
    let off = value(options.off_value, 0.0).map_err(named(OP))?;
    let mask = ops::one_hot(indices, depth, axis, Some(DType::Bool)).map_err(named(OP))?;
    ops::where_(&mask, &on, &off).map_err(named(OP))
}

// ---------------------------------------------------------------------------------------------
// strided_slice
// ---------------------------------------------------------------------------------------------

/// The five bit masks of [`strided_slice`]; bit `i` refers to the `i`-th entry of
/// `begin`/`end`/`strides`, exactly as in `tf.strided_slice`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StridedSliceMasks {
    /// Ignore `begin[i]`: start at the first (last, for a negative stride) element.
    pub begin_mask: i32,
    /// Ignore `end[i]`: run to the end (start, for a negative stride).
    pub end_mask: i32,
    /// Entry `i` is `...`: as many full dims as needed (at most one bit set).
    pub ellipsis_mask: i32,
    /// Entry `i` inserts a new dim of size 1 (`tf.newaxis`).
    pub new_axis_mask: i32,
    /// Entry `i` takes the single index `begin[i]` and drops the dim.
    pub shrink_axis_mask: i32,
}

fn bit(mask: i32, i: usize) -> bool {
    i < 32 && (mask >> i) & 1 == 1
}

/// One entry of the slice spec after the masks are read.
#[derive(Debug, Clone, Copy)]
enum SliceSpec {
    Ellipsis,
    NewAxis,
    Range { begin: i64, end: i64, stride: i64, begin_masked: bool, end_masked: bool, shrink: bool },
}

/// One input dim's slice after the ellipsis is expanded (TensorFlow's "dense spec").
#[derive(Debug, Clone, Copy)]
struct DenseDim {
    begin: i64,
    end: i64,
    stride: i64,
    begin_masked: bool,
    end_masked: bool,
    shrink: bool,
}

const FULL_DIM: DenseDim =
    DenseDim { begin: 0, end: 0, stride: 1, begin_masked: true, end_masked: true, shrink: false };

/// What the output holds at one position: an input dim or a new size-1 dim.
enum OutDim {
    Input(usize),
    NewAxis,
}

/// The strided [`View`] that `tf.strided_slice(input_, begin, end, strides, **masks)` reads
/// from a contiguous tensor of `dims`: the result shape is `view.dims`, offsets and strides
/// (negative for reversed dims, 0 for new axes) address the input's elements. This is
/// TensorFlow's `ValidateStridedSliceOp`: the ellipsis (an implicit one at the end when none is
/// given) expands to the dims the other entries leave, begin/end are wrapped and clamped per
/// dim, masks select the full range, and shrink entries must index inside their dim.
pub fn strided_slice_view(
    dims: &[usize],
    begin: &[i64],
    end: &[i64],
    strides: &[i64],
    masks: StridedSliceMasks,
) -> Result<View> {
    const OP: &str = "tf.strided_slice";
    let n = begin.len();
    if end.len() != n || strides.len() != n {
        return Err(Error::arg(
            OP,
            format!(
                "expected begin, end and strides of equal length, got {}, {} and {}",
                n,
                end.len(),
                strides.len()
            ),
        ));
    }
    if (masks.ellipsis_mask as u32).count_ones() > 1 {
        return Err(Error::arg(
            OP,
            format!(
                "multiple ellipses in slice spec are not allowed (ellipsis_mask={})",
                masks.ellipsis_mask
            ),
        ));
    }
    // The sparse spec, with an implicit ellipsis at the end when none is given.
    let mut specs: Vec<SliceSpec> = (0..n)
        .map(|i| {
            if bit(masks.ellipsis_mask, i) {
                SliceSpec::Ellipsis
            } else if bit(masks.new_axis_mask, i) {
                SliceSpec::NewAxis
            } else {
                SliceSpec::Range {
                    begin: begin[i],
                    end: end[i],
                    stride: strides[i],
                    begin_masked: bit(masks.begin_mask, i),
                    end_masked: bit(masks.end_mask, i),
                    shrink: bit(masks.shrink_axis_mask, i),
                }
            }
        })
        .collect();
    let ellipsis_at = match specs.iter().position(|s| matches!(s, SliceSpec::Ellipsis)) {
        Some(p) => p,
        None => {
            specs.push(SliceSpec::Ellipsis);
            n
        }
    };
    let new_axes_after_ellipsis =
        specs[ellipsis_at + 1..].iter().filter(|s| matches!(s, SliceSpec::NewAxis)).count();
    // The dense spec: one entry per input dim, and the output dims in order.
    let rank = dims.len();
    let mut dense = vec![FULL_DIM; rank];
    let mut out_dims: Vec<OutDim> = Vec::new();
    let mut full_index = 0usize;
    let sparse_dims = specs.len();
    for (i, spec) in specs.iter().enumerate() {
        match *spec {
            SliceSpec::Ellipsis => {
                let next = (rank as i64 - (sparse_dims - i) as i64 + 1 + new_axes_after_ellipsis as i64)
                    .min(rank as i64);
                while (full_index as i64) < next {
                    dense[full_index] = FULL_DIM;
                    out_dims.push(OutDim::Input(full_index));
                    full_index += 1;
                }
            }
            SliceSpec::NewAxis => out_dims.push(OutDim::NewAxis),
            SliceSpec::Range { begin, end, stride, begin_masked, end_masked, shrink } => {
                if full_index == rank {
                    return Err(Error::arg(
                        OP,
                        if rank == 0 {
                            "attempting to slice a scalar input".to_string()
                        } else {
                            format!(
                                "index out of range using input dim {full_index}; input has only {rank} dims (shape {dims:?})"
                            )
                        },
                    ));
                }
                dense[full_index] = DenseDim { begin, end, stride, begin_masked, end_masked, shrink };
                if !shrink {
                    out_dims.push(OutDim::Input(full_index));
                }
                full_index += 1;
            }
        }
    }
    // Per input dim: canonical begin/end, the size, and the view's offset and stride.
    let in_strides = View::contiguous(dims).strides;
    let mut sizes = vec![0usize; rank];
    let mut steps = vec![0isize; rank];
    let mut offset = 0isize;
    for d in 0..rank {
        let DenseDim { begin, end, stride, begin_masked, end_masked, shrink } = dense[d];
        let dim = dims[d] as i64;
        if stride == 0 {
            return Err(Error::arg(OP, format!("strides[{d}] must be non-zero")));
        }
        if shrink && stride <= 0 {
            return Err(Error::arg(
                OP,
                format!("only stride 1 is allowed on non-range indexing (shrink_axis_mask), got stride {stride} for dim {d}"),
            ));
        }
        let (b, e) = if shrink {
            let b = if begin < 0 { dim + begin } else { begin };
            if b < 0 || b >= dim {
                return Err(Error::arg(
                    OP,
                    format!(
                        "slice index {begin} of dimension {d} out of bounds (size {dim}, shape {dims:?})"
                    ),
                ));
            }
            (b, b + 1)
        } else {
            let (lo, hi) = if stride > 0 { (0, dim) } else { (-1, dim - 1) };
            let canonical = |x: i64, masked: bool, is_end: bool| -> i64 {
                if masked {
                    // Forward: begin 0, end dim; backward: begin dim - 1, end -1.
                    match (stride > 0, is_end) {
                        (true, false) | (false, true) => lo,
                        (true, true) | (false, false) => hi,
                    }
                } else {
                    let fwd = if x < 0 { dim.saturating_add(x) } else { x };
                    fwd.clamp(lo, hi)
                }
            };
            (canonical(begin, begin_masked, false), canonical(end, end_masked, true))
        };
        let interval = e - b;
        let size = if interval == 0 || ((interval < 0) != (stride < 0)) {
            0
        } else {
            interval / stride + i64::from(interval % stride != 0)
        };
        sizes[d] = size as usize;
        steps[d] = in_strides[d] * stride as isize;
        offset += b as isize * in_strides[d];
    }
    let mut view = View { dims: Vec::new(), strides: Vec::new(), offset };
    for o in &out_dims {
        match *o {
            OutDim::Input(d) => {
                view.dims.push(sizes[d]);
                view.strides.push(steps[d]);
            }
            OutDim::NewAxis => {
                view.dims.push(1);
                view.strides.push(0);
            }
        }
    }
    if sizes.contains(&0) {
        // Nothing is read; keep the view harmless.
        view.offset = 0;
    }
    Ok(view)
}

/// `tf.strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0,
/// ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=0)`: the generalized Python slice
/// `input_[begin:end:strides, ...]` with TensorFlow's masks (see [`StridedSliceMasks`]). Out of
/// range begin/end are clamped; negative strides walk backwards; an empty range gives an empty
/// dim. `strides=None` means all ones. The result is one strided copy of the input.
pub fn strided_slice(
    input_: &Tensor,
    begin: &[i64],
    end: &[i64],
    strides: Option<&[i64]>,
    masks: StridedSliceMasks,
) -> Result<Tensor> {
    const OP: &str = "tf.strided_slice";
    let ones = vec![1i64; begin.len()];
    let view = strided_slice_view(input_.dims(), begin, end, strides.unwrap_or(&ones), masks)?;
    ops::gather_view(input_, &view).map_err(named(OP))
}

// ---------------------------------------------------------------------------------------------
// tensor_scatter_nd_*
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScatterKind {
    Update,
    Add,
    Sub,
    Min,
    Max,
}

/// Above this many updates to one slice, `add`/`sub` sum the updates first (one scatter) instead
/// of applying them one round at a time.
const MAX_ROUNDS: usize = 8;

/// The shared body of the `tensor_scatter_nd_*` ops: checks, host validation of the indices,
/// then the update applied in rounds (each round touches every slice at most once, and the
/// `r`-th update of a slice is in round `r`, so duplicates apply in update order, as
/// TensorFlow's CPU kernel does).
fn tensor_scatter_nd(
    op: &'static str,
    kind: ScatterKind,
    tensor: &Tensor,
    indices: &Tensor,
    updates: &Tensor,
) -> Result<Tensor> {
    same_device(op, &[tensor, indices, updates])?;
    if !indices.dtype().is_int() {
        return Err(Error::dtype(op, indices.dtype(), "int32 or int64 indices"));
    }
    let dtype = tensor.dtype();
    if updates.dtype() != dtype {
        return Err(Error::arg(
            op,
            format!("updates must have the dtype of tensor ({dtype}), got {}", updates.dtype()),
        ));
    }
    if kind != ScatterKind::Update && dtype == DType::Bool {
        return Err(Error::dtype(op, dtype, "a numeric dtype"));
    }
    let shape = tensor.dims();
    if indices.rank() == 0 {
        return Err(Error::arg(op, "indices must have shape [..., index_depth], got a scalar"));
    }
    let k = *indices.dims().last().expect("rank >= 1");
    if k == 0 || k > shape.len() {
        return Err(Error::shapes(
            op,
            indices.dims(),
            shape,
            format!("index depth (indices.shape[-1] = {k}) must be in [1, rank of tensor = {}]", shape.len()),
        ));
    }
    let batch = &indices.dims()[..indices.rank() - 1];
    let mut want = batch.to_vec();
    want.extend_from_slice(&shape[k..]);
    if updates.dims() != want.as_slice() {
        return Err(Error::shapes(
            op,
            updates.dims(),
            &want,
            format!(
                "updates must have shape indices.shape[:-1] + tensor.shape[{k}:] (indices {:?}, tensor {shape:?})",
                indices.dims()
            ),
        ));
    }
    if updates.rank() == 0 {
        return Err(Error::arg(op, "updates must have rank at least one (indices need a batch dim)"));
    }
    let m = numel(batch);
    if m == 0 {
        return Ok(tensor.clone());
    }
    if tensor.numel() == 0 {
        return Err(Error::arg(
            op,
            format!("indices and updates given for the empty tensor of shape {shape:?}"),
        ));
    }
    // Validate every index on the host (a readback on the GPU) and flatten it to a slice row.
    let idx = indices.to_vec_f64()?;
    let mut rows = Vec::with_capacity(m);
    for u in 0..m {
        let coords = &idx[u * k..(u + 1) * k];
        let mut p = 0usize;
        for (d, &c) in coords.iter().enumerate() {
            if c < 0.0 || c >= shape[d] as f64 {
                let shown: Vec<i64> = coords.iter().map(|&c| c as i64).collect();
                return Err(Error::arg(
                    op,
                    format!("indices[{u}] = {shown:?} does not index into shape {shape:?}"),
                ));
            }
            p = p * shape[d] + c as usize;
        }
        rows.push(p);
    }
    let named = named(op);
    if kind == ScatterKind::Update {
        let idx32 = ops::cast(indices, DType::I32).map_err(&named)?;
        return ops::scatter_update(tensor, &idx32, updates).map_err(&named);
    }
    let outer = numel(&shape[..k]);
    let inner = numel(&shape[k..]);
    // Round r holds the r-th update of each slice, in update order.
    let mut seen: HashMap<usize, usize> = HashMap::new();
    let mut rounds: Vec<(Vec<i32>, Vec<i32>)> = Vec::new();
    for (u, &p) in rows.iter().enumerate() {
        let r = seen.entry(p).or_insert(0);
        if *r == rounds.len() {
            rounds.push((Vec::new(), Vec::new()));
        }
        rounds[*r].0.push(p as i32);
        rounds[*r].1.push(u as i32);
        *r += 1;
    }
    let device = tensor.device();
    if rounds.len() > MAX_ROUNDS && matches!(kind, ScatterKind::Add | ScatterKind::Sub) {
        let rows_t = Tensor::from_vec(rows.iter().map(|&p| p as i32).collect(), &[m, 1], &device)?;
        let upd2 = updates.with_dims(&[m, inner])?;
        let summed = ops::scatter(&rows_t, &upd2, &[outer, inner]).map_err(&named)?.with_dims(shape)?;
        let out =
            if kind == ScatterKind::Add { ops::add(tensor, &summed) } else { ops::subtract(tensor, &summed) };
        return out.map_err(&named);
    }
    let mut out = tensor.with_dims(&[outer, inner])?;
    let upd2 = updates.with_dims(&[m, inner])?;
    for (rrows, ids) in rounds {
        let r = rrows.len();
        let rows_t = Tensor::from_vec(rrows, &[r], &device)?;
        let cur = ops::take(&out, &rows_t, Some(0)).map_err(&named)?;
        let upd = if r == m {
            upd2.clone()
        } else {
            ops::take(&upd2, &Tensor::from_vec(ids, &[r], &device)?, Some(0)).map_err(&named)?
        };
        // min/max keep the current value unless the update compares strictly smaller/larger,
        // so a NaN update is ignored and a NaN in the tensor stays (as TensorFlow).
        let new = match kind {
            ScatterKind::Add => ops::add(&cur, &upd),
            ScatterKind::Sub => ops::subtract(&cur, &upd),
            ScatterKind::Min => ops::less(&upd, &cur).and_then(|c| ops::where_(&c, &upd, &cur)),
            ScatterKind::Max => ops::greater(&upd, &cur).and_then(|c| ops::where_(&c, &upd, &cur)),
            ScatterKind::Update => unreachable!("handled above"),
        }
        .map_err(&named)?;
        out = ops::scatter_update(&out, &rows_t.with_dims(&[r, 1])?, &new).map_err(&named)?;
    }
    out.with_dims(shape)
}

/// `tf.tensor_scatter_nd_update(tensor, indices, updates)`: a copy of `tensor` with the slices
/// addressed by `indices` (shape `batch + [index_depth]`) replaced by `updates` (shape
/// `batch + tensor.shape[index_depth:]`). Where an index repeats, the last update wins.
pub fn tensor_scatter_nd_update(tensor: &Tensor, indices: &Tensor, updates: &Tensor) -> Result<Tensor> {
    tensor_scatter_nd("tf.tensor_scatter_nd_update", ScatterKind::Update, tensor, indices, updates)
}

/// `tf.tensor_scatter_nd_add(tensor, indices, updates)`: `updates` added onto a copy of `tensor`
/// at `indices`; repeated indices accumulate.
pub fn tensor_scatter_nd_add(tensor: &Tensor, indices: &Tensor, updates: &Tensor) -> Result<Tensor> {
    tensor_scatter_nd("tf.tensor_scatter_nd_add", ScatterKind::Add, tensor, indices, updates)
}

/// `tf.tensor_scatter_nd_sub(tensor, indices, updates)`: `updates` subtracted from a copy of
/// `tensor` at `indices`; repeated indices accumulate.
pub fn tensor_scatter_nd_sub(tensor: &Tensor, indices: &Tensor, updates: &Tensor) -> Result<Tensor> {
    tensor_scatter_nd("tf.tensor_scatter_nd_sub", ScatterKind::Sub, tensor, indices, updates)
}

/// `tf.tensor_scatter_nd_min(tensor, indices, updates)`: the element-wise minimum of a copy of
/// `tensor` and the `updates` at `indices` (repeated indices reduce).
pub fn tensor_scatter_nd_min(tensor: &Tensor, indices: &Tensor, updates: &Tensor) -> Result<Tensor> {
    tensor_scatter_nd("tf.tensor_scatter_nd_min", ScatterKind::Min, tensor, indices, updates)
}

/// `tf.tensor_scatter_nd_max(tensor, indices, updates)`: the element-wise maximum of a copy of
/// `tensor` and the `updates` at `indices` (repeated indices reduce).
pub fn tensor_scatter_nd_max(tensor: &Tensor, indices: &Tensor, updates: &Tensor) -> Result<Tensor> {
    tensor_scatter_nd("tf.tensor_scatter_nd_max", ScatterKind::Max, tensor, indices, updates)
}

// ---------------------------------------------------------------------------------------------
// Histograms
// ---------------------------------------------------------------------------------------------

/// Checks `value_range` (shape [2], dtype of `values`, `range[0] < range[1]`) and `nbins > 0`,
/// and returns the range (read to the host).
fn hist_range(op: &'static str, values: &Tensor, value_range: &Tensor, nbins: i64) -> Result<(f64, f64)> {
    if nbins <= 0 {
        return Err(Error::arg(op, format!("nbins must be a positive number, got {nbins}")));
    }
    if value_range.dims() != [2] {
        return Err(Error::arg(op, format!("value_range must have shape [2], got {:?}", value_range.dims())));
    }
    if value_range.dtype() != values.dtype() {
        return Err(Error::arg(
            op,
            format!(
                "value_range must have the dtype of values ({}), got {}",
                values.dtype(),
                value_range.dtype()
            ),
        ));
    }
    let r = value_range.to_vec_f64()?;
    if !(r[0] < r[1]) {
        return Err(Error::arg(
            op,
            format!("value_range should satisfy value_range[0] < value_range[1], got [{}, {}]", r[0], r[1]),
        ));
    }
    Ok((r[0], r[1]))
}

/// `tf.histogram_fixed_width_bins(values, value_range, nbins=100, dtype=int32)`: the int32 bin
/// index of each element of `values` (same shape) among `nbins` equal bins over `value_range`;
/// values below the range go to bin 0, above it to bin `nbins - 1`, and NaN gives
/// `i32::MIN` (what TensorFlow's cast gives). Computed as TensorFlow does, in the dtype of
/// `values` (a float dtype): `floor(nbins * (values - lo) / (hi - lo))` clipped. `dtype` must be
/// an integer dtype and, as in TensorFlow, does not change the int32 result.
/// `value_range` is read back to the host to check it.
pub fn histogram_fixed_width_bins(
    values: &Tensor,
    value_range: &Tensor,
    nbins: i64,
    dtype: DType,
) -> Result<Tensor> {
    const OP: &str = "tf.histogram_fixed_width_bins";
    same_device(OP, &[values, value_range])?;
    let t = values.dtype();
    if !t.is_float() {
        return Err(Error::dtype(OP, t, "a float dtype for values (TensorFlow computes the bins in it)"));
    }
    if !dtype.is_int() {
        return Err(Error::dtype(OP, dtype, "int32 or int64"));
    }
    let (lo, hi) = hist_range(OP, values, value_range, nbins)?;
    let named = named(OP);
    let dev = values.device();
    let c = |v: f64| ops::full(&[], v, t, &dev);
    let go = || -> Result<Tensor> {
        let lo_t = c(lo)?;
        let width = ops::subtract(&c(hi)?, &lo_t)?;
        let scaled = ops::divide(&ops::subtract(values, &lo_t)?, &width)?;
        let idx = ops::floor(&ops::multiply(&c(nbins as f64)?, &scaled)?)?;
        let idx = ops::cast(&ops::clip(&idx, 0.0, nbins as f64 - 1.0)?, DType::I32)?;
        let nan = ops::isnan(values)?;
        ops::where_(&nan, &ops::full(&[], i32::MIN as f64, DType::I32, &dev)?, &idx)
    };
    go().map_err(named)
}

/// `tf.histogram_fixed_width(values, value_range, nbins=100, dtype=int32)`: the counts (int32;
/// `dtype` int32 or int64, both held as int32) of the elements of `values` (any shape) in
/// `nbins` equal bins over `value_range`; values below the range count in the first bin, above
/// it in the last. The bin is TensorFlow's `(max(x, lo) - lo) / ((hi - lo) / nbins)` truncated
/// and capped at `nbins - 1`; the division runs in float64 on the CPU (as TensorFlow) and in
/// float32 on the GPU, so a value exactly on an interior bin edge whose quotient rounds
/// differently in float32 may land in the neighbouring bin there. NaN values are an error (one
/// value is read back on the GPU to check), as is `value_range[0] >= value_range[1]`.
pub fn histogram_fixed_width(
    values: &Tensor,
    value_range: &Tensor,
    nbins: i64,
    dtype: DType,
) -> Result<Tensor> {
    const OP: &str = "tf.histogram_fixed_width";
    same_device(OP, &[values, value_range])?;
    let t = values.dtype();
    if t == DType::Bool {
        return Err(Error::dtype(OP, t, "a numeric dtype for values"));
    }
    if dtype != DType::I32 {
        return Err(Error::dtype(OP, dtype, "int32 or int64 (held as int32)"));
    }
    let (lo, hi) = hist_range(OP, values, value_range, nbins)?;
    let named = named(OP);
    let dev = values.device();
    let n = values.numel();
    let nb = nbins as usize;
    if n == 0 {
        return ops::zeros(&[nb], DType::I32, &dev).map_err(named);
    }
    let go = || -> Result<Tensor> {
        if t.is_float() {
            let nans = ops::max(&ops::cast(&ops::isnan(values)?, DType::I32)?, None, false)?.item()?;
            if nans != 0.0 {
                return Err(Error::arg(OP, "histogram values must not contain NaN"));
            }
        }
        // `hi - lo` rounds in the values' dtype, as TensorFlow subtracts them before widening.
        let width =
            ops::subtract(&ops::full(&[], hi, t, &Device::Cpu)?, &ops::full(&[], lo, t, &Device::Cpu)?)?
                .item()?;
        let step = width / nbins as f64;
        let ct = if dev.is_gpu() { DType::F32 } else { DType::F64 };
        let lo_t = ops::full(&[], lo, t, &dev)?;
        let d = ops::cast(&ops::subtract(&ops::maximum(values, &lo_t)?, &lo_t)?, ct)?;
        let q = ops::divide(&d, &ops::full(&[], step, ct, &dev)?)?;
        let q = ops::minimum(&q, &ops::full(&[], nbins as f64 - 1.0, ct, &dev)?)?;
        let bins = ops::cast(&q, DType::I32)?.with_dims(&[n, 1])?;
        ops::scatter(&bins, &ops::ones(&[n], DType::I32, &dev)?, &[nb])
    };
    go().map_err(named)
}

// ---------------------------------------------------------------------------------------------
// sort, argsort, unstack
// ---------------------------------------------------------------------------------------------

/// Sorted values and/or indices along `axis` in `direction` (TensorFlow's order: stable, ties
/// keep index order in both directions).
fn tf_sort(op: &'static str, values: &Tensor, axis: i64, direction: &str, indices: bool) -> Result<Tensor> {
    let desc = match direction {
        "ASCENDING" => false,
        "DESCENDING" => true,
        other => {
            return Err(Error::arg(
                op,
                format!("direction should be one of ASCENDING, DESCENDING, got {other:?}"),
            ))
        }
    };
    if values.rank() == 0 {
        return Err(Error::arg(op, "values must have rank 1 or more, got a scalar"));
    }
    if values.dtype() == DType::Bool {
        return Err(Error::dtype(op, values.dtype(), "a float or int dtype"));
    }
    let ax = normalize_axis(op, axis, values.rank())?;
    let named = named(op);
    if !desc {
        let r = if indices { ops::argsort(values, ax as i64) } else { ops::sort(values, ax as i64) };
        return r.map_err(named);
    }
    let go = || -> Result<Tensor> {
        let last = values.rank() as i64 - 1;
        let moved = ops::moveaxis(values, &[ax as i64], &[last])?;
        let (v, i) = ops::top_k(&moved, values.dims()[ax] as i64, true)?;
        ops::moveaxis(if indices { &i } else { &v }, &[last], &[ax as i64])
    };
    go().map_err(named)
}

/// `tf.sort(values, axis=-1, direction='ASCENDING')`: `values` sorted along `axis`. Ties keep
/// their order. NaNs go last ascending and first descending (TensorFlow's own NaN order is
/// an artefact of its top-k implementation and is not reproduced).
pub fn sort(values: &Tensor, axis: i64, direction: &str) -> Result<Tensor> {
    tf_sort("tf.sort", values, axis, direction, false)
}

/// `tf.argsort(values, axis=-1, direction='ASCENDING', stable=False)`: int32 indices that sort
/// `values` along `axis`. The sort is always stable (equal values keep index order in both
/// directions, as TensorFlow's implementation), so `stable` changes nothing.
pub fn argsort(values: &Tensor, axis: i64, direction: &str, stable: bool) -> Result<Tensor> {
    let _ = stable;
    tf_sort("tf.argsort", values, axis, direction, true)
}

/// `tf.unstack(value, num=None, axis=0)`: the slices of `value` along `axis` (in `[-R, R)`),
/// each without that axis; `num`, when given, must equal that axis's size.
pub fn unstack(value: &Tensor, num: Option<i64>, axis: i64) -> Result<Vec<Tensor>> {
    const OP: &str = "tf.unstack";
    let rank = value.rank();
    if rank == 0 {
        return Err(Error::arg(OP, format!("axis {axis} is not in range [0, 0): value is a scalar")));
    }
    let ax = normalize_axis(OP, axis, rank)?;
    let len = value.dims()[ax];
    if let Some(n) = num {
        if n != len as i64 {
            return Err(Error::arg(
                OP,
                format!("num={n} but axis {ax} of shape {:?} has size {len}", value.dims()),
            ));
        }
    }
    ops::unstack(value, None, ax as i64).map_err(named(OP))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(dims: &[usize], b: &[i64], e: &[i64], s: &[i64], m: StridedSliceMasks) -> Vec<usize> {
        strided_slice_view(dims, b, e, s, m).unwrap().dims
    }

    /// The shape of `n` entries `0:1:1` under the masks.
    fn unit_shape(dims: &[usize], n: usize, m: StridedSliceMasks) -> Vec<usize> {
        shape(dims, &vec![0; n], &vec![1; n], &vec![1; n], m)
    }

    #[test]
    fn strided_slice_shapes_follow_tensorflow() {
        let m = StridedSliceMasks::default();
        let d = [2, 3, 4];
        assert_eq!(unit_shape(&d, 1, StridedSliceMasks { shrink_axis_mask: 1, ..m }), vec![3, 4]);
        assert_eq!(unit_shape(&d, 3, StridedSliceMasks { new_axis_mask: 7, ..m }), vec![1, 1, 1, 2, 3, 4]);
        let masks = StridedSliceMasks { new_axis_mask: 2, shrink_axis_mask: 2, ..m };
        assert_eq!(unit_shape(&d, 3, masks), vec![1, 1, 1, 4]);
        let masks = StridedSliceMasks { ellipsis_mask: 2, new_axis_mask: 1 + 4 + 16, ..m };
        assert_eq!(unit_shape(&d, 5, masks), vec![1, 2, 3, 1, 1, 1]);
        let masks = StridedSliceMasks { ellipsis_mask: 1, new_axis_mask: 6, ..m };
        assert_eq!(unit_shape(&d, 3, masks), vec![2, 3, 4, 1, 1]);
        assert_eq!(shape(&d, &[100], &[-100], &[-1], m), vec![2, 3, 4]);
        assert_eq!(
            shape(&d, &[1, -1], &[0, 0], &[1, -1], StridedSliceMasks { begin_mask: 1, ..m }),
            vec![0, 2, 4]
        );
        assert!(strided_slice_view(&d, &[0, 0, 0, 0], &[1, 1, 1, 1], &[1, 1, 1, 1], m).is_err());
        assert!(strided_slice_view(&[], &[0], &[1], &[1], m).is_err());
        assert_eq!(unit_shape(&[], 1, StridedSliceMasks { new_axis_mask: 1, ..m }), vec![1]);
    }
}
