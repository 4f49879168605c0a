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
//!
//! # The inline path
//!
//! Most Rust releases never call through the pointer: when the header's deleter is
//! `deleter::<T>` for the handle's static type `T` ([`is_own_deleter`]), the release runs
//! the deleter's body ([`drop_value`]) inline. A panic in `T::drop` then unwinds straight
//! to the Rust caller (a guard counts the instance out and frees the block on the way), so
//! that path needs neither `catch_unwind` nor the thread-local bracket of
//! [`call_from_rust`]. Ancestor-typed handles (`Obj<Parent>`, `AnyObj`) and foreign
//! objects keep the call through the pointer and the bracket.
//!
//! # `on_release` callbacks
//!
//! A runtime type's `on_release` callback is user code that runs when the type is
//! released, which can happen inside a deleter (an instance's weak phase counts its
//! reference to the type out), inside a count merge, in `unregister` or in a handle's
//! drop. It is treated like a panicking `Drop`: the release that ran it completes first
//! (the type is freed, its index recycled, nothing leaks), then the panic ([`CallbackPanic`])
//! goes where a panic of the value's `Drop` would go: to the Rust caller that released
//! the last reference ([`resume_callback`], or parked for the bracket of
//! [`call_from_rust`] when it ran inside a deleter), or, when the release came from
//! foreign code (or a thread's exit merge, which has no caller), the process aborts with a
//! message naming the type ([`park_callback_or_abort`], [`abort_callback`]).

use ::alloc::boxed::Box;
use core::ffi::c_void;
use core::fmt;
use core::ptr;

use crate::cell::ObjCell;
use crate::counts;
use crate::header::{
    strong_of, weak_of, Deleter, ObjectHeader, BOTH_ONE, DELETER_BOTH, DELETER_STRONG,
    DELETER_WEAK, WEAK_ONE,
};
use crate::registry;
use crate::sync::{acquire, Ordering};
use crate::type_info::Object;

pub(crate) use unwind::{catch, resume, Payload};

/// Panic propagation across the deleter, with `std`: catch, park, resume.
#[cfg(feature = "std")]
mod unwind {
    use core::any::Any;
    use core::cell::Cell;
    use core::panic::AssertUnwindSafe;
    use std::boxed::Box;
    use std::panic;

    /// A caught panic.
    pub(crate) type Payload = Box<dyn Any + Send + 'static>;

    /// How many Rust releases are in progress on this thread, and whether a deleter parked
    /// a panic for the innermost one. No destructor, so access is a plain TLS address.
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

    /// Runs `f`, catching a panic.
    #[inline(always)]
    pub(crate) fn catch(f: impl FnOnce()) -> Result<(), Payload> {
        panic::catch_unwind(AssertUnwindSafe(f))
    }

    /// Resumes a caught panic.
    pub(crate) fn resume(p: Payload) -> ! {
        panic::resume_unwind(p)
    }

    /// Parks a panic for the Rust release in progress; `false` if there is none.
    pub(crate) fn park(payload: Payload) -> bool {
        let in_rust_release = RELEASE.with(|r| r.depth.get() > 0 && !r.panicked.get());
        if in_rust_release && PARKED.try_with(|p| p.set(Some(payload))).is_ok() {
            RELEASE.with(|r| r.panicked.set(true));
            return true;
        }
        false
    }

    /// Brackets a deleter call made by Rust; returns a panic it parked.
    ///
    /// Inline: the increment of the depth. The decrement ([`leave`]) and taking the parked
    /// panic (whose slot has a destructor, so its first use registers one) are out of
    /// line, so that the caller keeps nothing in registers across the call.
    #[inline]
    pub(crate) fn bracket(call: impl FnOnce()) -> Option<Payload> {
        RELEASE.with(|r| r.depth.set(r.depth.get() + 1));
        call();
        if leave() {
            take_parked()
        } else {
            None
        }
    }

    /// The end of a bracket: one level out; whether the deleter parked a panic.
    ///
    /// Out of line, so that nothing is live across the deleter call in the caller (inline,
    /// the thread-local's address was kept in a saved register across it): a chain of
    /// nested objects released through ancestor-typed handles then costs 16 bytes less
    /// stack per level, for one more call on this (not the common) path.
    #[inline(never)]
    fn leave() -> bool {
        RELEASE.with(|r| {
            r.depth.set(r.depth.get() - 1);
            r.panicked.get()
        })
    }

    /// The panic a deleter parked for the release that just returned.
    #[cold]
    #[inline(never)]
    fn take_parked() -> Option<Payload> {
        RELEASE.with(|r| r.panicked.set(false));
        PARKED.with(|p| p.take())
    }

    /// Prints `message` and aborts the process.
    pub(crate) fn abort(message: core::fmt::Arguments<'_>) -> ! {
        std::eprintln!("{message}");
        std::process::abort()
    }
}

/// Without `std` there is no unwinding to catch (`no_std` targets abort on panic or have
/// no unwinder here), so a panic simply propagates; nothing is parked.
#[cfg(not(feature = "std"))]
mod unwind {
    /// A caught panic: none can be caught without `std`.
    pub(crate) enum Payload {}

    #[inline(always)]
    pub(crate) fn catch(f: impl FnOnce()) -> Result<(), Payload> {
        f();
        Ok(())
    }

    pub(crate) fn resume(p: Payload) -> ! {
        match p {}
    }

    pub(crate) fn park(payload: Payload) -> bool {
        match payload {}
    }

    #[inline(always)]
    pub(crate) fn bracket(call: impl FnOnce()) -> Option<Payload> {
        call();
        None
    }

    /// Panics while panicking, which aborts, after saying why.
    pub(crate) fn abort(message: core::fmt::Arguments<'_>) -> ! {
        struct AbortOnDrop;
        impl Drop for AbortOnDrop {
            fn drop(&mut self) {
                panic!("rcobj: aborting");
            }
        }
        let _abort = AbortOnDrop;
        panic!("{message}")
    }
}

/// A panic raised by a runtime type's `on_release` callback, with the type's key (the
/// descriptor is already freed when the callback runs) for the message if it must abort.
pub(crate) struct CallbackPanic {
    pub(crate) payload: Payload,
    pub(crate) key: Box<str>,
}

/// The first of two callback panics; the second is dropped, as a second panic raised
/// while the first is carried out could not propagate either.
#[inline]
pub(crate) fn first_panic(
    a: Option<CallbackPanic>,
    b: Option<CallbackPanic>,
) -> Option<CallbackPanic> {
    a.or(b)
}

/// Resumes a callback's panic in the Rust caller that released the type.
#[cold]
pub(crate) fn resume_callback(p: CallbackPanic) -> ! {
    resume(p.payload)
}

/// A callback panicked inside a deleter: parks it for the Rust release in progress, or
/// aborts if the release came from foreign code.
#[cold]
#[inline(never)]
pub(crate) fn park_callback_or_abort(p: CallbackPanic) {
    let key = p.key;
    if unwind::park(p.payload) {
        return;
    }
    fatal(format_args!(
        "rcobj: the `on_release` callback of the runtime type `{key}` panicked while the type \
         was released by an object release from foreign code (or while another panic was \
         pending); a panic cannot unwind through the C deleter, aborting"
    ));
}

/// A callback panicked where no Rust caller can receive the panic (`context` says where).
#[cfg(any(feature = "std", loom))]
#[cold]
#[inline(never)]
pub(crate) fn abort_callback(p: CallbackPanic, context: &str) -> ! {
    fatal(format_args!(
        "rcobj: the `on_release` callback of the runtime type `{}` panicked {context}; \
         the panic cannot reach a caller, aborting",
        p.key
    ))
}

/// The deleter of every Rust object type `T` (monomorphised per type).
///
/// [`Obj::new`](crate::Obj::new) and [`UniqueObj::new`](crate::UniqueObj::new) store it
/// in the header. With [`DELETER_STRONG`] it drops the value and counts the instance out,
/// with [`DELETER_WEAK`] it frees the block, with [`DELETER_BOTH`] it does both. A panic in
/// `T`'s `Drop` never unwinds out of it: with `std` it is caught, the phase is finished,
/// and the panic is resumed by the Rust release that called the deleter, or the process
/// aborts if the call came from foreign code.
///
/// # Safety
///
/// `obj` is the header address of a live `ObjCell<T>` allocated by this crate, and `flags`
/// is a phase that has not run yet: `DELETER_STRONG` once, then `DELETER_WEAK` once, or
/// `DELETER_BOTH` once.
///
/// # Examples
///
/// ```
/// use rcobj::{Obj, Object, DELETER_BOTH};
///
/// #[derive(Object)]
/// #[object(key = "doc.deleter.deleter")]
/// struct Item(String);
///
/// let raw = Obj::into_raw(Obj::new(Item("x".into())));
/// assert_eq!(Item::type_info().live_count(), 1);
/// // What a foreign release of the last reference does.
/// // SAFETY: `raw` owns the only reference to a live `Item`; both phases run once, here.
/// unsafe { rcobj::deleter::<Item>(raw.cast(), DELETER_BOTH) };
/// assert_eq!(Item::type_info().live_count(), 0);
/// ```
pub unsafe extern "C" fn deleter<T: Object>(obj: *mut c_void, flags: i32) {
    let cell = obj.cast::<ObjCell<T>>();
    if flags & DELETER_STRONG != 0 {
        let free = flags & DELETER_WEAK != 0;
        if core::mem::needs_drop::<T>() {
            // A panic must not unwind through this `extern "C"` function: catch it here,
            // after `drop_value` has counted the instance out and freed what `flags` say.
            // SAFETY: the caller guarantees a live cell of `T` whose strong phase has not
            // run, and (with `DELETER_WEAK`) that no one else uses the block afterwards.
            let result = catch(|| unsafe { drop_value_impl::<T>(cell, free, true) });
            if let Err(payload) = result {
                park_or_abort(payload, T::type_info().key());
            }
        } else {
            // Nothing here can unwind (no drop glue; a callback panic in the count merge is
            // parked or aborts, `in_deleter`), so no `catch_unwind` is needed.
            // SAFETY: as above.
            unsafe { drop_value_impl::<T>(cell, free, true) };
        }
    } else if flags & DELETER_WEAK != 0 {
        // SAFETY: the weak phase runs once, after the strong phase dropped the value.
        unsafe { ObjCell::<T>::free(cell) };
    }
}

/// The strong phase of `deleter::<T>`, as plain Rust: drops the value, counts the instance
/// out of this thread's slot, and frees the block if `free`. The count and the free happen
/// even when `T::drop` panics; the panic then unwinds to the caller.
///
/// Rust releases call this directly when the object's deleter is `deleter::<T>` (see
/// [`is_own_deleter`]), so a panicking `Drop` propagates by plain unwinding, as `Arc`'s
/// does, with no thread-local bookkeeping on the path that does not panic.
///
/// Counting the instance out may merge this thread's counts of unregistered runtime types
/// and so release one, running its `on_release` callback. If that panics, the count and
/// the free complete first; then the panic unwinds to the caller. No merge runs while
/// `T::drop` is unwinding.
///
/// # Safety
///
/// `cell` is a live `ObjCell<T>` allocated by this crate for `T`, whose value has not been
/// dropped; with `free`, no one uses the block afterwards.
#[inline(always)]
pub(crate) unsafe fn drop_value<T: Object>(cell: *mut ObjCell<T>, free: bool) {
    // SAFETY: as the caller guarantees.
    unsafe { drop_value_impl::<T>(cell, free, false) }
}

/// [`drop_value`]; with `in_deleter` (we run inside the `extern "C"` deleter, which must
/// not unwind) a callback panic is parked for the Rust release in progress, or aborts,
/// instead of unwinding. A panic of `T::drop` itself always unwinds (the deleter catches
/// it).
///
/// # Safety
///
/// As for [`drop_value`].
#[inline(always)]
unsafe fn drop_value_impl<T: Object>(cell: *mut ObjCell<T>, free: bool, in_deleter: bool) {
    // Four instantiations, so that `free` and `in_deleter` are constants inside each and
    // the guard holds nothing but the cell pointer (see `drop_value_then`). The callers
    // pass constants for both but the deleter's `free`, so the branches fold.
    match (free, in_deleter) {
        // SAFETY: as the caller guarantees.
        (true, false) => unsafe { drop_value_then::<T, true, false>(cell) },
        // SAFETY: as the caller guarantees.
        (false, false) => unsafe { drop_value_then::<T, false, false>(cell) },
        // SAFETY: as the caller guarantees.
        (true, true) => unsafe { drop_value_then::<T, true, true>(cell) },
        // SAFETY: as the caller guarantees.
        (false, true) => unsafe { drop_value_then::<T, false, true>(cell) },
    }
}

/// [`drop_value_impl`] with `free` and `in_deleter` as constants.
///
/// The only state kept across `T::drop` is the cell pointer: the type index is read from
/// the header after the value is gone (the header outlives the value), and the flags are
/// constants. So a release frame needs one callee-saved register, and a chain of nested
/// objects dropped recursively costs as little stack per level as `Arc`'s (BENCHMARKS.md,
/// "Stack per drop level"): with the index and the flags in the guard, the frame was 16
/// bytes larger.
///
/// # Safety
///
/// As for [`drop_value`], with `free` = `FREE`.
#[inline(always)]
unsafe fn drop_value_then<T: Object, const FREE: bool, const IN_DELETER: bool>(
    cell: *mut ObjCell<T>,
) {
    /// Counts the instance out and frees the block, on return or while unwinding.
    struct Finish<T: Object, const FREE: bool, const IN_DELETER: bool>(*mut ObjCell<T>);
    impl<T: Object, const FREE: bool, const IN_DELETER: bool> Drop for Finish<T, FREE, IN_DELETER> {
        #[inline(always)]
        fn drop(&mut self) {
            // SAFETY: the header outlives the value (the block is freed below at the
            // earliest); its type index never changes.
            let index = unsafe { (*self.0).header.type_index() };
            // Branch: the count in this thread's slot, then the free, inline. The slow
            // count (which may merge, release runtime types and return a callback's panic)
            // is out of line with everything it needs: inline, its `Option` of a panic made
            // every release frame larger and `Obj::drop` too big to inline.
            if counts::add_fast(index, -1) {
                if FREE {
                    // SAFETY: the value is dropped (or its drop unwound, which still ends
                    // its life) and, by `drop_value`'s contract, no one uses the block
                    // afterwards.
                    unsafe { ObjCell::<T>::free(self.0) };
                }
            } else {
                // SAFETY: as above.
                unsafe { finish_slow::<T, FREE, IN_DELETER>(self.0, index) };
            }
        }
    }
    /// The slow end of a release: count out the slow way (linking the thread, merging
    /// when asked), free, then raise a panic of a released runtime type's callback.
    ///
    /// # Safety
    ///
    /// As for the free in `Finish::drop`.
    #[cold]
    #[inline(never)]
    unsafe fn finish_slow<T: Object, const FREE: bool, const IN_DELETER: bool>(
        cell: *mut ObjCell<T>,
        index: i32,
    ) {
        let released = counts::add_releasing(index, -1);
        if FREE {
            // SAFETY: as the caller guarantees.
            unsafe { ObjCell::<T>::free(cell) };
        }
        if let Some(p) = released {
            if IN_DELETER {
                park_callback_or_abort(p);
            } else {
                resume_callback(p);
            }
        }
    }
    let finish = Finish::<T, FREE, IN_DELETER>(cell);
    // SAFETY: the cell is live, and the value is dropped exactly once (the strong phase
    // runs once). We project to the value with a raw pointer, so no reference spans the
    // header, which other threads may still be updating through weak references.
    unsafe { ptr::drop_in_place(ptr::addr_of_mut!((*cell).value)) };
    drop(finish);
}

/// Whether `header`'s deleter is `deleter::<T>`, so that a Rust release may run its body
/// ([`drop_value::<T>`]) inline instead of calling through the pointer.
///
/// This saves the indirect call and the thread-local bracket of [`call_from_rust`] on
/// every release through a handle whose static type is the object's real type.
///
/// Function addresses are not unique: the same function may have several addresses (one
/// per crate that instantiates `deleter::<T>`), so a `false` here only sends the release
/// down the general path. Two functions share an address only when the compiler or linker
/// merged them because their code is identical, so they do the same thing: when the
/// pointer equals `deleter::<T>`'s address, calling it would do what `deleter::<T>` does,
/// and its strong phase is `drop_value::<T>`.
///
/// `AnyObject` has no objects of its own, so `deleter::<AnyObject>` is no object's deleter:
/// for an `AnyObj` the test is decided at compile time and costs nothing.
#[inline(always)]
pub(crate) fn is_own_deleter<T: Object>(header: &ObjectHeader) -> bool {
    if T::DEPTH == 0 {
        return false;
    }
    let own: Deleter = deleter::<T>;
    match header.deleter() {
        Some(d) => d as usize == own as usize,
        None => false,
    }
}

#[cold]
#[inline(never)]
pub(crate) fn park_or_abort(payload: Payload, key: &str) {
    if unwind::park(payload) {
        return;
    }
    fatal(format_args!(
        "rcobj: the destructor of a `{key}` object panicked while the object was released \
         from foreign code (or while another panic was pending); a panic cannot unwind \
         through the C deleter, aborting"
    ));
}

/// Prints `message` and aborts the process.
#[cold]
pub(crate) fn fatal(message: fmt::Arguments<'_>) -> ! {
    unwind::abort(message)
}

/// Aborts because a count would pass `i32::MAX`. Names the object's type.
#[cold]
#[inline(never)]
pub(crate) fn count_overflow(header: &ObjectHeader, which: &str) -> ! {
    let index = header.type_index();
    let key = registry::info_of(header).map_or("<foreign type>", |t| t.key());
    fatal(format_args!(
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
/// `header` must carry the provenance of the whole block (derived from the cell pointer,
/// not from a `&ObjectHeader`), since the deleter drops the value and may free it.
#[inline]
pub(crate) unsafe fn call_from_rust(header: *const ObjectHeader, flags: i32) -> Option<Payload> {
    // The deleter is read inside the bracket (an object without one only costs the
    // bracket), so that nothing loaded before the thread-local update must survive it.
    unwind::bracket(|| {
        // SAFETY: the caller guarantees the header is live; the deleter field never
        // changes.
        if let Some(d) = unsafe { (*header).deleter() } {
            // SAFETY: guaranteed by the caller.
            unsafe { d(header.cast_mut().cast(), flags) }
        }
    })
}

/// Runs both phases of an object whose last reference of any kind the caller holds
/// (strong 1, weak 1, decided by the caller). Resumes a panic from the value's `Drop`
/// afterwards, the memory freed.
///
/// # Safety
///
/// `cell` is live, its real type is `T` or a descendant, and the caller's strong reference
/// is the only reference of any kind, seen with acquire ordering.
///
/// Out of line, as `Arc::drop_slow`: it keeps `Obj::drop` small enough to inline
/// everywhere, which matters more to clone+drop than the call costs create+drop.
#[inline(never)]
pub(crate) unsafe fn release_both<T: Object>(cell: *mut ObjCell<T>) {
    // SAFETY: the object is live until we release it.
    let header = unsafe { &(*cell).header };
    // Branch: the handle's static type is the real type, with our deleter. Saves the
    // indirect call and the thread-local bracket; panics unwind straight to the caller.
    // This path makes no call but `T::drop` and the tail call of the free, so its frame
    // holds only the cell pointer kept across `T::drop`.
    if is_own_deleter::<T>(header) {
        // SAFETY: the deleter is `deleter::<T>`, so the block is an `ObjCell<T>` allocated
        // by this crate; neither phase ran and no one else holds a reference.
        unsafe { drop_value::<T>(cell, true) };
    } else {
        // SAFETY: as for this function; the pointer is derived from `cell`.
        unsafe { release_both_through_deleter(cell.cast()) };
    }
}

/// [`release_both`] for an ancestor-typed handle or a foreign object: through the deleter
/// pointer, inside the thread-local bracket. Not generic, and out of line (a tail call
/// from `release_both`), so that the bracket's saves stay out of the own-deleter path.
///
/// # Safety
///
/// As for [`release_both`]; `header` carries the provenance of the whole block.
#[inline(never)]
unsafe fn release_both_through_deleter(header: *mut ObjectHeader) {
    // That deleter sees the word a decrementing release leaves before a BOTH call (strong
    // 0, weak 1), also after the unshared release, which did not write it. A plain store:
    // no other reference exists.
    // SAFETY: live (the caller's reference).
    unsafe { (*header).word().store(WEAK_ONE, Ordering::Relaxed) };
    // SAFETY: neither phase ran; the object is ours alone. The deleter gets a pointer
    // derived from the cell, never from a `&ObjectHeader`, whose provenance covers the
    // header only.
    if let Some(p) = unsafe { call_from_rust(header, DELETER_BOTH) } {
        resume(p);
    }
}

/// The last strong reference is gone (`old` is the word before the decrement): run the
/// strong phase, then drop the implicit weak reference — or both in one deleter call when
/// no weak reference is left. Resumes a panic from the value's `Drop` afterwards.
///
/// # Safety
///
/// `cell` is live with real type `T` or a descendant; the caller just took the strong half
/// from 1 to 0 with a Release RMW, and `old` is the word that RMW returned.
#[inline(never)]
pub(crate) unsafe fn release_last_strong<T: Object>(cell: *mut ObjCell<T>, old: u64) {
    // SAFETY: the object is live until the weak phase runs, which only we can trigger now.
    let h = unsafe { &(*cell).header };
    // From `cell`, not from `h`: a pointer made from the header reference covers only the
    // header, and the weak release may free the whole block through it.
    let header: *const ObjectHeader = cell.cast();
    // Acquire: pairs with the Release decrement of every other strong handle, so their
    // uses of the value happen before the destructor.
    acquire!(h.word());
    if old == BOTH_ONE {
        // Strong and weak reach zero together: one deleter call (fast path 1).
        // SAFETY: neither phase ran; the object is ours alone (acquired above).
        unsafe { release_both::<T>(cell) };
        return;
    }
    if is_own_deleter::<T>(h) {
        // Branch: our own deleter, run inline as in `release_both`. The guard drops the
        // implicit weak reference even if `T::drop` panics.
        struct ReleaseWeak(*const ObjectHeader);
        impl Drop for ReleaseWeak {
            fn drop(&mut self) {
                // SAFETY: we hold the implicit weak reference of the strong handles.
                unsafe { release_weak(self.0) };
            }
        }
        let weak = ReleaseWeak(header);
        // SAFETY: the deleter is `deleter::<T>` (a block of ours); the strong phase has not
        // run; weak references keep the memory alive.
        unsafe { drop_value::<T>(cell, false) };
        drop(weak);
        return;
    }
    // SAFETY: the strong phase has not run; weak references keep the memory alive.
    let payload = unsafe { call_from_rust(header, DELETER_STRONG) };
    // SAFETY: we still hold the implicit weak reference.
    let weak_payload = unsafe { release_weak_parked(header) };
    if let Some(p) = payload.or(weak_payload) {
        resume(p);
    }
}

/// Drops one weak reference; frees the memory through the deleter if it was the last.
/// Resumes a panic the weak phase parked, once the memory is freed.
///
/// # Safety
///
/// The caller owns one weak reference (external, or the implicit one) to a live header;
/// `header` carries the provenance of the whole block (it may be freed through it).
#[inline]
pub(crate) unsafe fn release_weak(header: *const ObjectHeader) {
    // SAFETY: guaranteed by the caller.
    if let Some(p) = unsafe { release_weak_parked(header) } {
        resume(p);
    }
}

/// [`release_weak`], returning a parked panic instead of resuming it.
///
/// The weak phase of a Rust type's deleter only frees memory; that of a runtime type's
/// instance also counts the instance's reference to its type out, which may release the
/// type and run its `on_release` callback. So the call is bracketed like the other
/// phases, and a callback panic comes back here.
///
/// # Safety
///
/// As for [`release_weak`].
#[inline]
unsafe fn release_weak_parked(header: *const ObjectHeader) -> Option<Payload> {
    // SAFETY: our weak reference keeps the header alive until the decrement below.
    let h = unsafe { &*header };
    let old = h.dec_weak();
    if weak_of(old) == 1 {
        debug_assert_eq!(strong_of(old), 0);
        // Acquire: pairs with the Release decrements of every other weak reference.
        acquire!(h.word());
        // SAFETY: the last reference of any kind is gone; the weak phase runs once; the
        // pointer carries the provenance of the whole block (the caller's).
        return unsafe { call_from_rust(header, DELETER_WEAK) };
    }
    None
}
