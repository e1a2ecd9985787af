//! PLACEHOLDER (being written): CSVLogger.
