//! Reflection in tvm-ffi (feature `tvm-ffi`): the fields and metadata rcobj registers, read
//! and used by libtvm_ffi's own services (printing, structural equality, JSON graphs).
#![cfg(all(feature = "tvm-ffi", not(miri), not(loom)))]

mod support;

use support::wait_released;

use rcobj::reflect::FieldKind;
use rcobj::tvm_ffi::{type_entry, Any, Function, IntoAny};
use rcobj::{AnyObj, Obj, Object, RuntimeTypeBuilder};

/// A pair of numbers. `Default`: tvm-ffi can create one (JSON loading needs it).
#[derive(Object, Default, Debug, PartialEq, Clone)]
#[object(key = "rcobj_tests.reflection.Pair")]
struct Pair {
    /// The first.
    a: i64,
    /// The second.
    b: f64,
}

/// Fields of every convertible kind, one skipped and one tvm-ffi cannot see.
#[derive(Object, Default)]
#[object(key = "rcobj_tests.reflection.Bag")]
struct Bag {
    flag: bool,
    small: u8,
    name: String,
    pair: Option<Obj<Pair>>,
    pairs: Vec<Obj<Pair>>,
    #[object(rename = "values")]
    numbers: Vec<f64>,
    #[object(skip)]
    _cache: Vec<u32>,
    opaque: std::collections::BTreeMap<String, u8>,
}

/// Used by the JSON test only (its live count is checked there).
#[derive(Object, Default)]
#[object(key = "rcobj_tests.reflection.Tree")]
struct Tree {
    label: String,
    kids: Vec<Obj<Tree>>,
    alias: Option<Obj<Tree>>,
}

/// A child type: its fields come after the parent's.
#[derive(Object, Default)]
#[repr(C)]
#[object(key = "rcobj_tests.reflection.Triple")]
struct Triple {
    #[parent]
    pair: Pair,
    c: i32,
}

fn call(name: &str, args: &[Any]) -> Any {
    Function::get_global(name)
        .unwrap_or_else(|| panic!("libtvm_ffi has `{name}`"))
        .call(args)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn bag() -> Obj<Bag> {
    let pair = Obj::new(Pair { a: 1, b: 0.5 });
    Obj::new(Bag {
        flag: true,
        small: 7,
        name: "a bag with a longer name".into(),
        pair: Some(pair.clone()),
        pairs: vec![pair, Obj::new(Pair { a: 2, b: 1.5 })],
        numbers: vec![1.0, 2.0],
        _cache: vec![9],
        opaque: Default::default(),
    })
}

#[test]
fn own_fields_are_registered_in_order() {
    let bag = type_entry(Bag::type_info().key()).unwrap();
    // Skipped and opaque fields are not there; renamed ones are, by their new name.
    assert_eq!(
        bag.fields,
        ["flag", "small", "name", "pair", "pairs", "values"]
    );
    let triple = type_entry(Triple::type_info().key()).unwrap();
    assert_eq!(
        triple.fields,
        ["c"],
        "own fields only: tvm-ffi adds the parent's"
    );
}

#[test]
fn tvm_ffi_prints_rust_objects_through_the_getters() {
    let text = call("ffi.ReprPrint", &[bag().into_any().unwrap()])
        .to::<String>()
        .unwrap();
    assert!(text.starts_with("rcobj_tests.reflection.Bag("), "{text}");
    for part in [
        "flag=True",
        "small=7",
        "name=\"a bag with a longer name\"",
        "pair=rcobj_tests.reflection.Pair(a=1, b=0.5)",
        "values=(1, 2)",
    ] {
        assert!(text.contains(part), "{part} not in {text}");
    }
    let t = Obj::new(Triple {
        pair: Pair { a: 3, b: 4.0 },
        c: 5,
    });
    let text = call("ffi.ReprPrint", &[t.into_any().unwrap()])
        .to::<String>()
        .unwrap();
    assert_eq!(text, "rcobj_tests.reflection.Triple(a=3, b=4, c=5)");
}

#[test]
fn structural_equality_and_json_graphs_through_tvm_ffi() {
    let eq = |a: Any, b: Any| {
        call(
            "ffi.StructuralEqual",
            &[a, b, false.into_any().unwrap(), false.into_any().unwrap()],
        )
        .to::<bool>()
        .unwrap()
    };
    assert!(eq(bag().into_any().unwrap(), bag().into_any().unwrap()));
    let other = Obj::new(Pair { a: 1, b: 0.25 });
    assert!(!eq(
        Obj::new(Pair { a: 1, b: 0.5 }).into_any().unwrap(),
        other.into_any().unwrap()
    ));

    // A JSON graph round trip builds new Rust objects (creator, then the setters).
    let leaf = Obj::new(Tree {
        label: "a leaf, with a label longer than seven bytes".into(),
        ..Tree::default()
    });
    let original = Obj::new(Tree {
        label: "root".into(),
        kids: vec![leaf.clone(), Obj::new(Tree::default())],
        alias: Some(leaf),
    });
    let json = call(
        "ffi.ToJSONGraphString",
        &[original.clone().into_any().unwrap(), Any::none()],
    );
    let back: Obj<Tree> = call("ffi.FromJSONGraphString", &[json])
        .to()
        .expect("a Tree comes back");
    assert!(!Obj::ptr_eq(&back, &original));
    assert_eq!(back.label, "root");
    assert_eq!(back.kids.len(), 2);
    assert_eq!(back.kids[0].label, original.kids[0].label);
    // Sharing survives the graph: the alias and the first kid are one object.
    assert!(Obj::ptr_eq(back.alias.as_ref().unwrap(), &back.kids[0]));
    assert!(eq(
        back.clone().into_any().unwrap(),
        original.clone().into_any().unwrap()
    ));
    drop((back, original));
    assert_eq!(Tree::type_info().live_count(), 0);

    // Fields tvm-ffi cannot see keep their default in a loaded object.
    let json = call(
        "ffi.ToJSONGraphString",
        &[bag().into_any().unwrap(), Any::none()],
    );
    let loaded: Obj<Bag> = call("ffi.FromJSONGraphString", &[json]).to().unwrap();
    assert!(loaded._cache.is_empty() && loaded.opaque.is_empty());
    assert_eq!(
        (loaded.flag, loaded.small, loaded.numbers.as_slice()),
        (true, 7, &[1.0, 2.0][..])
    );
}

#[test]
fn runtime_type_fields_are_registered_too() {
    let released = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = released.clone();
    let ty = RuntimeTypeBuilder::new("rcobj_tests.reflection.Point3")
        .layout(24, 8)
        .field("x", 24, FieldKind::F64)
        .field("y", 32, FieldKind::I32)
        .field("raw", 36, FieldKind::Bytes(4))
        .on_release(move || flag.store(true, std::sync::atomic::Ordering::SeqCst))
        .register()
        .unwrap();
    let entry = type_entry("rcobj_tests.reflection.Point3").unwrap();
    assert_eq!(entry.fields, ["x", "y"], "byte fields stay invisible");
    let obj: AnyObj = ty
        .new_object(|bytes| {
            bytes[..8].copy_from_slice(&2.5f64.to_ne_bytes());
            bytes[8..12].copy_from_slice(&(-3i32).to_ne_bytes());
        })
        .unwrap();
    let text = call("ffi.ReprPrint", &[obj.clone().into_any().unwrap()])
        .to::<String>()
        .unwrap();
    assert_eq!(text, "rcobj_tests.reflection.Point3(x=2.5, y=-3)");
    drop(obj);
    assert!(ty.unregister());
    drop(ty);
    wait_released(&released);

    // Registered again under its key, with the same description, after the first type was
    // released: the same index, and tvm-ffi's reflection is not registered twice (which it
    // would refuse, or abort on).
    let again = RuntimeTypeBuilder::new("rcobj_tests.reflection.Point3")
        .layout(24, 8)
        .field("x", 24, FieldKind::F64)
        .field("y", 32, FieldKind::I32)
        .field("raw", 36, FieldKind::Bytes(4))
        .register()
        .unwrap();
    assert_eq!(again.info().index(), entry.index);
    assert_eq!(
        type_entry("rcobj_tests.reflection.Point3").unwrap().fields,
        ["x", "y"]
    );
    assert!(again.unregister());
}
