//! The atomics shim: every atomic the object header uses comes from here, so the count
//! transitions can be model-checked with loom (`RUSTFLAGS="--cfg loom"`).
//!
//! Under loom the header's word is a `loom::sync::atomic::AtomicU64`; layout assertions are
//! then skipped because loom's atomics are larger than the real ones.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicU64};

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{fence, AtomicU64};

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
