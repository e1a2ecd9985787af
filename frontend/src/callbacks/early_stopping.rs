//! PLACEHOLDER (being written): EarlyStopping.
