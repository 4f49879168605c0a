use rcobj::{Obj, Object};

#[derive(Object)]
struct Shape;

#[derive(Object)]
#[repr(C)]
struct Circle(#[parent] Shape);

#[derive(Object)]
#[repr(C)]
struct Square(#[parent] Shape);

fn main() {
    let circle = Obj::new(Circle(Shape));
    let _ = circle.upcast::<Square>();
}
