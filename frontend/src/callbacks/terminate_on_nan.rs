//! PLACEHOLDER (being written): TerminateOnNaN.
