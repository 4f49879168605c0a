//! A global allocator that watches chosen blocks: it counts how often each watched address
//! is freed, from any thread. Install it with
//! `#[global_allocator] static A: WatchAlloc = WatchAlloc;`.
//!
//! A slot stops watching at the first free of its address, so a block the allocator hands
//! out again (to another test running in parallel) is never counted against the watcher;
//! a second free of the same block is for Miri and AddressSanitizer to catch.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

const SLOTS: usize = 64;

static ADDRS: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
static FREED: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];

/// Forwards to `System`, counting frees of watched addresses.
pub struct WatchAlloc;

// SAFETY: forwards every call to `System`; the bookkeeping only touches static atomics and
// never allocates.
unsafe impl GlobalAlloc for WatchAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let addr = ptr as usize;
        for (slot, watched) in ADDRS.iter().enumerate() {
            if watched.load(Ordering::Relaxed) == addr
                && watched
                    .compare_exchange(addr, 1, Ordering::AcqRel, Ordering::Relaxed)
                    .is_ok()
            {
                FREED[slot].fetch_add(1, Ordering::AcqRel);
            }
        }
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Watches the block at `ptr` (which must be live); returns a handle to ask about it.
#[allow(dead_code)]
pub fn watch<T: ?Sized>(ptr: *const T) -> Watch {
    watch_addr(ptr.cast::<u8>() as usize)
}

/// Watches the live block at address `addr`.
pub fn watch_addr(addr: usize) -> Watch {
    assert!(addr > 1);
    for (slot, watched) in ADDRS.iter().enumerate() {
        if watched
            .compare_exchange(0, addr, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            FREED[slot].store(0, Ordering::Release);
            return Watch { slot };
        }
    }
    panic!("more than {SLOTS} watched blocks at once");
}

/// A watched block.
pub struct Watch {
    slot: usize,
}

impl Watch {
    /// How many times the block was freed (0 or 1: the slot stops watching at the first).
    pub fn frees(&self) -> usize {
        FREED[self.slot].load(Ordering::Acquire)
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        ADDRS[self.slot].store(0, Ordering::Release);
    }
}
