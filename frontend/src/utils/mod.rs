//! `keras.utils`: files, arrays, progress display.

pub mod archive;
pub mod get_file;
pub mod npy;
pub mod progbar;
