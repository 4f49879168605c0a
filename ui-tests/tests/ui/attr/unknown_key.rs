use rcobj::Object;

#[derive(Object)]
#[object(name = "demo.Shape")]
struct Shape;

#[derive(Object)]
#[object(kye = "demo.Circle")]
struct Circle;

fn main() {}
