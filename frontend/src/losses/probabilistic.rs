//! Probabilistic losses without arguments: `KLDivergence`, `Poisson` (the cross-entropies are in
//! `crossentropy.rs` and `focal.rs`).

use super::wrapper::{checked_pair, plain_loss};
use crate::error::Result;
use crate::graph::Sym;

plain_loss!(
    KldKind,
    KLDivergence,
    "KLDivergence",
    "kl_divergence",
    kl_divergence,
    "`keras.losses.KLDivergence`: `sum(t * log(t / p), axis=-1)` with both clipped to `[eps, 1]`."
);
plain_loss!(
    PoissonKind,
    Poisson,
    "Poisson",
    "poisson",
    poisson,
    "`keras.losses.Poisson`: `mean(y_pred - y_true * log(y_pred + eps), axis=-1)`."
);

/// `keras.losses.kl_divergence(y_true, y_pred)`.
pub fn kl_divergence<'g>(y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
    let (t, p) = checked_pair("KLDivergence", y_true, y_pred)?;
    let eps = crate::config::epsilon();
    let t = t.clip(eps, 1.0)?;
    let p = p.clip(eps, 1.0)?;
    t.mul(t.div(p)?.log()?)?.sum(&[-1], false)
}

/// `keras.losses.poisson(y_true, y_pred)`.
pub fn poisson<'g>(y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
    let (t, p) = checked_pair("Poisson", y_true, y_pred)?;
    p.sub(t.mul(p.add_scalar(crate::config::epsilon())?.log()?)?)?.mean(&[-1], false)
}
