//! The op methods of [`Sym`]: each checks its operands and appends one node (or a few, for
//! composites such as `mean` and `softmax`). Names follow `keras.ops`.

use wgkeras_runtime::ops::{BinaryOp, CompareOp, UnaryOp};
use wgkeras_runtime::DType;

use crate::error::{Error, Result};
use crate::graph::{shape_str, Op, Sym};

impl<'g> Sym<'g> {
    fn op(self, op: Op, others: &[Sym<'g>]) -> Result<Sym<'g>> {
        let mut ids = vec![self.id];
        for o in others {
            self.same_graph(op.name(), *o)?;
            ids.push(o.id);
        }
        self.graph.apply(op, &ids)
    }

    /// Normalizes a possibly negative axis against this tensor's rank.
    pub fn axis(self, op: &'static str, axis: i64) -> Result<usize> {
        let r = self.rank() as i64;
        let a = if axis < 0 { axis + r } else { axis };
        if a < 0 || a >= r.max(1) || (r == 0 && a != 0) {
            return Err(Error::arg(
                op,
                format!("axis {axis} is out of range for shape {}", shape_str(&self.shape())),
            ));
        }
        Ok(a as usize)
    }

    fn axes(self, op: &'static str, axes: &[i64]) -> Result<Vec<usize>> {
        let mut out = axes.iter().map(|&a| self.axis(op, a)).collect::<Result<Vec<_>>>()?;
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// A scalar constant of this tensor's dtype.
    pub fn scalar_like(self, value: f64) -> Result<Sym<'g>> {
        self.graph.scalar(value, self.dtype())
    }

    pub fn unary(self, op: UnaryOp) -> Result<Sym<'g>> {
        self.op(Op::Unary(op), &[])
    }
    pub fn binary(self, op: BinaryOp, other: Sym<'g>) -> Result<Sym<'g>> {
        self.op(Op::Binary(op), &[other])
    }
    pub fn compare(self, op: CompareOp, other: Sym<'g>) -> Result<Sym<'g>> {
        self.op(Op::Compare(op), &[other])
    }

    pub fn add(self, o: Sym<'g>) -> Result<Sym<'g>> {
        self.binary(BinaryOp::Add, o)
    }
    pub fn sub(self, o: Sym<'g>) -> Result<Sym<'g>> {
        self.binary(BinaryOp::Subtract, o)
    }
    pub fn mul(self, o: Sym<'g>) -> Result<Sym<'g>> {
        self.binary(BinaryOp::Multiply, o)
    }
    pub fn div(self, o: Sym<'g>) -> Result<Sym<'g>> {
        self.binary(BinaryOp::Divide, o)
    }
    pub fn pow(self, o: Sym<'g>) -> Result<Sym<'g>> {
        self.binary(BinaryOp::Power, o)
    }
    pub fn maximum(self, o: Sym<'g>) -> Result<Sym<'g>> {
        self.binary(BinaryOp::Maximum, o)
    }
    pub fn minimum(self, o: Sym<'g>) -> Result<Sym<'g>> {
        self.binary(BinaryOp::Minimum, o)
    }
    pub fn add_scalar(self, v: f64) -> Result<Sym<'g>> {
        self.add(self.scalar_like(v)?)
    }
    pub fn mul_scalar(self, v: f64) -> Result<Sym<'g>> {
        self.mul(self.scalar_like(v)?)
    }
    /// `v - self`.
    pub fn rsub_scalar(self, v: f64) -> Result<Sym<'g>> {
        self.scalar_like(v)?.sub(self)
    }
    pub fn pow_scalar(self, v: f64) -> Result<Sym<'g>> {
        self.pow(self.scalar_like(v)?)
    }
    pub fn maximum_scalar(self, v: f64) -> Result<Sym<'g>> {
        self.maximum(self.scalar_like(v)?)
    }
    pub fn minimum_scalar(self, v: f64) -> Result<Sym<'g>> {
        self.minimum(self.scalar_like(v)?)
    }
    /// `clip(x, lo, hi)` = `minimum(maximum(x, lo), hi)`.
    pub fn clip(self, lo: f64, hi: f64) -> Result<Sym<'g>> {
        self.maximum_scalar(lo)?.minimum_scalar(hi)
    }

    pub fn neg(self) -> Result<Sym<'g>> {
        self.unary(UnaryOp::Negative)
    }
    pub fn abs(self) -> Result<Sym<'g>> {
        self.unary(UnaryOp::Abs)
    }
    pub fn sign(self) -> Result<Sym<'g>> {
        self.unary(UnaryOp::Sign)
    }
    pub fn exp(self) -> Result<Sym<'g>> {
        self.unary(UnaryOp::Exp)
    }
    pub fn log(self) -> Result<Sym<'g>> {
        self.unary(UnaryOp::Log)
    }
    pub fn log1p(self) -> Result<Sym<'g>> {
        self.unary(UnaryOp::Log1p)
    }
    pub fn expm1(self) -> Result<Sym<'g>> {
        self.unary(UnaryOp::Expm1)
    }
    pub fn sqrt(self) -> Result<Sym<'g>> {
        self.unary(UnaryOp::Sqrt)
    }
    pub fn rsqrt(self) -> Result<Sym<'g>> {
        self.unary(UnaryOp::Rsqrt)
    }
    pub fn square(self) -> Result<Sym<'g>> {
        self.unary(UnaryOp::Square)
    }
    pub fn reciprocal(self) -> Result<Sym<'g>> {
        self.unary(UnaryOp::Reciprocal)
    }
    pub fn sin(self) -> Result<Sym<'g>> {
        self.unary(UnaryOp::Sin)
    }
    pub fn cos(self) -> Result<Sym<'g>> {
        self.unary(UnaryOp::Cos)
    }
    pub fn tanh(self) -> Result<Sym<'g>> {
        self.unary(UnaryOp::Tanh)
    }
    pub fn sigmoid(self) -> Result<Sym<'g>> {
        self.unary(UnaryOp::Sigmoid)
    }
    pub fn relu(self) -> Result<Sym<'g>> {
        self.unary(UnaryOp::Relu)
    }
    pub fn softplus(self) -> Result<Sym<'g>> {
        self.unary(UnaryOp::Softplus)
    }
    pub fn erf(self) -> Result<Sym<'g>> {
        self.unary(UnaryOp::Erf)
    }

    pub fn greater(self, o: Sym<'g>) -> Result<Sym<'g>> {
        self.compare(CompareOp::Greater, o)
    }
    pub fn greater_equal(self, o: Sym<'g>) -> Result<Sym<'g>> {
        self.compare(CompareOp::GreaterEqual, o)
    }
    pub fn less(self, o: Sym<'g>) -> Result<Sym<'g>> {
        self.compare(CompareOp::Less, o)
    }
    pub fn less_equal(self, o: Sym<'g>) -> Result<Sym<'g>> {
        self.compare(CompareOp::LessEqual, o)
    }
    pub fn equal(self, o: Sym<'g>) -> Result<Sym<'g>> {
        self.compare(CompareOp::Equal, o)
    }
    pub fn not_equal(self, o: Sym<'g>) -> Result<Sym<'g>> {
        self.compare(CompareOp::NotEqual, o)
    }
    pub fn logical_and(self, o: Sym<'g>) -> Result<Sym<'g>> {
        self.compare(CompareOp::LogicalAnd, o)
    }
    pub fn logical_or(self, o: Sym<'g>) -> Result<Sym<'g>> {
        self.compare(CompareOp::LogicalOr, o)
    }

    /// `where(self, a, b)`: a where self is true, else b.
    pub fn select(self, a: Sym<'g>, b: Sym<'g>) -> Result<Sym<'g>> {
        self.op(Op::Where, &[a, b])
    }
    pub fn cast(self, dtype: DType) -> Result<Sym<'g>> {
        if self.dtype() == dtype {
            return Ok(self);
        }
        self.op(Op::Cast(dtype), &[])
    }
    pub fn stop_gradient(self) -> Result<Sym<'g>> {
        self.op(Op::StopGradient, &[])
    }

    pub fn matmul(self, b: Sym<'g>) -> Result<Sym<'g>> {
        self.op(Op::MatMul { transpose_a: false, transpose_b: false }, &[b])
    }
    /// `op(self) @ op(b)` on 2-D operands, without materializing the transposes.
    pub fn matmul_t(self, b: Sym<'g>, transpose_a: bool, transpose_b: bool) -> Result<Sym<'g>> {
        self.op(Op::MatMul { transpose_a, transpose_b }, &[b])
    }

    pub fn sum(self, axes: &[i64], keepdims: bool) -> Result<Sym<'g>> {
        let axes = self.axes("sum", axes)?;
        self.op(Op::Sum { axes, keepdims }, &[])
    }
    /// Sum over every axis.
    pub fn sum_all(self) -> Result<Sym<'g>> {
        let axes: Vec<i64> = (0..self.rank() as i64).collect();
        self.sum(&axes, false)
    }
    pub fn max(self, axes: &[i64], keepdims: bool) -> Result<Sym<'g>> {
        let axes = self.axes("max", axes)?;
        self.op(Op::Max { axes, keepdims }, &[])
    }
    pub fn min(self, axes: &[i64], keepdims: bool) -> Result<Sym<'g>> {
        self.neg()?.max(axes, keepdims)?.neg()
    }
    /// The product of the sizes along `axes` as a float32 scalar (known only at run time when
    /// an axis is the batch).
    pub fn size(self, axes: &[i64]) -> Result<Sym<'g>> {
        let axes = self.axes("size", axes)?;
        let shape = self.shape();
        if let Some(n) = axes.iter().try_fold(1usize, |acc, &a| shape[a].map(|d| acc * d)) {
            return self.graph.scalar(n as f64, DType::F32);
        }
        self.op(Op::Size { axes }, &[])
    }
    pub fn mean(self, axes: &[i64], keepdims: bool) -> Result<Sym<'g>> {
        let x = if self.dtype().is_float() { self } else { self.cast(DType::F32)? };
        let n = x.size(axes)?.cast(x.dtype())?;
        x.sum(axes, keepdims)?.div(n)
    }
    pub fn mean_all(self) -> Result<Sym<'g>> {
        let axes: Vec<i64> = (0..self.rank() as i64).collect();
        self.mean(&axes, false)
    }

    pub fn reshape(self, target: &[i64]) -> Result<Sym<'g>> {
        self.op(Op::Reshape(target.to_vec()), &[])
    }
    /// The static shape as a reshape target, the one unknown dim (if any) as -1.
    fn reshape_target(self, op: &'static str, shape: &[Option<usize>]) -> Result<Vec<i64>> {
        if shape.iter().filter(|d| d.is_none()).count() > 1 {
            return Err(Error::arg(op, format!("cannot express shape {} with one -1", shape_str(shape))));
        }
        Ok(shape.iter().map(|d| d.map_or(-1, |d| d as i64)).collect())
    }
    pub fn expand_dims(self, axis: i64) -> Result<Sym<'g>> {
        let mut s = self.shape();
        let r = s.len() as i64 + 1;
        let a = if axis < 0 { axis + r } else { axis };
        if !(0..r).contains(&a) {
            return Err(Error::arg("expand_dims", format!("axis {axis} out of range for rank {}", r - 1)));
        }
        s.insert(a as usize, Some(1));
        let t = self.reshape_target("expand_dims", &s)?;
        self.reshape(&t)
    }
    pub fn transpose(self, perm: &[usize]) -> Result<Sym<'g>> {
        self.op(Op::Transpose(perm.to_vec()), &[])
    }
    /// Swaps the last two axes.
    pub fn mt(self) -> Result<Sym<'g>> {
        let r = self.rank();
        if r < 2 {
            return Ok(self);
        }
        let mut perm: Vec<usize> = (0..r).collect();
        perm.swap(r - 1, r - 2);
        self.transpose(&perm)
    }
    /// (Like every shape rule here, this takes unknown dims at the same place to be equal: they
    /// are the batch dimension, which all of a step's tensors share.)
    pub fn broadcast_like(self, target: Sym<'g>) -> Result<Sym<'g>> {
        if self.shape() == target.shape() {
            return Ok(self);
        }
        self.op(Op::BroadcastLike, &[target])
    }
    pub fn sum_like(self, target: Sym<'g>) -> Result<Sym<'g>> {
        if self.shape() == target.shape() {
            return Ok(self);
        }
        self.op(Op::SumLike, &[target])
    }
    pub fn reshape_like(self, target: Sym<'g>) -> Result<Sym<'g>> {
        if self.shape() == target.shape() {
            return Ok(self);
        }
        self.op(Op::ReshapeLike, &[target])
    }
    pub fn concat(xs: &[Sym<'g>], axis: i64) -> Result<Sym<'g>> {
        let first = *xs.first().ok_or_else(|| Error::arg("concatenate", "needs at least one tensor"))?;
        let axis = first.axis("concatenate", axis)?;
        first.op(Op::Concat { axis }, &xs[1..])
    }
    pub fn slice_axis(self, axis: i64, start: usize, len: usize) -> Result<Sym<'g>> {
        let axis = self.axis("slice", axis)?;
        self.op(Op::Slice { axis, start, len }, &[])
    }
    pub fn pad_axis(self, axis: i64, before: usize, after: usize) -> Result<Sym<'g>> {
        let axis = self.axis("pad", axis)?;
        self.op(Op::Pad { axis, before, after }, &[])
    }
    pub fn one_hot(self, depth: usize) -> Result<Sym<'g>> {
        self.op(Op::OneHot { depth }, &[])
    }
    /// Keras's `ops.normalize(x, axis, order=2, epsilon)`: `x * min(rsqrt(sum(x^2, axes)), 1 / epsilon)`
    /// (a zero vector stays zero).
    pub fn l2_normalize(self, axes: &[i64], epsilon: f64) -> Result<Sym<'g>> {
        self.mul(self.square()?.sum(axes, true)?.rsqrt()?.minimum_scalar(1.0 / epsilon)?)
    }
    /// `take(self, indices, axis=0)`: rows of `self` picked by integer `indices`.
    pub fn take_rows(self, indices: Sym<'g>) -> Result<Sym<'g>> {
        self.op(Op::TakeRows, &[indices])
    }
    /// `take(self, indices, axis)` along any axis (a transpose around [`Sym::take_rows`]).
    pub fn take(self, indices: Sym<'g>, axis: i64) -> Result<Sym<'g>> {
        let axis = self.axis("take", axis)?;
        if axis == 0 {
            return self.take_rows(indices);
        }
        let r = self.rank();
        let mut perm: Vec<usize> = vec![axis];
        perm.extend((0..r).filter(|&i| i != axis));
        let rows = self.transpose(&perm)?.take_rows(indices)?;
        // rows: indices.shape + [dims before axis] + [dims after axis]
        let k = indices.rank();
        let mut back: Vec<usize> = (k..k + axis).collect();
        back.extend(0..k);
        back.extend(k + axis..k + r - 1);
        rows.transpose(&back)
    }
    /// Uniform draws in [0, 1) shaped like `self` (float32), from a uint32 `[2]` seed node.
    pub fn random_uniform_like(self, seed: Sym<'g>) -> Result<Sym<'g>> {
        self.op(Op::RandomUniform, &[seed])
    }
    /// Standard normal draws shaped like `self` (float32), from a uint32 `[2]` seed node.
    pub fn random_normal_like(self, seed: Sym<'g>) -> Result<Sym<'g>> {
        self.op(Op::RandomNormal, &[seed])
    }
    pub fn argmax(self, axis: i64) -> Result<Sym<'g>> {
        let axis = self.axis("argmax", axis)?;
        self.op(Op::ArgMax { axis }, &[])
    }

    /// `log(sum(exp(x), axis))`, stable.
    pub fn logsumexp(self, axis: i64, keepdims: bool) -> Result<Sym<'g>> {
        let m = self.max(&[axis], true)?.stop_gradient()?;
        let s = self.sub(m)?.exp()?.sum(&[axis], true)?.log()?.add(m)?;
        if keepdims {
            Ok(s)
        } else {
            let mut shape = s.shape();
            shape.remove(self.axis("logsumexp", axis)?);
            let t = s.reshape_target("logsumexp", &shape)?;
            s.reshape(&t)
        }
    }
    pub fn softmax(self, axis: i64) -> Result<Sym<'g>> {
        self.softmax_over(&[axis])
    }
    /// Softmax over several axes at once (Keras's `softmax(x, axis=(..))`).
    pub fn softmax_over(self, axes: &[i64]) -> Result<Sym<'g>> {
        let m = self.max(axes, true)?.stop_gradient()?;
        let e = self.sub(m)?.exp()?;
        e.div(e.sum(axes, true)?)
    }
    pub fn log_softmax(self, axis: i64) -> Result<Sym<'g>> {
        self.log_softmax_over(&[axis])
    }
    /// `(x - max) - log(sum(exp(x - max)))` over `axes`, as JAX computes it (subtracting
    /// `max + log(..)` in one go would lose the low digits next to a large max).
    pub fn log_softmax_over(self, axes: &[i64]) -> Result<Sym<'g>> {
        let shifted = self.sub(self.max(axes, true)?.stop_gradient()?)?;
        shifted.sub(shifted.exp()?.sum(axes, true)?.log()?)
    }
}
