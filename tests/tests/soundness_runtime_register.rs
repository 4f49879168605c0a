//! `register` makes a type complete — listed for the per-thread merges, its handle counted —
//! before any other thread can find it. It used to publish the type first, and a thread
//! that looked it up in that window could
//!
//! * create an instance and merge its counts (as at thread exit) into a static type's
//!   shared slot: the type then read a live count of 0 with a live instance, and was
//!   released while instances and handles were left (even rounds below), or
//! * unregister it and drop its handle, so that `register` took its handle to a freed type
//!   (odd rounds; a use after free that Miri and AddressSanitizer report).
//!
//! The interleavings are model-checked in `core/tests/loom_runtime_types.rs`; this is the
//! same race on real threads. The main thread never counts an instance (it is not listed),
//! so the finder's own merge at `unregister` is the last one a type waits for. One test in
//! the binary, so no unrelated test thread holds up a release.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;

use rcobj::{AnyObj, RuntimeType, RuntimeTypeBuilder};

fn key(round: usize) -> String {
    format!("tests.soundness.register.T{round}")
}

#[test]
fn register_races_lookup_instantiate_unregister() {
    let rounds = if cfg!(miri) { 60 } else { 2_000 };
    let released = Arc::new(AtomicUsize::new(0));
    let (to_main, from_finder) = mpsc::channel::<Option<AnyObj>>();
    let (to_finder, from_main) = mpsc::channel::<Option<AnyObj>>();
    let finder = thread::spawn(move || {
        for round in 0..rounds {
            // Find the type as soon as it is published, then use it at once.
            let ty = loop {
                if let Some(ty) = RuntimeType::lookup(&key(round)) {
                    break ty;
                }
                thread::yield_now();
            };
            let obj = if round % 2 == 0 {
                let obj = ty.new_object(|b| b[0] = 1).unwrap();
                // Merge this thread's counts now, as its exit would.
                rcobj::merge_thread_counts();
                assert_eq!(ty.live_count(), 1, "round {round}: the instance is counted");
                Some(obj)
            } else {
                None
            };
            assert!(ty.unregister());
            drop(ty);
            to_main.send(obj).unwrap();
            // The instance comes back to be dropped here, after the main thread's checks.
            drop(from_main.recv().unwrap());
            rcobj::merge_thread_counts();
        }
    });
    for round in 0..rounds {
        let r = released.clone();
        let ty = RuntimeTypeBuilder::new(key(round))
            .layout(8, 8)
            .on_release(move || {
                r.fetch_add(1, Ordering::SeqCst);
            })
            .register()
            .unwrap();
        let obj = from_finder.recv().unwrap();
        // Our handle keeps the type, whatever the finder did.
        assert_eq!(released.load(Ordering::SeqCst), round, "round {round}");
        assert!(!ty.is_registered());
        if let Some(obj) = &obj {
            assert!(obj.is_instance_of(ty.info()));
            assert_eq!(ty.live_count(), 1, "round {round}");
        }
        drop(ty);
        assert_eq!(
            released.load(Ordering::SeqCst),
            round + usize::from(obj.is_none()),
            "round {round}: released by its last reference, not before"
        );
        to_finder.send(obj).unwrap();
    }
    finder.join().unwrap();
    assert_eq!(released.load(Ordering::SeqCst), rounds);
}
