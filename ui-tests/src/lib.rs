//! Home of the trybuild cases for `#[derive(Object)]` (see `tests/ui.rs`).
//!
//! The library itself holds a small hierarchy, so that the cases can derive from and
//! upcast to object types defined in another crate.

use rcobj::Object;

/// A root object type, defined outside the test cases.
#[derive(Object, Debug)]
#[object(key = "ui.Shape")]
pub struct Shape {
    /// A name.
    pub name: String,
}

/// A child of [`Shape`], not final, so the cases can derive from it.
#[derive(Object, Debug)]
#[repr(C)]
#[object(key = "ui.Polygon")]
pub struct Polygon {
    /// The parent.
    #[parent]
    pub shape: Shape,
    /// Number of corners.
    pub corners: u32,
}
