use rcobj::Object;

#[derive(Object)]
struct Shape {
    name: String,
}

#[derive(Object)]
#[repr(C, align(32))]
struct Circle {
    #[parent]
    shape: Shape,
    radius: f64,
}

fn main() {}
