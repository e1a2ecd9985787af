//! Elementwise functions of one tensor (`keras.ops.exp`, `abs`, ...).

use rayon::prelude::*;

use crate::device::Kernel;
use crate::dtype::DType;
use crate::element::CpuStorage;
use crate::error::{Error, Result};
use crate::ops::cast::cast;
use crate::ops::chunks;
use crate::tensor::{GpuStorage, Storage, Tensor};

/// The unary functions. The discriminant is the op code of `unary_float.wgsl`/`unary_int.wgsl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Negative = 0,
    Abs = 1,
    Sign = 2,
    Exp = 3,
    Expm1 = 4,
    Log = 5,
    Log1p = 6,
    Sqrt = 7,
    Rsqrt = 8,
    Square = 9,
    Reciprocal = 10,
    Sin = 11,
    Cos = 12,
    Tan = 13,
    Tanh = 14,
    Sigmoid = 15,
    Relu = 16,
    Softplus = 17,
    Erf = 18,
    Floor = 19,
    Ceil = 20,
    Round = 21,
}

impl UnaryOp {
    pub fn name(self) -> &'static str {
        use UnaryOp::*;
        match self {
            Negative => "negative",
            Abs => "abs",
            Sign => "sign",
            Exp => "exp",
            Expm1 => "expm1",
            Log => "log",
            Log1p => "log1p",
            Sqrt => "sqrt",
            Rsqrt => "rsqrt",
            Square => "square",
            Reciprocal => "reciprocal",
            Sin => "sin",
            Cos => "cos",
            Tan => "tan",
            Tanh => "tanh",
            Sigmoid => "sigmoid",
            Relu => "relu",
            Softplus => "softplus",
            Erf => "erf",
            Floor => "floor",
            Ceil => "ceil",
            Round => "round",
        }
    }

    /// Whether integer inputs keep their dtype (else they are cast to float32, as Keras does).
    fn keeps_int(self) -> bool {
        matches!(
            self,
            UnaryOp::Negative
                | UnaryOp::Abs
                | UnaryOp::Sign
                | UnaryOp::Square
                | UnaryOp::Relu
                | UnaryOp::Round
        )
    }

    /// The function in the float type `F` (f32 for f32/f16/bf16 tensors, f64 for f64 ones).
    pub(crate) fn apply<F: UnaryFloat>(self, x: F) -> F {
        use UnaryOp::*;
        let (zero, one) = (F::zero(), F::one());
        match self {
            Negative => -x,
            Abs => x.abs(),
            Sign if x.is_nan() => x,
            Sign if x == zero => zero,
            Sign => x.signum(),
            Exp => x.exp(),
            Expm1 => x.exp_m1(),
            Log => x.ln(),
            Log1p => x.ln_1p(),
            Sqrt => x.sqrt(),
            Rsqrt => one / x.sqrt(),
            Square => x * x,
            Reciprocal => one / x,
            Sin => x.sin(),
            Cos => x.cos(),
            Tan => x.tan(),
            Tanh => x.tanh(),
            Sigmoid if x >= zero => one / (one + (-x).exp()),
            Sigmoid => {
                let e = x.exp();
                e / (one + e)
            }
            Relu if x > zero || x.is_nan() => x,
            Relu => zero,
            Softplus => x.max(zero) + (-x.abs()).exp().ln_1p(),
            Erf => x.erf(),
            Floor => x.floor(),
            Ceil => x.ceil(),
            Round => x.round_ties_even_(),
        }
    }

    fn apply_i64(self, x: i64) -> i64 {
        use UnaryOp::*;
        match self {
            Negative => x.wrapping_neg(),
            Abs => x.abs(),
            Sign => x.signum(),
            Square => x.wrapping_mul(x),
            Relu => x.max(0),
            _ => x,
        }
    }
}

/// What [`UnaryOp::apply`] needs of a float type beyond `num_traits::Float`.
pub(crate) trait UnaryFloat: num_traits::Float {
    fn erf(self) -> Self;
    fn round_ties_even_(self) -> Self;
}

impl UnaryFloat for f32 {
    fn erf(self) -> f32 {
        libm::erff(self)
    }
    fn round_ties_even_(self) -> f32 {
        self.round_ties_even()
    }
}

impl UnaryFloat for f64 {
    fn erf(self) -> f64 {
        libm::erf(self)
    }
    fn round_ties_even_(self) -> f64 {
        self.round_ties_even()
    }
}

const PAR_MIN: usize = 1 << 15;

fn map_par<T: Copy + Send + Sync, O: Send>(v: &[T], f: impl Fn(T) -> O + Sync + Send) -> Vec<O> {
    if v.len() >= PAR_MIN {
        v.par_iter().with_min_len(PAR_MIN / 4).map(|&x| f(x)).collect()
    } else {
        v.iter().map(|&x| f(x)).collect()
    }
}

fn cpu_unary(op: UnaryOp, s: &CpuStorage) -> CpuStorage {
    use half::{bf16, f16};
    match s {
        CpuStorage::F32(v) => CpuStorage::F32(map_par(v, |x| op.apply::<f32>(x))),
        CpuStorage::F64(v) => CpuStorage::F64(map_par(v, |x| op.apply::<f64>(x))),
        CpuStorage::F16(v) => CpuStorage::F16(map_par(v, |x| f16::from_f32(op.apply::<f32>(x.to_f32())))),
        CpuStorage::BF16(v) => CpuStorage::BF16(map_par(v, |x| bf16::from_f32(op.apply::<f32>(x.to_f32())))),
        CpuStorage::I32(v) => CpuStorage::I32(map_par(v, |x| op.apply_i64(x as i64) as i32)),
        CpuStorage::U32(v) => CpuStorage::U32(map_par(v, |x| op.apply_i64(x as i64) as u32)),
        CpuStorage::Bool(v) => CpuStorage::Bool(map_par(v, |x| op.apply_i64(x as i64) != 0)),
    }
}

/// Launches a kernel of shape `x -> y` (bindings 1 and 2, params `[n, ...extra]`) over a
/// contiguous tensor, split into several dispatches where it exceeds the binding limit.
pub(crate) fn gpu_map(
    kernel: &Kernel,
    x: &GpuStorage,
    out_dtype: DType,
    extra: &[u32],
    op: &'static str,
) -> Result<GpuStorage> {
    let out = GpuStorage::alloc(&x.device, op, out_dtype, x.len)?;
    let kernel = &kernel.clone().op(op);
    let elem = x.dtype.gpu_size().max(out_dtype.gpu_size());
    for (start, len) in chunks(x.len, elem, x.device.max_binding_bytes()) {
        let mut params = vec![len as u32];
        params.extend_from_slice(extra);
        x.device.launch(
            kernel,
            &params,
            &[x.binding_range(start, len), out.binding_range(start, len)],
            len,
        )?;
    }
    Ok(out)
}

/// Applies `op` elementwise. Integer and bool inputs of float-only functions become float32.
pub fn unary(op: UnaryOp, x: &Tensor) -> Result<Tensor> {
    let dtype = x.dtype();
    if !dtype.is_float() && !op.keeps_int() {
        return unary(op, &cast(x, DType::F32)?);
    }
    if dtype == DType::Bool && matches!(op, UnaryOp::Negative) {
        return Err(Error::dtype(op.name(), dtype, "a numeric dtype (use logical_not for bools)"));
    }
    let storage = match x.storage() {
        Storage::Cpu(s) => Storage::Cpu(cpu_unary(op, s)),
        Storage::Gpu(g) => {
            if dtype == DType::Bool {
                // abs, sign, square, relu and round of a bool are the bool itself.
                return Ok(x.clone());
            }
            let shader = if dtype.is_float() { "unary_float" } else { "unary_int" };
            let types = [("T", dtype)];
            let constants = [("OP", op as u32 as f64)];
            Storage::Gpu(gpu_map(
                &Kernel::new(shader, &types).constants(&constants),
                g,
                dtype,
                &[0, 0, 0, 0],
                op.name(),
            )?)
        }
    };
    Tensor::from_storage(storage, x.dims())
}

/// `nan_to_num(x, nan=0.0, posinf=None, neginf=None)`: infinities default to the dtype's
/// largest finite values.
pub fn nan_to_num(x: &Tensor, nan: f64, posinf: Option<f64>, neginf: Option<f64>) -> Result<Tensor> {
    let dtype = x.dtype();
    if !dtype.is_float() {
        return Ok(x.clone());
    }
    let max = match dtype {
        DType::F16 => f64::from(half::f16::MAX),
        DType::BF16 => f64::from(half::bf16::MAX),
        DType::F32 => f32::MAX as f64,
        _ => f64::MAX,
    };
    let (pos, neg) = (posinf.unwrap_or(max), neginf.unwrap_or(-max));
    let fix = |v: f64| {
        if v.is_nan() {
            nan
        } else if v == f64::INFINITY {
            pos
        } else if v == f64::NEG_INFINITY {
            neg
        } else {
            v
        }
    };
    let storage = match x.storage() {
        Storage::Cpu(s) => Storage::Cpu(CpuStorage::from_f64(dtype, s.to_f64_vec().into_iter().map(fix))),
        Storage::Gpu(g) => {
            let types = [("T", dtype)];
            let constants = [("OP", 22.0)];
            let extra = [0, (nan as f32).to_bits(), (pos as f32).to_bits(), (neg as f32).to_bits()];
            Storage::Gpu(gpu_map(
                &Kernel::new("unary_float", &types).constants(&constants),
                g,
                dtype,
                &extra,
                "nan_to_num",
            )?)
        }
    };
    Tensor::from_storage(storage, x.dims())
}

macro_rules! unary_fns {
    ($($f:ident => $op:ident),* $(,)?) => {
        $(
            #[doc = concat!("`keras.ops.", stringify!($f), "`")]
            pub fn $f(x: &Tensor) -> Result<Tensor> {
                unary(UnaryOp::$op, x)
            }
        )*
    };
}

unary_fns!(
    negative => Negative, abs => Abs, sign => Sign, exp => Exp, expm1 => Expm1, log => Log,
    log1p => Log1p, sqrt => Sqrt, rsqrt => Rsqrt, square => Square, reciprocal => Reciprocal,
    sin => Sin, cos => Cos, tan => Tan, tanh => Tanh, sigmoid => Sigmoid, relu => Relu,
    softplus => Softplus, erf => Erf, floor => Floor, ceil => Ceil, round => Round,
);
