//! Fused elementwise programs: a chain of elementwise ops (`unary`, `binary`, `compare`,
//! `where_`, `cast`, scalar constants) run as one kernel over broadcast inputs.
//!
//! A [`FusedProgram`] is a list of instructions, each naming earlier ones by index. Every
//! register gets exactly the dtype the eager op would give (integer inputs of float functions
//! become float32, operands promote, `divide` of integers is float32, comparisons give bool),
//! and the values match running the ops one by one: the program is first lowered to nodes with
//! the eager ops' implicit casts made explicit, then evaluated.
//!
//! - GPU: one generated WGSL kernel per (program, input dtypes, input shape classes), built
//!   from the same op formulas as the eager kernels (`ops_float.wgsl`, `ops_generic.wgsl`) and
//!   compiled once (the pipeline cache keys it by its source). Sizes, broadcast strides and the
//!   constants travel in the params buffer, so a new batch size or constant compiles nothing.
//! - CPU: chunks of [`CHUNK`] elements evaluated register by register into scratch arrays (the
//!   op is fixed per loop, so the loops vectorize), chunks in parallel with rayon.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::mem::MaybeUninit;
use std::sync::{Arc, Mutex, OnceLock};

use half::{bf16, f16};
use rayon::prelude::*;

use crate::device::{GeneratedSource, GpuDevice, Kernel};
use crate::dtype::DType;
use crate::element::{CpuStorage, Element};
use crate::error::{Error, Result};
use crate::ops::binary::{gpu_binary_kernel, BinaryOp, CompareOp};
use crate::ops::chunks;
use crate::ops::unary::{UnaryFloat, UnaryOp};
use crate::shape::{broadcast_strides, collapse, numel};
use crate::tensor::{same_device, GpuStorage, Storage, Tensor};

const OP: &str = "fused";

/// Elements per CPU chunk: every live register of a chunk fits in L1/L2 together.
const CHUNK: usize = 1024;
/// Elements per rayon task (several chunks, reusing one set of scratch arrays).
const TASK: usize = 16 * CHUNK;
/// Programs over fewer elements run on one thread.
const PAR_MIN: usize = 4 * TASK;

/// Index of an earlier instruction of the program.
pub type Reg = usize;

/// One instruction of a [`FusedProgram`].
#[derive(Debug, Clone, Copy)]
pub enum FusedInstr {
    /// The i-th input tensor, broadcast (NumPy rules) to the output dims.
    Input(usize),
    /// A scalar constant, converted to the dtype as `full` does.
    Const(f64, DType),
    /// As [`crate::ops::unary`].
    Unary(UnaryOp, Reg),
    /// As [`crate::ops::binary`] (operands promote).
    Binary(BinaryOp, Reg, Reg),
    /// As [`crate::ops::compare`]; gives bool.
    Compare(CompareOp, Reg, Reg),
    /// `where(cond, a, b)` as [`crate::ops::where_`].
    Select(Reg, Reg, Reg),
    /// As [`crate::ops::cast`].
    Cast(DType, Reg),
}

impl FusedInstr {
    /// Everything that identifies the instruction, the constant by its bits.
    fn key(&self) -> (u8, u64, usize, usize, usize) {
        match *self {
            FusedInstr::Input(i) => (0, 0, i, 0, 0),
            FusedInstr::Const(v, d) => (1, v.to_bits(), d as usize, 0, 0),
            FusedInstr::Unary(op, a) => (2, op as u64, a, 0, 0),
            FusedInstr::Binary(op, a, b) => (3, op as u64, a, b, 0),
            FusedInstr::Compare(op, a, b) => (4, op as u64, a, b, 0),
            FusedInstr::Select(c, a, b) => (5, 0, c, a, b),
            FusedInstr::Cast(d, a) => (6, d as u64, a, 0, 0),
        }
    }
}

impl PartialEq for FusedInstr {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for FusedInstr {}

impl Hash for FusedInstr {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

/// A fused elementwise program: instructions in order, and the registers to return.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FusedProgram {
    pub instrs: Vec<FusedInstr>,
    pub outputs: Vec<Reg>,
}

/// A lowered node: the eager ops' implicit casts are explicit `Cast` nodes, so every operand
/// already has the dtype its op computes in.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Node {
    Load(usize),
    /// The value already converted to the node's dtype.
    Const(f64),
    Cast(usize),
    /// A float function (float node) or an integer one keeping the dtype (int node).
    Unary(UnaryOp, usize),
    Binary(BinaryOp, usize, usize),
    Compare(CompareOp, usize, usize),
    Select(usize, usize, usize),
}

struct Lowered {
    nodes: Vec<(Node, DType)>,
    live: Vec<bool>,
    outputs: Vec<usize>,
}

impl Lowered {
    fn live_nodes(&self) -> impl Iterator<Item = (usize, Node, DType)> + '_ {
        self.nodes.iter().enumerate().filter(|(k, _)| self.live[*k]).map(|(k, &(n, d))| (k, n, d))
    }
}

/// Validates `program` against the input dtypes and lowers it.
fn lower(program: &FusedProgram, input_dtypes: &[DType]) -> Result<Lowered> {
    let mut nodes: Vec<(Node, DType)> = Vec::new();
    let mut casts: HashMap<(usize, DType), usize> = HashMap::new();
    let mut reg: Vec<usize> = Vec::with_capacity(program.instrs.len());
    let mut cast_to = |nodes: &mut Vec<(Node, DType)>, src: usize, dt: DType| -> usize {
        if nodes[src].1 == dt {
            return src;
        }
        *casts.entry((src, dt)).or_insert_with(|| {
            nodes.push((Node::Cast(src), dt));
            nodes.len() - 1
        })
    };
    for (at, instr) in program.instrs.iter().enumerate() {
        let get = |r: Reg| -> Result<usize> {
            reg.get(r).copied().ok_or_else(|| {
                Error::arg(
                    OP,
                    format!(
                        "instruction {at} ({instr:?}) reads register {r}, which is not an earlier \
                         instruction"
                    ),
                )
            })
        };
        let dt = |k: usize, nodes: &Vec<(Node, DType)>| nodes[k].1;
        let node = match *instr {
            FusedInstr::Input(i) => {
                let d = *input_dtypes.get(i).ok_or_else(|| {
                    Error::arg(
                        OP,
                        format!("instruction {at} reads input {i}, but there are {}", input_dtypes.len()),
                    )
                })?;
                Some((Node::Load(i), d))
            }
            FusedInstr::Const(v, d) => Some((Node::Const(CpuStorage::filled(d, 1, v).get_f64(0)), d)),
            FusedInstr::Unary(op, a) => {
                let a = get(a)?;
                let d = dt(a, &nodes);
                if d == DType::Bool && op == UnaryOp::Negative {
                    return Err(Error::dtype(
                        OP,
                        d,
                        format!("a numeric dtype for negative (instruction {at}; use logical_not for bools)"),
                    ));
                }
                if !d.is_float() && !op.keeps_int() {
                    let a = cast_to(&mut nodes, a, DType::F32);
                    Some((Node::Unary(op, a), DType::F32))
                } else if d == DType::Bool || (!d.is_float() && op == UnaryOp::Round) {
                    // abs, sign, square, relu, round of a bool, round of an int: the input.
                    reg.push(a);
                    None
                } else {
                    Some((Node::Unary(op, a), d))
                }
            }
            FusedInstr::Binary(op, a, b) => {
                let (a, b) = (get(a)?, get(b)?);
                let mut d = DType::promote(dt(a, &nodes), dt(b, &nodes));
                if op == BinaryOp::Divide && !d.is_float() {
                    d = DType::F32;
                }
                if d == DType::Bool && matches!(op, BinaryOp::Subtract | BinaryOp::Divide | BinaryOp::Power) {
                    return Err(Error::dtype(
                        OP,
                        d,
                        format!("numeric operands for {} (instruction {at})", op.name()),
                    ));
                }
                let a = cast_to(&mut nodes, a, d);
                let b = cast_to(&mut nodes, b, d);
                Some((Node::Binary(op, a, b), d))
            }
            FusedInstr::Compare(op, a, b) => {
                let (a, b) = (get(a)?, get(b)?);
                let d = DType::promote(dt(a, &nodes), dt(b, &nodes));
                let a = cast_to(&mut nodes, a, d);
                let b = cast_to(&mut nodes, b, d);
                Some((Node::Compare(op, a, b), DType::Bool))
            }
            FusedInstr::Select(c, a, b) => {
                let (c, a, b) = (get(c)?, get(a)?, get(b)?);
                let d = DType::promote(dt(a, &nodes), dt(b, &nodes));
                let c = cast_to(&mut nodes, c, DType::Bool);
                let a = cast_to(&mut nodes, a, d);
                let b = cast_to(&mut nodes, b, d);
                Some((Node::Select(c, a, b), d))
            }
            FusedInstr::Cast(d, a) => {
                let a = get(a)?;
                reg.push(cast_to(&mut nodes, a, d));
                None
            }
        };
        if let Some(n) = node {
            nodes.push(n);
            reg.push(nodes.len() - 1);
        }
    }
    let mut outputs = Vec::with_capacity(program.outputs.len());
    for &r in &program.outputs {
        outputs.push(*reg.get(r).ok_or_else(|| {
            Error::arg(
                OP,
                format!("output register {r} is out of range (the program has {} instructions)", reg.len()),
            )
        })?);
    }
    let mut live = vec![false; nodes.len()];
    for &o in &outputs {
        live[o] = true;
    }
    for k in (0..nodes.len()).rev() {
        if !live[k] {
            continue;
        }
        match nodes[k].0 {
            Node::Load(_) | Node::Const(_) => {}
            Node::Cast(a) | Node::Unary(_, a) => live[a] = true,
            Node::Binary(_, a, b) | Node::Compare(_, a, b) => {
                live[a] = true;
                live[b] = true;
            }
            Node::Select(c, a, b) => {
                live[c] = true;
                live[a] = true;
                live[b] = true;
            }
        }
    }
    Ok(Lowered { nodes, live, outputs })
}

/// How an input is read for output element `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Class {
    /// Same number of elements as the output: element `i`.
    Same,
    /// One element, read by every output element.
    Scalar,
    /// General broadcasting through strides; the ordinal among the broadcast inputs.
    Bcast(usize),
}

/// Checks that every input broadcasts to `dims` and classifies it.
fn classify(input_dims: &[&[usize]], dims: &[usize]) -> Result<Vec<Class>> {
    let n = numel(dims);
    let mut nb = 0;
    input_dims
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let ok = s.len() <= dims.len()
                && s.iter().zip(&dims[dims.len() - s.len()..]).all(|(&a, &b)| a == b || a == 1);
            if !ok {
                return Err(Error::arg(
                    OP,
                    format!("input {k} of shape {s:?} does not broadcast to the output dims {dims:?}"),
                ));
            }
            Ok(if numel(s) == n {
                Class::Same
            } else if numel(s) == 1 {
                Class::Scalar
            } else {
                nb += 1;
                Class::Bcast(nb - 1)
            })
        })
        .collect()
}

/// Runs `program` over `inputs` broadcast to `dims`: one tensor of shape `dims` per entry of
/// `program.outputs`, with the values and dtypes the same ops run one by one would give.
pub fn fused(program: &FusedProgram, inputs: &[&Tensor], dims: &[usize]) -> Result<Vec<Tensor>> {
    if inputs.is_empty() {
        return Err(Error::arg(
            OP,
            "a fused program needs at least one input tensor (it decides the device)",
        ));
    }
    same_device(OP, inputs)?;
    let dtypes: Vec<DType> = inputs.iter().map(|t| t.dtype()).collect();
    let lowered = lower(program, &dtypes)?;
    let input_dims: Vec<&[usize]> = inputs.iter().map(|t| t.dims()).collect();
    let classes = classify(&input_dims, dims)?;
    let n = numel(dims);
    let storages: Vec<Storage> = match inputs[0].storage() {
        Storage::Cpu(_) => {
            let cpu: Vec<&CpuStorage> = inputs.iter().map(|t| t.cpu().expect("same device")).collect();
            cpu_fused(&lowered, &cpu, &input_dims, &classes, dims).into_iter().map(Storage::Cpu).collect()
        }
        Storage::Gpu(g) => {
            let gpu: Vec<&GpuStorage> = inputs.iter().map(|t| t.gpu().expect("same device")).collect();
            let dev = g.device.clone();
            gpu_fused(&dev, program, &lowered, &gpu, &input_dims, &classes, dims, n)?
                .into_iter()
                .map(Storage::Gpu)
                .collect()
        }
    };
    storages.into_iter().map(|s| Tensor::from_storage(s, dims)).collect()
}

// ---------------------------------------------------------------------------------------------
// CPU

/// A register's values for one chunk. f16 and bf16 registers are held as f32 values already
/// rounded to their dtype (the eager ops compute them in f32 and round).
enum Buf {
    F32(Vec<f32>),
    F64(Vec<f64>),
    I32(Vec<i32>),
    U32(Vec<u32>),
    Bool(Vec<bool>),
}

impl Buf {
    /// Which `Buf` variant holds registers of `dtype`.
    fn kind(dtype: DType) -> u8 {
        match dtype {
            DType::F32 | DType::F16 | DType::BF16 => 0,
            DType::F64 => 1,
            DType::I32 => 2,
            DType::U32 => 3,
            DType::Bool => 4,
        }
    }

    fn new(dtype: DType) -> Buf {
        match dtype {
            DType::F32 | DType::F16 | DType::BF16 => Buf::F32(vec![0.0; CHUNK]),
            DType::F64 => Buf::F64(vec![0.0; CHUNK]),
            DType::I32 => Buf::I32(vec![0; CHUNK]),
            DType::U32 => Buf::U32(vec![0; CHUNK]),
            DType::Bool => Buf::Bool(vec![false; CHUNK]),
        }
    }
}

/// Rounds f32-held values to a narrower float dtype.
#[inline(always)]
fn round_to(dtype: DType, v: &mut [f32]) {
    match dtype {
        DType::F16 => v.iter_mut().for_each(|x| *x = f16::from_f32(*x).to_f32()),
        DType::BF16 => v.iter_mut().for_each(|x| *x = bf16::from_f32(*x).to_f32()),
        _ => {}
    }
}

/// One input of a CPU program, as it is read for a chunk.
struct CpuInput<'a> {
    data: &'a CpuStorage,
    class: Class,
    /// Merged dims and strides for [`Class::Bcast`].
    dims: Vec<usize>,
    strides: Vec<usize>,
}

/// Reads elements `start..start + out.len()` of the broadcast `src` through `conv`.
#[inline(always)]
fn gather<T: Copy, U: Copy>(input: &CpuInput, src: &[T], start: usize, out: &mut [U], conv: impl Fn(T) -> U) {
    match input.class {
        Class::Same => {
            let len = out.len();
            out.iter_mut().zip(&src[start..start + len]).for_each(|(o, &x)| *o = conv(x))
        }
        Class::Scalar => out.fill(conv(src[0])),
        Class::Bcast(_) => {
            let (dims, strides) = (&input.dims, &input.strides);
            let rank = dims.len();
            let mut coord = vec![0usize; rank];
            let mut rem = start;
            for d in (0..rank).rev() {
                coord[d] = rem % dims[d];
                rem /= dims[d];
            }
            let mut off: usize = coord.iter().zip(strides).map(|(c, s)| c * s).sum();
            let (last, s) = (rank - 1, strides[rank - 1]);
            let mut i = 0;
            while i < out.len() {
                let run = (dims[last] - coord[last]).min(out.len() - i);
                for (j, o) in out[i..i + run].iter_mut().enumerate() {
                    *o = conv(src[off + j * s]);
                }
                i += run;
                off += run * s;
                coord[last] += run;
                let mut d = last;
                while coord[d] == dims[d] && d > 0 {
                    off -= dims[d] * strides[d];
                    coord[d] = 0;
                    d -= 1;
                    coord[d] += 1;
                    off += strides[d];
                }
            }
        }
    }
}

#[inline(always)]
fn load(input: &CpuInput, start: usize, len: usize, out: &mut Buf) {
    match (input.data, out) {
        (CpuStorage::F32(v), Buf::F32(o)) => gather(input, v, start, &mut o[..len], |x| x),
        (CpuStorage::F16(v), Buf::F32(o)) => gather(input, v, start, &mut o[..len], |x| x.to_f32()),
        (CpuStorage::BF16(v), Buf::F32(o)) => gather(input, v, start, &mut o[..len], |x| x.to_f32()),
        (CpuStorage::F64(v), Buf::F64(o)) => gather(input, v, start, &mut o[..len], |x| x),
        (CpuStorage::I32(v), Buf::I32(o)) => gather(input, v, start, &mut o[..len], |x| x),
        (CpuStorage::U32(v), Buf::U32(o)) => gather(input, v, start, &mut o[..len], |x| x),
        (CpuStorage::Bool(v), Buf::Bool(o)) => gather(input, v, start, &mut o[..len], |x| x),
        _ => unreachable!("a load node has its input's dtype"),
    }
}

/// `o = f(x)` with the op fixed per loop, so each arm's loop is compiled for one function.
#[inline(always)]
fn unary_float<F: UnaryFloat>(op: UnaryOp, x: &[F], o: &mut [F]) {
    macro_rules! arms {
        ($($v:ident),*) => {
            match op {
                $(UnaryOp::$v => o.iter_mut().zip(x).for_each(|(o, &x)| *o = UnaryOp::$v.apply(x)),)*
            }
        };
    }
    arms!(
        Negative, Abs, Sign, Exp, Expm1, Log, Log1p, Sqrt, Rsqrt, Square, Reciprocal, Sin, Cos, Tan, Tanh,
        Sigmoid, Relu, Softplus, Erf, Floor, Ceil, Round
    );
}

#[inline(always)]
fn unary_int<T: Copy>(op: UnaryOp, x: &[T], o: &mut [T], to: impl Fn(T) -> i64, from: impl Fn(i64) -> T) {
    macro_rules! arms {
        ($($v:ident),*) => {
            match op {
                $(UnaryOp::$v => o.iter_mut().zip(x).for_each(|(o, &x)| *o = from(UnaryOp::$v.apply_i64(to(x)))),)*
                _ => o.copy_from_slice(x),
            }
        };
    }
    arms!(Negative, Abs, Sign, Square, Relu);
}

macro_rules! binary_arms {
    ($op:expr, $a:expr, $b:expr, $o:expr, |$x:ident, $y:ident, $f:ident| $body:expr) => {
        match $op {
            BinaryOp::Add => binary_arms!(@loop $a, $b, $o, |$x, $y| { let $f = BinaryOp::Add; $body }),
            BinaryOp::Subtract => binary_arms!(@loop $a, $b, $o, |$x, $y| { let $f = BinaryOp::Subtract; $body }),
            BinaryOp::Multiply => binary_arms!(@loop $a, $b, $o, |$x, $y| { let $f = BinaryOp::Multiply; $body }),
            BinaryOp::Divide => binary_arms!(@loop $a, $b, $o, |$x, $y| { let $f = BinaryOp::Divide; $body }),
            BinaryOp::Power => binary_arms!(@loop $a, $b, $o, |$x, $y| { let $f = BinaryOp::Power; $body }),
            BinaryOp::Maximum => binary_arms!(@loop $a, $b, $o, |$x, $y| { let $f = BinaryOp::Maximum; $body }),
            BinaryOp::Minimum => binary_arms!(@loop $a, $b, $o, |$x, $y| { let $f = BinaryOp::Minimum; $body }),
        }
    };
    (@loop $a:expr, $b:expr, $o:expr, |$x:ident, $y:ident| $body:expr) => {
        $o.iter_mut().zip($a.iter().zip($b.iter())).for_each(|(o, (&$x, &$y))| *o = $body)
    };
}

#[inline(always)]
fn compare<T: Copy>(op: CompareOp, a: &[T], b: &[T], o: &mut [bool], to: impl Fn(T) -> f64) {
    macro_rules! arms {
        ($($v:ident),*) => {
            match op {
                $(CompareOp::$v => o.iter_mut().zip(a.iter().zip(b)).for_each(|(o, (&x, &y))| {
                    *o = CompareOp::$v.f64(to(x), to(y))
                }),)*
            }
        };
    }
    arms!(Equal, NotEqual, Greater, GreaterEqual, Less, LessEqual, LogicalAnd, LogicalOr);
}

#[inline(always)]
fn select<T: Copy>(c: &[bool], a: &[T], b: &[T], o: &mut [T]) {
    o.iter_mut()
        .zip(c.iter().zip(a.iter().zip(b)))
        .for_each(|(o, (&c, (&x, &y)))| *o = if c { x } else { y });
}

/// A compute-type value as f64 (exact for all of them).
trait ToF64: Copy {
    fn f64(self) -> f64;
}

impl ToF64 for f32 {
    fn f64(self) -> f64 {
        self as f64
    }
}
impl ToF64 for f64 {
    fn f64(self) -> f64 {
        self
    }
}
impl ToF64 for i32 {
    fn f64(self) -> f64 {
        self as f64
    }
}
impl ToF64 for u32 {
    fn f64(self) -> f64 {
        self as f64
    }
}
impl ToF64 for bool {
    fn f64(self) -> f64 {
        self as u8 as f64
    }
}

/// `cast` from a register of `from` (values `x`) into `out` of dtype `to`, with the rules of
/// [`CpuStorage::cast`].
#[inline(always)]
fn cast_values<T: ToF64>(x: &[T], from: DType, to: DType, out: &mut Buf) {
    let f = |x: T| x.f64();
    match out {
        Buf::F32(o) if from.is_float() && from != DType::F64 => {
            // f32-held f32/f16/bf16 to another of them: round the f32 value once.
            o.iter_mut().zip(x).for_each(|(o, &x)| *o = f(x) as f32);
            round_to(to, o);
        }
        Buf::F32(o) => match to {
            DType::F16 => o.iter_mut().zip(x).for_each(|(o, &x)| *o = f16::from_f64(f(x)).to_f32()),
            DType::BF16 => o.iter_mut().zip(x).for_each(|(o, &x)| *o = bf16::from_f64(f(x)).to_f32()),
            _ => o.iter_mut().zip(x).for_each(|(o, &x)| *o = f(x) as f32),
        },
        Buf::F64(o) => o.iter_mut().zip(x).for_each(|(o, &x)| *o = f(x)),
        Buf::I32(o) if from == DType::U32 => o.iter_mut().zip(x).for_each(|(o, &x)| *o = f(x) as u32 as i32),
        Buf::I32(o) => o.iter_mut().zip(x).for_each(|(o, &x)| *o = i32::from_f64(f(x))),
        Buf::U32(o) if from == DType::I32 => o.iter_mut().zip(x).for_each(|(o, &x)| *o = f(x) as i32 as u32),
        Buf::U32(o) => o.iter_mut().zip(x).for_each(|(o, &x)| *o = u32::from_f64(f(x))),
        Buf::Bool(o) => o.iter_mut().zip(x).for_each(|(o, &x)| *o = f(x) != 0.0),
    }
}

/// Where each live node of a CPU program keeps its chunk: scratch buffers are shared by
/// registers whose lifetimes do not overlap (so the chunk's working set stays in L1), and the
/// values that are the same for every chunk (constants, scalar inputs) are filled once per task.
struct Slots {
    /// Scratch index of each node (`usize::MAX` for dead nodes).
    of: Vec<usize>,
    /// The dtype each scratch buffer is created with.
    dtypes: Vec<DType>,
    /// Nodes filled once per task.
    hoisted: Vec<bool>,
}

fn assign_slots(l: &Lowered, classes: &[Class]) -> Slots {
    let n = l.nodes.len();
    let operands = |node: Node| -> Vec<usize> {
        match node {
            Node::Load(_) | Node::Const(_) => vec![],
            Node::Cast(a) | Node::Unary(_, a) => vec![a],
            Node::Binary(_, a, b) | Node::Compare(_, a, b) => vec![a, b],
            Node::Select(c, a, b) => vec![c, a, b],
        }
    };
    let hoisted: Vec<bool> = l
        .nodes
        .iter()
        .map(|&(node, _)| match node {
            Node::Const(_) => true,
            Node::Load(i) => classes[i] == Class::Scalar,
            _ => false,
        })
        .collect();
    let mut last_use = vec![0usize; n];
    for (k, node, _) in l.live_nodes() {
        for a in operands(node) {
            last_use[a] = last_use[a].max(k);
        }
    }
    for &o in &l.outputs {
        last_use[o] = usize::MAX;
    }
    let mut of = vec![usize::MAX; n];
    let mut dtypes: Vec<DType> = vec![];
    let mut free: Vec<usize> = vec![];
    for (k, node, dtype) in l.live_nodes() {
        let slot = match free.iter().position(|&f| !hoisted[k] && Buf::kind(dtypes[f]) == Buf::kind(dtype)) {
            Some(p) => free.swap_remove(p),
            None => {
                dtypes.push(dtype);
                dtypes.len() - 1
            }
        };
        of[k] = slot;
        let mut ops = operands(node);
        ops.sort_unstable();
        ops.dedup();
        for a in ops {
            if last_use[a] == k && !hoisted[a] {
                free.push(of[a]);
            }
        }
    }
    Slots { of, dtypes, hoisted }
}

/// Fills the hoisted nodes' buffers (constants and scalar inputs) for a whole task.
fn fill_hoisted(l: &Lowered, inputs: &[CpuInput], slots: &Slots, scratch: &mut [Buf]) {
    for (k, node, _) in l.live_nodes() {
        if !slots.hoisted[k] {
            continue;
        }
        let out = &mut scratch[slots.of[k]];
        match node {
            Node::Load(i) => load(&inputs[i], 0, CHUNK, out),
            Node::Const(v) => match out {
                Buf::F32(o) => o.fill(v as f32),
                Buf::F64(o) => o.fill(v),
                Buf::I32(o) => o.fill(v as i32),
                Buf::U32(o) => o.fill(v as u32),
                Buf::Bool(o) => o.fill(v != 0.0),
            },
            _ => unreachable!("only constants and scalar loads are hoisted"),
        }
    }
}

/// Evaluates the live nodes for elements `start..start + len` into their scratch buffers.
#[inline(always)]
fn eval_chunk(
    l: &Lowered,
    inputs: &[CpuInput],
    slots: &Slots,
    start: usize,
    len: usize,
    scratch: &mut [Buf],
) {
    for (k, node, dtype) in l.live_nodes() {
        if slots.hoisted[k] {
            continue;
        }
        let slot = slots.of[k];
        // The node's buffer is taken out while its operands (other buffers) are read.
        let mut taken = std::mem::replace(&mut scratch[slot], Buf::Bool(Vec::new()));
        let out = &mut taken;
        let done = |a: usize| &scratch[slots.of[a]];
        match node {
            Node::Load(i) => load(&inputs[i], start, len, out),
            Node::Const(_) => unreachable!("constants are hoisted"),
            Node::Cast(a) => {
                let from = l.nodes[a].1;
                match done(a) {
                    Buf::F32(x) => cast_values(&x[..len], from, dtype, out),
                    Buf::F64(x) => cast_values(&x[..len], from, dtype, out),
                    Buf::I32(x) => cast_values(&x[..len], from, dtype, out),
                    Buf::U32(x) => cast_values(&x[..len], from, dtype, out),
                    Buf::Bool(x) => cast_values(&x[..len], from, dtype, out),
                }
            }
            Node::Unary(op, a) => match (done(a), out) {
                (Buf::F32(x), Buf::F32(o)) => {
                    unary_float(op, &x[..len], &mut o[..len]);
                    round_to(dtype, &mut o[..len]);
                }
                (Buf::F64(x), Buf::F64(o)) => unary_float(op, &x[..len], &mut o[..len]),
                (Buf::I32(x), Buf::I32(o)) => {
                    unary_int(op, &x[..len], &mut o[..len], |v| v as i64, |v| v as i32)
                }
                (Buf::U32(x), Buf::U32(o)) => {
                    unary_int(op, &x[..len], &mut o[..len], |v| v as i64, |v| v as u32)
                }
                _ => unreachable!("lowered unary operands have the node's dtype"),
            },
            Node::Binary(op, a, b) => match (done(a), done(b), out) {
                (Buf::F32(x), Buf::F32(y), Buf::F32(o)) => {
                    binary_arms!(op, x[..len], y[..len], o[..len], |u, v, f| f.f32(u, v));
                    round_to(dtype, &mut o[..len]);
                }
                (Buf::F64(x), Buf::F64(y), Buf::F64(o)) => {
                    binary_arms!(op, x[..len], y[..len], o[..len], |u, v, f| f.f64(u, v))
                }
                (Buf::I32(x), Buf::I32(y), Buf::I32(o)) => {
                    binary_arms!(op, x[..len], y[..len], o[..len], |u, v, f| f.i64(u as i64, v as i64) as i32)
                }
                (Buf::U32(x), Buf::U32(y), Buf::U32(o)) => {
                    binary_arms!(op, x[..len], y[..len], o[..len], |u, v, f| f.i64(u as i64, v as i64) as u32)
                }
                (Buf::Bool(x), Buf::Bool(y), Buf::Bool(o)) => {
                    binary_arms!(op, x[..len], y[..len], o[..len], |u, v, f| f.i64(u as i64, v as i64) != 0)
                }
                _ => unreachable!("lowered binary operands have the node's dtype"),
            },
            Node::Compare(op, a, b) => {
                let Buf::Bool(o) = out else { unreachable!("comparisons give bool") };
                let o = &mut o[..len];
                match (done(a), done(b)) {
                    (Buf::F32(x), Buf::F32(y)) => compare(op, &x[..len], &y[..len], o, |v| v as f64),
                    (Buf::F64(x), Buf::F64(y)) => compare(op, &x[..len], &y[..len], o, |v| v),
                    (Buf::I32(x), Buf::I32(y)) => compare(op, &x[..len], &y[..len], o, |v| v as f64),
                    (Buf::U32(x), Buf::U32(y)) => compare(op, &x[..len], &y[..len], o, |v| v as f64),
                    (Buf::Bool(x), Buf::Bool(y)) => compare(op, &x[..len], &y[..len], o, |v| v as u8 as f64),
                    _ => unreachable!("lowered comparison operands share a dtype"),
                }
            }
            Node::Select(c, a, b) => {
                let Buf::Bool(c) = done(c) else { unreachable!("the condition is cast to bool") };
                let c = &c[..len];
                match (done(a), done(b), out) {
                    (Buf::F32(x), Buf::F32(y), Buf::F32(o)) => select(c, &x[..len], &y[..len], &mut o[..len]),
                    (Buf::F64(x), Buf::F64(y), Buf::F64(o)) => select(c, &x[..len], &y[..len], &mut o[..len]),
                    (Buf::I32(x), Buf::I32(y), Buf::I32(o)) => select(c, &x[..len], &y[..len], &mut o[..len]),
                    (Buf::U32(x), Buf::U32(y), Buf::U32(o)) => select(c, &x[..len], &y[..len], &mut o[..len]),
                    (Buf::Bool(x), Buf::Bool(y), Buf::Bool(o)) => {
                        select(c, &x[..len], &y[..len], &mut o[..len])
                    }
                    _ => unreachable!("lowered select operands have the node's dtype"),
                }
            }
        }
        scratch[slot] = taken;
    }
}

/// One output's slice for one task, not yet written.
enum OutSlice<'a> {
    F32(&'a mut [MaybeUninit<f32>]),
    F64(&'a mut [MaybeUninit<f64>]),
    F16(&'a mut [MaybeUninit<f16>]),
    BF16(&'a mut [MaybeUninit<bf16>]),
    I32(&'a mut [MaybeUninit<i32>]),
    U32(&'a mut [MaybeUninit<u32>]),
    Bool(&'a mut [MaybeUninit<bool>]),
}

/// An output's storage while the tasks write it: allocated, not initialized.
enum OutVec {
    F32(Vec<f32>),
    F64(Vec<f64>),
    F16(Vec<f16>),
    BF16(Vec<bf16>),
    I32(Vec<i32>),
    U32(Vec<u32>),
    Bool(Vec<bool>),
}

impl OutVec {
    fn with_capacity(dtype: DType, n: usize) -> OutVec {
        match dtype {
            DType::F32 => OutVec::F32(crate::element::f32_pool::take(n)),
            DType::F64 => OutVec::F64(Vec::with_capacity(n)),
            DType::F16 => OutVec::F16(Vec::with_capacity(n)),
            DType::BF16 => OutVec::BF16(Vec::with_capacity(n)),
            DType::I32 => OutVec::I32(Vec::with_capacity(n)),
            DType::U32 => OutVec::U32(Vec::with_capacity(n)),
            DType::Bool => OutVec::Bool(Vec::with_capacity(n)),
        }
    }

    /// The first `n` (uninitialized) elements, cut into task slices.
    fn split(&mut self, n: usize) -> Vec<OutSlice<'_>> {
        match self {
            OutVec::F32(v) => v.spare_capacity_mut()[..n].chunks_mut(TASK).map(OutSlice::F32).collect(),
            OutVec::F64(v) => v.spare_capacity_mut()[..n].chunks_mut(TASK).map(OutSlice::F64).collect(),
            OutVec::F16(v) => v.spare_capacity_mut()[..n].chunks_mut(TASK).map(OutSlice::F16).collect(),
            OutVec::BF16(v) => v.spare_capacity_mut()[..n].chunks_mut(TASK).map(OutSlice::BF16).collect(),
            OutVec::I32(v) => v.spare_capacity_mut()[..n].chunks_mut(TASK).map(OutSlice::I32).collect(),
            OutVec::U32(v) => v.spare_capacity_mut()[..n].chunks_mut(TASK).map(OutSlice::U32).collect(),
            OutVec::Bool(v) => v.spare_capacity_mut()[..n].chunks_mut(TASK).map(OutSlice::Bool).collect(),
        }
    }

    /// The storage, once every one of its `n` elements has been written.
    ///
    /// # Safety
    /// Elements `0..n` must all have been initialized through [`OutVec::split`]'s slices.
    unsafe fn assume_init(self, n: usize) -> CpuStorage {
        // SAFETY: the caller guarantees the first n elements are initialized; n <= capacity.
        unsafe {
            match self {
                OutVec::F32(mut v) => {
                    v.set_len(n);
                    CpuStorage::F32(v)
                }
                OutVec::F64(mut v) => {
                    v.set_len(n);
                    CpuStorage::F64(v)
                }
                OutVec::F16(mut v) => {
                    v.set_len(n);
                    CpuStorage::F16(v)
                }
                OutVec::BF16(mut v) => {
                    v.set_len(n);
                    CpuStorage::BF16(v)
                }
                OutVec::I32(mut v) => {
                    v.set_len(n);
                    CpuStorage::I32(v)
                }
                OutVec::U32(mut v) => {
                    v.set_len(n);
                    CpuStorage::U32(v)
                }
                OutVec::Bool(mut v) => {
                    v.set_len(n);
                    CpuStorage::Bool(v)
                }
            }
        }
    }
}

#[inline(always)]
fn write_all<T: Copy, U: Copy>(o: &mut [MaybeUninit<U>], x: &[T], conv: impl Fn(T) -> U) {
    o.iter_mut().zip(x).for_each(|(o, &x)| {
        o.write(conv(x));
    });
}

/// Writes a register's chunk to `out[at..at + len]`.
#[inline(always)]
fn store(out: &mut OutSlice, at: usize, len: usize, buf: &Buf) {
    match (out, buf) {
        (OutSlice::F32(o), Buf::F32(x)) => write_all(&mut o[at..at + len], &x[..len], |x| x),
        (OutSlice::F16(o), Buf::F32(x)) => write_all(&mut o[at..at + len], &x[..len], f16::from_f32),
        (OutSlice::BF16(o), Buf::F32(x)) => write_all(&mut o[at..at + len], &x[..len], bf16::from_f32),
        (OutSlice::F64(o), Buf::F64(x)) => write_all(&mut o[at..at + len], &x[..len], |x| x),
        (OutSlice::I32(o), Buf::I32(x)) => write_all(&mut o[at..at + len], &x[..len], |x| x),
        (OutSlice::U32(o), Buf::U32(x)) => write_all(&mut o[at..at + len], &x[..len], |x| x),
        (OutSlice::Bool(o), Buf::Bool(x)) => write_all(&mut o[at..at + len], &x[..len], |x| x),
        _ => unreachable!("outputs have their register's dtype"),
    }
}

/// Flushes f32/f64 denormals to zero (inputs and results: MXCSR's DAZ and FTZ) on this thread
/// while it lives, as XLA's CPU backend does and as GPUs do. Without it, an optimizer's moments
/// that decay into the denormal range (dead units) stay there forever and every step's
/// arithmetic on them runs through the slow microcode path.
struct FlushDenormals {
    #[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
    saved: u32,
}

impl FlushDenormals {
    #[allow(deprecated)]
    fn new() -> FlushDenormals {
        #[cfg(target_arch = "x86")]
        use std::arch::x86::{_mm_getcsr, _mm_setcsr};
        #[cfg(target_arch = "x86_64")]
        use std::arch::x86_64::{_mm_getcsr, _mm_setcsr};
        #[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
        {
            // SAFETY: reading and writing MXCSR only changes this thread's float flags.
            let saved = unsafe { _mm_getcsr() };
            unsafe { _mm_setcsr(saved | 0x8040) };
            FlushDenormals { saved }
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "x86")))]
        FlushDenormals {}
    }
}

impl Drop for FlushDenormals {
    #[allow(deprecated)]
    fn drop(&mut self) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: restores the flags read in `new`.
        unsafe {
            std::arch::x86_64::_mm_setcsr(self.saved)
        };
        #[cfg(target_arch = "x86")]
        // SAFETY: restores the flags read in `new`.
        unsafe {
            std::arch::x86::_mm_setcsr(self.saved)
        };
    }
}

/// The elements `begin..end` of a CPU program, chunk by chunk.
struct Task<'a> {
    l: &'a Lowered,
    inputs: &'a [CpuInput<'a>],
    slots: &'a Slots,
    begin: usize,
    end: usize,
}

impl Task<'_> {
    #[inline(always)]
    fn run_inline(&self, slices: &mut [OutSlice], scratch: &mut [Buf]) {
        for start in (self.begin..self.end).step_by(CHUNK) {
            let len = CHUNK.min(self.end - start);
            eval_chunk(self.l, self.inputs, self.slots, start, len, scratch);
            for (slice, &o) in slices.iter_mut().zip(&self.l.outputs) {
                store(slice, start - self.begin, len, &scratch[self.slots.of[o]]);
            }
        }
    }

    fn run(&self, slices: &mut [OutSlice], scratch: &mut [Buf]) {
        self.run_inline(slices, scratch)
    }

    /// The same loops compiled for AVX2 (8 lanes; the same IEEE operations, so the same values).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn run_avx2(&self, slices: &mut [OutSlice], scratch: &mut [Buf]) {
        self.run_inline(slices, scratch)
    }
}

fn cpu_fused(
    l: &Lowered,
    data: &[&CpuStorage],
    input_dims: &[&[usize]],
    classes: &[Class],
    dims: &[usize],
) -> Vec<CpuStorage> {
    let n = numel(dims);
    let inputs: Vec<CpuInput> = data
        .iter()
        .zip(input_dims)
        .zip(classes)
        .map(|((&data, &s), &class)| {
            let (dims, strides) = match class {
                Class::Bcast(_) => {
                    let (d, s) = collapse(dims, &[broadcast_strides(s, dims)]);
                    (d, s.into_iter().next().unwrap_or_default())
                }
                _ => (Vec::new(), Vec::new()),
            };
            CpuInput { data, class, dims, strides }
        })
        .collect();
    let slots = assign_slots(l, classes);
    let mut outs: Vec<OutVec> = l.outputs.iter().map(|&o| OutVec::with_capacity(l.nodes[o].1, n)).collect();
    let ntasks = n.div_ceil(TASK);
    let mut tasks: Vec<Vec<OutSlice>> = (0..ntasks).map(|_| Vec::with_capacity(outs.len())).collect();
    for o in outs.iter_mut() {
        for (t, s) in o.split(n).into_iter().enumerate() {
            tasks[t].push(s);
        }
    }
    #[cfg(target_arch = "x86_64")]
    let avx2 = std::arch::is_x86_feature_detected!("avx2");
    let run = |(t, mut slices): (usize, Vec<OutSlice>)| {
        let _flush = FlushDenormals::new();
        let mut scratch: Vec<Buf> = slots.dtypes.iter().map(|&d| Buf::new(d)).collect();
        fill_hoisted(l, &inputs, &slots, &mut scratch);
        let begin = t * TASK;
        let end = (begin + TASK).min(n);
        let task = Task { l, inputs: &inputs, slots: &slots, begin, end };
        #[cfg(target_arch = "x86_64")]
        if avx2 {
            // SAFETY: the CPU has AVX2 (checked above).
            unsafe { task.run_avx2(&mut slices, &mut scratch) };
            return;
        }
        task.run(&mut slices, &mut scratch);
    };
    // Small programs run on the calling thread: a split saves less than waking a worker costs.
    if ntasks > 1 && n >= PAR_MIN {
        tasks.into_par_iter().enumerate().for_each(run);
    } else {
        tasks.into_iter().enumerate().for_each(run);
    }
    // SAFETY: the tasks cover 0..n in TASK-sized slices, and each stores every chunk of its
    // slice for every output.
    outs.into_iter().map(|o| unsafe { o.assume_init(n) }).collect()
}

// ---------------------------------------------------------------------------------------------
// GPU

/// The WGSL type a register of `dtype` is held in (bools as u32 0/1, as in GPU buffers).
fn wgsl_type(dtype: DType) -> &'static str {
    dtype.wgsl().unwrap_or("f32")
}

/// The generated kernel's source for a lowered program and its inputs' dtypes and classes.
/// Params: `[n, consts.., rank, dims(rank), strides(rank) per broadcast input]`.
fn generate(l: &Lowered, input_dtypes: &[DType], classes: &[Class]) -> String {
    let consts: Vec<usize> =
        l.live_nodes().filter(|(_, n, _)| matches!(n, Node::Const(_))).map(|(k, _, _)| k).collect();
    let nc = consts.len();
    let used = used_inputs(l);
    let mut generic: Vec<&str> = Vec::new();
    let mut body = String::new();
    let v = |k: usize| format!("v{k}");
    let dims_at = 2 + nc;
    for (k, node, dtype) in l.live_nodes() {
        let w = wgsl_type(dtype);
        let operand_type = |a: usize| wgsl_type(l.nodes[a].1);
        let mut need = |ty: &'static str| {
            if !generic.contains(&ty) {
                generic.push(ty);
            }
        };
        let expr = match node {
            Node::Load(i) => {
                let slot = used.iter().position(|&u| u == i).expect("a live load's input is bound");
                match classes[i] {
                    Class::Same => format!("in{slot}[i]"),
                    Class::Scalar => format!("in{slot}[0]"),
                    Class::Bcast(b) => format!(
                        "in{slot}[broadcast_index(i, rank, {dims_at}u, {dims_at}u + rank * {}u)]",
                        b + 1
                    ),
                }
            }
            Node::Const(_) => {
                let at = 1 + consts.iter().position(|&c| c == k).expect("a live constant");
                match dtype {
                    DType::F32 => format!("bitcast<f32>(params[{at}])"),
                    DType::F16 => format!("f16(bitcast<f32>(params[{at}]))"),
                    DType::I32 => format!("bitcast<i32>(params[{at}])"),
                    _ => format!("params[{at}]"),
                }
            }
            Node::Cast(a) if dtype == DType::Bool => {
                format!("select(0u, 1u, {} != {}(0))", v(a), operand_type(a))
            }
            Node::Cast(a) => format!("{w}({})", v(a)),
            Node::Unary(op, a) if dtype.is_float() => {
                float_expr(dtype, &format!("unary_float({}u, f32({}))", op as u32, v(a)))
            }
            Node::Unary(op, a) => {
                need(w);
                format!("unary_int_{w}({}u, {})", op as u32, v(a))
            }
            Node::Binary(op, a, b) => match gpu_binary_kernel(op, dtype) {
                ("binary", code) => {
                    need(w);
                    let e = format!("binary_{w}({code}u, {}, {})", v(a), v(b));
                    if dtype == DType::Bool {
                        format!("select(0u, 1u, {e} != 0u)")
                    } else {
                        e
                    }
                }
                (_, code) => {
                    float_expr(dtype, &format!("binary_float({code}u, f32({}), f32({}))", v(a), v(b)))
                }
            },
            Node::Compare(op, a, b) => {
                let t = operand_type(a);
                need(t);
                format!("select(0u, 1u, compare_{t}({}u, {}, {}))", op as u32, v(a), v(b))
            }
            Node::Select(c, a, b) => format!("select({}, {}, {} != 0u)", v(b), v(a), v(c)),
        };
        let _ = writeln!(body, "    let v{k}: {w} = {expr};");
    }
    let uses_f16 = input_dtypes.contains(&DType::F16) || l.live_nodes().any(|(_, _, d)| d == DType::F16);
    if uses_f16 && !generic.contains(&"f16") {
        generic.push("f16");
    }
    let mut src = wgkeras_shaders::generated_prefix(&generic);
    src.push_str(
        "\n// The fused program (generated by runtime/src/ops/fused.rs).\noverride WG: u32 = 256u;\n",
    );
    for (slot, &i) in used.iter().enumerate() {
        let _ = writeln!(
            src,
            "@group(0) @binding({}) var<storage, read> in{slot}: array<{}>;",
            slot + 1,
            wgsl_type(input_dtypes[i])
        );
    }
    for (j, &o) in l.outputs.iter().enumerate() {
        let _ = writeln!(
            src,
            "@group(0) @binding({}) var<storage, read_write> out{j}: array<{}>;",
            used.len() + j + 1,
            wgsl_type(l.nodes[o].1)
        );
    }
    src.push_str(
        "\n@compute @workgroup_size(WG)\nfn main(@builtin(workgroup_id) wid: vec3<u32>, \
         @builtin(num_workgroups) nwg: vec3<u32>,\n        @builtin(local_invocation_id) lid: vec3<u32>) {\n    \
         let i = flat_id(wid, nwg, lid, WG);\n    if (i >= params[0]) {\n        return;\n    }\n",
    );
    if classes.iter().any(|c| matches!(c, Class::Bcast(_))) {
        let _ = writeln!(src, "    let rank = params[{}u];", 1 + nc);
    }
    src.push_str(&body);
    for (j, &o) in l.outputs.iter().enumerate() {
        let _ = writeln!(src, "    out{j}[i] = v{o};");
    }
    src.push_str("}\n");
    src
}

/// An f32 expression rounded to the float register type.
fn float_expr(dtype: DType, e: &str) -> String {
    match dtype {
        DType::F32 => e.to_string(),
        _ => format!("{}({e})", wgsl_type(dtype)),
    }
}

/// The inputs the live nodes read, in input order (each gets a binding).
fn used_inputs(l: &Lowered) -> Vec<usize> {
    let mut used: Vec<usize> =
        l.live_nodes().filter_map(|(_, n, _)| if let Node::Load(i) = n { Some(i) } else { None }).collect();
    used.sort_unstable();
    used.dedup();
    used
}

/// The WGSL source `fused` would run on the GPU for `program` over inputs of these dtypes and
/// shapes broadcast to `dims` (for inspection and validation tests).
pub fn fused_wgsl(
    program: &FusedProgram,
    input_dtypes: &[DType],
    input_dims: &[&[usize]],
    dims: &[usize],
) -> Result<String> {
    if input_dtypes.len() != input_dims.len() {
        return Err(Error::arg(OP, "fused_wgsl needs one shape per input dtype"));
    }
    let l = lower(program, input_dtypes)?;
    for (k, &d) in input_dtypes.iter().enumerate() {
        if d.wgsl().is_none() {
            return Err(Error::dtype(OP, d, format!("a GPU dtype for input {k}")));
        }
    }
    if let Some((_, _, d)) = l.live_nodes().find(|(_, _, d)| d.wgsl().is_none()) {
        return Err(Error::dtype(OP, d, "GPU dtypes for every register"));
    }
    Ok(generate(&l, input_dtypes, &classify(input_dims, dims)?))
}

type SourceKey = (FusedProgram, Vec<DType>, Vec<Class>);

/// Generated sources by program, input dtypes and shape classes, so a program is generated
/// (and hashed) once; the pipeline cache then compiles each source once.
fn source_for(program: &FusedProgram, l: &Lowered, dtypes: &[DType], classes: &[Class]) -> GeneratedSource {
    static SOURCES: OnceLock<Mutex<HashMap<SourceKey, GeneratedSource>>> = OnceLock::new();
    let cache = SOURCES.get_or_init(Default::default);
    let key = (program.clone(), dtypes.to_vec(), classes.to_vec());
    if let Some(s) = cache.lock().unwrap().get(&key) {
        return s.clone();
    }
    let s = GeneratedSource::new(Arc::from(generate(l, dtypes, classes)));
    cache.lock().unwrap().insert(key, s.clone());
    s
}

#[allow(clippy::too_many_arguments)]
fn gpu_fused(
    dev: &GpuDevice,
    program: &FusedProgram,
    l: &Lowered,
    inputs: &[&GpuStorage],
    input_dims: &[&[usize]],
    classes: &[Class],
    dims: &[usize],
    n: usize,
) -> Result<Vec<GpuStorage>> {
    for g in inputs {
        dev.check_dtype(OP, g.dtype)?;
    }
    for (_, _, d) in l.live_nodes() {
        dev.check_dtype(OP, d)?;
    }
    let used = used_inputs(l);
    let bindings = used.len() + l.outputs.len() + 1;
    let max = dev.limits().max_storage_buffers_per_shader_stage as usize;
    if bindings > max {
        return Err(Error::Limit {
            op: OP,
            msg: format!(
                "the program reads {} inputs and writes {} outputs, {bindings} storage bindings with \
                 the params; this adapter allows {max} per kernel (split the program)",
                used.len(),
                l.outputs.len()
            ),
        });
    }
    let outs: Vec<GpuStorage> =
        l.outputs.iter().map(|&o| GpuStorage::alloc(dev, OP, l.nodes[o].1, n)).collect::<Result<_>>()?;
    if n == 0 {
        return Ok(outs);
    }
    let dtypes: Vec<DType> = inputs.iter().map(|g| g.dtype).collect();
    let source = source_for(program, l, &dtypes, classes);
    let kernel = Kernel::generated(OP, source);
    let mut params = vec![n as u32];
    for (_, node, dtype) in l.live_nodes() {
        if let Node::Const(v) = node {
            params.push(match dtype {
                DType::F32 | DType::F16 => (v as f32).to_bits(),
                DType::I32 => v as i32 as u32,
                _ => v as u32,
            });
        }
    }
    let bcast: Vec<usize> = (0..inputs.len()).filter(|&i| matches!(classes[i], Class::Bcast(_))).collect();
    if !bcast.is_empty() {
        let strides: Vec<Vec<usize>> =
            bcast.iter().map(|&i| broadcast_strides(input_dims[i], dims)).collect();
        let (cdims, cstrides) = collapse(dims, &strides);
        params.push(cdims.len() as u32);
        params.extend(cdims.iter().map(|&d| d as u32));
        for s in &cstrides {
            params.extend(s.iter().map(|&d| d as u32));
        }
    }
    let widest =
        used.iter().map(|&i| inputs[i].dtype.gpu_size()).chain(outs.iter().map(|o| o.dtype.gpu_size())).max();
    let too_big = used.iter().any(|&i| inputs[i].bytes() > dev.max_binding_bytes())
        || outs.iter().any(|o| o.bytes() > dev.max_binding_bytes());
    if too_big && bcast.is_empty() {
        // Same-shape and scalar inputs only: split into dispatches that each bind a range.
        for (start, len) in chunks(n, widest.unwrap_or(4), dev.max_binding_bytes()) {
            let mut b: Vec<_> = used
                .iter()
                .map(|&i| {
                    if classes[i] == Class::Scalar {
                        inputs[i].binding()
                    } else {
                        inputs[i].binding_range(start, len)
                    }
                })
                .collect();
            b.extend(outs.iter().map(|o| o.binding_range(start, len)));
            params[0] = len as u32;
            dev.launch(&kernel, &params, &b, len)?;
        }
        return Ok(outs);
    }
    let mut b: Vec<_> = used.iter().map(|&i| inputs[i].binding()).collect();
    b.extend(outs.iter().map(|o| o.binding()));
    dev.launch(&kernel, &params, &b, n)?;
    Ok(outs)
}
