use rcobj::Object;

#[derive(Object)]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
