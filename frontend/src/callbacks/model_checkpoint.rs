//! PLACEHOLDER (being written): ModelCheckpoint (filepath templates, save_best_only, save_weights_only, save_freq).
