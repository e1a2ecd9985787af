//! The accuracy metrics (Keras's `MeanMetricWrapper`s of the accuracy functions).

use serde_json::{Map, Value};
use wgkeras_runtime::DType;

use super::reduction::{name_dtype_config, read_name_dtype, MeanState};
use super::Metric;
use crate::error::{Error, Result};
use crate::graph::op::broadcast_static;
use crate::graph::{shape_str, Graph, Sym};
use crate::losses::{squeeze_last, squeeze_or_expand_to_same_rank, ConfigReader};
use crate::variable::Variable;

fn check_match(class: &'static str, a: Sym<'_>, b: Sym<'_>) -> Result<()> {
    broadcast_static(class, &a.shape(), &b.shape()).map(|_| ()).map_err(|_| {
        Error::arg(
            class,
            format!(
                "{class}: the labels and predictions have incompatible shapes {} and {}",
                shape_str(&a.shape()),
                shape_str(&b.shape())
            ),
        )
    })
}

/// `keras.metrics.accuracy(y_true, y_pred)`: 1.0 where they are equal.
pub fn accuracy<'g>(y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
    let y_true = y_true.cast(y_pred.dtype())?;
    let (y_true, y_pred) = squeeze_or_expand_to_same_rank(y_true, y_pred)?;
    check_match("Accuracy", y_true, y_pred)?;
    y_true.equal(y_pred)?.cast(DType::F32)
}

/// `keras.metrics.binary_accuracy(y_true, y_pred, threshold)`: 1.0 where
/// `y_true == (y_pred > threshold)`.
pub fn binary_accuracy<'g>(y_true: Sym<'g>, y_pred: Sym<'g>, threshold: f64) -> Result<Sym<'g>> {
    let (y_true, y_pred) = squeeze_or_expand_to_same_rank(y_true, y_pred)?;
    check_match("BinaryAccuracy", y_true, y_pred)?;
    let p = if y_pred.dtype().is_float() { y_pred } else { y_pred.cast(DType::F32)? };
    let hit = p.greater(p.scalar_like(threshold)?)?.cast(y_true.dtype())?;
    y_true.equal(hit)?.cast(DType::F32)
}

/// `keras.metrics.categorical_accuracy(y_true, y_pred)`: 1.0 where the argmaxes agree.
pub fn categorical_accuracy<'g>(y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
    const CLASS: &str = "CategoricalAccuracy";
    if y_true.rank() == 0 || y_pred.rank() == 0 {
        return Err(Error::arg(
            CLASS,
            format!("{CLASS}: the labels and predictions must have rank 1 or more"),
        ));
    }
    let mut t = y_true.argmax(-1)?.cast(y_pred.dtype())?;
    let org = t.shape();
    let mut reshape = false;
    if t.rank() == y_pred.rank() {
        if t.shape().last() != Some(&Some(1)) {
            return Err(Error::arg(
                CLASS,
                format!(
                    "{CLASS}: cannot compare the labels of shape {} with predictions of shape {}",
                    shape_str(&y_true.shape()),
                    shape_str(&y_pred.shape())
                ),
            ));
        }
        t = squeeze_last(t)?;
        reshape = true;
    }
    let p = y_pred.argmax(-1)?.cast(t.dtype())?;
    check_match(CLASS, t, p)?;
    let mut m = t.equal(p)?.cast(DType::F32)?;
    if reshape && org.iter().filter(|d| d.is_none()).count() <= 1 {
        let target: Vec<i64> = org.iter().map(|d| d.map_or(-1, |d| d as i64)).collect();
        m = m.reshape(&target)?;
    }
    Ok(m)
}

/// `keras.metrics.sparse_categorical_accuracy(y_true, y_pred)`: 1.0 where the integer label
/// equals `argmax(y_pred, -1)`; labels of shape `[B]` or `[B, 1]`, int or float.
pub fn sparse_categorical_accuracy<'g>(y_true: Sym<'g>, y_pred: Sym<'g>) -> Result<Sym<'g>> {
    const CLASS: &str = "SparseCategoricalAccuracy";
    if y_pred.rank() == 0 {
        return Err(Error::arg(CLASS, format!("{CLASS}: the predictions must have rank 1 or more")));
    }
    let mut t = y_true.cast(y_pred.dtype())?;
    if t.rank() == y_pred.rank() && t.shape().last() == Some(&Some(1)) {
        // Keras squeezes, compares, and reshapes back to [.., 1]; the final squeeze below
        // drops that axis again, so squeezing once is the same.
        t = squeeze_last(t)?;
    }
    let p = y_pred.argmax(-1)?.cast(t.dtype())?;
    check_match(CLASS, t, p)?;
    let mut m = t.equal(p)?.cast(DType::F32)?;
    if m.rank() > 1 && m.shape().last() == Some(&Some(1)) {
        m = squeeze_last(m)?;
    }
    Ok(m)
}

macro_rules! accuracy_metric {
    ($(#[$doc:meta])* $ty:ident, $class:literal, $default:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $ty {
            name: String,
            state: MeanState,
        }

        impl $ty {
            pub fn new(name: &str) -> Self {
                $ty { name: name.to_string(), state: MeanState::new(name, DType::F32).expect("CPU zeros") }
            }

            pub fn from_config(config: &Map<String, Value>) -> Result<Self> {
                let mut r = ConfigReader::new($class, config);
                let (name, dtype) = read_name_dtype(&mut r, $default)?;
                r.finish()?;
                Ok($ty { state: MeanState::new(&name, dtype)?, name })
            }

            pub fn state(&self) -> &MeanState {
                &self.state
            }
        }

        impl Default for $ty {
            fn default() -> Self {
                Self::new($default)
            }
        }
    };
}

accuracy_metric!(
    /// `keras.metrics.Accuracy(name="accuracy")`: how often `y_pred` equals `y_true` exactly.
    Accuracy, "Accuracy", "accuracy"
);
accuracy_metric!(
    /// `keras.metrics.CategoricalAccuracy(name="categorical_accuracy")`: how often the argmax of
    /// `y_pred` matches the argmax of the one-hot `y_true`.
    CategoricalAccuracy, "CategoricalAccuracy", "categorical_accuracy"
);
accuracy_metric!(
    /// `keras.metrics.SparseCategoricalAccuracy(name="sparse_categorical_accuracy")`: how often
    /// the argmax of `y_pred` matches the integer label.
    SparseCategoricalAccuracy, "SparseCategoricalAccuracy", "sparse_categorical_accuracy"
);

macro_rules! impl_metric {
    ($ty:ident, $class:literal, |$yt:ident, $yp:ident, $s:ident| $f:expr, |$c:ident| $config:expr) => {
        impl Metric for $ty {
            fn class_name(&self) -> &'static str {
                $class
            }
            fn name(&self) -> &str {
                &self.name
            }
            fn config(&self) -> Map<String, Value> {
                let $c = self;
                $config
            }
            fn variables(&self) -> Vec<Variable> {
                self.state.variables()
            }
            fn update<'g>(
                &self,
                graph: &'g Graph,
                y_true: Sym<'g>,
                y_pred: Sym<'g>,
                sample_weight: Option<Sym<'g>>,
            ) -> Result<Vec<(Variable, Sym<'g>)>> {
                let ($yt, $yp, $s) = (y_true, y_pred, self);
                let values = $f?;
                self.state.update($class, graph, values, sample_weight)
            }
            fn result(&self) -> Result<f64> {
                self.state.result()
            }
            fn reset(&self) -> Result<()> {
                self.state.reset()
            }
        }
    };
}

impl_metric!(Accuracy, "Accuracy", |yt, yp, _s| accuracy(yt, yp), |c| name_dtype_config(
    &c.name,
    c.state.dtype
));
impl_metric!(CategoricalAccuracy, "CategoricalAccuracy", |yt, yp, _s| categorical_accuracy(yt, yp), |c| {
    name_dtype_config(&c.name, c.state.dtype)
});
impl_metric!(
    SparseCategoricalAccuracy,
    "SparseCategoricalAccuracy",
    |yt, yp, _s| sparse_categorical_accuracy(yt, yp),
    |c| name_dtype_config(&c.name, c.state.dtype)
);

/// `keras.metrics.BinaryAccuracy(name="binary_accuracy", threshold=0.5)`: how often
/// `y_pred > threshold` matches the 0/1 `y_true`.
#[derive(Clone, Debug)]
pub struct BinaryAccuracy {
    name: String,
    threshold: f64,
    state: MeanState,
}

impl BinaryAccuracy {
    pub fn new(name: &str, threshold: f64) -> Self {
        BinaryAccuracy {
            name: name.to_string(),
            threshold,
            state: MeanState::new(name, DType::F32).expect("CPU zeros"),
        }
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Self> {
        let mut r = ConfigReader::new("BinaryAccuracy", config);
        let (name, dtype) = read_name_dtype(&mut r, "binary_accuracy")?;
        let threshold = r.f64("threshold", 0.5)?;
        r.finish()?;
        Ok(BinaryAccuracy { state: MeanState::new(&name, dtype)?, name, threshold })
    }

    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    pub fn state(&self) -> &MeanState {
        &self.state
    }
}

impl Default for BinaryAccuracy {
    fn default() -> Self {
        Self::new("binary_accuracy", 0.5)
    }
}

impl_metric!(BinaryAccuracy, "BinaryAccuracy", |yt, yp, s| binary_accuracy(yt, yp, s.threshold), |c| {
    let mut m = name_dtype_config(&c.name, c.state.dtype);
    m.insert("threshold".into(), Value::from(c.threshold));
    m
});
