use rcobj::Object;

#[derive(Object)]
#[object(crate = "::not_rcobj")]
struct Elsewhere;

fn main() {}
