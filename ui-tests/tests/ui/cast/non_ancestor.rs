use rcobj::{Obj, Object};

#[derive(Object)]
struct Shape;

#[derive(Object)]
struct Color;

fn main() {
    let shape = Obj::new(Shape);
    let _: Obj<Color> = shape.upcast::<Color>();
}
