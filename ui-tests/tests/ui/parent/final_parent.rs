use rcobj::Object;

#[derive(Object)]
#[object(key = "demo.Shape", final)]
struct Shape {
    name: String,
}

#[derive(Object)]
#[repr(C)]
struct Circle {
    #[parent]
    shape: Shape,
    radius: f64,
}

fn main() {}
