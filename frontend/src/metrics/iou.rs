//! Keras's `iou_metrics.py`: [`IoU`], and the classes built on it, `BinaryIoU`, `MeanIoU`,
//! `OneHotIoU` and `OneHotMeanIoU` (one struct, [`IoUClass`] says which).
//!
//! The state is Keras's `total_confusion_matrix`: a `[num_classes, num_classes]` variable of the
//! metric's dtype (int32 by default, as Keras's `dtype or "int"`), rows the true classes, columns
//! the predicted ones. An update scatter-adds each sample's weight at row `y_true * n + y_pred` of
//! the flattened matrix (Keras's `confusion_matrix`, as the graph's `ScatterAddRows`, so it runs
//! on either backend inside a compiled train step). The result is read from the matrix on the host.

use serde_json::{Map, Value};
use wgkeras_runtime::{ops, DType, Device, Tensor};

use super::Metric;
use crate::error::{Error, Result};
use crate::graph::{Graph, Op, Sym};
use crate::losses::{ConfigReader, Num};
use crate::variable::Variable;

/// Keras's epsilon (`backend.epsilon()`), as float32.
const EPSILON: f32 = 1e-7;

/// Which Keras class an [`IoU`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoUClass {
    IoU,
    BinaryIoU,
    MeanIoU,
    OneHotIoU,
    OneHotMeanIoU,
}

impl IoUClass {
    pub fn name(self) -> &'static str {
        match self {
            IoUClass::IoU => "IoU",
            IoUClass::BinaryIoU => "BinaryIoU",
            IoUClass::MeanIoU => "MeanIoU",
            IoUClass::OneHotIoU => "OneHotIoU",
            IoUClass::OneHotMeanIoU => "OneHotMeanIoU",
        }
    }

    /// Keras's automatic name (`auto_name` of the class).
    pub fn default_name(self) -> &'static str {
        match self {
            IoUClass::IoU => "io_u",
            IoUClass::BinaryIoU => "binary_io_u",
            IoUClass::MeanIoU => "mean_io_u",
            IoUClass::OneHotIoU => "one_hot_io_u",
            IoUClass::OneHotMeanIoU => "one_hot_mean_io_u",
        }
    }

    fn parse(name: &str) -> Option<IoUClass> {
        [IoUClass::IoU, IoUClass::BinaryIoU, IoUClass::MeanIoU, IoUClass::OneHotIoU, IoUClass::OneHotMeanIoU]
            .into_iter()
            .find(|c| c.name() == name)
    }

    fn has_target_ids(self) -> bool {
        matches!(self, IoUClass::IoU | IoUClass::BinaryIoU | IoUClass::OneHotIoU)
    }
}

/// The arguments of the IoU classes, with Keras's defaults for [`IoUClass::IoU`]
/// (`IoU(num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
/// sparse_y_true=True, sparse_y_pred=True, axis=-1)`).
#[derive(Clone, Debug, PartialEq)]
pub struct IoUArgs {
    pub num_classes: i64,
    pub target_class_ids: Vec<i64>,
    /// `None`: the class's automatic name.
    pub name: Option<String>,
    /// The confusion matrix's dtype (int32 by default, as Keras).
    pub dtype: DType,
    pub ignore_class: Option<i64>,
    pub sparse_y_true: bool,
    pub sparse_y_pred: bool,
    pub axis: i64,
    /// `BinaryIoU`'s threshold (written back by `get_config` as it was given).
    pub threshold: Num,
}

impl IoUArgs {
    pub fn new(num_classes: i64, target_class_ids: &[i64]) -> IoUArgs {
        IoUArgs {
            num_classes,
            target_class_ids: target_class_ids.to_vec(),
            name: None,
            dtype: DType::I32,
            ignore_class: None,
            sparse_y_true: true,
            sparse_y_pred: true,
            axis: -1,
            threshold: Num::from(0.5),
        }
    }
}

/// `keras.metrics.IoU` and its subclasses: the intersection-over-union of the target classes,
/// `TP / (TP + FP + FN)` from the accumulated confusion matrix, averaged over the target
/// classes that occurred (a class with an empty denominator neither counts nor adds).
#[derive(Debug)]
pub struct IoU {
    class: IoUClass,
    name: String,
    args: IoUArgs,
    total_cm: Variable,
}

impl IoU {
    /// A metric of `class` (the arguments a class fixes -- `MeanIoU`'s target ids, `BinaryIoU`'s
    /// two classes, the one-hot classes' `sparse_y_true` -- are set here), checked as Keras's
    /// constructors check them.
    pub fn with_args(class: IoUClass, mut args: IoUArgs) -> Result<IoU> {
        let c = class.name();
        match class {
            IoUClass::IoU => {}
            IoUClass::BinaryIoU => {
                args.num_classes = 2;
                args.ignore_class = None;
                args.sparse_y_true = true;
                args.sparse_y_pred = true;
                args.axis = -1;
            }
            IoUClass::MeanIoU => args.target_class_ids = (0..args.num_classes.max(0)).collect(),
            IoUClass::OneHotIoU => args.sparse_y_true = false,
            IoUClass::OneHotMeanIoU => {
                args.sparse_y_true = false;
                args.target_class_ids = (0..args.num_classes.max(0)).collect();
            }
        }
        if !(args.dtype.is_float() || args.dtype == DType::I32) {
            return Err(Error::arg(
                c,
                format!("{c}: `dtype` must be int32 or a float dtype, got {}", args.dtype.name()),
            ));
        }
        let max = args.target_class_ids.iter().copied().max().ok_or_else(|| {
            Error::arg(c, format!("{c}: `target_class_ids` is empty (Keras: max() arg is an empty sequence)"))
        })?;
        if max >= args.num_classes {
            return Err(Error::arg(
                c,
                format!(
                    "{c}: Target class id {max} is out of range, which is [0, {}). (target_class_ids={:?})",
                    args.num_classes, args.target_class_ids
                ),
            ));
        }
        if args.num_classes < 1 {
            return Err(Error::arg(
                c,
                format!("{c}: `num_classes` must be positive, got {}", args.num_classes),
            ));
        }
        let name = args.name.clone().unwrap_or_else(|| class.default_name().to_string());
        let n = args.num_classes as usize;
        let total_cm = Variable::new(
            format!("{name}/total_confusion_matrix"),
            ops::zeros(&[n, n], args.dtype, &Device::Cpu)?,
            false,
        );
        Ok(IoU { class, name, args, total_cm })
    }

    /// `IoU(num_classes, target_class_ids)` with the other arguments at Keras's defaults.
    pub fn new(num_classes: i64, target_class_ids: &[i64]) -> Result<IoU> {
        Self::with_args(IoUClass::IoU, IoUArgs::new(num_classes, target_class_ids))
    }

    /// `BinaryIoU(target_class_ids=(0, 1), threshold=0.5)`.
    pub fn binary(target_class_ids: &[i64], threshold: f64) -> Result<IoU> {
        let mut a = IoUArgs::new(2, target_class_ids);
        a.threshold = Num::from(threshold);
        Self::with_args(IoUClass::BinaryIoU, a)
    }

    /// `MeanIoU(num_classes)`.
    pub fn mean(num_classes: i64) -> Result<IoU> {
        Self::with_args(IoUClass::MeanIoU, IoUArgs::new(num_classes, &[]))
    }

    /// `OneHotIoU(num_classes, target_class_ids)` (`sparse_y_pred=False`).
    pub fn one_hot(num_classes: i64, target_class_ids: &[i64]) -> Result<IoU> {
        let mut a = IoUArgs::new(num_classes, target_class_ids);
        a.sparse_y_pred = false;
        Self::with_args(IoUClass::OneHotIoU, a)
    }

    /// `OneHotMeanIoU(num_classes)` (`sparse_y_pred=False`).
    pub fn one_hot_mean(num_classes: i64) -> Result<IoU> {
        let mut a = IoUArgs::new(num_classes, &[]);
        a.sparse_y_pred = false;
        Self::with_args(IoUClass::OneHotMeanIoU, a)
    }

    pub fn class(&self) -> IoUClass {
        self.class
    }

    pub fn args(&self) -> &IoUArgs {
        &self.args
    }

    /// The accumulated confusion matrix variable (`total_cm`).
    pub fn total_cm(&self) -> &Variable {
        &self.total_cm
    }

    /// Builds the metric of `class_name` from its Keras config.
    pub fn from_config(class_name: &str, config: &Map<String, Value>) -> Result<IoU> {
        let class = IoUClass::parse(class_name)
            .ok_or_else(|| Error::arg("metrics.get", format!("{class_name:?} is not an IoU metric")))?;
        let c = class.name();
        let mut r = ConfigReader::new(c, config);
        let missing = |arg: &str| {
            Error::arg(c, format!("{c}.__init__() missing 1 required positional argument: '{arg}'"))
        };
        let mut args = IoUArgs::new(2, &[0, 1]);
        if class != IoUClass::BinaryIoU {
            args.num_classes = r.opt_i64("num_classes")?.ok_or_else(|| missing("num_classes"))?;
        }
        if class.has_target_ids() {
            match r.value("target_class_ids") {
                None if class == IoUClass::BinaryIoU => {}
                None | Some(Value::Null) => return Err(missing("target_class_ids")),
                Some(v) => {
                    args.target_class_ids = v
                        .as_array()
                        .and_then(|items| items.iter().map(Value::as_i64).collect::<Option<Vec<_>>>())
                        .ok_or_else(|| {
                            Error::arg(
                                c,
                                format!("{c}: `target_class_ids` must be a list of integers, got {v}"),
                            )
                        })?
                }
            }
        }
        args.name = match r.value("name") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => return Err(Error::arg(c, format!("{c}: `name` must be a string, got {v}"))),
        };
        args.dtype = read_metric_dtype(&mut r, c, DType::I32)?;
        if class == IoUClass::BinaryIoU {
            args.threshold = r.num("threshold", 0.5)?;
        } else {
            args.ignore_class = r.opt_i64("ignore_class")?;
            if matches!(class, IoUClass::IoU | IoUClass::MeanIoU) {
                args.sparse_y_true = r.bool("sparse_y_true", true)?;
            }
            let one_hot = matches!(class, IoUClass::OneHotIoU | IoUClass::OneHotMeanIoU);
            args.sparse_y_pred = r.bool("sparse_y_pred", !one_hot)?;
            args.axis = r.i64("axis", -1)?;
        }
        r.finish()?;
        Self::with_args(class, args)
    }

    /// The confusion matrix of one batch (float, of the computation dtype), Keras's
    /// `_IoUBase.update_state` up to the `assign`.
    fn batch_confusion<'g>(
        &self,
        graph: &'g Graph,
        y_true: Sym<'g>,
        y_pred: Sym<'g>,
        sample_weight: Option<Sym<'g>>,
    ) -> Result<Sym<'g>> {
        let a = &self.args;
        let dtype = a.dtype;
        let (mut t, mut p) = (y_true, y_pred);
        if self.class == IoUClass::BinaryIoU {
            t = t.cast(dtype)?;
            let pf = p.cast(DType::F32)?;
            p = pf.greater_equal(graph.scalar(a.threshold.value, DType::F32)?)?.cast(dtype)?;
        }
        if !a.sparse_y_true {
            t = t.argmax(a.axis)?;
        }
        if !a.sparse_y_pred {
            p = p.argmax(a.axis)?;
        }
        let t = t.cast(dtype)?.reshape(&[-1])?;
        let p = p.cast(dtype)?.reshape(&[-1])?;
        let w = match sample_weight {
            None => t.scalar_like(1.0)?,
            Some(w) => {
                let w = w.cast(dtype)?;
                if w.rank() > 1 {
                    w.reshape(&[-1])?
                } else {
                    w
                }
            }
        };
        let w = w.broadcast_like(t)?;
        let n = a.num_classes as f64;
        let zero = t.scalar_like(0.0)?;
        let nc = t.scalar_like(n)?;
        let in_range = |x: Sym<'g>| -> Result<Sym<'g>> { x.greater_equal(zero)?.logical_and(x.less(nc)?) };
        let mut mask = in_range(t)?.logical_and(in_range(p)?)?;
        if let Some(ic) = a.ignore_class {
            mask = mask.logical_and(t.not_equal(t.scalar_like(ic as f64)?)?)?;
        }
        let t = mask.select(t, zero)?;
        let p = mask.select(p, zero)?;
        let w = mask.select(w, w.scalar_like(0.0)?)?;
        // Keras's `confusion_matrix` scatters at `int64(label)`: truncation, as this cast. The
        // scatter-add runs in update order on both backends (the GPU sorts the positions
        // stably), so the two agree to the bit, and it needs O(batch) memory.
        let comp = if dtype == DType::F64 { DType::F64 } else { DType::F32 };
        let k = a.num_classes as usize;
        let ti = t.cast(DType::I32)?;
        let pos = ti.mul(ti.scalar_like(k as f64)?)?.add(p.cast(DType::I32)?)?;
        let rows = w.cast(comp)?.expand_dims(1)?;
        let zeros = graph.constant(ops::zeros(&[k * k, 1], comp, &Device::Cpu)?);
        let cm = graph.apply(Op::ScatterAddRows, &[rows.id, pos.id, zeros.id])?;
        cm.reshape(&[k as i64, k as i64])
    }

    /// Keras's `IoU.result()` from the confusion matrix, in float32.
    fn compute_result(&self) -> Result<f32> {
        let c = self.class.name();
        if !(self.args.axis == -1 || self.args.axis == 0) {
            // Keras sums the 1-D per-class IoUs over `axis`.
            return Err(Error::arg(
                c,
                format!(
                    "{c}: result() sums the per-class IoUs over axis={}, which is out of bounds for their 1-D array",
                    self.args.axis
                ),
            ));
        }
        let n = self.args.num_classes as usize;
        let cm = self.total_cm.value().to_vec_f64()?;
        let at = |i: usize, j: usize| cm[i * n + j];
        let mut num_valid = 0f32;
        let mut total = 0f32;
        for &id in &self.args.target_class_ids {
            // `take_along_axis` wraps negative ids; those below -n read NaN (JAX's fill), so
            // they neither count nor add.
            let idx = if id < 0 { id + n as i64 } else { id };
            if idx < 0 {
                continue;
            }
            let i = idx as usize;
            let row: f64 = (0..n).map(|r| at(r, i)).sum();
            let col: f64 = (0..n).map(|k| at(i, k)).sum();
            let tp = at(i, i);
            let denom = (row as f32 + col as f32) - tp as f32;
            if denom > 1e-9 {
                num_valid += 1.0;
                total += tp as f32 / (denom + EPSILON);
            }
        }
        Ok(total / (num_valid + EPSILON))
    }
}

/// A metric's `dtype`: a name, a `DTypePolicy` object, or null (`default`).
pub(crate) fn read_metric_dtype(
    r: &mut ConfigReader<'_>,
    class: &'static str,
    default: DType,
) -> Result<DType> {
    let name = match r.value("dtype") {
        None | Some(Value::Null) => return Ok(default),
        Some(Value::String(s)) => s.clone(),
        Some(v @ Value::Object(o)) => {
            match o.get("config").and_then(|c| c.get("name")).and_then(Value::as_str) {
                Some(s) => s.to_string(),
                None => {
                    return Err(Error::arg(class, format!("{class}: `dtype` must be a dtype name, got {v}")))
                }
            }
        }
        Some(v) => return Err(Error::arg(class, format!("{class}: `dtype` must be a dtype name, got {v}"))),
    };
    DType::parse(&name)
        .ok_or_else(|| Error::arg(class, format!("{class}: `dtype` {name:?} is not a dtype wgkeras knows")))
}

impl Metric for IoU {
    fn class_name(&self) -> &'static str {
        self.class.name()
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn config(&self) -> Map<String, Value> {
        let a = &self.args;
        let mut m = Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_string(), v);
        };
        let name = Value::from(self.name.as_str());
        let dtype = Value::from(a.dtype.name());
        let ids = Value::from(a.target_class_ids.clone());
        let ignore = a.ignore_class.map_or(Value::Null, Value::from);
        match self.class {
            IoUClass::IoU => {
                put("name", name);
                put("dtype", dtype);
                put("num_classes", Value::from(a.num_classes));
                put("target_class_ids", ids);
                put("ignore_class", ignore);
                put("sparse_y_true", Value::from(a.sparse_y_true));
                put("sparse_y_pred", Value::from(a.sparse_y_pred));
                put("axis", Value::from(a.axis));
            }
            IoUClass::BinaryIoU => {
                put("target_class_ids", ids);
                put("threshold", a.threshold.json.clone());
                put("name", name);
                put("dtype", dtype);
            }
            IoUClass::MeanIoU => {
                put("num_classes", Value::from(a.num_classes));
                put("name", name);
                put("dtype", dtype);
                put("ignore_class", ignore);
                put("sparse_y_true", Value::from(a.sparse_y_true));
                put("sparse_y_pred", Value::from(a.sparse_y_pred));
                put("axis", Value::from(a.axis));
            }
            IoUClass::OneHotIoU | IoUClass::OneHotMeanIoU => {
                put("num_classes", Value::from(a.num_classes));
                if self.class == IoUClass::OneHotIoU {
                    put("target_class_ids", ids);
                }
                put("name", name);
                put("dtype", dtype);
                put("ignore_class", ignore);
                put("sparse_y_pred", Value::from(a.sparse_y_pred));
                put("axis", Value::from(a.axis));
            }
        }
        m
    }
    fn variables(&self) -> Vec<Variable> {
        vec![self.total_cm.clone()]
    }
    fn update<'g>(
        &self,
        graph: &'g Graph,
        y_true: Sym<'g>,
        y_pred: Sym<'g>,
        sample_weight: Option<Sym<'g>>,
    ) -> Result<Vec<(Variable, Sym<'g>)>> {
        let cm = self.batch_confusion(graph, y_true, y_pred, sample_weight)?;
        let total = graph.variable(&self.total_cm);
        Ok(vec![(self.total_cm.clone(), total.add(cm.cast(self.args.dtype)?)?)])
    }
    fn result(&self) -> Result<f64> {
        Ok(self.compute_result()? as f64)
    }
    fn result_tensor(&self) -> Result<Tensor> {
        Ok(Tensor::scalar(self.compute_result()?, &Device::Cpu)?)
    }
    fn reset(&self) -> Result<()> {
        self.total_cm.assign_zeros()
    }
}

/// The classes of this file (Keras's `iou_metrics.py`).
pub(crate) const CLASSES: &[&str] = &["IoU", "BinaryIoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU"];

pub(crate) fn from_config(class_name: &str, config: &Map<String, Value>) -> Result<Box<dyn Metric>> {
    Ok(Box::new(IoU::from_config(class_name, config)?))
}
