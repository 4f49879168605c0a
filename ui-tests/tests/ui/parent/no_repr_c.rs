use rcobj::Object;

#[derive(Object)]
struct Shape {
    name: String,
}

#[derive(Object)]
struct Circle {
    #[parent]
    shape: Shape,
    radius: f64,
}

#[derive(Object)]
#[repr(align(8))]
struct Square(#[parent] Shape, f64);

fn main() {}
