//! More derived types than a thread's inline block has slots (`THREAD_SLOTS`, 256): the
//! ones past it count in their shared slot, and so does a runtime type registered after
//! them. Unregistering such a runtime type merges every listed thread's counts for it; that
//! merge used to index the thread's slot block out of bounds (a panic under the thread-list
//! lock, then an abort at thread exit).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;

use rcobj::{registry, Obj, Object, RuntimeTypeBuilder, FIRST_DYNAMIC_INDEX, THREAD_SLOTS};

/// Sixteen derived types (default keys: their Rust paths, unique per module).
macro_rules! sixteen {
    () => {
        sixteen!(T0 T1 T2 T3 T4 T5 T6 T7 T8 T9 T10 T11 T12 T13 T14 T15);
    };
    ($($name:ident)*) => {
        $(
            /// A derived type with its default key.
            #[derive(rcobj::Object)]
            pub struct $name(pub u8);
        )*
    };
}

/// A module of sixteen types per name: 17 × 16 = 272 derived types.
macro_rules! modules {
    ($($module:ident)*) => {
        $(
            /// Sixteen derived types.
            pub mod $module {
                sixteen!();
            }
        )*
    };
}

modules!(m00 m01 m02 m03 m04 m05 m06 m07 m08 m09 m10 m11 m12 m13 m14 m15 m16);

#[test]
fn more_derived_types_than_thread_slots() {
    let derived = registry::all().len() - 1;
    assert!(derived >= 272, "{derived} derived types");
    assert!(derived > THREAD_SLOTS);
    // Types past the inline block count exactly, in their shared slot. (Indices follow
    // the keys' order; `m16::T9` sorts last of these.)
    let last = Obj::new(m16::T9(1));
    let slot = (m16::T9::type_info().index() - FIRST_DYNAMIC_INDEX) as usize;
    assert!(slot >= THREAD_SLOTS, "slot {slot}");
    let first = Obj::new(m00::T0(2));
    assert_eq!(m16::T9::type_info().live_count(), 1);
    assert_eq!(m00::T0::type_info().live_count(), 1);
    thread::spawn(move || drop((last, first))).join().unwrap();
    assert_eq!(m16::T9::type_info().live_count(), 0);
    assert_eq!(m00::T0::type_info().live_count(), 0);
}

#[test]
fn unregister_a_runtime_type_past_the_thread_slots() {
    let released = Arc::new(AtomicUsize::new(0));
    let r = released.clone();
    let ty = RuntimeTypeBuilder::new("tests.soundness.slots.Late")
        .layout(8, 8)
        .on_release(move || {
            r.fetch_add(1, Ordering::SeqCst);
        })
        .register()
        .unwrap();
    assert!((ty.index() - FIRST_DYNAMIC_INDEX) as usize >= THREAD_SLOTS);

    // A second listed thread that owes the type a merge and makes it later.
    let (go, go_rx) = mpsc::channel::<()>();
    let (ready, ready_rx) = mpsc::channel::<()>();
    let ty2 = ty.clone();
    let worker = thread::spawn(move || {
        let o = ty2.new_object(|b| b[0] = 1).unwrap();
        drop(ty2);
        ready.send(()).unwrap();
        go_rx.recv().unwrap();
        drop(o); // counted in the word: the type is past the inline block
        rcobj::merge_thread_counts();
    });
    ready_rx.recv().unwrap();

    // This thread is listed too: `unregister` merges it on the spot.
    let here = ty.new_object(|_| {}).unwrap();
    assert_eq!(ty.live_count(), 2);
    assert!(ty.unregister());
    assert_eq!(ty.live_count(), 2);
    drop(here);
    drop(ty);
    go.send(()).unwrap();
    worker.join().unwrap();
    // Other test threads of this binary may still owe a merge; they make it at their next
    // release or exit.
    for _ in 0..10_000 {
        rcobj::merge_thread_counts();
        if released.load(Ordering::SeqCst) != 0 {
            break;
        }
        thread::sleep(std::time::Duration::from_millis(1));
    }
    assert_eq!(released.load(Ordering::SeqCst), 1, "released exactly once");
}
