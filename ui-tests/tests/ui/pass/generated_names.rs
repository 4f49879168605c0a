// Object types named like the expansion's own items and generic parameters, parents
// reached through paths that use those names, and a crate path spelt like the expansion's
// alias for it: the derive picks names that none of these tokens spell.
#![allow(non_camel_case_types, non_upper_case_globals, dead_code)]

use rcobj::{AnyObj, Obj, Object};

#[derive(Object)]
struct N(u8);

#[derive(Object)]
#[repr(C)]
struct T(#[parent] N, u8);

#[derive(Object)]
#[repr(C)]
struct S {
    #[parent]
    t: T,
}

#[derive(Object)]
#[repr(C)]
struct Z(#[parent] S);

#[derive(Object)]
#[repr(C)]
struct Up(#[parent] Z);

#[derive(Object)]
struct __RcobjParent;

#[derive(Object)]
#[repr(C)]
struct __rcobj(#[parent] __RcobjParent);

#[derive(Object)]
#[repr(C)]
struct __RcobjParent_(#[parent] __rcobj);

#[derive(Object)]
struct __RCOBJ_TYPE_INFO;

#[derive(Object)]
#[repr(C)]
struct __RCOBJ_ANCESTORS(#[parent] __RCOBJ_TYPE_INFO);

#[derive(Object)]
struct __RcobjProbe;

#[derive(Object)]
#[repr(C)]
struct __RcobjNotSendSync(#[parent] __RcobjProbe);

#[derive(Object)]
#[repr(C)]
struct __RcobjT(#[parent] __RcobjNotSendSync);

#[derive(Object)]
#[repr(C)]
struct __rcobj_child(#[parent] __RcobjT);

// Field types that use constants named like the field table's items and its reading
// function's parameter: array lengths are constant expressions, which would find the
// expansion's items, or fail on its local, if it used those names. (A constant or unit
// struct in scope named like a *binding* of any macro's output — here `i`, `__rcobj_self`,
// `__rcobj_this` — turns it into a pattern: no macro can avoid that, so the derive only
// avoids the names its input spells.)
mod fields {
    use rcobj::Object;

    const __rcobj_self: usize = 2;
    const __RCOBJ_READER: usize = 3;

    #[derive(Object)]
    #[object(key = "names.Fields")]
    pub struct __RCOBJ_FIELDS {
        pub a: [u8; __rcobj_self],
        pub b: [u16; __RCOBJ_READER],
        pub __rcobj_field: u8,
    }
}
use fields::__RCOBJ_FIELDS;

#[derive(Object)]
struct Option;

#[derive(Object)]
struct Some;

mod paths {
    // A module named like the crate alias, holding a parent and a re-export of rcobj.
    pub mod __rcobj {
        pub use ::rcobj::*;

        #[derive(::rcobj::Object)]
        pub struct Base(pub u8);
    }

    // A parent named through that module, by a relative path.
    #[derive(::rcobj::Object)]
    #[repr(C)]
    pub struct Child(#[parent] pub __rcobj::Base);

    // The runtime named through it, by a relative path.
    #[derive(::rcobj::Object)]
    #[repr(C)]
    #[object(crate = "__rcobj")]
    pub struct Grandchild(#[parent] pub Child);

    pub mod __RcobjParent {
        #[derive(::rcobj::Object)]
        pub struct __RcobjParent;
    }

    #[derive(::rcobj::Object)]
    #[repr(C)]
    pub struct Other(#[parent] pub __RcobjParent::__RcobjParent);
}

fn main() {
    let up = Obj::new(Up(Z(S { t: T(N(1), 2) })));
    assert_eq!(Up::type_info().depth(), 5);
    assert_eq!(up.clone().upcast::<N>().0, 1);
    assert_eq!(up.clone().upcast::<T>().1, 2);
    let any: AnyObj = up.upcast();
    assert!(any.is::<N>() && any.is::<T>() && any.is::<S>() && any.is::<Z>());
    assert!(any.downcast::<Up>().is_ok());

    let child = Obj::new(__rcobj_child(__RcobjT(__RcobjNotSendSync(__RcobjProbe))));
    assert!(<__rcobj_child as Object>::SEND_SYNC);
    let _: Obj<__RcobjProbe> = child.upcast();

    let g = Obj::new(__RcobjParent_(__rcobj(__RcobjParent)));
    let _: Obj<__RcobjParent> = g.upcast();
    let _: Obj<__RCOBJ_TYPE_INFO> = Obj::new(__RCOBJ_ANCESTORS(__RCOBJ_TYPE_INFO)).upcast();
    let _ = (Obj::new(Option), Obj::new(Some));
    let f = Obj::new(__RCOBJ_FIELDS {
        a: [1, 2],
        b: [3, 4, 5],
        __rcobj_field: 6,
    });
    let names: Vec<&str> = __RCOBJ_FIELDS::type_info()
        .fields()
        .iter()
        .map(|f| f.name())
        .collect();
    assert_eq!(names, ["a", "b", "__rcobj_field"]);
    assert_eq!(
        rcobj::reflect::repr(&f),
        r#"names.Fields(a=b"\x01\x02", b=[3, 4, 5], __rcobj_field=6)"#
    );

    let g = Obj::new(paths::Grandchild(paths::Child(paths::__rcobj::Base(3))));
    assert_eq!(g.upcast::<paths::__rcobj::Base>().0, 3);
    let o = Obj::new(paths::Other(paths::__RcobjParent::__RcobjParent));
    assert_eq!(<paths::Other as Object>::type_info().depth(), 2);
    drop(o);
}
