// With `crate = "..."`, a parent that is not an object type is still one error.
mod reexport {
    pub use ::rcobj;
}

struct Shape;

#[derive(reexport::rcobj::Object)]
#[repr(C)]
#[object(crate = "crate::reexport::rcobj")]
struct Circle {
    #[parent]
    shape: Shape,
}

fn main() {}
