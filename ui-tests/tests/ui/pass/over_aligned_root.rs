use rcobj::{AnyObj, Obj, Object};

#[derive(Object)]
#[repr(align(64))]
struct Line {
    bytes: [u8; 64],
}

// A child as aligned as its parent is fine.
#[derive(Object)]
#[repr(C, align(64))]
struct Tagged {
    #[parent]
    line: Line,
    tag: u8,
}

fn main() {
    let line = Obj::new(Line { bytes: [7; 64] });
    assert_eq!(&*line as *const Line as usize % 64, 0);
    assert_eq!(Line::type_info().align(), 64);
    let tagged = Obj::new(Tagged { line: Line { bytes: [1; 64] }, tag: 2 });
    let up: Obj<Line> = tagged.upcast();
    assert_eq!(up.bytes[63], 1);
    let any: AnyObj = up.upcast();
    assert_eq!(any.downcast_ref::<Tagged>().map(|t| t.tag), Some(2));
}
