use rcobj::Object;

#[derive(Object)]
struct Shape {
    name: String,
}

#[derive(Object)]
struct Named {
    name: String,
}

#[derive(Object)]
#[repr(C)]
struct Circle {
    #[parent]
    shape: Shape,
    #[parent]
    named: Named,
}

fn main() {}
