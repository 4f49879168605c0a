//! Runtime-defined types: registration, lookups, instances, casts, release and recycling,
//! and every bad input.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rcobj::{registry, AnyObj, Obj, RuntimeType, RuntimeTypeBuilder, RuntimeTypeError};
use rcobj_tests::{DropCounter, Shape, Square, Tracked};

static OWN_DROPS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn count_drop(_value: *mut u8) {
    OWN_DROPS.fetch_add(1, Ordering::SeqCst);
}

/// Waits until `flag` is set. Other test threads of this binary that counted objects owe
/// the type a merge, which they make at their next count operation or when they exit: the
/// release can be late, never early.
fn wait_released(flag: &AtomicUsize) {
    for _ in 0..10_000 {
        rcobj::merge_thread_counts();
        if flag.load(Ordering::SeqCst) != 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert_eq!(flag.load(Ordering::SeqCst), 1, "released exactly once");
}

fn released_flag() -> (Arc<AtomicUsize>, impl FnOnce() + Send + 'static) {
    let flag = Arc::new(AtomicUsize::new(0));
    let f = flag.clone();
    (flag, move || {
        f.fetch_add(1, Ordering::SeqCst);
    })
}

#[test]
fn register_lookup_instantiate_unregister_release() {
    let (released, on_release) = released_flag();
    let ty = RuntimeTypeBuilder::new("tests.rt.Point")
        .layout(16, 8)
        .on_release(on_release)
        .register()
        .unwrap();
    let index = ty.index();
    assert!(index >= 128);
    assert_eq!(ty.key(), "tests.rt.Point");
    let info = registry::by_key("tests.rt.Point").expect("registered");
    assert!(info.is_runtime());
    assert!(info.as_static().is_none());
    assert_eq!(info.index(), index);
    assert_eq!(registry::by_index(index).unwrap().key(), "tests.rt.Point");
    assert_eq!(info.depth(), 1);
    assert_eq!(info.parent().unwrap().key(), "rcobj.Object");
    assert!(RuntimeType::lookup("tests.rt.Point").is_some());
    assert!(
        RuntimeType::lookup("tests.Shape").is_none(),
        "a static type"
    );
    assert!(registry::all().iter().any(|t| t.key() == "tests.rt.Point"));
    drop(info);

    let obj = ty
        .new_object(|bytes| {
            assert_eq!(bytes.len(), 16);
            assert!(bytes.iter().all(|b| *b == 0), "zeroed first");
            bytes[0] = 42;
        })
        .unwrap();
    assert_eq!(Obj::header(&obj).type_index(), index);
    assert_eq!(Obj::type_info(&obj).key(), "tests.rt.Point");
    assert!(obj.is_instance_of(ty.info()));
    assert!(!obj.is::<Shape>());
    assert!(obj.is::<rcobj::AnyObject>());
    assert_eq!(ty.live_count(), 1);
    let second = obj.clone();
    assert_eq!(ty.live_count(), 1);

    assert!(ty.unregister());
    assert!(!ty.unregister(), "only once");
    assert!(!ty.is_registered());
    assert!(registry::by_key("tests.rt.Point").is_none());
    assert!(registry::by_index(index).is_none());
    assert!(obj.is_instance_of(ty.info()), "instances keep working");
    let more = ty.new_object(|_| {}).unwrap();
    assert_eq!(ty.live_count(), 2);
    drop((obj, second, more));
    assert_eq!(ty.live_count(), 0);
    rcobj::merge_thread_counts();
    assert_eq!(
        released.load(Ordering::SeqCst),
        0,
        "a handle is still alive"
    );
    drop(ty);
    wait_released(&released);

    // The key is free again (index recycling is checked in `runtime_type_race.rs`).
    let again = RuntimeTypeBuilder::new("tests.rt.Point")
        .register()
        .unwrap();
    assert_eq!(again.live_count(), 0);
    again.unregister();
}

#[test]
fn released_by_the_last_instance() {
    let (released, on_release) = released_flag();
    let before = OWN_DROPS.load(Ordering::SeqCst);
    // SAFETY: `count_drop` ignores the value and does not unwind.
    let ty = unsafe {
        RuntimeTypeBuilder::new("tests.rt.Last")
            .layout(4, 4)
            .drop_fn(count_drop)
            .on_release(on_release)
    }
    .register()
    .unwrap();
    let obj = ty
        .new_object(|b| b.copy_from_slice(&7u32.to_ne_bytes()))
        .unwrap();
    let weak = Obj::downgrade(&obj);
    ty.unregister();
    drop(ty);
    rcobj::merge_thread_counts();
    assert_eq!(released.load(Ordering::SeqCst), 0, "an instance is alive");
    drop(obj);
    assert_eq!(
        OWN_DROPS.load(Ordering::SeqCst),
        before + 1,
        "value dropped"
    );
    rcobj::merge_thread_counts();
    assert_eq!(
        released.load(Ordering::SeqCst),
        0,
        "the instance's memory (kept by a weak ref) still needs the layout"
    );
    assert!(weak.upgrade().is_none());
    drop(weak);
    wait_released(&released);
}

#[test]
fn static_parent_and_casts() {
    let drops = DropCounter::new();
    let size = std::mem::size_of::<Tracked>() + 8;
    let ty = RuntimeTypeBuilder::new("tests.rt.TrackedPlus")
        .parent::<Tracked>()
        .layout(size, std::mem::align_of::<Tracked>())
        .register()
        .unwrap();
    assert_eq!(ty.info().depth(), 2);
    assert_eq!(ty.info().ancestors()[1].key(), "tests.Tracked");
    let err = ty.new_object(|_| {}).unwrap_err();
    assert!(matches!(err, RuntimeTypeError::NeedsBase { .. }), "{err}");
    let err = ty
        .new_object_with_base(Shape::default(), |_| {})
        .unwrap_err();
    assert!(matches!(err, RuntimeTypeError::WrongBase { .. }), "{err}");

    let obj: AnyObj = ty
        .new_object_with_base(Tracked::new(5, &drops), |extra| {
            assert_eq!(extra.len(), 8);
            extra[0] = 1;
        })
        .unwrap();
    assert!(obj.is::<Tracked>());
    assert_eq!(obj.downcast_ref::<Tracked>().unwrap().id, 5);
    let tracked: Obj<Tracked> = obj.downcast::<Tracked>().unwrap();
    assert_eq!(Obj::type_info(&tracked).key(), "tests.rt.TrackedPlus");
    assert!(
        Obj::try_unwrap(tracked.clone()).is_err(),
        "not exactly a Tracked"
    );
    drop(tracked);
    assert_eq!(drops.get(), 1, "the Rust base is dropped with the instance");
    ty.unregister();
}

#[test]
fn runtime_parent_chain() {
    let (parent_released, on_parent) = released_flag();
    let parent = RuntimeTypeBuilder::new("tests.rt.Base")
        .layout(8, 8)
        .on_release(on_parent)
        .register()
        .unwrap();
    let child = RuntimeTypeBuilder::new("tests.rt.Child")
        .runtime_parent(&parent)
        .layout(24, 8)
        .final_type()
        .register()
        .unwrap();
    assert_eq!(child.info().depth(), 2);
    assert!(child.info().is_a(parent.info()));
    // `init` sees the whole value, the parent's 8 bytes included.
    let obj = child.new_object(|b| assert_eq!(b.len(), 24)).unwrap();
    assert!(obj.is_instance_of(parent.info()));
    assert!(obj.is_instance_of(child.info()));
    let base_obj = parent.new_object(|_| {}).unwrap();
    assert!(!base_obj.is_instance_of(child.info()));

    let err = RuntimeTypeBuilder::new("tests.rt.GrandChild")
        .runtime_parent(&child)
        .layout(24, 8)
        .register()
        .unwrap_err();
    assert_eq!(
        err,
        RuntimeTypeError::FinalParent {
            parent: "tests.rt.Child".into()
        }
    );

    parent.unregister();
    drop(parent);
    drop(base_obj);
    rcobj::merge_thread_counts();
    assert_eq!(
        parent_released.load(Ordering::SeqCst),
        0,
        "the child keeps it"
    );
    let err = RuntimeTypeBuilder::new("tests.rt.Orphan")
        .runtime_parent(&RuntimeType::lookup("tests.rt.Child").unwrap())
        .layout(24, 8)
        .register()
        .unwrap_err();
    assert!(matches!(err, RuntimeTypeError::FinalParent { .. }));
    child.unregister();
    drop((child, obj));
    wait_released(&parent_released);
}

#[test]
fn unregistered_parent_is_refused() {
    let parent = RuntimeTypeBuilder::new("tests.rt.Gone").register().unwrap();
    parent.unregister();
    let err = RuntimeTypeBuilder::new("tests.rt.OfGone")
        .runtime_parent(&parent)
        .register()
        .unwrap_err();
    assert_eq!(
        err,
        RuntimeTypeError::ParentUnregistered {
            parent: "tests.rt.Gone".into()
        }
    );
    assert!(registry::by_key("tests.rt.OfGone").is_none());
}

#[test]
fn bad_input_is_an_error_and_registers_nothing() {
    let cases: Vec<(RuntimeTypeBuilder, &str)> =
        vec![
        (RuntimeTypeBuilder::new(""), "empty"),
        (RuntimeTypeBuilder::new("tests.Shape"), "already registered by `rcobj_tests::Shape`"),
        (RuntimeTypeBuilder::new("rcobj.Object"), "already registered"),
        (RuntimeTypeBuilder::new("tests.rt.bad.Zero").layout(8, 0), "alignment is zero"),
        (
            RuntimeTypeBuilder::new("tests.rt.bad.Three").layout(8, 3),
            "alignment 3 is not a power of two",
        ),
        (
            RuntimeTypeBuilder::new("tests.rt.bad.Final")
                .parent::<Square>()
                .layout(64, 8),
            "parent `tests.Square` is final",
        ),
        (
            RuntimeTypeBuilder::new("tests.rt.bad.Offset")
                .parent::<Shape>()
                .layout(64, 32),
            "puts the value at offset 32 after the header, but the parent's value is at offset 24",
        ),
        (
            RuntimeTypeBuilder::new("tests.rt.bad.Small")
                .parent::<Shape>()
                .layout(8, 8),
            "smaller than the parent's value size",
        ),
        (
            RuntimeTypeBuilder::new("tests.rt.bad.Under")
                .parent::<Shape>()
                .layout(64, 4),
            "below the parent's alignment 8",
        ),
        (
            RuntimeTypeBuilder::new("tests.rt.bad.Huge").layout(usize::MAX - 8, 8),
            "too large",
        ),
    ];
    for (builder, expected) in cases {
        let err = builder.register().unwrap_err();
        assert!(err.to_string().contains(expected), "{err} / {expected}");
    }
    assert!(
        !registry::all()
            .iter()
            .any(|t| t.key().starts_with("tests.rt.bad.")),
        "nothing half-registered"
    );
    for key in [
        "tests.rt.bad.Zero",
        "tests.rt.bad.Final",
        "tests.rt.bad.Offset",
    ] {
        assert!(registry::by_key(key).is_none());
        // The key is still free.
        RuntimeTypeBuilder::new(key)
            .register()
            .unwrap()
            .unregister();
    }
}

#[test]
fn duplicate_runtime_key() {
    let a = RuntimeTypeBuilder::new("tests.rt.Dup").register().unwrap();
    let err = RuntimeTypeBuilder::new("tests.rt.Dup")
        .register()
        .unwrap_err();
    assert_eq!(
        err,
        RuntimeTypeError::DuplicateKey {
            key: "tests.rt.Dup".into(),
            existing: "<runtime type>".into()
        }
    );
    a.unregister();
    let b = RuntimeTypeBuilder::new("tests.rt.Dup").register().unwrap();
    assert!(b.is_registered());
    b.unregister();
}

#[test]
fn init_panic_frees_and_counts_nothing() {
    let drops = DropCounter::new();
    let ty = RuntimeTypeBuilder::new("tests.rt.InitPanics")
        .parent::<Tracked>()
        .layout(std::mem::size_of::<Tracked>() + 4, 8)
        .register()
        .unwrap();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        ty.new_object_with_base(Tracked::new(1, &drops), |_| panic!("init failed"))
    }));
    assert!(r.is_err());
    assert_eq!(drops.get(), 1, "the base was dropped");
    assert_eq!(ty.live_count(), 0);
    ty.unregister();
}

/// `parent::<AnyObject>()` is the root, as with no parent: the type can be instantiated
/// with `new_object` (it used to need a base of type `AnyObject`, which has no value and
/// cannot be made, so it could never be instantiated).
#[test]
fn any_object_parent_is_the_root() {
    let ty = RuntimeTypeBuilder::new("tests.rt.AnyObjectParent")
        .parent::<rcobj::AnyObject>()
        .layout(8, 8)
        .register()
        .unwrap();
    assert_eq!(ty.info().depth(), 1);
    assert_eq!(ty.info().parent().unwrap().key(), rcobj::AnyObject::KEY);
    assert_eq!(ty.info().ancestors().len(), 1);
    let obj = ty.new_object(|b| b[0] = 7).expect("instantiable");
    assert!(obj.is_instance_of(ty.info()));
    assert!(obj.is::<rcobj::AnyObject>());
    assert_eq!(ty.live_count(), 1);
    drop(obj);
    assert_eq!(ty.live_count(), 0);
    ty.unregister();
}
