//! wgkeras front end: Keras-like graphs, autodiff, layers, models and training.
//!
//! This crate is at its start: the runtime (`wgkeras_runtime`) carries the eager `keras.ops`
//! today; graph building, autodiff and the compiled train step come next (see the issues).
//! `utils` holds the Keras utilities that need no model.

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
pub mod utils;
pub mod variable;

pub use error::{Error, Result};
pub use graph::{Graph, Sym};
pub use models::Model;
pub use variable::Variable;
pub use wgkeras_runtime as runtime;
