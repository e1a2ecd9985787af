//! Reading a Keras `get_config()` dictionary: typed getters that name the class and the key in
//! their errors, and a final check that refuses keys the class does not know (Keras raises
//! `Argument(s) not recognized`). Shared by the optimizers and the initializers.

use std::cell::RefCell;

use serde_json::{Map, Value};

use crate::error::{Error, Result};

pub(crate) struct ConfigArgs<'a> {
    class: &'static str,
    map: &'a Map<String, Value>,
    used: RefCell<Vec<String>>,
}

impl<'a> ConfigArgs<'a> {
    pub(crate) fn new(class: &'static str, map: &'a Map<String, Value>) -> ConfigArgs<'a> {
        ConfigArgs { class, map, used: RefCell::new(vec![]) }
    }

    pub(crate) fn error(&self, key: &str, msg: impl std::fmt::Display) -> Error {
        Error::arg(self.class, format!("config key {key:?}: {msg}"))
    }

    /// The value of `key`, `None` when absent or null.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.used.borrow_mut().push(key.to_string());
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// Any number (int or float), or `None`.
    pub(crate) fn opt_number(&self, key: &str) -> Result<Option<f64>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(x) => Ok(Some(x)),
                None => Err(self.error(key, format!("expected a number, got {n}"))),
            },
            Some(v) => Err(self.error(key, format!("expected a number or null, got {v}"))),
        }
    }

    pub(crate) fn number(&self, key: &str, default: f64) -> Result<f64> {
        Ok(self.opt_number(key)?.unwrap_or(default))
    }

    /// A Python float (Keras checks `isinstance(x, float)`: an integer is refused).
    pub(crate) fn float(&self, key: &str, default: f64) -> Result<f64> {
        match self.get(key) {
            None if !self.map.contains_key(key) => Ok(default),
            Some(Value::Number(n)) if n.is_f64() => Ok(n.as_f64().unwrap_or(default)),
            Some(v) => Err(self.error(key, format!("expected a float, got {v}"))),
            None => Err(self.error(key, "expected a float, got null")),
        }
    }

    pub(crate) fn opt_int(&self, key: &str) -> Result<Option<i64>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(x) => Ok(Some(x)),
                None => Err(self.error(key, format!("expected an integer, got {n}"))),
            },
            Some(v) => Err(self.error(key, format!("expected an integer or null, got {v}"))),
        }
    }

    pub(crate) fn bool(&self, key: &str, default: bool) -> Result<bool> {
        match self.get(key) {
            None if !self.map.contains_key(key) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(self.error(key, format!("expected true or false, got {v}"))),
            None => Err(self.error(key, "expected true or false, got null")),
        }
    }

    pub(crate) fn opt_string(&self, key: &str) -> Result<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(self.error(key, format!("expected a string, got {v}"))),
        }
    }

    pub(crate) fn string(&self, key: &str, default: &str) -> Result<String> {
        Ok(self.opt_string(key)?.unwrap_or_else(|| default.to_string()))
    }

    /// A list of integers, or `None`.
    pub(crate) fn opt_int_list(&self, key: &str) -> Result<Option<Vec<i64>>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_i64().ok_or_else(|| self.error(key, format!("expected integers, got {v}"))))
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(Value::Number(n)) if n.is_i64() => Ok(Some(vec![n.as_i64().unwrap_or(0)])),
            Some(v) => Err(self.error(key, format!("expected a list of integers or null, got {v}"))),
        }
    }

    /// Refuses the keys that no getter read.
    pub(crate) fn finish(&self) -> Result<()> {
        let used = self.used.borrow();
        let unknown: Vec<&String> = self.map.keys().filter(|k| !used.contains(k)).collect();
        if unknown.is_empty() {
            Ok(())
        } else {
            let mut known: Vec<&String> = used.iter().collect();
            known.sort();
            known.dedup();
            Err(Error::arg(
                self.class,
                format!(
                    "argument(s) not recognized: {unknown:?}; the config keys of {} are {known:?}",
                    self.class
                ),
            ))
        }
    }
}

/// Splits a Keras identifier into `(class_name, config)`: a string is a class name with an
/// empty config; an object is `{"class_name", "config", "module"?, "registered_name"?}`.
pub(crate) fn identifier_parts(op: &'static str, identifier: &Value) -> Result<(String, Map<String, Value>)> {
    match identifier {
        Value::String(s) => Ok((s.clone(), Map::new())),
        Value::Object(o) => {
            let class = o.get("class_name").and_then(Value::as_str).ok_or_else(|| {
                Error::arg(op, format!("a serialized object needs a string \"class_name\", got {identifier}"))
            })?;
            for k in o.keys() {
                if !["class_name", "config", "module", "registered_name", "build_config", "compile_config"]
                    .contains(&k.as_str())
                {
                    return Err(Error::arg(
                        op,
                        format!("unknown key {k:?} in serialized object {identifier}"),
                    ));
                }
            }
            let config = match o.get("config") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(c)) => c.clone(),
                Some(v) => return Err(Error::arg(op, format!("\"config\" must be an object, got {v}"))),
            };
            Ok((class.to_string(), config))
        }
        other => Err(Error::arg(
            op,
            format!("could not interpret identifier {other}: expected a string or a serialized object"),
        )),
    }
}
