//! Home of the trybuild cases for `#[derive(Object)]` (see `tests/ui.rs`).
