use rcobj::Object;

#[derive(Object)]
#[object]
struct Bare;

#[derive(Object)]
#[object = "demo.Value"]
struct Value;

#[derive(Object)]
#[object(key = "demo.Commas",, final)]
struct Commas;

fn main() {}
