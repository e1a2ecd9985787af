//! Similarity (metric-learning) losses: `Circle`.

use serde_json::{Map, Value};
use wgkeras_runtime::{CpuStorage, DType, Device, Tensor};

use super::{ConfigReader, Loss, LossBase, Num, Reduction};
use crate::error::{Error, Result};
use crate::graph::{shape_str, Sym};

const CLASS: &str = "Circle";

/// Integer labels as a column `[n, 1]` (Keras's `build_pos_neg_masks` reshapes 1-D labels).
fn label_column<'g>(what: &str, labels: Sym<'g>) -> Result<Sym<'g>> {
    let ids = labels.cast(DType::I32)?;
    let col = match ids.rank() {
        1 => ids.reshape(&[-1, 1])?,
        2 if ids.shape()[1] == Some(1) => ids,
        _ => {
            return Err(Error::arg(
                CLASS,
                format!("{CLASS}: {what} must have shape (n,) or (n, 1), got {}", shape_str(&labels.shape())),
            ))
        }
    };
    Ok(col)
}

/// `0, 1, .., n-1` (int32) for the rows of `col` (`[n, 1]`) when `n` is only known at run time:
/// the `[n, n+1]` matrix with ones in its first column, read as `[n+1, n]`, has its single one of
/// column `c` in row `c`, so an argmax over the rows gives `c`.
fn arange_rows<'g>(col: Sym<'g>) -> Result<Sym<'g>> {
    let ones = col.cast(DType::F32)?.stop_gradient()?.mul_scalar(0.0)?.add_scalar(1.0)?;
    let zeros = ones.mul(ones.transpose(&[1, 0])?)?.mul_scalar(0.0)?;
    let wide = Sym::concat(&[ones, zeros], 1)?.reshape(&[-1])?;
    let tall = Sym::concat(&[zeros, zeros.slice_axis(0, 0, 1)?], 0)?;
    wide.reshape_like(tall)?.argmax(0)
}

/// `1 - eye(n, m)` in `dtype` for label columns `[n, 1]` and `[m, 1]`.
fn off_diagonal<'g>(q: Sym<'g>, k: Sym<'g>, dtype: DType) -> Result<Sym<'g>> {
    let eye = match (q.shape()[0], k.shape()[0]) {
        (Some(n), Some(m)) => {
            let data: Vec<f64> = (0..n * m).map(|i| if i / m == i % m { 1.0 } else { 0.0 }).collect();
            let t = Tensor::from_cpu(CpuStorage::from_f64(dtype, data), &[n, m], &Device::Cpu)?;
            q.graph.constant(t)
        }
        _ => {
            let rq = arange_rows(q)?.reshape(&[-1, 1])?;
            let rk = arange_rows(k)?.reshape(&[1, -1])?;
            rq.equal(rk)?.cast(dtype)?
        }
    };
    eye.rsub_scalar(1.0)
}

/// `logsumexp` along axis 1 over the entries where `mask` (0/1 floats) is 1, `-inf` for rows
/// without any (JAX's `logsumexp(where(mask, x, -inf))`, with gradients that stay finite).
fn masked_logsumexp<'g>(x: Sym<'g>, mask: Sym<'g>) -> Result<Sym<'g>> {
    let on = mask.greater(mask.scalar_like(0.5)?)?;
    let any = mask.max(&[1], true)?.greater(mask.scalar_like(0.5)?)?;
    let neg_inf = x.scalar_like(f64::NEG_INFINITY)?;
    let m = on.select(x, neg_inf)?.max(&[1], true)?;
    let m = any.select(m, x.scalar_like(0.0)?)?.stop_gradient()?;
    let shifted = on.select(x, m.broadcast_like(x)?)?.sub(m)?;
    let s = shifted.exp()?.mul(mask)?.sum(&[1], true)?;
    let lse = any.select(s, s.scalar_like(1.0)?)?.log()?.add(m)?;
    any.select(lse, neg_inf)?.reshape(&[-1])
}

/// `keras.losses.circle(y_true, y_pred, ref_labels=None, ref_embeddings=None,
/// remove_diagonal=True, gamma=80, margin=0.4)`: the per-sample Circle losses of the
/// embeddings `y_pred` (`[B, D]`, expected L2-normalized) against the reference embeddings
/// (default `y_pred`), with the mask Keras sets on them (`loss > 0`).
pub fn circle_masked<'g>(
    y_true: Sym<'g>,
    y_pred: Sym<'g>,
    ref_labels: Option<Sym<'g>>,
    ref_embeddings: Option<Sym<'g>>,
    remove_diagonal: bool,
    gamma: f64,
    margin: f64,
) -> Result<(Sym<'g>, Sym<'g>)> {
    let refs = ref_embeddings.map(|r| r.cast(y_pred.dtype())).transpose()?.unwrap_or(y_pred);
    if y_pred.rank() != 2 || refs.rank() != 2 {
        return Err(Error::arg(
            CLASS,
            format!(
                "{CLASS}: the embeddings must have shape (batch, dim), got y_pred.shape={} and ref_embeddings.shape={}",
                shape_str(&y_pred.shape()),
                shape_str(&refs.shape())
            ),
        ));
    }
    let q = label_column("`y_true`", y_true)?;
    let k = match ref_labels {
        Some(r) => label_column("`ref_labels`", r)?,
        None => q,
    };
    let dtype = y_pred.dtype();
    let dist = y_pred.matmul_t(refs, false, true)?.rsub_scalar(1.0)?.maximum_scalar(0.0)?;
    let mut pos = q.equal(k.transpose(&[1, 0])?)?.cast(dtype)?;
    super::check_broadcast(CLASS, "the label masks and the pairwise distances", pos, dist)?;
    let neg = pos.rsub_scalar(1.0)?;
    if remove_diagonal {
        pos = pos.mul(off_diagonal(q, k, dtype)?)?;
    }
    let pos_w = dist.add_scalar(margin)?.mul(pos)?.maximum_scalar(0.0)?;
    let neg_w = dist.rsub_scalar(1.0 + margin)?.mul(neg)?.maximum_scalar(0.0)?;
    let pos_wd = pos_w.mul(dist.rsub_scalar(margin)?)?.mul_scalar(-gamma)?;
    let neg_wd = neg_w.mul(dist.rsub_scalar(1.0 - margin)?)?.mul_scalar(gamma)?;
    let loss = masked_logsumexp(pos_wd, pos)?.add(masked_logsumexp(neg_wd, neg)?)?.softplus()?;
    let mask = loss.greater(loss.scalar_like(0.0)?)?;
    Ok((loss, mask))
}

/// [`circle_masked`] without the mask.
pub fn circle<'g>(
    y_true: Sym<'g>,
    y_pred: Sym<'g>,
    ref_labels: Option<Sym<'g>>,
    ref_embeddings: Option<Sym<'g>>,
    remove_diagonal: bool,
    gamma: f64,
    margin: f64,
) -> Result<Sym<'g>> {
    Ok(circle_masked(y_true, y_pred, ref_labels, ref_embeddings, remove_diagonal, gamma, margin)?.0)
}

/// `keras.losses.Circle(gamma=80.0, margin=0.4, remove_diagonal=True)` (default name
/// `"circle"`): `y_true` integer labels `[B]`, `y_pred` embeddings `[B, D]`. As in Keras, the
/// samples whose loss is 0 are masked out of `sum_over_batch_size` / `mean`.
#[derive(Clone, Debug, PartialEq)]
pub struct Circle {
    pub base: LossBase,
    pub gamma: Num,
    pub margin: Num,
    pub remove_diagonal: bool,
}

impl Default for Circle {
    fn default() -> Self {
        Circle {
            base: LossBase::new("circle"),
            gamma: Num::from(80.0),
            margin: Num::from(0.4),
            remove_diagonal: true,
        }
    }
}

impl Circle {
    pub fn new(gamma: f64, margin: f64, remove_diagonal: bool) -> Self {
        Circle { gamma: Num::from(gamma), margin: Num::from(margin), remove_diagonal, ..Self::default() }
    }

    pub fn with_reduction(mut self, reduction: Reduction) -> Self {
        self.base.reduction = reduction;
        self
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Self> {
        let mut r = ConfigReader::new(CLASS, config);
        let base = LossBase::read(&mut r, "circle")?;
        let gamma = r.num("gamma", 80.0)?;
        let margin = r.num("margin", 0.4)?;
        let remove_diagonal = r.bool("remove_diagonal", true)?;
        r.finish()?;
        Ok(Circle { base, gamma, margin, remove_diagonal })
    }
}

impl Loss for Circle {
    fn class_name(&self) -> &'static str {
        CLASS
    }
    fn base(&self) -> &LossBase {
        &self.base
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = self.base.config();
        m.insert("gamma".into(), self.gamma.json.clone());
        m.insert("margin".into(), self.margin.json.clone());
        m.insert("remove_diagonal".into(), Value::from(self.remove_diagonal));
        m
    }
    fn call<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        Ok(self.call_masked(y_true, y_pred)?.0)
    }
    fn call_masked<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<(Sym<'g>, Option<Sym<'g>>)> {
        let (y_true, y_pred) = super::squeeze_or_expand_to_same_rank(y_true, y_pred)?;
        let (loss, mask) = circle_masked(
            y_true,
            y_pred,
            None,
            None,
            self.remove_diagonal,
            self.gamma.value,
            self.margin.value,
        )?;
        Ok((loss, Some(mask)))
    }
}
