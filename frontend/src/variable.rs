//! `keras.Variable`: a named, mutable tensor that lives on one device (a layer's kernel, an
//! optimizer's moment, a metric's running total). Graphs read variables by handle; a train step
//! writes their new values back with [`Variable::assign`].

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use wgkeras_runtime::{DType, Device, Storage, Tensor};

use crate::constraints::Constraint;
use crate::error::{Error, Result};
use crate::regularizers::Regularizer;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

struct VariableData {
    id: u64,
    name: String,
    trainable: AtomicBool,
    value: RwLock<Tensor>,
    /// Keras's `variable.regularizer`: its penalty joins the training loss.
    regularizer: RwLock<Option<Arc<dyn Regularizer>>>,
    /// Keras's `variable.constraint`: applied to the new value after each optimizer update.
    constraint: RwLock<Option<Arc<dyn Constraint>>>,
}

/// A mutable tensor shared by handle: clones refer to the same variable.
#[derive(Clone)]
pub struct Variable(Arc<VariableData>);

impl std::fmt::Debug for Variable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.value();
        write!(f, "<Variable path={} shape={:?}, dtype={}>", self.name(), v.dims(), v.dtype().name())
    }
}

impl Variable {
    pub fn new(name: impl Into<String>, value: Tensor, trainable: bool) -> Variable {
        Variable(Arc::new(VariableData {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            name: name.into(),
            trainable: AtomicBool::new(trainable),
            value: RwLock::new(value),
            regularizer: RwLock::new(None),
            constraint: RwLock::new(None),
        }))
    }

    pub fn regularizer(&self) -> Option<Arc<dyn Regularizer>> {
        self.0.regularizer.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set_regularizer(&self, r: Option<Arc<dyn Regularizer>>) {
        *self.0.regularizer.write().unwrap_or_else(|e| e.into_inner()) = r;
    }

    pub fn constraint(&self) -> Option<Arc<dyn Constraint>> {
        self.0.constraint.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set_constraint(&self, c: Option<Arc<dyn Constraint>>) {
        *self.0.constraint.write().unwrap_or_else(|e| e.into_inner()) = c;
    }

    /// A process-unique id: two handles are the same variable exactly when their ids agree.
    pub fn id(&self) -> u64 {
        self.0.id
    }

    pub fn name(&self) -> &str {
        &self.0.name
    }

    pub fn trainable(&self) -> bool {
        self.0.trainable.load(Ordering::Relaxed)
    }

    pub fn set_trainable(&self, trainable: bool) {
        self.0.trainable.store(trainable, Ordering::Relaxed)
    }

    /// The current value (a cheap handle; on the GPU it shares the variable's buffer, which later
    /// assignments overwrite in place).
    pub fn value(&self) -> Tensor {
        self.0.value.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn dims(&self) -> Vec<usize> {
        self.value().dims().to_vec()
    }

    pub fn dtype(&self) -> DType {
        self.value().dtype()
    }

    pub fn device(&self) -> Device {
        self.value().device()
    }

    /// Sets the value. The new value must have the variable's shape and dtype. On the GPU the
    /// data is copied into the variable's own buffer (recorded like any other launch, so inside a
    /// captured plan it replays every step); on the CPU the handle is replaced.
    pub fn assign(&self, new: &Tensor) -> Result<()> {
        let mut slot = self.0.value.write().unwrap_or_else(|e| e.into_inner());
        if slot.dims() != new.dims() || slot.dtype() != new.dtype() {
            return Err(Error::arg(
                "Variable.assign",
                format!(
                    "variable {:?} has shape {:?} and dtype {}, the new value has shape {:?} and dtype {}",
                    self.name(),
                    slot.dims(),
                    slot.dtype().name(),
                    new.dims(),
                    new.dtype().name()
                ),
            ));
        }
        let new = if new.device() == slot.device() { new.clone() } else { new.to_device(&slot.device())? };
        match (slot.storage(), new.storage()) {
            (Storage::Gpu(dst), Storage::Gpu(src)) => {
                if dst.buffer.buffer() != src.buffer.buffer() {
                    dst.device.copy(src.buffer.buffer(), 0, dst.buffer.buffer(), 0, dst.bytes())?;
                }
            }
            _ => *slot = new,
        }
        Ok(())
    }

    /// Sets every element to zero in place (on the GPU a buffer clear recorded with the other
    /// work, no upload).
    pub fn assign_zeros(&self) -> Result<()> {
        let mut slot = self.0.value.write().unwrap_or_else(|e| e.into_inner());
        match slot.storage() {
            Storage::Gpu(g) => g.device.clear(g.buffer.buffer(), g.bytes().next_multiple_of(4))?,
            Storage::Cpu(_) => *slot = wgkeras_runtime::ops::zeros(slot.dims(), slot.dtype(), &Device::Cpu)?,
        }
        Ok(())
    }

    /// Replaces the value with one of any shape (loading weights into an unbuilt slot, moving
    /// the variable to another device).
    pub fn replace(&self, new: Tensor) {
        *self.0.value.write().unwrap_or_else(|e| e.into_inner()) = new;
    }

    /// Moves the variable's value to `device` (no-op when it is there already).
    pub fn to_device(&self, device: &Device) -> Result<()> {
        let v = self.value();
        if &v.device() != device {
            self.replace(v.to_device(device)?);
        }
        Ok(())
    }
}
