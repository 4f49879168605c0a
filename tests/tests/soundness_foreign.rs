//! A foreign object (made outside rcobj with its own deleter, as C or tvm-ffi make them)
//! held as an `AnyObj` is never "exactly an `AnyObject`": `try_unwrap` and `into_inner`
//! must not move a value out of it, and its deleter sees the protocol's flags.
//!
//! The object is built in Rust exactly as `include/rcobj.h`'s `rcobj_object_init` builds
//! one in C, so the test also runs under Miri.

use std::ffi::c_void;
use std::sync::atomic::AtomicU64;
use std::sync::Mutex;

use rcobj::{AnyObj, AnyObject, Obj, ObjectHeader, ANY_OBJECT_INDEX, BOTH_ONE, DELETER_BOTH};

/// A foreign object: the 24-byte header at its ABI offsets, then a payload.
#[repr(C)]
struct Foreign {
    word: AtomicU64,
    type_index: i32,
    padding: u32,
    deleter: unsafe extern "C" fn(*mut c_void, i32),
    payload: u64,
}

/// The flags of every call of the foreign deleter, with the payload it saw.
static CALLS: Mutex<Vec<(i32, u64)>> = Mutex::new(Vec::new());

unsafe extern "C" fn foreign_deleter(p: *mut c_void, flags: i32) {
    let f = p.cast::<Foreign>();
    // SAFETY: `p` is a live `Foreign` made by `foreign()`; the strong phase reads the
    // payload before the weak phase frees the block.
    let payload = unsafe { (*f).payload };
    CALLS.lock().unwrap().push((flags, payload));
    if flags & rcobj::DELETER_WEAK != 0 {
        // SAFETY: made by `Box::into_raw` in `foreign()`; the weak phase runs once.
        drop(unsafe { Box::from_raw(f) });
    }
}

fn foreign(payload: u64) -> AnyObj {
    let f = Box::into_raw(Box::new(Foreign {
        word: AtomicU64::new(BOTH_ONE),
        type_index: ANY_OBJECT_INDEX,
        padding: 0,
        deleter: foreign_deleter,
        payload,
    }));
    // SAFETY: a live object laid out as the ABI says, with an index below rcobj's dynamic
    // range; we hand over its one strong reference.
    unsafe { AnyObj::from_raw(f.cast::<ObjectHeader>()) }
}

fn calls_for(payload: u64) -> Vec<i32> {
    CALLS
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, p)| *p == payload)
        .map(|(f, _)| *f)
        .collect()
}

#[test]
fn try_unwrap_of_a_foreign_object_refuses_and_the_deleter_sees_both() {
    let o = foreign(701);
    let o = Obj::try_unwrap(o).expect_err("a foreign object is not moved out");
    assert_eq!(Obj::strong_count(&o), 1);
    drop(o);
    assert_eq!(calls_for(701), [DELETER_BOTH]);
}

#[test]
fn into_inner_of_a_foreign_object_releases_it_through_its_deleter() {
    let o = foreign(702);
    let inner: Option<AnyObject> = Obj::into_inner(o);
    assert!(inner.is_none());
    assert_eq!(calls_for(702), [DELETER_BOTH]);
}

#[test]
fn foreign_object_with_a_weak_gets_strong_then_weak_on_into_inner() {
    let o = foreign(703);
    let w = Obj::downgrade(&o);
    assert!(Obj::into_inner(o).is_none());
    assert_eq!(calls_for(703), [rcobj::DELETER_STRONG]);
    assert!(w.upgrade().is_none());
    drop(w);
    assert_eq!(calls_for(703), [rcobj::DELETER_STRONG, rcobj::DELETER_WEAK]);
}
