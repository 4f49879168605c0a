//! 300 runtime types, more than a thread's inline block of `THREAD_SLOTS` (256) slots:
//! registered, instantiated on two threads, unregistered and released, twice (the second
//! round reuses the recycled indices). The types past the block count in their word; the
//! merge that `unregister` asks of every listed thread used to index the thread's slot
//! block out of bounds for them (a panic under the thread-list lock, then an abort).
//!
//! One test in the binary, so no unrelated test thread holds up the releases.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;

use rcobj::{AnyObj, RuntimeType, RuntimeTypeBuilder, FIRST_DYNAMIC_INDEX, THREAD_SLOTS};

const TYPES: usize = 300;

fn round(round: usize, released: &Arc<AtomicUsize>) {
    let types: Vec<RuntimeType> = (0..TYPES)
        .map(|i| {
            let r = released.clone();
            RuntimeTypeBuilder::new(format!("tests.soundness.many.T{round}.{i}"))
                .layout(8, 8)
                .on_release(move || {
                    r.fetch_add(1, Ordering::SeqCst);
                })
                .register()
                .unwrap()
        })
        .collect();
    assert!(types
        .iter()
        .any(|t| (t.index() - FIRST_DYNAMIC_INDEX) as usize >= THREAD_SLOTS));

    // A listed worker holds one instance of every type and owes each a merge.
    let (to_worker, from_main) = mpsc::channel::<Vec<AnyObj>>();
    let (to_main, from_worker) = mpsc::channel::<()>();
    let handles = types.clone();
    let worker = thread::spawn(move || {
        let mine: Vec<AnyObj> = handles
            .iter()
            .map(|t| t.new_object(|_| {}).unwrap())
            .collect();
        drop(handles);
        to_main.send(()).unwrap();
        let theirs = from_main.recv().unwrap();
        drop((mine, theirs));
        rcobj::merge_thread_counts();
    });
    from_worker.recv().unwrap();

    let here: Vec<AnyObj> = types
        .iter()
        .map(|t| t.new_object(|_| {}).unwrap())
        .collect();
    for t in &types {
        assert_eq!(t.live_count(), 2);
        assert!(t.unregister()); // merges this (listed) thread at once
        assert_eq!(t.live_count(), 2);
    }
    drop(types);
    assert_eq!(released.load(Ordering::SeqCst), round * TYPES);
    to_worker.send(here).unwrap();
    worker.join().unwrap();
    assert_eq!(released.load(Ordering::SeqCst), (round + 1) * TYPES);
}

#[test]
fn three_hundred_runtime_types() {
    let released = Arc::new(AtomicUsize::new(0));
    let rounds = if cfg!(miri) { 1 } else { 2 };
    for r in 0..rounds {
        round(r, &released);
    }
}
