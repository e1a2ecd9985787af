//! wgkeras front end: Keras-like graphs, autodiff, layers, models and training.
//!
//! `graph` builds and differentiates symbolic graphs and compiles them to plans for the
//! runtime (`wgkeras_runtime`); `layers`, `models`, `losses`, `metrics`, `optimizers` and
//! `callbacks` are Keras's; `saving` writes and reads models; `utils` holds the Keras utilities
//! that need no model.

pub mod activations;
pub mod callbacks;
pub mod config;
pub mod constraints;
pub mod data;
pub mod datasets;
pub mod error;
pub mod graph;
pub mod initializers;
pub mod layers;
pub mod losses;
pub mod metrics;
pub mod models;
pub mod optimizers;
pub mod random;
pub mod registry;
pub mod regularizers;
pub mod saving;
pub mod utils;
pub mod variable;

pub use error::{Error, Result};
pub use graph::{Graph, Sym};
pub use models::Model;
pub use variable::Variable;
pub use wgkeras_runtime as runtime;
