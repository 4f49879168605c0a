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

#[derive(Object)]
#[object(key = "demo.NoComma" final)]
struct NoComma;

#[derive(Object)]
#[object[key = "demo.Brackets"]]
struct Brackets;

#[derive(Object)]
#[object("demo.Positional")]
struct Positional;

fn main() {}
