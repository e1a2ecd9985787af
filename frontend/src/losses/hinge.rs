//! Hinge losses: `Hinge`, `SquaredHinge`, `CategoricalHinge`.

use super::wrapper::{checked_pair, plain_loss};
use crate::error::Result;
use crate::graph::Sym;

plain_loss!(
    HingeKind,
    Hinge,
    "Hinge",
    "hinge",
    hinge,
    "`keras.losses.Hinge`: `mean(maximum(1 - y_true * y_pred, 0), axis=-1)`, labels in {-1, 1} (0/1 labels are converted)."
);
plain_loss!(
    SquaredHingeKind,
    SquaredHinge,
    "SquaredHinge",
    "squared_hinge",
    squared_hinge,
    "`keras.losses.SquaredHinge`: `mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)` (0/1 labels are converted)."
);
plain_loss!(
    CategoricalHingeKind,
    CategoricalHinge,
    "CategoricalHinge",
    "categorical_hinge",
    categorical_hinge,
    "`keras.losses.CategoricalHinge`: `maximum(max((1 - y_true) * y_pred, -1) - sum(y_true * y_pred, -1) + 1, 0)`."
);

/// Keras's `convert_binary_labels_to_hinge`: when every label is 0 or 1 they become -1 / 1
/// (`2 * y - 1`), else they are kept. Decided on the device from the data (no readback).
fn binary_labels_to_hinge<'g>(y_true: Sym<'g>) -> Result<Sym<'g>> {
    let is01 = y_true.equal(y_true.scalar_like(0.0)?)?.logical_or(y_true.equal(y_true.scalar_like(1.0)?)?)?;
    // Counting the other labels (rather than a min) keeps empty inputs working: all() of
    // nothing is true.
    let all_axes: Vec<i64> = (0..y_true.rank() as i64).collect();
    let others = is01.cast(y_true.dtype())?.rsub_scalar(1.0)?;
    let others = if all_axes.is_empty() { others } else { others.sum(&all_axes, false)? };
    let all01 = others.less(others.scalar_like(0.5)?)?;
    let converted = y_true.mul_scalar(2.0)?.add_scalar(-1.0)?;
    all01.select(converted, y_true)
}

fn hinge_margins<'g>(class: &'static str, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
    let (t, p) = checked_pair(class, y_true, y_pred)?;
    let t = binary_labels_to_hinge(t)?;
    t.mul(p)?.rsub_scalar(1.0)?.maximum_scalar(0.0)
}

/// `keras.losses.hinge(y_true, y_pred)`.
pub fn hinge<'g>(y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
    hinge_margins("Hinge", y_true, y_pred)?.mean(&[-1], false)
}

/// `keras.losses.squared_hinge(y_true, y_pred)`.
pub fn squared_hinge<'g>(y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
    hinge_margins("SquaredHinge", y_true, y_pred)?.square()?.mean(&[-1], false)
}

/// `keras.losses.categorical_hinge(y_true, y_pred)`.
pub fn categorical_hinge<'g>(y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
    let (t, p) = checked_pair("CategoricalHinge", y_true, y_pred)?;
    let pos = t.mul(p)?.sum(&[-1], false)?;
    let neg = t.rsub_scalar(1.0)?.mul(p)?.max(&[-1], false)?;
    neg.sub(pos)?.add_scalar(1.0)?.maximum_scalar(0.0)
}
