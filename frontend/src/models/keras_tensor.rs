//! Symbolic tensors of the functional API: `Input(...)` makes one, calling a layer on them makes
//! more, and each remembers the layer call that produced it, so a [`Model`](super::Model) can be
//! built from its inputs and outputs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use wgkeras_runtime::DType;

use crate::error::{Error, Result};
use crate::graph::{shape_str, Shape};
use crate::layers::LayerRef;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// One call of a layer on symbolic tensors (a Keras "node").
pub struct LayerCall {
    pub layer: LayerRef,
    pub inputs: Vec<KerasTensor>,
    /// Ids of the tensors this call produced, in output order.
    pub outputs: Vec<u64>,
    /// Whether the layer was called on a list (Concatenate) rather than one tensor.
    pub list_input: bool,
}

/// Where a symbolic tensor comes from.
#[derive(Clone)]
pub enum Origin {
    /// A model input made by [`Input`], with its input layer's name.
    Input { name: String },
    /// Output `index` of a layer call.
    Call { call: Arc<LayerCall>, index: usize },
}

/// A symbolic tensor (Keras's `KerasTensor`): a static shape whose first dim is the batch.
#[derive(Clone)]
pub struct KerasTensor {
    pub id: u64,
    pub shape: Shape,
    pub dtype: DType,
    pub origin: Origin,
}

impl std::fmt::Debug for KerasTensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<KerasTensor shape={}, dtype={}>", shape_str(&self.shape), self.dtype.name())
    }
}

/// `keras.Input(shape)`: a model input of `shape` (without the batch dim), float32.
pub fn input(shape: &[usize]) -> KerasTensor {
    input_with(shape, DType::F32, None)
}

/// `keras.Input(shape, dtype, name)`.
pub fn input_with(shape: &[usize], dtype: DType, name: Option<&str>) -> KerasTensor {
    let mut s: Shape = vec![None];
    s.extend(shape.iter().map(|&d| Some(d)));
    input_batch_shape(s, dtype, name)
}

/// An input of a full batch shape (`batch_shape` in Keras's InputLayer config).
pub fn input_batch_shape(shape: Shape, dtype: DType, name: Option<&str>) -> KerasTensor {
    let name = match name {
        Some(n) => n.to_string(),
        None => crate::utils::naming::auto_name("input_layer"),
    };
    KerasTensor { id: next_id(), shape, dtype, origin: Origin::Input { name } }
}

impl KerasTensor {
    pub fn is_input(&self) -> bool {
        matches!(self.origin, Origin::Input { .. })
    }
}

impl LayerRef {
    /// Calls the layer on one symbolic tensor (building it for that shape the first time).
    pub fn call(&self, x: &KerasTensor) -> Result<KerasTensor> {
        let mut out = self.call_symbolic(std::slice::from_ref(x), false)?;
        if out.len() != 1 {
            return Err(Error::arg(
                "Layer.__call__",
                format!("layer {:?} has {} outputs; use call_list", self.name(), out.len()),
            ));
        }
        Ok(out.remove(0))
    }

    /// Calls the layer on a list of symbolic tensors (e.g. `Concatenate()([a, b])`).
    pub fn call_list(&self, xs: &[KerasTensor]) -> Result<Vec<KerasTensor>> {
        self.call_symbolic(xs, true)
    }

    fn call_symbolic(&self, xs: &[KerasTensor], list_input: bool) -> Result<Vec<KerasTensor>> {
        if xs.is_empty() {
            return Err(Error::arg(
                "Layer.__call__",
                format!("layer {:?} was called on no tensors", self.name()),
            ));
        }
        let shapes: Vec<Shape> = xs.iter().map(|x| x.shape.clone()).collect();
        if let Some(built) = self.0.common().built_shapes() {
            check_compatible(self, &built, &shapes)?;
        }
        self.ensure_built(&shapes)?;
        let out_shapes = self.0.output_shapes(&shapes)?;
        // The output dtype: what the layer computes for these inputs, from a probe graph.
        let probe = crate::graph::Graph::new();
        let syms: Vec<_> = xs.iter().map(|x| probe.input(&x.shape, x.dtype)).collect();
        let outs = self.call_graph(&syms, &crate::layers::CallContext::new(false))?;
        let ids: Vec<u64> = out_shapes.iter().map(|_| next_id()).collect();
        let call = Arc::new(LayerCall {
            layer: self.clone(),
            inputs: xs.to_vec(),
            outputs: ids.clone(),
            list_input,
        });
        Ok(out_shapes
            .into_iter()
            .zip(ids)
            .zip(outs)
            .enumerate()
            .map(|(index, ((shape, id), sym))| KerasTensor {
                id,
                shape,
                dtype: sym.dtype(),
                origin: Origin::Call { call: call.clone(), index },
            })
            .collect())
    }
}

/// A built layer called again must get inputs of the shapes it was built for (batch free).
fn check_compatible(layer: &LayerRef, built: &[Shape], got: &[Shape]) -> Result<()> {
    let ok = built.len() == got.len()
        && built.iter().zip(got).all(|(b, g)| {
            b.len() == g.len() && b.iter().zip(g).all(|(x, y)| x.is_none() || y.is_none() || x == y)
        });
    if ok {
        Ok(())
    } else {
        let fmt = |s: &[Shape]| s.iter().map(|x| shape_str(x)).collect::<Vec<_>>().join(", ");
        Err(Error::arg(
            "Layer.__call__",
            format!(
                "layer {:?} ({}) was built for input shape {} and cannot take {}",
                layer.name(),
                layer.class_name(),
                fmt(built),
                fmt(got)
            ),
        ))
    }
}
