//! Fused elementwise programs: a chain of elementwise ops run as one kernel (placeholder).
