//! Where tensors live: the GPU through wgpu, or the native CPU backend.

pub mod gpu;
pub mod pool;

use std::sync::OnceLock;

pub use gpu::{
    list_adapters, AdapterReport, Binding, GeneratedSource, GpuDevice, GpuOptions, GpuPlan, Kernel,
};
pub use pool::{PoolStats, PooledBuffer};

use crate::error::{Error, Result};

/// A compute device. Cheap to clone.
#[derive(Debug, Clone, PartialEq)]
pub enum Device {
    Cpu,
    Gpu(GpuDevice),
}

/// Why [`Device::auto`] picked what it picked, for `wgkeras info`.
#[derive(Debug, Clone)]
pub struct Choice {
    pub device: Device,
    pub reason: String,
}

/// The shared devices: hardware adapters only (`auto`), and any adapter (`Device::gpu`).
static SHARED_HARDWARE: OnceLock<std::result::Result<GpuDevice, Error>> = OnceLock::new();
static SHARED_ANY: OnceLock<std::result::Result<GpuDevice, Error>> = OnceLock::new();

fn shared_gpu(allow_software: bool) -> Result<GpuDevice> {
    let slot = if allow_software { &SHARED_ANY } else { &SHARED_HARDWARE };
    slot.get_or_init(|| GpuDevice::open(&GpuOptions { allow_software, ..Default::default() })).clone()
}

impl Device {
    /// The CPU backend.
    pub fn cpu() -> Device {
        Device::Cpu
    }

    /// The best GPU adapter, software adapters included. One device per process is shared.
    pub fn gpu() -> Result<Device> {
        shared_gpu(true).map(Device::Gpu)
    }

    /// The shared GPU devices opened so far (by [`Device::gpu`], [`Device::auto`] or
    /// [`Device::choose`]), without opening one: empty when no shared GPU was asked for yet.
    /// `keras.config.clear_session` uses it to release pooled memory.
    pub fn opened_shared_gpus() -> Vec<GpuDevice> {
        let mut out: Vec<GpuDevice> = Vec::new();
        for slot in [&SHARED_ANY, &SHARED_HARDWARE] {
            if let Some(Ok(g)) = slot.get() {
                if !out.contains(g) {
                    out.push(g.clone());
                }
            }
        }
        out
    }

    /// A GPU device opened with explicit options (a fresh device, not the shared one).
    pub fn gpu_with(options: &GpuOptions) -> Result<Device> {
        GpuDevice::open(options).map(Device::Gpu)
    }

    /// The device `WGKERAS_DEVICE` asks for (`auto`, the default; `gpu`, any adapter including
    /// software ones; `cpu`), with the reason for the choice.
    pub fn choose() -> Result<Choice> {
        let wanted = std::env::var("WGKERAS_DEVICE").unwrap_or_else(|_| "auto".into());
        match wanted.trim().to_lowercase().as_str() {
            "" | "auto" => Ok(match shared_gpu(false) {
                Ok(g) => Choice {
                    reason: format!("auto: hardware adapter {} ({:?})", g.name(), g.adapter_info().backend),
                    device: Device::Gpu(g),
                },
                Err(e) => Choice { device: Device::Cpu, reason: format!("auto: CPU backend, since {e}") },
            }),
            "gpu" => {
                let g = shared_gpu(true)?;
                Ok(Choice {
                    reason: format!(
                        "WGKERAS_DEVICE=gpu: {} ({:?}{})",
                        g.name(),
                        g.adapter_info().backend,
                        if g.is_software() { ", software" } else { "" }
                    ),
                    device: Device::Gpu(g),
                })
            }
            "cpu" => Ok(Choice { device: Device::Cpu, reason: "WGKERAS_DEVICE=cpu".into() }),
            other => Err(Error::arg(
                "Device::choose",
                format!("WGKERAS_DEVICE={other:?}; expected auto, gpu or cpu"),
            )),
        }
    }

    /// The best device: a hardware GPU, else the CPU backend, unless `WGKERAS_DEVICE` says
    /// otherwise. Never panics; an unusable `WGKERAS_DEVICE` value falls back to the CPU.
    pub fn auto() -> Device {
        Device::choose().map(|c| c.device).unwrap_or(Device::Cpu)
    }

    pub fn is_gpu(&self) -> bool {
        matches!(self, Device::Gpu(_))
    }

    /// `"cpu"` or `"gpu:<adapter name>"`.
    pub fn name(&self) -> String {
        match self {
            Device::Cpu => "cpu".into(),
            Device::Gpu(g) => format!("gpu:{}", g.name()),
        }
    }

    /// Waits for all queued work to finish (a no-op on the CPU).
    pub fn synchronize(&self) -> Result<()> {
        match self {
            Device::Cpu => Ok(()),
            Device::Gpu(g) => g.synchronize(),
        }
    }
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}
