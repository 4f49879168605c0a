use rcobj::Object;

#[derive(Object)]
#[object(crate = rcobj)]
struct Bare;

#[derive(Object)]
#[object(crate = 1)]
struct Number;

fn main() {}
