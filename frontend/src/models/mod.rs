//! Keras models: [`Model`] is both Keras's `Sequential` (a list of layers, built when its input
//! shape is known) and `Functional` (a graph of layer calls from `Input`s to outputs, with
//! several inputs and outputs and shared layers). Training is in `training.rs`, the summary
//! table in `summary.rs`, Keras JSON in `json.rs`.

mod json;
pub mod keras_tensor;
mod summary;
pub mod training;

use std::collections::HashMap;
use std::sync::Arc;

use wgkeras_runtime::{DType, Device, Tensor};

use crate::error::{Error, Result};
use crate::graph::{Shape, Sym};
use crate::layers::{CallContext, LayerRef};
use crate::variable::Variable;
pub use keras_tensor::{input, input_batch_shape, input_with, KerasTensor, LayerCall, Origin};
pub use training::{CompileArgs, EvaluateArgs, FitArgs, PredictArgs};

enum Kind {
    /// The layers in order, and the input (shape with batch, dtype, input layer name) once known.
    Sequential {
        layers: Vec<LayerRef>,
        input: Option<(Shape, DType, String)>,
    },
    Functional,
}

/// A Keras model: Sequential or Functional.
pub struct Model {
    pub name: String,
    kind: Kind,
    /// Empty until a Sequential model knows its input shape.
    inputs: Vec<KerasTensor>,
    outputs: Vec<KerasTensor>,
    /// The layer calls from inputs to outputs, in an order where each call's inputs exist.
    calls: Vec<Arc<LayerCall>>,
    /// A functional model's layers in Keras's `model.layers` order (see `collect_calls`).
    layer_order: Vec<LayerRef>,
    pub(crate) compiled: Option<training::Compiled>,
    device: Device,
    /// Set by a callback to end `fit` after the current batch (Keras's `model.stop_training`);
    /// `fit` clears it when it starts.
    pub stop_training: bool,
    /// Where the next `fit` starts (epoch, step), when a callback set it (Keras's
    /// `model._initial_epoch`); see `Model::set_initial_epoch`.
    pub(crate) initial_position: Option<(usize, usize)>,
}

impl Model {
    /// An empty `keras.Sequential` (`name` None: `sequential`, `sequential_1`, ...).
    pub fn sequential(name: Option<&str>) -> Model {
        Model {
            name: name.map_or_else(|| crate::utils::naming::auto_name("sequential"), str::to_string),
            kind: Kind::Sequential { layers: vec![], input: None },
            inputs: vec![],
            outputs: vec![],
            calls: vec![],
            layer_order: vec![],
            compiled: None,
            device: Device::Cpu,
            stop_training: false,
            initial_position: None,
        }
    }

    /// `keras.Sequential([Input(shape), *layers])`.
    pub fn sequential_with(input_shape: &[usize], layers: Vec<LayerRef>) -> Result<Model> {
        let mut m = Model::sequential(None);
        m.set_input(input_shape, DType::F32)?;
        for l in layers {
            m.add(l)?;
        }
        Ok(m)
    }

    /// Declares a Sequential model's input shape (without the batch dim), like a leading
    /// `keras.Input(shape)`.
    pub fn set_input(&mut self, shape: &[usize], dtype: DType) -> Result<()> {
        let mut s: Shape = vec![None];
        s.extend(shape.iter().map(|&d| Some(d)));
        self.set_input_batch_shape(s, dtype, None)
    }

    fn set_input_batch_shape(&mut self, shape: Shape, dtype: DType, name: Option<String>) -> Result<()> {
        let Kind::Sequential { input, .. } = &mut self.kind else {
            return Err(Error::arg("Sequential", "set_input is for Sequential models"));
        };
        *input = Some((shape, dtype, name.unwrap_or_else(|| crate::utils::naming::auto_name("input_layer"))));
        self.rebuild_sequential()
    }

    /// `Sequential.add(layer)`.
    pub fn add(&mut self, layer: impl Into<LayerRef>) -> Result<()> {
        let layer = layer.into();
        let Kind::Sequential { layers, .. } = &mut self.kind else {
            return Err(Error::arg("Model.add", "only Sequential models have add"));
        };
        if layers.iter().any(|l| l.name() == layer.name()) {
            return Err(Error::arg(
                "Sequential.add",
                format!(
                    "all layers added to a Sequential model should have unique names; {:?} is already there",
                    layer.name()
                ),
            ));
        }
        layers.push(layer);
        if let Err(e) = self.rebuild_sequential() {
            if let Kind::Sequential { layers, .. } = &mut self.kind {
                layers.pop();
            }
            self.rebuild_sequential()?;
            return Err(e);
        }
        Ok(())
    }

    /// `Sequential.pop()`: removes and returns the last layer.
    pub fn pop(&mut self) -> Result<LayerRef> {
        let Kind::Sequential { layers, .. } = &mut self.kind else {
            return Err(Error::arg("Model.pop", "only Sequential models have pop"));
        };
        let l =
            layers.pop().ok_or_else(|| Error::arg("Sequential.pop", "there are no layers in the model"))?;
        self.rebuild_sequential()?;
        Ok(l)
    }

    /// Re-derives a Sequential model's calls from its layers and input.
    fn rebuild_sequential(&mut self) -> Result<()> {
        self.compiled_plans_reset();
        let Kind::Sequential { layers, input } = &self.kind else { return Ok(()) };
        let Some((shape, dtype, name)) = input.clone() else {
            self.inputs.clear();
            self.outputs.clear();
            self.calls.clear();
            return Ok(());
        };
        let x = input_batch_shape(shape, dtype, Some(&name));
        let mut h = x.clone();
        for l in layers.clone() {
            h = l.call(&h)?;
        }
        let layers_empty = layers.is_empty();
        self.inputs = vec![x];
        self.outputs = if layers_empty { vec![] } else { vec![h] };
        (self.calls, self.layer_order) = collect_calls(&self.outputs);
        Ok(())
    }

    /// `keras.Model(inputs, outputs)`: the functional model from `inputs` to `outputs`.
    pub fn functional(inputs: &[KerasTensor], outputs: &[KerasTensor], name: Option<&str>) -> Result<Model> {
        if inputs.is_empty() || outputs.is_empty() {
            return Err(Error::arg("Model", "a functional model needs at least one input and one output"));
        }
        for x in inputs {
            if !x.is_input() {
                return Err(Error::arg("Model", format!("inputs must come from keras.Input, got {x:?}")));
            }
        }
        let (calls, layer_order) = collect_calls(outputs);
        // Every input any call needs must be one of the model's inputs.
        for c in &calls {
            for x in &c.inputs {
                if x.is_input() && !inputs.iter().any(|i| i.id == x.id) {
                    return Err(Error::arg(
                        "Model",
                        format!(
                            "layer {:?} needs an input ({x:?}) that is not among the model's inputs",
                            c.layer.name()
                        ),
                    ));
                }
            }
        }
        Ok(Model {
            name: name.map_or_else(|| crate::utils::naming::auto_name("functional"), str::to_string),
            kind: Kind::Functional,
            inputs: inputs.to_vec(),
            outputs: outputs.to_vec(),
            calls,
            layer_order,
            compiled: None,
            device: Device::Cpu,
            stop_training: false,
            initial_position: None,
        })
    }

    pub fn is_sequential(&self) -> bool {
        matches!(self.kind, Kind::Sequential { .. })
    }

    /// Whether the model knows its input shapes (a Sequential model without an input is not).
    pub fn is_built(&self) -> bool {
        !self.inputs.is_empty() && !self.outputs.is_empty()
    }

    pub fn inputs(&self) -> &[KerasTensor] {
        &self.inputs
    }

    pub fn outputs(&self) -> &[KerasTensor] {
        &self.outputs
    }

    /// The layers in order (each once; Keras's `model.layers`, input layers excluded).
    pub fn layers(&self) -> Vec<LayerRef> {
        if let Kind::Sequential { layers, .. } = &self.kind {
            return layers.clone();
        }
        self.layer_order.clone()
    }

    /// `model.get_layer(name)`.
    pub fn get_layer(&self, name: &str) -> Result<LayerRef> {
        self.layers().into_iter().find(|l| l.name() == name).ok_or_else(|| {
            let names: Vec<String> = self.layers().iter().map(|l| l.name().to_string()).collect();
            Error::arg("Model.get_layer", format!("no layer named {name:?}; the layers are {names:?}"))
        })
    }

    /// Every weight, layer by layer (Keras's `model.weights` order).
    pub fn weights(&self) -> Vec<Variable> {
        let mut out: Vec<Variable> = vec![];
        for l in self.layers() {
            for w in l.weights() {
                if !out.iter().any(|v| v.id() == w.id()) {
                    out.push(w);
                }
            }
        }
        out
    }

    pub fn trainable_weights(&self) -> Vec<Variable> {
        self.weights().into_iter().filter(|w| w.trainable()).collect()
    }

    pub fn non_trainable_weights(&self) -> Vec<Variable> {
        self.weights().into_iter().filter(|w| !w.trainable()).collect()
    }

    /// `model.count_params()`.
    pub fn count_params(&self) -> usize {
        self.weights().iter().map(|w| w.dims().iter().product::<usize>()).sum()
    }

    /// `model.get_weights()`: copies of every weight on the host.
    pub fn get_weights(&self) -> Result<Vec<Tensor>> {
        self.weights().iter().map(|w| Ok(w.value().to_device(&Device::Cpu)?)).collect()
    }

    /// `model.set_weights(weights)`: one tensor per weight, in `get_weights` order, of the same
    /// shapes (copied into the weights in place, so compiled steps keep working).
    pub fn set_weights(&self, values: &[Tensor]) -> Result<()> {
        let weights = self.weights();
        if values.len() != weights.len() {
            return Err(Error::arg(
                "Model.set_weights",
                format!(
                    "model {:?} has {} weights, {} values were given",
                    self.name,
                    weights.len(),
                    values.len()
                ),
            ));
        }
        for (w, v) in weights.iter().zip(values) {
            if w.dims() != v.dims() {
                return Err(Error::arg(
                    "Model.set_weights",
                    format!(
                        "weight {:?} has shape {:?}, the value given has shape {:?}",
                        w.name(),
                        w.dims(),
                        v.dims()
                    ),
                ));
            }
            let v =
                if v.dtype() == w.dtype() { v.clone() } else { wgkeras_runtime::ops::cast(v, w.dtype())? };
            w.assign(&v.to_device(&w.device())?)?;
        }
        Ok(())
    }

    /// The device the model's weights live on and its steps run on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Moves every weight (and the optimizer's and metrics' state) to `device`.
    pub fn to_device(&mut self, device: &Device) -> Result<()> {
        for w in self.weights() {
            w.to_device(device)?;
        }
        if let Some(c) = &self.compiled {
            for v in c.state_variables() {
                v.to_device(device)?;
            }
        }
        self.device = device.clone();
        self.compiled_plans_reset();
        Ok(())
    }

    /// Appends the model's computation on `inputs` (one per model input) to their graph.
    pub fn call_graph<'g>(&self, inputs: &[Sym<'g>], ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        Ok(self.call_graph_masked(inputs, ctx)?.0)
    }

    /// [`Model::call_graph`] and the Keras mask of each output (None: unmasked), propagated
    /// from layer to layer as Keras's `Layer.__call__` does (e.g. from an
    /// `Embedding(mask_zero=True)`); the compiled loss and metrics read it.
    pub fn call_graph_masked<'g>(
        &self,
        inputs: &[Sym<'g>],
        ctx: &CallContext,
    ) -> Result<(Vec<Sym<'g>>, Vec<Option<Sym<'g>>>)> {
        if !self.is_built() {
            return Err(Error::arg(
                "Model.call",
                format!(
                    "model {:?} has no input shape yet: give it an input (set_input) or fit it on data",
                    self.name
                ),
            ));
        }
        if inputs.len() != self.inputs.len() {
            return Err(Error::arg(
                "Model.call",
                format!("model {:?} expects {} inputs, got {}", self.name, self.inputs.len(), inputs.len()),
            ));
        }
        let mut values: HashMap<u64, (Sym<'g>, Option<Sym<'g>>)> = HashMap::new();
        for (x, s) in self.inputs.iter().zip(inputs) {
            values.insert(x.id, (*s, None));
        }
        for c in &self.calls {
            let ins: Vec<Sym<'g>> = c.inputs.iter().map(|x| values[&x.id].0).collect();
            let masks: Vec<Option<Sym<'g>>> = c.inputs.iter().map(|x| values[&x.id].1).collect();
            let (outs, out_masks) = c.layer.call_graph_masked(&ins, &masks, ctx)?;
            for ((id, s), m) in c.outputs.iter().zip(outs).zip(out_masks) {
                values.insert(*id, (s, m));
            }
        }
        Ok(self.outputs.iter().map(|o| values[&o.id]).unzip())
    }

    fn compiled_plans_reset(&mut self) {
        if let Some(c) = &mut self.compiled {
            c.reset_plans();
        }
    }
}

/// The layer calls that `outputs` depend on, each once, producers before consumers.
/// The layer calls from the model's inputs to `outputs`, in Keras's order (`map_graph` in
/// keras/src/ops/function.py): a call's depth is its longest distance to an output, a layer's
/// depth the largest of its calls'; calls run by decreasing depth and layers are listed by
/// decreasing depth, ties in the order a depth-first walk from the outputs first meets them.
/// Returns (calls, layers).
fn collect_calls(outputs: &[KerasTensor]) -> (Vec<Arc<LayerCall>>, Vec<LayerRef>) {
    struct Walk {
        post: Vec<Arc<LayerCall>>,
        layers: Vec<LayerRef>,
    }
    fn visit(t: &KerasTensor, w: &mut Walk) {
        let Origin::Call { call, .. } = &t.origin else { return };
        if w.post.iter().any(|c| Arc::ptr_eq(c, call)) {
            return;
        }
        if !w.layers.iter().any(|l| l.same(&call.layer)) {
            w.layers.push(call.layer.clone());
        }
        for x in &call.inputs {
            visit(x, w);
        }
        w.post.push(call.clone());
    }
    let mut w = Walk { post: vec![], layers: vec![] };
    for o in outputs {
        visit(o, &mut w);
    }
    let layer_index = |l: &LayerRef| w.layers.iter().position(|m| m.same(l)).unwrap_or(usize::MAX);
    let call_index = |c: &Arc<LayerCall>| w.post.iter().position(|m| Arc::ptr_eq(m, c));
    let mut call_depth = vec![0usize; w.post.len()];
    let mut layer_depth = vec![0usize; w.layers.len()];
    for i in (0..w.post.len()).rev() {
        let li = layer_index(&w.post[i].layer);
        let d = call_depth[i].max(layer_depth[li]);
        layer_depth[li] = d;
        call_depth[i] = d;
        for x in &w.post[i].inputs {
            if let Origin::Call { call, .. } = &x.origin {
                if let Some(p) = call_index(call) {
                    call_depth[p] = call_depth[p].max(d + 1);
                }
            }
        }
    }
    let mut calls: Vec<usize> = (0..w.post.len()).collect();
    calls.sort_by_key(|&i| (std::cmp::Reverse(call_depth[i]), layer_index(&w.post[i].layer), i));
    let mut layers: Vec<usize> = (0..w.layers.len()).collect();
    layers.sort_by_key(|&i| (std::cmp::Reverse(layer_depth[i]), i));
    (
        calls.into_iter().map(|i| w.post[i].clone()).collect(),
        layers.into_iter().map(|i| w.layers[i].clone()).collect(),
    )
}
