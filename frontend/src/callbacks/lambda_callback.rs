//! PLACEHOLDER (being written): LambdaCallback.
