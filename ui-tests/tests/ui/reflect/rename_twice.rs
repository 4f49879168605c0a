// One field, two names.
use rcobj::Object;

#[derive(Object)]
#[object(key = "demo.Twice")]
struct Twice {
    #[object(rename = "a", rename = "b")]
    value: u32,
    #[object(rename = "c")]
    #[object(rename = "d")]
    other: u32,
}

fn main() {}
