use rcobj::Object;

#[derive(Object)]
struct Shape;

#[derive(Object)]
#[repr(C)]
struct Circle {
    #[parent(Shape)]
    shape: Shape,
}

#[derive(Object)]
#[repr(C)]
struct Square {
    #[parent = "Shape"]
    shape: Shape,
}

fn main() {}
