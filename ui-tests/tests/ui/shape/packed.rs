use rcobj::Object;

#[derive(Object)]
#[repr(packed)]
struct Packed {
    a: u8,
    b: u64,
}

#[derive(Object)]
#[repr(C, packed(2))]
struct PackedTwo {
    a: u8,
    b: u64,
}

fn main() {}
