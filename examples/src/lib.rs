//! Runnable examples: `cargo run -p rcobj-examples --example NAME`.
