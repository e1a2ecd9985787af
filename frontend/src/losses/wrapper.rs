//! The losses without arguments of their own (Keras's `LossFunctionWrapper` subclasses whose
//! `get_config` is `Loss.get_config`): one generic struct, told apart by a kind.

use std::marker::PhantomData;

use serde_json::{Map, Value};

use super::{squeeze_or_expand_to_same_rank, ConfigReader, Loss, LossBase, Reduction};
use crate::error::Result;
use crate::graph::Sym;

/// The Keras function of a loss without arguments: `(y_true, y_pred)` to the per-sample values.
pub type PlainFn = for<'g> fn(Sym<'g>, Sym<'g>) -> Result<Sym<'g>>;

/// What tells the argument-free losses apart.
pub trait PlainKind: Clone + std::fmt::Debug + PartialEq + Send + Sync {
    /// Keras's class name.
    const CLASS: &'static str;
    /// Keras's default `name`.
    const DEFAULT_NAME: &'static str;
    /// The per-sample losses.
    const VALUES: PlainFn;
}

/// A loss whose only arguments are `reduction`, `name` and `dtype` (config keys `name`,
/// `reduction`; `dtype` is read, not written back, as in Keras).
#[derive(Clone, Debug, PartialEq)]
pub struct Plain<K> {
    pub base: LossBase,
    kind: PhantomData<K>,
}

impl<K: PlainKind> Default for Plain<K> {
    fn default() -> Self {
        Plain { base: LossBase::new(K::DEFAULT_NAME), kind: PhantomData }
    }
}

impl<K: PlainKind> Plain<K> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_reduction(mut self, reduction: Reduction) -> Self {
        self.base.reduction = reduction;
        self
    }

    pub fn with_name(mut self, name: &str) -> Self {
        self.base.name = name.to_string();
        self
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Self> {
        let mut r = ConfigReader::new(K::CLASS, config);
        let base = LossBase::read(&mut r, K::DEFAULT_NAME)?;
        r.finish()?;
        Ok(Plain { base, kind: PhantomData })
    }
}

impl<K: PlainKind> Loss for Plain<K> {
    fn class_name(&self) -> &'static str {
        K::CLASS
    }
    fn base(&self) -> &LossBase {
        &self.base
    }
    fn config(&self) -> Map<String, Value> {
        self.base.config()
    }
    fn call<'g>(&self, y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
        let (y_true, y_pred) = squeeze_or_expand_to_same_rank(y_true, y_pred)?;
        K::VALUES(y_true, y_pred)
    }
}

/// Declares the kind of an argument-free loss and its class alias:
/// `plain_loss!(KindName, ClassAlias, "KerasClass", "default_name", function, "doc")`.
macro_rules! plain_loss {
    ($kind:ident, $alias:ident, $class:literal, $name:literal, $values:path, $doc:literal) => {
        #[doc = concat!("The kind of [`", stringify!($alias), "`].")]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $kind;

        impl $crate::losses::wrapper::PlainKind for $kind {
            const CLASS: &'static str = $class;
            const DEFAULT_NAME: &'static str = $name;
            const VALUES: $crate::losses::wrapper::PlainFn = $values;
        }

        #[doc = $doc]
        pub type $alias = $crate::losses::wrapper::Plain<$kind>;
    };
}
pub(crate) use plain_loss;

/// `y_true` cast to `y_pred`'s dtype and both matched in rank as Keras's functions do, with
/// errors naming `class` for scalars (the mean is over the last axis) and shapes that do not
/// broadcast.
pub(crate) fn matched_pair<'g>(
    class: &'static str,
    y_true: Sym<'g>,
    y_pred: Sym<'g>,
) -> Result<(Sym<'g>, Sym<'g>)> {
    let y_true = y_true.cast(y_pred.dtype())?;
    let (y_true, y_pred) = squeeze_or_expand_to_same_rank(y_true, y_pred)?;
    checked_pair(class, y_true, y_pred)
}

/// `y_true` cast to `y_pred`'s dtype (without matching ranks), checked as in [`matched_pair`].
pub(crate) fn checked_pair<'g>(
    class: &'static str,
    y_true: Sym<'g>,
    y_pred: Sym<'g>,
) -> Result<(Sym<'g>, Sym<'g>)> {
    let y_true = y_true.cast(y_pred.dtype())?;
    if y_pred.rank() == 0 && y_true.rank() == 0 {
        return Err(crate::error::Error::arg(
            class,
            format!("{class}: inputs must have rank 1 or more (the loss reduces the last axis), got scalars"),
        ));
    }
    super::check_broadcast(class, "`y_true` and `y_pred`", y_true, y_pred)?;
    Ok((y_true, y_pred))
}
