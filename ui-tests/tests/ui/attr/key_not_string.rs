use rcobj::Object;

#[derive(Object)]
#[object(key = 5)]
struct Number;

#[derive(Object)]
#[object(key = demo::Shape)]
struct Path;

#[derive(Object)]
#[object(key = b"demo.Bytes")]
struct Bytes;

#[derive(Object)]
#[object(key = concat!("demo.", "Concat"))]
struct Concat;

fn main() {}
