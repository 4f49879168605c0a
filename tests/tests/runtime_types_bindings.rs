//! Runtime types for binding authors: an `init` that sets the inherited parts, byte views
//! (shared, and mutable while unique), destructors with a context, and `live_count` (live
//! values) beside `allocated_count` (blocks that keep the type alive). Bad input too: an
//! `init` or a destructor that panics (nothing leaks: checked by a watching allocator and
//! the counts, and by Miri at exit), a mutable view of a shared instance (refused).

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rcobj::{AnyObj, Obj, Object, RuntimeType, RuntimeTypeBuilder};
use rcobj_tests::{DropCounter, Tracked};

#[path = "support/watch.rs"]
mod watch;

#[global_allocator]
static ALLOC: watch::WatchAlloc = watch::WatchAlloc;

/// The header is 24 bytes; with an alignment of at most 8 the value follows it directly.
const VALUE_OFFSET: usize = 24;

fn f64_at(bytes: &[u8], i: usize) -> f64 {
    f64::from_ne_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap())
}

fn set_f64(bytes: &mut [u8], i: usize, v: f64) {
    bytes[i * 8..i * 8 + 8].copy_from_slice(&v.to_ne_bytes());
}

/// Waits until `flag` is set: other test threads that counted objects owe an unregistered
/// type a merge, made at their next count or exit (late, never early).
fn wait_until(flag: &AtomicUsize, value: usize) {
    for _ in 0..10_000 {
        rcobj::merge_thread_counts();
        if flag.load(Ordering::SeqCst) >= value {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert_eq!(flag.load(Ordering::SeqCst), value);
}

/// `Point { x, y }` and `Point3 : Point { z }`, all `f64`.
fn points(prefix: &str) -> (RuntimeType, RuntimeType) {
    let point = RuntimeTypeBuilder::new(format!("{prefix}.Point"))
        .layout(16, 8)
        .register()
        .unwrap();
    let point3 = RuntimeTypeBuilder::new(format!("{prefix}.Point3"))
        .runtime_parent(&point)
        .layout(24, 8)
        .register()
        .unwrap();
    (point, point3)
}

#[test]
fn init_sets_the_inherited_runtime_fields() {
    let (point, point3) = points("tests.bind.init");
    let p = point3
        .new_object(|bytes| {
            assert_eq!(
                bytes.len(),
                24,
                "the whole value, the parent's part included"
            );
            assert!(bytes.iter().all(|b| *b == 0), "zeroed first");
            set_f64(bytes, 0, 1.0); // x, the parent's
            set_f64(bytes, 1, 2.0); // y, the parent's
            set_f64(bytes, 2, 3.0); // z, its own
        })
        .unwrap();
    let as_point = point.bytes(&p).unwrap();
    assert_eq!(as_point.len(), 16, "the parent's layout");
    assert_eq!((f64_at(as_point, 0), f64_at(as_point, 1)), (1.0, 2.0));
    let as_point3 = point3.bytes(&p).unwrap();
    assert_eq!(f64_at(as_point3, 2), 3.0);

    // A grandchild sees all three generations.
    let point4 = RuntimeTypeBuilder::new("tests.bind.init.Point4")
        .runtime_parent(&point3)
        .layout(32, 8)
        .register()
        .unwrap();
    let q = point4.new_object(|b| set_f64(b, 0, 7.0)).unwrap();
    assert_eq!(f64_at(point.bytes(&q).unwrap(), 0), 7.0);
    assert_eq!(point4.bytes(&q).unwrap().len(), 32);
    for t in [&point, &point3, &point4] {
        t.unregister();
    }
}

#[test]
fn init_with_a_rust_base_sets_the_runtime_parents_bytes() {
    let drops = DropCounter::new();
    let ext = RuntimeTypeBuilder::new("tests.bind.base.Ext")
        .parent::<Tracked>()
        .layout(size_of::<Tracked>() + 8, 8)
        .register()
        .unwrap();
    let ext2 = RuntimeTypeBuilder::new("tests.bind.base.Ext2")
        .runtime_parent(&ext)
        .layout(size_of::<Tracked>() + 16, 8)
        .register()
        .unwrap();
    assert_eq!(ext.bytes_offset(), size_of::<Tracked>());
    assert_eq!(ext2.bytes_offset(), size_of::<Tracked>());
    let obj = ext2
        .new_object_with_base(Tracked::new(9, &drops), |bytes| {
            assert_eq!(bytes.len(), 16, "everything after the Rust base");
            bytes[0] = 1; // the runtime parent's byte
            bytes[8] = 2; // its own
        })
        .unwrap();
    assert_eq!(obj.downcast_ref::<Tracked>().unwrap().id, 9);
    assert_eq!(ext.bytes(&obj).unwrap(), [1, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(ext2.bytes(&obj).unwrap()[8], 2);
    // Through a handle of the Rust base too.
    let mut base: Obj<Tracked> = obj.downcast().unwrap();
    assert_eq!(ext2.bytes(&base).unwrap()[0], 1);
    ext2.bytes_mut(&mut base).unwrap()[0] = 5;
    assert_eq!(
        Obj::get_mut(&mut base).unwrap().id,
        9,
        "the base is apart from the bytes"
    );
    assert_eq!(ext.bytes(&base).unwrap()[0], 5);
    drop(base);
    assert_eq!(drops.get(), 1);
    ext.unregister();
    ext2.unregister();
}

#[test]
fn a_panicking_init_leaks_nothing() {
    let drops = DropCounter::new();
    let plain = RuntimeTypeBuilder::new("tests.bind.init_panic.Plain")
        .layout(16, 8)
        .register()
        .unwrap();
    let ext = RuntimeTypeBuilder::new("tests.bind.init_panic.Ext")
        .parent::<Tracked>()
        .layout(size_of::<Tracked>() + 8, 8)
        .register()
        .unwrap();
    let watched: Mutex<Option<watch::Watch>> = Mutex::new(None);
    let r = panic::catch_unwind(AssertUnwindSafe(|| {
        plain.new_object(|bytes| {
            let block = bytes.as_ptr() as usize - VALUE_OFFSET;
            *watched.lock().unwrap() = Some(watch::watch_addr(block));
            panic!("init failed");
        })
    }));
    let payload = r.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"init failed"));
    assert_eq!(watched.lock().unwrap().as_ref().unwrap().frees(), 1);
    assert_eq!((plain.live_count(), plain.allocated_count()), (0, 0));

    let r = panic::catch_unwind(AssertUnwindSafe(|| {
        ext.new_object_with_base(Tracked::new(1, &drops), |bytes| {
            let block = bytes.as_ptr() as usize - VALUE_OFFSET - size_of::<Tracked>();
            *watched.lock().unwrap() = Some(watch::watch_addr(block));
            panic!("init failed");
        })
    }));
    assert!(r.is_err());
    assert_eq!(watched.lock().unwrap().as_ref().unwrap().frees(), 1);
    assert_eq!(drops.get(), 1, "the base is dropped once");
    assert_eq!((ext.live_count(), ext.allocated_count()), (0, 0));

    // The type is unharmed.
    let obj = plain.new_object(|b| b[0] = 1).unwrap();
    assert_eq!(plain.live_count(), 1);
    drop(obj);
    plain.unregister();
    ext.unregister();
}

#[test]
fn byte_views_check_the_type() {
    #[derive(Object)]
    #[object(key = "tests.bind.views.Rust")]
    struct Rust(#[allow(dead_code)] u64);

    let (point, point3) = points("tests.bind.views");
    let other = RuntimeTypeBuilder::new("tests.bind.views.Other")
        .layout(16, 8)
        .register()
        .unwrap();
    let p = point.new_object(|b| b[0] = 1).unwrap();
    let p3 = point3.new_object(|b| b[16] = 3).unwrap();
    let rust: AnyObj = Obj::new(Rust(0)).upcast();

    assert!(point3.bytes(&p).is_none(), "a parent is not a child");
    assert!(other.bytes(&p).is_none(), "an unrelated runtime type");
    assert!(point.bytes(&rust).is_none(), "a Rust object");
    assert_eq!(
        point.bytes(&p3).unwrap().len(),
        16,
        "a child viewed as its parent"
    );
    assert_eq!(point3.bytes(&p3).unwrap()[16], 3);

    let mut p_mut = p.clone();
    drop(p);
    assert!(
        point3.bytes_mut(&mut p_mut).is_none(),
        "wrong type, even if unique"
    );
    assert!(point.bytes_mut(&mut p_mut).is_some());
    for t in [&point, &point3, &other] {
        t.unregister();
    }
}

#[test]
fn a_mutable_view_of_a_shared_instance_is_refused() {
    let (point, point3) = points("tests.bind.mut");
    let mut obj = point3.new_object(|_| {}).unwrap();
    set_f64(point.bytes_mut(&mut obj).unwrap(), 0, 4.5);
    assert_eq!(f64_at(point3.bytes(&obj).unwrap(), 0), 4.5);

    let clone = obj.clone();
    assert!(
        point3.bytes_mut(&mut obj).is_none(),
        "another strong handle"
    );
    assert_eq!(
        f64_at(point3.bytes(&clone).unwrap(), 0),
        4.5,
        "shared views are fine"
    );
    drop(clone);
    let weak = Obj::downgrade(&obj);
    assert!(point3.bytes_mut(&mut obj).is_none(), "a weak handle");
    drop(weak);
    // On another thread's handle: still refused while this thread keeps one.
    let sent = obj.clone();
    let t = std::thread::spawn(move || {
        let mut sent = sent;
        let ty = RuntimeType::lookup("tests.bind.mut.Point3").unwrap();
        ty.bytes_mut(&mut sent).is_none()
    });
    assert!(t.join().unwrap());
    set_f64(point3.bytes_mut(&mut obj).unwrap(), 2, 1.0);
    assert_eq!(f64_at(point3.bytes(&obj).unwrap(), 2), 1.0);
    point.unregister();
    point3.unregister();
}

#[test]
fn destructors_carry_a_context_and_run_child_first() {
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let released = Arc::new(AtomicUsize::new(0));
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    let r = released.clone();
    let point = RuntimeTypeBuilder::new("tests.bind.dtor.Point")
        .layout(16, 8)
        .destructor(move |b| {
            l1.lock()
                .unwrap()
                .push(format!("Point({}, {})", f64_at(b, 0), f64_at(b, 1)))
        })
        .on_release(move || {
            // The destructors' contexts are gone before `on_release` runs.
            l3.lock().unwrap().push("released Point".into());
            r.fetch_add(1, Ordering::SeqCst);
        })
        .register()
        .unwrap();
    let point3 = RuntimeTypeBuilder::new("tests.bind.dtor.Point3")
        .runtime_parent(&point)
        .layout(24, 8)
        .destructor(move |b| {
            l2.lock()
                .unwrap()
                .push(format!("Point3(z = {})", f64_at(b, 2)))
        })
        .register()
        .unwrap();
    let obj = point3
        .new_object(|b| {
            set_f64(b, 0, 1.0);
            set_f64(b, 1, 2.0);
            set_f64(b, 2, 3.0);
        })
        .unwrap();
    // Destroyed on another thread.
    std::thread::spawn(move || drop(obj)).join().unwrap();
    assert_eq!(*log.lock().unwrap(), ["Point3(z = 3)", "Point(1, 2)"]);
    assert_eq!(point3.live_count(), 0);

    point3.unregister();
    point.unregister();
    drop((point3, point));
    wait_until(&released, 1);
    assert_eq!(log.lock().unwrap().last().unwrap(), "released Point");
    assert_eq!(
        Arc::strong_count(&log),
        1,
        "every context was dropped with its type"
    );
}

#[test]
fn a_panicking_destructor_is_like_a_panicking_drop() {
    let drops = DropCounter::new();
    let parent_ran = Arc::new(AtomicUsize::new(0));
    let pr = parent_ran.clone();
    let parent = RuntimeTypeBuilder::new("tests.bind.dtor_panic.Parent")
        .parent::<Tracked>()
        .layout(size_of::<Tracked>() + 8, 8)
        .destructor(move |_| {
            pr.fetch_add(1, Ordering::SeqCst);
            panic!("parent destructor");
        })
        .register()
        .unwrap();
    let child = RuntimeTypeBuilder::new("tests.bind.dtor_panic.Child")
        .runtime_parent(&parent)
        .layout(size_of::<Tracked>() + 16, 8)
        .destructor(|_| panic!("child destructor"))
        .register()
        .unwrap();

    let mut block = 0;
    let obj = child
        .new_object_with_base(Tracked::new(1, &drops), |b| {
            block = b.as_ptr() as usize - VALUE_OFFSET - size_of::<Tracked>();
        })
        .unwrap();
    let watched = watch::watch_addr(block);
    let payload = panic::catch_unwind(AssertUnwindSafe(move || drop(obj))).unwrap_err();
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"child destructor"),
        "the first panic reaches the caller"
    );
    assert_eq!(
        parent_ran.load(Ordering::SeqCst),
        1,
        "the parent's destructor still ran"
    );
    assert_eq!(drops.get(), 1, "the Rust base was dropped");
    assert_eq!(watched.frees(), 1, "the block was freed");
    assert_eq!((child.live_count(), child.allocated_count()), (0, 0));

    // The weak phase, later: the strong phase's panic still reaches the strong release.
    let obj = child
        .new_object_with_base(Tracked::new(2, &drops), |_| {})
        .unwrap();
    let weak = Obj::downgrade(&obj);
    assert!(panic::catch_unwind(AssertUnwindSafe(move || drop(obj))).is_err());
    assert_eq!((child.live_count(), child.allocated_count()), (0, 1));
    drop(weak);
    assert_eq!(child.allocated_count(), 0);
    assert_eq!(drops.get(), 2);
    child.unregister();
    parent.unregister();
}

#[test]
fn live_count_counts_values_and_allocated_count_blocks() {
    let released = Arc::new(AtomicUsize::new(0));
    let r = released.clone();
    let ty = RuntimeTypeBuilder::new("tests.bind.counts.T")
        .layout(8, 8)
        .on_release(move || {
            r.fetch_add(1, Ordering::SeqCst);
        })
        .register()
        .unwrap();
    let a = ty.new_object(|_| {}).unwrap();
    let b = ty.new_object(|_| {}).unwrap();
    assert_eq!((ty.live_count(), ty.allocated_count()), (2, 2));
    assert_eq!(ty.info().live_count(), 2, "the same through the descriptor");
    let weak = Obj::downgrade(&a);
    drop(a);
    assert_eq!(
        (ty.live_count(), ty.allocated_count()),
        (1, 2),
        "a weak handle keeps memory"
    );

    // Created on one thread, destroyed on another (and a value count in two slots).
    let t = ty.clone();
    let made = std::thread::spawn(move || t.new_object(|_| {}).unwrap())
        .join()
        .unwrap();
    assert_eq!((ty.live_count(), ty.allocated_count()), (2, 3));
    std::thread::spawn(move || drop((made, b))).join().unwrap();
    assert_eq!((ty.live_count(), ty.allocated_count()), (0, 1));

    // After `unregister` the counts stay exact (they move to the shared counters).
    let c = ty.new_object(|_| {}).unwrap();
    ty.unregister();
    let d = ty.new_object(|_| {}).unwrap();
    assert_eq!((ty.live_count(), ty.allocated_count()), (2, 3));
    std::thread::spawn(move || drop(c)).join().unwrap();
    drop(d);
    rcobj::merge_thread_counts();
    assert_eq!((ty.live_count(), ty.allocated_count()), (0, 1));
    drop(ty);
    rcobj::merge_thread_counts();
    assert_eq!(
        released.load(Ordering::SeqCst),
        0,
        "the weak handle's block keeps the type"
    );
    drop(weak);
    wait_until(&released, 1);
}
