//! The CPU evaluation of a lowered fused program: chunks of [`CHUNK`] elements evaluated
//! register by register into scratch arrays (the op is fixed per loop, so the loops vectorize),
//! tasks of chunks in parallel with rayon, denormals flushed as the GPU does.

use std::mem::MaybeUninit;

use half::{bf16, f16};
use rayon::prelude::*;

use crate::dtype::DType;
use crate::element::{CpuStorage, Element};
use crate::ops::binary::{BinaryOp, CompareOp};
use crate::ops::unary::{UnaryFloat, UnaryOp};
use crate::shape::{broadcast_strides, collapse, numel};

use super::*;

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

pub(super) fn cpu_fused(
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
