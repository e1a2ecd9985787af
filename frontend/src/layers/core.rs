//! Core layers: `Dense`, `Activation`, `Dropout`.

use crate::random::SeedGenerator;
use serde_json::{Map, Value};

use crate::activations::Activation as ActivationFn;
use crate::error::{Error, Result};
use crate::graph::{shape_str, Op, Shape, Sym};
use crate::initializers::{self, Initializer};
use crate::layers::serialization::{
    autocast, common_from_config, get_bool, get_f64, get_i64, parse_activation, parse_shape, require_null,
    shape_value, single_input, single_shape,
};
use crate::layers::{CallContext, Layer, LayerCommon, LayerRef};
use crate::variable::Variable;

// ---------------------------------------------------------------------------------------------
// Dense
// ---------------------------------------------------------------------------------------------

/// `keras.layers.Dense`: `activation(x @ kernel + bias)` on the last axis of `x`.
///
/// Weights (in Keras's `get_weights` order): `kernel` `[input_dim, units]`, then `bias`
/// `[units]` when `use_bias`. On 2-D inputs the graph is exactly `matmul`, `add`, activation
/// (the pattern the plan compiler fuses into one matmul with an epilogue); on N-D inputs the
/// leading axes are flattened to one first and restored after.
pub struct Dense {
    common: LayerCommon,
    units: usize,
    activation: ActivationFn,
    use_bias: bool,
    kernel_initializer: Box<dyn Initializer>,
    bias_initializer: Box<dyn Initializer>,
}

const DENSE_KEYS: &[&str] = &[
    "units",
    "activation",
    "use_bias",
    "kernel_initializer",
    "bias_initializer",
    "kernel_regularizer",
    "bias_regularizer",
    "kernel_constraint",
    "bias_constraint",
    "lora_rank",
    "lora_alpha",
    "quantization_config",
];

impl Dense {
    /// `Dense(units, activation)` with Keras's defaults for the rest (`use_bias=True`,
    /// `glorot_uniform` kernel, `zeros` bias); `activation` None is `linear`.
    pub fn new(units: usize, activation: Option<&str>) -> Result<Dense> {
        let mut config = Map::new();
        config.insert("units".into(), Value::from(units));
        config.insert("activation".into(), activation.map_or(Value::Null, Value::from));
        Dense::from_config(&config)
    }

    /// From Keras's `get_config()` (unknown keys, regularizers, constraints, LoRA and
    /// quantization are errors naming the key).
    pub fn from_config(config: &Map<String, Value>) -> Result<Dense> {
        const C: &str = "Dense";
        let common = common_from_config(C, config, DENSE_KEYS)?;
        let units = match get_i64(C, config, "units")? {
            Some(u) if u > 0 => u as usize,
            Some(u) => {
                return Err(Error::arg(
                    C,
                    format!(
                    "Received an invalid value for `units`, expected a positive integer. Received: units={u}"
                ),
                ))
            }
            None => return Err(Error::arg(C, "Dense: missing the required argument `units`")),
        };
        let activation = parse_activation(C, config.get("activation").unwrap_or(&Value::Null))?;
        let use_bias = get_bool(C, config, "use_bias", true)?;
        let kernel_initializer =
            initializer(C, "kernel_initializer", config.get("kernel_initializer"), "glorot_uniform")?;
        let bias_initializer = initializer(C, "bias_initializer", config.get("bias_initializer"), "zeros")?;
        for key in [
            "kernel_regularizer",
            "bias_regularizer",
            "kernel_constraint",
            "bias_constraint",
            "lora_rank",
            "quantization_config",
        ] {
            require_null(C, config, key)?;
        }
        Ok(Dense { common, units, activation, use_bias, kernel_initializer, bias_initializer })
    }

    /// Builder-style `use_bias`.
    pub fn with_use_bias(mut self, use_bias: bool) -> Dense {
        self.use_bias = use_bias;
        self
    }

    pub fn units(&self) -> usize {
        self.units
    }

    pub fn activation(&self) -> &ActivationFn {
        &self.activation
    }

    pub fn use_bias(&self) -> bool {
        self.use_bias
    }

    /// The kernel and bias variables (None before `build`).
    pub fn kernel(&self) -> Option<Variable> {
        self.common.weights().into_iter().next()
    }

    pub fn bias(&self) -> Option<Variable> {
        if self.use_bias {
            self.common.weights().into_iter().nth(1)
        } else {
            None
        }
    }

    /// The built input dim (the kernel's first dim).
    fn input_dim(&self) -> Result<usize> {
        self.kernel()
            .and_then(|k| k.dims().first().copied())
            .ok_or_else(|| Error::arg("Dense", format!("layer {:?} (Dense) is not built", self.common.name)))
    }

    /// Keras's input spec of a built Dense: rank >= 2 and the last axis `input_dim`.
    fn check_input(&self, shape: &Shape, in_dim: usize) -> Result<()> {
        let name = &self.common.name;
        if shape.len() < 2 {
            return Err(Error::arg(
                "Dense",
                format!(
                    "Input 0 of layer {name:?} (Dense) is incompatible with the layer: expected min_ndim=2, \
                     found ndim={}. Full shape received: {}",
                    shape.len(),
                    shape_str(shape)
                ),
            ));
        }
        if shape.last() != Some(&Some(in_dim)) {
            return Err(Error::arg(
                "Dense",
                format!(
                    "Input 0 of layer {name:?} (Dense) is incompatible with the layer: expected axis -1 of input \
                     shape to have value {in_dim}, but received input with shape {}",
                    shape_str(shape)
                ),
            ));
        }
        Ok(())
    }
}

impl Layer for Dense {
    fn class_name(&self) -> &'static str {
        "Dense"
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("units".into(), Value::from(self.units));
        m.insert("activation".into(), Value::from(self.activation.name()));
        m.insert("use_bias".into(), Value::from(self.use_bias));
        m.insert("kernel_initializer".into(), initializers::serialize(self.kernel_initializer.as_ref()));
        m.insert("bias_initializer".into(), initializers::serialize(self.bias_initializer.as_ref()));
        for key in [
            "kernel_regularizer",
            "bias_regularizer",
            "kernel_constraint",
            "bias_constraint",
            "quantization_config",
        ] {
            m.insert(key.into(), Value::Null);
        }
        m
    }

    fn build(&self, input_shapes: &[Shape]) -> Result<()> {
        let s = single_shape("Dense", &self.common.name, input_shapes)?;
        let in_dim = match s.last() {
            Some(Some(d)) if s.len() >= 2 => *d,
            _ => {
                return Err(Error::arg(
                    "Dense",
                    format!(
                    "layer {:?} (Dense) needs inputs of rank >= 2 with a known last dimension, got shape {}",
                    self.common.name,
                    shape_str(s)
                ),
                ))
            }
        };
        self.common.add_weight("kernel", &[in_dim, self.units], self.kernel_initializer.as_ref(), true)?;
        if self.use_bias {
            self.common.add_weight("bias", &[self.units], self.bias_initializer.as_ref(), true)?;
        }
        Ok(())
    }

    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        let s = single_shape("Dense", &self.common.name, input_shapes)?;
        if let Ok(in_dim) = self.input_dim() {
            self.check_input(s, in_dim)?;
        } else if s.len() < 2 {
            self.check_input(s, 0)?;
        }
        let mut out = s[..s.len() - 1].to_vec();
        out.push(Some(self.units));
        Ok(vec![out])
    }

    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let x = single_input("Dense", &self.common.name, inputs)?;
        let in_dim = self.input_dim()?;
        let shape = x.shape();
        self.check_input(&shape, in_dim)?;
        let x = autocast(x, self.common.dtype)?;
        let g = x.graph;
        let kernel = g.variable(&self.kernel().expect("built"));
        let bias = self.bias().map(|b| g.variable(&b));
        // matmul, add, activation: the pattern the compiler fuses (2-D operands only).
        let head = |x2: Sym<'g>| -> Result<Sym<'g>> {
            let mut y = x2.matmul(kernel)?;
            if let Some(b) = bias {
                y = y.add(b)?;
            }
            // Dense's activation is a name with its default arguments: elementwise or softmax
            // on the last axis, so it can run before the leading axes are restored.
            self.activation.apply(y)
        };
        let lead = &shape[..shape.len() - 1];
        let unknown = lead.iter().filter(|d| d.is_none()).count();
        let y = if shape.len() == 2 {
            head(x)?
        } else if unknown <= 1 {
            let y = head(x.reshape(&[-1, in_dim as i64])?)?;
            let mut target: Vec<i64> = lead.iter().map(|d| d.map_or(-1, |d| d as i64)).collect();
            target.push(self.units as i64);
            y.reshape(&target)?
        } else {
            // Several unknown leading dims: a batched matmul against the 2-D kernel.
            head(x)?
        };
        Ok(vec![y])
    }
}

// ---------------------------------------------------------------------------------------------
// Activation
// ---------------------------------------------------------------------------------------------

/// `keras.layers.Activation`: applies an activation function.
pub struct Activation {
    common: LayerCommon,
    activation: ActivationFn,
}

impl Activation {
    pub fn new(activation: &str) -> Result<Activation> {
        let mut config = Map::new();
        config.insert("activation".into(), Value::from(activation));
        Activation::from_config(&config)
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Activation> {
        const C: &str = "Activation";
        let common = common_from_config(C, config, &["activation"])?;
        if !config.contains_key("activation") {
            return Err(Error::arg(C, "Activation: missing the required argument `activation`"));
        }
        let activation = parse_activation(C, &config["activation"])?;
        Ok(Activation { common, activation })
    }

    pub fn activation(&self) -> &ActivationFn {
        &self.activation
    }
}

impl Layer for Activation {
    fn class_name(&self) -> &'static str {
        "Activation"
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("activation".into(), Value::from(self.activation.name()));
        m
    }

    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![single_shape("Activation", &self.common.name, input_shapes)?.clone()])
    }

    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let x = single_input("Activation", &self.common.name, inputs)?;
        let x = if x.dtype().is_float() { x } else { autocast(x, self.common.dtype)? };
        Ok(vec![self.activation.apply(x)?])
    }
}

// ---------------------------------------------------------------------------------------------
// Dropout
// ---------------------------------------------------------------------------------------------

/// `keras.layers.Dropout`: in training, zeroes each element with probability `rate` and
/// scales the rest by `1 / (1 - rate)`; otherwise (or with rate 0) the identity.
///
/// The mask is drawn on the device from the layer's [`SeedGenerator`], so successive steps draw
/// new masks without a readback.
pub struct Dropout {
    common: LayerCommon,
    rate: f64,
    noise_shape: Option<Shape>,
    seed: Option<u64>,
    /// Created when rate > 0 (as Keras creates its SeedGenerator).
    seed_state: Option<SeedGenerator>,
}

impl Dropout {
    pub fn new(rate: f64) -> Result<Dropout> {
        let mut config = Map::new();
        config.insert("rate".into(), Value::from(rate));
        Dropout::from_config(&config)
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Dropout> {
        const C: &str = "Dropout";
        let common = common_from_config(C, config, &["rate", "noise_shape", "seed"])?;
        let rate = get_f64(C, config, "rate")?
            .ok_or_else(|| Error::arg(C, "Dropout: missing the required argument `rate`"))?;
        if !(0.0..=1.0).contains(&rate) {
            return Err(Error::arg(
                C,
                format!(
                    "Invalid value received for argument `rate`. Expected a float value between 0 and 1. \
                     Received: rate={rate}"
                ),
            ));
        }
        let noise_shape = match config.get("noise_shape") {
            None | Some(Value::Null) => None,
            Some(v) => Some(parse_shape(C, "noise_shape", v)?),
        };
        let seed = match get_i64(C, config, "seed")? {
            None => None,
            Some(s) if s >= 0 => Some(s as u64),
            Some(s) => {
                return Err(Error::arg(C, format!("Dropout: `seed` must be a non-negative integer, got {s}")))
            }
        };
        let seed_state = if rate > 0.0 { Some(SeedGenerator::new(&common.name, seed)?) } else { None };
        Ok(Dropout { common, rate, noise_shape, seed, seed_state })
    }

    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The seed state variable (uint32 `[2]`), present when rate > 0. It is not among the
    /// layer's weights (as in Keras); a model moves it to its device with the weights.
    pub fn seed_state(&self) -> Option<&Variable> {
        self.seed_state.as_ref().map(SeedGenerator::state)
    }

    /// The shape of the mask for an input of `shape`: `noise_shape` with its nulls taken from
    /// the input, each entry equal to the input's or 1.
    fn mask_source<'g>(&self, x: Sym<'g>) -> Result<Sym<'g>> {
        let Some(ns) = &self.noise_shape else { return Ok(x) };
        let shape = x.shape();
        let bad = || {
            Error::arg(
                "Dropout",
                format!(
                    "layer {:?} (Dropout): noise_shape {} does not broadcast to the input shape {}",
                    self.common.name,
                    shape_str(ns),
                    shape_str(&shape)
                ),
            )
        };
        if ns.len() != shape.len() {
            return Err(bad());
        }
        let mut src = x;
        for (axis, (n, d)) in ns.iter().zip(&shape).enumerate() {
            match (n, d) {
                (None, _) => {}
                (Some(n), Some(d)) if n == d => {}
                (Some(1), _) => src = src.slice_axis(axis as i64, 0, 1)?,
                _ => return Err(bad()),
            }
        }
        Ok(src)
    }
}

impl Layer for Dropout {
    fn class_name(&self) -> &'static str {
        "Dropout"
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("rate".into(), Value::from(self.rate));
        m.insert("seed".into(), self.seed.map_or(Value::Null, Value::from));
        m.insert("noise_shape".into(), self.noise_shape.as_ref().map_or(Value::Null, |s| shape_value(s)));
        m
    }

    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![single_shape("Dropout", &self.common.name, input_shapes)?.clone()])
    }

    fn call<'g>(&self, inputs: &[Sym<'g>], ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let x = single_input("Dropout", &self.common.name, inputs)?;
        let (true, Some(state)) = (ctx.training && self.rate > 0.0, &self.seed_state) else {
            return Ok(vec![x]);
        };
        if !x.dtype().is_float() {
            return Err(Error::arg(
                "Dropout",
                format!(
                    "layer {:?} (Dropout) expects a float input, got {}",
                    self.common.name,
                    x.dtype().name()
                ),
            ));
        }
        let g = x.graph;
        let seed = state.next(g, ctx)?;
        let y = if self.rate >= 1.0 {
            x.scalar_like(0.0)?.broadcast_like(x)?
        } else {
            let src = self.mask_source(x)?;
            let mask = g.apply(Op::DropoutMask { rate: self.rate }, &[src.id, seed.id])?;
            x.mul(mask.cast(x.dtype())?)?
        };
        Ok(vec![y])
    }
}

/// The registry entries of this file.
pub(crate) fn entries() -> Vec<(&'static str, crate::layers::LayerFactory)> {
    vec![
        ("Dense", |c| Ok(LayerRef::from(Dense::from_config(c)?))),
        ("Activation", |c| Ok(LayerRef::from(Activation::from_config(c)?))),
        ("Dropout", |c| Ok(LayerRef::from(Dropout::from_config(c)?))),
    ]
}

// ---------------------------------------------------------------------------------------------
// Initializers
// ---------------------------------------------------------------------------------------------

/// An initializer from a layer config value (`default` when absent or null).
fn initializer(
    class: &'static str,
    key: &str,
    v: Option<&Value>,
    default: &str,
) -> Result<Box<dyn Initializer>> {
    let v = match v {
        None | Some(Value::Null) => Value::from(default),
        Some(v) => v.clone(),
    };
    initializers::get(&v).map_err(|e| Error::arg(class, format!("{class}: `{key}`: {e}")))
}
