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
use std::hash::{Hash, Hasher};

use crate::dtype::DType;
use crate::element::CpuStorage;
use crate::error::{Error, Result};
use crate::ops::binary::{BinaryOp, CompareOp};
use crate::ops::unary::UnaryOp;
use crate::shape::numel;
use crate::tensor::{same_device, GpuStorage, Storage, Tensor};

mod cpu;
mod wgsl;

use cpu::cpu_fused;
pub use wgsl::fused_wgsl;
use wgsl::gpu_fused;

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
