//! Reductions (`sum`, `mean`, `max`, `min`, `prod`, `argmax`, `argmin`, `var`, `std`,
//! `logsumexp`, `norm`) and scans (`cumsum`, `cumprod`), named and typed as in `keras.ops`.
//!
//! Few primitives, the rest composed: every reduction moves its axes last (a transpose only
//! when they are not last already) and reduces rows of length R with one kernel
//! (`reduce.wgsl`: sum, prod, max, min, argmax, argmin, chosen by an override constant).
//! Short rows share a workgroup; long rows are cut into segments reduced in a first pass and
//! combined in a second, so a single row of millions of elements still fills the GPU. `mean`,
//! `var`, `std`, `logsumexp` and `norm` are built from those and the elementwise ops.
//! Scans (`scan.wgsl`) run per row along the last axis.

use rayon::prelude::*;

use crate::device::{Binding, Kernel};
use crate::dtype::DType;
use crate::element::{CpuStorage, Element};
use crate::error::{Error, Result};
use crate::ops::binary::{add, divide, isfinite, multiply, not_equal, power, subtract, where_};
use crate::ops::cast::cast;
use crate::ops::creation::full;
use crate::ops::layout::{reshape, transpose};
use crate::ops::unary::{abs, exp, log, sqrt};
use crate::shape::{normalize_axes, normalize_axis};
use crate::tensor::{GpuStorage, Storage, Tensor};

/// The reduction primitives. The discriminant is the op code of `reduce.wgsl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReduceOp {
    Sum = 0,
    Prod = 1,
    Max = 2,
    Min = 3,
    ArgMax = 4,
    ArgMin = 5,
}

impl ReduceOp {
    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Prod => "prod",
            ReduceOp::Max => "max",
            ReduceOp::Min => "min",
            ReduceOp::ArgMax => "argmax",
            ReduceOp::ArgMin => "argmin",
        }
    }

    fn is_arg(self) -> bool {
        matches!(self, ReduceOp::ArgMax | ReduceOp::ArgMin)
    }

    /// The identity of the combine for accumulator dtype `acc`, as f64.
    fn identity(self, acc: DType) -> f64 {
        let big = match acc {
            DType::I32 => i32::MAX as f64,
            DType::U32 => u32::MAX as f64,
            _ => f64::INFINITY,
        };
        let small = match acc {
            DType::I32 => i32::MIN as f64,
            DType::U32 => 0.0,
            _ => f64::NEG_INFINITY,
        };
        match self {
            ReduceOp::Sum => 0.0,
            ReduceOp::Prod => 1.0,
            ReduceOp::Max | ReduceOp::ArgMax => small,
            ReduceOp::Min | ReduceOp::ArgMin => big,
        }
    }
}

/// The dtype a reduction accumulates and returns in (16-bit floats widen to float32).
fn acc_dtype(dtype: DType) -> DType {
    match dtype {
        DType::F16 | DType::BF16 => DType::F32,
        DType::Bool => DType::I32,
        d => d,
    }
}

/// The bits of `v` as a 32-bit value of `acc` (f32, i32 or u32) for a kernel parameter.
fn acc_bits(v: f64, acc: DType) -> u32 {
    match acc {
        DType::I32 => (v as i32) as u32,
        DType::U32 => v as u32,
        _ => (v as f32).to_bits(),
    }
}

/// Where a reduction over `axes` of `dims` puts things.
struct ReducePlan {
    /// Sorted, distinct reduced axes.
    axes: Vec<usize>,
    /// Product of the kept dims.
    rows: usize,
    /// Product of the reduced dims (R).
    len: usize,
    /// The result's dims (reduced axes dropped, or kept as 1 with keepdims).
    out_dims: Vec<usize>,
}

fn plan(op: &'static str, dims: &[usize], axes: Option<&[i64]>, keepdims: bool) -> Result<ReducePlan> {
    let axes = normalize_axes(op, axes, dims.len())?;
    let len: usize = axes.iter().map(|&a| dims[a]).product();
    let rows: usize = (0..dims.len()).filter(|d| !axes.contains(d)).map(|d| dims[d]).product();
    let out_dims = (0..dims.len())
        .filter_map(|d| {
            if !axes.contains(&d) {
                Some(dims[d])
            } else if keepdims {
                Some(1)
            } else {
                None
            }
        })
        .collect();
    Ok(ReducePlan { axes, rows, len, out_dims })
}

/// `x` with the `axes` moved last (kept axes first, in order), as a `[rows, len]` tensor.
/// No copy is made when the reduced axes already come last (ignoring size-1 dims).
fn rows_view(x: &Tensor, axes: &[usize], rows: usize, len: usize) -> Result<Tensor> {
    let dims = x.dims();
    let mut seen_reduced = false;
    let mut in_order = true;
    for (d, &n) in dims.iter().enumerate() {
        if n == 1 {
            continue;
        }
        if axes.contains(&d) {
            seen_reduced = true;
        } else if seen_reduced {
            in_order = false;
        }
    }
    let src = if in_order {
        x.clone()
    } else {
        let perm: Vec<i64> = (0..dims.len())
            .filter(|d| !axes.contains(d))
            .chain(axes.iter().copied())
            .map(|d| d as i64)
            .collect();
        transpose(x, Some(&perm))?
    };
    src.with_dims(&[rows, len])
}

// ---------------------------------------------------------------------------------------------
// CPU kernels

const CPU_PAR_MIN: usize = 1 << 15;
const CPU_CHUNK: usize = 1 << 14;

fn nan_first_better(op: ReduceOp, a: f64, ia: usize, b: f64, ib: usize) -> bool {
    if a.is_nan() || b.is_nan() {
        if a.is_nan() && b.is_nan() {
            return ib < ia;
        }
        return b.is_nan();
    }
    if a == b {
        if a.is_sign_negative() != b.is_sign_negative() {
            return if op == ReduceOp::ArgMax { b.is_sign_positive() } else { b.is_sign_negative() };
        }
        return ib < ia;
    }
    if op == ReduceOp::ArgMax {
        b > a
    } else {
        b < a
    }
}

fn combine_f64(op: ReduceOp, a: f64, b: f64) -> f64 {
    match op {
        ReduceOp::Sum => a + b,
        ReduceOp::Prod => a * b,
        ReduceOp::Max | ReduceOp::Min if a.is_nan() => a,
        ReduceOp::Max | ReduceOp::Min if b.is_nan() => b,
        ReduceOp::Max => a.max(b),
        ReduceOp::Min => a.min(b),
        _ => a,
    }
}

fn combine_i64(op: ReduceOp, a: i64, b: i64) -> i64 {
    match op {
        ReduceOp::Sum => a.wrapping_add(b),
        ReduceOp::Prod => a.wrapping_mul(b),
        ReduceOp::Max => a.max(b),
        ReduceOp::Min => a.min(b),
        _ => a,
    }
}

/// Reduces one row with `step` over chunks, in parallel when the row is long.
fn fold_row<A: Copy + Send + Sync, T: Sync>(
    row: &[T],
    init: A,
    step: &(impl Fn(A, usize, &T) -> A + Sync),
    merge: &(impl Fn(A, A) -> A + Sync),
) -> A {
    let chunk =
        |start: usize, c: &[T]| c.iter().enumerate().fold(init, |acc, (i, v)| step(acc, start + i, v));
    if row.len() >= CPU_PAR_MIN {
        row.par_chunks(CPU_CHUNK)
            .enumerate()
            .map(|(k, c)| chunk(k * CPU_CHUNK, c))
            .collect::<Vec<_>>()
            .into_iter()
            .fold(init, merge)
    } else {
        chunk(0, row)
    }
}

fn per_row<O: Send>(rows: usize, len: usize, f: impl Fn(usize) -> O + Sync + Send) -> Vec<O> {
    if rows > 1 && rows * len >= CPU_PAR_MIN {
        (0..rows).into_par_iter().map(f).collect()
    } else {
        (0..rows).map(f).collect()
    }
}

fn cpu_reduce_typed<T: Element>(v: &[T], rows: usize, len: usize, op: ReduceOp) -> CpuStorage {
    let dtype = T::DTYPE;
    let row = |r: usize| &v[r * len..(r + 1) * len];
    if op.is_arg() {
        let out = per_row(rows, len, |r| {
            let (_, i) = fold_row(
                row(r),
                (op.identity(DType::F64), usize::MAX),
                &|(a, ia): (f64, usize), i, x: &T| {
                    let b = x.to_f64();
                    if nan_first_better(op, a, ia, b, i) {
                        (b, i)
                    } else {
                        (a, ia)
                    }
                },
                &|(a, ia), (b, ib)| if nan_first_better(op, a, ia, b, ib) { (b, ib) } else { (a, ia) },
            );
            i as i32
        });
        return CpuStorage::I32(out);
    }
    if dtype.is_float() {
        let out = per_row(rows, len, |r| {
            fold_row(
                row(r),
                op.identity(DType::F64),
                &|a, _, x: &T| combine_f64(op, a, x.to_f64()),
                &|a, b| combine_f64(op, a, b),
            )
        });
        CpuStorage::from_f64(acc_dtype(dtype), out)
    } else {
        let init = op.identity(dtype) as i64;
        let out = per_row(rows, len, |r| {
            fold_row(row(r), init, &|a, _, x: &T| combine_i64(op, a, x.to_f64() as i64), &|a, b| {
                combine_i64(op, a, b)
            })
        });
        match dtype {
            DType::U32 => CpuStorage::U32(out.into_iter().map(|v| v as u32).collect()),
            _ => CpuStorage::I32(out.into_iter().map(|v| v as i32).collect()),
        }
    }
}

/// Folds the columns of a row-major `[len, cols]` array: `out[c]` combines `v[i * cols + c]` for
/// `i` in order, chunked as [`fold_row`] chunks a row, so the values equal those of reducing the
/// transposed array's rows, without the transpose.
fn fold_cols<T: Copy + Sync, A: Copy + Send + Sync>(
    v: &[T],
    len: usize,
    cols: usize,
    init: A,
    conv: impl Fn(T) -> A + Sync,
    comb: impl Fn(A, A) -> A + Sync,
) -> Vec<A> {
    let sweep = |c0: usize, rows: std::ops::Range<usize>, acc: &mut [A]| {
        let w = acc.len();
        for i in rows {
            let row = &v[i * cols + c0..i * cols + c0 + w];
            acc.iter_mut().zip(row).for_each(|(a, &x)| *a = comb(*a, conv(x)));
        }
    };
    let block = |c0: usize, acc: &mut [A]| {
        if len >= CPU_PAR_MIN {
            let mut part = vec![init; acc.len()];
            for i0 in (0..len).step_by(CPU_CHUNK) {
                part.fill(init);
                sweep(c0, i0..(i0 + CPU_CHUNK).min(len), &mut part);
                acc.iter_mut().zip(&part).for_each(|(a, &p)| *a = comb(*a, p));
            }
        } else {
            sweep(c0, 0..len, acc);
        }
    };
    let mut out = vec![init; cols];
    let threads = rayon::current_num_threads();
    if threads > 1 && cols >= 64 && cols * len >= 4 * CPU_PAR_MIN {
        let per = cols.div_ceil(threads).next_multiple_of(16);
        out.par_chunks_mut(per).enumerate().for_each(|(k, acc)| block(k * per, acc));
    } else {
        block(0, &mut out);
    }
    out
}

fn cpu_reduce_cols_typed<T: Element>(v: &[T], len: usize, cols: usize, op: ReduceOp) -> CpuStorage {
    let dtype = T::DTYPE;
    if dtype.is_float() {
        let conv = |x: T| x.to_f64();
        let init = op.identity(DType::F64);
        let out = match op {
            ReduceOp::Sum => fold_cols(v, len, cols, init, conv, |a, b| a + b),
            ReduceOp::Prod => fold_cols(v, len, cols, init, conv, |a, b| a * b),
            _ => fold_cols(v, len, cols, init, conv, |a, b| combine_f64(op, a, b)),
        };
        CpuStorage::from_f64(acc_dtype(dtype), out)
    } else {
        let conv = |x: T| x.to_f64() as i64;
        let init = op.identity(dtype) as i64;
        let out = match op {
            ReduceOp::Sum => fold_cols(v, len, cols, init, conv, |a: i64, b| a.wrapping_add(b)),
            _ => fold_cols(v, len, cols, init, conv, |a, b| combine_i64(op, a, b)),
        };
        match dtype {
            DType::U32 => CpuStorage::U32(out.into_iter().map(|v| v as u32).collect()),
            _ => CpuStorage::I32(out.into_iter().map(|v| v as i32).collect()),
        }
    }
}

/// Whether every reduced axis comes before every kept one (ignoring size-1 dims), so the
/// input is a row-major `[len, rows]` array reduced over its columns.
fn leading_axes(dims: &[usize], axes: &[usize]) -> bool {
    let mut seen_kept = false;
    for (d, &n) in dims.iter().enumerate() {
        if n == 1 {
            continue;
        }
        if !axes.contains(&d) {
            seen_kept = true;
        } else if seen_kept {
            return false;
        }
    }
    true
}

fn cpu_reduce_rows(s: &CpuStorage, rows: usize, len: usize, op: ReduceOp) -> CpuStorage {
    crate::with_cpu_storage!(s, v => cpu_reduce_typed(v, rows, len, op))
}

// ---------------------------------------------------------------------------------------------
// GPU launches

/// Rows longer than this are reduced in two passes when there are too few rows to fill the GPU.
const SPLIT_MIN_LEN: usize = 8192;
/// Elements per first-pass segment (at least).
const SEGMENT_MIN: usize = 4096;
/// Segments that fill a GPU well.
const TARGET_SEGMENTS: usize = 2048;
const GROUP: usize = 256;

/// Threads per segment for segments of `len` elements.
fn threads_per_segment(len: usize) -> usize {
    match len {
        0..=4 => 4,
        5..=32 => 32,
        _ => 256,
    }
}

/// A binding of elements `start..start + len` that starts at an offset aligned to 256 bytes,
/// and the element index of `start` within it.
fn aligned_range(g: &GpuStorage, start: usize, len: usize) -> (Binding<'_>, u32) {
    let per = 256 / g.dtype.gpu_size();
    let first = start - start % per;
    (g.binding_range(first, len + (start - first)), (start - first) as u32)
}

/// One reduction pass over `[rows, len]` elements of `x` cut into `spr` segments per row.
/// Writes `rows * spr` values (and indices for arg ops) of `acc`.
fn gpu_reduce_pass(
    x: &GpuStorage,
    in_idx: Option<&GpuStorage>,
    rows: usize,
    len: usize,
    spr: usize,
    op: ReduceOp,
    acc: DType,
) -> Result<(GpuStorage, Option<GpuStorage>)> {
    let dev = &x.device;
    let name = op.name();
    let seg_len = len.div_ceil(spr);
    let out = GpuStorage::alloc(dev, name, acc, rows * spr)?;
    let out_idx =
        if op.is_arg() { Some(GpuStorage::alloc(dev, name, DType::U32, rows * spr)?) } else { None };
    let tpr = threads_per_segment(seg_len);
    let x_type = if x.dtype == DType::Bool { DType::U32 } else { x.dtype };
    let types = [("T", x_type), ("A", acc)];
    let constants = [("OP", op as u32 as f64), ("TPR", tpr as f64)];
    let entry = match (op.is_arg(), in_idx.is_some()) {
        (false, _) => "main",
        (true, false) => "arg_main",
        (true, true) => "arg_idx",
    };
    let kernel = Kernel::new("reduce", &types).entry(entry).constants(&constants);
    // Rows per launch so every binding fits the adapter's limit (with room for alignment).
    let row_bytes = (len * x.dtype.gpu_size()).max(1) as u64;
    let room = dev.max_binding_bytes().saturating_sub(256);
    let per_launch = (room / row_bytes) as usize;
    if per_launch == 0 {
        return Err(Error::Limit {
            op: name,
            msg: format!(
                "a row of {len} {} elements exceeds the adapter's binding limit of {} bytes",
                x.dtype,
                dev.max_binding_bytes()
            ),
        });
    }
    // ... and so the grid fits the adapter's workgroup limit.
    let max_groups = (dev.max_workgroups_per_dim() as usize).saturating_pow(2);
    let per_launch = per_launch.min((max_groups.saturating_mul(GROUP / tpr) / spr).max(1));
    let ident = acc_bits(op.identity(acc), acc);
    let mut r0 = 0;
    while r0 < rows {
        let n = per_launch.min(rows - r0);
        let (xb, x_base) = aligned_range(x, r0 * len, n * len);
        let (ob, out_base) = aligned_range(&out, r0 * spr, n * spr);
        let segs = n * spr;
        let params = [segs as u32, seg_len as u32, len as u32, spr as u32, x_base, out_base, ident];
        let mut bindings = vec![xb, ob];
        if let Some(oi) = &out_idx {
            bindings.push(aligned_range(oi, r0 * spr, n * spr).0);
        }
        if let Some(ii) = in_idx {
            let (ib, base) = aligned_range(ii, r0 * len, n * len);
            if base != x_base {
                return Err(Error::Gpu(format!("{name}: misaligned index binding")));
            }
            bindings.push(ib);
        }
        let groups = segs.div_ceil(GROUP / tpr);
        dev.launch(&kernel, &params, &bindings, groups * GROUP)?;
        r0 += n;
    }
    Ok((out, out_idx))
}

/// Reduces `[rows, len]` (len > 0) on the GPU: values of `acc` dtype, or int32 indices.
fn gpu_reduce_rows(x: &GpuStorage, rows: usize, len: usize, op: ReduceOp, acc: DType) -> Result<GpuStorage> {
    let spr = if len >= SPLIT_MIN_LEN && rows < TARGET_SEGMENTS {
        let max_groups = (x.device.max_workgroups_per_dim() as usize).saturating_pow(2);
        let spr = len.div_ceil(SEGMENT_MIN).min(TARGET_SEGMENTS.div_ceil(rows)).min(max_groups).max(1);
        len.div_ceil(len.div_ceil(spr))
    } else {
        1
    };
    let (vals, idx) = gpu_reduce_pass(x, None, rows, len, spr, op, acc)?;
    let (vals, idx) = if spr > 1 {
        // The index storage has u32 positions; values are already of `acc` dtype.
        gpu_reduce_pass(&vals, idx.as_ref(), rows, spr, 1, op, acc)?
    } else {
        (vals, idx)
    };
    Ok(match idx {
        Some(mut i) => {
            i.dtype = DType::I32;
            i
        }
        None => vals,
    })
}

/// Reduces the rows of a `[rows, len]` tensor: `[rows]` of the accumulator dtype (int32 for arg
/// ops). `len` may be 0 only for sum and prod.
fn reduce_rows(x2: &Tensor, rows: usize, len: usize, op: ReduceOp) -> Result<Tensor> {
    let acc = acc_dtype(x2.dtype());
    let out_dtype = if op.is_arg() { DType::I32 } else { acc };
    if rows == 0 || len == 0 {
        return full(&[rows], op.identity(acc), out_dtype, &x2.device());
    }
    let storage = match x2.storage() {
        Storage::Cpu(s) => Storage::Cpu(cpu_reduce_rows(s, rows, len, op)),
        Storage::Gpu(g) => {
            g.device.check_dtype(op.name(), x2.dtype())?;
            Storage::Gpu(gpu_reduce_rows(g, rows, len, op, acc)?)
        }
    };
    Tensor::from_storage(storage, &[rows])
}

/// The reduction primitive: `op` over `axes` (None = all) of `x`, keeping reduced dims as 1
/// with `keepdims`. Bools are summed and multiplied as int32; max/min of bools stay bools.
/// Values come back in the accumulator dtype (float32 for 16-bit floats); the public ops cast.
fn reduce_acc(op: ReduceOp, x: &Tensor, axes: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    let name = op.name();
    let p = plan(name, x.dims(), axes, keepdims)?;
    if p.len == 0 && !matches!(op, ReduceOp::Sum | ReduceOp::Prod) {
        return Err(Error::arg(
            name,
            format!(
                "zero-size reduction over axes {:?} of shape {:?}: {name} has no identity",
                p.axes,
                x.dims()
            ),
        ));
    }
    let src = if x.dtype() == DType::Bool { cast(x, DType::I32)? } else { x.clone() };
    if let Storage::Cpu(s) = src.storage() {
        // Leading axes reduced (a bias gradient's batch sum): fold columns, no transpose.
        if !op.is_arg() && p.rows > 1 && p.len > 0 && leading_axes(src.dims(), &p.axes) {
            let out = crate::with_cpu_storage!(s, v => cpu_reduce_cols_typed(v, p.len, p.rows, op));
            return Tensor::from_storage(Storage::Cpu(out), &p.out_dims);
        }
    }
    let rows = rows_view(&src, &p.axes, p.rows, p.len)?;
    reduce_rows(&rows, p.rows, p.len, op)?.with_dims(&p.out_dims)
}

/// A reduction whose result has the input's dtype (bools as int32 for sum and prod).
fn reduce_same(op: ReduceOp, x: &Tensor, axes: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    let r = reduce_acc(op, x, axes, keepdims)?;
    let want = match (op, x.dtype()) {
        (ReduceOp::Sum | ReduceOp::Prod, DType::Bool) => DType::I32,
        (_, d) => d,
    };
    cast(&r, want)
}

/// `keras.ops.sum(x, axis, keepdims)`. Bools sum to int32.
pub fn sum(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    reduce_same(ReduceOp::Sum, x, axis, keepdims)
}

/// `keras.ops.prod(x, axis, keepdims)`. Bools multiply to int32.
pub fn prod(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    reduce_same(ReduceOp::Prod, x, axis, keepdims)
}

/// `keras.ops.max(x, axis, keepdims)`; NaN propagates; an empty reduction is an error.
pub fn max(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    reduce_same(ReduceOp::Max, x, axis, keepdims)
}

/// `keras.ops.min(x, axis, keepdims)`; NaN propagates; an empty reduction is an error.
pub fn min(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    reduce_same(ReduceOp::Min, x, axis, keepdims)
}

fn arg_reduce(op: ReduceOp, x: &Tensor, axis: Option<i64>, keepdims: bool) -> Result<Tensor> {
    match axis {
        Some(a) => {
            normalize_axis(op.name(), a, x.rank())?;
            reduce_acc(op, x, Some(&[a]), keepdims)
        }
        None => {
            let flat = x.with_dims(&[x.numel()])?;
            let r = reduce_acc(op, &flat, None, false)?;
            if keepdims {
                r.with_dims(&vec![1; x.rank()])
            } else {
                Ok(r)
            }
        }
    }
}

/// `keras.ops.argmax(x, axis=None, keepdims=False)`: int32 indices of the first maximum (the
/// first NaN if any; -0.0 ranks below 0.0). `axis` None searches the flattened tensor.
pub fn argmax(x: &Tensor, axis: Option<i64>, keepdims: bool) -> Result<Tensor> {
    arg_reduce(ReduceOp::ArgMax, x, axis, keepdims)
}

/// `keras.ops.argmin(x, axis=None, keepdims=False)`: int32 indices of the first minimum.
pub fn argmin(x: &Tensor, axis: Option<i64>, keepdims: bool) -> Result<Tensor> {
    arg_reduce(ReduceOp::ArgMin, x, axis, keepdims)
}

/// The float dtype statistics are returned in: integers and bools give float32.
fn float_result(dtype: DType) -> DType {
    if dtype.is_float() {
        dtype
    } else {
        DType::F32
    }
}

/// The dtype statistics are computed in: float32 for everything narrower.
fn compute_dtype(dtype: DType) -> DType {
    if dtype == DType::F64 {
        DType::F64
    } else {
        DType::F32
    }
}

fn scalar(v: f64, dtype: DType, like: &Tensor) -> Result<Tensor> {
    full(&[], v, dtype, &like.device())
}

/// Mean in the compute dtype (not cast back).
fn mean_compute(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    let cd = compute_dtype(x.dtype());
    let p = plan("mean", x.dims(), axis, keepdims)?;
    let s = reduce_acc(ReduceOp::Sum, &cast(x, cd)?, axis, keepdims)?;
    divide(&s, &scalar(p.len as f64, cd, &s)?)
}

/// `keras.ops.mean(x, axis, keepdims)`: integers and bools give float32; an empty reduction is
/// NaN.
pub fn mean(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    cast(&mean_compute(x, axis, keepdims)?, float_result(x.dtype()))
}

/// Variance in the compute dtype, two-pass: the mean of squared deviations from the mean.
pub(crate) fn variance_compute(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    let xc = cast(x, compute_dtype(x.dtype()))?;
    let m = mean_compute(&xc, axis, true)?;
    let d = subtract(&xc, &m)?;
    mean_compute(&multiply(&d, &d)?, axis, keepdims)
}

/// `keras.ops.var(x, axis, keepdims)` (population variance, computed two-pass).
pub fn var(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    cast(&variance_compute(x, axis, keepdims)?, float_result(x.dtype()))
}

/// `keras.ops.std(x, axis, keepdims)`.
pub fn std(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    cast(&sqrt(&variance_compute(x, axis, keepdims)?)?, float_result(x.dtype()))
}

/// The max over `axis` with keepdims, with non-finite values replaced by 0: the stable shift
/// of `logsumexp` and `softmax` (as `jax.scipy.special.logsumexp` does).
pub(crate) fn finite_max_keepdims(x: &Tensor, axis: Option<&[i64]>) -> Result<Tensor> {
    let p = plan("max", x.dims(), axis, true)?;
    if p.len == 0 {
        // Nothing to shift: the result of the caller is empty or the empty-sum value.
        return full(&p.out_dims, 0.0, x.dtype(), &x.device());
    }
    let m = max(x, axis, true)?;
    where_(&isfinite(&m)?, &m, &scalar(0.0, m.dtype(), &m)?)
}

/// `keras.ops.logsumexp(x, axis, keepdims)`: `m + log(sum(exp(x - m)))` with `m` the finite max.
pub fn logsumexp(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    let out_dtype = float_result(x.dtype());
    let xc = cast(x, compute_dtype(x.dtype()))?;
    let p = plan("logsumexp", x.dims(), axis, keepdims)?;
    if p.len == 0 {
        return full(&p.out_dims, f64::NEG_INFINITY, out_dtype, &x.device());
    }
    let m = finite_max_keepdims(&xc, axis)?;
    let s = reduce_acc(ReduceOp::Sum, &exp(&subtract(&xc, &m)?)?, axis, true)?;
    let r = add(&log(&s)?, &m)?;
    cast(&r.with_dims(&p.out_dims)?, out_dtype)
}

/// The `ord` of [`norm`]: a number (`f64::INFINITY` for inf), `"fro"` or `"nuc"`, or the
/// default (2-norm of vectors, Frobenius of matrices).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NormOrd {
    Default,
    Fro,
    Nuc,
    P(f64),
}

/// Vector p-norm over `axes` of a float tensor.
fn vector_norm(x: &Tensor, ord: f64, axes: &[i64], keepdims: bool) -> Result<Tensor> {
    let ax = Some(axes);
    if ord == f64::INFINITY {
        max(&abs(x)?, ax, keepdims)
    } else if ord == f64::NEG_INFINITY {
        min(&abs(x)?, ax, keepdims)
    } else if ord == 0.0 {
        let nz = cast(&not_equal(x, &scalar(0.0, x.dtype(), x)?)?, x.dtype())?;
        sum(&nz, ax, keepdims)
    } else if ord == 1.0 {
        sum(&abs(x)?, ax, keepdims)
    } else if ord == 2.0 {
        sqrt(&sum(&multiply(x, x)?, ax, keepdims)?)
    } else {
        let p = scalar(ord, x.dtype(), x)?;
        let s = sum(&power(&abs(x)?, &p)?, ax, keepdims)?;
        power(&s, &scalar(1.0 / ord, x.dtype(), x)?)
    }
}

/// `keras.ops.norm(x, ord=None, axis=None, keepdims=False)`: vector norms of any order over
/// one axis (or the flattened tensor with axis None and ord None), and the Frobenius, 1, -1,
/// inf and -inf matrix norms over two axes. Integers are promoted to float32.
pub fn norm(x: &Tensor, ord: NormOrd, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    let xf = cast(x, float_result(x.dtype()))?;
    let rank = x.rank();
    let axes: Vec<i64> = match axis {
        Some(a) => a.to_vec(),
        None => {
            if ord == NormOrd::Default {
                // The 2-norm of the flattened tensor.
                let all: Vec<i64> = (0..rank as i64).collect();
                return sqrt(&sum(&multiply(&xf, &xf)?, Some(&all), keepdims)?);
            }
            match rank {
                1 => vec![0],
                2 => vec![0, 1],
                _ => {
                    return Err(Error::arg(
                        "norm",
                        format!(
                            "an ord of {ord:?} needs axis, or a tensor of rank 1 or 2, not shape {:?}",
                            x.dims()
                        ),
                    ))
                }
            }
        }
    };
    let norm_axes = normalize_axes("norm", Some(&axes), rank)?;
    match axes.len() {
        1 => match ord {
            NormOrd::Default => vector_norm(&xf, 2.0, &axes, keepdims),
            NormOrd::P(p) => vector_norm(&xf, p, &axes, keepdims),
            other => Err(Error::arg("norm", format!("invalid ord {other:?} for a vector norm"))),
        },
        2 => {
            let (row, col) = (axes[0], axes[1]);
            if norm_axes.len() != 2 {
                return Err(Error::arg("norm", format!("duplicate axes {axes:?}")));
            }
            let result = match ord {
                NormOrd::Default | NormOrd::Fro => {
                    return sqrt(&sum(&multiply(&xf, &xf)?, Some(&axes), keepdims)?);
                }
                NormOrd::P(p) if p.abs() == 1.0 || p.is_infinite() => {
                    // 1-norms sum down the rows (over `row`), inf-norms along them (over `col`).
                    let (inner, outer) = if p.abs() == 1.0 { (row, col) } else { (col, row) };
                    let s = sum(&abs(&xf)?, Some(&[inner]), true)?;
                    if p > 0.0 {
                        max(&s, Some(&[outer]), true)?
                    } else {
                        min(&s, Some(&[outer]), true)?
                    }
                }
                other => {
                    return Err(Error::arg(
                        "norm",
                        format!(
                            "matrix norm ord {other:?} is not supported (supported: None, 'fro', 1, -1, inf, -inf)"
                        ),
                    ))
                }
            };
            if keepdims {
                Ok(result)
            } else {
                let p = plan("norm", x.dims(), Some(&axes), false)?;
                result.with_dims(&p.out_dims)
            }
        }
        n => Err(Error::arg("norm", format!("axis must have 1 or 2 entries, got {n} ({axes:?})"))),
    }
}

// ---------------------------------------------------------------------------------------------
// Scans

/// Rows at most this long are scanned by one thread each.
const SERIAL_SCAN_MAX: usize = 32;

fn cpu_scan_typed<T: Element>(v: &[T], len: usize, prod: bool) -> CpuStorage {
    let mut out = vec![T::default(); v.len()];
    let dtype = T::DTYPE;
    let scan_row = |(src, dst): (&[T], &mut [T])| {
        if dtype.is_float() {
            let mut acc = if prod { 1.0 } else { 0.0 };
            for (s, d) in src.iter().zip(dst.iter_mut()) {
                acc = if prod { acc * s.to_f64() } else { acc + s.to_f64() };
                *d = T::from_f64(acc);
            }
        } else {
            let mut acc: i64 = if prod { 1 } else { 0 };
            for (s, d) in src.iter().zip(dst.iter_mut()) {
                let x = s.to_f64() as i64;
                acc = if prod { acc.wrapping_mul(x) } else { acc.wrapping_add(x) };
                // Wrap like the 32-bit accumulator of the dtype.
                acc = if dtype == DType::U32 { acc as u32 as i64 } else { acc as i32 as i64 };
                *d = T::from_f64(acc as f64);
            }
        }
    };
    if len == 0 {
        return T::wrap(out);
    }
    if v.len() >= CPU_PAR_MIN {
        v.par_chunks(len).zip(out.par_chunks_mut(len)).for_each(scan_row);
    } else {
        v.chunks(len).zip(out.chunks_mut(len)).for_each(scan_row);
    }
    T::wrap(out)
}

fn gpu_scan_rows(x: &GpuStorage, rows: usize, len: usize, prod: bool) -> Result<GpuStorage> {
    let dev = &x.device;
    let name = if prod { "cumprod" } else { "cumsum" };
    let out = GpuStorage::alloc(dev, name, x.dtype, rows * len)?;
    let acc = acc_dtype(x.dtype);
    let types = [("T", x.dtype), ("A", acc)];
    let constants = [("OP", prod as u32 as f64)];
    let serial = len <= SERIAL_SCAN_MAX;
    let kernel =
        Kernel::new("scan", &types).entry(if serial { "serial" } else { "main" }).constants(&constants);
    let row_bytes = (len * x.dtype.gpu_size()).max(1) as u64;
    let per_launch = (dev.max_binding_bytes().saturating_sub(256) / row_bytes) as usize;
    let max_groups = (dev.max_workgroups_per_dim() as usize).saturating_pow(2);
    let per_launch = per_launch.min(if serial { max_groups.saturating_mul(GROUP) } else { max_groups });
    if per_launch == 0 {
        return Err(Error::Limit {
            op: name,
            msg: format!("a row of {len} elements exceeds the adapter's binding limit"),
        });
    }
    let ident = acc_bits(if prod { 1.0 } else { 0.0 }, acc);
    if !serial && len >= SPLIT_MIN_LEN && rows < TARGET_SEGMENTS && x.bytes() <= dev.max_binding_bytes() {
        // Reduce-then-scan: segment totals, their scan, then every segment from its carry.
        let spr = len.div_ceil(SEGMENT_MIN).min(TARGET_SEGMENTS.div_ceil(rows));
        let spr = len.div_ceil(len.div_ceil(spr));
        if rows * spr <= max_groups {
            let op = if prod { ReduceOp::Prod } else { ReduceOp::Sum };
            let (totals, _) = gpu_reduce_pass(x, None, rows, len, spr, op, acc)?;
            let carries = gpu_scan_rows(&totals, rows, spr, prod)?;
            let kernel = Kernel::new("scan", &types).entry("segmented").constants(&constants);
            let seg_len = len.div_ceil(spr);
            let params = [(rows * spr) as u32, seg_len as u32, len as u32, spr as u32, ident, 0, 0];
            dev.launch(
                &kernel,
                &params,
                &[x.binding(), out.binding(), carries.binding()],
                rows * spr * GROUP,
            )?;
            return Ok(out);
        }
    }
    let mut r0 = 0;
    while r0 < rows {
        let n = per_launch.min(rows - r0);
        let (xb, x_base) = aligned_range(x, r0 * len, n * len);
        let (yb, y_base) = aligned_range(&out, r0 * len, n * len);
        let params = [n as u32, len as u32, x_base, y_base, ident];
        let threads = if serial { n } else { n * GROUP };
        dev.launch(&kernel, &params, &[xb, yb], threads)?;
        r0 += n;
    }
    Ok(out)
}

fn scan(x: &Tensor, axis: Option<i64>, dtype: Option<DType>, prod: bool) -> Result<Tensor> {
    let name = if prod { "cumprod" } else { "cumsum" };
    let dtype = dtype.unwrap_or(if x.dtype() == DType::Bool { DType::I32 } else { x.dtype() });
    if dtype == DType::Bool {
        return Err(Error::dtype(name, dtype, "a numeric dtype"));
    }
    let x = cast(x, dtype)?;
    let (x, axis) = match axis {
        None => (x.with_dims(&[x.numel()])?, 0),
        Some(a) => {
            let a = normalize_axis(name, a, x.rank())?;
            (x, a)
        }
    };
    let rank = x.rank();
    let len = x.dims()[axis];
    let rows = if len == 0 { 0 } else { x.numel() / len };
    // Move the axis last (a no-op when the axes after it are all size 1).
    let moved = x.dims()[axis + 1..].iter().any(|&d| d != 1);
    let perm: Vec<i64> =
        (0..rank).filter(|&d| d != axis).chain(std::iter::once(axis)).map(|d| d as i64).collect();
    let src = if moved { transpose(&x, Some(&perm))? } else { x.clone() };
    let storage = match src.storage() {
        Storage::Cpu(s) => Storage::Cpu(crate::with_cpu_storage!(s, v => cpu_scan_typed(v, len, prod))),
        Storage::Gpu(g) => {
            if rows == 0 {
                Storage::Gpu(GpuStorage::alloc(&g.device, name, dtype, 0)?)
            } else {
                Storage::Gpu(gpu_scan_rows(g, rows, len, prod)?)
            }
        }
    };
    let out = Tensor::from_storage(storage, src.dims())?;
    if moved {
        let mut inv = vec![0i64; rank];
        for (i, &p) in perm.iter().enumerate() {
            inv[p as usize] = i as i64;
        }
        transpose(&out, Some(&inv))
    } else {
        Ok(out)
    }
}

/// `keras.ops.cumsum(x, axis=None, dtype=None)`: axis None scans the flattened tensor; bools
/// accumulate as int32.
pub fn cumsum(x: &Tensor, axis: Option<i64>, dtype: Option<DType>) -> Result<Tensor> {
    scan(x, axis, dtype, false)
}

/// `keras.ops.cumprod(x, axis=None, dtype=None)`.
pub fn cumprod(x: &Tensor, axis: Option<i64>, dtype: Option<DType>) -> Result<Tensor> {
    scan(x, axis, dtype, true)
}

/// Reshapes `r`, reduced with keepdims over `axis`, to the shape without keepdims.
pub(crate) fn squeeze_reduced(x_dims: &[usize], r: &Tensor, axis: Option<&[i64]>) -> Result<Tensor> {
    let p = plan("squeeze", x_dims, axis, false)?;
    let shape: Vec<i64> = p.out_dims.iter().map(|&d| d as i64).collect();
    reshape(r, &shape)
}
