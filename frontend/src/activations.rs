//! `keras.activations`: functions applied to symbolic tensors, named by string in layer
//! configs (`"relu"`, `"softmax"`).

use crate::error::{Error, Result};
use crate::graph::Sym;

/// An activation function with its arguments.
#[derive(Clone, Debug, PartialEq)]
pub enum Activation {
    Linear,
    Relu,
    Sigmoid,
    Tanh,
    Softmax { axis: i64 },
}

impl Activation {
    /// From Keras's name for it.
    pub fn get(name: &str) -> Result<Activation> {
        Ok(match name {
            "linear" => Activation::Linear,
            "relu" => Activation::Relu,
            "sigmoid" => Activation::Sigmoid,
            "tanh" => Activation::Tanh,
            "softmax" => Activation::Softmax { axis: -1 },
            other => {
                return Err(Error::arg(
                    "activations.get",
                    format!("unknown activation {other:?}; known: linear, relu, sigmoid, tanh, softmax"),
                ))
            }
        })
    }

    /// Keras's name (what a layer config stores).
    pub fn name(&self) -> &'static str {
        match self {
            Activation::Linear => "linear",
            Activation::Relu => "relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Softmax { .. } => "softmax",
        }
    }

    pub fn apply<'g>(&self, x: Sym<'g>) -> Result<Sym<'g>> {
        match self {
            Activation::Linear => Ok(x),
            Activation::Relu => x.relu(),
            Activation::Sigmoid => x.sigmoid(),
            Activation::Tanh => x.tanh(),
            Activation::Softmax { axis } => x.softmax(*axis),
        }
    }
}
