//! Feeding data to models: the `Sequence` contract and image iterators.

pub mod image;
pub mod sequence;
