use rcobj::Object;

#[derive(Object)]
struct Boxed<T> {
    value: T,
}

#[derive(Object)]
struct Array<const N: usize> {
    values: [u8; N],
}

#[derive(Object)]
struct Bounded
where
    u8: Copy,
{
    value: u8,
}

fn main() {}
