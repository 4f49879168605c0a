// The expansion uses absolute paths only.
#![no_implicit_prelude]

#[derive(::rcobj::Object)]
#[object(key = "pass.Quiet")]
struct Quiet {
    value: u32,
}

#[derive(::rcobj::Object)]
#[repr(C)]
#[object(key = "pass.QuietChild", final)]
struct QuietChild {
    #[parent]
    quiet: Quiet,
}

#[derive(::rcobj::Object)]
struct Unit;

#[derive(::rcobj::Object)]
#[repr(C)]
struct Tuple(#[parent] Unit, u8);

fn main() {
    let child = ::rcobj::Obj::new(QuietChild {
        quiet: Quiet { value: 7 },
    });
    let quiet: ::rcobj::Obj<Quiet> = child.upcast();
    ::std::assert_eq!(quiet.value, 7);
    let _ = ::rcobj::Obj::new(Tuple(Unit, 1)).upcast::<Unit>();
}
