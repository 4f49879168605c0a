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
pub(crate) use core::sync::atomic::{fence, AtomicU64};
#[cfg(all(not(loom), feature = "std"))]
pub(crate) use core::sync::atomic::{AtomicBool, AtomicI64, AtomicU32};
#[cfg(all(not(loom), feature = "std"))]
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

/// A reader-writer lock for the registry's tables: std's `RwLock` (a poisoned lock is
/// still used: the tables are consistent after every step), or without `std` a spin lock.
/// (Under loom the registry uses loom's mutex instead.)
#[cfg_attr(loom, allow(dead_code))]
pub(crate) struct Lock<T> {
    #[cfg(feature = "std")]
    inner: std::sync::RwLock<T>,
    #[cfg(not(feature = "std"))]
    inner: spin::SpinLock<T>,
}

#[cfg_attr(loom, allow(dead_code))]
impl<T> Lock<T> {
    pub(crate) const fn new(value: T) -> Self {
        Lock {
            #[cfg(feature = "std")]
            inner: std::sync::RwLock::new(value),
            #[cfg(not(feature = "std"))]
            inner: spin::SpinLock::new(value),
        }
    }

    #[cfg(feature = "std")]
    pub(crate) fn read(&self) -> impl core::ops::Deref<Target = T> + '_ {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(feature = "std")]
    pub(crate) fn write(&self) -> impl core::ops::DerefMut<Target = T> + '_ {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(not(feature = "std"))]
    pub(crate) fn read(&self) -> impl core::ops::Deref<Target = T> + '_ {
        self.inner.lock()
    }

    #[cfg(not(feature = "std"))]
    pub(crate) fn write(&self) -> impl core::ops::DerefMut<Target = T> + '_ {
        self.inner.lock()
    }
}

/// A value initialised once: std's `OnceLock`, or without `std` a spin-once.
#[cfg(feature = "std")]
#[cfg_attr(loom, allow(dead_code))]
pub(crate) type Once<T> = std::sync::OnceLock<T>;
#[cfg(not(feature = "std"))]
pub(crate) type Once<T> = spin::SpinOnce<T>;

#[cfg(not(feature = "std"))]
mod spin {
    use core::cell::UnsafeCell;
    use core::ops::{Deref, DerefMut};
    use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};

    /// A spin lock (no `std`, no thread parking).
    pub(crate) struct SpinLock<T> {
        locked: AtomicBool,
        value: UnsafeCell<T>,
    }

    // SAFETY: the lock hands out the value to one holder at a time.
    unsafe impl<T: Send> Sync for SpinLock<T> {}

    impl<T> SpinLock<T> {
        pub(crate) const fn new(value: T) -> Self {
            SpinLock {
                locked: AtomicBool::new(false),
                value: UnsafeCell::new(value),
            }
        }

        pub(crate) fn lock(&self) -> SpinGuard<'_, T> {
            // Acquire: pairs with the Release store in `SpinGuard::drop`.
            while self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
            {
                core::hint::spin_loop();
            }
            SpinGuard { lock: self }
        }
    }

    pub(crate) struct SpinGuard<'a, T> {
        lock: &'a SpinLock<T>,
    }

    impl<T> Deref for SpinGuard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            // SAFETY: we hold the lock.
            unsafe { &*self.lock.value.get() }
        }
    }

    impl<T> DerefMut for SpinGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            // SAFETY: we hold the lock.
            unsafe { &mut *self.lock.value.get() }
        }
    }

    impl<T> Drop for SpinGuard<'_, T> {
        fn drop(&mut self) {
            // Release: pairs with the Acquire in `lock`.
            self.lock.locked.store(false, Ordering::Release);
        }
    }

    /// A value initialised once; concurrent callers spin until it is ready.
    pub(crate) struct SpinOnce<T> {
        state: AtomicU8,
        value: UnsafeCell<Option<T>>,
    }

    // SAFETY: the value is written once, before `state` becomes READY (Release), and only
    // read after seeing READY (Acquire).
    unsafe impl<T: Send + Sync> Sync for SpinOnce<T> {}

    const EMPTY: u8 = 0;
    const RUNNING: u8 = 1;
    const READY: u8 = 2;

    impl<T> SpinOnce<T> {
        pub(crate) const fn new() -> Self {
            SpinOnce {
                state: AtomicU8::new(EMPTY),
                value: UnsafeCell::new(None),
            }
        }

        pub(crate) fn get_or_init(&self, f: impl FnOnce() -> T) -> &T {
            if self
                .state
                .compare_exchange(EMPTY, RUNNING, Ordering::Acquire, Ordering::Acquire)
                .is_ok()
            {
                // SAFETY: RUNNING gives us exclusive access until we publish READY.
                unsafe { *self.value.get() = Some(f()) };
                // Release: pairs with the Acquire loads below.
                self.state.store(READY, Ordering::Release);
            }
            while self.state.load(Ordering::Acquire) != READY {
                core::hint::spin_loop();
            }
            // SAFETY: READY: written once and never again.
            unsafe { (*self.value.get()).as_ref().expect("initialised") }
        }
    }
}
