//! TensorFlow-named eager array ops (`tf.size`, `tf.rank`, `tf.shape`, `tf.shape_n`,
//! `tf.identity`, `tf.identity_n`, `tf.reverse`, `tf.roll`, `tf.where`, `tf.boolean_mask`,
//! `tf.sequence_mask`, `tf.meshgrid`, `tf.gather`, `tf.gather_nd`, `tf.scatter_nd`,
//! `tf.unravel_index`, `tf.range`, `tf.linspace`, `tf.reverse_sequence`, `tf.parallel_stack`,
//! `tf.dynamic_partition`, `tf.dynamic_stitch`, `tf.broadcast_static_shape`,
//! `tf.broadcast_dynamic_shape`, `tf.space_to_batch_nd`, `tf.space_to_batch`,
//! `tf.batch_to_space`, `tf.required_space_to_batch_paddings`, `tf.extract_volume_patches`),
//! with TensorFlow 2.9 argument names and semantics.
//!
//! Each op is composed from the runtime's eager ops (views, `take`, `scatter`, elementwise
//! ops), so it runs on the CPU and on the GPU with the same kernels. Index tensors whose values
//! decide the output shape or must be range checked (as TensorFlow's CPU kernels do) are read
//! back to the host. TensorFlow's int64 outputs (`tf.where` coordinates, `out_type=int64`)
//! are int32 here, the widest integer dtype of the runtime.

use super::named;
use crate::device::Device;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::{self, View};
use crate::shape::normalize_axis;
use crate::tensor::{same_device, Tensor};

/// Host copy of an integer tensor; a float tensor is an error naming `op`.
fn host_ints(op: &'static str, what: &str, t: &Tensor) -> Result<Vec<i64>> {
    if !t.dtype().is_int() {
        return Err(Error::dtype(op, t.dtype(), format!("an integer dtype for {what}")));
    }
    Ok(t.to_vec_f64()?.into_iter().map(|v| v as i64).collect())
}

fn i32_tensor(op: &'static str, v: Vec<i64>, dims: &[usize], device: &Device) -> Result<Tensor> {
    let v: Vec<i32> = v
        .into_iter()
        .map(|x| i32::try_from(x).map_err(|_| Error::arg(op, format!("value {x} does not fit in int32"))))
        .collect::<Result<_>>()?;
    Tensor::from_vec(v, dims, device)
}

fn to_i32(op: &'static str, x: usize) -> Result<i64> {
    i32::try_from(x).map(i64::from).map_err(|_| Error::arg(op, format!("size {x} does not fit in int32")))
}

// ---------------------------------------------------------------------------------------------
// Shape queries and identities
// ---------------------------------------------------------------------------------------------

/// `tf.size(input)`: the number of elements, an int32 scalar on the input's device.
pub fn size(input: &Tensor) -> Result<Tensor> {
    const OP: &str = "tf.size";
    i32_tensor(OP, vec![to_i32(OP, input.numel())?], &[], &input.device())
}

/// `tf.rank(input)`: the number of dims, an int32 scalar on the input's device.
pub fn rank(input: &Tensor) -> Result<Tensor> {
    const OP: &str = "tf.rank";
    i32_tensor(OP, vec![input.rank() as i64], &[], &input.device())
}

/// `tf.shape(input)`: the dims as an int32 vector on the input's device.
pub fn shape(input: &Tensor) -> Result<Tensor> {
    const OP: &str = "tf.shape";
    let v = input.dims().iter().map(|&d| to_i32(OP, d)).collect::<Result<Vec<_>>>()?;
    i32_tensor(OP, v, &[input.rank()], &input.device())
}

/// `tf.shape_n(input)`: [`shape`] of each tensor.
pub fn shape_n(input: &[Tensor]) -> Result<Vec<Tensor>> {
    input.iter().map(|t| shape(t).map_err(named("tf.shape_n"))).collect()
}

/// `tf.identity(input)`: the same values (tensors are immutable, so this shares the storage).
pub fn identity(input: &Tensor) -> Result<Tensor> {
    Ok(input.clone())
}

/// `tf.identity_n(input)`: [`identity`] of each tensor.
pub fn identity_n(input: &[Tensor]) -> Result<Vec<Tensor>> {
    Ok(input.to_vec())
}

// ---------------------------------------------------------------------------------------------
// reverse, roll
// ---------------------------------------------------------------------------------------------

fn unique_axes(op: &'static str, axis: &[i64], rank: usize) -> Result<Vec<usize>> {
    let mut seen = vec![false; rank];
    let mut out = Vec::with_capacity(axis.len());
    for &a in axis {
        let ax = normalize_axis(op, a, rank).map_err(named(op))?;
        if seen[ax] {
            return Err(Error::arg(op, format!("axis {axis:?}: dim {ax} is given more than once")));
        }
        seen[ax] = true;
        out.push(ax);
    }
    Ok(out)
}

/// `tf.reverse(tensor, axis)`: the tensor reversed along each dim of `axis` (negative axes count
/// from the end; a repeated dim is an error). One strided copy.
pub fn reverse(tensor: &Tensor, axis: &[i64]) -> Result<Tensor> {
    const OP: &str = "tf.reverse";
    let axes = unique_axes(OP, axis, tensor.rank())?;
    let mut view = View::contiguous(tensor.dims());
    for ax in axes {
        view = view.flipped(ax);
    }
    ops::gather_view(tensor, &view).map_err(named(OP))
}

/// `tf.roll(input, shift, axis)`: elements shifted by `shift[i]` along `axis[i]`, wrapping
/// around; an axis may repeat (its shifts add). A scalar shift and axis are one-element lists.
pub fn roll(input: &Tensor, shift: &[i64], axis: &[i64]) -> Result<Tensor> {
    const OP: &str = "tf.roll";
    if shift.len() != axis.len() {
        return Err(Error::arg(OP, format!("shift {shift:?} and axis {axis:?} must have the same length")));
    }
    let rank = input.rank();
    let mut total = vec![0i64; rank];
    for (&s, &a) in shift.iter().zip(axis) {
        let ax = normalize_axis(OP, a, rank).map_err(named(OP))?;
        total[ax] = total[ax].wrapping_add(s);
    }
    let device = input.device();
    let mut out = input.clone();
    for (ax, &s) in total.iter().enumerate() {
        let n = input.dims()[ax];
        if n == 0 || s.rem_euclid(n as i64) == 0 {
            continue;
        }
        let s = s.rem_euclid(n as i64) as usize;
        let idx: Vec<i64> = (0..n).map(|i| ((i + n - s) % n) as i64).collect();
        let idx = i32_tensor(OP, idx, &[n], &device)?;
        out = ops::take(&out, &idx, Some(ax as i64)).map_err(named(OP))?;
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// where, boolean_mask, sequence_mask
// ---------------------------------------------------------------------------------------------

/// `tf.where(condition)`: the coordinates of the true (non-zero) elements of `condition`, in
/// row-major order, as an int32 `[count, rank]` tensor (int64 in TensorFlow). Reads back the
/// condition, as the output shape depends on it.
pub fn where_indices(condition: &Tensor) -> Result<Tensor> {
    const OP: &str = "tf.where";
    let vals = condition.to_vec_f64().map_err(named(OP))?;
    let dims = condition.dims();
    let rank = dims.len();
    let mut coords = Vec::new();
    let mut count = 0;
    for (flat, v) in vals.iter().enumerate() {
        if *v != 0.0 {
            count += 1;
            let mut rem = flat;
            let start = coords.len();
            coords.resize(start + rank, 0i64);
            for d in (0..rank).rev() {
                coords[start + d] = (rem % dims[d]) as i64;
                rem /= dims[d];
            }
        }
    }
    i32_tensor(OP, coords, &[count, rank], &condition.device())
}

/// `tf.where(condition, x, y)`: `x` where `condition` is true and `y` elsewhere, all three
/// broadcast together (TensorFlow 2 semantics).
pub fn where_select(condition: &Tensor, x: &Tensor, y: &Tensor) -> Result<Tensor> {
    const OP: &str = "tf.where";
    if condition.dtype() != DType::Bool {
        return Err(Error::dtype(OP, condition.dtype(), "bool for condition"));
    }
    if x.dtype() != y.dtype() {
        return Err(Error::arg(OP, format!("x has dtype {} but y has dtype {}", x.dtype(), y.dtype())));
    }
    ops::where_(condition, x, y).map_err(named(OP))
}

/// `tf.where(condition, x=None, y=None)`: [`where_indices`] with neither `x` nor `y`,
/// [`where_select`] with both; one of them alone is an error.
pub fn where_(condition: &Tensor, x: Option<&Tensor>, y: Option<&Tensor>) -> Result<Tensor> {
    match (x, y) {
        (None, None) => where_indices(condition),
        (Some(x), Some(y)) => where_select(condition, x, y),
        _ => Err(Error::arg("tf.where", "x and y must both be given or both be None")),
    }
}

/// `tf.boolean_mask(tensor, mask, axis=None)`: the slices of `tensor` where `mask` is true; the
/// `mask.rank()` dims from `axis` (default 0) become one dim of size `count(mask)`. The mask's
/// shape must equal those dims. Reads back the mask.
pub fn boolean_mask(tensor: &Tensor, mask: &Tensor, axis: Option<i64>) -> Result<Tensor> {
    const OP: &str = "tf.boolean_mask";
    same_device(OP, &[tensor, mask])?;
    if mask.dtype() != DType::Bool {
        return Err(Error::dtype(OP, mask.dtype(), "bool for mask"));
    }
    let k = mask.rank();
    if k == 0 {
        return Err(Error::arg(OP, "mask cannot be a scalar"));
    }
    let rank = tensor.rank();
    let axis = axis.unwrap_or(0);
    let ax = if axis < 0 { axis + rank as i64 } else { axis };
    if ax < 0 || ax as usize + k > rank {
        return Err(Error::arg(
            OP,
            format!("axis {axis} with a mask of rank {k} does not fit a tensor of shape {:?}", tensor.dims()),
        ));
    }
    let ax = ax as usize;
    let dims = tensor.dims();
    if &dims[ax..ax + k] != mask.dims() {
        return Err(Error::shapes(
            OP,
            tensor.dims(),
            mask.dims(),
            format!("the mask's shape must equal the tensor's dims {ax}..{}", ax + k),
        ));
    }
    let m = mask.to_vec_f64().map_err(named(OP))?;
    let keep: Vec<i64> = m.iter().enumerate().filter(|(_, v)| **v != 0.0).map(|(i, _)| i as i64).collect();
    let n = keep.len();
    let mut flat_dims: Vec<usize> = dims[..ax].to_vec();
    flat_dims.push(mask.numel());
    flat_dims.extend_from_slice(&dims[ax + k..]);
    let flat = tensor.with_dims(&flat_dims)?;
    let idx = i32_tensor(OP, keep, &[n], &tensor.device())?;
    ops::take(&flat, &idx, Some(ax as i64)).map_err(named(OP))
}

/// `tf.sequence_mask(lengths, maxlen=None, dtype=bool)`: `out[..., j] = j < lengths[...]`, a new
/// last dim of size `maxlen` (default: the largest length, read back), cast to `dtype`.
pub fn sequence_mask(lengths: &Tensor, maxlen: Option<i64>, dtype: DType) -> Result<Tensor> {
    const OP: &str = "tf.sequence_mask";
    if !lengths.dtype().is_int() {
        return Err(Error::dtype(OP, lengths.dtype(), "an integer dtype for lengths"));
    }
    let maxlen = match maxlen {
        Some(m) if m < 0 => return Err(Error::arg(OP, format!("maxlen must be non-negative, got {m}"))),
        Some(m) => m as usize,
        None => host_ints(OP, "lengths", lengths)?.into_iter().max().unwrap_or(0).max(0) as usize,
    };
    let device = lengths.device();
    let lengths = ops::cast(lengths, DType::I32).map_err(named(OP))?;
    let mut dims = lengths.dims().to_vec();
    dims.push(1);
    let col = lengths.with_dims(&dims)?;
    let row = ops::arange(0.0, maxlen as f64, 1.0, DType::I32, &device).map_err(named(OP))?;
    let mask = ops::less(&row, &col).map_err(named(OP))?;
    if dtype == DType::Bool {
        Ok(mask)
    } else {
        ops::cast(&mask, dtype).map_err(named(OP))
    }
}

/// `tf.meshgrid(*args, indexing='xy')`: N-D coordinate grids from 1-D vectors (`'xy'` swaps
/// the first two output dims, `'ij'` keeps the matrix order).
pub fn meshgrid(args: &[Tensor], indexing: &str) -> Result<Vec<Tensor>> {
    const OP: &str = "tf.meshgrid";
    if indexing != "xy" && indexing != "ij" {
        return Err(Error::arg(OP, format!("indexing must be 'xy' or 'ij', got {indexing:?}")));
    }
    let n = args.len();
    let mut dims: Vec<usize> = args.iter().map(|t| t.numel()).collect();
    let swap = indexing == "xy" && n > 1;
    if swap {
        dims.swap(0, 1);
    }
    args.iter()
        .enumerate()
        .map(|(i, t)| {
            let pos = if swap && i < 2 { 1 - i } else { i };
            let mut shape = vec![1usize; n];
            shape[pos] = t.numel();
            let t = t.with_dims(&shape)?;
            ops::broadcast_to(&t, &dims)
        })
        .collect::<Result<Vec<_>>>()
        .map_err(named(OP))
}

// ---------------------------------------------------------------------------------------------
// gather, gather_nd, scatter_nd, unravel_index
// ---------------------------------------------------------------------------------------------

/// Checks each index against `0..n` (TensorFlow's CPU kernels reject out-of-range indices).
fn check_range(op: &'static str, idx: &[i64], n: usize, what: &str) -> Result<()> {
    if let Some(bad) = idx.iter().find(|&&i| i < 0 || i as usize >= n) {
        return Err(Error::arg(op, format!("{what} {bad} is not in [0, {n})")));
    }
    Ok(())
}

/// `tf.gather(params, indices, axis=None, batch_dims=0)`: slices of `params` along `axis`
/// (default `batch_dims`) at `indices`. The result has shape
/// `params.shape[:axis] + indices.shape[batch_dims:] + params.shape[axis+1:]`; the first
/// `batch_dims` dims of `params` and `indices` are matched batch dims. Out-of-range indices
/// are an error (TensorFlow's CPU behaviour); the indices are read back to be checked.
pub fn gather(params: &Tensor, indices: &Tensor, axis: Option<i64>, batch_dims: i64) -> Result<Tensor> {
    const OP: &str = "tf.gather";
    same_device(OP, &[params, indices])?;
    let idx = host_ints(OP, "indices", indices)?;
    let irank = indices.rank() as i64;
    let prank = params.rank() as i64;
    let b = if batch_dims < 0 { batch_dims + irank } else { batch_dims };
    if b < 0 || b > irank {
        return Err(Error::arg(OP, format!("batch_dims {batch_dims} must be in [-{irank}, {irank}]")));
    }
    let axis = axis.unwrap_or(b);
    let ax = if axis < 0 { axis + prank } else { axis };
    if ax < b || ax >= prank {
        return Err(Error::arg(
            OP,
            format!(
                "axis {axis} must be in [batch_dims={b}, {prank}) for params of shape {:?}",
                params.dims()
            ),
        ));
    }
    let (b, ax) = (b as usize, ax as usize);
    let pd = params.dims();
    let id = indices.dims();
    if pd[..b] != id[..b] {
        return Err(Error::shapes(OP, pd, id, format!("the first {b} (batch) dims must match")));
    }
    let n = pd[ax];
    check_range(OP, &idx, n, "index")?;
    let device = params.device();
    let mut out_dims: Vec<usize> = pd[..ax].to_vec();
    out_dims.extend_from_slice(&id[b..]);
    out_dims.extend_from_slice(&pd[ax + 1..]);
    if b == 0 {
        let it = i32_tensor(OP, idx, id, &device)?;
        return ops::take(params, &it, Some(ax as i64)).map_err(named(OP));
    }
    // Batched: fold the batch dims into the gathered axis ([B, pre, A, post] -> [B*A, pre, post]).
    let bn: usize = pd[..b].iter().product();
    let pre: usize = pd[b..ax].iter().product();
    let post: usize = pd[ax + 1..].iter().product();
    let inner: usize = id[b..].iter().product();
    let p = params.with_dims(&[bn, pre, n, post])?;
    let p = ops::transpose(&p, Some(&[0, 2, 1, 3])).map_err(named(OP))?.with_dims(&[bn * n, pre, post])?;
    let flat: Vec<i64> =
        idx.iter().enumerate().map(|(i, &v)| (i / inner.max(1)) as i64 * n as i64 + v).collect();
    let it = i32_tensor(OP, flat, &[bn * inner], &device)?;
    let g = ops::take(&p, &it, Some(0)).map_err(named(OP))?.with_dims(&[bn, inner, pre, post])?;
    let g = ops::transpose(&g, Some(&[0, 2, 1, 3])).map_err(named(OP))?;
    g.with_dims(&out_dims)
}

/// `tf.gather_nd(params, indices, batch_dims=0)`: slices of `params` at the index tuples of the
/// last dim of `indices` (depth `k`); the result has shape
/// `indices.shape[:-1] + params.shape[batch_dims + k:]`. Out-of-range indices are an error.
pub fn gather_nd(params: &Tensor, indices: &Tensor, batch_dims: i64) -> Result<Tensor> {
    const OP: &str = "tf.gather_nd";
    same_device(OP, &[params, indices])?;
    let idx = host_ints(OP, "indices", indices)?;
    let id = indices.dims();
    let pd = params.dims();
    if id.is_empty() {
        return Err(Error::arg(OP, "indices must have rank >= 1"));
    }
    let irank = id.len();
    if batch_dims < 0 || batch_dims as usize >= irank {
        return Err(Error::arg(OP, format!("batch_dims {batch_dims} must be in [0, {})", irank)));
    }
    let b = batch_dims as usize;
    let k = id[irank - 1];
    if b + k > pd.len() {
        return Err(Error::shapes(
            OP,
            pd,
            id,
            format!("index depth {k} plus batch_dims {b} exceeds the rank of params"),
        ));
    }
    if pd[..b] != id[..b] {
        return Err(Error::shapes(OP, pd, id, format!("the first {b} (batch) dims must match")));
    }
    let bn: usize = pd[..b].iter().product();
    let m: usize = pd[b..b + k].iter().product();
    let tail = &pd[b + k..];
    let tn: usize = tail.iter().product();
    let rows: usize = id[..irank - 1].iter().product();
    let per_batch = rows / bn.max(1);
    let mut flat = Vec::with_capacity(rows);
    for r in 0..rows {
        let mut lin = 0i64;
        for j in 0..k {
            let v = idx[r * k + j];
            let n = pd[b + j];
            if v < 0 || v as usize >= n {
                let tuple = &idx[r * k..r * k + k];
                return Err(Error::arg(
                    OP,
                    format!("index {tuple:?} does not index into params of shape {pd:?}"),
                ));
            }
            lin = lin * n as i64 + v;
        }
        flat.push((r / per_batch.max(1)) as i64 * m as i64 + lin);
    }
    let device = params.device();
    let p = params.with_dims(&[bn * m, tn])?;
    let it = i32_tensor(OP, flat, &[rows], &device)?;
    let g = ops::take(&p, &it, Some(0)).map_err(named(OP))?;
    let mut out_dims = id[..irank - 1].to_vec();
    out_dims.extend_from_slice(tail);
    g.with_dims(&out_dims)
}

/// `tf.scatter_nd(indices, updates, shape)`: zeros of `shape` with `updates` added at the index
/// tuples of `indices` (depth `k` = last dim); duplicates add. Out-of-range indices are an error.
pub fn scatter_nd(indices: &Tensor, updates: &Tensor, shape: &[i64]) -> Result<Tensor> {
    const OP: &str = "tf.scatter_nd";
    let shape = super::dims_arg(OP, "shape", shape)?;
    let id = indices.dims();
    if id.is_empty() {
        return Err(Error::arg(OP, "indices must have rank >= 1"));
    }
    let k = id[id.len() - 1];
    if k > shape.len() {
        return Err(Error::arg(OP, format!("index depth {k} exceeds the rank of shape {shape:?}")));
    }
    let mut want = id[..id.len() - 1].to_vec();
    want.extend_from_slice(&shape[k..]);
    if updates.dims() != want.as_slice() {
        return Err(Error::shapes(
            OP,
            updates.dims(),
            &want,
            format!("updates must have shape indices.shape[:-1] + shape[{k}:] for shape {shape:?}"),
        ));
    }
    let idx = host_ints(OP, "indices", indices)?;
    for (r, tuple) in idx.chunks(k.max(1)).enumerate().take(if k == 0 { 0 } else { usize::MAX }) {
        for (j, &v) in tuple.iter().enumerate() {
            if v < 0 || v as usize >= shape[j] {
                return Err(Error::arg(
                    OP,
                    format!("indices[{r}] = {tuple:?} does not index into shape {shape:?}"),
                ));
            }
        }
    }
    ops::scatter(indices, updates, &shape).map_err(named(OP))
}

/// `tf.unravel_index(indices, dims)`: the coordinates in an array of shape `dims` of each flat
/// index, as an int32 tensor of shape `[len(dims)] + indices.shape`. Out-of-range is an error.
pub fn unravel_index(indices: &Tensor, dims: &[i64]) -> Result<Tensor> {
    const OP: &str = "tf.unravel_index";
    if indices.rank() > 1 {
        return Err(Error::arg(
            OP,
            format!("indices must be a scalar or vector, got shape {:?}", indices.dims()),
        ));
    }
    let d = super::dims_arg(OP, "dims", dims)?;
    let total: usize = d.iter().product();
    let idx = host_ints(OP, "indices", indices)?;
    check_range(OP, &idx, total, "flat index")?;
    let n = idx.len();
    let mut out = vec![0i64; d.len() * n];
    for (c, &v) in idx.iter().enumerate() {
        let mut rem = v as usize;
        for j in (0..d.len()).rev() {
            out[j * n + c] = (rem % d[j]) as i64;
            rem /= d[j];
        }
    }
    let mut od = vec![d.len()];
    od.extend_from_slice(indices.dims());
    i32_tensor(OP, out, &od, &indices.device())
}

// ---------------------------------------------------------------------------------------------
// range
// ---------------------------------------------------------------------------------------------

/// `tf.range(start, limit=None, delta=1, dtype=None)`: `start, start+delta, ...` up to (not
/// including) `limit`; with one number it is the limit and start is 0. `dtype` defaults to
/// int32 when every given number is an integer, else float32.
pub fn range(
    start: f64,
    limit: Option<f64>,
    delta: f64,
    dtype: Option<DType>,
    device: &Device,
) -> Result<Tensor> {
    const OP: &str = "tf.range";
    let (start, limit) = match limit {
        Some(l) => (start, l),
        None => (0.0, start),
    };
    if delta == 0.0 || !delta.is_finite() || !start.is_finite() || !limit.is_finite() {
        return Err(Error::arg(
            OP,
            format!("requires finite numbers and a non-zero delta, got delta {delta}"),
        ));
    }
    if (delta > 0.0 && start > limit) || (delta < 0.0 && start < limit) {
        return Err(Error::arg(
            OP,
            format!(
                "requires start <= limit when delta > 0 (start >= limit when delta < 0): {start}/{limit}"
            ),
        ));
    }
    let all_int = [start, limit, delta].iter().all(|v| v.fract() == 0.0);
    let dtype = dtype.unwrap_or(if all_int { DType::I32 } else { DType::F32 });
    ops::arange(start, limit, delta, dtype, device).map_err(named(OP))
}

// ---------------------------------------------------------------------------------------------
// linspace, reverse_sequence, parallel_stack
// ---------------------------------------------------------------------------------------------

/// `tf.linspace(start, stop, num, axis=0)`: `num` evenly spaced values from `start` to `stop`
/// (both included), batched: `start` and `stop` broadcast together and the new dim of size
/// `num` goes at `axis` (of the result). Computed as TensorFlow does: `start + i * delta` with
/// `delta = (stop - start) / max(num - 1, 1)`, the last value being `stop` exactly.
pub fn linspace(start: &Tensor, stop: &Tensor, num: i64, axis: i64) -> Result<Tensor> {
    const OP: &str = "tf.linspace";
    same_device(OP, &[start, stop])?;
    let dt = start.dtype();
    if !dt.is_float() || stop.dtype() != dt {
        return Err(Error::arg(
            OP,
            format!("start and stop must have the same float dtype, got {} and {}", dt, stop.dtype()),
        ));
    }
    if num < 0 {
        return Err(Error::arg(OP, format!("num must be non-negative, got {num}")));
    }
    let num = num as usize;
    let shape = crate::shape::broadcast_shapes(OP, start.dims(), stop.dims())?;
    let ax = normalize_axis(OP, axis, shape.len() + 1).map_err(named(OP))?;
    let device = start.device();
    let f = || -> Result<Tensor> {
        let start = ops::expand_dims(&ops::broadcast_to(start, &shape)?, &[ax as i64])?;
        let stop = ops::expand_dims(&ops::broadcast_to(stop, &shape)?, &[ax as i64])?;
        if num <= 1 {
            let mut dims = start.dims().to_vec();
            dims[ax] = num;
            return ops::slice(
                &start,
                &vec![0; dims.len()],
                &dims.iter().map(|&d| d as i64).collect::<Vec<_>>(),
            );
        }
        let steps = ops::full(&[], (num - 1) as f64, dt, &device)?;
        let delta = ops::divide(&ops::subtract(&stop, &start)?, &steps)?;
        let mut rdims = vec![1usize; shape.len() + 1];
        rdims[ax] = num - 2;
        let r = ops::arange(1.0, (num - 1) as f64, 1.0, dt, &device)?.with_dims(&rdims)?;
        let mid = ops::add(&start, &ops::multiply(&r, &delta)?)?;
        ops::concatenate(&[start, mid, stop], ax as i64)
    };
    f().map_err(named(OP))
}

/// `tf.reverse_sequence(input, seq_lengths, seq_axis, batch_axis=0)`: for each `b` along
/// `batch_axis`, the first `seq_lengths[b]` elements along `seq_axis` reversed, the rest kept.
/// The lengths are read back and must lie in `0..=input.shape[seq_axis]`.
pub fn reverse_sequence(
    input: &Tensor,
    seq_lengths: &Tensor,
    seq_axis: i64,
    batch_axis: i64,
) -> Result<Tensor> {
    const OP: &str = "tf.reverse_sequence";
    same_device(OP, &[input, seq_lengths])?;
    let rank = input.rank();
    let sa = normalize_axis(OP, seq_axis, rank).map_err(named(OP))?;
    let ba = normalize_axis(OP, batch_axis, rank).map_err(named(OP))?;
    if sa == ba {
        return Err(Error::arg(OP, format!("seq_axis {seq_axis} and batch_axis {batch_axis} must differ")));
    }
    let lens = host_ints(OP, "seq_lengths", seq_lengths)?;
    let (nb, nt) = (input.dims()[ba], input.dims()[sa]);
    if seq_lengths.rank() != 1 || lens.len() != nb {
        return Err(Error::arg(
            OP,
            format!("seq_lengths must be a vector of length {nb}, got shape {:?}", seq_lengths.dims()),
        ));
    }
    if let Some(bad) = lens.iter().find(|&&l| l < 0 || l as usize > nt) {
        return Err(Error::arg(OP, format!("seq_lengths value {bad} is not in [0, {nt}]")));
    }
    let mut idx = vec![0i64; nb * nt];
    for (b, &l) in lens.iter().enumerate() {
        for t in 0..nt {
            idx[b * nt + t] = if (t as i64) < l { l - 1 - t as i64 } else { t as i64 };
        }
    }
    let mut dims = vec![1usize; rank];
    dims[ba] = nb;
    dims[sa] = nt;
    let idx = if ba < sa { idx } else { (0..nb * nt).map(|k| idx[(k % nb) * nt + k / nb]).collect() };
    let idx = i32_tensor(OP, idx, &dims, &input.device())?;
    let idx = ops::broadcast_to(&idx, input.dims()).map_err(named(OP))?;
    ops::take_along_axis(input, &idx, Some(sa as i64)).map_err(named(OP))
}

/// `tf.parallel_stack(values)`: the tensors stacked along a new first dim (as `tf.stack`).
pub fn parallel_stack(values: &[Tensor]) -> Result<Tensor> {
    const OP: &str = "tf.parallel_stack";
    if values.is_empty() {
        return Err(Error::arg(OP, "values must not be empty"));
    }
    ops::stack(values, 0).map_err(named(OP))
}

// ---------------------------------------------------------------------------------------------
// dynamic_partition, dynamic_stitch
// ---------------------------------------------------------------------------------------------

/// `tf.dynamic_partition(data, partitions, num_partitions)`: `num_partitions` tensors, the
/// `i`-th holding (in order) the slices `data[j...]` with `partitions[j...] == i`. The shape of
/// `partitions` must be a prefix of `data`'s; the partitions are read back.
pub fn dynamic_partition(data: &Tensor, partitions: &Tensor, num_partitions: i64) -> Result<Vec<Tensor>> {
    const OP: &str = "tf.dynamic_partition";
    same_device(OP, &[data, partitions])?;
    if num_partitions < 1 {
        return Err(Error::arg(OP, format!("num_partitions must be at least 1, got {num_partitions}")));
    }
    let pd = partitions.dims();
    if pd.len() > data.rank() || data.dims()[..pd.len()] != *pd {
        return Err(Error::shapes(
            OP,
            data.dims(),
            pd,
            "the partitions' shape must be a prefix of the data's",
        ));
    }
    let parts = host_ints(OP, "partitions", partitions)?;
    if let Some(bad) = parts.iter().find(|&&p| p < 0 || p >= num_partitions) {
        return Err(Error::arg(OP, format!("partition {bad} is not in [0, {num_partitions})")));
    }
    let tail = &data.dims()[pd.len()..];
    let mut flat_dims = vec![parts.len()];
    flat_dims.extend_from_slice(tail);
    let flat = data.with_dims(&flat_dims)?;
    (0..num_partitions)
        .map(|i| {
            let rows: Vec<i64> =
                parts.iter().enumerate().filter(|(_, &p)| p == i).map(|(j, _)| j as i64).collect();
            let n = rows.len();
            let idx = i32_tensor(OP, rows, &[n], &data.device())?;
            ops::take(&flat, &idx, Some(0)).map_err(named(OP))
        })
        .collect()
}

/// `tf.dynamic_stitch(indices, data)`: `merged[indices[m][i...]] = data[m][i...]`, a tensor of
/// `max(indices) + 1` slices; where an index repeats the last write wins, and a slice no index
/// names is zero. `data[m].shape` must be `indices[m].shape + constant`.
pub fn dynamic_stitch(indices: &[Tensor], data: &[Tensor]) -> Result<Tensor> {
    const OP: &str = "tf.dynamic_stitch";
    if indices.is_empty() || indices.len() != data.len() {
        return Err(Error::arg(
            OP,
            format!(
                "needs as many indices as data tensors (at least one), got {} and {}",
                indices.len(),
                data.len()
            ),
        ));
    }
    let device = data[0].device();
    let dtype = data[0].dtype();
    let k0 = indices[0].rank();
    if data[0].rank() < k0 {
        return Err(Error::shapes(
            OP,
            data[0].dims(),
            indices[0].dims(),
            "data[0] must start with indices[0]'s shape",
        ));
    }
    let tail: Vec<usize> = data[0].dims()[k0..].to_vec();
    let tn: usize = tail.iter().product();
    let mut src = vec![];
    let mut flat = vec![];
    let mut total = 0usize;
    for (m, (i, d)) in indices.iter().zip(data).enumerate() {
        let mut want = i.dims().to_vec();
        want.extend_from_slice(&tail);
        if d.dims() != want.as_slice() || d.dtype() != dtype {
            return Err(Error::shapes(
                OP,
                d.dims(),
                &want,
                format!("data[{m}] must have shape indices[{m}].shape + {tail:?} and dtype {dtype}"),
            ));
        }
        let idx = host_ints(OP, "indices", i)?;
        if let Some(bad) = idx.iter().find(|&&v| v < 0) {
            return Err(Error::arg(OP, format!("index {bad} in indices[{m}] is negative")));
        }
        for (r, &v) in idx.iter().enumerate() {
            src.push((v as usize, total + r));
        }
        total += idx.len();
        flat.push(d.to_device(&device)?.with_dims(&[idx.len(), tn])?);
    }
    let n = src.iter().map(|&(v, _)| v + 1).max().unwrap_or(0);
    // Row `total` is an appended zero row for slices no index names.
    let mut rows = vec![total as i64; n];
    for (v, r) in src {
        rows[v] = r as i64;
    }
    flat.push(ops::zeros(&[1, tn], dtype, &device)?);
    let f = || -> Result<Tensor> {
        let all = ops::concatenate(&flat, 0)?;
        let idx = i32_tensor(OP, rows, &[n], &device)?;
        let mut out_dims = vec![n];
        out_dims.extend_from_slice(&tail);
        ops::take(&all, &idx, Some(0))?.with_dims(&out_dims)
    };
    f().map_err(named(OP))
}

// ---------------------------------------------------------------------------------------------
// broadcast shapes
// ---------------------------------------------------------------------------------------------

/// `tf.broadcast_static_shape(shape_x, shape_y)`: the broadcast of two static shapes.
pub fn broadcast_static_shape(shape_x: &[usize], shape_y: &[usize]) -> Result<Vec<usize>> {
    crate::shape::broadcast_shapes("tf.broadcast_static_shape", shape_x, shape_y)
        .map_err(named("tf.broadcast_static_shape"))
}

/// `tf.broadcast_dynamic_shape(shape_x, shape_y)`: the broadcast of two int32 shape vectors, as
/// an int32 vector on `shape_x`'s device (read back: shapes are host data).
pub fn broadcast_dynamic_shape(shape_x: &Tensor, shape_y: &Tensor) -> Result<Tensor> {
    const OP: &str = "tf.broadcast_dynamic_shape";
    let dims = |t: &Tensor, what: &str| -> Result<Vec<usize>> {
        if t.rank() != 1 {
            return Err(Error::arg(OP, format!("{what} must be a vector, got shape {:?}", t.dims())));
        }
        super::dims_arg(OP, what, &host_ints(OP, what, t)?)
    };
    let (x, y) = (dims(shape_x, "shape_x")?, dims(shape_y, "shape_y")?);
    let out = crate::shape::broadcast_shapes(OP, &x, &y).map_err(named(OP))?;
    let n = out.len();
    i32_tensor(OP, out.into_iter().map(|d| d as i64).collect(), &[n], &shape_x.device())
}

// ---------------------------------------------------------------------------------------------
// space_to_batch_nd, batch_to_space, required_space_to_batch_paddings
// ---------------------------------------------------------------------------------------------

fn block_arg(op: &'static str, block_shape: &[i64], rank: usize) -> Result<Vec<usize>> {
    let m = block_shape.len();
    if m == 0 || m + 1 > rank {
        return Err(Error::arg(
            op,
            format!(
                "block_shape {block_shape:?} must have 1..={} entries for an input of rank {rank}",
                rank.max(1) - 1
            ),
        ));
    }
    block_shape
        .iter()
        .map(|&b| {
            usize::try_from(b)
                .ok()
                .filter(|&b| b >= 1)
                .ok_or_else(|| Error::arg(op, format!("block_shape {block_shape:?}: entries must be >= 1")))
        })
        .collect()
}

fn pairs_arg(op: &'static str, what: &str, v: &[[i64; 2]], m: usize) -> Result<Vec<[usize; 2]>> {
    if v.len() != m {
        return Err(Error::arg(op, format!("{what} {v:?} must have {m} [before, after] pairs")));
    }
    v.iter()
        .map(|p| match (usize::try_from(p[0]), usize::try_from(p[1])) {
            (Ok(a), Ok(b)) => Ok([a, b]),
            _ => Err(Error::arg(op, format!("{what} {v:?} must be non-negative"))),
        })
        .collect()
}

/// `tf.space_to_batch_nd(input, block_shape, paddings)` (also `tf.space_to_batch` in TF 2):
/// the `M = len(block_shape)` spatial dims after the batch dim are zero padded by `paddings`,
/// split into blocks, and the block offsets moved into the batch dim: the result has shape
/// `[batch * prod(block_shape), padded[i] / block_shape[i]..., remaining dims]`.
pub fn space_to_batch_nd(input: &Tensor, block_shape: &[i64], paddings: &[[i64; 2]]) -> Result<Tensor> {
    const OP: &str = "tf.space_to_batch_nd";
    let dims = input.dims();
    let block = block_arg(OP, block_shape, input.rank())?;
    let m = block.len();
    let pads = pairs_arg(OP, "paddings", paddings, m)?;
    let mut pad_width = vec![[0usize, 0]; input.rank()];
    let mut padded = dims.to_vec();
    for i in 0..m {
        pad_width[i + 1] = pads[i];
        padded[i + 1] = dims[i + 1] + pads[i][0] + pads[i][1];
        if !padded[i + 1].is_multiple_of(block[i]) {
            return Err(Error::arg(
                OP,
                format!(
                    "padded dim {} of size {} (input {:?}, paddings {paddings:?}) is not divisible by block_shape {block_shape:?}",
                    i + 1,
                    padded[i + 1],
                    dims
                ),
            ));
        }
    }
    let f = || -> Result<Tensor> {
        let x = if pads.iter().any(|p| p[0] + p[1] > 0) {
            ops::pad(input, &pad_width, "constant", Some(0.0))?
        } else {
            input.clone()
        };
        let rest = &dims[m + 1..];
        // [B, s1/b1, b1, ..., sM/bM, bM, rest...]
        let mut split = vec![dims[0]];
        for i in 0..m {
            split.extend([padded[i + 1] / block[i], block[i]]);
        }
        split.extend_from_slice(rest);
        let x = x.with_dims(&split)?;
        // -> [b1, ..., bM, B, s1/b1, ..., sM/bM, rest...]
        let mut perm: Vec<i64> = (0..m).map(|i| 2 + 2 * i as i64).collect();
        perm.push(0);
        perm.extend((0..m).map(|i| 1 + 2 * i as i64));
        perm.extend((0..rest.len()).map(|j| (1 + 2 * m + j) as i64));
        let x = ops::transpose(&x, Some(&perm))?;
        let mut out = vec![dims[0] * block.iter().product::<usize>()];
        out.extend((0..m).map(|i| padded[i + 1] / block[i]));
        out.extend_from_slice(rest);
        x.with_dims(&out)
    };
    f().map_err(named(OP))
}

/// `tf.batch_to_space(input, block_shape, crops)` (`batch_to_space_nd`): the inverse of
/// [`space_to_batch_nd`]: the batch dim `B * prod(block_shape)` is split back into the spatial
/// dims, which are then cropped by `crops`.
pub fn batch_to_space(input: &Tensor, block_shape: &[i64], crops: &[[i64; 2]]) -> Result<Tensor> {
    const OP: &str = "tf.batch_to_space";
    let dims = input.dims();
    let block = block_arg(OP, block_shape, input.rank())?;
    let m = block.len();
    let crops = pairs_arg(OP, "crops", crops, m)?;
    let bp: usize = block.iter().product();
    if !dims[0].is_multiple_of(bp) {
        return Err(Error::arg(
            OP,
            format!(
                "batch dim {} of input {dims:?} is not divisible by prod(block_shape {block_shape:?}) = {bp}",
                dims[0]
            ),
        ));
    }
    let b = dims[0] / bp;
    for i in 0..m {
        if crops[i][0] + crops[i][1] > dims[i + 1] * block[i] {
            return Err(Error::arg(
                OP,
                format!(
                    "crops {crops:?} exceed the uncropped size {} of spatial dim {}",
                    dims[i + 1] * block[i],
                    i + 1
                ),
            ));
        }
    }
    let f = || -> Result<Tensor> {
        let rest = &dims[m + 1..];
        // [b1, ..., bM, B, s1, ..., sM, rest...]
        let mut split = block.clone();
        split.push(b);
        split.extend_from_slice(&dims[1..]);
        let x = input.with_dims(&split)?;
        // -> [B, s1, b1, ..., sM, bM, rest...]
        let mut perm = vec![m as i64];
        for i in 0..m {
            perm.extend([(m + 1 + i) as i64, i as i64]);
        }
        perm.extend((0..rest.len()).map(|j| (2 * m + 1 + j) as i64));
        let x = ops::transpose(&x, Some(&perm))?;
        let mut full = vec![b];
        full.extend((0..m).map(|i| dims[i + 1] * block[i]));
        full.extend_from_slice(rest);
        let x = x.with_dims(&full)?;
        if crops.iter().all(|c| c[0] + c[1] == 0) {
            return Ok(x);
        }
        let mut start = vec![0i64; full.len()];
        let mut size: Vec<i64> = full.iter().map(|&d| d as i64).collect();
        for i in 0..m {
            start[i + 1] = crops[i][0] as i64;
            size[i + 1] = (full[i + 1] - crops[i][0] - crops[i][1]) as i64;
        }
        ops::slice(&x, &start, &size)
    };
    f().map_err(named(OP))
}

/// `[before, after]` pairs, one per spatial dim.
pub type PaddingPairs = Vec<[i64; 2]>;

/// `tf.required_space_to_batch_paddings(input_shape, block_shape, base_paddings=None)`: the
/// `(paddings, crops)` that make each padded spatial dim divisible by its block size (extra
/// padding at the end), each `M x 2`.
pub fn required_space_to_batch_paddings(
    input_shape: &[i64],
    block_shape: &[i64],
    base_paddings: Option<&[[i64; 2]]>,
) -> Result<(PaddingPairs, PaddingPairs)> {
    const OP: &str = "tf.required_space_to_batch_paddings";
    let m = block_shape.len();
    if input_shape.len() != m {
        return Err(Error::arg(
            OP,
            format!("input_shape {input_shape:?} and block_shape {block_shape:?} must have the same length"),
        ));
    }
    let block = block_arg(OP, block_shape, m + 1)?;
    let shape = super::dims_arg(OP, "input_shape", input_shape)?;
    let base = match base_paddings {
        Some(p) => pairs_arg(OP, "base_paddings", p, m)?,
        None => vec![[0, 0]; m],
    };
    let mut paddings = Vec::with_capacity(m);
    let mut crops = Vec::with_capacity(m);
    for i in 0..m {
        let full = shape[i] + base[i][0] + base[i][1];
        let extra = (block[i] - full % block[i]) % block[i];
        paddings.push([base[i][0] as i64, (base[i][1] + extra) as i64]);
        crops.push([0, extra as i64]);
    }
    Ok((paddings, crops))
}

/// `tf.space_to_batch(input, block_shape, paddings)`: TensorFlow 2's name of
/// [`space_to_batch_nd`] (same arguments).
pub fn space_to_batch(input: &Tensor, block_shape: &[i64], paddings: &[[i64; 2]]) -> Result<Tensor> {
    space_to_batch_nd(input, block_shape, paddings)
}

// ---------------------------------------------------------------------------------------------
// extract_volume_patches
// ---------------------------------------------------------------------------------------------

/// `tf.extract_volume_patches(input, ksizes, strides, padding)`: the `kd x kh x kw` patches of a
/// `[batch, depth, height, width, channels]` input, each flattened in `(kd, kh, kw, channels)`
/// order into the last dim of the `[batch, out_d, out_h, out_w, kd*kh*kw*channels]` result.
/// `ksizes` and `strides` are 5 entries with 1 at both ends; `padding` is `"VALID"` or
/// `"SAME"` (zero padding, the extra one at the end). One zero pad and one overlapping strided
/// copy.
pub fn extract_volume_patches(
    input: &Tensor,
    ksizes: &[i64],
    strides: &[i64],
    padding: &str,
) -> Result<Tensor> {
    const OP: &str = "tf.extract_volume_patches";
    if input.rank() != 5 {
        return Err(Error::arg(
            OP,
            format!("input must be 5-D [batch, d, h, w, c], got shape {:?}", input.dims()),
        ));
    }
    let five = |what: &str, v: &[i64]| -> Result<[usize; 3]> {
        if v.len() != 5 || v[0] != 1 || v[4] != 1 || v[1..4].iter().any(|&k| k < 1) {
            return Err(Error::arg(OP, format!("{what} {v:?} must be [1, a, b, c, 1] with a, b, c >= 1")));
        }
        Ok([v[1] as usize, v[2] as usize, v[3] as usize])
    };
    let k = five("ksizes", ksizes)?;
    let s = five("strides", strides)?;
    let same = match padding {
        "SAME" => true,
        "VALID" => false,
        _ => return Err(Error::arg(OP, format!("padding must be \"VALID\" or \"SAME\", got {padding:?}"))),
    };
    let dims = input.dims();
    let mut out = [0usize; 3];
    let mut pad_width = vec![[0usize, 0]; 5];
    for i in 0..3 {
        let n = dims[i + 1];
        if same {
            out[i] = n.div_ceil(s[i]);
            let total = ((out[i].max(1) - 1) * s[i] + k[i]).saturating_sub(n);
            pad_width[i + 1] = [total / 2, total - total / 2];
        } else {
            out[i] = if n >= k[i] { (n - k[i]) / s[i] + 1 } else { 0 };
        }
    }
    let f = || -> Result<Tensor> {
        let x = if pad_width.iter().any(|p| p[0] + p[1] > 0) {
            ops::pad(input, &pad_width, "constant", Some(0.0))?
        } else {
            input.clone()
        };
        let st = crate::shape::strides(x.dims());
        let c = dims[4];
        let view = View {
            dims: vec![dims[0], out[0], out[1], out[2], k[0], k[1], k[2], c],
            strides: vec![
                st[0] as isize,
                (st[1] * s[0]) as isize,
                (st[2] * s[1]) as isize,
                (st[3] * s[2]) as isize,
                st[1] as isize,
                st[2] as isize,
                st[3] as isize,
                st[4] as isize,
            ],
            offset: 0,
        };
        let p = ops::gather_view(&x, &view)?;
        p.with_dims(&[dims[0], out[0], out[1], out[2], k[0] * k[1] * k[2] * c])
    };
    f().map_err(named(OP))
}
