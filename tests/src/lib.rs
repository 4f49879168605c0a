//! Object types shared by the integration tests, defined in a crate of their own so the
//! tests also exercise hierarchies that cross a crate boundary.

use rcobj::Object;

/// A root type.
#[derive(Object, Debug, Clone, PartialEq, Default)]
#[object(key = "tests.Shape")]
pub struct Shape {
    /// A name.
    pub name: String,
}

/// A child of [`Shape`], not final.
#[derive(Object, Debug, Clone, PartialEq)]
#[repr(C)]
#[object(key = "tests.Polygon")]
pub struct Polygon {
    /// The parent.
    #[parent]
    pub shape: Shape,
    /// Corners.
    pub sides: u32,
}
