use rcobj::{Obj, Object};

#[derive(Object)]
struct Shape;

#[derive(Object)]
#[repr(C)]
struct Circle(#[parent] Shape);

fn main() {
    let shape = Obj::new(Shape);
    let _ = shape.upcast::<Circle>();
}
