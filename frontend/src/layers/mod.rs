//! Keras layers. One layer family per file; each layer has Keras's `class_name`, its
//! `get_config()` keys and defaults, and a registry entry so Keras JSON that names it loads.
//!
//! A layer is shared by handle ([`LayerRef`]): calling the same handle on several symbolic
//! tensors shares its weights. Its per-class behaviour is the [`Layer`] trait; the state every
//! layer has (name, trainable, dtype, weights, built shapes) is [`LayerCommon`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};
use wgkeras_runtime::{DType, Device};

use crate::constraints::Constraint;
use crate::error::{Error, Result};
use crate::graph::{NodeId, Shape, Sym};
use crate::initializers::Initializer;
use crate::regularizers::Regularizer;
use crate::variable::Variable;

/// What a call may need besides its inputs.
pub struct CallContext {
    pub training: bool,
    /// State updates made by the call (variable <- node), e.g. a dropout seed or moving means;
    /// a train step applies them with the optimizer's.
    pub updates: std::cell::RefCell<Vec<(Variable, NodeId)>>,
    /// Losses added by the call (Keras's `add_loss`, e.g. activity regularization): scalars
    /// that join the training loss.
    pub losses: std::cell::RefCell<Vec<NodeId>>,
}

impl CallContext {
    pub fn new(training: bool) -> CallContext {
        CallContext { training, updates: Default::default(), losses: Default::default() }
    }
}

/// The behaviour of one layer class.
pub trait Layer: Send + Sync {
    /// Keras's class name, e.g. `"Dense"`.
    fn class_name(&self) -> &'static str;
    fn common(&self) -> &LayerCommon;
    /// The class's own `get_config()` keys (the common `name`, `trainable`, `dtype` are added
    /// by [`LayerRef::get_config`]).
    fn config(&self) -> Map<String, Value>;
    /// Creates the weights for these input shapes (with [`LayerCommon::add_weight`]).
    fn build(&self, _input_shapes: &[Shape]) -> Result<()> {
        Ok(())
    }
    /// The output shapes for these input shapes (batch dims `None`).
    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>>;
    /// Appends the layer's computation on `inputs` to their graph. Weights are read with
    /// `inputs[0].graph.variable(&w)` from `self.common().weights()`.
    fn call<'g>(&self, inputs: &[Sym<'g>], ctx: &CallContext) -> Result<Vec<Sym<'g>>>;
    /// Keras's `supports_masking`: whether the layer computes an output mask (by default it
    /// passes its first input's mask on); a layer without it drops the mask.
    fn supports_masking(&self) -> bool {
        false
    }
    /// Keras's `compute_mask(inputs, previous_mask)`: the mask (bool, e.g. [batch, steps]) of
    /// the first output, from the inputs and their masks (one per input, None = unmasked).
    /// Only called when [`Layer::supports_masking`]; the default is Keras's: the first input's
    /// mask.
    fn compute_mask<'g>(&self, _inputs: &[Sym<'g>], masks: &[Option<Sym<'g>>]) -> Result<Option<Sym<'g>>> {
        Ok(masks.first().copied().flatten())
    }
}

/// The state every layer has.
pub struct LayerCommon {
    pub name: String,
    trainable: AtomicBool,
    pub dtype: DType,
    weights: Mutex<Vec<Variable>>,
    /// The weights created trainable, which follow the layer's `trainable` flag.
    trainable_ids: Mutex<Vec<u64>>,
    built: Mutex<Option<Vec<Shape>>>,
    /// Keras's `activity_regularizer`: its penalty on each output, divided by the batch size,
    /// joins the training loss.
    activity_regularizer: Mutex<Option<Arc<dyn Regularizer>>>,
}

impl LayerCommon {
    /// `name` None takes a unique name from the class (`dense`, `dense_1`, ...).
    pub fn new(class_name: &str, name: Option<&str>) -> LayerCommon {
        let name = match name {
            Some(n) => n.to_string(),
            None => crate::utils::naming::auto_name(&crate::utils::naming::to_snake_case(class_name)),
        };
        LayerCommon {
            name,
            trainable: AtomicBool::new(true),
            dtype: DType::F32,
            weights: Mutex::new(vec![]),
            trainable_ids: Mutex::new(vec![]),
            built: Mutex::new(None),
            activity_regularizer: Mutex::new(None),
        }
    }

    /// Reads the common keys (`name`, `trainable`, `dtype`) of a Keras config.
    pub fn from_config(class_name: &str, config: &Map<String, Value>) -> Result<LayerCommon> {
        let common = LayerCommon::new(class_name, config.get("name").and_then(|v| v.as_str()));
        if let Some(t) = config.get("trainable") {
            let t = t
                .as_bool()
                .ok_or_else(|| Error::arg("layers", format!("{class_name}: trainable must be a bool")))?;
            common.set_trainable(t);
        }
        Ok(common)
    }

    pub fn trainable(&self) -> bool {
        self.trainable.load(Ordering::Relaxed)
    }

    /// Keras's `layer.trainable = t`: flips the weights created trainable (a BatchNormalization's
    /// moving statistics stay non-trainable whatever the layer's flag).
    pub fn set_trainable(&self, t: bool) {
        self.trainable.store(t, Ordering::Relaxed);
        let ids = self.trainable_ids.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for w in self.weights().into_iter().filter(|w| ids.contains(&w.id())) {
            w.set_trainable(t);
        }
    }

    pub fn weights(&self) -> Vec<Variable> {
        self.weights.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Creates a weight of `dims` from `initializer` on the CPU (models move their weights to
    /// their device), named `<layer>/<name>` like Keras's variable paths.
    pub fn add_weight(
        &self,
        name: &str,
        dims: &[usize],
        initializer: &dyn Initializer,
        trainable: bool,
    ) -> Result<Variable> {
        let numel = dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        if numel.is_none_or(|n| n > u32::MAX as usize) {
            return Err(Error::arg(
                "layers",
                format!(
                    "layer {:?}: weight {name:?} of shape {dims:?} has more than 2^32 - 1 elements, \
                     more than one tensor can hold",
                    self.name
                ),
            ));
        }
        let value = initializer.init(dims, self.dtype, &Device::Cpu)?;
        let v = Variable::new(format!("{}/{name}", self.name), value, trainable && self.trainable());
        if trainable {
            self.trainable_ids.lock().unwrap_or_else(|e| e.into_inner()).push(v.id());
        }
        self.weights.lock().unwrap_or_else(|e| e.into_inner()).push(v.clone());
        Ok(v)
    }

    /// [`LayerCommon::add_weight`] with Keras's `regularizer` and `constraint` arguments, which
    /// are attached to the variable (the model adds the penalty to the loss, the optimizer
    /// applies the constraint after each update).
    pub fn add_weight_with(
        &self,
        name: &str,
        dims: &[usize],
        initializer: &dyn Initializer,
        trainable: bool,
        regularizer: Option<Arc<dyn Regularizer>>,
        constraint: Option<Arc<dyn Constraint>>,
    ) -> Result<Variable> {
        let v = self.add_weight(name, dims, initializer, trainable)?;
        v.set_regularizer(regularizer);
        v.set_constraint(constraint);
        Ok(v)
    }

    pub fn activity_regularizer(&self) -> Option<Arc<dyn Regularizer>> {
        self.activity_regularizer.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set_activity_regularizer(&self, r: Option<Arc<dyn Regularizer>>) {
        *self.activity_regularizer.lock().unwrap_or_else(|e| e.into_inner()) = r;
    }

    pub fn built_shapes(&self) -> Option<Vec<Shape>> {
        self.built.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn set_built(&self, shapes: Vec<Shape>) {
        *self.built.lock().unwrap_or_else(|e| e.into_inner()) = Some(shapes);
    }
}

/// A handle to a layer; clones share the layer and its weights.
#[derive(Clone)]
pub struct LayerRef(pub Arc<dyn Layer>);

impl<L: Layer + 'static> From<L> for LayerRef {
    fn from(l: L) -> LayerRef {
        LayerRef(Arc::new(l))
    }
}

impl LayerRef {
    pub fn name(&self) -> &str {
        &self.0.common().name
    }

    pub fn class_name(&self) -> &'static str {
        self.0.class_name()
    }

    pub fn weights(&self) -> Vec<Variable> {
        self.0.common().weights()
    }

    pub fn trainable_weights(&self) -> Vec<Variable> {
        self.weights().into_iter().filter(|w| w.trainable()).collect()
    }

    pub fn same(&self, other: &LayerRef) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Builds the layer for `input_shapes` the first time; later calls check nothing more.
    pub fn ensure_built(&self, input_shapes: &[Shape]) -> Result<()> {
        if self.0.common().built_shapes().is_none() {
            self.0.build(input_shapes)?;
            self.0.common().set_built(input_shapes.to_vec());
        }
        Ok(())
    }

    /// Keras's `get_config()`: the common keys then the class's.
    pub fn get_config(&self) -> Map<String, Value> {
        let c = self.0.common();
        let mut m = Map::new();
        m.insert("name".into(), Value::from(c.name.clone()));
        m.insert("trainable".into(), Value::from(c.trainable()));
        m.insert("dtype".into(), crate::layers::dtype_policy_config(c.dtype));
        m.extend(self.0.config());
        m
    }

    /// Keras's serialized form `{"module", "class_name", "config", "registered_name"}`.
    pub fn serialize(&self) -> Value {
        serde_json::json!({
            "module": "keras.layers",
            "class_name": self.class_name(),
            "config": Value::Object(self.get_config()),
            // A class registered with `register_keras_serializable` is saved under its
            // `package>Name`, which loading looks up.
            "registered_name": crate::saving::object_registration::get_registered_name(self.class_name()),
        })
    }

    /// [`LayerRef::call_graph`] with Keras's mask propagation (`Layer.__call__`): `masks` has
    /// one entry per input; the result has one mask per output (the layer's `compute_mask` on
    /// the first output when it supports masking, else None: the mask is dropped).
    pub fn call_graph_masked<'g>(
        &self,
        inputs: &[Sym<'g>],
        masks: &[Option<Sym<'g>>],
        ctx: &CallContext,
    ) -> Result<(Vec<Sym<'g>>, Vec<Option<Sym<'g>>>)> {
        let outputs = self.call_graph(inputs, ctx)?;
        let mut out_masks = vec![None; outputs.len()];
        if self.0.supports_masking() && !out_masks.is_empty() {
            out_masks[0] = self.0.compute_mask(inputs, masks)?;
        }
        Ok((outputs, out_masks))
    }

    /// Builds (if needed) and calls the layer on symbolic tensors of one graph.
    pub fn call_graph<'g>(&self, inputs: &[Sym<'g>], ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let shapes: Vec<Shape> = inputs.iter().map(|s| s.shape()).collect();
        self.ensure_built(&shapes)?;
        let outputs = self.0.call(inputs, ctx).map_err(|e| match e {
            Error::Argument { op, msg } if !msg.contains(self.name()) => {
                Error::Argument { op, msg: format!("layer {:?} ({}): {msg}", self.name(), self.class_name()) }
            }
            e => e,
        })?;
        if let Some(reg) = self.0.common().activity_regularizer() {
            for y in &outputs {
                let mut loss = reg.call(*y)?;
                if y.rank() > 0 {
                    // Keras divides by the batch size (divide_no_nan: an empty batch gives 0).
                    let n = y.size(&[0])?.cast(loss.dtype())?;
                    let zero = n.scalar_like(0.0)?;
                    let safe = n.equal(zero)?.select(n.scalar_like(1.0)?, n)?;
                    loss = n.equal(zero)?.select(zero, loss.div(safe)?)?;
                }
                ctx.losses.borrow_mut().push(loss.id);
            }
        }
        Ok(outputs)
    }
}

/// Keras 3's serialized dtype policy for a layer config.
pub fn dtype_policy_config(dtype: DType) -> Value {
    serde_json::json!({
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": dtype.name()},
        "registered_name": Value::Null,
    })
}

/// The layer classes this module builds from a Keras config, by class name.
pub type LayerFactory = fn(&Map<String, Value>) -> Result<LayerRef>;

/// Every layer class: (Keras class name, constructor from its config). Filled by each layer file.
pub fn registry() -> Vec<(&'static str, LayerFactory)> {
    let mut r = core::entries();
    r.extend(reshaping::entries());
    r.extend(merging::entries());
    r.extend(input_layer::entries());
    r.extend(activations::entries());
    r.extend(normalization::entries());
    r.extend(noise::entries());
    r.extend(embedding::entries());
    r.extend(identity::entries());
    r.extend(preprocessing::entries());
    r.extend(regularization::entries());
    r
}

pub mod activations;
pub mod core;
pub mod embedding;
pub mod identity;
pub mod input_layer;
pub mod merging;
pub mod noise;
pub mod normalization;
pub mod preprocessing;
pub mod regularization;
pub mod reshaping;
pub mod serialization;

pub use self::core::{Activation, Dense, Dropout};
pub use input_layer::InputLayer;
pub use merging::Concatenate;
pub use reshaping::Flatten;
pub use serialization::{deserialize, known_classes};
