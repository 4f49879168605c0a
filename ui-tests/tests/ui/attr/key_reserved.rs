use rcobj::Object;

// The root type's key is taken.
#[derive(Object)]
#[object(key = "rcobj.Object")]
struct Root;

fn main() {}
