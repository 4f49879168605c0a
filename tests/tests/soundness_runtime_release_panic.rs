//! A runtime type's `on_release` callback that panics is treated like a panicking `Drop`:
//! the release completes (the type is freed, its index recycled, nothing leaks — Miri
//! checks for leaks at exit), and the panic reaches the Rust code that released the last
//! reference, wherever that happens: dropping a handle, an instance (through the
//! `extern "C"` deleter), the last weak handle, `unregister`, a thread's count merge in an
//! object release, in `merge_thread_counts` or in `new_object`. Creating an object never
//! runs a callback.
//!
//! (The releases from foreign code and from a thread's exit merge, which have no Rust
//! caller and abort, are in `faults.rs`.)
//!
//! Everything runs in one test function: every listed thread owes every unregistered type a
//! merge, so a test running in parallel could become the releasing thread.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;

use rcobj::{registry, Obj, Object, RuntimeType, RuntimeTypeBuilder, UniqueObj};

#[derive(Object)]
#[object(key = "tests.soundness.release_panic.Plain")]
struct Plain(#[allow(dead_code)] u64);

/// A type whose `on_release` records its run, then panics with `message`.
fn bomb_type(key: &str, message: &'static str) -> (RuntimeType, Arc<AtomicUsize>) {
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let ty = RuntimeTypeBuilder::new(key)
        .layout(16, 8)
        .on_release(move || {
            r.fetch_add(1, Ordering::SeqCst);
            panic!("{message}");
        })
        .register()
        .unwrap();
    (ty, ran)
}

fn message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Runs `f`, which must panic with `expected`.
fn expect_panic(expected: &str, f: impl FnOnce()) {
    let err = panic::catch_unwind(AssertUnwindSafe(f)).expect_err("the callback's panic");
    assert_eq!(message(err), expected);
}

/// The type is gone: its key and index are free again (the next type gets the index back).
fn assert_released(key: &str, index: i32) {
    assert!(registry::by_key(key).is_none());
    assert!(registry::by_index(index).is_none());
    let next = RuntimeTypeBuilder::new(format!("{key}.next"))
        .register()
        .unwrap();
    assert_eq!(next.index(), index, "the released index is recycled");
    next.unregister();
}

/// The last handle is dropped: the panic comes out of the drop.
fn last_handle() {
    let (ty, ran) = bomb_type("tests.soundness.release_panic.handle", "handle");
    let index = ty.index();
    let lookup = registry::by_key(ty.key()).unwrap();
    assert!(ty.unregister());
    drop(ty);
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    expect_panic("handle", || drop(lookup));
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert_released("tests.soundness.release_panic.handle", index);
}

/// The last instance is dropped through an `AnyObj` (the deleter runs behind the pointer,
/// so the panic crosses the `extern "C"` deleter parked, and is resumed by the drop).
fn last_instance() {
    let (ty, ran) = bomb_type("tests.soundness.release_panic.instance", "instance");
    let index = ty.index();
    let obj = ty.new_object(|b| b[0] = 1).unwrap();
    assert!(ty.unregister());
    drop(ty);
    expect_panic("instance", || drop(obj));
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert_released("tests.soundness.release_panic.instance", index);
}

/// The value goes with the last strong handle; the type with the memory, at the last weak.
fn last_weak() {
    let (ty, ran) = bomb_type("tests.soundness.release_panic.weak", "weak");
    let index = ty.index();
    let obj = ty.new_object(|_| {}).unwrap();
    let weak = Obj::downgrade(&obj);
    assert!(ty.unregister());
    drop(ty);
    drop(obj);
    assert_eq!(
        ran.load(Ordering::SeqCst),
        0,
        "the memory still holds the type"
    );
    expect_panic("weak", || drop(weak));
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert_released("tests.soundness.release_panic.weak", index);
}

/// A listed thread that owes `ty` its merge: it counted something, then waits.
struct Worker {
    go: mpsc::Sender<Box<dyn FnOnce() + Send>>,
    done: mpsc::Receiver<()>,
    thread: thread::JoinHandle<()>,
}

impl Worker {
    fn start() -> Worker {
        let (go, jobs) = mpsc::channel::<Box<dyn FnOnce() + Send>>();
        let (report, done) = mpsc::channel();
        let thread = thread::spawn(move || {
            drop(Obj::new(Plain(0))); // listed from now on
            report.send(()).unwrap();
            for job in jobs {
                job();
                report.send(()).unwrap();
            }
        });
        done.recv().unwrap();
        Worker { go, done, thread }
    }

    fn run(&self, job: impl FnOnce() + Send + 'static) {
        self.go.send(Box::new(job)).unwrap();
        self.done.recv().unwrap();
    }

    fn stop(self) {
        drop(self.go);
        self.thread.join().unwrap();
    }
}

/// Unregisters a type and drops every reference to it, while `worker` still owes it a merge.
fn orphan(key: &str, message: &'static str) -> (Arc<AtomicUsize>, i32) {
    let (ty, ran) = bomb_type(key, message);
    let index = ty.index();
    drop(ty.new_object(|_| {}).unwrap());
    assert!(ty.unregister());
    drop(ty);
    assert_eq!(ran.load(Ordering::SeqCst), 0, "a worker still owes a merge");
    (ran, index)
}

/// The worker's merge happens in the release of an ordinary object (its inline drop path,
/// or through an `AnyObj`); creating objects before does not merge and does not panic.
fn merge_in_object_release() {
    for upcast in [false, true] {
        let worker = Worker::start();
        let key = format!("tests.soundness.release_panic.merge.{upcast}");
        let (ran, index) = orphan(&key, "merge");
        let r = ran.clone();
        worker.run(move || {
            // Creating objects runs no callback.
            let unique = UniqueObj::new(Plain(1));
            let obj = Obj::new(Plain(2));
            assert_eq!(r.load(Ordering::SeqCst), 0);
            // The first release merges: the type is released, the panic reaches the drop,
            // and the object is freed all the same.
            expect_panic("merge", move || {
                if upcast {
                    drop(obj.upcast::<rcobj::AnyObject>());
                } else {
                    drop(obj);
                }
            });
            assert_eq!(r.load(Ordering::SeqCst), 1);
            drop(unique); // nothing left to merge
            assert_eq!(Plain::type_info().live_count(), 0);
        });
        worker.stop();
        assert_eq!(ran.load(Ordering::SeqCst), 1);
        assert_released(&key, index);
    }
}

/// The merge happens in `merge_thread_counts`, in `new_object` of another runtime type, or
/// in `unregister` of another type: each returns the panic after completing.
fn merge_in_runtime_calls() {
    let worker = Worker::start();
    let (ran, index) = orphan("tests.soundness.release_panic.explicit", "explicit");
    worker.run(|| expect_panic("explicit", rcobj::merge_thread_counts));
    worker.stop();
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert_released("tests.soundness.release_panic.explicit", index);

    let other = RuntimeTypeBuilder::new("tests.soundness.release_panic.other")
        .layout(8, 8)
        .register()
        .unwrap();
    let worker = Worker::start();
    let (ran, index) = orphan("tests.soundness.release_panic.new_object", "new_object");
    let o = other.clone();
    worker.run(move || {
        expect_panic("new_object", || {
            let _obj = o.new_object(|_| {}).unwrap();
        });
        assert_eq!(
            o.live_count(),
            0,
            "the new instance was released by the unwind"
        );
    });
    worker.stop();
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert_released("tests.soundness.release_panic.new_object", index);

    let worker = Worker::start();
    let (ran, index) = orphan("tests.soundness.release_panic.unregister", "unregister");
    let o = other.clone();
    worker.run(move || {
        expect_panic("unregister", || {
            o.unregister();
        });
        assert!(!o.is_registered(), "unregistered all the same");
    });
    worker.stop();
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert_released("tests.soundness.release_panic.unregister", index);
    drop(other);
}

/// A child and its runtime parent are released together: the child's callback runs first,
/// the parent's still runs, and the first panic propagates once both are freed.
fn parent_chain() {
    let (parent, parent_ran) = bomb_type("tests.soundness.release_panic.parent", "parent");
    let parent_index = parent.index();
    let child_ran = Arc::new(AtomicUsize::new(0));
    let c = child_ran.clone();
    let p = parent_ran.clone();
    let child = RuntimeTypeBuilder::new("tests.soundness.release_panic.child")
        .runtime_parent(&parent)
        .layout(16, 8)
        .on_release(move || {
            assert_eq!(p.load(Ordering::SeqCst), 0, "the child goes first");
            c.fetch_add(1, Ordering::SeqCst);
            panic!("child");
        })
        .register()
        .unwrap();
    assert!(parent.unregister());
    drop(parent);
    assert!(child.unregister());
    expect_panic("child", || drop(child));
    assert_eq!(child_ran.load(Ordering::SeqCst), 1);
    assert_eq!(parent_ran.load(Ordering::SeqCst), 1);
    assert!(registry::by_index(parent_index).is_none());
}

#[test]
fn on_release_panics_reach_the_releasing_rust_caller() {
    last_handle();
    last_instance();
    last_weak();
    merge_in_object_release();
    merge_in_runtime_calls();
    parent_chain();
}
