//! C and C++ built against `DEP_RCOBJ_INCLUDE` (see `build.rs`) handling Rust objects, and
//! Rust handling C++ objects. `.ci/cabi.sh` also runs this binary under valgrind.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rcobj::c_api::TYPE_INDEX_NONE;
use rcobj::{AnyObj, AnyObject, Obj, Object, ObjectHeader, DELETER_BOTH, DELETER_WEAK};
use rcobj_c_consumer::*;

fn widget(id: u64) -> (Obj<Widget>, Arc<AtomicUsize>) {
    let drops = Arc::new(AtomicUsize::new(0));
    let o = Obj::new(Widget {
        id,
        drops: drops.clone(),
    });
    (o, drops)
}

fn knob(id: u64) -> (Obj<Knob>, Arc<AtomicUsize>) {
    let drops = Arc::new(AtomicUsize::new(0));
    let widget = Widget {
        id,
        drops: drops.clone(),
    };
    (Obj::new(Knob { widget, turns: 3 }), drops)
}

#[test]
fn compiled_against_the_include_dir_rcobj_publishes() {
    let dir = Path::new(INCLUDE_DIR);
    assert!(dir.is_absolute(), "{INCLUDE_DIR}");
    assert!(dir.join("rcobj.h").is_file());
    // The rcobj crate's own `include/` directory (here, in the workspace checkout).
    let expected = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../core/include");
    assert_eq!(
        dir.canonicalize().unwrap(),
        expected.canonicalize().unwrap()
    );
}

#[test]
fn c_counts_and_reads_the_type_of_a_rust_object() {
    let (k, drops) = knob(1);
    let h = Obj::into_raw(k.clone().upcast::<AnyObject>());
    // SAFETY: `h` owns the strong reference we handed over; `k` keeps the object alive.
    unsafe {
        consumer_c_retain(h);
        assert_eq!(Obj::strong_count(&k), 3);
        assert_eq!(consumer_c_strong_count(h), 3);
        consumer_c_retain_weak(h);
        assert_eq!(Obj::weak_count(&k), 1);
        assert_eq!(consumer_c_promote(h), 1);
        assert_eq!(Obj::strong_count(&k), 4);
        consumer_c_release(h);
        consumer_c_release(h);
        assert_eq!(Obj::strong_count(&k), 2);

        assert_eq!(c_type_key(h).as_deref(), Some("consumer.Knob"));
        assert_eq!(
            c_key_of_index(Knob::type_info().index()).as_deref(),
            Some("consumer.Knob")
        );
        assert_eq!(
            consumer_c_index_of(c"consumer.Widget".as_ptr()),
            Widget::type_info().index()
        );
        assert_eq!(consumer_c_is(h, c"consumer.Widget".as_ptr()), 1);
        assert_eq!(consumer_c_is(h, c"consumer.Knob".as_ptr()), 1);
        assert_eq!(consumer_c_is(h, c"rcobj.Object".as_ptr()), 1);
        assert_eq!(consumer_c_is(h, c"consumer.Missing".as_ptr()), -1);
        assert_eq!(
            consumer_c_index_of(c"consumer.Missing".as_ptr()),
            TYPE_INDEX_NONE
        );

        // C drops the reference it was handed; Rust's last one runs the destructor, and
        // C's weak reference frees the memory.
        consumer_c_release(h);
        assert_eq!(Obj::strong_count(&k), 1);
        drop(k);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        assert_eq!(consumer_c_strong_count(h), 0);
        assert_eq!(consumer_c_promote(h), 0);
        consumer_c_release_weak(h);
    }

    let (w, _drops) = widget(2);
    let any: AnyObj = w.upcast();
    // SAFETY: `any` is live.
    unsafe {
        assert_eq!(
            c_type_key(Obj::header(&any)).as_deref(),
            Some("consumer.Widget")
        );
        assert_eq!(
            consumer_c_is(Obj::header(&any), c"consumer.Knob".as_ptr()),
            0
        );
    }
}

#[test]
fn cpp_builds_are_the_standards_they_claim() {
    let [(n11, cpp11), (n17, cpp17)] = cpp_builds();
    assert_eq!((n11, cpp11.standard), ("C++11", 201103));
    assert_eq!((n17, cpp17.standard), ("C++17", 201703));
}

#[test]
fn cpp_uses_rust_objects() {
    for (std, api) in cpp_builds() {
        let (k, drops) = knob(3);
        let h = Obj::into_raw(k.clone().upcast::<AnyObject>());
        // SAFETY: C++ takes over the reference in `h`; `k` is the one more Rust keeps.
        let line = unsafe {
            (api.use_rust_object)(
                h,
                c"consumer.Knob".as_ptr(),
                Widget::type_info().index(),
                Gauge::type_info().index(),
            )
        };
        assert_eq!(line, 0, "{std}: check at line {line} failed");
        assert_eq!(
            (Obj::strong_count(&k), Obj::weak_count(&k)),
            (1, 0),
            "{std}"
        );
        drop(k);
        assert_eq!(drops.load(Ordering::SeqCst), 1, "{std}");

        // A root type: a sibling type is unrelated.
        let (w, drops) = widget(4);
        let h = Obj::into_raw(w.clone().upcast::<AnyObject>());
        // SAFETY: as above.
        let line = unsafe {
            (api.use_rust_object)(
                h,
                c"consumer.Widget".as_ptr(),
                rcobj::ANY_OBJECT_INDEX,
                Knob::type_info().index(),
            )
        };
        assert_eq!(line, 0, "{std}: check at line {line} failed");
        drop(w);
        assert_eq!(drops.load(Ordering::SeqCst), 1, "{std}");
    }
}

/// A C++ widget and the counters its deleter writes.
struct CppWidget {
    counters: Box<std::cell::UnsafeCell<CppCounters>>,
}

impl CppWidget {
    fn new() -> CppWidget {
        CppWidget {
            counters: Box::default(),
        }
    }

    fn make(&self, api: &CppApi, value: i64) -> AnyObj {
        // SAFETY: `counters` outlives the widget (checked at the end of each test); the
        // widget's one strong reference goes to the `AnyObj`, which accepts any object.
        unsafe {
            let h = (api.widget_new)(value, c"dial".as_ptr(), self.counters.get());
            assert!(!h.is_null());
            AnyObj::from_raw(h)
        }
    }

    fn get(&self) -> CppCounters {
        // SAFETY: C++ writes only inside calls this thread makes.
        unsafe { *self.counters.get() }
    }
}

#[test]
fn rust_holds_cpp_objects() {
    for (std, api) in cpp_builds() {
        // Released by Rust with no weak reference left: one DELETER_BOTH call.
        let c = CppWidget::new();
        let o = c.make(api, 42);
        let h: *const ObjectHeader = Obj::header(&o);
        // SAFETY: `o` is live.
        unsafe {
            assert_eq!((api.widget_value)(h), 42);
            assert_eq!((api.widget_name_is)(h, c"dial".as_ptr()), 1);
            assert_eq!(c_type_key(h).as_deref(), Some("rcobj.Object"));
        }
        assert!(!o.is::<Widget>());
        let o2 = o.clone();
        let w = Obj::downgrade(&o2);
        let up = w.upgrade().expect("alive");
        assert_eq!((Obj::strong_count(&o), Obj::weak_count(&o)), (3, 1));
        drop((o2, w, up));
        assert_eq!(c.get().n_calls, 0, "{std}");
        drop(o);
        let got = c.get();
        assert_eq!(
            (got.created, got.destroyed, got.freed, got.violations),
            (1, 1, 1, 0),
            "{std}"
        );
        assert_eq!((got.n_calls, got.last_flags), (1, DELETER_BOTH), "{std}");

        // Outlived by a Rust weak reference: STRONG, then WEAK.
        let c = CppWidget::new();
        let o = c.make(api, 7);
        let w = Obj::downgrade(&o);
        drop(o);
        assert_eq!((c.get().destroyed, c.get().freed), (1, 0), "{std}");
        assert!(w.upgrade().is_none());
        drop(w);
        let got = c.get();
        assert_eq!(
            (got.created, got.destroyed, got.freed, got.violations),
            (1, 1, 1, 0),
            "{std}"
        );
        assert_eq!((got.n_calls, got.last_flags), (2, DELETER_WEAK), "{std}");
    }
}

#[test]
fn cpp_null_handles_are_no_ops() {
    for (std, api) in cpp_builds() {
        // SAFETY: no arguments.
        let line = unsafe { (api.null_handles)() };
        assert_eq!(line, 0, "{std}: check at line {line} failed");
    }
}

#[test]
fn cpp_threads_and_rust_threads_share_an_object() {
    const ROUNDS: i32 = 2000;
    for (std, api) in cpp_builds() {
        let (w, drops) = widget(5);
        let any: AnyObj = w.upcast();
        let h = Obj::header(&any) as *const ObjectHeader as usize;
        std::thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..ROUNDS {
                    let c = any.clone();
                    let weak = Obj::downgrade(&c);
                    drop(c);
                    drop(weak.upgrade().expect("alive"));
                }
            });
            s.spawn(move || {
                // SAFETY: `any` keeps the object alive until the scope ends.
                let line = unsafe { (api.share_across_threads)(h as *mut ObjectHeader, 3, ROUNDS) };
                assert_eq!(line, 0, "{std}: check at line {line} failed");
            });
        });
        assert_eq!(
            (Obj::strong_count(&any), Obj::weak_count(&any)),
            (1, 0),
            "{std}"
        );
        drop(any);
        assert_eq!(drops.load(Ordering::SeqCst), 1, "{std}");
    }
}
