//! loom models of the runtime-type reference protocol.
//!
//! * `unregister_races_create_and_cross_thread_destroy`: two workers create and destroy
//!   instances (one instance created on one thread and destroyed on the other) while a
//!   third thread unregisters the type. The type must be released exactly once, only after
//!   every instance is gone.
//! * `register_races_lookup_instantiate_unregister`: one thread registers a type (then
//!   creates and drops an instance of it) while another looks it up, creates an instance,
//!   merges its counts, unregisters the type and drops its handle, and a third looks it up
//!   and unregisters it too. The type must be complete when it can be found: the instance
//!   is counted, `register`'s handle keeps the type alive, and it is released exactly once,
//!   after every instance and handle is gone.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p rcobj --test loom_runtime_types --release
//! RUSTFLAGS="--cfg loom" RCOBJ_LOOM_EXHAUSTIVE=1 cargo test -p rcobj --test loom_runtime_types --release
//! ```
#![cfg(loom)]

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc as StdArc;

use loom::sync::{Arc, Mutex};
use loom::thread;
use rcobj::{AnyObj, RuntimeType, RuntimeTypeBuilder};

static DROPS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn on_drop(_value: *mut u8) {
    DROPS.fetch_add(1, SeqCst);
}

fn exit_thread() {
    rcobj::__private::loom_thread_exit();
}

#[test]
fn unregister_races_create_and_cross_thread_destroy() {
    let mut builder = loom::model::Builder::new();
    // Bounded by default so CI stays fast; `RCOBJ_LOOM_EXHAUSTIVE=1` explores every
    // interleaving (see BENCHMARKS.md / SAFETY notes for the figures).
    if builder.preemption_bound.is_none() && std::env::var_os("RCOBJ_LOOM_EXHAUSTIVE").is_none() {
        builder.preemption_bound = Some(3);
    }
    let executions = StdArc::new(AtomicUsize::new(0));
    let counter = executions.clone();
    let start = std::time::Instant::now();
    builder.check(move || {
        counter.fetch_add(1, SeqCst);
        DROPS.store(0, SeqCst);
        let released = StdArc::new(AtomicUsize::new(0));
        let early = StdArc::new(AtomicUsize::new(0));
        let (r, e) = (released.clone(), early.clone());
        // SAFETY: `on_drop` ignores the value and does not unwind.
        let ty = unsafe {
            RuntimeTypeBuilder::new("loom.rt.T")
                .layout(8, 8)
                .drop_fn(on_drop)
        }
        .on_release(move || {
            // Two instances are created in every execution; both must be gone.
            if DROPS.load(SeqCst) != 2 {
                e.fetch_add(1, SeqCst);
            }
            r.fetch_add(1, SeqCst);
        })
        .register()
        .unwrap();

        let mailbox: Arc<Mutex<Option<AnyObj>>> = Arc::new(Mutex::new(None));
        let (ta, tb, tu) = (ty.clone(), ty.clone(), ty.clone());
        drop(ty);

        let m = mailbox.clone();
        let a = thread::spawn(move || {
            let o = ta.new_object(|b| b[0] = 1).unwrap();
            drop(ta);
            *m.lock().unwrap() = Some(o);
            exit_thread();
        });
        let m = mailbox.clone();
        let b = thread::spawn(move || {
            let own = tb.new_object(|b| b[0] = 2).unwrap();
            drop(tb);
            let taken = m.lock().unwrap().take();
            drop(taken);
            drop(own);
            exit_thread();
        });
        let u = thread::spawn(move || {
            assert!(tu.unregister());
            drop(tu);
            exit_thread();
        });
        a.join().unwrap();
        b.join().unwrap();
        u.join().unwrap();
        // If B ran before A published its instance, drop it on a fresh thread (the model's
        // main thread must not count instances).
        let m = mailbox.clone();
        thread::spawn(move || {
            drop(m.lock().unwrap().take());
            exit_thread();
        })
        .join()
        .unwrap();
        assert_eq!(DROPS.load(SeqCst), 2);
        assert_eq!(released.load(SeqCst), 1, "released exactly once");
        assert_eq!(early.load(SeqCst), 0, "released while an instance lived");
    });
    println!(
        "loom_runtime_types: {} executions in {:.1?}",
        executions.load(SeqCst),
        start.elapsed()
    );
}

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn on_drop_live(_value: *mut u8) {
    LIVE.fetch_sub(1, SeqCst);
}

#[test]
fn register_races_lookup_instantiate_unregister() {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() && std::env::var_os("RCOBJ_LOOM_EXHAUSTIVE").is_none() {
        builder.preemption_bound = Some(4);
    }
    let executions = StdArc::new(AtomicUsize::new(0));
    let counter = executions.clone();
    let start = std::time::Instant::now();
    builder.check(move || {
        counter.fetch_add(1, SeqCst);
        LIVE.store(0, SeqCst);
        let released = StdArc::new(AtomicUsize::new(0));
        let early = StdArc::new(AtomicUsize::new(0));
        let mailbox: Arc<Mutex<Option<AnyObj>>> = Arc::new(Mutex::new(None));

        let (r, e) = (released.clone(), early.clone());
        let seen = released.clone();
        let registrar = thread::spawn(move || {
            // SAFETY: `on_drop_live` ignores the value and does not unwind.
            let ty = unsafe {
                RuntimeTypeBuilder::new("loom.rt.Registered")
                    .layout(8, 8)
                    .drop_fn(on_drop_live)
            }
            .on_release(move || {
                if LIVE.load(SeqCst) != 0 {
                    e.fetch_add(1, SeqCst);
                }
                r.fetch_add(1, SeqCst);
            })
            .register()
            .unwrap();
            // Whatever the finders did meanwhile, our handle keeps the type.
            assert_eq!(
                seen.load(SeqCst),
                0,
                "released while `register`'s handle lives"
            );
            assert_eq!(ty.key(), "loom.rt.Registered");
            LIVE.fetch_add(1, SeqCst);
            let own = ty.new_object(|b| b[0] = 2).unwrap();
            drop(ty);
            drop(own);
            exit_thread();
        });
        // A second finder that only unregisters (racing the first one's `unregister`).
        let second = thread::spawn(move || {
            if let Some(ty) = RuntimeType::lookup("loom.rt.Registered") {
                ty.unregister();
            }
            exit_thread();
        });
        let m = mailbox.clone();
        let finder = thread::spawn(move || {
            if let Some(ty) = RuntimeType::lookup("loom.rt.Registered") {
                LIVE.fetch_add(1, SeqCst);
                let o = ty.new_object(|b| b[0] = 1).unwrap();
                // Move this thread's slot into the shared counts, as its exit would.
                rcobj::merge_thread_counts();
                // Ours, and maybe the registrar's (being created or dropped right now);
                // an instance merged into no type's count would read 0.
                assert!(ty.live_count() >= 1, "the instance is counted for its type");
                ty.unregister();
                drop(ty);
                *m.lock().unwrap() = Some(o);
            }
            exit_thread();
        });
        registrar.join().unwrap();
        finder.join().unwrap();
        second.join().unwrap();
        // Drop the instance, and unregister the type if the finder did not find it, on a
        // fresh thread (the model's main thread must not count instances).
        let m = mailbox.clone();
        thread::spawn(move || {
            drop(m.lock().unwrap().take());
            if let Some(ty) = RuntimeType::lookup("loom.rt.Registered") {
                assert!(ty.unregister());
            }
            exit_thread();
        })
        .join()
        .unwrap();
        assert_eq!(released.load(SeqCst), 1, "released exactly once");
        assert_eq!(early.load(SeqCst), 0, "released while an instance lived");
    });
    println!(
        "loom_runtime_types (register): {} executions in {:.1?}",
        executions.load(SeqCst),
        start.elapsed()
    );
}
