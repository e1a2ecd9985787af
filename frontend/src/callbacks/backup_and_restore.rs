//! PLACEHOLDER (being written): BackupAndRestore.
