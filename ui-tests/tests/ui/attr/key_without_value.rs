use rcobj::Object;

#[derive(Object)]
#[object(key)]
struct NoValue;

#[derive(Object)]
#[object(key = )]
struct Nothing;

#[derive(Object)]
#[object(key("demo.Call"))]
struct Call;

fn main() {}
