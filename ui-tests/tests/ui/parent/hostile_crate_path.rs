// `crate = "..."` names a module that re-exports rcobj but replaces an item of its
// `__private` module. The derive's layout checks use `::core` only, so an over-aligned
// child (whose safe upcast would read the parent at the wrong offset) still fails.
mod hostile {
    pub use ::rcobj::*;

    pub mod __private {
        pub use ::rcobj::__private::*;

        /// Claims that every value starts right after the header.
        pub const fn value_offset<T>() -> usize {
            24
        }
    }
}

#[derive(rcobj::Object)]
#[object(crate = "crate::hostile")]
struct Shape {
    name: String,
}

#[derive(rcobj::Object)]
#[repr(C, align(32))]
#[object(crate = "crate::hostile")]
struct Circle {
    #[parent]
    shape: Shape,
    radius: f64,
}

fn main() {
    let circle = rcobj::Obj::new(Circle {
        shape: Shape { name: "c".into() },
        radius: 1.0,
    });
    println!("{}", circle.upcast::<Shape>().name);
}
