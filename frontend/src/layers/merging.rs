//! Merging layers: `Concatenate`, the elementwise merges (`Add`, `Subtract`, `Multiply`,
//! `Average`, `Maximum`, `Minimum`, one [`Merge`] type) and `Dot`.

use serde_json::{Map, Value};
use wgkeras_runtime::DType;

use crate::error::{Error, Result};
use crate::graph::{shape_str, Shape, Sym};
use crate::layers::serialization::{common_from_config, get_bool, get_i64, shapes_str};
use crate::layers::{CallContext, Layer, LayerCommon, LayerRef};

/// `keras.layers.Concatenate`: joins a list of inputs along `axis`; the other dims must agree.
/// Inputs of different dtypes are promoted to a common one.
pub struct Concatenate {
    common: LayerCommon,
    axis: i64,
}

impl Concatenate {
    pub fn new(axis: i64) -> Result<Concatenate> {
        let mut config = Map::new();
        config.insert("axis".into(), Value::from(axis));
        Concatenate::from_config(&config)
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Concatenate> {
        const C: &str = "Concatenate";
        let common = common_from_config(C, config, &["axis"])?;
        let axis = get_i64(C, config, "axis")?.unwrap_or(-1);
        Ok(Concatenate { common, axis })
    }

    pub fn axis(&self) -> i64 {
        self.axis
    }

    /// Checks the input shapes and gives the output shape.
    fn merged_shape(&self, shapes: &[Shape]) -> Result<Shape> {
        let name = &self.common.name;
        let first = shapes.first().ok_or_else(|| {
            Error::arg(
                "Concatenate",
                format!("A `Concatenate` layer ({name:?}) should be called on a list of at least 1 input. Received: input_shape=[]"),
            )
        })?;
        let mismatch = || {
            Error::arg(
                "Concatenate",
                format!(
                    "A `Concatenate` layer ({name:?}) requires inputs with matching shapes except for the \
                     concatenation axis {}. Received: input_shape={}",
                    self.axis,
                    shapes_str(shapes)
                ),
            )
        };
        let r = first.len() as i64;
        let axis = if self.axis < 0 { self.axis + r } else { self.axis };
        if r == 0 || !(0..r).contains(&axis) {
            return Err(Error::arg(
                "Concatenate",
                format!(
                    "layer {name:?} (Concatenate): axis {} is out of range for inputs of shapes {}",
                    self.axis,
                    shapes_str(shapes)
                ),
            ));
        }
        let axis = axis as usize;
        if shapes.iter().any(|s| s.len() != first.len()) {
            return Err(mismatch());
        }
        let mut out = first.clone();
        for i in 0..first.len() {
            if i == axis {
                out[i] = shapes.iter().try_fold(0usize, |acc, s| s[i].map(|d| acc + d));
                continue;
            }
            let mut known = None;
            for s in shapes {
                match (known, s[i]) {
                    (Some(k), Some(d)) if k != d => return Err(mismatch()),
                    (None, Some(d)) => known = Some(d),
                    _ => {}
                }
            }
            out[i] = known;
        }
        Ok(out)
    }
}

impl Layer for Concatenate {
    fn supports_masking(&self) -> bool {
        true
    }

    /// Keras's `Concatenate.compute_mask`: each input's mask (all true when it has none,
    /// broadcast over the trailing axis when of lower rank) concatenated along `axis`, then
    /// any() over the last axis.
    fn compute_mask<'g>(&self, inputs: &[Sym<'g>], masks: &[Option<Sym<'g>>]) -> Result<Option<Sym<'g>>> {
        if masks.iter().all(Option::is_none) {
            return Ok(None);
        }
        let mut full = vec![];
        for (x, m) in inputs.iter().zip(masks) {
            let ones = x.scalar_like(1.0)?.cast(DType::F32)?.broadcast_like(*x)?;
            full.push(match m {
                None => ones,
                Some(m) if m.rank() < x.rank() => m.cast(DType::F32)?.expand_dims(-1)?.broadcast_like(*x)?,
                Some(m) => m.cast(DType::F32)?,
            });
        }
        let cat = if full.len() == 1 { full[0] } else { Sym::concat(&full, self.axis)? };
        let any = cat.max(&[-1], false)?;
        Ok(Some(any.greater(any.scalar_like(0.0)?)?))
    }

    fn class_name(&self) -> &'static str {
        "Concatenate"
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("axis".into(), Value::from(self.axis));
        m
    }

    fn build(&self, input_shapes: &[Shape]) -> Result<()> {
        self.merged_shape(input_shapes).map(|_| ())
    }

    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![self.merged_shape(input_shapes)?])
    }

    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let shapes: Vec<Shape> = inputs.iter().map(|s| s.shape()).collect();
        self.merged_shape(&shapes)?;
        let dtype = inputs.iter().skip(1).fold(inputs[0].dtype(), |d, s| DType::promote(d, s.dtype()));
        let xs = inputs.iter().map(|s| s.cast(dtype)).collect::<Result<Vec<_>>>()?;
        if xs.len() == 1 {
            return Ok(xs);
        }
        Ok(vec![Sym::concat(&xs, self.axis)?])
    }
}

// ---------------------------------------------------------------------------------------------
// Elementwise merges
// ---------------------------------------------------------------------------------------------

/// The operation of an elementwise [`Merge`] (each one Keras class).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MergeOp {
    Add,
    Subtract,
    Multiply,
    Average,
    Maximum,
    Minimum,
}

impl MergeOp {
    pub const ALL: [MergeOp; 6] = [
        MergeOp::Add,
        MergeOp::Subtract,
        MergeOp::Multiply,
        MergeOp::Average,
        MergeOp::Maximum,
        MergeOp::Minimum,
    ];

    pub fn class_name(self) -> &'static str {
        match self {
            MergeOp::Add => "Add",
            MergeOp::Subtract => "Subtract",
            MergeOp::Multiply => "Multiply",
            MergeOp::Average => "Average",
            MergeOp::Maximum => "Maximum",
            MergeOp::Minimum => "Minimum",
        }
    }
}

/// Keras's elementwise merge layers (`keras.layers.Add`, `Subtract`, `Multiply`, `Average`,
/// `Maximum`, `Minimum`): a list of inputs with the same batch size whose other dims broadcast
/// (trailing-aligned, as Keras's `Merge` does by inserting axes after the batch axis).
/// `Subtract` takes exactly 2 inputs.
pub struct Merge {
    common: LayerCommon,
    op: MergeOp,
}

impl Merge {
    pub fn new(op: MergeOp) -> Result<Merge> {
        Merge::from_config(op, &Map::new())
    }

    pub fn from_config(op: MergeOp, config: &Map<String, Value>) -> Result<Merge> {
        let common = common_from_config(op.class_name(), config, &[])?;
        Ok(Merge { common, op })
    }

    pub fn op(&self) -> MergeOp {
        self.op
    }

    /// Keras's `Merge.build` and `_compute_elemwise_op_output_shape`: the output shape.
    fn merged_shape(&self, shapes: &[Shape]) -> Result<Shape> {
        let c = self.op.class_name();
        let name = &self.common.name;
        if shapes.is_empty() {
            return Err(Error::arg(
                c,
                format!(
                    "layer {name:?} ({c}): A merge layer should be called on a list of at least 1 input. \
                     Received 0 inputs. Full input_shape received: []"
                ),
            ));
        }
        if self.op == MergeOp::Subtract && shapes.len() != 2 {
            return Err(Error::arg(
                c,
                format!(
                    "layer {name:?} ({c}): A `Subtract` layer should be called on exactly 2 inputs. Received: \
                     input_shape={}",
                    shapes_str(shapes)
                ),
            ));
        }
        if let Some(s) = shapes.iter().find(|s| s.is_empty()) {
            return Err(Error::arg(
                c,
                format!(
                    "layer {name:?} ({c}) needs inputs with a batch axis, got a scalar shape {} in {}",
                    shape_str(s),
                    shapes_str(shapes)
                ),
            ));
        }
        let mut batches: Vec<usize> = shapes.iter().filter_map(|s| s[0]).collect();
        batches.dedup();
        if batches.len() > 1 {
            return Err(Error::arg(
                c,
                format!(
                    "layer {name:?} ({c}): Cannot merge tensors with different batch sizes. Received tensors \
                     with shapes {}",
                    shapes_str(shapes)
                ),
            ));
        }
        let mut out: Shape = shapes[0][1..].to_vec();
        for s in &shapes[1..] {
            out = elementwise_shape(c, name, &out, &s[1..])?;
        }
        out.insert(0, batches.first().copied());
        Ok(out)
    }
}

/// Keras's `_compute_elemwise_op_output_shape` (dims without the batch axis).
fn elementwise_shape(
    class: &'static str,
    name: &str,
    a: &[Option<usize>],
    b: &[Option<usize>],
) -> Result<Shape> {
    let (long, short) = if a.len() < b.len() { (b, a) } else { (a, b) };
    let lead = long.len() - short.len();
    let mut out: Shape = long[..lead].to_vec();
    for (&i, &j) in long[lead..].iter().zip(short) {
        out.push(match (i, j) {
            (None, _) | (_, None) => None,
            (Some(1), d) | (d, Some(1)) => d,
            (Some(p), Some(q)) if p == q => Some(p),
            _ => {
                return Err(Error::arg(
                    class,
                    format!(
                    "layer {name:?} ({class}): Inputs have incompatible shapes. Received shapes {} and {}",
                    shape_str(long),
                    shape_str(short)
                ),
                ))
            }
        });
    }
    Ok(out)
}

/// The inputs cast to one dtype: floats to the layer's dtype (Keras's autocast), then promoted.
fn common_dtype<'g>(inputs: &[Sym<'g>], layer_dtype: DType) -> Result<Vec<Sym<'g>>> {
    let xs = inputs
        .iter()
        .map(|x| if x.dtype().is_float() { x.cast(layer_dtype) } else { Ok(*x) })
        .collect::<Result<Vec<_>>>()?;
    let dtype = xs.iter().skip(1).fold(xs[0].dtype(), |d, s| DType::promote(d, s.dtype()));
    xs.iter().map(|x| x.cast(dtype)).collect()
}

impl Layer for Merge {
    fn supports_masking(&self) -> bool {
        true
    }

    /// Keras's `Merge.compute_mask`: the logical OR of the inputs' masks, None when any input
    /// has none.
    fn compute_mask<'g>(&self, _inputs: &[Sym<'g>], masks: &[Option<Sym<'g>>]) -> Result<Option<Sym<'g>>> {
        let mut out: Option<Sym<'g>> = None;
        for m in masks {
            let Some(m) = *m else { return Ok(None) };
            out = Some(match out {
                None => m,
                Some(o) => o.logical_or(m)?,
            });
        }
        Ok(out)
    }

    fn class_name(&self) -> &'static str {
        self.op.class_name()
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    fn config(&self) -> Map<String, Value> {
        Map::new()
    }

    fn build(&self, input_shapes: &[Shape]) -> Result<()> {
        self.merged_shape(input_shapes).map(|_| ())
    }

    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![self.merged_shape(input_shapes)?])
    }

    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let shapes: Vec<Shape> = inputs.iter().map(|s| s.shape()).collect();
        self.merged_shape(&shapes)?;
        let mut xs = common_dtype(inputs, self.common.dtype)?;
        // Keras inserts axes after the batch axis until every input has the largest rank.
        let max_rank = xs.iter().map(|x| x.rank()).max().unwrap_or(0);
        for x in xs.iter_mut() {
            while x.rank() < max_rank {
                *x = x.expand_dims(1)?;
            }
        }
        let mut y = xs[0];
        for &x in &xs[1..] {
            y = match self.op {
                MergeOp::Add | MergeOp::Average => y.add(x)?,
                MergeOp::Subtract => y.sub(x)?,
                MergeOp::Multiply => y.mul(x)?,
                MergeOp::Maximum => y.maximum(x)?,
                MergeOp::Minimum => y.minimum(x)?,
            };
        }
        if self.op == MergeOp::Average {
            if !y.dtype().is_float() {
                y = y.cast(self.common.dtype)?;
            }
            y = y.mul_scalar(1.0 / xs.len() as f64)?;
        }
        Ok(vec![y])
    }
}

// ---------------------------------------------------------------------------------------------
// Dot
// ---------------------------------------------------------------------------------------------

/// `Dot`'s `axes`: one axis for both inputs, or one per input (negative counts from the end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DotAxes {
    One(i64),
    Pair(i64, i64),
}

/// `keras.layers.Dot`: the batchwise dot product of 2 inputs along `axes` (Keras's
/// `batch_dot`); with `normalize` the samples are first L2-normalized along those axes, giving
/// the cosine similarity.
pub struct Dot {
    common: LayerCommon,
    axes: DotAxes,
    normalize: bool,
}

impl Dot {
    pub fn new(axes: DotAxes, normalize: bool) -> Result<Dot> {
        let mut config = Map::new();
        let v = match axes {
            DotAxes::One(a) => Value::from(a),
            DotAxes::Pair(a, b) => Value::from(vec![a, b]),
        };
        config.insert("axes".into(), v);
        config.insert("normalize".into(), Value::from(normalize));
        Dot::from_config(&config)
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Dot> {
        const C: &str = "Dot";
        let common = common_from_config(C, config, &["axes", "normalize"])?;
        let axes = match config.get("axes") {
            None | Some(Value::Null) => return Err(Error::arg(C, "Dot: missing the required argument `axes`")),
            Some(Value::Array(items)) => {
                if items.len() != 2 {
                    return Err(Error::arg(
                        C,
                        format!(
                            "Dot: Invalid format for argument `axes`: it should contain two elements. Received: \
                             axes={}",
                            config["axes"]
                        ),
                    ));
                }
                match (items[0].as_i64(), items[1].as_i64()) {
                    (Some(a), Some(b)) => DotAxes::Pair(a, b),
                    _ => {
                        return Err(Error::arg(
                            C,
                            format!(
                                "Dot: Invalid format for argument `axes`: list elements should be integers. \
                                 Received: axes={}",
                                config["axes"]
                            ),
                        ))
                    }
                }
            }
            Some(v) => DotAxes::One(v.as_i64().ok_or_else(|| {
                Error::arg(C, format!("Dot: Invalid type for argument `axes`: it should be a list or an int. Received: axes={v}"))
            })?),
        };
        let normalize = get_bool(C, config, "normalize", false)?;
        Ok(Dot { common, axes, normalize })
    }

    pub fn axes(&self) -> DotAxes {
        self.axes
    }

    pub fn normalize(&self) -> bool {
        self.normalize
    }

    /// Checks the two shapes and gives the contracted axes (non-negative) and the output shape.
    fn plan(&self, shapes: &[Shape]) -> Result<((usize, usize), Shape)> {
        let name = &self.common.name;
        let [s1, s2] = shapes else {
            return Err(Error::arg(
                "Dot",
                format!(
                    "layer {name:?} (Dot): A `Dot` layer should be called on a list of 2 inputs. Received: \
                     input_shape={}",
                    shapes_str(shapes)
                ),
            ));
        };
        if s1.len() < 2 || s2.len() < 2 {
            return Err(Error::arg(
                "Dot",
                format!(
                    "layer {name:?} (Dot): Cannot do batch_dot on inputs with rank < 2. Received inputs with \
                     shapes {} and {}.",
                    shape_str(s1),
                    shape_str(s2)
                ),
            ));
        }
        if let (Some(b1), Some(b2)) = (s1[0], s2[0]) {
            if b1 != b2 {
                return Err(Error::arg(
                    "Dot",
                    format!(
                        "layer {name:?} (Dot): Cannot do batch_dot on inputs with different batch sizes. Received \
                         inputs with shapes {} and {}.",
                        shape_str(s1),
                        shape_str(s2)
                    ),
                ));
            }
        }
        let (a, b) = match self.axes {
            DotAxes::One(a) => (a, a),
            DotAxes::Pair(a, b) => (a, b),
        };
        let norm = |a: i64, r: usize| -> Result<usize> {
            let n = if a < 0 { a + r as i64 } else { a };
            if n < 0 || n >= r as i64 {
                return Err(Error::arg(
                    "Dot",
                    format!(
                        "layer {name:?} (Dot): axes={:?} is out of range for inputs of shapes {} and {}",
                        self.axes,
                        shape_str(s1),
                        shape_str(s2)
                    ),
                ));
            }
            Ok(n as usize)
        };
        let (a0, a1) = (norm(a, s1.len())?, norm(b, s2.len())?);
        if a0 == 0 || a1 == 0 {
            return Err(Error::arg(
                "Dot",
                format!(
                    "layer {name:?} (Dot): Cannot perform batch_dot over axis 0 (the batch axis). Received \
                     axes={:?} for inputs of shapes {} and {}",
                    self.axes,
                    shape_str(s1),
                    shape_str(s2)
                ),
            ));
        }
        if let (Some(d1), Some(d2)) = (s1[a0], s2[a1]) {
            if d1 != d2 {
                return Err(Error::arg(
                    "Dot",
                    format!(
                        "layer {name:?} (Dot): Incompatible input shapes: axis values {d1} (at axis {a0}) != {d2} \
                         (at axis {a1}). Full input shapes: {}, {}",
                        shape_str(s1),
                        shape_str(s2)
                    ),
                ));
            }
        }
        let mut out: Shape = vec![s1[0].or(s2[0])];
        out.extend(s1.iter().enumerate().skip(1).filter(|&(i, _)| i != a0).map(|(_, d)| *d));
        out.extend(s2.iter().enumerate().skip(1).filter(|&(i, _)| i != a1).map(|(_, d)| *d));
        if out.len() == 1 {
            out.push(Some(1));
        }
        Ok(((a0, a1), out))
    }
}

impl Layer for Dot {
    fn class_name(&self) -> &'static str {
        "Dot"
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        let axes = match self.axes {
            DotAxes::One(a) => Value::from(a),
            DotAxes::Pair(a, b) => Value::from(vec![a, b]),
        };
        m.insert("axes".into(), axes);
        m.insert("normalize".into(), Value::from(self.normalize));
        m
    }

    fn build(&self, input_shapes: &[Shape]) -> Result<()> {
        self.plan(input_shapes).map(|_| ())
    }

    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![self.plan(input_shapes)?.1])
    }

    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let shapes: Vec<Shape> = inputs.iter().map(|s| s.shape()).collect();
        let ((a0, a1), out) = self.plan(&shapes)?;
        let xs = common_dtype(inputs, self.common.dtype)?;
        let (mut x, mut y) = (xs[0], xs[1]);
        if self.normalize {
            x = x.l2_normalize(&[a0 as i64], crate::config::epsilon())?;
            y = y.l2_normalize(&[a1 as i64], crate::config::epsilon())?;
        }
        // x to [B, P, d] (the contracted axis last), y to [B, d, Q] (it first after the batch),
        // one batched matmul, then the kept dims back.
        let (rx, ry) = (x.rank(), y.rank());
        let mut px: Vec<usize> = (0..rx).filter(|&i| i != a0).collect();
        px.push(a0);
        let mut py: Vec<usize> = vec![0, a1];
        py.extend((1..ry).filter(|&i| i != a1));
        let (sx, sy) = (&shapes[0], &shapes[1]);
        let known = |dims: Vec<Option<usize>>| -> Result<usize> {
            dims.into_iter().try_fold(1usize, |acc, d| d.map(|d| acc * d)).ok_or_else(|| {
                Error::arg(
                    "Dot",
                    format!(
                        "layer {:?} (Dot) needs known non-batch dimensions, got {} and {}",
                        self.common.name,
                        shape_str(sx),
                        shape_str(sy)
                    ),
                )
            })
        };
        let d = known(vec![sx[a0].or(sy[a1])])?;
        let p = known(px[1..rx - 1].iter().map(|&i| sx[i]).collect())?;
        let q = known(py[2..].iter().map(|&i| sy[i]).collect())?;
        let batch = out[0].map_or(-1, |b| b as i64);
        if batch == -1 && (p == 0 || d == 0 || q == 0) {
            return Err(Error::arg(
                "Dot",
                format!(
                    "layer {:?} (Dot): zero-size dimensions with an unknown batch size are not supported ({} and {})",
                    self.common.name,
                    shape_str(sx),
                    shape_str(sy)
                ),
            ));
        }
        let x3 = x.transpose(&px)?.reshape(&[batch, p as i64, d as i64])?;
        let y3 = y.transpose(&py)?.reshape(&[batch, d as i64, q as i64])?;
        let r = x3.matmul(y3)?;
        let target: Vec<i64> =
            std::iter::once(batch).chain(out[1..].iter().map(|d| d.map_or(-1, |d| d as i64))).collect();
        Ok(vec![r.reshape(&target)?])
    }
}

/// The registry entries of this file.
pub(crate) fn entries() -> Vec<(&'static str, crate::layers::LayerFactory)> {
    vec![
        ("Concatenate", |c| Ok(LayerRef::from(Concatenate::from_config(c)?))),
        ("Add", |c| Ok(LayerRef::from(Merge::from_config(MergeOp::Add, c)?))),
        ("Subtract", |c| Ok(LayerRef::from(Merge::from_config(MergeOp::Subtract, c)?))),
        ("Multiply", |c| Ok(LayerRef::from(Merge::from_config(MergeOp::Multiply, c)?))),
        ("Average", |c| Ok(LayerRef::from(Merge::from_config(MergeOp::Average, c)?))),
        ("Maximum", |c| Ok(LayerRef::from(Merge::from_config(MergeOp::Maximum, c)?))),
        ("Minimum", |c| Ok(LayerRef::from(Merge::from_config(MergeOp::Minimum, c)?))),
        ("Dot", |c| Ok(LayerRef::from(Dot::from_config(c)?))),
    ]
}
