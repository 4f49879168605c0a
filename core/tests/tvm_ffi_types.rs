//! One type system with tvm-ffi (feature `tvm-ffi`): what both type tables say about every
//! type, and the decisions that hold only for the pinned libtvm_ffi.
#![cfg(all(feature = "tvm-ffi", not(miri), not(loom)))]

mod support;

use support::wait_released;

/// `include/README.md` ("tvm-ffi's allocation header") decides not to reserve
/// `TVMFFIObjectAllocHeader` before rcobj objects, for C ABI 0.1.16 only, where it is
/// dormant. Another ABI version must re-open that decision before this test is updated.
#[test]
fn alloc_header_decision_is_for_this_c_abi() {
    assert_eq!(
        rcobj::tvm_ffi::c_abi_version(),
        (0, 1, 16),
        "libtvm_ffi's C ABI changed: re-check the allocation-header decision in include/README.md"
    );
}

use rcobj::tvm_ffi::{Any, Function, IntoAny};

use rcobj::{registry, AnyObj, AnyObject, Obj, Object, RuntimeTypeBuilder, RuntimeTypeError};

#[derive(Object, Default)]
#[object(key = "rcobj_tests.types.Shape")]
struct Shape {
    sides: i64,
}

#[derive(Object, Default)]
#[repr(C)]
#[object(key = "rcobj_tests.types.Square", final)]
struct Square {
    #[parent]
    shape: Shape,
    side: f64,
}

/// Whether libtvm_ffi's type table has `key` (through its public function).
fn tvm_ffi_has(key: &str) -> bool {
    Function::get_global("ffi.GetRegisteredTypeKeys")
        .unwrap()
        .call(&[])
        .unwrap()
        .to::<Vec<String>>()
        .unwrap()
        .iter()
        .any(|k| k == key)
}

#[test]
fn derived_types_get_their_index_from_tvm_ffi() {
    let shape = Shape::type_info();
    let square = Square::type_info();
    // Indices are tvm-ffi's dynamic ones, and tvm-ffi has the keys.
    assert!(shape.index() >= 128 && square.index() >= 128);
    assert!(tvm_ffi_has("rcobj_tests.types.Shape"));
    assert!(tvm_ffi_has("rcobj_tests.types.Square"));
    // tvm-ffi finds the type by the object's index: its printer names it.
    let sq = Obj::new(Square {
        shape: Shape { sides: 4 },
        side: 1.5,
    });
    let repr = Function::get_global("ffi.ReprPrint").expect("ffi.ReprPrint");
    let text = repr
        .call(&[sq.clone().into_any().unwrap()])
        .unwrap()
        .to::<String>()
        .unwrap();
    assert!(text.starts_with("rcobj_tests.types.Square"), "{text}");
}

/// Both tables agree on index, key, depth and ancestors.
fn assert_agree(info: &rcobj::TypeInfo) {
    let entry = rcobj::tvm_ffi::type_entry(info.key()).expect("tvm-ffi has the key");
    assert_eq!(entry.index, info.index(), "{}", info.key());
    assert_eq!(entry.key, info.key());
    assert_eq!(entry.depth, info.depth());
    let mut ours: Vec<String> = info
        .ancestors()
        .iter()
        .map(|a| a.key().to_string())
        .collect();
    ours[0] = "ffi.Object".into(); // the root's key there
    assert_eq!(entry.ancestors, ours);
}

#[test]
fn both_tables_agree() {
    assert_agree(Shape::type_info());
    assert_agree(Square::type_info());
    let ty = RuntimeTypeBuilder::new("rcobj_tests.types.Agree")
        .parent::<Square>()
        .layout(32, 8)
        .register();
    // `Square` is final: the registry refuses before tvm-ffi is asked.
    assert!(matches!(ty, Err(RuntimeTypeError::FinalParent { .. })));
    let base = RuntimeTypeBuilder::new("rcobj_tests.types.AgreeBase")
        .parent::<Shape>()
        .layout(16, 8)
        .register()
        .unwrap();
    let child = RuntimeTypeBuilder::new("rcobj_tests.types.AgreeChild")
        .runtime_parent(&base)
        .layout(24, 8)
        .register()
        .unwrap();
    assert_agree(base.info());
    assert_agree(child.info());
    assert!(child.unregister() && base.unregister());
    // tvm-ffi's own types, as the registry mirrors them.
    for key in ["ffi.Array", "ffi.Function", "ffi.Error", "ffi.String"] {
        assert_agree(&registry::by_key(key).unwrap());
    }
}

#[test]
fn tvm_ffi_types_are_foreign_types_of_the_registry() {
    let array = registry::by_key("ffi.Array").expect("ffi.Array is known");
    assert_eq!(array.index(), 71);
    assert_eq!(array.depth(), 1);
    assert_eq!(array.ancestors()[0].key(), AnyObject::KEY);
    assert!(registry::by_index(71).is_some_and(|t| t.key() == "ffi.Array"));
    assert!(registry::by_key("ffi.Object").is_some_and(|t| t.index() == 64));
    // A dynamic tvm-ffi type, allocated by libtvm_ffi at load time.
    let enum_state = registry::by_index(128).expect("tvm-ffi's first dynamic type");
    assert!(
        !enum_state.key().starts_with("rcobj"),
        "{}",
        enum_state.key()
    );

    // Objects tvm-ffi made know their type on the Rust side.
    let v: Any = vec![1i64, 2].into_any().unwrap();
    let obj: AnyObj = v.as_object().unwrap();
    assert_eq!(Obj::type_info(&obj).key(), "ffi.Array");
    assert!(obj.is_instance_of(&array));
    assert!(!obj.is::<Shape>());
    let f = Function::get_global("ffi.ArraySize").unwrap();
    let fobj = f.as_object().clone();
    assert_eq!(Obj::type_info(&fobj).key(), "ffi.Function");
    assert!(!fobj.is_instance_of(&array));
}

#[test]
fn a_key_tvm_ffi_has_is_refused_with_a_clear_error() {
    // A runtime type under one of tvm-ffi's own keys.
    let err = RuntimeTypeBuilder::new("ffi.Array").register().unwrap_err();
    match &err {
        RuntimeTypeError::TvmFfi { key, reason } => {
            assert_eq!(key, "ffi.Array");
            assert!(reason.contains("already registered in tvm-ffi"), "{reason}");
        }
        other => panic!("unexpected error: {other:?}"),
    }
    // With another parent: the error says so.
    let err = RuntimeTypeBuilder::new("ffi.reflection.AccessPath")
        .parent::<Shape>()
        .layout(8, 8)
        .register()
        .unwrap_err();
    assert!(err.to_string().contains("with another parent"), "{err}");
}

#[test]
fn runtime_types_get_their_index_from_tvm_ffi_too() {
    let released = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = released.clone();
    let ty = RuntimeTypeBuilder::new("rcobj_tests.types.Dynamic")
        .parent::<Shape>()
        .layout(16, 8)
        .on_release(move || flag.store(true, std::sync::atomic::Ordering::SeqCst))
        .register()
        .unwrap();
    let index = ty.info().index();
    assert!(index >= 128);
    assert!(tvm_ffi_has("rcobj_tests.types.Dynamic"));
    assert!(registry::by_index(index).is_some_and(|t| t.key() == "rcobj_tests.types.Dynamic"));
    assert!(ty.unregister());
    drop(ty);
    wait_released(&released);
    // The key keeps its tvm-ffi index: registered again (released, same description), it
    // gets it back; with another description, a clear error.
    let released = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = released.clone();
    let again = RuntimeTypeBuilder::new("rcobj_tests.types.Dynamic")
        .parent::<Shape>()
        .layout(16, 8)
        .on_release(move || flag.store(true, std::sync::atomic::Ordering::SeqCst))
        .register()
        .unwrap();
    assert_eq!(again.info().index(), index);
    assert!(again.unregister());
    drop(again);
    wait_released(&released);
    let other = RuntimeTypeBuilder::new("rcobj_tests.types.Dynamic")
        .parent::<Shape>()
        .layout(32, 8)
        .register()
        .unwrap_err();
    assert!(matches!(other, RuntimeTypeError::TvmFfi { .. }), "{other}");
}

/// Claims one of tvm-ffi's own keys (same parent, `ffi.Object`).
#[derive(Object)]
#[object(key = "ffi.Shape")]
struct Impostor(#[allow(dead_code)] u8);

/// Claims one of tvm-ffi's own keys, under another parent.
#[derive(Object)]
#[repr(C)]
#[object(key = "ffi.Tensor")]
struct ImpostorChild {
    #[parent]
    shape: Shape,
}

fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let payload = std::panic::catch_unwind(f).expect_err("a panic");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn a_derived_type_under_a_tvm_ffi_key_is_refused_and_nothing_else() {
    let msg = panic_message(|| {
        Impostor::type_info().index();
    });
    assert!(
        msg.contains("`ffi.Shape` is already registered in tvm-ffi"),
        "{msg}"
    );
    assert!(msg.contains("another runtime"), "{msg}");
    let msg = panic_message(|| {
        ImpostorChild::type_info().index();
    });
    assert!(msg.contains("with another parent, `ffi.Object`"), "{msg}");
    // tvm-ffi's types keep their keys; other rcobj types are not affected.
    assert_eq!(registry::by_key("ffi.Shape").unwrap().index(), 69);
    assert_eq!(registry::by_key("ffi.Tensor").unwrap().index(), 70);
    let _ = Obj::new(Shape { sides: 3 });
}

/// A type with the default key (its Rust path), which the registry decides while it is built.
#[derive(Object, Default)]
struct DefaultKeyed {
    x: i64,
}

#[test]
fn a_default_key_reaches_tvm_ffi_as_the_registry_decided_it() {
    let info = DefaultKeyed::type_info();
    assert!(info.key().ends_with("::DefaultKeyed"), "{}", info.key());
    assert_agree(info);
    let entry = rcobj::tvm_ffi::type_entry(info.key()).unwrap();
    assert_eq!(entry.fields, ["x"]);
}

#[test]
fn concurrent_registrations_are_serialised_through_the_type_lock() {
    // libtvm_ffi's table has no lock of its own: eight threads registering at once must
    // each get a distinct index that tvm-ffi agrees on.
    let threads: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                (0..16)
                    .map(|i| {
                        RuntimeTypeBuilder::new(format!("rcobj_tests.types.Concurrent{t}_{i}"))
                            .parent::<Shape>()
                            .layout(16, 8)
                            .register()
                            .unwrap()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let types: Vec<_> = threads
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let mut indices: Vec<i32> = types.iter().map(|t| t.info().index()).collect();
    indices.sort_unstable();
    indices.dedup();
    assert_eq!(indices.len(), types.len());
    for ty in &types {
        assert_agree(ty.info());
        assert!(ty.unregister());
    }
}
