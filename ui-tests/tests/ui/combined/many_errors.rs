// Every mistake in one input is reported in one go.
use rcobj::Object;

#[derive(Object)]
#[object(key = "demo.Base")]
struct Base;

#[derive(Object)]
#[repr(packed)]
#[object(key = "", finall, crate = "no such path", key = 3)]
struct Broken<T> {
    value: T,
    #[parent]
    base: Base,
    #[parent(yes)]
    other: Base,
}

fn main() {}
