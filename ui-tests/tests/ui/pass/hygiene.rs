// The expansion does not pick up the user's names: local types that shadow the names it
// uses, a local `core` module, parents named by relative paths, and types inside a
// function.
#![allow(dead_code)]

mod core {}
struct N;
struct Z;
struct S<T>(T);
struct Option;
struct TypeInfo;
struct Object;
type Result = ();

mod inner {
    #[derive(rcobj::Object)]
    pub struct Base {
        pub value: u8,
    }
}

#[derive(rcobj::Object)]
#[repr(C)]
pub struct FromModule {
    #[parent]
    base: self::inner::Base,
}

mod nested {
    #[derive(rcobj::Object)]
    #[repr(C)]
    pub struct FromSuper(#[parent] pub super::FromModule);
}

fn main() {
    #[derive(rcobj::Object)]
    #[repr(C)]
    struct Local {
        #[parent]
        parent: nested::FromSuper,
    }

    let local = rcobj::Obj::new(Local {
        parent: nested::FromSuper(FromModule {
            base: inner::Base { value: 5 },
        }),
    });
    assert_eq!(local.upcast::<inner::Base>().value, 5);
    assert_eq!(<Local as rcobj::Object>::type_info().depth(), 4);
}
