use rcobj::Object;

#[derive(Object)]
#[object(key = "demo.Shape", key = "demo.Other")]
struct Shape;

#[derive(Object)]
#[object(final)]
#[object(final)]
struct Circle;

#[derive(Object)]
#[object(crate = "::rcobj", crate = "::rcobj")]
struct Square;

fn main() {}
