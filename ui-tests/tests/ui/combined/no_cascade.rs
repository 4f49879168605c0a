// A type whose derive failed still behaves as an object type in the rest of the program:
// only the derive's own error is reported, not one per use.
use rcobj::{AnyObj, Obj, Object};

#[derive(Object)]
#[object(key = "demo.Shape", finale)]
struct Shape {
    name: String,
}

#[derive(Object)]
#[repr(C)]
#[object(key = "demo.Circle")]
struct Circle {
    #[parent]
    shape: Shape,
    radius: f64,
}

#[derive(Object)]
#[object(key = "demo.Color")]
enum Color {
    Red,
}

fn main() {
    let circle = Obj::new(Circle {
        shape: Shape { name: "c".into() },
        radius: 1.0,
    });
    let shape: Obj<Shape> = circle.upcast();
    let _: AnyObj = shape.upcast();
    let _ = Shape::type_info().key();
    let _ = Obj::new(Color::Red);
}
