use rcobj::Object;

#[derive(Object)]
#[object(crate = "not a path")]
struct Words;

#[derive(Object)]
#[object(crate = "")]
struct Empty;

#[derive(Object)]
#[object(crate = "rcobj::<u8>")]
struct Generic;

fn main() {}
