//! Two threads create and destroy instances of a runtime type (sending some to each other)
//! while a third unregisters it: the type is released exactly once, and only after every
//! instance is gone. Alone in its binary, so no unrelated test thread holds up the merge.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;

use rcobj::{AnyObj, RuntimeTypeBuilder};

static CREATED: AtomicUsize = AtomicUsize::new(0);
static DROPPED: AtomicUsize = AtomicUsize::new(0);
static RELEASED: AtomicUsize = AtomicUsize::new(0);
static EARLY: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn on_drop(_value: *mut u8) {
    DROPPED.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn unregister_races_with_create_and_destroy() {
    let rounds = if cfg!(miri) { 3 } else { 50 };
    let per_thread = if cfg!(miri) { 10 } else { 500 };
    let mut first_index = None;
    for round in 0..rounds {
        CREATED.store(0, Ordering::SeqCst);
        DROPPED.store(0, Ordering::SeqCst);
        RELEASED.store(0, Ordering::SeqCst);
        EARLY.store(0, Ordering::SeqCst);
        // SAFETY: `on_drop` ignores the value and does not unwind.
        let ty = unsafe {
            RuntimeTypeBuilder::new(format!("tests.race.T{round}"))
                .layout(8, 8)
                .drop_fn(on_drop)
        }
        .on_release(|| {
            if DROPPED.load(Ordering::SeqCst) != CREATED.load(Ordering::SeqCst) {
                EARLY.fetch_add(1, Ordering::SeqCst);
            }
            RELEASED.fetch_add(1, Ordering::SeqCst);
        })
        .register()
        .unwrap();
        // Each round's type is released before the next registers: the index is recycled
        // (with tvm-ffi a key keeps its index for the life of the process, so each
        // round's new key gets a new one).
        let first = *first_index.get_or_insert(ty.index());
        if cfg!(rcobj_tvm_ffi) {
            assert_eq!(ty.index() == first, round == 0);
        } else {
            assert_eq!(first, ty.index());
        }

        let (tx_a, rx_b) = mpsc::channel::<AnyObj>();
        let (tx_b, rx_a) = mpsc::channel::<AnyObj>();
        let worker =
            |ty: rcobj::RuntimeType, tx: mpsc::Sender<AnyObj>, rx: mpsc::Receiver<AnyObj>| {
                move || {
                    for i in 0..per_thread {
                        let o = ty.new_object(|b| b[0] = i as u8).unwrap();
                        CREATED.fetch_add(1, Ordering::SeqCst);
                        if i % 3 == 0 {
                            let _ = tx.send(o);
                        }
                        while let Ok(o) = rx.try_recv() {
                            drop(o);
                        }
                    }
                    drop(tx);
                    drop(ty);
                    for o in rx {
                        drop(o);
                    }
                }
            };
        let a = thread::spawn(worker(ty.clone(), tx_a, rx_a));
        let b = thread::spawn(worker(ty.clone(), tx_b, rx_b));
        let unregistering = ty.clone();
        let c = thread::spawn(move || {
            thread::yield_now();
            assert!(unregistering.unregister());
        });
        drop(ty);
        a.join().unwrap();
        b.join().unwrap();
        c.join().unwrap();
        // This thread may be listed from an earlier round: let it honour the merge.
        rcobj::merge_thread_counts();
        assert_eq!(
            DROPPED.load(Ordering::SeqCst),
            CREATED.load(Ordering::SeqCst)
        );
        assert_eq!(
            RELEASED.load(Ordering::SeqCst),
            1,
            "round {round}: released once"
        );
        assert_eq!(
            EARLY.load(Ordering::SeqCst),
            0,
            "round {round}: never early"
        );
    }
}
