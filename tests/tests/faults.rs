//! Faults: count overflow, a panicking `Drop` on the last release from another thread, a
//! panic that would cross the `extern "C"` deleter when C released the object, and a
//! runtime type's panicking `on_release` callback where no Rust caller can receive it (C
//! released the last instance; a thread's exit merge released the type).
//!
//! The aborting cases run in a child process: the test re-executes this test binary with
//! `--exact <its own name>` and `RCOBJ_FAULT_CHILD` set, and checks that the child died of
//! `SIGABRT` with a message naming the object's type key. (Not under Miri, which cannot
//! spawn processes.)

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::thread;

use rcobj::{
    Obj, Object, RuntimeTypeBuilder, WeakObj, DELETER_BOTH, MAX_COUNT, STRONG_ONE, WEAK_ONE,
};

#[path = "support/watch.rs"]
mod watch;

#[global_allocator]
static ALLOC: watch::WatchAlloc = watch::WatchAlloc;

/// Object types whose `Drop` panics when armed; one per test that checks live counts, so
/// that tests running in parallel do not see each other's instances.
macro_rules! bomb_type {
    ($name:ident, $key:tt) => {
        #[derive(Object)]
        #[object(key = $key)]
        struct $name {
            armed: bool,
            drops: &'static AtomicUsize,
        }

        impl Drop for $name {
            fn drop(&mut self) {
                self.drops.fetch_add(1, Ordering::SeqCst);
                if self.armed {
                    panic!("Bomb::drop");
                }
            }
        }
    };
}

bomb_type!(Bomb, "faults.Bomb");
bomb_type!(BombOther, "faults.BombOther");
bomb_type!(BombWeak, "faults.BombWeak");
bomb_type!(BombInner, "faults.BombInner");

/// The object's count word, as C sees it: an atomic u64 at offset 0 (the ABI).
fn word<T: Object>(o: &Obj<T>) -> &AtomicU64 {
    let header: *const rcobj::ObjectHeader = Obj::header(o);
    // SAFETY: the packed count word is the first field of the `#[repr(C)]` header and is
    // an atomic in the ABI; the handle keeps it alive for the borrow.
    unsafe { &*header.cast::<AtomicU64>() }
}

// ---------------------------------------------------------------------------------------
// Panicking `Drop`, in process.
// ---------------------------------------------------------------------------------------

/// The last strong release happens on another thread and the value's `Drop` panics: the
/// panic reaches that thread's caller (as `Arc`'s would), the memory is freed exactly once,
/// and the counts are consistent afterwards.
#[test]
fn panicking_drop_on_last_release_from_another_thread() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let o = Obj::new(BombOther {
        armed: true,
        drops: &DROPS,
    });
    let watched = watch::watch(Obj::header(&o));
    let t = thread::spawn(move || {
        let r = panic::catch_unwind(AssertUnwindSafe(|| drop(o)));
        let payload = r.expect_err("the panic reaches the releasing caller");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"Bomb::drop"));
    });
    t.join().unwrap();
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
    assert_eq!(
        watched.frees(),
        1,
        "no weak reference: freed with the value"
    );
    assert_eq!(BombOther::type_info().live_count(), 0);
}

/// As above with a weak handle alive: the strong phase panics, the implicit weak reference
/// is still released, the memory stays until the weak handle goes, then is freed once; the
/// weak handle sees a dead object.
#[test]
fn panicking_drop_with_a_live_weak() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let o = Obj::new(BombWeak {
        armed: true,
        drops: &DROPS,
    });
    let w = Obj::downgrade(&o);
    let watched = watch::watch(Obj::header(&o));
    let t = thread::spawn(move || panic::catch_unwind(AssertUnwindSafe(|| drop(o))).is_err());
    assert!(t.join().unwrap(), "the panic reaches the releasing caller");
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
    assert_eq!(watched.frees(), 0, "the weak handle keeps the memory");
    assert_eq!(w.strong_count(), 0);
    assert_eq!(w.weak_count(), 0);
    assert!(w.upgrade().is_none());
    let w2: WeakObj<BombWeak> = w.clone();
    drop(w);
    assert_eq!(watched.frees(), 0);
    drop(w2);
    assert_eq!(watched.frees(), 1);
    assert_eq!(BombWeak::type_info().live_count(), 0);
}

/// A panicking `Drop` on a shared release (strong 2 → 1 → 0 on two threads): only the last
/// release runs it; the other thread's release is unaffected.
#[test]
fn panicking_drop_after_a_shared_release() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let a = Obj::new(Bomb {
        armed: true,
        drops: &DROPS,
    });
    let b = a.clone();
    let watched = watch::watch(Obj::header(&a));
    thread::spawn(move || drop(b)).join().unwrap();
    assert_eq!(DROPS.load(Ordering::SeqCst), 0);
    assert!(panic::catch_unwind(AssertUnwindSafe(|| drop(a))).is_err());
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
    assert_eq!(watched.frees(), 1);
}

/// A panic raised while another release is unwinding (a `Drop` that releases a panicking
/// object): the inner release still completes and frees its memory, and the outer panic
/// propagates.
#[test]
fn panicking_drop_inside_a_release() {
    static INNER: AtomicUsize = AtomicUsize::new(0);

    #[derive(Object)]
    #[object(key = "faults.Holder")]
    struct Holder {
        _inner: Option<Obj<BombInner>>,
    }

    let inner = Obj::new(BombInner {
        armed: true,
        drops: &INNER,
    });
    let watched = watch::watch(Obj::header(&inner));
    let outer = Obj::new(Holder {
        _inner: Some(inner),
    });
    let r = panic::catch_unwind(AssertUnwindSafe(|| drop(outer)));
    assert!(r.is_err());
    assert_eq!(INNER.load(Ordering::SeqCst), 1);
    assert_eq!(watched.frees(), 1);
    assert_eq!(Holder::type_info().live_count(), 0);
    assert_eq!(BombInner::type_info().live_count(), 0);
}

// ---------------------------------------------------------------------------------------
// Aborts, in a child process.
// ---------------------------------------------------------------------------------------

const CHILD_ENV: &str = "RCOBJ_FAULT_CHILD";

/// In the parent: re-runs test `name` alone in a child process and returns its stderr after
/// checking that it aborted. In the child (`RCOBJ_FAULT_CHILD=name`): runs `fault`, which
/// must not return.
#[cfg(not(miri))]
fn in_child(name: &str, fault: impl FnOnce()) -> Option<String> {
    use std::os::unix::process::ExitStatusExt;
    use std::process::Command;

    if std::env::var(CHILD_ENV).as_deref() == Ok(name) {
        fault();
        eprintln!("the fault returned");
        std::process::exit(0);
    }
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads", "1"])
        .env(CHILD_ENV, name)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.signal(),
        Some(6),
        "the child must abort (SIGABRT); status {:?}, stderr:\n{stderr}",
        out.status
    );
    Some(stderr)
}

/// Sets the word of a live object to `strong` / `weak` as C code could.
#[cfg(not(miri))]
fn set_counts<T: Object>(o: &Obj<T>, strong: u32, weak: u32) {
    word(o).store(
        u64::from(strong) * STRONG_ONE + u64::from(weak) * WEAK_ONE,
        Ordering::SeqCst,
    );
}

#[cfg(not(miri))]
fn fresh_bomb() -> Obj<Bomb> {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    Obj::new(Bomb {
        armed: false,
        drops: &DROPS,
    })
}

#[cfg(not(miri))]
fn assert_overflow_message(stderr: &str, which: &str) {
    assert!(
        stderr.contains(&format!("{which} reference count overflow")),
        "stderr: {stderr}"
    );
    assert!(
        stderr.contains("`faults.Bomb`"),
        "names the key; stderr: {stderr}"
    );
}

/// `clone` at strong `i32::MAX` aborts, naming the type key; the count never wraps into
/// the weak half.
#[test]
#[cfg(not(miri))]
fn strong_overflow_on_clone_aborts_naming_the_key() {
    let stderr = in_child("strong_overflow_on_clone_aborts_naming_the_key", || {
        let o = fresh_bomb();
        set_counts(&o, MAX_COUNT, 1);
        let c = o.clone();
        std::mem::forget((o, c));
    });
    assert_overflow_message(&stderr.unwrap(), "strong");
}

/// `upgrade` at strong `i32::MAX` aborts, naming the type key.
#[test]
#[cfg(not(miri))]
fn strong_overflow_on_upgrade_aborts_naming_the_key() {
    let stderr = in_child("strong_overflow_on_upgrade_aborts_naming_the_key", || {
        let o = fresh_bomb();
        let w = Obj::downgrade(&o);
        set_counts(&o, MAX_COUNT, 2);
        let u = w.upgrade();
        std::mem::forget((o, w, u));
    });
    assert_overflow_message(&stderr.unwrap(), "strong");
}

/// `downgrade` at weak `i32::MAX` aborts, naming the type key.
#[test]
#[cfg(not(miri))]
fn weak_overflow_on_downgrade_aborts_naming_the_key() {
    let stderr = in_child("weak_overflow_on_downgrade_aborts_naming_the_key", || {
        let o = fresh_bomb();
        set_counts(&o, 1, MAX_COUNT);
        let w = Obj::downgrade(&o);
        std::mem::forget((o, w));
    });
    assert_overflow_message(&stderr.unwrap(), "weak");
}

/// `WeakObj::clone` at weak `i32::MAX` aborts, naming the type key.
#[test]
#[cfg(not(miri))]
fn weak_overflow_on_weak_clone_aborts_naming_the_key() {
    let stderr = in_child("weak_overflow_on_weak_clone_aborts_naming_the_key", || {
        let o = fresh_bomb();
        let w = Obj::downgrade(&o);
        set_counts(&o, 1, MAX_COUNT);
        let w2 = w.clone();
        std::mem::forget((o, w, w2));
    });
    assert_overflow_message(&stderr.unwrap(), "weak");
}

/// Just below the limit is fine: strong `i32::MAX - 1` clones to `i32::MAX`. Afterwards the
/// counts are put back to what the two handles own, and the object is released normally.
#[test]
#[cfg(not(miri))]
fn just_below_the_limit_does_not_abort() {
    bomb_type!(BombLimit, "faults.BombLimit");
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let o = Obj::new(BombLimit {
        armed: false,
        drops: &DROPS,
    });
    set_counts(&o, MAX_COUNT - 1, 1);
    let c = o.clone();
    assert_eq!(Obj::strong_count(&o), MAX_COUNT);
    assert_eq!(Obj::weak_count(&o), 0, "no carry into the weak half");
    let watched = watch::watch(Obj::header(&o));
    set_counts(&o, 2, 1);
    drop((o, c));
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
    assert_eq!(watched.frees(), 1);
    assert_eq!(BombLimit::type_info().live_count(), 0);
}

/// C releases the last reference (its own decrement, then a direct call of the header's
/// deleter function pointer, as C would) and the value's `Drop` panics: the panic cannot
/// unwind into C, so the process aborts with a message naming the type.
#[test]
#[cfg(not(miri))]
fn panic_in_drop_released_from_c_aborts() {
    let stderr = in_child("panic_in_drop_released_from_c_aborts", || {
        static DROPS: AtomicUsize = AtomicUsize::new(0);
        let o = Obj::new(Bomb {
            armed: true,
            drops: &DROPS,
        });
        let raw = Obj::into_raw(o);
        // SAFETY: the word is an atomic u64 at offset 0 in the ABI; `raw` is live.
        let word = unsafe { &*raw.cast::<AtomicU64>() };
        // C's DecRef: the last strong reference goes, weak reaches zero with it.
        let old = word.fetch_sub(STRONG_ONE, Ordering::Release);
        assert_eq!(old, STRONG_ONE + WEAK_ONE);
        std::sync::atomic::fence(Ordering::Acquire);
        // SAFETY: the header is live; its deleter field never changes.
        let deleter = unsafe { (*raw).deleter() }.unwrap();
        // SAFETY: both counts reached zero; neither phase ran.
        unsafe { deleter(raw.cast(), DELETER_BOTH) };
    });
    let stderr = stderr.unwrap();
    assert!(
        stderr.contains("`faults.Bomb`"),
        "names the key; stderr: {stderr}"
    );
    assert!(
        stderr.contains("foreign code") && stderr.contains("aborting"),
        "says why; stderr: {stderr}"
    );
}

/// C releases the last instance of an unregistered runtime type whose `on_release`
/// callback panics: the release completes, then the panic cannot unwind into C, so the
/// process aborts with a message naming the type and the callback.
#[test]
#[cfg(not(miri))]
fn on_release_panic_released_from_c_aborts() {
    let stderr = in_child("on_release_panic_released_from_c_aborts", || {
        let ty = RuntimeTypeBuilder::new("faults.rt.FromC")
            .layout(8, 8)
            .on_release(|| panic!("on_release"))
            .register()
            .unwrap();
        let raw = Obj::into_raw(ty.new_object(|_| {}).unwrap());
        assert!(ty.unregister());
        drop(ty); // the instance holds the last reference to the type
                  // SAFETY: the word is an atomic u64 at offset 0 in the ABI; `raw` is live.
        let word = unsafe { &*raw.cast::<AtomicU64>() };
        // C's DecRef: the last strong reference goes, weak reaches zero with it.
        let old = word.fetch_sub(STRONG_ONE, Ordering::Release);
        assert_eq!(old, STRONG_ONE + WEAK_ONE);
        std::sync::atomic::fence(Ordering::Acquire);
        // SAFETY: the header is live; its deleter field never changes.
        let deleter = unsafe { (*raw).deleter() }.unwrap();
        // SAFETY: both counts reached zero; neither phase ran.
        unsafe { deleter(raw.cast(), DELETER_BOTH) };
    });
    let stderr = stderr.unwrap();
    assert!(
        stderr.contains("`on_release` callback of the runtime type `faults.rt.FromC`"),
        "names the callback and the type; stderr: {stderr}"
    );
    assert!(
        stderr.contains("foreign code") && stderr.contains("aborting"),
        "says why; stderr: {stderr}"
    );
}

/// A thread's exit merge releases a runtime type whose `on_release` callback panics: a
/// thread-local destructor has no caller to take the panic, so the process aborts with a
/// message naming the type.
#[test]
#[cfg(not(miri))]
fn on_release_panic_at_thread_exit_aborts() {
    let stderr = in_child("on_release_panic_at_thread_exit_aborts", || {
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let (go, go_rx) = std::sync::mpsc::channel::<()>();
        let worker = thread::spawn(move || {
            drop(fresh_bomb()); // listed: owes every unregistered type a merge
            ready_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            // Exits without counting again: the exit merge releases the type.
        });
        ready.recv().unwrap();
        let ty = RuntimeTypeBuilder::new("faults.rt.AtExit")
            .on_release(|| panic!("on_release"))
            .register()
            .unwrap();
        assert!(ty.unregister());
        drop(ty);
        go.send(()).unwrap();
        let _ = worker.join();
    });
    let stderr = stderr.unwrap();
    assert!(
        stderr.contains("`on_release` callback of the runtime type `faults.rt.AtExit`"),
        "names the callback and the type; stderr: {stderr}"
    );
    assert!(
        stderr.contains("exit") && stderr.contains("aborting"),
        "says why; stderr: {stderr}"
    );
}
