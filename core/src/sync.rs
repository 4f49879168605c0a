//! The atomics shim: every atomic the object header uses comes from here, so the count
//! transitions can be model-checked with loom (`RUSTFLAGS="--cfg loom"`).
//!
//! Under loom the header's word is a `loom::sync::atomic::AtomicU64`; layout assertions are
//! then skipped because loom's atomics are larger than the real ones. The per-thread counts
//! (`counts.rs`) take their slot atomics and the thread-list mutex from here too, and declare
//! their statics and thread-locals per loom execution and per loom thread.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicI64, AtomicU32, AtomicU64};
#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{fence, AtomicBool, AtomicI64, AtomicU32, AtomicU64};
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};

pub(crate) use core::sync::atomic::Ordering;

/// The acquire half of a release/acquire pair after a decrement that reached zero.
///
/// Normally a fence. ThreadSanitizer does not model fences, so under `--cfg rcobj_tsan`
/// this is an acquire load of the same word instead (std's `Arc` does the same).
macro_rules! acquire {
    ($word:expr) => {{
        #[cfg(not(rcobj_tsan))]
        {
            let _ = &$word;
            $crate::sync::fence($crate::sync::Ordering::Acquire);
        }
        #[cfg(rcobj_tsan)]
        {
            let _ = $word.load($crate::sync::Ordering::Acquire);
        }
    }};
}
pub(crate) use acquire;
