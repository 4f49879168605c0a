use rcobj::Object;

#[derive(Object)]
#[object(key = "demo.Color")]
enum Color {
    Red,
    Green,
}

fn main() {}
