//! Per-thread instance counts: exact after threads finish, objects created on one thread
//! and dropped on another, thread exit merges, drops during thread-local teardown.

use std::sync::mpsc;
use std::thread;

use rcobj::{merge_thread_counts, registered_threads, AnyObj, Obj, Object};

macro_rules! counted_type {
    ($name:ident, $key:literal) => {
        #[derive(Object, Debug, Clone, Default)]
        #[object(key = $key)]
        struct $name(#[allow(dead_code)] u64);
    };
}

counted_type!(Local, "tests.live.Local");
counted_type!(Crossing, "tests.live.Crossing");
counted_type!(Exiting, "tests.live.Exiting");
counted_type!(Teardown, "tests.live.Teardown");
counted_type!(Many, "tests.live.Many");
counted_type!(Parent0, "tests.live.Parent0");

#[derive(Object, Debug, Clone)]
#[repr(C)]
#[object(key = "tests.live.Child0")]
struct Child0(#[parent] Parent0);

const N: u64 = if cfg!(miri) { 20 } else { 2000 };

#[test]
fn counts_on_one_thread() {
    let info = Local::type_info();
    assert_eq!(info.live_count(), 0);
    let objs: Vec<_> = (0..N).map(|i| Obj::new(Local(i))).collect();
    assert_eq!(info.live_count(), N as usize);
    let clones = objs.clone();
    assert_eq!(info.live_count(), N as usize, "clones are not instances");
    drop(objs);
    assert_eq!(info.live_count(), N as usize);
    drop(clones);
    assert_eq!(info.live_count(), 0);
}

#[test]
fn created_on_one_thread_dropped_on_another() {
    let info = Crossing::type_info();
    let (tx, rx) = mpsc::channel::<Obj<Crossing>>();
    let producer = thread::spawn(move || {
        for i in 0..N {
            tx.send(Obj::new(Crossing(i))).unwrap();
        }
    });
    let consumer = thread::spawn(move || {
        let mut n = 0;
        for o in rx {
            drop(o);
            n += 1;
        }
        n
    });
    producer.join().unwrap();
    assert_eq!(consumer.join().unwrap(), N);
    assert_eq!(info.live_count(), 0);
}

#[test]
fn thread_exit_merges_slots() {
    let info = Exiting::type_info();
    let kept: Vec<Obj<Exiting>> = thread::spawn(|| (0..N).map(|i| Obj::new(Exiting(i))).collect())
        .join()
        .unwrap();
    assert_eq!(
        info.live_count(),
        N as usize,
        "the exited thread's +N was merged"
    );
    let half = kept.len() / 2;
    let (a, b) = kept.split_at(half);
    let (a, b) = (a.to_vec(), b.to_vec());
    drop(kept);
    thread::spawn(move || drop(a)).join().unwrap();
    assert_eq!(info.live_count(), N as usize - half);
    drop(b);
    assert_eq!(info.live_count(), 0);
}

struct DropsAtTeardown(Option<Obj<Teardown>>);

impl Drop for DropsAtTeardown {
    fn drop(&mut self) {
        drop(self.0.take());
    }
}

std::thread_local! {
    static HELD: std::cell::RefCell<Option<DropsAtTeardown>> = const { std::cell::RefCell::new(None) };
}

#[test]
fn objects_dropped_during_thread_local_teardown_are_not_lost() {
    let info = Teardown::type_info();
    for holder_first in [true, false] {
        thread::spawn(move || {
            // Thread-local destructors run in an order tied to registration: touching the
            // holder first or the counting slots first exercises both the normal path and
            // the fallback to the shared count after this thread's slots were merged.
            if holder_first {
                HELD.with(|h| *h.borrow_mut() = Some(DropsAtTeardown(None)));
            }
            let o = Obj::new(Teardown(1));
            HELD.with(|h| {
                h.borrow_mut()
                    .get_or_insert_with(|| DropsAtTeardown(None))
                    .0 = Some(o)
            });
        })
        .join()
        .unwrap();
        assert_eq!(info.live_count(), 0, "holder_first = {holder_first}");
    }
}

#[test]
fn many_threads_stay_exact() {
    let info = Many::type_info();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            thread::spawn(move || {
                let mut keep = Vec::new();
                for i in 0..N {
                    let o = Obj::new(Many(i));
                    if i % 4 == t % 4 {
                        keep.push(o);
                    }
                }
                keep
            })
        })
        .collect();
    let kept: Vec<Obj<Many>> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(info.live_count(), kept.len());
    drop(kept);
    assert_eq!(info.live_count(), 0);
}

#[test]
fn counted_under_the_most_derived_type_only() {
    let c = Obj::new(Child0(Parent0(1)));
    let p: Obj<Parent0> = c.clone().upcast();
    let any: AnyObj = c.upcast();
    assert_eq!(Child0::type_info().live_count(), 1);
    assert_eq!(Parent0::type_info().live_count(), 0);
    drop((p, any));
    assert_eq!(Child0::type_info().live_count(), 0);
}

#[test]
fn merge_on_purpose_keeps_counts() {
    let o = Obj::new(Local(9));
    let before = Local::type_info().live_count();
    merge_thread_counts();
    assert_eq!(Local::type_info().live_count(), before);
    assert!(registered_threads() >= 1);
    drop(o);
}
