//! The registry: lookups by key and index, before the first instance exists.

use rcobj::{registry, AnyObject, Object, ANY_OBJECT_INDEX, FIRST_DYNAMIC_INDEX, MAX_TYPES};
use rcobj_tests::{Polygon, Shape, Square};

mod nested {
    /// A type with the default key (its Rust path).
    #[derive(rcobj::Object)]
    pub struct DefaultKeyed {
        pub _x: u8,
    }
}

/// Never instantiated anywhere: found through link-time registration only.
#[derive(Object)]
#[object(key = "tests.registry.NeverBuilt")]
struct NeverBuilt;

#[test]
fn types_are_found_by_key_before_any_instance() {
    let info = registry::by_key("tests.registry.NeverBuilt").expect("registered at link time");
    assert!(std::ptr::eq(&*info, NeverBuilt::type_info()));
    assert_eq!(
        info.as_static().map(|i| i.key()),
        Some("tests.registry.NeverBuilt")
    );
    assert_eq!(info.live_count(), 0);
    assert!(registry::by_key("tests.Square").is_some());
    assert!(registry::by_key("no.such.Type").is_none());
}

#[test]
fn default_key_is_the_rust_path() {
    let key = nested::DefaultKeyed::type_info().key();
    assert_eq!(key, "registry::nested::DefaultKeyed");
    assert!(registry::by_key(key).is_some());
    assert_eq!(nested::DefaultKeyed::type_info().rust_name(), key);
}

#[test]
fn root_is_index_64_and_derived_types_start_at_first_dynamic_index() {
    assert_eq!(ANY_OBJECT_INDEX, 64);
    if cfg!(rcobj_tvm_ffi) {
        // One index space: libtvm_ffi's first dynamic index.
        assert_eq!(FIRST_DYNAMIC_INDEX, 128);
    } else {
        // Far above libtvm_ffi's own dynamic indices (128 up).
        assert_eq!(FIRST_DYNAMIC_INDEX, 1 << 24);
    }
    assert_eq!(AnyObject::type_info().index(), 64);
    assert_eq!(AnyObject::type_info().key(), "rcobj.Object");
    assert!(std::ptr::eq(
        &*registry::by_index(64).unwrap(),
        AnyObject::type_info()
    ));
    assert!(std::ptr::eq(
        &*registry::by_key("rcobj.Object").unwrap(),
        AnyObject::type_info()
    ));
    for info in [
        Shape::type_info(),
        Polygon::type_info(),
        Square::type_info(),
    ] {
        assert!(info.index() >= FIRST_DYNAMIC_INDEX);
        assert!(info.index() < FIRST_DYNAMIC_INDEX + MAX_TYPES as i32);
        assert!(registry::by_index(info.index()).unwrap() == *info);
        assert!(registry::by_key(info.key()).unwrap() == *info);
    }
    assert!(registry::by_index(-1).is_none());
    if cfg!(rcobj_tvm_ffi) {
        // libtvm_ffi registers its own types when it loads, before any of rcobj's: the
        // first dynamic index is one of them, a foreign type to rcobj's registry.
        let first = registry::by_index(FIRST_DYNAMIC_INDEX).expect("libtvm_ffi's first type");
        assert!(first.key().starts_with("ffi."), "{}", first.key());
        assert!(Shape::type_info().index() > FIRST_DYNAMIC_INDEX);
        // and so is the string type, a static type of tvm-ffi's.
        assert_eq!(registry::by_index(65).unwrap().key(), "ffi.String");
    } else {
        assert!(registry::by_index(0).is_none());
        // libtvm_ffi's first dynamic types: not rcobj's.
        assert!(registry::by_index(128).is_none());
        assert!(registry::by_index(FIRST_DYNAMIC_INDEX - 1).is_none());
    }
    assert!(registry::by_index(FIRST_DYNAMIC_INDEX + MAX_TYPES as i32).is_none());
    assert!(registry::by_index(i32::MAX).is_none());
}

#[test]
fn all_lists_every_type_once_in_index_order() {
    let all = registry::all();
    assert!(all[0] == *AnyObject::type_info());
    let indices: Vec<i32> = all.iter().map(|t| t.index()).collect();
    let mut sorted = indices.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(indices, sorted, "ordered by index, no duplicates");
    // The linked types have consecutive indices: from the first dynamic one, or with
    // tvm-ffi from the first one libtvm_ffi had left (after its own types).
    let first = if cfg!(rcobj_tvm_ffi) {
        indices[1]
    } else {
        FIRST_DYNAMIC_INDEX
    };
    assert!(first >= FIRST_DYNAMIC_INDEX);
    assert_eq!(
        &indices[1..],
        &(first..first + indices.len() as i32 - 1).collect::<Vec<_>>()[..]
    );
    for key in [
        "tests.Shape",
        "tests.Polygon",
        "tests.Square",
        "tests.registry.NeverBuilt",
    ] {
        assert_eq!(all.iter().filter(|t| t.key() == key).count(), 1, "{key}");
    }
}

#[test]
fn indices_are_stable() {
    let a = Square::type_info().index();
    let b = registry::by_key("tests.Square").unwrap().index();
    assert_eq!(a, b);
    assert_eq!(Square::type_info().index(), a);
}
