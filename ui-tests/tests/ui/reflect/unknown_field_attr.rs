use rcobj::Object;

#[derive(Object)]
#[object(key = "demo.Unknown")]
struct Unknown {
    #[object(skp)]
    a: u8,
    #[object(hidden)]
    b: u8,
    #[object(key = "demo.Field", final)]
    c: u8,
    #[object(skip = true)]
    d: u8,
    #[object(rename)]
    e: u8,
    #[object(rename = name)]
    f: u8,
    #[object]
    g: u8,
}

fn main() {}
