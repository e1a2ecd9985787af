//! `keras.utils`: files, arrays, progress display.

pub mod archive;
pub mod dataset;
pub mod get_file;
pub mod npy;
pub mod numerical;
pub mod progbar;
pub mod sequence;
