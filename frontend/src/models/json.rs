//! Keras JSON: `model.to_json()` and `keras.models.model_from_json(...)`, in Keras 3's format
//! (Sequential: a layer list led by its InputLayer; Functional: layers with `inbound_nodes` that
//! name the tensors they were called on as `[layer, node, tensor]`).

use std::collections::HashMap;

use serde_json::{json, Map, Value};
use wgkeras_runtime::DType;

use crate::error::{Error, Result};
use crate::graph::Shape;
use crate::layers::{dtype_policy_config, LayerRef};
use crate::models::{input_batch_shape, KerasTensor, Model, Origin};

const OP: &str = "model_from_json";

fn shape_json(s: &Shape) -> Value {
    Value::Array(s.iter().map(|d| d.map_or(Value::Null, Value::from)).collect())
}

fn parse_shape(v: &Value, what: &str) -> Result<Shape> {
    let items = v.as_array().ok_or_else(|| Error::arg(OP, format!("{what} must be a list, got {v}")))?;
    items
        .iter()
        .map(|d| match d {
            Value::Null => Ok(None),
            d => d
                .as_u64()
                .map(|d| Some(d as usize))
                .ok_or_else(|| Error::arg(OP, format!("{what}: bad dimension {d}"))),
        })
        .collect()
}

fn input_layer_json(x: &KerasTensor) -> Value {
    let Origin::Input { name } = &x.origin else { unreachable!("model inputs come from Input") };
    json!({
        "module": "keras.layers",
        "class_name": "InputLayer",
        "config": {
            "batch_shape": shape_json(&x.shape),
            "dtype": x.dtype.name(),
            "sparse": false,
            "ragged": false,
            "name": name,
            "optional": false,
        },
        "registered_name": Value::Null,
    })
}

fn layer_json(layer: &LayerRef) -> Value {
    let mut v = layer.serialize();
    if let (Some(shapes), false) =
        (layer.0.common().built_shapes(), matches!(layer.class_name(), "Dropout" | "Activation"))
    {
        let input_shape = if shapes.len() == 1 {
            shape_json(&shapes[0])
        } else {
            Value::Array(shapes.iter().map(shape_json).collect())
        };
        v["build_config"] = json!({ "input_shape": input_shape });
    }
    v
}

/// A tensor as Keras writes it in `inbound_nodes`.
fn tensor_ref(model: &Model, x: &KerasTensor) -> Value {
    let history = match &x.origin {
        Origin::Input { name } => json!([name, 0, 0]),
        Origin::Call { call, index } => {
            let node = model
                .calls
                .iter()
                .filter(|c| c.layer.same(&call.layer))
                .position(|c| std::sync::Arc::ptr_eq(c, call))
                .unwrap_or(0);
            json!([call.layer.name(), node, index])
        }
    };
    json!({"class_name": "__keras_tensor__", "config": {"shape": shape_json(&x.shape), "dtype": x.dtype.name(), "keras_history": history}})
}

impl Model {
    /// `model.to_json()`: Keras 3's JSON for the architecture (no weights).
    pub fn to_json(&self) -> Result<String> {
        let v = if self.is_sequential() {
            let mut layers = vec![];
            if let Some(x) = self.inputs.first() {
                layers.push(input_layer_json(x));
            }
            layers.extend(self.layers().iter().map(layer_json));
            let mut config = json!({
                "name": self.name, "trainable": true, "dtype": dtype_policy_config(DType::F32), "layers": layers,
            });
            let input_shape = self.inputs.first().map_or(Value::Null, |x| shape_json(&x.shape));
            if let Some(x) = self.inputs.first() {
                config["build_input_shape"] = shape_json(&x.shape);
            }
            json!({
                "module": "keras", "class_name": "Sequential", "config": config, "registered_name": Value::Null,
                "build_config": {"input_shape": input_shape}, "compile_config": Value::Null,
            })
        } else {
            let mut layers: Vec<Value> = self
                .inputs
                .iter()
                .map(|x| {
                    let mut v = input_layer_json(x);
                    let Origin::Input { name } = &x.origin else { unreachable!() };
                    v["name"] = Value::from(name.clone());
                    v["inbound_nodes"] = json!([]);
                    v
                })
                .collect();
            for layer in self.layers() {
                let mut v = layer_json(&layer);
                v["name"] = Value::from(layer.name());
                let nodes: Vec<Value> = self
                    .calls
                    .iter()
                    .filter(|c| c.layer.same(&layer))
                    .map(|c| {
                        let refs: Vec<Value> = c.inputs.iter().map(|x| tensor_ref(self, x)).collect();
                        let arg = if c.list_input {
                            Value::Array(refs)
                        } else {
                            refs.into_iter().next().unwrap_or(Value::Null)
                        };
                        json!({"args": [arg], "kwargs": {}})
                    })
                    .collect();
                v["inbound_nodes"] = Value::Array(nodes);
                layers.push(v);
            }
            let history = |x: &KerasTensor| tensor_ref(self, x)["config"]["keras_history"].clone();
            let ends = |xs: &[KerasTensor]| {
                if xs.len() == 1 {
                    history(&xs[0])
                } else {
                    Value::Array(xs.iter().map(history).collect())
                }
            };
            json!({
                "module": "keras.src.models.functional", "class_name": "Functional",
                "config": {"name": self.name, "trainable": true, "layers": layers,
                           "input_layers": ends(&self.inputs), "output_layers": ends(&self.outputs)},
                "registered_name": "Functional", "build_config": {"input_shape": Value::Null}, "compile_config": Value::Null,
            })
        };
        serde_json::to_string_pretty(&v).map_err(|e| Error::arg("Model.to_json", e.to_string()))
    }

    /// `keras.models.model_from_json(text)`.
    pub fn from_json(text: &str) -> Result<Model> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| Error::arg(OP, format!("not valid JSON: {e}")))?;
        let class = v["class_name"].as_str().unwrap_or("");
        let config =
            v["config"].as_object().ok_or_else(|| Error::arg(OP, "the model has no \"config\" object"))?;
        match class {
            "Sequential" => sequential_from_config(config),
            "Functional" | "Model" => functional_from_config(config),
            other => {
                Err(Error::arg(OP, format!("unknown model class {other:?}; known: Sequential, Functional")))
            }
        }
    }
}

fn layer_from_json(v: &Value) -> Result<LayerRef> {
    let class = v["class_name"]
        .as_str()
        .ok_or_else(|| Error::arg(OP, format!("a layer entry has no class_name: {v}")))?;
    let config = v["config"]
        .as_object()
        .ok_or_else(|| Error::arg(OP, format!("layer {class} has no config object")))?;
    // Custom classes (registered or in a CustomObjectScope) first, under the safe-mode rule.
    let registered = crate::saving::object_registration::registered_name_of(v);
    let custom = crate::saving::object_registration::custom_layer_builder(class, registered)?;
    let registry = crate::layers::registry();
    let builtin = registry.iter().find(|(name, _)| *name == class).map(|(_, f)| *f);
    let build = |c: &Map<String, Value>| match (&custom, builtin) {
        (Some(b), _) => b(c),
        (None, Some(f)) => f(c),
        (None, None) => {
            let known: Vec<&str> = registry.iter().map(|(n, _)| *n).collect();
            Err(crate::saving::object_registration::unknown_layer_class(OP, class, registered, &known))
        }
    };
    // Name the layer in its errors (a file has many Dense layers).
    let name = config.get("name").and_then(|n| n.as_str()).unwrap_or("?");
    build(config).map_err(|e| match e {
        Error::Argument { op, msg } if !msg.contains(&format!("{name:?}")) => {
            Error::Argument { op, msg: format!("layer {name:?}: {msg}") }
        }
        e => e,
    })
}

fn input_from_config(config: &Map<String, Value>) -> Result<KerasTensor> {
    let shape = match (config.get("batch_shape"), config.get("batch_input_shape")) {
        (Some(s), _) | (None, Some(s)) => parse_shape(s, "InputLayer batch_shape")?,
        _ => return Err(Error::arg(OP, "InputLayer config has no batch_shape")),
    };
    let dtype = match config.get("dtype").and_then(|d| d.as_str()) {
        None => DType::F32,
        Some(d) => {
            DType::parse(d).ok_or_else(|| Error::arg(OP, format!("InputLayer: unknown dtype {d:?}")))?
        }
    };
    for key in ["sparse", "ragged", "optional"] {
        if config.get(key).and_then(|b| b.as_bool()) == Some(true) {
            return Err(Error::arg(OP, format!("InputLayer: {key}=true is not supported")));
        }
    }
    Ok(input_batch_shape(shape, dtype, config.get("name").and_then(|n| n.as_str())))
}

fn sequential_from_config(config: &Map<String, Value>) -> Result<Model> {
    let mut m = Model::sequential(config.get("name").and_then(|n| n.as_str()));
    let layers = config
        .get("layers")
        .and_then(|l| l.as_array())
        .ok_or_else(|| Error::arg(OP, "Sequential config has no layers list"))?;
    let mut rest: &[Value] = layers;
    if let Some(first) = layers.first() {
        if first["class_name"] == "InputLayer" {
            let cfg =
                first["config"].as_object().ok_or_else(|| Error::arg(OP, "InputLayer has no config"))?;
            let x = input_from_config(cfg)?;
            let Origin::Input { name } = x.origin else { unreachable!() };
            m.set_input_batch_shape(x.shape, x.dtype, Some(name))?;
            rest = &layers[1..];
        } else if let Some(s) = config.get("build_input_shape") {
            if !s.is_null() {
                m.set_input_batch_shape(parse_shape(s, "build_input_shape")?, DType::F32, None)?;
            }
        }
    }
    for l in rest {
        m.add(layer_from_json(l)?)?;
    }
    Ok(m)
}

/// `[name, node, tensor]` triples (one triple or a list of them).
fn triples(v: &Value, what: &str) -> Result<Vec<(String, usize, usize)>> {
    let one = |t: &Value| -> Result<(String, usize, usize)> {
        let a = t
            .as_array()
            .filter(|a| a.len() == 3)
            .ok_or_else(|| Error::arg(OP, format!("{what}: expected [layer, node, tensor], got {t}")))?;
        Ok((
            a[0].as_str().unwrap_or_default().to_string(),
            a[1].as_u64().unwrap_or(0) as usize,
            a[2].as_u64().unwrap_or(0) as usize,
        ))
    };
    match v.as_array() {
        Some(a) if a.len() == 3 && a[0].is_string() => Ok(vec![one(v)?]),
        Some(a) => a.iter().map(one).collect(),
        None => Err(Error::arg(OP, format!("{what} must be a list"))),
    }
}

fn functional_from_config(config: &Map<String, Value>) -> Result<Model> {
    let layers = config
        .get("layers")
        .and_then(|l| l.as_array())
        .ok_or_else(|| Error::arg(OP, "Functional config has no layers list"))?;
    // (layer name, node index) -> the tensors that call produced.
    let mut produced: HashMap<(String, usize), Vec<KerasTensor>> = HashMap::new();
    let mut pending: Vec<(LayerRef, &Value)> = vec![];
    for l in layers {
        if l["class_name"] == "InputLayer" {
            let cfg = l["config"].as_object().ok_or_else(|| Error::arg(OP, "InputLayer has no config"))?;
            let x = input_from_config(cfg)?;
            let name =
                l["name"].as_str().or_else(|| cfg.get("name").and_then(|n| n.as_str())).unwrap_or_default();
            produced.insert((name.to_string(), 0), vec![x]);
        } else {
            pending.push((layer_from_json(l)?, l));
        }
    }
    let resolve = |produced: &HashMap<(String, usize), Vec<KerasTensor>>, t: &Value| -> Option<KerasTensor> {
        let h = t["config"]["keras_history"].as_array()?;
        let key = (h.first()?.as_str()?.to_string(), h.get(1)?.as_u64()? as usize);
        produced.get(&key)?.get(h.get(2)?.as_u64()? as usize).cloned()
    };
    // Call each layer's nodes once their inputs exist (a few passes for any listing order).
    let mut done = vec![0usize; pending.len()];
    loop {
        let mut progress = false;
        for (i, (layer, v)) in pending.iter().enumerate() {
            let nodes = v["inbound_nodes"].as_array().cloned().unwrap_or_default();
            while done[i] < nodes.len() {
                let node = &nodes[done[i]];
                let arg = node["args"].get(0).cloned().unwrap_or(Value::Null);
                let (list, refs): (bool, Vec<Value>) = match &arg {
                    Value::Array(a) => (true, a.clone()),
                    other => (false, vec![other.clone()]),
                };
                let Some(inputs) = refs.iter().map(|r| resolve(&produced, r)).collect::<Option<Vec<_>>>()
                else {
                    break;
                };
                // Keras records `training` (e.g. `{"training": false}` for a Dropout traced
                // outside fit) but overrides it with the model call's mode: nothing to keep.
                // `mask: null` is the default. Anything else changes the call: refuse it.
                if let Some(k) = node["kwargs"].as_object() {
                    let unsupported: Vec<&String> = k
                        .iter()
                        .filter(|(key, v)| {
                            !((key.as_str() == "training" && (v.is_boolean() || v.is_null()))
                                || (key.as_str() == "mask" && v.is_null()))
                        })
                        .map(|(key, _)| key)
                        .collect();
                    if !unsupported.is_empty() {
                        return Err(Error::arg(
                            OP,
                            format!(
                                "layer {:?}: call arguments {unsupported:?} are not supported",
                                layer.name()
                            ),
                        ));
                    }
                }
                let outs = if list { layer.call_list(&inputs)? } else { vec![layer.call(&inputs[0])?] };
                produced.insert((layer.name().to_string(), done[i]), outs);
                done[i] += 1;
                progress = true;
            }
        }
        if !progress {
            break;
        }
    }
    for (i, (layer, v)) in pending.iter().enumerate() {
        let n = v["inbound_nodes"].as_array().map_or(0, |a| a.len());
        if done[i] < n {
            return Err(Error::arg(
                OP,
                format!("layer {:?} is called on tensors that no layer produces", layer.name()),
            ));
        }
    }
    let pick = |key: &str| -> Result<Vec<KerasTensor>> {
        let v = config.get(key).ok_or_else(|| Error::arg(OP, format!("Functional config has no {key}")))?;
        triples(v, key)?
            .into_iter()
            .map(|(name, node, k)| {
                produced.get(&(name.clone(), node)).and_then(|t| t.get(k)).cloned().ok_or_else(|| {
                    Error::arg(OP, format!("{key} names {name:?}[{node}][{k}], which does not exist"))
                })
            })
            .collect()
    };
    let inputs = pick("input_layers")?;
    let outputs = pick("output_layers")?;
    Model::functional(&inputs, &outputs, config.get("name").and_then(|n| n.as_str()))
}
