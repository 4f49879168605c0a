// The field table uses absolute paths only.
#![no_implicit_prelude]

#[derive(::rcobj::Object)]
#[object(key = "pass.reflect.Quiet")]
struct Quiet {
    value: u32,
    name: ::std::string::String,
    #[object(skip)]
    skipped: u8,
    #[object(rename = "other")]
    opaque: ::std::collections::HashMap<u8, u8>,
}

#[derive(::rcobj::Object)]
#[repr(C)]
#[object(key = "pass.reflect.QuietChild", final)]
struct QuietChild {
    #[parent]
    quiet: Quiet,
    child: ::std::option::Option<::rcobj::Obj<Quiet>>,
}

#[derive(::rcobj::Object)]
struct Tuple(u8, ::std::vec::Vec<u8>);

fn main() {
    let child = ::rcobj::Obj::new(QuietChild {
        quiet: Quiet {
            value: 7,
            name: ::std::string::String::new(),
            skipped: 0,
            opaque: ::std::collections::HashMap::new(),
        },
        child: ::std::option::Option::None,
    });
    ::std::assert_eq!(child.quiet.skipped, 0);
    let names: ::std::vec::Vec<&str> = ::std::iter::Iterator::collect(
        ::std::iter::Iterator::map(
            <QuietChild as ::rcobj::Object>::type_info().all_fields(),
            |f| f.name(),
        ),
    );
    ::std::assert_eq!(names, ["value", "name", "other", "child"]);
    ::std::assert_eq!(
        ::rcobj::reflect::repr(&child),
        "pass.reflect.QuietChild(value=7, name=\"\", other=<::std::collections::HashMap<u8, u8>>, child=None)"
    );
    ::std::assert_eq!(<Tuple as ::rcobj::Object>::type_info().fields().len(), 2);
}
