//! PLACEHOLDER (being written): LearningRateScheduler and ReduceLROnPlateau.
