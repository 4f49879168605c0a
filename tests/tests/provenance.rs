//! Aliasing and provenance checks, meant for Miri (they run natively too).
//!
//! While a value is being dropped, weak handles to its own object read and update the count
//! word: if any reference spanning the header (a `&ObjCell`, a `&mut` over the block) were
//! live during the drop, Stacked Borrows would flag these accesses. `WeakObj` itself only
//! ever makes a reference to the header, never to the value, which may be dropped.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use rcobj::{AnyObj, Obj, Object, WeakObj};

/// Holds a weak handle to its own object and uses it from `Drop`.
#[derive(Object)]
#[object(key = "provenance.SelfRef")]
struct SelfRef {
    me: OnceLock<WeakObj<SelfRef>>,
    payload: Vec<u8>,
    drops: &'static AtomicUsize,
}

impl Drop for SelfRef {
    fn drop(&mut self) {
        self.payload.push(1);
        if let Some(w) = self.me.get() {
            // The header is read and written while our value is being dropped.
            assert!(w.upgrade().is_none(), "no resurrection during drop");
            assert_eq!(w.strong_count(), 0);
            let w2 = w.clone();
            assert_eq!(w2.weak_count(), 0);
            drop(w2);
        }
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

fn self_ref(drops: &'static AtomicUsize) -> Obj<SelfRef> {
    let o = Obj::new(SelfRef {
        me: OnceLock::new(),
        payload: vec![0; 16],
        drops,
    });
    assert!(o.me.set(Obj::downgrade(&o)).is_ok());
    o
}

#[test]
fn weak_handles_used_while_the_value_drops() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let o = self_ref(&DROPS);
    let outside = Obj::downgrade(&o);
    drop(o);
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
    // The value is gone; the weak handle still reads the header (only).
    assert_eq!(outside.strong_count(), 0);
    assert!(outside.upgrade().is_none());
}

#[test]
fn self_weak_is_the_last_reference() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    // The value's own weak handle is the last weak reference: it goes away inside the
    // strong phase, and the implicit weak reference frees the block afterwards.
    drop(self_ref(&DROPS));
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
}

#[test]
fn through_an_erased_handle() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    // An `AnyObj` releases through the deleter pointer rather than inline.
    let any: AnyObj = self_ref(&DROPS).upcast();
    drop(any);
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
}

#[test]
fn weak_outlives_value_and_is_cloned_and_dropped() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let o = self_ref(&DROPS);
    let w = Obj::downgrade(&o);
    drop(o);
    let clones: Vec<WeakObj<SelfRef>> = (0..3).map(|_| w.clone()).collect();
    for c in &clones {
        assert!(c.upgrade().is_none());
        assert!(c.ptr_eq(&w));
    }
    drop(clones);
    drop(w);
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
}
