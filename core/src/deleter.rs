//! The two-phase deleter protocol and panic handling.
//!
//! Every object's header carries an `extern "C"` deleter, called with
//! [`DELETER_STRONG`] when the strong count reaches zero (drop the value, keep the memory),
//! [`DELETER_WEAK`] when the weak count reaches zero (free the memory), or once with
//! [`DELETER_BOTH`] when both reach zero in one step. The deleter may be foreign (C,
//! tvm-ffi), so no other flag is ever passed.
//!
//! A panic must not unwind through an `extern "C"` function. [`deleter`] catches a panic
//! from the value's `Drop`, finishes its phase (the instance is counted out, the memory is
//! freed when the flags say so), and then:
//!
//! * if a Rust release is in progress on this thread (tracked in thread-local state, not in
//!   the flags), parks the payload; the Rust caller resumes it once the release is complete,
//!   as `Arc`'s drop would propagate it;
//! * otherwise the release came from foreign code, which cannot unwind: it prints which
//!   type panicked and aborts.

use core::any::Any;
use core::cell::Cell;
use core::ffi::c_void;
use core::panic::AssertUnwindSafe;
use core::ptr;
use std::boxed::Box;
use std::panic;

use crate::cell::ObjCell;
use crate::counts;
use crate::header::{
    strong_of, weak_of, ObjectHeader, BOTH_ONE, DELETER_BOTH, DELETER_STRONG, DELETER_WEAK,
};
use crate::registry;
use crate::sync::acquire;
use crate::type_info::Object;

type Payload = Box<dyn Any + Send + 'static>;

/// How many Rust releases are in progress on this thread, and whether a deleter parked a
/// panic for the innermost one. No destructor, so access is a plain TLS address.
struct ReleaseState {
    depth: Cell<u32>,
    panicked: Cell<bool>,
}

std::thread_local! {
    static RELEASE: ReleaseState = const {
        ReleaseState { depth: Cell::new(0), panicked: Cell::new(false) }
    };
    static PARKED: Cell<Option<Payload>> = const { Cell::new(None) };
}

/// The deleter of every Rust object type `T` (monomorphised per type).
///
/// # Safety
///
/// `obj` is the header address of a live `ObjCell<T>` allocated by this crate, and `flags`
/// is a phase that has not run yet: `DELETER_STRONG` once, then `DELETER_WEAK` once, or
/// `DELETER_BOTH` once.
pub unsafe extern "C" fn deleter<T: Object>(obj: *mut c_void, flags: i32) {
    let cell = obj.cast::<ObjCell<T>>();
    let mut payload = None;
    if flags & DELETER_STRONG != 0 {
        // SAFETY: the caller guarantees a live cell whose value has not been dropped. We
        // project to the value with a raw pointer, so no reference spans the header,
        // which other threads may still be updating through weak references.
        let (value, index) = unsafe {
            (
                ptr::addr_of_mut!((*cell).value),
                (*cell).header.type_index(),
            )
        };
        if core::mem::needs_drop::<T>() {
            // SAFETY: the value is live and dropped exactly once (this phase runs once).
            let result =
                panic::catch_unwind(AssertUnwindSafe(|| unsafe { ptr::drop_in_place(value) }));
            payload = result.err();
        }
        counts::add(index, -1);
    }
    if flags & DELETER_WEAK != 0 {
        // SAFETY: the weak phase runs once, after the value was dropped (now or earlier).
        unsafe { ObjCell::<T>::free(cell) };
    }
    if let Some(payload) = payload {
        park_or_abort(payload, T::type_info().key());
    }
}

#[cold]
#[inline(never)]
pub(crate) fn park_or_abort(payload: Payload, key: &str) {
    let in_rust_release = RELEASE.with(|r| r.depth.get() > 0 && !r.panicked.get());
    if in_rust_release && PARKED.try_with(|p| p.set(Some(payload))).is_ok() {
        RELEASE.with(|r| r.panicked.set(true));
        return;
    }
    fatal(&format!(
        "rcobj: the destructor of a `{key}` object panicked while the object was released \
         from foreign code (or while another panic was pending); a panic cannot unwind \
         through the C deleter, aborting"
    ));
}

/// Prints `message` and aborts the process.
#[cold]
pub(crate) fn fatal(message: &str) -> ! {
    std::eprintln!("{message}");
    std::process::abort()
}

/// Aborts because a count would pass `i32::MAX`. Names the object's type.
#[cold]
#[inline(never)]
pub(crate) fn count_overflow(header: &ObjectHeader, which: &str) -> ! {
    let index = header.type_index();
    let key = registry::info_of_index(index).map_or("<foreign type>", |t| t.key());
    fatal(&format!(
        "rcobj: {which} reference count overflow on an object of type `{key}` \
         (index {index}); aborting"
    ))
}

/// Calls the header's deleter on behalf of Rust code; returns a panic the value's `Drop`
/// raised, for the caller to resume once it has finished the release.
///
/// # Safety
///
/// As for the deleter: `header` is live and `flags` names a phase that has not run.
#[inline]
pub(crate) unsafe fn call_from_rust(header: *const ObjectHeader, flags: i32) -> Option<Payload> {
    // SAFETY: the caller guarantees the header is live; the deleter field never changes.
    let d = (unsafe { (*header).deleter() })?;
    RELEASE.with(|r| r.depth.set(r.depth.get() + 1));
    // SAFETY: guaranteed by the caller.
    unsafe { d(header.cast_mut().cast(), flags) };
    RELEASE.with(|r| {
        r.depth.set(r.depth.get() - 1);
        if r.panicked.get() {
            r.panicked.set(false);
            PARKED.with(|p| p.take())
        } else {
            None
        }
    })
}

/// The last strong reference is gone (`old` is the word before the decrement): run the
/// strong phase, then drop the implicit weak reference — or both in one deleter call when
/// no weak reference is left. Resumes a panic from the value's `Drop` afterwards.
///
/// # Safety
///
/// The caller just took the strong half from 1 to 0 with a Release RMW; `old` is the word
/// that RMW returned.
#[inline(never)]
pub(crate) unsafe fn release_last_strong(header: *const ObjectHeader, old: u64) {
    // SAFETY: the object is live until the weak phase runs, which only we can trigger now.
    let h = unsafe { &*header };
    // Acquire: pairs with the Release decrement of every other strong handle, so their
    // uses of the value happen before the destructor.
    acquire!(h.word());
    if old == BOTH_ONE {
        // Strong and weak reach zero together: one deleter call.
        // SAFETY: neither phase ran; the object is ours alone.
        if let Some(p) = unsafe { call_from_rust(header, DELETER_BOTH) } {
            panic::resume_unwind(p);
        }
        return;
    }
    // SAFETY: the strong phase has not run; weak references keep the memory alive.
    let payload = unsafe { call_from_rust(header, DELETER_STRONG) };
    // SAFETY: we still hold the implicit weak reference.
    unsafe { release_weak(header) };
    if let Some(p) = payload {
        panic::resume_unwind(p);
    }
}

/// Drops one weak reference; frees the memory through the deleter if it was the last.
///
/// # Safety
///
/// The caller owns one weak reference (external, or the implicit one) to a live header.
#[inline]
pub(crate) unsafe fn release_weak(header: *const ObjectHeader) {
    // SAFETY: our weak reference keeps the header alive until the decrement below.
    let h = unsafe { &*header };
    let old = h.dec_weak();
    if weak_of(old) == 1 {
        debug_assert_eq!(strong_of(old), 0);
        // Acquire: pairs with the Release decrements of every other weak reference.
        acquire!(h.word());
        if let Some(d) = h.deleter() {
            // SAFETY: the last reference of any kind is gone; the weak phase runs once.
            // The weak phase of a Rust deleter only frees memory, so it cannot panic.
            unsafe { d(header.cast_mut().cast(), DELETER_WEAK) };
        }
    }
}
