use rcobj::Object;

#[derive(Object)]
#[object(key = "demo.Empty")]
struct Empty {
    #[object(rename = "")]
    value: u32,
}

fn main() {}
