//! Reverse-mode autodiff. Gradients are built as ordinary graph nodes from the ops' vector-
//! Jacobian products, so a gradient can itself be differentiated (Hessians).

use std::collections::HashMap;

use wgkeras_runtime::ops::{BinaryOp, UnaryOp};

use crate::error::{Error, Result};
use crate::graph::{Graph, NodeId, Op, Sym};

/// `d(sum(y * seed))/dx` for each x; `seed` defaults to ones shaped like `y` (so for a scalar
/// `y` these are the plain gradients). `None` where y does not depend on x (or only through
/// integer values or `stop_gradient`).
pub fn gradients<'g>(y: Sym<'g>, xs: &[Sym<'g>], seed: Option<Sym<'g>>) -> Result<Vec<Option<Sym<'g>>>> {
    let g = y.graph;
    if !y.dtype().is_float() {
        return Err(Error::arg(
            "gradients",
            format!("the target must be a float tensor, got {}", y.dtype().name()),
        ));
    }
    let seed = match seed {
        Some(s) => s,
        None => y.scalar_like(1.0)?.broadcast_like(y)?,
    };
    let nodes: Vec<(Op, Vec<NodeId>)> =
        g.nodes()[..=y.id].iter().map(|n| (n.op.clone(), n.inputs.clone())).collect();
    // Which nodes depend on some x: only those get adjoints.
    let mut wanted = vec![false; nodes.len()];
    for x in xs {
        if x.id < wanted.len() {
            wanted[x.id] = true;
        }
    }
    for (id, (_, inputs)) in nodes.iter().enumerate() {
        if inputs.iter().any(|&i| wanted[i]) {
            wanted[id] = true;
        }
    }
    let mut adjoint: HashMap<NodeId, Sym<'g>> = HashMap::new();
    adjoint.insert(y.id, seed);
    for id in (0..=y.id).rev() {
        let Some(&gy) = adjoint.get(&id) else { continue };
        let (op, inputs) = &nodes[id];
        if inputs.is_empty() || !inputs.iter().any(|&i| wanted[i]) {
            continue;
        }
        let grads = vjp(g, op, inputs, id, gy)?;
        for (&input, grad) in inputs.iter().zip(grads) {
            let Some(grad) = grad else { continue };
            if !wanted[input] || !g.sym(input).dtype().is_float() {
                continue;
            }
            let grad = grad.cast(g.sym(input).dtype())?;
            let total = match adjoint.get(&input) {
                Some(&acc) => acc.add(grad)?,
                None => grad,
            };
            adjoint.insert(input, total);
        }
    }
    Ok(xs.iter().map(|x| adjoint.get(&x.id).copied()).collect())
}

/// The gradient of a binary op's result wrt each operand, summed back to the operand's shape.
fn vjp<'g>(
    g: &'g Graph,
    op: &Op,
    inputs: &[NodeId],
    out: NodeId,
    gy: Sym<'g>,
) -> Result<Vec<Option<Sym<'g>>>> {
    let x = |i: usize| g.sym(inputs[i]);
    let y = g.sym(out);
    let float = |s: Sym<'g>| s.cast(gy.dtype());
    Ok(match op {
        Op::Input { .. } | Op::Variable(_) | Op::Constant(_) => vec![],
        Op::Unary(u) => {
            let a = x(0);
            let d = match u {
                UnaryOp::Negative => Some(gy.neg()?),
                // JAX's rule: the slope at 0 is +1 (as an L1 penalty on a zero weight steps it).
                UnaryOp::Abs => {
                    let pos = a.greater_equal(a.scalar_like(0.0)?)?;
                    Some(pos.select(gy, gy.neg()?)?)
                }
                UnaryOp::Exp => Some(gy.mul(y)?),
                UnaryOp::Expm1 => Some(gy.mul(y.add_scalar(1.0)?)?),
                UnaryOp::Log => Some(gy.div(a)?),
                UnaryOp::Log1p => Some(gy.div(a.add_scalar(1.0)?)?),
                UnaryOp::Sqrt => Some(gy.div(y.mul_scalar(2.0)?)?),
                UnaryOp::Rsqrt => Some(gy.mul(y.div(a)?.mul_scalar(-0.5)?)?),
                UnaryOp::Square => Some(gy.mul(a.mul_scalar(2.0)?)?),
                UnaryOp::Reciprocal => Some(gy.mul(y.square()?)?.neg()?),
                UnaryOp::Sin => Some(gy.mul(a.cos()?)?),
                UnaryOp::Cos => Some(gy.mul(a.sin()?)?.neg()?),
                UnaryOp::Tan => Some(gy.mul(y.square()?.add_scalar(1.0)?)?),
                UnaryOp::Tanh => Some(gy.mul(y.square()?.rsub_scalar(1.0)?)?),
                UnaryOp::Sigmoid => Some(gy.mul(y.mul(y.rsub_scalar(1.0)?)?)?),
                // relu'(x) = [y > 0]: reading the output lets the compiler fuse the activation
                // into the matmul that makes x.
                UnaryOp::Relu => Some(float(y.greater(y.scalar_like(0.0)?)?)?.mul(gy)?),
                UnaryOp::Softplus => Some(gy.mul(a.sigmoid()?)?),
                UnaryOp::Erf => {
                    let c = 2.0 / std::f64::consts::PI.sqrt();
                    Some(gy.mul(a.square()?.neg()?.exp()?.mul_scalar(c)?)?)
                }
                UnaryOp::Sign | UnaryOp::Floor | UnaryOp::Ceil | UnaryOp::Round => None,
            };
            vec![d]
        }
        Op::Binary(b) => {
            let (a, c) = (x(0), x(1));
            let (da, dc) = match b {
                BinaryOp::Add => (Some(gy), Some(gy)),
                BinaryOp::Subtract => (Some(gy), Some(gy.neg()?)),
                BinaryOp::Multiply => (Some(gy.mul(c)?), Some(gy.mul(a)?)),
                BinaryOp::Divide => (Some(gy.div(c)?), Some(gy.mul(y)?.div(c)?.neg()?)),
                BinaryOp::Power => {
                    // d/da = c * a^(c-1); d/dc = y * log(a) (0 where a == 0, as JAX).
                    let da = gy.mul(c)?.mul(a.pow(c.add_scalar(-1.0)?)?)?;
                    let zero = a.scalar_like(0.0)?;
                    let safe = a.equal(zero)?.select(a.scalar_like(1.0)?, a)?;
                    let dc = gy.mul(a.equal(zero)?.select(zero, y.mul(safe.log()?)?)?)?;
                    (Some(da), Some(dc))
                }
                BinaryOp::Maximum | BinaryOp::Minimum => {
                    // JAX's rule: the winner gets the gradient, a tie splits it in halves.
                    let wins = if *b == BinaryOp::Maximum { a.greater(c)? } else { a.less(c)? };
                    let ties = a.equal(c)?;
                    let wa = float(wins)?.add(float(ties)?.mul_scalar(0.5)?)?;
                    let da = gy.mul(wa)?;
                    let dc = gy.mul(wa.rsub_scalar(1.0)?)?;
                    (Some(da), Some(dc))
                }
            };
            vec![da.map(|d| d.sum_like(a)).transpose()?, dc.map(|d| d.sum_like(c)).transpose()?]
        }
        Op::Compare(_) | Op::ArgMax { .. } | Op::OneHot { .. } | Op::Size { .. } | Op::StopGradient => {
            vec![None; inputs.len()]
        }
        Op::DropoutMask { .. } | Op::SeedAdvance | Op::RandomUniform | Op::RandomNormal => {
            vec![None; inputs.len()]
        }
        Op::TakeRows => {
            let grad = g.apply(Op::ScatterAddRows, &[gy.id, inputs[1], inputs[0]])?;
            vec![Some(grad), None]
        }
        Op::ScatterAddRows => vec![Some(gy.take_rows(x(1))?), None, None],
        Op::Where => {
            let (c, a, b) = (x(0), x(1), x(2));
            let zero = gy.scalar_like(0.0)?;
            let da = c.select(gy, zero)?.sum_like(a)?;
            let db = c.select(zero, gy)?.sum_like(b)?;
            vec![None, Some(da), Some(db)]
        }
        Op::Cast(_) => vec![Some(gy.cast(x(0).dtype())?)],
        Op::MatMul { transpose_a, transpose_b } => {
            let (a, b) = (x(0), x(1));
            if *transpose_a || *transpose_b || (a.rank() == 2 && b.rank() == 2) {
                let (ta, tb) = (*transpose_a, *transpose_b);
                let da = match ta {
                    false => gy.matmul_t(b, false, !tb)?,
                    true => b.matmul_t(gy, tb, true)?,
                };
                let db = match tb {
                    false => a.matmul_t(gy, !ta, false)?,
                    true => gy.matmul_t(a, true, ta)?,
                };
                vec![Some(da), Some(db)]
            } else {
                matmul_nd_vjp(a, b, gy)?
            }
        }
        Op::MatMulFused { .. } | Op::Fused(_) | Op::Output { .. } => {
            return Err(Error::arg(
                "gradients",
                format!("{} nodes are made by the compiler after differentiation", op.name()),
            ))
        }
        Op::Sum { axes, keepdims } => {
            let a = x(0);
            let gk = if *keepdims { gy } else { keep_dims(gy, a, axes)? };
            vec![Some(gk.broadcast_like(a)?)]
        }
        Op::Max { axes, keepdims } => {
            // The gradient goes to the maxima, shared equally among ties (as JAX does).
            let a = x(0);
            let (yk, gk) =
                if *keepdims { (y, gy) } else { (keep_dims(y, a, axes)?, keep_dims(gy, a, axes)?) };
            let hit = float(a.equal(yk)?)?;
            let count = hit.sum(&axes.iter().map(|&i| i as i64).collect::<Vec<_>>(), true)?;
            vec![Some(hit.mul(gk.div(count)?)?)]
        }
        Op::Reshape(_) | Op::ReshapeLike => {
            let mut v = vec![Some(gy.reshape_like(x(0))?)];
            v.resize(inputs.len(), None);
            v
        }
        Op::Transpose(perm) => {
            let mut inv = vec![0; perm.len()];
            for (i, &p) in perm.iter().enumerate() {
                inv[p] = i;
            }
            vec![Some(gy.transpose(&inv)?)]
        }
        Op::BroadcastLike => vec![Some(gy.sum_like(x(0))?), None],
        Op::SumLike => vec![Some(gy.broadcast_like(x(0))?), None],
        Op::Concat { axis } => {
            let mut start = 0;
            let mut out = vec![];
            for i in 0..inputs.len() {
                let len = x(i).shape()[*axis].ok_or_else(|| {
                    Error::arg("gradients", "cannot differentiate a concatenation along an unknown dimension")
                })?;
                out.push(Some(gy.slice_axis(*axis as i64, start, len)?));
                start += len;
            }
            out
        }
        Op::Slice { axis, start, len } => {
            let total = x(0).shape()[*axis].ok_or_else(|| {
                Error::arg("gradients", "cannot differentiate a slice of an unknown dimension")
            })?;
            vec![Some(gy.pad_axis(*axis as i64, *start, total - start - len)?)]
        }
        Op::Pad { axis, before, .. } => {
            let len = x(0).shape()[*axis].ok_or_else(|| {
                Error::arg("gradients", "cannot differentiate a pad of an unknown dimension")
            })?;
            vec![Some(gy.slice_axis(*axis as i64, *before, len)?)]
        }
    })
}

/// Re-inserts the reduced `axes` of `full` into `reduced` as size-1 dims.
fn keep_dims<'g>(reduced: Sym<'g>, full: Sym<'g>, axes: &[usize]) -> Result<Sym<'g>> {
    let shape = full.shape();
    let kept: Vec<Option<usize>> =
        shape.iter().enumerate().map(|(i, &d)| if axes.contains(&i) { Some(1) } else { d }).collect();
    if kept.iter().filter(|d| d.is_none()).count() <= 1 {
        let t: Vec<i64> = kept.iter().map(|d| d.map_or(-1, |d| d as i64)).collect();
        reduced.reshape(&t)
    } else {
        let proto = full.sum(&axes.iter().map(|&i| i as i64).collect::<Vec<_>>(), true)?;
        reduced.reshape_like(proto)
    }
}

/// Batched matmul (no transposes): dA = g @ B^T, dB = A^T @ g, with vectors promoted to
/// matrices and batch dims summed back to each operand's shape.
fn matmul_nd_vjp<'g>(a: Sym<'g>, b: Sym<'g>, gy: Sym<'g>) -> Result<Vec<Option<Sym<'g>>>> {
    let a2 = if a.rank() == 1 { a.expand_dims(0)? } else { a };
    let b2 = if b.rank() == 1 { b.expand_dims(-1)? } else { b };
    let mut g2 = gy;
    if a.rank() == 1 {
        g2 = g2.expand_dims(if b.rank() == 1 { 0 } else { -2 })?;
    }
    if b.rank() == 1 {
        g2 = g2.expand_dims(-1)?;
    }
    let da = g2.matmul(b2.mt()?)?.sum_like(a2)?.reshape_like(a)?;
    let db = a2.mt()?.matmul(g2)?.sum_like(b2)?.reshape_like(b)?;
    Ok(vec![Some(da), Some(db)])
}
