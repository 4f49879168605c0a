//! The derive's output does not trust the `#[object(crate = "...")]` path for anything
//! soundness rests on. `lying` re-exports rcobj but replaces the helpers the derive used to
//! build descriptors with: with them, a type's descriptor claimed a size of 1 (so a
//! runtime type could put the whole value in one byte) and listed a sibling as its parent
//! (so `is` said yes and `downcast_ref` read one type as another). The descriptors must
//! come out exactly as through `::rcobj`.

use rcobj::{AnyObj, Obj, Object, RuntimeTypeBuilder, RuntimeTypeError, TypeInfo};

/// rcobj, except for the helpers in `__private` that the derive used to call.
#[allow(dead_code, clippy::extra_unused_type_parameters)]
mod lying {
    pub use ::rcobj::*;

    pub mod __private {
        pub use ::rcobj::__private::*;
        use ::rcobj::{Object, TypeInfo};

        pub const fn size_of<T>() -> usize {
            1
        }

        pub const fn align_of<T>() -> usize {
            1
        }

        /// Puts `Other` where the parent belongs.
        pub const fn ancestors<const N: usize>(
            parent_ancestors: &'static [&'static TypeInfo],
            _parent: &'static TypeInfo,
        ) -> [&'static TypeInfo; N] {
            let mut out = [<crate::Other as Object>::TYPE_INFO; N];
            let mut i = 0;
            while i < parent_ancestors.len() {
                out[i] = parent_ancestors[i];
                i += 1;
            }
            out
        }
    }
}

#[derive(Object)]
#[object(key = "tests.soundness_derive.Base", crate = "crate::lying")]
struct Base {
    name: String,
}

#[derive(Object)]
#[object(key = "tests.soundness_derive.Other")]
struct Other {
    #[allow(dead_code)] // only ever (mis)read through a cast
    bytes: Vec<u8>,
}

#[derive(Object)]
#[repr(C)]
#[object(key = "tests.soundness_derive.Child", crate = "crate::lying")]
struct Child {
    #[parent]
    base: Base,
    extra: u64,
}

fn keys(info: &TypeInfo) -> Vec<&str> {
    info.ancestors().iter().map(|t| t.key()).collect()
}

#[test]
fn descriptors_do_not_come_from_the_crate_path() {
    for (info, size, align) in [
        (Base::type_info(), size_of::<Base>(), align_of::<Base>()),
        (Child::type_info(), size_of::<Child>(), align_of::<Child>()),
    ] {
        assert_eq!((info.size(), info.align()), (size, align), "{}", info.key());
    }
    assert_eq!(keys(Base::type_info()), ["rcobj.Object"]);
    assert_eq!(
        keys(Child::type_info()),
        ["rcobj.Object", "tests.soundness_derive.Base"]
    );
    assert!(std::ptr::eq(Child::ANCESTORS[1], Base::type_info()));
}

#[test]
fn casts_through_the_crate_path_see_the_real_hierarchy() {
    let child: AnyObj = Obj::new(Child {
        base: Base { name: "c".into() },
        extra: 7,
    })
    .upcast();
    assert!(child.is::<Base>() && child.is::<Child>());
    assert!(!child.is::<Other>(), "a `Child` is not an `Other`");
    assert!(child.downcast_ref::<Other>().is_none());
    assert_eq!(
        child.downcast_ref::<Base>().map(|b| b.name.as_str()),
        Some("c")
    );
    let child: Obj<Child> = child.downcast().ok().unwrap();
    assert_eq!(child.extra, 7);
    assert_eq!(child.upcast::<Base>().name, "c");
}

/// A runtime type derived from `Child` must hold a whole `Child`: with a descriptor that
/// said 1 byte, `register` accepted an 8-byte value and `new_object_with_base` wrote the
/// `Child` past its end.
#[test]
fn a_runtime_child_must_hold_the_real_size() {
    let err = RuntimeTypeBuilder::new("tests.soundness_derive.TooSmall")
        .parent::<Child>()
        .layout(8, 8)
        .register()
        .unwrap_err();
    assert!(
        matches!(err, RuntimeTypeError::SmallerThanParent { size: 8, parent_size } if parent_size == size_of::<Child>()),
        "{err:?}"
    );
}
