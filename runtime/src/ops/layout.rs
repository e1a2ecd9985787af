//! Ops that move elements without computing on them, as strided views of one input: reshape,
//! transpose, swapaxes, moveaxis, expand_dims, squeeze, slice, slice_update, flip,
//! broadcast_to, tril, triu; and the copy helpers they (and `combine.rs`) are built on.

use crate::device::{Device, Kernel};
use crate::dtype::DType;
use crate::element::{CpuStorage, Element};
use crate::error::{Error, Result};
use crate::shape::{normalize_axes, normalize_axis, numel, strides};
use crate::tensor::{same_device, GpuStorage, Storage, Tensor};

/// A strided view of a tensor's elements: `dims` walked row-major, element `c` read at
/// `offset + sum(c_d * strides_d)` (strides may be negative or zero).
#[derive(Debug, Clone)]
pub struct View {
    pub dims: Vec<usize>,
    pub strides: Vec<isize>,
    pub offset: isize,
}

impl View {
    /// The plain row-major view of `dims`.
    pub fn contiguous(dims: &[usize]) -> View {
        View {
            dims: dims.to_vec(),
            strides: strides(dims).into_iter().map(|s| s as isize).collect(),
            offset: 0,
        }
    }

    /// Reorders the dims: dim `i` of the result is dim `perm[i]` of `self`.
    pub fn permuted(&self, perm: &[usize]) -> View {
        View {
            dims: perm.iter().map(|&p| self.dims[p]).collect(),
            strides: perm.iter().map(|&p| self.strides[p]).collect(),
            offset: self.offset,
        }
    }

    /// Keeps `len` elements of `axis` from `start` on.
    pub fn narrowed(&self, axis: usize, start: usize, len: usize) -> View {
        let mut v = self.clone();
        v.offset += start as isize * v.strides[axis];
        v.dims[axis] = len;
        v
    }

    /// Walks `axis` backwards.
    pub fn flipped(&self, axis: usize) -> View {
        let mut v = self.clone();
        if v.dims[axis] > 0 {
            v.offset += (v.dims[axis] as isize - 1) * v.strides[axis];
        }
        v.strides[axis] = -v.strides[axis];
        v
    }

    /// Fixes `axis` at `index`, dropping that dim.
    pub fn indexed(&self, axis: usize, index: usize) -> View {
        let mut v = self.clone();
        v.offset += index as isize * v.strides[axis];
        v.dims.remove(axis);
        v.strides.remove(axis);
        v
    }
}

fn copy_params(dims: &[usize], src: &View, dst: &View) -> Vec<u32> {
    let n = numel(dims);
    let mut p = vec![n as u32, dims.len() as u32, src.offset as i32 as u32, dst.offset as i32 as u32];
    p.extend(dims.iter().map(|&d| d as u32));
    p.extend(src.strides.iter().map(|&s| s as i32 as u32));
    p.extend(dst.strides.iter().map(|&s| s as i32 as u32));
    p
}

pub(crate) fn gpu_copy(src: &GpuStorage, src_view: &View, dst: &GpuStorage, dst_view: &View) -> Result<()> {
    let dtype = if src.dtype == DType::Bool { DType::U32 } else { src.dtype };
    let types = [("T", dtype)];
    let params = copy_params(&src_view.dims, src_view, dst_view);
    src.device.launch(
        &Kernel::new("strided_copy", &types),
        &params,
        &[src.binding(), dst.binding()],
        numel(&src_view.dims),
    )
}

/// A new contiguous tensor of `view.dims` holding the elements `view` selects from `x`.
pub fn gather_view(x: &Tensor, view: &View) -> Result<Tensor> {
    let n = numel(&view.dims);
    let storage = match x.storage() {
        Storage::Cpu(s) => Storage::Cpu(if n == 0 {
            crate::CpuStorage::zeros(x.dtype(), 0)
        } else {
            s.gather_strided(&view.dims, &view.strides, view.offset)
        }),
        Storage::Gpu(g) => {
            let out = GpuStorage::alloc(&g.device, "copy", x.dtype(), n)?;
            if n > 0 {
                gpu_copy(g, view, &out, &View::contiguous(&view.dims))?;
            }
            Storage::Gpu(out)
        }
    };
    Tensor::from_storage(storage, &view.dims)
}

/// A copy of `base` whose elements selected by `view` are replaced by `src` (which has
/// `view.dims`, walked row-major). `base` itself is unchanged.
pub fn scatter_view(base: &Tensor, view: &View, src: &Tensor) -> Result<Tensor> {
    crate::tensor::same_device("slice_update", &[base, src])?;
    if numel(&view.dims) != src.numel() {
        return Err(Error::shapes(
            "slice_update",
            &view.dims,
            src.dims(),
            "update has the wrong number of elements",
        ));
    }
    let src = crate::ops::cast(src, base.dtype())?;
    let storage = match (base.storage(), src.storage()) {
        (Storage::Cpu(b), Storage::Cpu(s)) => {
            let mut out = b.clone();
            if !s.is_empty() {
                out.scatter_strided(s, &view.dims, &view.strides, view.offset);
            }
            Storage::Cpu(out)
        }
        (Storage::Gpu(b), Storage::Gpu(s)) => {
            let out = GpuStorage::alloc(&b.device, "slice_update", base.dtype(), b.len)?;
            b.device.copy(b.buffer.buffer(), 0, out.buffer.buffer(), 0, b.bytes().next_multiple_of(4))?;
            if s.len > 0 {
                gpu_copy(s, &View::contiguous(&view.dims), &out, view)?;
            }
            Storage::Gpu(out)
        }
        _ => unreachable!("same_device checked"),
    };
    Tensor::from_storage(storage, base.dims())
}

/// `reshape(x, new_shape)` with at most one `-1`.
pub fn reshape(x: &Tensor, new_shape: &[i64]) -> Result<Tensor> {
    let mut unknown = None;
    let mut known = 1usize;
    for (i, &d) in new_shape.iter().enumerate() {
        match d {
            -1 if unknown.is_none() => unknown = Some(i),
            -1 => return Err(Error::arg("reshape", format!("only one -1 is allowed in {new_shape:?}"))),
            d if d < 0 => {
                return Err(Error::arg("reshape", format!("invalid dimension {d} in {new_shape:?}")))
            }
            d => known *= d as usize,
        }
    }
    let mut dims: Vec<usize> = new_shape.iter().map(|&d| d.max(0) as usize).collect();
    if let Some(i) = unknown {
        if known == 0 || !x.numel().is_multiple_of(known) {
            return Err(Error::shapes(
                "reshape",
                x.dims(),
                &dims,
                format!("cannot infer -1 in {new_shape:?}"),
            ));
        }
        dims[i] = x.numel() / known;
    }
    if numel(&dims) != x.numel() {
        return Err(Error::shapes(
            "reshape",
            x.dims(),
            &dims,
            format!("{} elements cannot be reshaped to {new_shape:?}", x.numel()),
        ));
    }
    x.with_dims(&dims)
}

/// `transpose(x, axes)`; `None` reverses the axes.
pub fn transpose(x: &Tensor, axes: Option<&[i64]>) -> Result<Tensor> {
    let rank = x.rank();
    let perm: Vec<usize> = match axes {
        None => (0..rank).rev().collect(),
        Some(a) => {
            if a.len() != rank {
                return Err(Error::arg(
                    "transpose",
                    format!("axes {a:?} do not match a tensor of rank {rank}"),
                ));
            }
            let p = a.iter().map(|&ax| normalize_axis("transpose", ax, rank)).collect::<Result<Vec<_>>>()?;
            let mut seen = p.clone();
            seen.sort_unstable();
            seen.dedup();
            if seen.len() != rank {
                return Err(Error::arg("transpose", format!("axes {a:?} repeat an axis")));
            }
            p
        }
    };
    permute_dims(x, &perm)
}

/// `x` with its dims reordered by a valid permutation (no copy when the order is unchanged).
fn permute_dims(x: &Tensor, perm: &[usize]) -> Result<Tensor> {
    if perm.iter().enumerate().all(|(i, &p)| i == p) {
        return Ok(x.clone());
    }
    gather_view(x, &View::contiguous(x.dims()).permuted(perm))
}

/// Builds a new tensor of `dims` and `dtype` on `device`: every element holds `fill` (or is left
/// unwritten when `fill` is None and the parts cover everything), then each part `(src, view)`
/// (a tensor of `dtype` with `view.dims`) is copied to where `view` points. One allocation, one
/// strided copy per part.
pub(crate) fn assemble(
    op: &'static str,
    dims: &[usize],
    dtype: DType,
    device: &Device,
    fill: Option<f64>,
    parts: &[(&Tensor, View)],
) -> Result<Tensor> {
    let n = numel(dims);
    match device {
        Device::Cpu => {
            let mut out = CpuStorage::filled(dtype, n, fill.unwrap_or(0.0));
            for (src, view) in parts {
                let s = src.cpu().ok_or_else(|| Error::arg(op, "a part is not on the CPU"))?;
                if !s.is_empty() {
                    out.scatter_strided(s, &view.dims, &view.strides, view.offset);
                }
            }
            Tensor::from_storage(Storage::Cpu(out), dims)
        }
        Device::Gpu(g) => {
            let out = match fill {
                Some(v) => crate::ops::creation::full(dims, v, dtype, device)?,
                None => Tensor::from_storage(Storage::Gpu(GpuStorage::alloc(g, op, dtype, n)?), dims)?,
            };
            let dst = out.gpu().expect("allocated on the GPU");
            for (src, view) in parts {
                let s = src.gpu().ok_or_else(|| Error::arg(op, "a part is not on the GPU"))?;
                if s.len > 0 {
                    gpu_copy(s, &View::contiguous(&view.dims), dst, view)?;
                }
            }
            Ok(out)
        }
    }
}

/// `out[o, j, i] = x[o, index[j], i]` along `axis`: a gather with an index list (every index
/// must be below `x.dims()[axis]`).
pub(crate) fn gather_axis(op: &'static str, x: &Tensor, axis: usize, index: &[usize]) -> Result<Tensor> {
    let len_src = x.dims()[axis];
    debug_assert!(index.iter().all(|&i| i < len_src));
    let inner = numel(&x.dims()[axis + 1..]);
    let mut dims = x.dims().to_vec();
    dims[axis] = index.len();
    let n = numel(&dims);
    let storage = match x.storage() {
        Storage::Cpu(s) => {
            fn go<T: Element>(v: &[T], n: usize, inner: usize, len_src: usize, index: &[usize]) -> Vec<T> {
                let mut out = Vec::with_capacity(n);
                if n == 0 {
                    return out;
                }
                for o in 0..n / (inner * index.len()) {
                    for &j in index {
                        let at = (o * len_src + j) * inner;
                        out.extend_from_slice(&v[at..at + inner]);
                    }
                }
                out
            }
            Storage::Cpu(crate::with_cpu_storage!(s, v => Element::wrap(go(v, n, inner, len_src, index))))
        }
        Storage::Gpu(g) => {
            let out = GpuStorage::alloc(&g.device, op, x.dtype(), n)?;
            if n > 0 {
                let idx = CpuStorage::U32(index.iter().map(|&i| i as u32).collect());
                let idx = GpuStorage::upload(&g.device, op, &idx)?;
                let dtype = if g.dtype == DType::Bool { DType::U32 } else { g.dtype };
                let types = [("T", dtype)];
                let params = [n as u32, inner as u32, index.len() as u32, len_src as u32];
                let kernel = Kernel::new("strided_copy", &types).entry("gather_axis");
                g.device.launch(&kernel, &params, &[g.binding(), out.binding(), idx.binding()], n)?;
            }
            Storage::Gpu(out)
        }
    };
    Tensor::from_storage(storage, &dims)
}

/// `swapaxes(x, axis1, axis2)`: exchanges two axes.
pub fn swapaxes(x: &Tensor, axis1: i64, axis2: i64) -> Result<Tensor> {
    let a = normalize_axis("swapaxes", axis1, x.rank())?;
    let b = normalize_axis("swapaxes", axis2, x.rank())?;
    let mut perm: Vec<usize> = (0..x.rank()).collect();
    perm.swap(a, b);
    permute_dims(x, &perm)
}

/// `moveaxis(x, source, destination)`: moves each `source` axis to the matching `destination`
/// position, keeping the other axes in order (NumPy semantics).
pub fn moveaxis(x: &Tensor, source: &[i64], destination: &[i64]) -> Result<Tensor> {
    const OP: &str = "moveaxis";
    let rank = x.rank();
    if source.len() != destination.len() {
        return Err(Error::arg(
            OP,
            format!("source {source:?} and destination {destination:?} have different lengths"),
        ));
    }
    let src = source.iter().map(|&a| normalize_axis(OP, a, rank)).collect::<Result<Vec<_>>>()?;
    let dst = destination.iter().map(|&a| normalize_axis(OP, a, rank)).collect::<Result<Vec<_>>>()?;
    normalize_axes(OP, Some(source), rank)?;
    normalize_axes(OP, Some(destination), rank)?;
    let mut order: Vec<usize> = (0..rank).filter(|a| !src.contains(a)).collect();
    let mut pairs: Vec<(usize, usize)> = dst.into_iter().zip(src).collect();
    pairs.sort_unstable();
    for (d, s) in pairs {
        order.insert(d, s);
    }
    permute_dims(x, &order)
}

/// `expand_dims(x, axis)`: inserts a size-1 dim at each of `axis` (positions in the result).
pub fn expand_dims(x: &Tensor, axis: &[i64]) -> Result<Tensor> {
    let out_rank = x.rank() + axis.len();
    let axes = normalize_axes("expand_dims", Some(axis), out_rank)?;
    let mut src = x.dims().iter();
    let dims: Vec<usize> = (0..out_rank)
        .map(|i| if axes.contains(&i) { 1 } else { *src.next().expect("rank adds up") })
        .collect();
    x.with_dims(&dims)
}

/// `squeeze(x, axis)`: removes the given size-1 dims, or every size-1 dim when `axis` is None.
pub fn squeeze(x: &Tensor, axis: Option<&[i64]>) -> Result<Tensor> {
    let drop: Vec<usize> = match axis {
        None => (0..x.rank()).filter(|&i| x.dims()[i] == 1).collect(),
        Some(a) => {
            let axes = normalize_axes("squeeze", Some(a), x.rank())?;
            if let Some(&bad) = axes.iter().find(|&&i| x.dims()[i] != 1) {
                return Err(Error::arg(
                    "squeeze",
                    format!(
                        "cannot squeeze axis {bad} of shape {:?}: its size is {}, not 1",
                        x.dims(),
                        x.dims()[bad]
                    ),
                ));
            }
            axes
        }
    };
    let dims: Vec<usize> =
        x.dims().iter().enumerate().filter(|(i, _)| !drop.contains(i)).map(|(_, &d)| d).collect();
    x.with_dims(&dims)
}

/// Start offsets as `jax.lax.dynamic_slice` takes them: negative ones count from the end, then
/// each is clamped so that `sizes` fit.
fn clamp_starts(op: &'static str, dims: &[usize], start: &[i64], sizes: &[usize]) -> Result<Vec<usize>> {
    if start.len() != dims.len() {
        return Err(Error::arg(
            op,
            format!("start_indices {start:?} do not match a tensor of shape {dims:?}"),
        ));
    }
    Ok(start
        .iter()
        .zip(dims)
        .zip(sizes)
        .map(|((&s, &d), &n)| {
            let s = if s < 0 { s + d as i64 } else { s };
            s.clamp(0, (d - n) as i64) as usize
        })
        .collect())
}

/// `slice(inputs, start_indices, shape)`: the block of `shape` (a `-1` takes the rest of that
/// dim) starting at `start_indices`. Starts are clamped so the block fits, as in JAX.
pub fn slice(inputs: &Tensor, start_indices: &[i64], shape: &[i64]) -> Result<Tensor> {
    const OP: &str = "slice";
    let dims = inputs.dims();
    if shape.len() != dims.len() || start_indices.len() != dims.len() {
        return Err(Error::arg(
            OP,
            format!(
                "start_indices {start_indices:?} and shape {shape:?} must both have one entry per dim of {dims:?}"
            ),
        ));
    }
    let mut sizes = Vec::with_capacity(dims.len());
    for i in 0..dims.len() {
        let s = if shape[i] == -1 { dims[i] as i64 - start_indices[i] } else { shape[i] };
        if s < 0 || s > dims[i] as i64 {
            return Err(Error::arg(
                OP,
                format!("shape {shape:?} does not fit in {dims:?} from {start_indices:?} (dim {i})"),
            ));
        }
        sizes.push(s as usize);
    }
    let starts = clamp_starts(OP, dims, start_indices, &sizes)?;
    let mut view = View::contiguous(dims);
    for (axis, (&s, &n)) in starts.iter().zip(&sizes).enumerate() {
        view = view.narrowed(axis, s, n);
    }
    if sizes == dims {
        return Ok(inputs.clone());
    }
    gather_view(inputs, &view)
}

/// `slice_update(inputs, start_indices, updates)`: a copy of `inputs` with the block at
/// `start_indices` replaced by `updates` (cast to `inputs`' dtype). Starts are clamped so the
/// block fits, as in JAX.
pub fn slice_update(inputs: &Tensor, start_indices: &[i64], updates: &Tensor) -> Result<Tensor> {
    const OP: &str = "slice_update";
    same_device(OP, &[inputs, updates])?;
    let dims = inputs.dims();
    if updates.rank() != dims.len() || updates.dims().iter().zip(dims).any(|(u, d)| u > d) {
        return Err(Error::shapes(OP, dims, updates.dims(), "updates must fit inside inputs"));
    }
    let starts = clamp_starts(OP, dims, start_indices, updates.dims())?;
    let mut view = View::contiguous(dims);
    for (axis, (&s, &n)) in starts.iter().zip(updates.dims()).enumerate() {
        view = view.narrowed(axis, s, n);
    }
    scatter_view(inputs, &view, updates)
}

/// `flip(x, axis)`: reverses the order of elements along `axis` (every axis when None).
pub fn flip(x: &Tensor, axis: Option<&[i64]>) -> Result<Tensor> {
    let axes = normalize_axes("flip", axis, x.rank())?;
    if axes.iter().all(|&a| x.dims()[a] <= 1) {
        return Ok(x.clone());
    }
    let view = axes.iter().fold(View::contiguous(x.dims()), |v, &a| v.flipped(a));
    gather_view(x, &view)
}

/// `broadcast_to(x, shape)`: `x` repeated along new leading dims and its size-1 dims.
pub fn broadcast_to(x: &Tensor, shape: &[usize]) -> Result<Tensor> {
    let rank = x.rank();
    let bad = || Error::Broadcast { op: "broadcast_to", lhs: x.dims().to_vec(), rhs: shape.to_vec() };
    if shape.len() < rank {
        return Err(bad());
    }
    let lead = shape.len() - rank;
    let own = View::contiguous(x.dims());
    let mut view = View { dims: shape.to_vec(), strides: vec![0; shape.len()], offset: 0 };
    for i in 0..rank {
        match (x.dims()[i], shape[lead + i]) {
            (a, b) if a == b => view.strides[lead + i] = own.strides[i],
            (1, _) => {}
            _ => return Err(bad()),
        }
    }
    if shape == x.dims() {
        return Ok(x.clone());
    }
    gather_view(x, &view)
}

/// Keeps the elements of the last two axes where `col - row` is `<= k` (lower) or `>= k`
/// (upper); the rest become zero.
fn triangle(op: &'static str, x: &Tensor, k: i64, lower: bool) -> Result<Tensor> {
    use crate::ops::binary::{greater_equal, less_equal, subtract, where_};
    use crate::ops::creation::{arange, full, zeros};
    let rank = x.rank();
    if rank < 2 {
        return Err(Error::arg(op, format!("needs a tensor of rank 2 or more, got shape {:?}", x.dims())));
    }
    let (m, n) = (x.dims()[rank - 2], x.dims()[rank - 1]);
    let dev = x.device();
    let k = k.clamp(-(m as i64) - 1, n as i64 + 1);
    let rows = arange(0.0, m as f64, 1.0, DType::I32, &dev)?.with_dims(&[m, 1])?;
    let cols = arange(0.0, n as f64, 1.0, DType::I32, &dev)?.with_dims(&[1, n])?;
    let diff = subtract(&cols, &rows)?;
    let kt = full(&[], k as f64, DType::I32, &dev)?;
    let mask = if lower { less_equal(&diff, &kt)? } else { greater_equal(&diff, &kt)? };
    where_(&mask, x, &zeros(&[], x.dtype(), &dev)?)
}

/// `tril(x, k=0)`: the lower triangle of the last two axes (elements with `col - row <= k`).
pub fn tril(x: &Tensor, k: i64) -> Result<Tensor> {
    triangle("tril", x, k, true)
}

/// `triu(x, k=0)`: the upper triangle of the last two axes (elements with `col - row >= k`).
pub fn triu(x: &Tensor, k: i64) -> Result<Tensor> {
    triangle("triu", x, k, false)
}

/// Method forms of the layout ops (the free functions are the API; these call them).
impl Tensor {
    /// [`reshape`]: the same elements with a new shape (one `-1` allowed).
    pub fn reshape(&self, new_shape: &[i64]) -> Result<Tensor> {
        reshape(self, new_shape)
    }

    /// [`transpose`] with the axes reversed.
    pub fn t(&self) -> Result<Tensor> {
        transpose(self, None)
    }

    /// [`expand_dims`] at one axis.
    pub fn unsqueeze(&self, axis: i64) -> Result<Tensor> {
        expand_dims(self, &[axis])
    }

    /// [`broadcast_to`].
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Tensor> {
        broadcast_to(self, shape)
    }
}
