// The `#[parent]` field is not one of the type's own fields: it cannot be skipped or
// renamed.
use rcobj::Object;

#[derive(Object)]
#[object(key = "demo.Base")]
struct Base {
    id: u32,
}

#[derive(Object)]
#[repr(C)]
#[object(key = "demo.Skipped")]
struct Skipped {
    #[parent]
    #[object(skip)]
    base: Base,
    value: u32,
}

#[derive(Object)]
#[repr(C)]
#[object(key = "demo.Renamed")]
struct Renamed(#[parent] #[object(rename = "base")] Base, u32);

fn main() {}
