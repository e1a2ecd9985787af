//! Matrix products: `matmul`, `dot`, `tensordot`, `outer`, and the batched product with
//! transposed-operand flags that `einsum` and `tensordot` build on.
//!
//! CPU: the `gemm` crate for f32, f64 and f16 (bf16 through f32), a blocked loop for integers,
//! rayon over batch entries. GPU: `matmul.wgsl`, a tiled kernel (64x64 tiles, 4x4 per thread,
//! vec4 loads where aligned) reading transposed operands in place, and a GEMV kernel for M == 1
//! or N == 1. Batch dims broadcast with stride 0, so a broadcast operand is never copied.

use rayon::prelude::*;

use crate::device::{Binding, GpuDevice, Kernel};
use crate::dtype::DType;
use crate::element::CpuStorage;
use crate::error::{Error, Result};
use crate::ops::binary::{add, multiply};
use crate::ops::cast::cast;
use crate::ops::layout::transpose;
use crate::ops::unary::{unary, UnaryOp};
use crate::shape::{broadcast_shapes, broadcast_strides, collapse, normalize_axis, numel, source_index};
use crate::tensor::{same_device, GpuStorage, Storage, Tensor};

/// The shape of a batched product: `out[z] = op(A[z]) @ op(B[z])` with `A[z]` M x K (stored
/// transposed when `ta`) and `B[z]` K x N (stored transposed when `tb`).
#[derive(Debug, Clone)]
struct Gemm {
    m: usize,
    n: usize,
    k: usize,
    ta: bool,
    tb: bool,
    /// The broadcast batch dims of the output.
    batch: Vec<usize>,
    /// Merged batch dims and each operand's element strides along them (0 where broadcast).
    dims: Vec<usize>,
    a_strides: Vec<usize>,
    b_strides: Vec<usize>,
}

impl Gemm {
    fn count(&self) -> usize {
        numel(&self.batch)
    }

    fn offsets(&self, z: usize) -> (usize, usize) {
        (source_index(z, &self.dims, &self.a_strides), source_index(z, &self.dims, &self.b_strides))
    }

    /// Strides (row, column) of A as an M x K matrix and of B as K x N.
    fn a_rc(&self) -> (usize, usize) {
        if self.ta {
            (1, self.m)
        } else {
            (self.k, 1)
        }
    }

    fn b_rc(&self) -> (usize, usize) {
        if self.tb {
            (1, self.k)
        } else {
            (self.n, 1)
        }
    }
}

fn plan(op: &'static str, a: &[usize], b: &[usize], ta: bool, tb: bool) -> Result<Gemm> {
    if a.len() < 2 || b.len() < 2 {
        return Err(Error::shapes(op, a, b, "batched product needs operands of rank 2 or more"));
    }
    let (ra, rb) = (a.len(), b.len());
    let (m, ka) = if ta { (a[ra - 1], a[ra - 2]) } else { (a[ra - 2], a[ra - 1]) };
    let (kb, n) = if tb { (b[rb - 1], b[rb - 2]) } else { (b[rb - 2], b[rb - 1]) };
    if ka != kb {
        return Err(Error::shapes(op, a, b, format!("the contracted dimensions differ ({ka} and {kb})")));
    }
    let (ab, bb) = (&a[..ra - 2], &b[..rb - 2]);
    let batch = broadcast_shapes(op, ab, bb)
        .map_err(|_| Error::shapes(op, a, b, format!("batch dims {ab:?} and {bb:?} do not broadcast")))?;
    let scale = |s: Vec<usize>, size: usize| s.into_iter().map(|x| x * size).collect::<Vec<_>>();
    let sa = scale(broadcast_strides(ab, &batch), m * ka);
    let sb = scale(broadcast_strides(bb, &batch), ka * n);
    let (dims, strides) = collapse(&batch, &[sa, sb]);
    Ok(Gemm {
        m,
        n,
        k: ka,
        ta,
        tb,
        batch,
        dims,
        a_strides: strides[0].clone(),
        b_strides: strides[1].clone(),
    })
}

// ---------------------------------------------------------------------------------------------
// CPU

/// The float types `gemm` multiplies natively.
trait GemmFloat: Copy + Default + Send + Sync + 'static {
    const ONE: Self;

    /// An empty vector with room for `n` elements.
    fn alloc(n: usize) -> Vec<Self> {
        Vec::with_capacity(n)
    }
}

impl GemmFloat for f32 {
    const ONE: f32 = 1.0;

    fn alloc(n: usize) -> Vec<f32> {
        crate::element::f32_pool::take(n)
    }
}

impl GemmFloat for f64 {
    const ONE: f64 = 1.0;
}

impl GemmFloat for half::f16 {
    const ONE: half::f16 = half::f16::ONE;
}

/// Raw pointers moved into rayon tasks; every task writes its own disjoint output block.
#[derive(Clone, Copy)]
struct SendPtr<T>(*const T);
unsafe impl<T> Send for SendPtr<T> {}
unsafe impl<T> Sync for SendPtr<T> {}

/// Output elements (M x N x K multiply-adds) from which a single product is split over threads.
const GEMM_SPLIT_MIN: usize = 1 << 20;

fn cpu_gemm_float<T: GemmFloat>(g: &Gemm, a: &[T], b: &[T]) -> Vec<T> {
    let (m, n, k) = (g.m, g.n, g.k);
    let count = g.count();
    let mut out: Vec<T> = T::alloc(count * m * n);
    let (ars, acs) = g.a_rc();
    let (brs, bcs) = g.b_rc();
    let threads = rayon::current_num_threads();
    // Many small products: one task per batch entry. Few large ones: each product's output is
    // cut into one block per thread (rows when B is the smaller operand to re-read, else
    // columns), each block a single-threaded gemm. Every element is accumulated over K in the
    // same order as by one whole-matrix call (gemm's K blocking depends on K only), so the
    // values do not depend on the split.
    let per_batch = count >= threads && m * n * k < (1 << 21);
    let (pa, pb) = (SendPtr(a.as_ptr()), SendPtr(b.as_ptr()));
    let po = SendPtr(out.as_mut_ptr() as *const T);
    // One block: rows r0..r0 + rows, columns c0..c0 + cols of product z.
    let block = |z: usize, r0: usize, rows: usize, c0: usize, cols: usize| {
        let (oa, ob) = g.offsets(z);
        let (pa, pb, po) = (pa, pb, po);
        // SAFETY: `plan` checked the shapes, so every index `o + i * rs + j * cs` of the M x K
        // (K x N) matrix at offset `oa` (`ob`) lies inside `a` (`b`); the block lies inside
        // product z of `out` (capacity count * M * N), and blocks of different calls are disjoint.
        unsafe {
            gemm::gemm(
                rows,
                cols,
                k,
                (po.0 as *mut T).add(z * m * n + r0 * n + c0),
                1,
                n as isize,
                false,
                pa.0.add(oa + r0 * ars),
                acs as isize,
                ars as isize,
                pb.0.add(ob + c0 * bcs),
                bcs as isize,
                brs as isize,
                T::default(),
                T::ONE,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
    };
    if m * n == 0 {
    } else if per_batch {
        (0..count).into_par_iter().for_each(|z| block(z, 0, m, 0, n));
    } else if threads > 1 && m * n * k >= GEMM_SPLIT_MIN {
        let split_rows = m >= n;
        let (len, align) = if split_rows { (m, 16) } else { (n, 16) };
        let per = len.div_ceil(threads).next_multiple_of(align).min(len);
        for z in 0..count {
            (0..len.div_ceil(per)).into_par_iter().for_each(|p| {
                let (s, w) = (p * per, per.min(len - p * per));
                if split_rows {
                    block(z, s, w, 0, n)
                } else {
                    block(z, 0, m, s, w)
                }
            });
        }
    } else {
        (0..count).for_each(|z| block(z, 0, m, 0, n));
    }
    // SAFETY: with k == 0 gemm still writes every element (beta * 0 + alpha-free dst); the
    // blocks above cover every element of every product.
    unsafe { out.set_len(count * m * n) };
    out
}

/// Integer product with wrapping arithmetic: rows of the output in parallel, the K loop blocked
/// so a block of B rows stays in cache while it is swept.
fn cpu_gemm_int<T: Copy + Default + Send + Sync>(
    g: &Gemm,
    a: &[T],
    b: &[T],
    mul_add: impl Fn(T, T, T) -> T + Sync,
) -> Vec<T> {
    let (m, n, k) = (g.m, g.n, g.k);
    let mut out = vec![T::default(); g.count() * m * n];
    let (ars, acs) = g.a_rc();
    let (brs, bcs) = g.b_rc();
    const KB: usize = 256;
    out.par_chunks_mut(n).enumerate().for_each(|(row, dst)| {
        let (z, i) = (row / m, row % m);
        let (oa, ob) = g.offsets(z);
        for p0 in (0..k).step_by(KB) {
            for p in p0..(p0 + KB).min(k) {
                let x = a[oa + i * ars + p * acs];
                let brow = ob + p * brs;
                for (j, d) in dst.iter_mut().enumerate() {
                    *d = mul_add(*d, x, b[brow + j * bcs]);
                }
            }
        }
    });
    out
}

/// The product on the CPU; the typed kernels above assume a non-empty output and K > 0.
fn cpu_gemm(g: &Gemm, a: &CpuStorage, b: &CpuStorage) -> CpuStorage {
    if g.m == 0 || g.n == 0 || g.k == 0 || g.count() == 0 {
        return CpuStorage::zeros(a.dtype(), g.count() * g.m * g.n);
    }
    match (a, b) {
        (CpuStorage::F32(x), CpuStorage::F32(y)) => CpuStorage::F32(cpu_gemm_float(g, x, y)),
        (CpuStorage::F64(x), CpuStorage::F64(y)) => CpuStorage::F64(cpu_gemm_float(g, x, y)),
        (CpuStorage::F16(x), CpuStorage::F16(y)) => CpuStorage::F16(cpu_gemm_float(g, x, y)),
        (CpuStorage::BF16(_), CpuStorage::BF16(_)) => {
            cpu_gemm(g, &a.cast(DType::F32), &b.cast(DType::F32)).cast(DType::BF16)
        }
        (CpuStorage::I32(x), CpuStorage::I32(y)) => {
            CpuStorage::I32(cpu_gemm_int(g, x, y, |d, u, v| d.wrapping_add(u.wrapping_mul(v))))
        }
        (CpuStorage::U32(x), CpuStorage::U32(y)) => {
            CpuStorage::U32(cpu_gemm_int(g, x, y, |d, u, v| d.wrapping_add(u.wrapping_mul(v))))
        }
        (CpuStorage::Bool(x), CpuStorage::Bool(y)) => {
            CpuStorage::Bool(cpu_gemm_int(g, x, y, |d, u, v| d || (u && v)))
        }
        _ => unreachable!("operands are promoted to one dtype first"),
    }
}

// ---------------------------------------------------------------------------------------------
// GPU

/// A whole-tensor binding rounded up to 16 bytes, so the kernel can read it as `array<vec4<T>>`
/// (pool buffers are at least 256 bytes and power-of-two sized, so the range exists).
fn vec4_binding(g: &GpuStorage) -> Binding<'_> {
    let mut b = g.binding();
    b.size = b.size.next_multiple_of(16).min(g.buffer.capacity());
    b
}

fn batch_params(g: &Gemm, a_strides: &[usize], b_strides: &[usize]) -> Vec<u32> {
    let mut p = vec![g.dims.len() as u32];
    p.extend(g.dims.iter().map(|&d| d as u32));
    p.extend(a_strides.iter().map(|&d| d as u32));
    p.extend(b_strides.iter().map(|&d| d as u32));
    p
}

fn check_u32(op: &'static str, what: &str, v: usize) -> Result<()> {
    if v > u32::MAX as usize {
        return Err(Error::Limit {
            op,
            msg: format!("{what} of {v} elements exceeds the GPU's 32-bit indexing"),
        });
    }
    Ok(())
}

/// The epilogue of a fused product on the GPU: the activation and the bias buffer, if any.
#[derive(Clone, Copy)]
struct GpuEpilogue<'a> {
    act: Epilogue,
    bias: Option<&'a GpuStorage>,
}

impl GpuEpilogue<'_> {
    fn constants(&self, bias_rows: bool) -> [(&'static str, f64); 3] {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        [("EPI", self.act.code() as f64), ("BIAS", flag(self.bias.is_some())), ("BIAS_ROWS", flag(bias_rows))]
    }
}

fn gpu_gemm(op: &'static str, g: &Gemm, a: &GpuStorage, b: &GpuStorage, dtype: DType) -> Result<GpuStorage> {
    gpu_gemm_epilogue(op, g, a, b, dtype, None)
}

/// The product on the GPU, with the fused entry points when `epi` is given (then K > 0).
fn gpu_gemm_epilogue(
    op: &'static str,
    g: &Gemm,
    a: &GpuStorage,
    b: &GpuStorage,
    dtype: DType,
    epi: Option<GpuEpilogue>,
) -> Result<GpuStorage> {
    let dev = &a.device;
    let count = g.count();
    let out = GpuStorage::alloc(dev, op, dtype, count * g.m * g.n)?;
    if out.len == 0 {
        return Ok(out);
    }
    if g.k == 0 {
        dev.clear(out.buffer.buffer(), out.bytes())?;
        return Ok(out);
    }
    for (what, v) in [("operand", a.len), ("operand", b.len), ("result", out.len)] {
        check_u32(op, what, v)?;
    }
    let types = [("T", dtype)];
    let max = dev.max_workgroups_per_dim() as usize;
    if g.m == 1 || g.n == 1 {
        // GEMV: the vector operand first, then the matrix W(i, k) = element i * wi + k * wk.
        let (rows, vec_op, mat_op, v_str, w_str, wi, wk) = if g.m == 1 {
            let (brs, bcs) = g.b_rc();
            (g.n, a, b, &g.a_strides, &g.b_strides, bcs, brs)
        } else {
            let (ars, acs) = g.a_rc();
            (g.m, b, a, &g.b_strides, &g.a_strides, ars, acs)
        };
        let groups = rows.div_ceil(64);
        let gx = groups.min(max);
        let gy = groups.div_ceil(gx);
        if gy > max {
            return Err(Error::Limit {
                op,
                msg: format!("{rows} rows need {groups} workgroups, over {max} x {max}"),
            });
        }
        let head = [rows as u32, g.k as u32, wi as u32, wk as u32];
        let mut bindings = vec![vec4_binding(vec_op), vec4_binding(mat_op), out.binding()];
        let constants;
        let kernel = match &epi {
            None => Kernel::new("matmul", &types).entry("gemv"),
            Some(e) => {
                // Without a bias the fused entry still needs binding 4: the vector, unread.
                bindings.push(e.bias.map_or_else(|| vec4_binding(vec_op), |x| x.binding()));
                constants = e.constants(g.m == 1);
                Kernel::new("matmul", &types).entry("gemv_fused").constants(&constants)
            }
        };
        launch_batches(dev, &kernel, g, &head, (v_str, w_str), &bindings, [gx, gy])?;
        return Ok(out);
    }
    // Vec4 loads need the operand's contiguous dimension to be a multiple of 4 (then every
    // row start and batch offset is too).
    let va = if g.ta { g.m % 4 == 0 } else { g.k % 4 == 0 };
    let vb = if g.tb { g.k % 4 == 0 } else { g.n % 4 == 0 };
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    let mut constants = vec![("TA", flag(g.ta)), ("TB", flag(g.tb)), ("VA", flag(va)), ("VB", flag(vb))];
    let mut bindings = vec![vec4_binding(a), vec4_binding(b), out.binding()];
    let entry = match &epi {
        None => "main",
        Some(e) => {
            constants.extend_from_slice(&e.constants(true)[..2]);
            bindings.push(e.bias.map_or_else(|| vec4_binding(a), |x| x.binding()));
            "fused"
        }
    };
    let kernel = Kernel::new("matmul", &types).entry(entry).constants(&constants);
    let (gx, gy) = (g.n.div_ceil(64), g.m.div_ceil(64));
    if gx > max || gy > max {
        return Err(Error::Limit {
            op,
            msg: format!("a {} x {} product needs a grid of {gy} x {gx} tiles, over {max}", g.m, g.n),
        });
    }
    let head = [g.m as u32, g.n as u32, g.k as u32];
    launch_batches(dev, &kernel, g, &head, (&g.a_strides, &g.b_strides), &bindings, [gx, gy])?;
    Ok(out)
}

/// Launches a product kernel on a grid of `groups` x (batch entries), in chunks of at most the
/// device's z limit: params are `head`, the chunk's first batch entry, then the batch geometry.
fn launch_batches(
    dev: &GpuDevice,
    kernel: &Kernel,
    g: &Gemm,
    head: &[u32],
    strides: (&[usize], &[usize]),
    bindings: &[Binding],
    groups: [usize; 2],
) -> Result<()> {
    let (count, max) = (g.count(), dev.max_workgroups_per_dim() as usize);
    let tail = batch_params(g, strides.0, strides.1);
    for start in (0..count).step_by(max) {
        let z = (count - start).min(max);
        let mut p = head.to_vec();
        p.push(start as u32);
        p.extend_from_slice(&tail);
        dev.launch_groups(kernel, &p, bindings, [groups[0] as u32, groups[1] as u32, z as u32])?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The batched product everything else is built on

/// `op(a) @ op(b)` over broadcast batch dims, where `a` is `[..., M, K]` (or `[..., K, M]` when
/// `ta`) and `b` is `[..., K, N]` (or `[..., N, K]` when `tb`), both of rank 2 or more and of
/// one dtype. The result is `[batch..., M, N]`.
pub(crate) fn matmul_transposed(
    op: &'static str,
    a: &Tensor,
    b: &Tensor,
    ta: bool,
    tb: bool,
) -> Result<Tensor> {
    same_device(op, &[a, b])?;
    let dtype = a.dtype();
    if b.dtype() != dtype {
        return Err(Error::dtype(op, b.dtype(), format!("{dtype} like the first operand")));
    }
    let g = plan(op, a.dims(), b.dims(), ta, tb)?;
    let mut dims = g.batch.clone();
    dims.extend([g.m, g.n]);
    let storage = match (a.storage(), b.storage()) {
        (Storage::Cpu(x), Storage::Cpu(y)) => Storage::Cpu(cpu_gemm(&g, x, y)),
        (Storage::Gpu(x), Storage::Gpu(y)) => {
            if dtype == DType::Bool {
                // Products of bools as int32 counts, then nonzero.
                let r = matmul_transposed(op, &cast(a, DType::I32)?, &cast(b, DType::I32)?, ta, tb)?;
                return cast(&r, DType::Bool);
            }
            Storage::Gpu(gpu_gemm(op, &g, x, y, dtype)?)
        }
        _ => unreachable!("same_device checked"),
    };
    Tensor::from_storage(storage, &dims)
}

/// Casts two operands to their Keras result dtype.
fn promote_pair(a: &Tensor, b: &Tensor) -> Result<(Tensor, Tensor)> {
    let dtype = DType::promote(a.dtype(), b.dtype());
    Ok((cast(a, dtype)?, cast(b, dtype)?))
}

/// `keras.ops.matmul(x1, x2)` with NumPy rules: a 1-D `x1` is a row vector and a 1-D `x2` a
/// column vector (their added dim is dropped from the result), batch dims broadcast
/// (`[2, 1, 3, 4] @ [5, 4, 6]` is `[2, 5, 3, 6]`). Integer operands give an integer result.
pub fn matmul(x1: &Tensor, x2: &Tensor) -> Result<Tensor> {
    const OP: &str = "matmul";
    same_device(OP, &[x1, x2])?;
    if x1.rank() == 0 || x2.rank() == 0 {
        return Err(Error::shapes(
            OP,
            x1.dims(),
            x2.dims(),
            "operands must be at least 1-D (use multiply for scalars)",
        ));
    }
    let (a, b) = promote_pair(x1, x2)?;
    let a = if a.rank() == 1 { a.with_dims(&[1, a.dims()[0]])? } else { a };
    let b = if b.rank() == 1 { b.with_dims(&[b.dims()[0], 1])? } else { b };
    let ka = a.dims()[a.rank() - 1];
    let kb = b.dims()[b.rank() - 2];
    if ka != kb {
        return Err(Error::shapes(
            OP,
            x1.dims(),
            x2.dims(),
            format!("the last dim of x1 ({ka}) must equal the second-to-last dim of x2 ({kb})"),
        ));
    }
    let r = matmul_transposed(OP, &a, &b, false, false).map_err(|e| match e {
        Error::ShapeMismatch { msg, .. } => Error::shapes(OP, x1.dims(), x2.dims(), msg),
        other => other,
    })?;
    let mut dims = r.dims().to_vec();
    let at = dims.len() - 2;
    if x2.rank() == 1 {
        dims.pop();
    }
    if x1.rank() == 1 {
        dims.remove(at);
    }
    r.with_dims(&dims)
}

/// The activation a fused product applies in its write ([`matmul_fused`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Epilogue {
    Linear,
    Relu,
    Sigmoid,
    Tanh,
}

impl Epilogue {
    /// `EPI` in matmul.wgsl.
    fn code(self) -> u32 {
        match self {
            Epilogue::Linear => 0,
            Epilogue::Relu => 1,
            Epilogue::Sigmoid => 2,
            Epilogue::Tanh => 3,
        }
    }

    fn unary(self) -> Option<UnaryOp> {
        match self {
            Epilogue::Linear => None,
            Epilogue::Relu => Some(UnaryOp::Relu),
            Epilogue::Sigmoid => Some(UnaryOp::Sigmoid),
            Epilogue::Tanh => Some(UnaryOp::Tanh),
        }
    }
}

/// Adds the bias row (when given) and applies the activation to a row-major M x N output, in
/// parallel row blocks: `map(value, bias)` does both for one element.
fn cpu_epilogue_rows<T: Copy + Send + Sync>(
    out: &mut [T],
    n: usize,
    bias: Option<&[T]>,
    map: impl Fn(T, Option<T>) -> T + Sync,
) {
    if n == 0 || out.is_empty() {
        return;
    }
    let rows_per_task = (PAR_EPILOGUE / n).max(1);
    let run = |block: &mut [T]| {
        for row in block.chunks_mut(n) {
            match bias {
                Some(b) => row.iter_mut().zip(b).for_each(|(x, &c)| *x = map(*x, Some(c))),
                None => row.iter_mut().for_each(|x| *x = map(*x, None)),
            }
        }
    };
    // Small outputs on the calling thread: a split saves less than waking a worker costs.
    if out.len() < 4 * PAR_EPILOGUE {
        run(out);
    } else {
        out.par_chunks_mut(rows_per_task * n).for_each(run);
    }
}

/// Elements per rayon task of the CPU epilogue.
const PAR_EPILOGUE: usize = 1 << 14;

/// The CPU epilogue over a product's output (float dtypes, and ints with linear or relu).
fn cpu_epilogue(out: &mut CpuStorage, n: usize, bias: Option<&CpuStorage>, act: Epilogue) {
    use half::{bf16, f16};
    let u = act.unary();
    let f32_act = |x: f32| u.map_or(x, |op| op.apply::<f32>(x));
    match out {
        CpuStorage::F32(o) => {
            let b = match bias {
                Some(CpuStorage::F32(b)) => Some(b.as_slice()),
                _ => None,
            };
            // One loop per (activation, bias) pair, so each one vectorizes.
            macro_rules! rows {
                ($act:expr) => {
                    match b {
                        Some(b) => cpu_epilogue_rows(o, n, Some(b), |x, c| $act(x + c.unwrap_or(0.0))),
                        None => cpu_epilogue_rows(o, n, None, |x, _| $act(x)),
                    }
                };
            }
            match act {
                Epilogue::Linear => rows!(|x: f32| x),
                Epilogue::Relu => rows!(|x: f32| UnaryOp::Relu.apply::<f32>(x)),
                _ => rows!(f32_act),
            }
        }
        CpuStorage::F64(o) => {
            let b = match bias {
                Some(CpuStorage::F64(b)) => Some(b.as_slice()),
                _ => None,
            };
            let f = |x: f64| u.map_or(x, |op| op.apply::<f64>(x));
            cpu_epilogue_rows(o, n, b, |x, c| f(c.map_or(x, |c| x + c)));
        }
        CpuStorage::F16(o) => {
            let b = match bias {
                Some(CpuStorage::F16(b)) => Some(b.as_slice()),
                _ => None,
            };
            // Rounded after the add and after the activation, as the eager chain does.
            cpu_epilogue_rows(o, n, b, |x, c| {
                let x = c.map_or(x, |c| f16::from_f32(x.to_f32() + c.to_f32()));
                u.map_or(x, |op| f16::from_f32(op.apply::<f32>(x.to_f32())))
            });
        }
        CpuStorage::BF16(o) => {
            let b = match bias {
                Some(CpuStorage::BF16(b)) => Some(b.as_slice()),
                _ => None,
            };
            cpu_epilogue_rows(o, n, b, |x, c| {
                let x = c.map_or(x, |c| bf16::from_f32(x.to_f32() + c.to_f32()));
                u.map_or(x, |op| bf16::from_f32(op.apply::<f32>(x.to_f32())))
            });
        }
        CpuStorage::I32(o) => {
            let b = match bias {
                Some(CpuStorage::I32(b)) => Some(b.as_slice()),
                _ => None,
            };
            let relu = act == Epilogue::Relu;
            cpu_epilogue_rows(o, n, b, |x, c| {
                let x = c.map_or(x, |c| x.wrapping_add(c));
                if relu {
                    x.max(0)
                } else {
                    x
                }
            });
        }
        CpuStorage::U32(o) => {
            // relu of an unsigned value is the value.
            if let Some(CpuStorage::U32(b)) = bias {
                cpu_epilogue_rows(o, n, Some(b.as_slice()), |x, c| c.map_or(x, |c| x.wrapping_add(c)));
            }
        }
        CpuStorage::Bool(_) => unreachable!("bool products take the eager chain"),
    }
}

/// `activation(op(a) @ op(b) + bias)` in one product, the Dense layer and its gradients:
/// `a` and `b` are 2-D, `op` transposes an operand in place when its flag is set (no copy),
/// `bias` has shape `[N]` and is broadcast over the rows. The result equals
/// `activation(add(matmul(op(a), op(b)), bias))` of the eager ops.
///
/// Operands and bias share one dtype. Floats are fused on both backends (f32, f64, f16, bf16 on
/// the CPU; f32 and f16, where the adapter has it, on the GPU); int32/uint32 are fused for
/// `Linear` and `Relu` (wrapping bias add). Sigmoid/tanh of integer products and every bool
/// product run as the eager chain (their result dtype is the eager one).
pub fn matmul_fused(
    a: &Tensor,
    b: &Tensor,
    transpose_a: bool,
    transpose_b: bool,
    bias: Option<&Tensor>,
    activation: Epilogue,
) -> Result<Tensor> {
    const OP: &str = "matmul_fused";
    let mut tensors = vec![a, b];
    tensors.extend(bias);
    same_device(OP, &tensors)?;
    if a.rank() != 2 || b.rank() != 2 {
        return Err(Error::shapes(OP, a.dims(), b.dims(), "operands must be 2-D matrices"));
    }
    let dtype = a.dtype();
    for (what, t) in [("b", Some(b)), ("bias", bias)] {
        if let Some(t) = t {
            if t.dtype() != dtype {
                return Err(Error::dtype(OP, t.dtype(), format!("{dtype} like a (for {what})")));
            }
        }
    }
    let g = plan(OP, a.dims(), b.dims(), transpose_a, transpose_b).map_err(|e| match e {
        Error::ShapeMismatch { msg, .. } => Error::shapes(
            OP,
            a.dims(),
            b.dims(),
            format!("{msg} (transpose_a={transpose_a}, transpose_b={transpose_b})"),
        ),
        other => other,
    })?;
    if let Some(c) = bias {
        if c.dims() != [g.n] {
            return Err(Error::shapes(
                OP,
                a.dims(),
                b.dims(),
                format!("bias must have shape [{}] (the result's columns), got {:?}", g.n, c.dims()),
            ));
        }
    }
    let plain_int =
        matches!(dtype, DType::I32 | DType::U32) && matches!(activation, Epilogue::Linear | Epilogue::Relu);
    let eager_chain = !(dtype.is_float() || plain_int) || (a.device().is_gpu() && g.k == 0);
    if eager_chain {
        let mut r = matmul_transposed(OP, a, b, transpose_a, transpose_b)?;
        if let Some(c) = bias {
            r = add(&r, c)?;
        }
        return match activation.unary() {
            Some(op) => unary(op, &r),
            None => Ok(r),
        };
    }
    let storage = match (a.storage(), b.storage()) {
        (Storage::Cpu(x), Storage::Cpu(y)) => {
            let mut out = cpu_gemm(&g, x, y);
            let bias = bias.map(|c| match c.storage() {
                Storage::Cpu(s) => s,
                _ => unreachable!("same_device checked"),
            });
            if bias.is_some() || activation != Epilogue::Linear {
                cpu_epilogue(&mut out, g.n, bias, activation);
            }
            Storage::Cpu(out)
        }
        (Storage::Gpu(x), Storage::Gpu(y)) => {
            x.device.check_dtype(OP, dtype)?;
            let bias = bias.and_then(|c| c.gpu());
            let epi = (bias.is_some() || activation != Epilogue::Linear)
                .then_some(GpuEpilogue { act: activation, bias });
            Storage::Gpu(gpu_gemm_epilogue(OP, &g, x, y, dtype, epi)?)
        }
        _ => unreachable!("same_device checked"),
    };
    Tensor::from_storage(storage, &[g.m, g.n])
}

/// Contracts axes `con_a` of `a` with axes `con_b` of `b` (paired, equal sizes), batching over
/// the paired axes `bat_a` / `bat_b` (equal sizes). The result's dims are the batch dims, then
/// `a`'s remaining axes, then `b`'s, each in their original order. Operands that are already in
/// one of the two layouts a batched product reads (`[batch, free, con]` or `[batch, con, free]`)
/// are not copied.
pub(crate) fn contract(
    op: &'static str,
    a: &Tensor,
    b: &Tensor,
    bat_a: &[usize],
    bat_b: &[usize],
    con_a: &[usize],
    con_b: &[usize],
) -> Result<Tensor> {
    let (da, db) = (a.dims(), b.dims());
    let free_a: Vec<usize> = (0..a.rank()).filter(|i| !bat_a.contains(i) && !con_a.contains(i)).collect();
    let free_b: Vec<usize> = (0..b.rank()).filter(|i| !bat_b.contains(i) && !con_b.contains(i)).collect();
    for (&i, &j) in bat_a.iter().zip(bat_b).chain(con_a.iter().zip(con_b)) {
        if da[i] != db[j] {
            return Err(Error::shapes(
                op,
                da,
                db,
                format!(
                    "axis {i} of the first operand ({}) and axis {j} of the second ({}) differ",
                    da[i], db[j]
                ),
            ));
        }
    }
    let size = |d: &[usize], axes: &[usize]| axes.iter().map(|&i| d[i]).product::<usize>();
    let (nb, m, k, n) = (size(da, bat_a), size(da, &free_a), size(da, con_a), size(db, &free_b));
    let cat = |parts: &[&[usize]]| parts.concat();
    let is_identity = |p: &[usize]| p.iter().enumerate().all(|(i, &x)| i == x);
    let arrange = |t: &Tensor, order: &[usize]| -> Result<Tensor> {
        if is_identity(order) {
            Ok(t.clone())
        } else {
            let axes: Vec<i64> = order.iter().map(|&x| x as i64).collect();
            transpose(t, Some(&axes))
        }
    };
    let a_plain = cat(&[bat_a, &free_a, con_a]);
    let a_trans = cat(&[bat_a, con_a, &free_a]);
    let (a3, ta) = if !is_identity(&a_plain) && is_identity(&a_trans) {
        (a.with_dims(&[nb, k, m])?, true)
    } else {
        (arrange(a, &a_plain)?.with_dims(&[nb, m, k])?, false)
    };
    let b_plain = cat(&[bat_b, con_b, &free_b]);
    let b_trans = cat(&[bat_b, &free_b, con_b]);
    let (b3, tb) = if !is_identity(&b_plain) && is_identity(&b_trans) {
        (b.with_dims(&[nb, n, k])?, true)
    } else {
        (arrange(b, &b_plain)?.with_dims(&[nb, k, n])?, false)
    };
    let r = matmul_transposed(op, &a3, &b3, ta, tb)?;
    let mut dims: Vec<usize> = bat_a.iter().map(|&i| da[i]).collect();
    dims.extend(free_a.iter().map(|&i| da[i]));
    dims.extend(free_b.iter().map(|&i| db[i]));
    r.with_dims(&dims)
}

/// Axes given as an int (the last `n` of `x1` with the first `n` of `x2`) or as a pair of lists.
#[derive(Debug, Clone, PartialEq)]
pub enum TensordotAxes {
    Count(usize),
    Pair(Vec<i64>, Vec<i64>),
}

impl From<usize> for TensordotAxes {
    fn from(n: usize) -> Self {
        TensordotAxes::Count(n)
    }
}

impl From<(Vec<i64>, Vec<i64>)> for TensordotAxes {
    fn from(p: (Vec<i64>, Vec<i64>)) -> Self {
        TensordotAxes::Pair(p.0, p.1)
    }
}

/// `keras.ops.tensordot(x1, x2, axes)`: sums products over the given axes; the result has
/// `x1`'s other axes followed by `x2`'s.
pub fn tensordot(x1: &Tensor, x2: &Tensor, axes: impl Into<TensordotAxes>) -> Result<Tensor> {
    const OP: &str = "tensordot";
    same_device(OP, &[x1, x2])?;
    let (ra, rb) = (x1.rank(), x2.rank());
    let (ca, cb): (Vec<usize>, Vec<usize>) = match axes.into() {
        TensordotAxes::Count(n) => {
            if n > ra || n > rb {
                return Err(Error::shapes(
                    OP,
                    x1.dims(),
                    x2.dims(),
                    format!("axes={n} exceeds the rank of an operand"),
                ));
            }
            ((ra - n..ra).collect(), (0..n).collect())
        }
        TensordotAxes::Pair(a, b) => {
            if a.len() != b.len() {
                return Err(Error::arg(OP, format!("axes {a:?} and {b:?} have different lengths")));
            }
            let na = a.iter().map(|&x| normalize_axis(OP, x, ra)).collect::<Result<Vec<_>>>()?;
            let nb = b.iter().map(|&x| normalize_axis(OP, x, rb)).collect::<Result<Vec<_>>>()?;
            for (list, orig) in [(&na, &a), (&nb, &b)] {
                let mut s = list.clone();
                s.sort_unstable();
                s.dedup();
                if s.len() != list.len() {
                    return Err(Error::arg(OP, format!("axes {orig:?} repeat an axis")));
                }
            }
            (na, nb)
        }
    };
    let (a, b) = promote_pair(x1, x2)?;
    contract(OP, &a, &b, &[], &[], &ca, &cb)
}

/// `keras.ops.dot(x1, x2)` as NumPy: a product with a scalar, the inner product of vectors,
/// else a sum over the last axis of `x1` and the second-to-last of `x2` (the last if 1-D).
pub fn dot(x1: &Tensor, x2: &Tensor) -> Result<Tensor> {
    const OP: &str = "dot";
    same_device(OP, &[x1, x2])?;
    if x1.rank() == 0 || x2.rank() == 0 {
        return multiply(x1, x2);
    }
    let (a, b) = promote_pair(x1, x2)?;
    let ca = a.rank() - 1;
    let cb = if b.rank() == 1 { 0 } else { b.rank() - 2 };
    let (ka, kb) = (a.dims()[ca], b.dims()[cb]);
    if ka != kb {
        return Err(Error::shapes(
            OP,
            x1.dims(),
            x2.dims(),
            format!("the last dim of x1 ({ka}) must equal dim {cb} of x2 ({kb})"),
        ));
    }
    contract(OP, &a, &b, &[], &[], &[ca], &[cb])
}

/// `keras.ops.outer(x1, x2)`: both flattened, `out[i, j] = x1[i] * x2[j]`.
pub fn outer(x1: &Tensor, x2: &Tensor) -> Result<Tensor> {
    same_device("outer", &[x1, x2])?;
    let a = x1.with_dims(&[x1.numel(), 1])?;
    let b = x2.with_dims(&[1, x2.numel()])?;
    multiply(&a, &b)
}

/// Sums `x` over `axes` (a matrix-vector product with ones); the other axes keep their order.
pub(crate) fn sum_axes_by_product(op: &'static str, x: &Tensor, axes: &[usize]) -> Result<Tensor> {
    if axes.is_empty() {
        return Ok(x.clone());
    }
    let keep: Vec<usize> = (0..x.rank()).filter(|i| !axes.contains(i)).collect();
    let sizes: Vec<usize> = axes.iter().map(|&i| x.dims()[i]).collect();
    let ones = crate::ops::creation::ones(&sizes, x.dtype(), &x.device())?;
    let r = contract(op, x, &ones, &[], &[], axes, &(0..axes.len()).collect::<Vec<_>>())?;
    r.with_dims(&keep.iter().map(|&i| x.dims()[i]).collect::<Vec<_>>())
}
