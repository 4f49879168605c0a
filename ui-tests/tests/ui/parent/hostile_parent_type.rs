// `crate = "..."` names a module whose `ParentType` maps the `#[parent]` field's type to
// another type. The derive proves with `::core` alone that the parent is the field's type,
// so this does not compile. (A `Box<Shape>` field would otherwise be read as a `Shape`.)
mod hostile {
    pub use ::rcobj::*;

    pub mod __private {
        pub use ::rcobj::__private::*;

        pub unsafe trait ParentType {
            type This: ::rcobj::Object;
        }

        // SAFETY: none; this is the attack.
        unsafe impl ParentType for Box<crate::Shape> {
            type This = crate::Shape;
        }
    }
}

#[derive(rcobj::Object)]
#[object(crate = "crate::hostile")]
pub struct Shape {
    name: String,
}

#[derive(rcobj::Object)]
#[repr(C)]
#[object(crate = "crate::hostile")]
struct Circle {
    #[parent]
    shape: Box<Shape>,
}

fn main() {}
