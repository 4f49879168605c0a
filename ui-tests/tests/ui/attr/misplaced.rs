use rcobj::Object;

#[derive(Object)]
#[parent]
struct OnStruct {
    #[object(key = "demo.Field")]
    field: u32,
}

fn main() {}
