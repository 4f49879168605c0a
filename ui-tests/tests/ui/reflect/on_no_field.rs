// Field attributes where there is no field: in the struct's own `#[object(...)]`.
use rcobj::Object;

#[derive(Object)]
#[object(key = "demo.Unit", skip)]
struct Unit;

#[derive(Object)]
#[object(rename = "x")]
struct Named {
    value: u8,
}

fn main() {}
