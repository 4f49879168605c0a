use rcobj::Object;

#[derive(Object)]
#[object(key = "")]
struct Empty;

fn main() {}
