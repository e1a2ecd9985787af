//! Indexing ops: `take`, `take_along_axis`, `one_hot`, `multi_hot`, `scatter`, `scatter_update`,
//! `in_top_k`, `digitize`, `searchsorted`, `histogram` and `bincount` (names and semantics of
//! `keras.ops` with the JAX backend).
//!
//! Index validation: on the CPU an index outside `[-n, n)` is an `Err` naming the op. On the GPU
//! the indices are not read back (that would stall the queue), so a negative index wraps once
//! like NumPy and an index still out of range is clamped to the nearest valid one for gathers
//! (`take`, `take_along_axis`) and dropped for scatters (`scatter`, `scatter_update`), as JAX does
//! for scatters. `bincount` and `histogram` read their input back on the GPU anyway (their output
//! shape depends on the data), so they validate on both backends.

use crate::device::{GpuDevice, Kernel};
use crate::dtype::DType;
use crate::element::{CpuStorage, Element};
use crate::error::{Error, Result};
use crate::ops::cast::cast;
use crate::shape::{broadcast_shapes, normalize_axis, numel, strides};
use crate::tensor::{same_device, GpuStorage, Storage, Tensor};
use crate::with_cpu_storage;

/// The kernel type a dtype's GPU buffer holds (bools are u32 0/1).
fn index_kernel_dtype(d: DType) -> DType {
    if d == DType::Bool {
        DType::U32
    } else {
        d
    }
}

/// Integer indices as an int32 tensor; floats are an error naming `op`.
pub(crate) fn index_tensor_i32(op: &'static str, what: &str, t: &Tensor) -> Result<Tensor> {
    match t.dtype() {
        DType::I32 => Ok(t.clone()),
        DType::U32 | DType::Bool => cast(t, DType::I32),
        other => Err(Error::dtype(op, other, format!("an integer dtype for {what}"))),
    }
}

/// Host copy of integer indices.
fn host_indices(t: &Tensor) -> Result<Vec<i64>> {
    Ok(t.to_cpu_storage()?.to_f64_vec().into_iter().map(|v| v as i64).collect())
}

/// Resolves index `i` against a dimension of size `n` (negative wraps once).
fn wrap_index(op: &'static str, i: i64, n: usize, what: &str) -> Result<usize> {
    let r = if i < 0 { i + n as i64 } else { i };
    if r < 0 || r >= n as i64 {
        return Err(Error::arg(op, format!("index {i} is out of range for {what} of size {n}")));
    }
    Ok(r as usize)
}

/// New storage holding `src[pos[i]]` for each `i`.
fn cpu_pick(src: &CpuStorage, pos: &[usize]) -> CpuStorage {
    with_cpu_storage!(src, v => Element::wrap(pos.iter().map(|&p| v[p]).collect()))
}

/// `x` rounded to the precision of `dtype` (so CPU sums round like the GPU's).
fn round_to(dtype: DType, x: f64) -> f64 {
    match dtype {
        DType::F32 => x as f32 as f64,
        DType::F16 => half::f16::from_f64(x).to_f64(),
        DType::BF16 => half::bf16::from_f64(x).to_f64(),
        DType::I32 => x as i64 as i32 as f64,
        DType::U32 => x as i64 as u32 as f64,
        DType::Bool => (x != 0.0) as u8 as f64,
        DType::F64 => x,
    }
}

fn gpu_of(t: &Tensor) -> &GpuStorage {
    t.gpu().expect("checked on GPU")
}

fn launch_index(
    dev: &GpuDevice,
    entry: &'static str,
    dtype: DType,
    params: &[u32],
    bindings: &[crate::device::Binding],
    threads: usize,
) -> Result<()> {
    let types = [("T", index_kernel_dtype(dtype))];
    dev.launch(&Kernel::new("index", &types).entry(entry), params, bindings, threads)
}

/// `take(x, indices, axis=None)`: elements of `x` at `indices` along `axis` (x flattened when
/// `axis` is None). The result has shape `x.shape[:axis] + indices.shape + x.shape[axis+1:]`.
pub fn take(x: &Tensor, indices: &Tensor, axis: Option<i64>) -> Result<Tensor> {
    const OP: &str = "take";
    same_device(OP, &[x, indices])?;
    let indices = index_tensor_i32(OP, "indices", indices)?;
    let (x, axis) = match axis {
        None => (x.with_dims(&[x.numel()])?, 0),
        Some(a) => {
            if x.rank() == 0 {
                return Err(Error::AxisOutOfRange { op: OP, axis: a, rank: 0 });
            }
            (x.clone(), normalize_axis(OP, a, x.rank())?)
        }
    };
    let dims = x.dims();
    let a = dims[axis];
    let outer = numel(&dims[..axis]);
    let inner = numel(&dims[axis + 1..]);
    let m = indices.numel();
    let mut out_dims = dims[..axis].to_vec();
    out_dims.extend_from_slice(indices.dims());
    out_dims.extend_from_slice(&dims[axis + 1..]);
    let n = numel(&out_dims);
    if a == 0 && m > 0 && outer * inner > 0 {
        return Err(Error::arg(
            OP,
            format!("cannot take indices from an empty axis {axis} of shape {dims:?}"),
        ));
    }
    let storage = match x.storage() {
        Storage::Cpu(s) => {
            let idx = host_indices(&indices)?;
            let idx = idx.iter().map(|&i| wrap_index(OP, i, a, "axis")).collect::<Result<Vec<_>>>()?;
            let mut pos = Vec::with_capacity(n);
            for o in 0..outer {
                for &j in &idx {
                    let base = (o * a + j) * inner;
                    pos.extend(base..base + inner);
                }
            }
            Storage::Cpu(cpu_pick(s, &pos))
        }
        Storage::Gpu(g) => {
            let out = GpuStorage::alloc(&g.device, OP, x.dtype(), n)?;
            if n > 0 {
                let params = [n as u32, a as u32, inner as u32, m as u32];
                let bindings = [g.binding(), gpu_of(&indices).binding(), out.binding()];
                launch_index(&g.device, "take", x.dtype(), &params, &bindings, n)?;
            }
            Storage::Gpu(out)
        }
    };
    Tensor::from_storage(storage, &out_dims)
}

/// `take_along_axis(x, indices, axis=None)`: `indices` has the rank of `x`; the other
/// dimensions broadcast. With `axis=None` both are flattened.
pub fn take_along_axis(x: &Tensor, indices: &Tensor, axis: Option<i64>) -> Result<Tensor> {
    const OP: &str = "take_along_axis";
    same_device(OP, &[x, indices])?;
    let indices = index_tensor_i32(OP, "indices", indices)?;
    let (x, indices, axis) = match axis {
        None => (x.with_dims(&[x.numel()])?, indices.with_dims(&[indices.numel()])?, 0),
        Some(a) => {
            if x.rank() == 0 {
                return Err(Error::AxisOutOfRange { op: OP, axis: a, rank: 0 });
            }
            (x.clone(), indices, normalize_axis(OP, a, x.rank())?)
        }
    };
    if indices.rank() != x.rank() {
        return Err(Error::shapes(OP, x.dims(), indices.dims(), "indices must have the rank of x"));
    }
    let mut xd = x.dims().to_vec();
    let mut id = indices.dims().to_vec();
    let a = xd[axis];
    let m = id[axis];
    xd[axis] = 1;
    id[axis] = 1;
    let mut out_dims = broadcast_shapes(OP, &xd, &id).map_err(|_| {
        Error::shapes(OP, x.dims(), indices.dims(), "dimensions other than axis must broadcast")
    })?;
    out_dims[axis] = m;
    let n = numel(&out_dims);
    if a == 0 && n > 0 {
        return Err(Error::arg(
            OP,
            format!("cannot take indices from an empty axis {axis} of shape {:?}", x.dims()),
        ));
    }
    // Real strides, 0 along broadcast dimensions (the axis keeps its stride).
    let bstrides = |src: &[usize]| -> Vec<usize> {
        strides(src)
            .into_iter()
            .enumerate()
            .map(|(d, s)| if d != axis && src[d] == 1 { 0 } else { s })
            .collect()
    };
    let xs = bstrides(x.dims());
    let is = bstrides(indices.dims());
    let rank = out_dims.len();
    let storage = match x.storage() {
        Storage::Cpu(s) => {
            let idx = host_indices(&indices)?;
            let mut pos = Vec::with_capacity(n);
            for i in 0..n {
                let (mut rem, mut xi, mut ii) = (i, 0usize, 0usize);
                for d in (0..rank).rev() {
                    let c = rem % out_dims[d];
                    rem /= out_dims[d];
                    ii += c * is[d];
                    if d != axis {
                        xi += c * xs[d];
                    }
                }
                let j = wrap_index(OP, idx[ii], a, "axis")?;
                pos.push(xi + j * xs[axis]);
            }
            Storage::Cpu(cpu_pick(s, &pos))
        }
        Storage::Gpu(g) => {
            let out = GpuStorage::alloc(&g.device, OP, x.dtype(), n)?;
            if n > 0 {
                let mut params = vec![n as u32, rank as u32, axis as u32, a as u32];
                params.extend(out_dims.iter().map(|&d| d as u32));
                params.extend(xs.iter().map(|&d| d as u32));
                params.extend(is.iter().map(|&d| d as u32));
                let bindings = [g.binding(), gpu_of(&indices).binding(), out.binding()];
                launch_index(&g.device, "take_along", x.dtype(), &params, &bindings, n)?;
            }
            Storage::Gpu(out)
        }
    };
    Tensor::from_storage(storage, &out_dims)
}

fn check_classes(op: &'static str, num_classes: i64) -> Result<usize> {
    if num_classes < 0 {
        return Err(Error::arg(op, format!("num_classes must be non-negative, got {num_classes}")));
    }
    Ok(num_classes as usize)
}

/// `one_hot(x, num_classes, axis=-1, dtype=None)`: a new axis of `num_classes` at `axis` (of the
/// result), 1 where the class equals `x`; indices outside `[0, num_classes)` give an all-zero
/// row (as JAX). Float inputs are truncated to integers. The default dtype is float32.
pub fn one_hot(x: &Tensor, num_classes: i64, axis: i64, dtype: Option<DType>) -> Result<Tensor> {
    const OP: &str = "one_hot";
    let c = check_classes(OP, num_classes)?;
    let dtype = dtype.unwrap_or(DType::F32);
    let x = if x.dtype() == DType::I32 { x.clone() } else { cast(x, DType::I32)? };
    let ax = normalize_axis(OP, axis, x.rank() + 1)?;
    let inner = numel(&x.dims()[ax..]);
    let mut out_dims = x.dims().to_vec();
    out_dims.insert(ax, c);
    let n = numel(&out_dims);
    let storage = match x.storage() {
        Storage::Cpu(s) => {
            let v = i32::unwrap(s).expect("int32");
            let vals = (0..n).map(|i| {
                let (ii, cls, o) = (i % inner, (i / inner) % c, i / (inner * c));
                (v[o * inner + ii] as i64 == cls as i64) as u8 as f64
            });
            Storage::Cpu(CpuStorage::from_f64(dtype, vals))
        }
        Storage::Gpu(g) => {
            let out = GpuStorage::alloc(&g.device, OP, dtype, n)?;
            if n > 0 {
                let params = [n as u32, c as u32, inner as u32];
                launch_index(&g.device, "one_hot", dtype, &params, &[g.binding(), out.binding()], n)?;
            }
            Storage::Gpu(out)
        }
    };
    Tensor::from_storage(storage, &out_dims)
}

/// Max of `x` over `axis` (used by `multi_hot`).
fn max_over_axis(op: &'static str, x: &Tensor, axis: usize) -> Result<Tensor> {
    let dims = x.dims();
    let r = dims[axis];
    if r == 0 {
        return Err(Error::arg(op, format!("cannot reduce the empty axis {axis} of shape {dims:?}")));
    }
    let inner = numel(&dims[axis + 1..]);
    let mut out_dims = dims.to_vec();
    out_dims.remove(axis);
    let n = numel(&out_dims);
    let storage = match x.storage() {
        Storage::Cpu(s) => {
            let v = s.to_f64_vec();
            let vals = (0..n).map(|i| {
                let base = (i / inner) * r * inner + i % inner;
                (0..r).map(|t| v[base + t * inner]).fold(f64::NEG_INFINITY, f64::max)
            });
            Storage::Cpu(CpuStorage::from_f64(x.dtype(), vals))
        }
        Storage::Gpu(g) => {
            let out = GpuStorage::alloc(&g.device, op, x.dtype(), n)?;
            if n > 0 {
                let params = [n as u32, r as u32, inner as u32];
                launch_index(&g.device, "max_axis", x.dtype(), &params, &[g.binding(), out.binding()], n)?;
            }
            Storage::Gpu(out)
        }
    };
    Tensor::from_storage(storage, &out_dims)
}

/// `multi_hot(inputs, num_classes, axis=-1, dtype=None)`: the max over the index axis of
/// `one_hot` (axis 1 for batched inputs, 0 for a 1-D input).
pub fn multi_hot(inputs: &Tensor, num_classes: i64, axis: i64, dtype: Option<DType>) -> Result<Tensor> {
    const OP: &str = "multi_hot";
    check_classes(OP, num_classes)?;
    if inputs.rank() == 0 {
        return Err(Error::arg(OP, "inputs must have rank 1 or more, got a scalar"));
    }
    let reduction = if inputs.rank() > 1 { 1 } else { 0 };
    let oh = one_hot(inputs, num_classes, axis, dtype).map_err(|e| Error::arg(OP, e.to_string()))?;
    max_over_axis(OP, &oh, reduction)
}

/// Checks `indices` of shape `[..., k]` against `shape` and returns the `m` rows, `k` and the
/// number of elements each row addresses.
fn scatter_geometry(
    op: &'static str,
    indices: &Tensor,
    updates_dims: &[usize],
    shape: &[usize],
) -> Result<(usize, usize, usize)> {
    if indices.rank() == 0 {
        return Err(Error::arg(op, "indices must have shape [..., k], got a scalar"));
    }
    let k = *indices.dims().last().expect("rank >= 1");
    if k > shape.len() {
        return Err(Error::shapes(
            op,
            indices.dims(),
            shape,
            format!("index depth {k} exceeds the rank of the output"),
        ));
    }
    let lead = &indices.dims()[..indices.rank() - 1];
    let mut want = lead.to_vec();
    want.extend_from_slice(&shape[k..]);
    if updates_dims != want.as_slice() {
        return Err(Error::shapes(
            op,
            updates_dims,
            &want,
            format!(
                "updates must have shape indices.shape[:-1] + shape[{k}:] (indices {:?}, shape {shape:?})",
                indices.dims()
            ),
        ));
    }
    Ok((numel(lead), k, numel(&shape[k..])))
}

/// Flat row positions of `m` index rows of depth `k` into `shape[:k]` (CPU, validated).
fn cpu_scatter_rows(
    op: &'static str,
    indices: &Tensor,
    m: usize,
    k: usize,
    shape: &[usize],
) -> Result<Vec<usize>> {
    let idx = host_indices(indices)?;
    (0..m)
        .map(|u| {
            let mut p = 0usize;
            for d in 0..k {
                p = p * shape[d] + wrap_index(op, idx[u * k + d], shape[d], &format!("dimension {d}"))?;
            }
            Ok(p)
        })
        .collect()
}

fn gpu_scatter(
    op: &'static str,
    entry: &'static str,
    indices: &Tensor,
    values: &GpuStorage,
    base: Option<&GpuStorage>,
    shape: &[usize],
    (m, k, inner): (usize, usize, usize),
) -> Result<GpuStorage> {
    let dev = &values.device;
    let n = numel(shape);
    let out = GpuStorage::alloc(dev, op, values.dtype, n)?;
    if n == 0 {
        return Ok(out);
    }
    let flat = GpuStorage::alloc(dev, op, DType::I32, m)?;
    if m > 0 {
        let mut params = vec![m as u32, k as u32];
        params.extend(shape[..k].iter().map(|&d| d as u32));
        launch_index(
            dev,
            "scatter_flat",
            DType::I32,
            &params,
            &[gpu_of(indices).binding(), flat.binding()],
            m,
        )?;
    }
    // Stable sort of the row positions groups each output row's updates in update order.
    let flat = Tensor::from_storage(Storage::Gpu(flat), &[m])?;
    let (sorted, perm) = crate::ops::sort::sort_last_axis(op, &flat, false, m)?;
    let (sorted, perm) = (gpu_of(&sorted), gpu_of(&perm));
    let params = [n as u32, inner as u32, m as u32];
    match base {
        None => launch_index(
            dev,
            entry,
            values.dtype,
            &params,
            &[sorted.binding(), perm.binding(), values.binding(), out.binding()],
            n,
        )?,
        Some(b) => launch_index(
            dev,
            entry,
            values.dtype,
            &params,
            &[sorted.binding(), perm.binding(), values.binding(), b.binding(), out.binding()],
            n,
        )?,
    }
    Ok(out)
}

/// `scatter(indices, values, shape)`: zeros of `shape` (dtype of `values`) with `values` added
/// at `indices` (shape `[..., k]`, each row the first `k` coordinates); duplicates add.
pub fn scatter(indices: &Tensor, values: &Tensor, shape: &[usize]) -> Result<Tensor> {
    const OP: &str = "scatter";
    same_device(OP, &[indices, values])?;
    let indices = index_tensor_i32(OP, "indices", indices)?;
    let geo = scatter_geometry(OP, &indices, values.dims(), shape)?;
    let (m, k, inner) = geo;
    let storage = match values.storage() {
        Storage::Cpu(s) => {
            let rows = cpu_scatter_rows(OP, &indices, m, k, shape)?;
            let v = s.to_f64_vec();
            let mut acc = CpuStorage::zeros(values.dtype(), numel(shape)).to_f64_vec();
            // Accumulate in the values' own precision, in update order (as the GPU kernel).
            let dt = values.dtype();
            let round = |x: f64| round_to(dt, x);
            for (u, &p) in rows.iter().enumerate() {
                for j in 0..inner {
                    let o = p * inner + j;
                    acc[o] = round(acc[o] + v[u * inner + j]);
                }
            }
            Storage::Cpu(CpuStorage::from_f64(values.dtype(), acc))
        }
        Storage::Gpu(g) => Storage::Gpu(gpu_scatter(OP, "scatter_add", &indices, g, None, shape, geo)?),
    };
    Tensor::from_storage(storage, shape)
}

/// `scatter_update(inputs, indices, updates)`: a copy of `inputs` with `updates` written at
/// `indices` (shape `[..., k]`); where indices repeat, the last update wins.
pub fn scatter_update(inputs: &Tensor, indices: &Tensor, updates: &Tensor) -> Result<Tensor> {
    const OP: &str = "scatter_update";
    same_device(OP, &[inputs, indices, updates])?;
    let indices = index_tensor_i32(OP, "indices", indices)?;
    let shape = inputs.dims().to_vec();
    let geo = scatter_geometry(OP, &indices, updates.dims(), &shape)?;
    let (m, k, inner) = geo;
    let updates = cast(updates, inputs.dtype())?;
    let storage = match (inputs.storage(), updates.storage()) {
        (Storage::Cpu(b), Storage::Cpu(u)) => {
            let rows = cpu_scatter_rows(OP, &indices, m, k, &shape)?;
            let mut pos: Vec<usize> = (0..b.len()).collect();
            let n = b.len();
            for (r, &p) in rows.iter().enumerate() {
                for j in 0..inner {
                    pos[p * inner + j] = n + r * inner + j;
                }
            }
            let joined = with_cpu_storage!(b, v => {
                let upd = Element::unwrap(u).expect("same dtype");
                let mut all = v.clone();
                all.extend_from_slice(upd);
                Element::wrap(all)
            });
            Storage::Cpu(cpu_pick(&joined, &pos))
        }
        (Storage::Gpu(b), Storage::Gpu(u)) => {
            Storage::Gpu(gpu_scatter(OP, "scatter_set", &indices, u, Some(b), &shape, geo)?)
        }
        _ => unreachable!("same_device checked"),
    };
    Tensor::from_storage(storage, &shape)
}

/// `in_top_k(targets, predictions, k)`: whether each row's target class is among its `k`
/// largest predictions (ties count in; a NaN target score counts as -inf, as Keras on JAX).
/// Targets wrap when negative; a target out of range scores -inf.
pub fn in_top_k(targets: &Tensor, predictions: &Tensor, k: i64) -> Result<Tensor> {
    const OP: &str = "in_top_k";
    same_device(OP, &[targets, predictions])?;
    if k < 0 {
        return Err(Error::arg(OP, format!("k must be non-negative, got {k}")));
    }
    let targets = index_tensor_i32(OP, "targets", targets)?;
    if predictions.rank() != 2 || targets.rank() != 1 || targets.dims()[0] != predictions.dims()[0] {
        return Err(Error::shapes(
            OP,
            targets.dims(),
            predictions.dims(),
            "expected targets of shape [batch] and predictions of shape [batch, classes]",
        ));
    }
    let (rows, classes) = (predictions.dims()[0], predictions.dims()[1]);
    let storage = match predictions.storage() {
        Storage::Cpu(s) => {
            let t = host_indices(&targets)?;
            let p = s.to_f64_vec();
            let res = (0..rows).map(|r| {
                let row = &p[r * classes..(r + 1) * classes];
                let ti = if t[r] < 0 { t[r] + classes as i64 } else { t[r] };
                let mut target = if ti >= 0 && (ti as usize) < classes { row[ti as usize] } else { f64::NAN };
                if target.is_nan() {
                    target = f64::NEG_INFINITY;
                }
                let rank = 1 + row.iter().filter(|&&q| q > target).count() as i64;
                rank <= k
            });
            Storage::Cpu(CpuStorage::Bool(res.collect()))
        }
        Storage::Gpu(g) => {
            let out = GpuStorage::alloc(&g.device, OP, DType::Bool, rows)?;
            if rows > 0 {
                let kk = k.min(u32::MAX as i64) as u32;
                let params = [rows as u32, classes as u32, kk];
                let bindings = [gpu_of(&targets).binding(), g.binding(), out.binding()];
                launch_index(&g.device, "in_top_k", predictions.dtype(), &params, &bindings, rows)?;
            }
            Storage::Gpu(out)
        }
    };
    Tensor::from_storage(storage, &[rows])
}

/// NaN-last order used by searches.
fn lt_nan_last(a: f64, b: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return !a.is_nan() && b.is_nan();
    }
    a < b
}

fn search_count(seq: &[f64], v: f64, right: bool, rev: bool) -> usize {
    let m = seq.len();
    let at = |i: usize| if rev { seq[m - 1 - i] } else { seq[i] };
    let (mut lo, mut hi) = (0, m);
    while lo < hi {
        let mid = (lo + hi) / 2;
        let s = at(mid);
        let go_right = if right { !lt_nan_last(v, s) } else { lt_nan_last(s, v) };
        if go_right {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

fn search_impl(
    op: &'static str,
    seq: &Tensor,
    values: &Tensor,
    right: bool,
    digitize: bool,
) -> Result<Tensor> {
    same_device(op, &[seq, values])?;
    let dtype = DType::promote(seq.dtype(), values.dtype());
    let dtype = if dtype == DType::Bool { DType::I32 } else { dtype };
    let seq = cast(seq, dtype)?;
    let values = cast(values, dtype)?;
    let m = seq.numel();
    let n = values.numel();
    let storage = match values.storage() {
        Storage::Cpu(s) => {
            let sq = seq.to_cpu_storage()?.to_f64_vec();
            let rev = digitize && m > 0 && lt_nan_last(sq[m - 1], sq[0]);
            let res = s.to_f64_vec().into_iter().map(|v| {
                let c = search_count(&sq, v, right, rev);
                (if rev { m - c } else { c }) as i32
            });
            Storage::Cpu(CpuStorage::I32(res.collect()))
        }
        Storage::Gpu(g) => {
            let out = GpuStorage::alloc(&g.device, op, DType::I32, n)?;
            if n > 0 {
                let params = [n as u32, m as u32, right as u32, digitize as u32];
                let bindings = [gpu_of(&seq).binding(), g.binding(), out.binding()];
                launch_index(&g.device, "search", dtype, &params, &bindings, n)?;
            }
            Storage::Gpu(out)
        }
    };
    Tensor::from_storage(storage, values.dims())
}

/// `searchsorted(sorted_sequence, values, side="left")`: int32 insertion points of `values` in
/// the 1-D ascending `sorted_sequence` (NaNs sort last).
pub fn searchsorted(sorted_sequence: &Tensor, values: &Tensor, side: &str) -> Result<Tensor> {
    const OP: &str = "searchsorted";
    let right = match side {
        "left" => false,
        "right" => true,
        other => return Err(Error::arg(OP, format!("side must be \"left\" or \"right\", got {other:?}"))),
    };
    if sorted_sequence.rank() != 1 {
        return Err(Error::arg(
            OP,
            format!("only 1-D sorted sequences are supported, got shape {:?}", sorted_sequence.dims()),
        ));
    }
    search_impl(OP, sorted_sequence, values, right, false)
}

/// `digitize(x, bins)`: int32 index of the bin of each element (NumPy `right=False`); `bins`
/// is 1-D and monotonic, increasing or decreasing (decided by its first and last values).
pub fn digitize(x: &Tensor, bins: &Tensor) -> Result<Tensor> {
    const OP: &str = "digitize";
    if bins.rank() != 1 {
        return Err(Error::arg(OP, format!("bins must be 1-D, got shape {:?}", bins.dims())));
    }
    search_impl(OP, bins, x, true, true)
}

/// float32 `linspace` exactly as `jnp.linspace` computes it (`start * (1 - t) + stop * t`).
fn hist_edges(lo: f32, hi: f32, bins: usize) -> Vec<f32> {
    let num = bins + 1;
    let div = bins as f32;
    let mut out: Vec<f32> = (0..bins).map(|i| lo * (1.0 - i as f32 / div) + hi * (i as f32 / div)).collect();
    if num > 1 {
        out.push(hi);
    } else {
        out = vec![lo];
    }
    out
}

/// `histogram(x, bins=10, range=None)`: `(counts, bin_edges)` of a 1-D `x`, both float32 (the
/// dtype of a float16 `x`). The last bin includes its right edge; values outside the range are
/// not counted. Without `range` the range is `(min(x), max(x))`, which reads `x` back on the
/// GPU.
pub fn histogram(x: &Tensor, bins: usize, range: Option<(f64, f64)>) -> Result<(Tensor, Tensor)> {
    const OP: &str = "histogram";
    if x.rank() != 1 {
        return Err(Error::arg(OP, format!("x must be 1-dimensional, got shape {:?}", x.dims())));
    }
    let dtype = if x.dtype() == DType::F16 { DType::F16 } else { DType::F32 };
    let (lo, hi) = match range {
        Some((lo, hi)) => {
            if hi < lo || !lo.is_finite() || !hi.is_finite() {
                return Err(Error::arg(
                    OP,
                    format!("range must be finite with range[1] >= range[0], got ({lo}, {hi})"),
                ));
            }
            (lo as f32, hi as f32)
        }
        None => {
            let v = x.to_vec_f64()?;
            if v.is_empty() {
                return Err(Error::arg(OP, "cannot infer the range of an empty x; pass range"));
            }
            let lo = v.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            (lo as f32, hi as f32)
        }
    };
    let (lo, hi) = if lo == hi { (lo - 0.5, hi + 0.5) } else { (lo, hi) };
    let edges_host = CpuStorage::from_f64(dtype, hist_edges(lo, hi, bins).into_iter().map(|e| e as f64));
    let e = edges_host.len();
    let x = cast(x, dtype)?;
    let device = x.device();
    let edges = Tensor::from_cpu(edges_host, &[e], &device)?;
    let counts = match x.storage() {
        Storage::Cpu(s) => {
            let ev = edges.to_vec_f64()?;
            let mut c = vec![0.0f64; bins];
            for v in s.to_f64_vec() {
                let mut i = search_count(&ev, v, true, false);
                if v == ev[e - 1] {
                    i = e - 1;
                }
                if i >= 1 && i < e {
                    c[i - 1] += 1.0;
                }
            }
            Tensor::from_cpu(CpuStorage::from_f64(dtype, c), &[bins], &device)?
        }
        Storage::Gpu(g) => {
            let counts = GpuStorage::alloc(&g.device, OP, DType::U32, bins)?;
            g.device.clear(counts.buffer.buffer(), counts.bytes().next_multiple_of(4))?;
            if g.len > 0 && bins > 0 {
                let params = [g.len as u32, e as u32];
                let bindings = [g.binding(), gpu_of(&edges).binding(), counts.binding()];
                launch_index(&g.device, "histogram", dtype, &params, &bindings, g.len)?;
            }
            cast(&Tensor::from_storage(Storage::Gpu(counts), &[bins])?, dtype)?
        }
    };
    Ok((counts, edges))
}

/// `bincount(x, weights=None, minlength=0, sparse=False)`: counts (int32), or summed weights
/// (dtype of `weights`), of each non-negative integer in a 1-D `x`, or per row of a 2-D `x`.
/// The length is `max(max(x) + 1, minlength)`, so `x` is read back on the GPU.
pub fn bincount(x: &Tensor, weights: Option<&Tensor>, minlength: usize, sparse: bool) -> Result<Tensor> {
    const OP: &str = "bincount";
    if sparse {
        return Err(Error::arg(OP, "sparse=True is not supported"));
    }
    let x = index_tensor_i32(OP, "x", x)?;
    if x.rank() != 1 && x.rank() != 2 {
        return Err(Error::arg(OP, format!("x must be 1-D or 2-D, got shape {:?}", x.dims())));
    }
    if let Some(w) = weights {
        same_device(OP, &[&x, w])?;
        if w.dims() != x.dims() {
            return Err(Error::shapes(OP, x.dims(), w.dims(), "weights must have the shape of x"));
        }
    }
    let v = host_indices(&x)?;
    if let Some(bad) = v.iter().find(|&&i| i < 0) {
        return Err(Error::arg(OP, format!("x must be non-negative, got {bad}")));
    }
    let length = (v.iter().max().map_or(0, |&m| m as usize + 1)).max(minlength);
    let (rows, per_row) = if x.rank() == 2 { (x.dims()[0], x.dims()[1]) } else { (1, x.numel()) };
    let out_dims: Vec<usize> = if x.rank() == 2 { vec![rows, length] } else { vec![length] };
    let n = rows * length;
    let device = x.device();
    match (x.storage(), weights) {
        (Storage::Cpu(_), w) => {
            let (dtype, wv) = match w {
                Some(w) => (w.dtype(), Some(w.to_cpu_storage()?.to_f64_vec())),
                None => (DType::I32, None),
            };
            let mut acc = vec![0.0f64; n];
            let round = |x: f64| round_to(dtype, x);
            for (i, &b) in v.iter().enumerate() {
                let o = (i / per_row.max(1)) * length + b as usize;
                acc[o] = round(acc[o] + wv.as_ref().map_or(1.0, |w| w[i]));
            }
            Tensor::from_cpu(CpuStorage::from_f64(dtype, acc), &out_dims, &device)
        }
        (Storage::Gpu(g), None) => {
            let counts = GpuStorage::alloc(&g.device, OP, DType::U32, n)?;
            g.device.clear(counts.buffer.buffer(), counts.bytes().next_multiple_of(4))?;
            if g.len > 0 && n > 0 {
                let params = [g.len as u32, per_row as u32, length as u32];
                launch_index(
                    &g.device,
                    "bincount",
                    DType::I32,
                    &params,
                    &[g.binding(), counts.binding()],
                    g.len,
                )?;
            }
            cast(&Tensor::from_storage(Storage::Gpu(counts), &out_dims)?, DType::I32)
        }
        (Storage::Gpu(g), Some(w)) => {
            let wg = gpu_of(w);
            let out = GpuStorage::alloc(&g.device, OP, w.dtype(), n)?;
            if n > 0 {
                let params = [n as u32, per_row as u32, length as u32];
                let bindings = [g.binding(), wg.binding(), out.binding()];
                launch_index(&g.device, "bincount_w", w.dtype(), &params, &bindings, n)?;
            }
            Tensor::from_storage(Storage::Gpu(out), &out_dims)
        }
    }
}
