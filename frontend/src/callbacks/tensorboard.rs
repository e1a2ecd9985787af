//! PLACEHOLDER (being written): TensorBoard (scalar event files).
