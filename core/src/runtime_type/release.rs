//! How runtime types and their instances are torn down: an instance's strong phase (its
//! destructors, counted out of `live_count`) and weak phase (its reference to the type,
//! released last), and the freeing of a type whose count reached "released".
//!
//! This is the runtime-type side of the epoch/pending protocol (`DESIGN.md`, "Runtime-
//! defined types"; `SAFETY.md`): the counting itself — per-thread slots, the packed word,
//! the merges, `unregister` — is `counts.rs`, "Runtime types", and
//! `core/tests/loom_runtime_types.rs` model-checks the two together. What this file owes
//! that protocol: an instance releases its type reference only after its last access to the
//! type (`dealloc` first, then `add_runtime(-1)`, then nothing), and a released type is
//! freed exactly once, by the one caller the protocol hands it to ([`release_inner`]).

use ::alloc::alloc;
use ::alloc::boxed::Box;
use core::ffi::c_void;
use core::mem::offset_of;
use core::ptr::{self};

use crate::counts::{self, TypeRc};
use crate::deleter::{
    catch, first_panic, park_callback_or_abort, park_or_abort, CallbackPanic, Payload,
};
use crate::header::{ObjectHeader, DELETER_STRONG, DELETER_WEAK};
use crate::registry;

use super::handle::RuntimeType;
use super::{inner_of, value_offset_for, Destructor, Inner};

/// Frees a released runtime type, then runs its `on_release` callback, then drops its
/// handle to a runtime parent (which may release the parent in turn). Returns the first
/// panic of those callbacks, caught after everything is freed.
pub(super) unsafe fn release_inner(rc: *const TypeRc) -> Option<CallbackPanic> {
    // SAFETY: `rc` is the first field of the `state` field of a boxed `Inner` (both
    // `repr(C)`), with the provenance of the whole `Inner`; released exactly once.
    let mut inner = unsafe {
        let inner = rc
            .byte_sub(offset_of!(Inner, state))
            .cast::<Inner>()
            .cast_mut();
        // Clears the index entry under the registry lock; the key left the table at
        // `unregister`, so nothing can reach the type once this returns.
        registry::release_runtime(&(*inner).info);
        Box::from_raw(inner)
    };
    let on_release = inner.on_release.take();
    let destructor = inner.destructor.take();
    let parent = inner.parent.take();
    // Kept for a panic message; the rest of the type goes now (no user code runs in its
    // drop: the destructor's context and the parent handle were taken out).
    let key = (on_release.is_some() || matches!(destructor, Some(Destructor::Rust(_))))
        .then(|| inner.owned.take_key());
    drop(inner);
    let mut panicked = None;
    if let Some(key) = key {
        // The destructor's context first: `on_release` may unload the code it lives in.
        if let Some(d) = destructor {
            if let Err(payload) = catch(move || drop(d)) {
                panicked = Some(CallbackPanic {
                    payload,
                    key: key.clone(),
                });
            }
        }
        if let Some(f) = on_release {
            if let Err(payload) = catch(f) {
                panicked = first_panic(panicked, Some(CallbackPanic { payload, key }));
            }
        }
    }
    // After our callback, so a child's runs before its parent's.
    let parent_panicked = parent.and_then(RuntimeType::release_quietly);
    first_panic(panicked, parent_panicked)
}

impl RuntimeType {
    /// Drops the handle, returning a callback panic instead of resuming it (for
    /// `release_inner`, which must finish before any panic propagates).
    fn release_quietly(self) -> Option<CallbackPanic> {
        let rc = self.rc_ptr();
        // The handle's count is given up below instead of in `TypeRef::drop`.
        core::mem::forget(self);
        // SAFETY: we owned a counted handle (forgotten above) and touch the type no more.
        unsafe { counts::type_handle_release(rc) }
    }
}

/// The deleter of every runtime type's instances.
pub(super) unsafe extern "C" fn runtime_deleter(obj: *mut c_void, flags: i32) {
    // SAFETY: `obj` is a live instance, whose index is its type's; the type is alive until
    // the weak phase below releases the instance's reference.
    let inner: *const Inner = unsafe {
        let index = (*obj.cast::<ObjectHeader>()).type_index();
        let info = registry::info_ptr(index).expect("a live runtime type");
        inner_of(info.as_ref())
    };
    // SAFETY: as above.
    let inner_ref = unsafe { &*inner };
    if flags & DELETER_STRONG != 0 {
        // SAFETY: the value is live and its strong phase runs once.
        let value = unsafe {
            obj.cast::<u8>()
                .add(value_offset_for(inner_ref.info.align()))
        };
        // As for a Rust `Drop` of nested fields: every destructor runs even if one panics;
        // the first panic is raised once the value is gone (later ones are dropped).
        let mut panicked: Option<(Payload, &str)> = None;
        let mut note = |r: Result<(), Payload>, key| {
            if let Err(p) = r {
                if panicked.is_none() {
                    panicked = Some((p, key));
                }
            }
        };
        let mut t = Some(inner_ref);
        let mut base = None;
        while let Some(ty) = t {
            match &ty.destructor {
                Some(Destructor::C(d)) => {
                    // SAFETY: the contract of `RuntimeTypeBuilder::drop_fn`.
                    unsafe { d(value) };
                }
                Some(Destructor::Rust(f)) => {
                    // SAFETY: this instance has `ty`'s layout (it is a `ty` or a
                    // descendant); the bytes past the base are initialised, and ours: the
                    // strong phase runs once, after the last strong handle went, and no
                    // weak handle reaches the value.
                    let bytes = unsafe {
                        core::slice::from_raw_parts_mut(
                            value.add(ty.bytes_start),
                            ty.info.size() - ty.bytes_start,
                        )
                    };
                    note(catch(|| f(bytes)), ty.info.key());
                }
                None => {}
            }
            base = ty.static_base;
            t = ty.parent.as_ref().map(RuntimeType::inner);
        }
        if let Some(b) = base {
            // SAFETY: the value starts with a live base of that type.
            note(catch(|| unsafe { (b.drop)(value) }), b.info.key());
        }
        // The value is destroyed: count it out (the instance still holds its type, until
        // the weak phase below).
        // SAFETY: the instance keeps the type alive.
        unsafe { counts::add_runtime_value(ptr::addr_of!((*inner).state.rc), -1) };
        if let Some((p, key)) = panicked {
            park_or_abort(p, key);
        }
    }
    if flags & DELETER_WEAK != 0 {
        // SAFETY: the last reference of any kind is gone; the block has this layout.
        unsafe { alloc::dealloc(obj.cast(), inner_ref.cell) };
        // SAFETY: the instance's reference to its type is released last; we touch the type
        // no more.
        let released = unsafe { counts::add_runtime(ptr::addr_of!((*inner).state.rc), -1) };
        if let Some(p) = released {
            // The type (or another one our merge released) is freed; its callback
            // panicked. We are inside the `extern "C"` deleter: park it for the Rust
            // release in progress, or abort if foreign code released the object.
            park_callback_or_abort(p);
        }
    }
}
