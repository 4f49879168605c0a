use rcobj::Object;

#[derive(Object)]
#[repr(C)]
struct Name(#[parent] String);

fn main() {}
