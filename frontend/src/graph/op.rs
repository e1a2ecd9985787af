//! The primitive ops of a graph: each one's static shape rule ([`Op::infer`]) and its eager
//! evaluation on runtime tensors ([`Op::eval`]). Everything else (softmax, losses, layers,
//! optimizer updates) is composed from these.

use wgkeras_runtime::ops::{self, BinaryOp, CompareOp, Epilogue, FusedProgram, UnaryOp};
use wgkeras_runtime::{DType, Device, Tensor};

use crate::error::{Error, Result};
use crate::graph::{shape_str, Shape};
use crate::variable::Variable;

#[derive(Clone, Debug)]
pub enum Op {
    /// The `index`-th placeholder, fed per run.
    Input {
        index: usize,
    },
    /// A variable's current value.
    Variable(Variable),
    Constant(Tensor),
    Unary(UnaryOp),
    Binary(BinaryOp),
    Compare(CompareOp),
    /// `where(cond, a, b)`.
    Where,
    Cast(DType),
    /// The identity whose gradient is zero.
    StopGradient,
    /// `op(a) @ op(b)`: 2-D operands when a transpose is asked, else NumPy's batched matmul.
    MatMul {
        transpose_a: bool,
        transpose_b: bool,
    },
    /// `activation(op(a) @ op(b) + bias)` on 2-D operands, the bias optional (inputs a, b[, bias]).
    /// Made by the compiler from a MatMul, Add, activation chain.
    MatMulFused {
        transpose_a: bool,
        transpose_b: bool,
        activation: Epilogue,
    },
    /// A chain of elementwise ops run as one kernel (made by the compiler). All outputs have the
    /// node's shape; output `k > 0` is read through an [`Op::Output`] node.
    Fused(FusedProgram),
    /// Output `index` of a multi-output node (its only input).
    Output {
        index: usize,
    },
    Sum {
        axes: Vec<usize>,
        keepdims: bool,
    },
    Max {
        axes: Vec<usize>,
        keepdims: bool,
    },
    /// Reshape to the target, where one entry may be -1.
    Reshape(Vec<i64>),
    Transpose(Vec<usize>),
    /// Inputs (x, target): x broadcast to target's shape.
    BroadcastLike,
    /// Inputs (g, x): g summed down to x's shape (the inverse of broadcasting x to g's shape).
    SumLike,
    /// Inputs (x, target): x reshaped to target's shape.
    ReshapeLike,
    Concat {
        axis: usize,
    },
    Slice {
        axis: usize,
        start: usize,
        len: usize,
    },
    /// Zero padding along one axis.
    Pad {
        axis: usize,
        before: usize,
        after: usize,
    },
    /// Integer class ids to a float32 one-hot on a new last axis.
    OneHot {
        depth: usize,
    },
    ArgMax {
        axis: usize,
    },
    /// The product of the input's sizes along `axes`, as a float32 scalar (e.g. the batch size).
    Size {
        axes: Vec<usize>,
    },
    /// Inputs (x, seed): a float32 dropout mask of x's shape (0 or 1/(1-rate)), drawn with the
    /// u32[2] seed held on the device.
    DropoutMask {
        rate: f64,
    },
    /// The seed after `seed` (u32[2]), computed on the device.
    SeedAdvance,
    /// Inputs (x, seed): float32 uniform draws in [0, 1) of x's shape, from the u32[2] seed held
    /// on the device.
    RandomUniform,
    /// Inputs (x, seed): float32 standard normal draws of x's shape (see [`Op::RandomUniform`]).
    RandomNormal,
    /// Inputs (x, indices): the rows `x[indices]` along axis 0, of shape
    /// `indices.shape + x.shape[1..]` (`keras.ops.take(x, indices, axis=0)`).
    TakeRows,
    /// Inputs (g, indices, x): zeros of x's shape with each row of `g` (shaped like
    /// `TakeRows(x, indices)`) added at its index; repeated indices add (the gradient of TakeRows).
    ScatterAddRows,
}

fn err(op: &'static str, msg: impl Into<String>) -> Error {
    Error::arg(op, msg)
}

/// Broadcasts two static shapes (NumPy rules; an unknown dim matches 1 or anything unknown).
pub fn broadcast_static(op: &'static str, a: &[Option<usize>], b: &[Option<usize>]) -> Result<Shape> {
    let n = a.len().max(b.len());
    let mut out = vec![None; n];
    for i in 0..n {
        let x = if i + a.len() >= n { a[i + a.len() - n] } else { Some(1) };
        let y = if i + b.len() >= n { b[i + b.len() - n] } else { Some(1) };
        out[i] = match (x, y) {
            (Some(1), d) | (d, Some(1)) => d,
            (Some(p), Some(q)) if p == q => Some(p),
            (Some(p), Some(q)) => {
                return Err(err(
                    op,
                    format!("shapes {} and {} cannot be broadcast ({p} vs {q})", shape_str(a), shape_str(b)),
                ))
            }
            (Some(p), None) | (None, Some(p)) => Some(p),
            (None, None) => None,
        };
    }
    Ok(out)
}

fn float_dtype(op: &'static str, d: DType) -> Result<DType> {
    if d.is_float() {
        Ok(d)
    } else {
        Err(err(op, format!("expects a float tensor, got {}", d.name())))
    }
}

impl Op {
    pub fn name(&self) -> &'static str {
        match self {
            Op::Input { .. } => "input",
            Op::Variable(_) => "variable",
            Op::Constant(_) => "constant",
            Op::Unary(u) => u.name(),
            Op::Binary(b) => b.name(),
            Op::Compare(c) => c.name(),
            Op::Where => "where",
            Op::Cast(_) => "cast",
            Op::StopGradient => "stop_gradient",
            Op::MatMul { .. } => "matmul",
            Op::MatMulFused { .. } => "matmul_fused",
            Op::Fused(_) => "fused",
            Op::Output { .. } => "output",
            Op::Sum { .. } => "sum",
            Op::Max { .. } => "max",
            Op::Reshape(_) => "reshape",
            Op::Transpose(_) => "transpose",
            Op::BroadcastLike => "broadcast_to",
            Op::SumLike => "sum_to",
            Op::ReshapeLike => "reshape_like",
            Op::Concat { .. } => "concatenate",
            Op::Slice { .. } => "slice",
            Op::Pad { .. } => "pad",
            Op::OneHot { .. } => "one_hot",
            Op::ArgMax { .. } => "argmax",
            Op::Size { .. } => "size",
            Op::DropoutMask { .. } => "dropout",
            Op::SeedAdvance => "seed_advance",
            Op::RandomUniform => "random_uniform",
            Op::RandomNormal => "random_normal",
            Op::TakeRows => "take",
            Op::ScatterAddRows => "scatter_add_rows",
        }
    }

    /// Whether the op maps elements one to one (with broadcasting): what the compiler fuses.
    pub fn is_elementwise(&self) -> bool {
        matches!(self, Op::Unary(_) | Op::Binary(_) | Op::Compare(_) | Op::Where | Op::Cast(_))
    }

    /// The output shape and dtype for inputs of the given shapes and dtypes.
    pub fn infer(&self, ins: &[(&Shape, DType)]) -> Result<(Shape, DType)> {
        let name = self.name();
        let arity = match self {
            Op::Input { .. } | Op::Variable(_) | Op::Constant(_) => 0,
            Op::Binary(_) | Op::Compare(_) | Op::BroadcastLike | Op::SumLike | Op::ReshapeLike => 2,
            Op::MatMul { .. } | Op::DropoutMask { .. } | Op::RandomUniform | Op::RandomNormal => 2,
            Op::TakeRows => 2,
            Op::Where | Op::ScatterAddRows => 3,
            Op::Concat { .. } | Op::Fused(_) | Op::MatMulFused { .. } => ins.len(),
            _ => 1,
        };
        if ins.len() != arity {
            return Err(err(name, format!("takes {arity} inputs, got {}", ins.len())));
        }
        let rank_check = |axes: &[usize], r: usize| -> Result<()> {
            match axes.iter().find(|&&a| a >= r) {
                Some(a) => Err(err(name, format!("axis {a} is out of range for rank {r}"))),
                None => Ok(()),
            }
        };
        Ok(match self {
            Op::Input { .. } | Op::Variable(_) | Op::Constant(_) => {
                unreachable!("leaf nodes are made by Graph::input/variable/constant")
            }
            Op::Unary(u) => {
                let (s, d) = ins[0];
                if d == DType::Bool {
                    return Err(err(name, "expects a numeric tensor, got bool"));
                }
                let keeps_int = matches!(
                    u,
                    UnaryOp::Negative
                        | UnaryOp::Abs
                        | UnaryOp::Sign
                        | UnaryOp::Square
                        | UnaryOp::Relu
                        | UnaryOp::Round
                );
                (s.clone(), if d.is_float() || keeps_int { d } else { DType::F32 })
            }
            Op::Binary(b) => {
                let s = broadcast_static(name, ins[0].0, ins[1].0)?;
                let mut d = DType::promote(ins[0].1, ins[1].1);
                if *b == BinaryOp::Divide && !d.is_float() {
                    d = DType::F32;
                }
                (s, d)
            }
            Op::Compare(_) => (broadcast_static(name, ins[0].0, ins[1].0)?, DType::Bool),
            Op::Where => {
                let s = broadcast_static(name, ins[0].0, ins[1].0)?;
                (broadcast_static(name, &s, ins[2].0)?, DType::promote(ins[1].1, ins[2].1))
            }
            Op::Cast(d) => (ins[0].0.clone(), *d),
            Op::StopGradient => (ins[0].0.clone(), ins[0].1),
            Op::MatMul { transpose_a, transpose_b } | Op::MatMulFused { transpose_a, transpose_b, .. } => {
                let (a, b) = (ins[0].0, ins[1].0);
                if ins[0].1 != ins[1].1 {
                    return Err(err(
                        name,
                        format!("operands have dtypes {} and {}", ins[0].1.name(), ins[1].1.name()),
                    ));
                }
                let fused = matches!(self, Op::MatMulFused { .. });
                if (*transpose_a || *transpose_b || fused) && (a.len() != 2 || b.len() != 2) {
                    return Err(err(
                        name,
                        format!("transposed operands must be 2-D, got {} and {}", shape_str(a), shape_str(b)),
                    ));
                }
                if a.is_empty() || b.is_empty() {
                    return Err(err(name, "operands must have rank 1 or more"));
                }
                let a2: Shape = if a.len() == 1 { vec![Some(1), a[0]] } else { a.clone() };
                let b2: Shape = if b.len() == 1 { vec![b[0], Some(1)] } else { b.clone() };
                let (ra, rb) = (a2.len(), b2.len());
                let (m, ka) = if *transpose_a { (a2[ra - 1], a2[ra - 2]) } else { (a2[ra - 2], a2[ra - 1]) };
                let (kb, n) = if *transpose_b { (b2[rb - 1], b2[rb - 2]) } else { (b2[rb - 2], b2[rb - 1]) };
                if let (Some(p), Some(q)) = (ka, kb) {
                    if p != q {
                        return Err(err(
                            name,
                            format!(
                                "inner dimensions differ: {} and {} ({p} vs {q})",
                                shape_str(a),
                                shape_str(b)
                            ),
                        ));
                    }
                }
                let mut out = broadcast_static(name, &a2[..ra - 2], &b2[..rb - 2])?;
                if a.len() != 1 {
                    out.push(m);
                }
                if b.len() != 1 {
                    out.push(n);
                }
                if fused && ins.len() == 3 && ins[2].0.len() != 1 {
                    return Err(err(name, format!("bias must be 1-D, got {}", shape_str(ins[2].0))));
                }
                (out, ins[0].1)
            }
            Op::Fused(_) => unreachable!("fused nodes are made by the compiler with their shape"),
            Op::Output { .. } => unreachable!("output nodes are made by the compiler with their shape"),
            Op::Sum { axes, keepdims } | Op::Max { axes, keepdims } => {
                let (s, d) = ins[0];
                rank_check(axes, s.len())?;
                let out = s
                    .iter()
                    .enumerate()
                    .filter_map(|(i, &x)| match (axes.contains(&i), keepdims) {
                        (false, _) => Some(x),
                        (true, true) => Some(Some(1)),
                        (true, false) => None,
                    })
                    .collect();
                let d = match (self, d) {
                    (Op::Sum { .. }, DType::Bool) => DType::I32,
                    _ => d,
                };
                (out, d)
            }
            Op::Reshape(target) => {
                let s = ins[0].0;
                let known: Option<usize> = s.iter().try_fold(1usize, |acc, d| d.map(|d| acc * d));
                if target.iter().filter(|&&t| t == -1).count() > 1 || target.iter().any(|&t| t < -1) {
                    return Err(err(name, format!("invalid target shape {target:?}")));
                }
                let fixed: usize = target.iter().filter(|&&t| t >= 0).map(|&t| t as usize).product();
                let out: Shape = target
                    .iter()
                    .map(|&t| {
                        if t >= 0 {
                            Some(t as usize)
                        } else {
                            known.and_then(|k| if fixed == 0 { None } else { Some(k / fixed) })
                        }
                    })
                    .collect();
                if let (Some(k), false) = (known, target.contains(&-1)) {
                    if k != fixed {
                        return Err(err(
                            name,
                            format!("cannot reshape {} ({k} elements) to {target:?}", shape_str(s)),
                        ));
                    }
                }
                if let (Some(k), true) = (known, target.contains(&-1)) {
                    if fixed == 0 || k % fixed != 0 {
                        return Err(err(name, format!("cannot reshape {} to {target:?}", shape_str(s))));
                    }
                }
                (out, ins[0].1)
            }
            Op::Transpose(perm) => {
                let s = ins[0].0;
                let mut seen = perm.clone();
                seen.sort_unstable();
                if seen != (0..s.len()).collect::<Vec<_>>() {
                    return Err(err(
                        name,
                        format!("{perm:?} is not a permutation of the axes of {}", shape_str(s)),
                    ));
                }
                (perm.iter().map(|&p| s[p]).collect(), ins[0].1)
            }
            Op::BroadcastLike => {
                let out = broadcast_static(name, ins[0].0, ins[1].0)?;
                if out.len() != ins[1].0.len() {
                    return Err(err(
                        name,
                        format!("cannot broadcast {} to {}", shape_str(ins[0].0), shape_str(ins[1].0)),
                    ));
                }
                (ins[1].0.clone(), ins[0].1)
            }
            Op::SumLike => (ins[1].0.clone(), ins[0].1),
            Op::ReshapeLike => (ins[1].0.clone(), ins[0].1),
            Op::Concat { axis } => {
                let first = ins.first().ok_or_else(|| err(name, "needs at least one input"))?.0;
                rank_check(&[*axis], first.len())?;
                let mut out = first.clone();
                let mut total = Some(0usize);
                for (s, d) in ins {
                    if s.len() != first.len() || *d != ins[0].1 {
                        return Err(err(
                            name,
                            format!(
                                "inputs must share rank and dtype, got {} and {}",
                                shape_str(first),
                                shape_str(s)
                            ),
                        ));
                    }
                    for (i, (x, y)) in s.iter().zip(first.iter()).enumerate() {
                        if i != *axis {
                            if let (Some(x), Some(y)) = (x, y) {
                                if x != y {
                                    return Err(err(
                                        name,
                                        format!(
                                            "shapes {} and {} differ off the concatenation axis {axis}",
                                            shape_str(first),
                                            shape_str(s)
                                        ),
                                    ));
                                }
                            }
                        }
                    }
                    total = total.zip(s[*axis]).map(|(a, b)| a + b);
                }
                out[*axis] = total;
                (out, ins[0].1)
            }
            Op::Slice { axis, start, len } => {
                let s = ins[0].0;
                rank_check(&[*axis], s.len())?;
                if let Some(d) = s[*axis] {
                    if start + len > d {
                        return Err(err(
                            name,
                            format!("{start}..{} is out of range for size {d}", start + len),
                        ));
                    }
                }
                let mut out = s.clone();
                out[*axis] = Some(*len);
                (out, ins[0].1)
            }
            Op::Pad { axis, before, after } => {
                let s = ins[0].0;
                rank_check(&[*axis], s.len())?;
                let mut out = s.clone();
                out[*axis] = s[*axis].map(|d| d + before + after);
                (out, ins[0].1)
            }
            Op::OneHot { depth } => {
                if ins[0].1.is_float() {
                    return Err(err(name, format!("expects integer class ids, got {}", ins[0].1.name())));
                }
                let mut out = ins[0].0.clone();
                out.push(Some(*depth));
                (out, DType::F32)
            }
            Op::ArgMax { axis } => {
                let s = ins[0].0;
                rank_check(&[*axis], s.len())?;
                let out = s.iter().enumerate().filter(|(i, _)| i != axis).map(|(_, &d)| d).collect();
                (out, DType::I32)
            }
            Op::Size { axes } => {
                rank_check(axes, ins[0].0.len())?;
                (vec![], DType::F32)
            }
            Op::DropoutMask { rate } => {
                if !(0.0..1.0).contains(rate) {
                    return Err(err(name, format!("rate must be in [0, 1), got {rate}")));
                }
                float_dtype(name, ins[0].1)?;
                (ins[0].0.clone(), DType::F32)
            }
            Op::SeedAdvance => (ins[0].0.clone(), ins[0].1),
            Op::RandomUniform | Op::RandomNormal => {
                if ins[1].0[..] != [Some(2)] || ins[1].1 != DType::U32 {
                    return Err(err(
                        name,
                        format!(
                            "the seed must be uint32 [2], got {} {}",
                            ins[1].1.name(),
                            shape_str(ins[1].0)
                        ),
                    ));
                }
                (ins[0].0.clone(), DType::F32)
            }
            Op::TakeRows => {
                let (x, idx) = (ins[0], ins[1]);
                if x.0.is_empty() {
                    return Err(err(name, "cannot take rows of a scalar"));
                }
                if idx.1.is_float() || idx.1 == DType::Bool {
                    return Err(err(name, format!("indices must be integers, got {}", idx.1.name())));
                }
                let mut out = idx.0.clone();
                out.extend_from_slice(&x.0[1..]);
                (out, x.1)
            }
            Op::ScatterAddRows => {
                let (g, idx, x) = (ins[0], ins[1], ins[2]);
                let mut want = idx.0.clone();
                want.extend_from_slice(&x.0[1.min(x.0.len())..]);
                let fits = want.len() == g.0.len()
                    && want.iter().zip(g.0).all(|(a, b)| a.is_none() || b.is_none() || a == b);
                if x.0.is_empty() || !fits {
                    return Err(err(
                        name,
                        format!(
                            "updates of shape {} do not match indices {} into {}",
                            shape_str(g.0),
                            shape_str(idx.0),
                            shape_str(x.0)
                        ),
                    ));
                }
                (x.0.clone(), g.1)
            }
        })
    }

    /// Runs the op on concrete tensors (all on one device). Multi-output ops give several.
    pub fn eval(&self, ins: &[&Tensor], device: &Device) -> Result<Vec<Tensor>> {
        let one = |t: Tensor| Ok(vec![t]);
        let axes_i64 = |axes: &[usize]| axes.iter().map(|&a| a as i64).collect::<Vec<_>>();
        match self {
            Op::Input { .. } | Op::Variable(_) | Op::Constant(_) | Op::Output { .. } => {
                unreachable!("leaves and outputs are resolved by the plan")
            }
            Op::Unary(u) => one(ops::unary(*u, ins[0])?),
            Op::Binary(b) => one(ops::binary(*b, ins[0], ins[1])?),
            Op::Compare(c) => one(ops::compare(*c, ins[0], ins[1])?),
            Op::Where => one(ops::where_(ins[0], ins[1], ins[2])?),
            Op::Cast(d) => one(ops::cast(ins[0], *d)?),
            Op::StopGradient => one(ins[0].clone()),
            Op::MatMul { transpose_a: false, transpose_b: false } => one(ops::matmul(ins[0], ins[1])?),
            Op::MatMul { transpose_a, transpose_b } => {
                one(ops::matmul_fused(ins[0], ins[1], *transpose_a, *transpose_b, None, Epilogue::Linear)?)
            }
            Op::MatMulFused { transpose_a, transpose_b, activation } => one(ops::matmul_fused(
                ins[0],
                ins[1],
                *transpose_a,
                *transpose_b,
                ins.get(2).copied(),
                *activation,
            )?),
            Op::Fused(program) => {
                let dims = ins.iter().map(|t| t.dims()).fold(Vec::new(), |acc: Vec<usize>, d| {
                    wgkeras_runtime::shape::broadcast_shapes("fused", &acc, d).unwrap_or(acc)
                });
                Ok(ops::fused(program, ins, &dims)?)
            }
            Op::Sum { axes, keepdims } => one(ops::sum(ins[0], Some(&axes_i64(axes)), *keepdims)?),
            Op::Max { axes, keepdims } => one(ops::max(ins[0], Some(&axes_i64(axes)), *keepdims)?),
            Op::Reshape(target) => one(ops::reshape(ins[0], target)?),
            Op::Transpose(perm) => one(ops::transpose(ins[0], Some(&axes_i64(perm)))?),
            Op::BroadcastLike => one(ops::broadcast_to(ins[0], ins[1].dims())?),
            Op::SumLike => one(sum_to(ins[0], ins[1].dims())?),
            Op::ReshapeLike => {
                let dims: Vec<i64> = ins[1].dims().iter().map(|&d| d as i64).collect();
                one(ops::reshape(ins[0], &dims)?)
            }
            Op::Concat { axis } => {
                let xs: Vec<Tensor> = ins.iter().map(|t| (*t).clone()).collect();
                one(ops::concatenate(&xs, *axis as i64)?)
            }
            Op::Slice { axis, start, len } => {
                let mut starts = vec![0i64; ins[0].rank()];
                let mut shape: Vec<i64> = ins[0].dims().iter().map(|&d| d as i64).collect();
                starts[*axis] = *start as i64;
                shape[*axis] = *len as i64;
                one(ops::slice(ins[0], &starts, &shape)?)
            }
            Op::Pad { axis, before, after } => {
                let mut widths = vec![[0usize; 2]; ins[0].rank()];
                widths[*axis] = [*before, *after];
                one(ops::pad(ins[0], &widths, "constant", Some(0.0))?)
            }
            Op::OneHot { depth } => one(ops::one_hot(ins[0], *depth as i64, -1, Some(DType::F32))?),
            Op::ArgMax { axis } => one(ops::argmax(ins[0], Some(*axis as i64), false)?),
            Op::Size { axes } => {
                let n: usize = axes.iter().map(|&a| ins[0].dims()[a]).product();
                one(ops::full(&[], n as f64, DType::F32, device)?)
            }
            Op::DropoutMask { rate } => one(ops::dropout_mask_seeded(ins[0].dims(), *rate, ins[1])?),
            Op::SeedAdvance => one(ops::seed_advance(ins[0])?),
            Op::RandomUniform => one(ops::uniform_seeded(ins[0].dims(), ins[1], 0.0, 1.0, DType::F32)?),
            Op::RandomNormal => one(ops::normal_seeded(ins[0].dims(), ins[1], 0.0, 1.0, DType::F32)?),
            Op::TakeRows => one(ops::take(ins[0], ins[1], Some(0))?),
            Op::ScatterAddRows => {
                let (g, idx, x) = (ins[0], ins[1], ins[2]);
                let n = idx.dims().iter().product::<usize>() as i64;
                let idx = ops::reshape(idx, &[n, 1])?;
                let mut rows: Vec<i64> = vec![n];
                rows.extend(x.dims()[1..].iter().map(|&d| d as i64));
                let g = ops::reshape(g, &rows)?;
                one(ops::scatter(&idx, &g, x.dims())?)
            }
        }
    }
}

/// Sums `g` down to `dims` (the inverse of broadcasting a tensor of `dims` to g's shape).
pub fn sum_to(g: &Tensor, dims: &[usize]) -> Result<Tensor> {
    if g.dims() == dims {
        return Ok(g.clone());
    }
    let extra = g.rank().checked_sub(dims.len()).ok_or_else(|| {
        err("sum_to", format!("cannot reduce shape {:?} to the larger rank of {:?}", g.dims(), dims))
    })?;
    let mut axes: Vec<i64> = (0..extra as i64).collect();
    for (i, &d) in dims.iter().enumerate() {
        if d == 1 && g.dims()[extra + i] != 1 {
            axes.push((extra + i) as i64);
        }
    }
    let s = ops::sum(g, Some(&axes), true)?;
    let target: Vec<i64> = dims.iter().map(|&d| d as i64).collect();
    Ok(ops::reshape(&s, &target)?)
}
