//! Sorting ops: `sort`, `argsort` and `top_k` (`keras.ops` names, JAX semantics).
//!
//! Sorts are stable (ties keep their order) and put NaNs last; `top_k` sorts descending with
//! NaN as the largest value and ties in index order, as `jax.lax.top_k`. On the GPU each row is
//! bitonic-sorted as (key, original index) pairs, padded to a power of two (`sort.wgsl`): the
//! stages that stay within blocks of 512 run in workgroup memory (one dispatch for a whole row
//! of up to 512), the wider ones one dispatch per (k, j) stage. The sort axis is moved last
//! with `transpose` first.

use std::cmp::Ordering;

use crate::device::Kernel;
use crate::dtype::DType;
use crate::element::{CpuStorage, Element};
use crate::error::{Error, Result};
use crate::ops::layout::transpose;
use crate::shape::normalize_axis;
use crate::tensor::{GpuStorage, Storage, Tensor};
use crate::with_cpu_storage;

/// The order of the sorts: NaN last ascending, NaN first descending; equal keys keep index
/// order (the caller sorts stably).
fn sort_cmp(a: f64, b: f64, desc: bool) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => {
            if desc {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (false, true) => {
            if desc {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        _ => {
            let o = a.partial_cmp(&b).unwrap_or(Ordering::Equal);
            if desc {
                o.reverse()
            } else {
                o
            }
        }
    }
}

/// Sorts every row of the last axis of `x`; returns the first `k` values and their int32
/// indices per row (shape `[..., k]`).
pub(crate) fn sort_last_axis(op: &'static str, x: &Tensor, desc: bool, k: usize) -> Result<(Tensor, Tensor)> {
    let dims = x.dims();
    let l = *dims.last().expect("rank >= 1");
    let rows = crate::shape::numel(&dims[..dims.len() - 1]);
    let mut out_dims = dims.to_vec();
    *out_dims.last_mut().expect("rank >= 1") = k;
    let n = rows * k;
    let device = x.device();
    match x.storage() {
        Storage::Cpu(s) => {
            let v = s.to_f64_vec();
            let mut idx: Vec<i32> = Vec::with_capacity(n);
            let mut order: Vec<usize> = Vec::with_capacity(l);
            for r in 0..rows {
                let row = &v[r * l..(r + 1) * l];
                order.clear();
                order.extend(0..l);
                order.sort_by(|&a, &b| sort_cmp(row[a], row[b], desc));
                idx.extend(order[..k].iter().map(|&i| i as i32));
            }
            let pos: Vec<usize> =
                idx.iter().enumerate().map(|(i, &j)| (i / k.max(1)) * l + j as usize).collect();
            let vals = with_cpu_storage!(s, v => Element::wrap(pos.iter().map(|&p| v[p]).collect()));
            Ok((
                Tensor::from_cpu(vals, &out_dims, &device)?,
                Tensor::from_cpu(CpuStorage::I32(idx), &out_dims, &device)?,
            ))
        }
        Storage::Gpu(g) => {
            let dev = &g.device;
            let out_keys = GpuStorage::alloc(dev, op, x.dtype(), n)?;
            let out_idx = GpuStorage::alloc(dev, op, DType::I32, n)?;
            if n > 0 {
                let p = l.next_power_of_two();
                let total = rows * p;
                let keys = GpuStorage::alloc(dev, op, x.dtype(), total)?;
                let idx = GpuStorage::alloc(dev, op, DType::I32, total)?;
                let kd = if x.dtype() == DType::Bool { DType::U32 } else { x.dtype() };
                let types = [("T", kd)];
                let constants = [("DESC", if desc { 1.0 } else { 0.0 })];
                let kernel = |entry| Kernel::new("sort", &types).entry(entry).constants(&constants);
                dev.launch(
                    &kernel("sort_init"),
                    &[total as u32, l as u32, p as u32],
                    &[g.binding(), keys.binding(), idx.binding()],
                    total,
                )?;
                // Stages with j < LOCAL run in workgroup memory, one dispatch per run of them;
                // only the j >= LOCAL stages of rows longer than LOCAL take one dispatch each.
                const LOCAL: usize = 512;
                let blocks = total.div_ceil(LOCAL);
                let local = |k_lo: usize, k_hi: usize, j_first: usize| {
                    let params =
                        [blocks as u32, p as u32, k_lo as u32, k_hi as u32, j_first as u32, total as u32];
                    dev.launch(&kernel("sort_local"), &params, &[keys.binding(), idx.binding()], blocks * 256)
                };
                if p >= 2 {
                    local(2, p.min(LOCAL), 1)?;
                }
                let mut kk = 2 * LOCAL;
                while kk <= p {
                    let mut j = kk / 2;
                    while j >= LOCAL {
                        dev.launch(
                            &kernel("sort_step"),
                            &[(total / 2) as u32, p as u32, kk as u32, j as u32],
                            &[keys.binding(), idx.binding()],
                            total / 2,
                        )?;
                        j /= 2;
                    }
                    local(kk, kk, LOCAL / 2)?;
                    kk *= 2;
                }
                dev.launch(
                    &kernel("sort_out"),
                    &[n as u32, p as u32, k as u32],
                    &[keys.binding(), idx.binding(), out_keys.binding(), out_idx.binding()],
                    n,
                )?;
            }
            Ok((
                Tensor::from_storage(Storage::Gpu(out_keys), &out_dims)?,
                Tensor::from_storage(Storage::Gpu(out_idx), &out_dims)?,
            ))
        }
    }
}

/// Runs `f` on `x` with `axis` moved last and moves the results' last axis back.
fn along_axis(
    op: &'static str,
    x: &Tensor,
    axis: i64,
    f: impl Fn(&Tensor) -> Result<(Tensor, Tensor)>,
) -> Result<(Tensor, Tensor)> {
    let rank = x.rank();
    let ax = normalize_axis(op, axis, rank)?;
    if ax == rank - 1 {
        return f(x);
    }
    let mut perm: Vec<i64> = (0..rank as i64).filter(|&d| d != ax as i64).collect();
    perm.push(ax as i64);
    let mut inv = vec![0i64; rank];
    for (i, &p) in perm.iter().enumerate() {
        inv[p as usize] = i as i64;
    }
    let (a, b) = f(&transpose(x, Some(&perm))?)?;
    Ok((transpose(&a, Some(&inv))?, transpose(&b, Some(&inv))?))
}

/// `sort(x, axis=-1)`: ascending, NaNs last.
pub fn sort(x: &Tensor, axis: i64) -> Result<Tensor> {
    const OP: &str = "sort";
    if x.rank() == 0 {
        return Err(Error::AxisOutOfRange { op: OP, axis, rank: 0 });
    }
    let l = x.dims()[normalize_axis(OP, axis, x.rank())?];
    Ok(along_axis(OP, x, axis, |t| sort_last_axis(OP, t, false, l))?.0)
}

/// `argsort(x, axis=-1)`: int32 indices that sort `x` stably (NaNs last). A 0-d `x` gives `[0]`.
pub fn argsort(x: &Tensor, axis: i64) -> Result<Tensor> {
    const OP: &str = "argsort";
    if x.rank() == 0 {
        return Tensor::from_vec(vec![0i32], &[1], &x.device());
    }
    let l = x.dims()[normalize_axis(OP, axis, x.rank())?];
    Ok(along_axis(OP, x, axis, |t| sort_last_axis(OP, t, false, l))?.1)
}

/// `top_k(x, k, sorted=True)`: the `k` largest values along the last axis and their int32
/// indices, largest first (NaN counts as largest; ties in index order). `sorted=False` gives
/// the same sorted result, as Keras on JAX.
pub fn top_k(x: &Tensor, k: i64, sorted: bool) -> Result<(Tensor, Tensor)> {
    const OP: &str = "top_k";
    let _ = sorted;
    if x.rank() == 0 {
        return Err(Error::arg(OP, "x must have rank 1 or more, got a scalar"));
    }
    let l = *x.dims().last().expect("rank >= 1");
    if k < 0 || k as usize > l {
        return Err(Error::arg(
            OP,
            format!("k must be in [0, {l}] for a last axis of size {l} (shape {:?}), got {k}", x.dims()),
        ));
    }
    sort_last_axis(OP, x, true, k as usize)
}
