//! The release paths: the unshared fast path, the inline own-deleter path, the general
//! path through the deleter pointer (ancestor-typed handles), and panics from `Drop` on
//! each of them. A counting allocator checks that every block is freed exactly once.
//! (Needs the `std` feature: without it a panic cannot be caught in the deleter.)
#![cfg(feature = "std")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

use rcobj::{AnyObj, Obj, Object, UniqueObj, WeakObj};

/// Counts the blocks the current thread has allocated and not yet freed.
struct Counting;

std::thread_local! {
    static LIVE_BLOCKS: Cell<isize> = const { Cell::new(0) };
}

// SAFETY: forwards to `System`; the bookkeeping touches only a const thread-local `Cell`.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = LIVE_BLOCKS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = LIVE_BLOCKS.try_with(|n| n.set(n.get() - 1));
        // SAFETY: forwarded with the caller's pointer and layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live_blocks() -> isize {
    LIVE_BLOCKS.with(Cell::get)
}

#[derive(Object)]
#[object(key = "test.release.Plain")]
struct Plain {
    v: u64,
}

#[derive(Object)]
#[object(key = "test.release.Plain2")]
#[allow(dead_code)]
struct Plain2 {
    v: u64,
}

#[derive(Object)]
#[object(key = "test.release.Plain3")]
#[allow(dead_code)]
struct Plain3 {
    v: u64,
}

#[derive(Object)]
#[object(key = "test.release.Bomb")]
struct Bomb {
    armed: bool,
}

impl Drop for Bomb {
    fn drop(&mut self) {
        if self.armed {
            panic!("bomb");
        }
    }
}

#[derive(Object)]
#[repr(C)]
#[object(key = "test.release.ChildBomb", final)]
struct ChildBomb {
    #[parent]
    bomb: Bomb,
    extra: u64,
}

/// Silences the panic hook (printing a panic allocates and caches, which would blur the
/// block count) and warms up the unwinding machinery once.
fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let _ = catch_unwind(|| panic!("warm-up"));
}

/// Runs `f`, which must panic with "bomb"; returns once the payload is dropped.
fn expect_bomb(f: impl FnOnce()) {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("the Drop panic propagates");
    assert_eq!(err.downcast_ref::<&str>(), Some(&"bomb"));
}

#[test]
fn create_drop_is_one_block_and_counts() {
    // The registry's tables are built on first use (documented); not part of `Obj::new`.
    let _ = rcobj::registry::all();
    let before = live_blocks();
    let o = Obj::new(Plain { v: 1 });
    assert_eq!(live_blocks(), before + 1);
    assert_eq!(Plain::type_info().live_count(), 1);
    let c = o.clone();
    drop(o);
    assert_eq!(c.v, 1);
    assert_eq!(Plain::type_info().live_count(), 1);
    drop(c);
    assert_eq!(live_blocks(), before);
    assert_eq!(Plain::type_info().live_count(), 0);
}

#[test]
fn unshared_release_with_weak_and_upcast() {
    let before = live_blocks();
    let o = Obj::new(Plain2 { v: 2 });
    let w = Obj::downgrade(&o);
    drop(o); // strong 1, weak 2: not the unshared path
    assert!(w.upgrade().is_none());
    assert_eq!(live_blocks(), before + 1);
    drop(w);
    assert_eq!(live_blocks(), before);

    let any: AnyObj = Obj::new(Plain2 { v: 3 }).upcast();
    drop(any); // unshared, through an ancestor handle: the deleter pointer
    assert_eq!(live_blocks(), before);

    let u = UniqueObj::new(Plain2 { v: 4 });
    drop(u);
    assert_eq!(live_blocks(), before);
    let w = WeakObj::<Plain2>::new();
    drop(w);
    assert_eq!(live_blocks(), before);
}

#[test]
fn drop_panic_propagates_on_every_path() {
    quiet_panics();
    let before = live_blocks();

    // Unshared, own deleter: inline path.
    expect_bomb(|| drop(Obj::new(Bomb { armed: true })));
    assert_eq!(live_blocks(), before);

    // Shared, last strong release by RMW, own deleter.
    expect_bomb(|| {
        let a = Obj::new(Bomb { armed: true });
        let b = a.clone();
        drop(a);
        drop(b);
    });
    assert_eq!(live_blocks(), before);

    // Weak reference alive: strong phase inline, then the weak release frees later.
    let w = {
        let a = Obj::new(Bomb { armed: true });
        let w = Obj::downgrade(&a);
        expect_bomb(|| drop(a));
        w
    };
    assert!(w.upgrade().is_none());
    assert_eq!(live_blocks(), before + 1);
    drop(w);
    assert_eq!(live_blocks(), before);

    // Ancestor-typed handles: through the deleter pointer and the thread-local bracket.
    expect_bomb(|| {
        let c = Obj::new(ChildBomb {
            bomb: Bomb { armed: true },
            extra: 0,
        });
        drop(c.upcast::<Bomb>());
    });
    assert_eq!(live_blocks(), before);
    let w = {
        let c: AnyObj = Obj::new(ChildBomb {
            bomb: Bomb { armed: true },
            extra: 0,
        })
        .upcast();
        let w = Obj::downgrade(&c);
        expect_bomb(|| drop(c));
        w
    };
    assert_eq!(live_blocks(), before + 1);
    drop(w);
    assert_eq!(live_blocks(), before);

    // UniqueObj.
    expect_bomb(|| drop(UniqueObj::new(Bomb { armed: true })));
    assert_eq!(live_blocks(), before);

    assert_eq!(Bomb::type_info().live_count(), 0);
    assert_eq!(ChildBomb::type_info().live_count(), 0);

    // Nothing is left parked: a later clean release does not panic.
    drop(Obj::new(Bomb { armed: false }));
    let any: AnyObj = Obj::new(ChildBomb {
        bomb: Bomb { armed: false },
        extra: 0,
    })
    .upcast();
    drop(any);
    assert_eq!(live_blocks(), before);
}

#[test]
fn counts_follow_objects_across_threads() {
    let o = Obj::new(Plain3 { v: 5 });
    let c = o.clone();
    std::thread::spawn(move || drop(c)).join().unwrap();
    assert_eq!(Plain3::type_info().live_count(), 1);
    std::thread::spawn(move || drop(o)).join().unwrap();
    assert_eq!(Plain3::type_info().live_count(), 0);
}

/// A deleter called by foreign code (here: through the header's function pointer, with no
/// Rust release in progress) cannot unwind into its caller: a panicking `Drop` aborts the
/// process with a message naming the type. Runs itself in a child process.
#[test]
#[cfg_attr(miri, ignore = "spawns a process")]
fn drop_panic_during_a_foreign_release_aborts_with_a_message() {
    const CHILD: &str = "RCOBJ_TEST_FOREIGN_RELEASE";
    if std::env::var_os(CHILD).is_some() {
        quiet_panics();
        let raw = Obj::into_raw(Obj::new(Bomb { armed: true }));
        // SAFETY: `raw` is a live object whose only reference we own; calling its deleter
        // with both phases is what foreign code does on the last release.
        unsafe {
            let deleter = (*raw).deleter().expect("a Rust object has a deleter");
            deleter(raw.cast(), rcobj::DELETER_BOTH);
        }
        unreachable!("the deleter must abort");
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "drop_panic_during_a_foreign_release_aborts_with_a_message",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(6), "SIGABRT");
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`test.release.Bomb`") && stderr.contains("aborting"),
        "{stderr}"
    );
}
