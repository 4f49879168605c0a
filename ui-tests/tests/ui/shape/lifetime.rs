use rcobj::Object;

#[derive(Object)]
struct Borrowed<'a> {
    name: &'a str,
}

#[derive(Object)]
struct Both<'a, T> {
    name: &'a T,
}

fn main() {}
