//! `keras.utils`: files, arrays, progress display.

pub mod archive;
pub mod dataset;
pub mod files;
pub mod get_file;
pub mod naming;
pub mod nest;
pub mod npy;
pub mod numerical;
pub mod progbar;
pub mod rng;
pub mod sequence;

pub use dataset::{pack_x_y_sample_weight, split_dataset, unpack_x_y_sample_weight, Packed, SplitSize};
pub use numerical::{normalize, to_categorical};
pub use rng::{get_random_seed, next_seed, random_seed, set_random_seed};
pub use sequence::{pad_sequences, pad_tensor_sequences, PadSequences};
