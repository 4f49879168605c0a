use rcobj::Object;

#[derive(Object)]
struct Shape {
    name: String,
}

#[derive(Object)]
#[repr(C)]
struct Circle {
    radius: f64,
    #[parent]
    shape: Shape,
}

fn main() {}
