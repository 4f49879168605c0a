//! Loom models of the release paths, including the unshared release (one acquire load,
//! no RMW) racing with the other reference kinds.
//!
//! `RUSTFLAGS="--cfg loom" cargo test -p rcobj --test loom_release --release`

#![cfg(loom)]

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

use loom::thread;
use rcobj::{Obj, Object};

#[derive(Object)]
#[object(key = "test.loom.Counted")]
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

loom::lazy_static! {
    static ref STEPS: loom::sync::atomic::AtomicUsize = loom::sync::atomic::AtomicUsize::new(0);
}

/// A scheduling point: a relaxed RMW on a shared counter, so loom explores every order of
/// the steps (its reduction can otherwise hide a load behind another thread's load,
/// tokio-rs/loom#166, #392) without adding a happens-before edge.
fn step() {
    STEPS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// Runs `body` as a loom model on a spawned thread: loom drops its statics (among them the
/// per-thread count tables) before the model's main thread ends, so objects must not be
/// counted on it.
fn model(body: impl Fn() + Send + Sync + 'static) {
    let body = Arc::new(body);
    loom::model(move || {
        let body = Arc::clone(&body);
        step();
        spawn(move || body()).join().unwrap();
    });
}

/// Spawns a model thread that merges its instance counts before `join` returns, as a real
/// thread's exit does (loom's `join` does not wait for thread-local destructors).
fn spawn<R: 'static>(f: impl FnOnce() -> R + 'static) -> thread::JoinHandle<R> {
    thread::spawn(move || {
        step();
        let r = f();
        step();
        rcobj::__private::loom_thread_exit();
        r
    })
}

fn counted() -> (Obj<Counted>, Arc<AtomicUsize>) {
    let drops = Arc::new(AtomicUsize::new(0));
    (Obj::new(Counted(Arc::clone(&drops))), drops)
}

/// The last strong handle is dropped while a weak handle goes away on another thread:
/// either the strong release sees weak 2 (RMW path) or weak 1 (unshared path).
#[test]
fn strong_release_races_with_weak_drop() {
    model(|| {
        let (o, drops) = counted();
        let w = Obj::downgrade(&o);
        let t = spawn(move || drop(w));
        step();
        drop(o);
        t.join().unwrap();
        assert_eq!(drops.load(SeqCst), 1);
    });
}

/// Two strong handles dropped on two threads: the second may take the unshared path.
#[test]
fn two_strong_releases() {
    model(|| {
        let (o, drops) = counted();
        let c = o.clone();
        let t = spawn(move || drop(c));
        step();
        drop(o);
        t.join().unwrap();
        assert_eq!(drops.load(SeqCst), 1);
    });
}

/// An upgrade races with the last strong release: it either fails or keeps the value
/// alive; the value is dropped exactly once either way.
#[test]
fn upgrade_races_with_last_release() {
    model(|| {
        let (o, drops) = counted();
        let w = Obj::downgrade(&o);
        let t = spawn(move || {
            if let Some(u) = w.upgrade() {
                step();
                assert_eq!(u.0.load(SeqCst), 0);
            }
        });
        step();
        drop(o);
        t.join().unwrap();
        assert_eq!(drops.load(SeqCst), 1);
    });
}
