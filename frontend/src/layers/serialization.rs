//! Reading and writing Keras layer configs: the keys every layer accepts, typed getters that
//! name the class and the key in their errors, shapes, dtype policies, and Keras's serialized
//! form with its `build_config` (`{"module", "class_name", "config", "registered_name",
//! "build_config": {"input_shape": ...}}`).

use serde_json::{Map, Value};
use wgkeras_runtime::DType;

use crate::activations::Activation;
use crate::error::{Error, Result};
use crate::graph::{shape_str, Shape, Sym};
use crate::layers::{registry, LayerCommon, LayerRef};

/// Keys that Keras's base `Layer.__init__` accepts besides a class's own arguments.
pub const BASE_KEYS: &[&str] =
    &["name", "trainable", "dtype", "activity_regularizer", "autocast", "input_shape", "input_dim"];

/// Checks that `config` has only `own` keys and the [`BASE_KEYS`]: an unknown key is an error
/// naming the class and the key (Keras: "Unrecognized keyword arguments passed to Dense").
pub fn check_keys(class: &'static str, config: &Map<String, Value>, own: &[&str]) -> Result<()> {
    let mut unknown: Vec<&str> =
        config.keys().map(|k| k.as_str()).filter(|k| !own.contains(k) && !BASE_KEYS.contains(k)).collect();
    if unknown.is_empty() {
        return Ok(());
    }
    unknown.sort_unstable();
    let mut known: Vec<&str> = own.iter().chain(BASE_KEYS).copied().collect();
    known.sort_unstable();
    Err(Error::arg(
        class,
        format!("unrecognized config key(s) passed to {class}: {unknown:?}; the accepted keys are {known:?}"),
    ))
}

/// The common state of a layer from its config: checks the keys (see [`check_keys`]), then
/// reads `name`, `trainable`, the dtype policy and the `activity_regularizer` (which every Keras
/// layer accepts), and refuses what wgkeras does not implement (`autocast: false`).
pub fn common_from_config(
    class: &'static str,
    config: &Map<String, Value>,
    own: &[&str],
) -> Result<LayerCommon> {
    check_keys(class, config, own)?;
    if let Some(n) = config.get("name") {
        if !n.is_null() && !n.is_string() {
            return Err(Error::arg(class, format!("{class}: `name` must be a string, got {n}")));
        }
    }
    let activity = crate::regularizers::get(config.get("activity_regularizer").unwrap_or(&Value::Null))
        .map_err(|e| Error::arg(class, format!("{class}: `activity_regularizer`: {e}")))?;
    if let Some(a) = config.get("autocast") {
        if a != &Value::Bool(true) {
            return Err(Error::arg(class, format!("{class}: autocast={a} is not supported (only true)")));
        }
    }
    let mut common = LayerCommon::from_config(class, config)?;
    common.dtype = dtype_policy(class, config.get("dtype").unwrap_or(&Value::Null))?;
    common.set_activity_regularizer(activity);
    Ok(common)
}

/// A layer's dtype from Keras's `dtype` value: null (the default float type), a dtype name, or
/// a serialized `DTypePolicy` / `FloatDTypePolicy`. Mixed policies are not supported.
pub fn dtype_policy(class: &'static str, v: &Value) -> Result<DType> {
    let name = match v {
        Value::Null => return Ok(crate::config::floatx_dtype()),
        Value::String(s) => s.as_str(),
        Value::Object(o) => {
            let cls = o.get("class_name").and_then(|c| c.as_str()).unwrap_or("");
            if !matches!(cls, "DTypePolicy" | "FloatDTypePolicy") {
                return Err(Error::arg(class, format!("{class}: unsupported dtype policy {v}")));
            }
            o.get("config").and_then(|c| c.get("name")).and_then(|n| n.as_str()).ok_or_else(|| {
                Error::arg(class, format!("{class}: the dtype policy {v} has no config.name"))
            })?
        }
        _ => {
            return Err(Error::arg(
                class,
                format!("{class}: `dtype` must be a string or a dtype policy, got {v}"),
            ))
        }
    };
    match DType::parse(name) {
        Some(d) if d.is_float() => Ok(d),
        _ => Err(Error::arg(
            class,
            format!(
                "{class}: unsupported dtype policy {name:?} (supported: float16, bfloat16, float32, float64; \
                 mixed policies are not implemented)"
            ),
        )),
    }
}

/// Errs unless `key` is absent or null (for arguments wgkeras does not implement, such as
/// regularizers and constraints).
pub fn require_null(class: &'static str, config: &Map<String, Value>, key: &str) -> Result<()> {
    match config.get(key) {
        None | Some(Value::Null) => Ok(()),
        Some(v) => Err(Error::arg(class, format!("{class}: `{key}`={v} is not supported (only null)"))),
    }
}

pub fn get_bool(class: &'static str, config: &Map<String, Value>, key: &str, default: bool) -> Result<bool> {
    match config.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Err(Error::arg(class, format!("{class}: `{key}` must be a bool, got {v}"))),
    }
}

pub fn get_f64(class: &'static str, config: &Map<String, Value>, key: &str) -> Result<Option<f64>> {
    match config.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| Error::arg(class, format!("{class}: `{key}` must be a number, got {v}"))),
    }
}

pub fn get_i64(class: &'static str, config: &Map<String, Value>, key: &str) -> Result<Option<i64>> {
    match config.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            let i = v
                .as_i64()
                .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9e15).map(|f| f as i64));
            i.map(Some)
                .ok_or_else(|| Error::arg(class, format!("{class}: `{key}` must be an integer, got {v}")))
        }
    }
}

pub fn get_str<'c>(
    class: &'static str,
    config: &'c Map<String, Value>,
    key: &str,
) -> Result<Option<&'c str>> {
    match config.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(Error::arg(class, format!("{class}: `{key}` must be a string, got {v}"))),
    }
}

/// A shape from JSON: a list of non-negative integers and nulls.
pub fn parse_shape(class: &'static str, key: &str, v: &Value) -> Result<Shape> {
    let bad = || Error::arg(class, format!("{class}: `{key}` must be a list of integers or nulls, got {v}"));
    v.as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|d| match d {
            Value::Null => Ok(None),
            d => d.as_u64().map(|d| Some(d as usize)).ok_or_else(bad),
        })
        .collect()
}

/// A shape as JSON (nulls for unknown dims), as Keras writes it in configs.
pub fn shape_value(shape: &[Option<usize>]) -> Value {
    Value::Array(shape.iter().map(|d| d.map_or(Value::Null, Value::from)).collect())
}

/// An activation from a layer config: null is `linear`, a string is a Keras activation name.
pub fn parse_activation(class: &'static str, v: &Value) -> Result<Activation> {
    Activation::from_value(v).map_err(|e| Error::arg(class, format!("{class}: `activation`: {e}")))
}

/// The single input of a one-input layer, or an error naming the layer.
pub fn single_input<'g>(class: &'static str, name: &str, inputs: &[Sym<'g>]) -> Result<Sym<'g>> {
    match inputs {
        [x] => Ok(*x),
        _ => Err(Error::arg(class, format!("layer {name:?} ({class}) takes 1 input, got {}", inputs.len()))),
    }
}

/// The single input shape of a one-input layer, or an error naming the layer.
pub fn single_shape<'a>(class: &'static str, name: &str, shapes: &'a [Shape]) -> Result<&'a Shape> {
    match shapes {
        [s] => Ok(s),
        _ => Err(Error::arg(
            class,
            format!("layer {name:?} ({class}) takes 1 input, got {} shapes", shapes.len()),
        )),
    }
}

/// Casts a float input to the layer's dtype (Keras's autocast of inputs to the compute dtype);
/// other dtypes are cast too, as Keras converts call inputs to the layer's dtype.
pub fn autocast<'g>(x: Sym<'g>, dtype: DType) -> Result<Sym<'g>> {
    x.cast(dtype)
}

/// Classes whose `build` takes a list of shapes (their `build_config` holds a list of shapes).
const LIST_INPUT_CLASSES: &[&str] =
    &["Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Dot"];

/// Classes Keras builds in `__init__` (`_build_at_init`, or `built = True`): their serialized
/// form has no `build_config`.
const BUILT_AT_INIT_CLASSES: &[&str] = &["Reshape", "Identity", "ActivityRegularization"];

/// Parses a `build_config`'s `input_shape`: one shape (a list of ints/nulls) or a list of shapes.
pub fn parse_build_input_shape(class: &'static str, v: &Value) -> Result<Vec<Shape>> {
    match v.as_array() {
        Some(items) if !items.is_empty() && items.iter().all(|i| i.is_array() || i.is_null()) => {
            items.iter().map(|s| parse_shape(class, "build_config.input_shape", s)).collect()
        }
        _ => Ok(vec![parse_shape(class, "build_config.input_shape", v)?]),
    }
}

impl LayerRef {
    /// Keras's `get_build_config()`: `{"input_shape": shape}` (a list of shapes for layers built
    /// on several inputs) once the layer is built, else `None`.
    pub fn build_config(&self) -> Option<Value> {
        let shapes = self.0.common().built_shapes()?;
        if BUILT_AT_INIT_CLASSES.contains(&self.class_name()) {
            return None;
        }
        let input_shape = if shapes.len() == 1 && !LIST_INPUT_CLASSES.contains(&self.class_name()) {
            shape_value(&shapes[0])
        } else {
            Value::Array(shapes.iter().map(|s| shape_value(s)).collect())
        };
        Some(serde_json::json!({ "input_shape": input_shape }))
    }

    /// Keras's `serialize_keras_object(layer)`: [`LayerRef::serialize`] plus `build_config`
    /// when the layer is built.
    pub fn serialize_with_build_config(&self) -> Value {
        let mut v = self.serialize();
        if let (Some(b), Some(o)) = (self.build_config(), v.as_object_mut()) {
            o.insert("build_config".into(), b);
        }
        v
    }
}

/// The class names [`deserialize`] knows.
pub fn known_classes() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = registry().into_iter().map(|(n, _)| n).collect();
    names.sort_unstable();
    names
}

/// Builds a layer from Keras's serialized form (`{"class_name", "config", "build_config"?, ..}`)
/// and builds it for `build_config.input_shape` when that is present. An unknown class is an
/// error listing the known ones.
pub fn deserialize(value: &Value) -> Result<LayerRef> {
    let obj = value.as_object().ok_or_else(|| {
        Error::arg("layers.deserialize", format!("expected a serialized layer object, got {value}"))
    })?;
    let class = obj
        .get("class_name")
        .and_then(|c| c.as_str())
        .ok_or_else(|| Error::arg("layers.deserialize", format!("no \"class_name\" in {value}")))?;
    let empty = Map::new();
    let config = match obj.get("config") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(c)) => c,
        Some(c) => {
            return Err(Error::arg(
                "layers.deserialize",
                format!("{class}: \"config\" must be an object, got {c}"),
            ))
        }
    };
    // Custom classes (registered or in a CustomObjectScope) first, under the safe-mode rule.
    let registered = crate::saving::object_registration::registered_name_of(value);
    let layer = match crate::saving::object_registration::custom_layer_builder(class, registered)? {
        Some(build) => build(config)?,
        None => {
            let factory =
                registry().into_iter().find(|(n, _)| *n == class).map(|(_, f)| f).ok_or_else(|| {
                    crate::saving::object_registration::unknown_layer_class(
                        "layers.deserialize",
                        class,
                        registered,
                        &known_classes(),
                    )
                })?;
            factory(config)?
        }
    };
    if let Some(b) = obj.get("build_config").filter(|b| !b.is_null()) {
        if let Some(shape) = b.get("input_shape").filter(|s| !s.is_null()) {
            let shapes = parse_build_input_shape(layer.class_name(), shape)?;
            layer.ensure_built(&shapes)?;
        }
    }
    Ok(layer)
}

/// Formats several shapes like Keras's messages: `[(None, 3), (None, 4)]`.
pub fn shapes_str(shapes: &[Shape]) -> String {
    format!("[{}]", shapes.iter().map(|s| shape_str(s)).collect::<Vec<_>>().join(", "))
}

/// A tensor of a dropout mask's shape for input `x`: `noise_shape` (Keras's argument) with its
/// nulls taken from the input and each entry equal to the input's or 1; `x` itself when none.
pub fn noise_shape_source<'g>(
    class: &'static str,
    layer: &str,
    noise_shape: Option<&Shape>,
    x: Sym<'g>,
) -> Result<Sym<'g>> {
    let Some(ns) = noise_shape else { return Ok(x) };
    let shape = x.shape();
    let bad = || {
        Error::arg(
            class,
            format!(
                "layer {layer:?} ({class}): noise_shape {} does not broadcast to the input shape {}",
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
