use rcobj::Object;

#[derive(Object)]
#[object(final = true)]
struct Assigned;

#[derive(Object)]
#[object(final(yes))]
struct Called;

fn main() {}
