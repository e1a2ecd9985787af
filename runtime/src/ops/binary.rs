//! Elementwise functions of two tensors with NumPy broadcasting, comparisons, `where`, `clip`.

use rayon::prelude::*;

use crate::device::Kernel;
use crate::dtype::DType;
use crate::element::{CpuStorage, Element};
use crate::error::{Error, Result};
use crate::ops::cast::cast;
use crate::ops::chunks;
use crate::shape::{broadcast_shapes, broadcast_strides, collapse, numel, source_index};
use crate::tensor::{same_device, GpuStorage, Storage, Tensor};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Subtract,
    Multiply,
    Divide,
    Power,
    Maximum,
    Minimum,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Equal = 0,
    NotEqual = 1,
    Greater = 2,
    GreaterEqual = 3,
    Less = 4,
    LessEqual = 5,
    LogicalAnd = 6,
    LogicalOr = 7,
}

impl BinaryOp {
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Subtract => "subtract",
            BinaryOp::Multiply => "multiply",
            BinaryOp::Divide => "divide",
            BinaryOp::Power => "power",
            BinaryOp::Maximum => "maximum",
            BinaryOp::Minimum => "minimum",
        }
    }

    #[inline(always)]
    pub(crate) fn f64(self, a: f64, b: f64) -> f64 {
        match self {
            BinaryOp::Add => a + b,
            BinaryOp::Subtract => a - b,
            BinaryOp::Multiply => a * b,
            BinaryOp::Divide => a / b,
            BinaryOp::Power => a.powf(b),
            BinaryOp::Maximum => {
                if a.is_nan() || b.is_nan() {
                    f64::NAN
                } else {
                    a.max(b)
                }
            }
            BinaryOp::Minimum => {
                if a.is_nan() || b.is_nan() {
                    f64::NAN
                } else {
                    a.min(b)
                }
            }
        }
    }

    #[inline(always)]
    pub(crate) fn f32(self, a: f32, b: f32) -> f32 {
        match self {
            BinaryOp::Add => a + b,
            BinaryOp::Subtract => a - b,
            BinaryOp::Multiply => a * b,
            BinaryOp::Divide => a / b,
            BinaryOp::Power => a.powf(b),
            BinaryOp::Maximum => {
                if a.is_nan() || b.is_nan() {
                    f32::NAN
                } else {
                    a.max(b)
                }
            }
            BinaryOp::Minimum => {
                if a.is_nan() || b.is_nan() {
                    f32::NAN
                } else {
                    a.min(b)
                }
            }
        }
    }

    #[inline(always)]
    pub(crate) fn i64(self, a: i64, b: i64) -> i64 {
        match self {
            BinaryOp::Add => a.wrapping_add(b),
            BinaryOp::Subtract => a.wrapping_sub(b),
            BinaryOp::Multiply => a.wrapping_mul(b),
            BinaryOp::Divide => {
                if b == 0 {
                    0
                } else {
                    a / b
                }
            }
            BinaryOp::Power => int_power(a, b),
            BinaryOp::Maximum => a.max(b),
            BinaryOp::Minimum => a.min(b),
        }
    }
}

/// Integer power as JAX computes it: negative exponents give 0 except for bases 1 and -1.
#[inline]
fn int_power(a: i64, b: i64) -> i64 {
    if b < 0 {
        return match a {
            1 => 1,
            -1 => {
                if b % 2 == 0 {
                    1
                } else {
                    -1
                }
            }
            _ => 0,
        };
    }
    let (mut base, mut e, mut acc) = (a, b as u64, 1i64);
    while e > 0 {
        if e & 1 == 1 {
            acc = acc.wrapping_mul(base);
        }
        base = base.wrapping_mul(base);
        e >>= 1;
    }
    acc
}

impl CompareOp {
    pub fn name(self) -> &'static str {
        match self {
            CompareOp::Equal => "equal",
            CompareOp::NotEqual => "not_equal",
            CompareOp::Greater => "greater",
            CompareOp::GreaterEqual => "greater_equal",
            CompareOp::Less => "less",
            CompareOp::LessEqual => "less_equal",
            CompareOp::LogicalAnd => "logical_and",
            CompareOp::LogicalOr => "logical_or",
        }
    }

    #[inline(always)]
    pub(crate) fn f64(self, a: f64, b: f64) -> bool {
        match self {
            CompareOp::Equal => a == b,
            CompareOp::NotEqual => a != b,
            CompareOp::Greater => a > b,
            CompareOp::GreaterEqual => a >= b,
            CompareOp::Less => a < b,
            CompareOp::LessEqual => a <= b,
            CompareOp::LogicalAnd => a != 0.0 && b != 0.0,
            CompareOp::LogicalOr => a != 0.0 || b != 0.0,
        }
    }
}

/// Broadcast geometry of an elementwise op: output dims and each operand's strides, merged
/// where contiguous.
pub(crate) struct Broadcast {
    pub dims: Vec<usize>,
    pub out_dims: Vec<usize>,
    pub strides: Vec<Vec<usize>>,
}

impl Broadcast {
    pub(crate) fn of(op: &'static str, shapes: &[&[usize]]) -> Result<Broadcast> {
        let mut out = shapes[0].to_vec();
        for s in &shapes[1..] {
            out = broadcast_shapes(op, &out, s)?;
        }
        let strides: Vec<Vec<usize>> = shapes.iter().map(|s| broadcast_strides(s, &out)).collect();
        let (dims, strides) = collapse(&out, &strides);
        Ok(Broadcast { dims, out_dims: out, strides })
    }

    fn n(&self) -> usize {
        numel(&self.out_dims)
    }

    /// Whether every operand is contiguous along the one merged dim or a broadcast scalar.
    fn is_flat(&self) -> bool {
        self.dims.len() == 1 && self.strides.iter().all(|s| s[0] <= 1)
    }

    pub(crate) fn params(&self) -> Vec<u32> {
        let mut p = vec![self.n() as u32, self.dims.len() as u32];
        p.extend(self.dims.iter().map(|&d| d as u32));
        for s in &self.strides {
            p.extend(s.iter().map(|&d| d as u32));
        }
        p
    }

    /// Output element `i` of operand `k`'s flat index.
    fn index(&self, k: usize, i: usize) -> usize {
        source_index(i, &self.dims, &self.strides[k])
    }

    /// Evaluates `f` over the broadcast on the CPU.
    pub(crate) fn map2<A: Copy + Sync, B: Copy + Sync, O: Send>(
        &self,
        a: &[A],
        b: &[B],
        f: impl Fn(A, B) -> O + Sync,
    ) -> Vec<O> {
        let n = self.n();
        if self.is_flat() && a.len() == n && b.len() == n {
            return if n >= 1 << 15 {
                a.par_iter().zip(b.par_iter()).map(|(&x, &y)| f(x, y)).collect()
            } else {
                a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
            };
        }
        let go = |i: usize| f(a[self.index(0, i)], b[self.index(1, i)]);
        if n >= 1 << 15 {
            (0..n).into_par_iter().map(go).collect()
        } else {
            (0..n).map(go).collect()
        }
    }

    /// Launches a GPU kernel over the broadcast (bindings: operands in order, then `out`),
    /// splitting the flat case into several dispatches where a binding would be too large.
    pub(crate) fn launch(&self, kernel: &Kernel, inputs: &[&GpuStorage], out: &GpuStorage) -> Result<()> {
        // The flat case gets a kernel specialization that indexes without div/mod.
        let mut constants = kernel.constants.to_vec();
        constants.push(("FLAT", if self.is_flat() { 1.0 } else { 0.0 }));
        let kernel = &Kernel { constants: &constants, ..kernel.clone() };
        let dev = &out.device;
        let n = self.n();
        let widest = inputs.iter().map(|g| g.dtype.gpu_size()).chain([out.dtype.gpu_size()]).max().unwrap();
        if self.is_flat() && inputs.iter().any(|g| g.bytes() > dev.max_binding_bytes()) {
            for (start, len) in chunks(n, widest, dev.max_binding_bytes()) {
                let mut bindings: Vec<_> = inputs
                    .iter()
                    .map(|g| if g.len == 1 { g.binding() } else { g.binding_range(start, len) })
                    .collect();
                bindings.push(out.binding_range(start, len));
                let mut p = self.params();
                p[0] = len as u32;
                p[2] = len as u32;
                dev.launch(kernel, &p, &bindings, len)?;
            }
            return Ok(());
        }
        let mut bindings: Vec<_> = inputs.iter().map(|g| g.binding()).collect();
        bindings.push(out.binding());
        dev.launch(kernel, &self.params(), &bindings, n)
    }
}

fn cpu_binary(op: BinaryOp, bc: &Broadcast, a: &CpuStorage, b: &CpuStorage) -> CpuStorage {
    use half::{bf16, f16};
    match (a, b) {
        (CpuStorage::F32(x), CpuStorage::F32(y)) => CpuStorage::F32(bc.map2(x, y, |u, v| op.f32(u, v))),
        (CpuStorage::F64(x), CpuStorage::F64(y)) => CpuStorage::F64(bc.map2(x, y, |u, v| op.f64(u, v))),
        (CpuStorage::F16(x), CpuStorage::F16(y)) => {
            CpuStorage::F16(bc.map2(x, y, |u, v| f16::from_f32(op.f32(u.to_f32(), v.to_f32()))))
        }
        (CpuStorage::BF16(x), CpuStorage::BF16(y)) => {
            CpuStorage::BF16(bc.map2(x, y, |u, v| bf16::from_f32(op.f32(u.to_f32(), v.to_f32()))))
        }
        (CpuStorage::I32(x), CpuStorage::I32(y)) => {
            CpuStorage::I32(bc.map2(x, y, |u, v| op.i64(u as i64, v as i64) as i32))
        }
        (CpuStorage::U32(x), CpuStorage::U32(y)) => {
            CpuStorage::U32(bc.map2(x, y, |u, v| op.i64(u as i64, v as i64) as u32))
        }
        (CpuStorage::Bool(x), CpuStorage::Bool(y)) => {
            CpuStorage::Bool(bc.map2(x, y, |u, v| op.i64(u as i64, v as i64) != 0))
        }
        _ => unreachable!("operands are promoted to one dtype first"),
    }
}

fn cpu_compare(op: CompareOp, bc: &Broadcast, a: &CpuStorage, b: &CpuStorage) -> CpuStorage {
    fn go<T: Element>(op: CompareOp, bc: &Broadcast, x: &[T], y: &[T]) -> Vec<bool> {
        bc.map2(x, y, |u, v| op.f64(u.to_f64(), v.to_f64()))
    }
    CpuStorage::Bool(match (a, b) {
        (CpuStorage::F32(x), CpuStorage::F32(y)) => bc.map2(x, y, |u, v| op.f64(u as f64, v as f64)),
        (CpuStorage::F64(x), CpuStorage::F64(y)) => go(op, bc, x, y),
        (CpuStorage::F16(x), CpuStorage::F16(y)) => go(op, bc, x, y),
        (CpuStorage::BF16(x), CpuStorage::BF16(y)) => go(op, bc, x, y),
        (CpuStorage::I32(x), CpuStorage::I32(y)) => go(op, bc, x, y),
        (CpuStorage::U32(x), CpuStorage::U32(y)) => go(op, bc, x, y),
        (CpuStorage::Bool(x), CpuStorage::Bool(y)) => go(op, bc, x, y),
        _ => unreachable!("operands are promoted to one dtype first"),
    })
}

/// The GPU kernel family and op code of `op` on operands of `dtype`: `binary` computes in the
/// element type (`binary_T` of ops_generic.wgsl), `binary_float` in f32 (`binary_float` of
/// ops_float.wgsl). The fused kernels make the same choice.
pub(crate) fn gpu_binary_kernel(op: BinaryOp, dtype: DType) -> (&'static str, u32) {
    match op {
        BinaryOp::Add => ("binary", 0),
        BinaryOp::Subtract => ("binary", 1),
        BinaryOp::Multiply => ("binary", 2),
        BinaryOp::Maximum if dtype.is_float() => ("binary_float", 2),
        BinaryOp::Minimum if dtype.is_float() => ("binary_float", 3),
        BinaryOp::Maximum => ("binary", 3),
        BinaryOp::Minimum => ("binary", 4),
        BinaryOp::Divide => ("binary_float", 0),
        BinaryOp::Power if dtype.is_float() => ("binary_float", 1),
        BinaryOp::Power => ("binary", 5),
    }
}

/// Casts both operands to their promoted dtype.
fn promote(a: &Tensor, b: &Tensor, to: DType) -> Result<(Tensor, Tensor)> {
    Ok((cast(a, to)?, cast(b, to)?))
}

/// Applies `op` with broadcasting. Dtypes promote as in Keras; `divide` of integers gives float32.
pub fn binary(op: BinaryOp, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    same_device(op.name(), &[a, b])?;
    let mut dtype = DType::promote(a.dtype(), b.dtype());
    if op == BinaryOp::Divide && !dtype.is_float() {
        dtype = DType::F32;
    }
    if dtype == DType::Bool && matches!(op, BinaryOp::Subtract | BinaryOp::Divide | BinaryOp::Power) {
        return Err(Error::dtype(op.name(), dtype, "numeric operands"));
    }
    let (a, b) = promote(a, b, dtype)?;
    let bc = Broadcast::of(op.name(), &[a.dims(), b.dims()])?;
    let storage = match (a.storage(), b.storage()) {
        (Storage::Cpu(x), Storage::Cpu(y)) => Storage::Cpu(cpu_binary(op, &bc, x, y)),
        (Storage::Gpu(x), Storage::Gpu(y)) => {
            let out = GpuStorage::alloc(&x.device, op.name(), dtype, numel(&bc.out_dims))?;
            let gpu_dtype = if dtype == DType::Bool { DType::U32 } else { dtype };
            let types = [("T", gpu_dtype)];
            let (shader, code) = gpu_binary_kernel(op, dtype);
            let constants = [("OP", code as f64)];
            bc.launch(&Kernel::new(shader, &types).constants(&constants).op(op.name()), &[x, y], &out)?;
            if dtype == DType::Bool && matches!(op, BinaryOp::Add | BinaryOp::Multiply) {
                let t = Tensor::from_storage(
                    Storage::Gpu(GpuStorage { dtype: DType::U32, ..out }),
                    &bc.out_dims,
                )?;
                return cast(&t, DType::Bool);
            }
            Storage::Gpu(out)
        }
        _ => unreachable!("same_device checked"),
    };
    Tensor::from_storage(storage, &bc.out_dims)
}

/// Applies a comparison or logical op with broadcasting; the result is bool.
pub fn compare(op: CompareOp, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    same_device(op.name(), &[a, b])?;
    let dtype = DType::promote(a.dtype(), b.dtype());
    let (a, b) = promote(a, b, dtype)?;
    let bc = Broadcast::of(op.name(), &[a.dims(), b.dims()])?;
    let storage = match (a.storage(), b.storage()) {
        (Storage::Cpu(x), Storage::Cpu(y)) => Storage::Cpu(cpu_compare(op, &bc, x, y)),
        (Storage::Gpu(x), Storage::Gpu(y)) => {
            let out = GpuStorage::alloc(&x.device, op.name(), DType::Bool, numel(&bc.out_dims))?;
            let gpu_dtype = if dtype == DType::Bool { DType::U32 } else { dtype };
            let types = [("T", gpu_dtype)];
            let constants = [("OP", op as u32 as f64)];
            bc.launch(&Kernel::new("compare", &types).constants(&constants).op(op.name()), &[x, y], &out)?;
            Storage::Gpu(out)
        }
        _ => unreachable!("same_device checked"),
    };
    Tensor::from_storage(storage, &bc.out_dims)
}

/// `where(condition, x, y)`: elements of `x` where `condition` is true, else of `y`.
pub fn where_(condition: &Tensor, x: &Tensor, y: &Tensor) -> Result<Tensor> {
    same_device("where", &[condition, x, y])?;
    let dtype = DType::promote(x.dtype(), y.dtype());
    let (x, y) = promote(x, y, dtype)?;
    let c = cast(condition, DType::Bool)?;
    let bc = Broadcast::of("where", &[c.dims(), x.dims(), y.dims()])?;
    let n = numel(&bc.out_dims);
    let storage = match (c.storage(), x.storage(), y.storage()) {
        (Storage::Cpu(c), Storage::Cpu(xs), Storage::Cpu(ys)) => {
            let CpuStorage::Bool(cv) = c else { unreachable!("cast to bool") };
            fn go<T: Element>(bc: &Broadcast, c: &[bool], x: &[T], y: &[T]) -> Vec<T> {
                let n = numel(&bc.out_dims);
                (0..n)
                    .map(|i| if c[bc.index(0, i)] { x[bc.index(1, i)] } else { y[bc.index(2, i)] })
                    .collect()
            }
            Storage::Cpu(match (xs, ys) {
                (CpuStorage::F32(a), CpuStorage::F32(b)) => CpuStorage::F32(go(&bc, cv, a, b)),
                (CpuStorage::F64(a), CpuStorage::F64(b)) => CpuStorage::F64(go(&bc, cv, a, b)),
                (CpuStorage::F16(a), CpuStorage::F16(b)) => CpuStorage::F16(go(&bc, cv, a, b)),
                (CpuStorage::BF16(a), CpuStorage::BF16(b)) => CpuStorage::BF16(go(&bc, cv, a, b)),
                (CpuStorage::I32(a), CpuStorage::I32(b)) => CpuStorage::I32(go(&bc, cv, a, b)),
                (CpuStorage::U32(a), CpuStorage::U32(b)) => CpuStorage::U32(go(&bc, cv, a, b)),
                (CpuStorage::Bool(a), CpuStorage::Bool(b)) => CpuStorage::Bool(go(&bc, cv, a, b)),
                _ => unreachable!("promoted"),
            })
        }
        (Storage::Gpu(cg), Storage::Gpu(xg), Storage::Gpu(yg)) => {
            let out = GpuStorage::alloc(&xg.device, "where", dtype, n)?;
            let gpu_dtype = if dtype == DType::Bool { DType::U32 } else { dtype };
            let types = [("T", gpu_dtype)];
            bc.launch(&Kernel::new("where", &types).op("where"), &[cg, xg, yg], &out)?;
            Storage::Gpu(out)
        }
        _ => unreachable!("same_device checked"),
    };
    Tensor::from_storage(storage, &bc.out_dims)
}

/// `clip(x, x_min, x_max)`: `minimum(maximum(x, x_min), x_max)`, keeping x's dtype.
pub fn clip(x: &Tensor, x_min: f64, x_max: f64) -> Result<Tensor> {
    let dev = x.device();
    let lo = crate::ops::creation::full(&[], x_min, x.dtype(), &dev)?;
    let hi = crate::ops::creation::full(&[], x_max, x.dtype(), &dev)?;
    minimum(&maximum(x, &lo)?, &hi)
}

pub fn logical_not(x: &Tensor) -> Result<Tensor> {
    let zero = crate::ops::creation::zeros(&[], x.dtype(), &x.device())?;
    compare(CompareOp::Equal, x, &zero)
}

/// Classifies float elements by their bits: `which` 0 is isnan, 1 isfinite.
fn classify(x: &Tensor, which: u32, op: &'static str) -> Result<Tensor> {
    if !x.dtype().is_float() {
        return crate::ops::creation::full(x.dims(), which as f64, DType::Bool, &x.device());
    }
    let storage = match x.storage() {
        Storage::Cpu(s) => Storage::Cpu(CpuStorage::Bool(
            s.to_f64_vec().into_iter().map(|v| if which == 0 { v.is_nan() } else { v.is_finite() }).collect(),
        )),
        Storage::Gpu(g) => {
            let types = [("T", x.dtype())];
            let constants = [("OP", which as f64)];
            let kernel = Kernel::new("unary_float", &types).entry("classify").constants(&constants);
            Storage::Gpu(crate::ops::unary::gpu_map(&kernel, g, DType::Bool, &[], op)?)
        }
    };
    Tensor::from_storage(storage, x.dims())
}

pub fn isnan(x: &Tensor) -> Result<Tensor> {
    classify(x, 0, "isnan")
}

pub fn isfinite(x: &Tensor) -> Result<Tensor> {
    classify(x, 1, "isfinite")
}

macro_rules! binary_fns {
    ($kind:ident, $f:ident, $($name:ident => $op:ident),* $(,)?) => {
        $(
            #[doc = concat!("`keras.ops.", stringify!($name), "` with broadcasting")]
            pub fn $name(a: &Tensor, b: &Tensor) -> Result<Tensor> {
                $f($kind::$op, a, b)
            }
        )*
    };
}

binary_fns!(BinaryOp, binary, add => Add, subtract => Subtract, multiply => Multiply,
    divide => Divide, power => Power, maximum => Maximum, minimum => Minimum);
binary_fns!(CompareOp, compare, equal => Equal, not_equal => NotEqual, greater => Greater,
    greater_equal => GreaterEqual, less => Less, less_equal => LessEqual,
    logical_and => LogicalAnd, logical_or => LogicalOr);
