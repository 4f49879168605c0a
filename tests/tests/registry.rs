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
    // Far above libtvm_ffi's own dynamic indices (128 up).
    assert_eq!(FIRST_DYNAMIC_INDEX, 1 << 24);
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
    assert!(registry::by_index(0).is_none());
    assert!(registry::by_index(-1).is_none());
    // libtvm_ffi's first dynamic types: not rcobj's.
    assert!(registry::by_index(128).is_none());
    assert!(registry::by_index(FIRST_DYNAMIC_INDEX - 1).is_none());
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
    assert_eq!(
        &indices[1..],
        &(FIRST_DYNAMIC_INDEX..FIRST_DYNAMIC_INDEX + indices.len() as i32 - 1).collect::<Vec<_>>()
            [..]
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
