//! Custom objects and safe mode: Keras's `register_keras_serializable`,
//! `custom_object_scope` / `CustomObjectScope` and `SafeModeScope`.
//!
//! A Rust user's own layer class is made loadable by registering a builder (its
//! `from_config`) under `package>Name`, globally ([`register_keras_serializable`]) or for the
//! lifetime of a guard ([`CustomObjectScope`]). Saving writes that `registered_name` for the
//! class, and loading finds the builder by it (or by the class name).
//!
//! Safety rule: Python Keras refuses only lambdas in safe mode, because everything else it
//! builds is code the program imported itself. A file read by wgkeras cannot carry code, but a
//! file naming a custom class runs that class's builder, user code the file chose; so loading
//! builds a custom class only when the caller vouches for it: inside a [`CustomObjectScope`]
//! that registers it, or with safe mode off ([`crate::config::enable_unsafe_deserialization`]
//! or a [`SafeModeScope`] of `false`). A class that is neither built in nor registered is an
//! error naming it. Scopes are per thread, as Keras's global state is.

use std::cell::{Cell, RefCell};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::layers::LayerRef;

/// A custom layer class's `from_config`.
pub type LayerBuilder = Arc<dyn Fn(&Map<String, Value>) -> Result<LayerRef> + Send + Sync>;

struct Registered {
    /// `package>Name`.
    registered_name: String,
    class_name: String,
    builder: LayerBuilder,
}

static GLOBAL: Mutex<Vec<Registered>> = Mutex::new(Vec::new());

thread_local! {
    static SCOPES: RefCell<Vec<Vec<(String, LayerBuilder)>>> = const { RefCell::new(Vec::new()) };
    static SAFE_MODE: Cell<Option<bool>> = const { Cell::new(None) };
}

/// `keras.saving.register_keras_serializable(package, name)`: registers the layer class `name`
/// (the `class_name()` its layers report) under `package>name`. Registering a name twice is an
/// error, as in Keras.
pub fn register_keras_serializable(
    package: &str,
    name: &str,
    builder: impl Fn(&Map<String, Value>) -> Result<LayerRef> + Send + Sync + 'static,
) -> Result<String> {
    const OP: &str = "register_keras_serializable";
    if name.is_empty() || package.contains('>') || name.contains('>') {
        return Err(Error::arg(OP, format!("bad package {package:?} or name {name:?} (non-empty, no '>')")));
    }
    let registered_name = format!("{package}>{name}");
    let mut g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
    if g.iter().any(|r| r.registered_name == registered_name) {
        return Err(Error::arg(OP, format!("{registered_name} has already been registered")));
    }
    g.push(Registered {
        registered_name: registered_name.clone(),
        class_name: name.into(),
        builder: Arc::new(builder),
    });
    Ok(registered_name)
}

/// `keras.saving.get_registered_name`: `package>Name` for a class registered with
/// [`register_keras_serializable`], else `None` (a built-in class).
pub fn get_registered_name(class_name: &str) -> Option<String> {
    let g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
    g.iter().find(|r| r.class_name == class_name).map(|r| r.registered_name.clone())
}

/// `keras.saving.CustomObjectScope` / `custom_object_scope`: the objects it holds (by class
/// name or `package>Name`) are loadable, even in safe mode, until the guard is dropped.
pub struct CustomObjectScope {
    _not_send: std::marker::PhantomData<*const ()>,
}

impl CustomObjectScope {
    pub fn new(objects: Vec<(String, LayerBuilder)>) -> CustomObjectScope {
        SCOPES.with(|s| s.borrow_mut().push(objects));
        CustomObjectScope { _not_send: std::marker::PhantomData }
    }

    /// A scope of one builder.
    pub fn with(
        name: &str,
        builder: impl Fn(&Map<String, Value>) -> Result<LayerRef> + Send + Sync + 'static,
    ) -> CustomObjectScope {
        CustomObjectScope::new(vec![(name.to_string(), Arc::new(builder))])
    }
}

impl Drop for CustomObjectScope {
    fn drop(&mut self) {
        SCOPES.with(|s| s.borrow_mut().pop());
    }
}

/// `keras.saving.custom_object_scope(objects)`.
pub fn custom_object_scope(objects: Vec<(String, LayerBuilder)>) -> CustomObjectScope {
    CustomObjectScope::new(objects)
}

/// Keras's `SafeModeScope(safe_mode)`: overrides safe mode on this thread until dropped.
pub struct SafeModeScope {
    previous: Option<bool>,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl SafeModeScope {
    pub fn new(safe_mode: bool) -> SafeModeScope {
        let previous = SAFE_MODE.with(|c| c.replace(Some(safe_mode)));
        SafeModeScope { previous, _not_send: std::marker::PhantomData }
    }
}

impl Drop for SafeModeScope {
    fn drop(&mut self) {
        SAFE_MODE.with(|c| c.set(self.previous));
    }
}

/// Keras's `in_safe_mode()`: the innermost [`SafeModeScope`], else on unless
/// [`crate::config::enable_unsafe_deserialization`] was called.
pub fn in_safe_mode() -> bool {
    SAFE_MODE.with(|c| c.get()).unwrap_or_else(|| !crate::config::is_unsafe_deserialization_enabled())
}

/// The custom builder for a serialized layer, if the class is a custom one: a scope's entry
/// (by `registered_name` or class name; innermost first) is always allowed; a globally
/// registered class only outside safe mode (else an error naming the class). `None`: not a
/// custom class (the caller uses the built-in registry).
pub(crate) fn custom_layer_builder(
    class_name: &str,
    registered_name: Option<&str>,
) -> Result<Option<LayerBuilder>> {
    let keys: Vec<&str> = registered_name.into_iter().chain(std::iter::once(class_name)).collect();
    let scoped = SCOPES.with(|s| {
        let s = s.borrow();
        s.iter()
            .rev()
            .flat_map(|objs| objs.iter())
            .find(|(k, _)| keys.contains(&k.as_str()))
            .map(|(_, b)| b.clone())
    });
    if scoped.is_some() {
        return Ok(scoped);
    }
    let global = {
        let g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
        g.iter()
            .find(|r| registered_name.map_or(r.class_name == class_name, |n| r.registered_name == n))
            .map(|r| (r.registered_name.clone(), r.builder.clone()))
    };
    match global {
        None => Ok(None),
        Some((reg, _)) if in_safe_mode() => Err(Error::arg(
            "deserialize_keras_object",
            format!(
                "refusing to build the custom class {class_name:?} (registered as {reg:?}) in safe mode: \
                 load it inside a CustomObjectScope that registers it, or call \
                 keras.config.enable_unsafe_deserialization() if you trust the file"
            ),
        )),
        Some((_, b)) => Ok(Some(b)),
    }
}

/// The error for a layer class that is neither built in nor registered.
pub(crate) fn unknown_layer_class(
    op: &'static str,
    class_name: &str,
    registered_name: Option<&str>,
    known: &[&str],
) -> Error {
    let reg = registered_name.map(|r| format!(" (registered_name {r:?})")).unwrap_or_default();
    Error::arg(
        op,
        format!(
            "unknown layer class {class_name:?}{reg}: not a built-in class and not registered; register a custom \
             class with register_keras_serializable or a CustomObjectScope. Known: {}",
            known.join(", ")
        ),
    )
}

/// The `registered_name` a serialized layer carries (a non-empty string), if any.
pub(crate) fn registered_name_of(v: &Value) -> Option<&str> {
    v.get("registered_name").and_then(Value::as_str).filter(|s| !s.is_empty())
}
