//! Per-thread instance counts (the CPython free-threaded idea, gh-122417).
//!
//! Creating an object adds 1 and running its destructor subtracts 1 in the *current
//! thread's* slot for the object's type: a relaxed load and a relaxed store on a slot only
//! this thread writes. No shared cache line is written on that path. A type's live count
//! is its shared count plus every live thread's slot; a thread's slots are merged into the
//! shared counts when it exits.
//!
//! # Layout and what is allocated
//!
//! * Each thread has an inline block of [`THREAD_SLOTS`] `AtomicI64` slots in its
//!   thread-local storage (2 KiB, no heap allocation). Types whose index is past the
//!   block count in their shared slot directly (correct, but contended).
//! * The shared counts are one static array of [`MAX_TYPES`] atomics (in `.bss`).
//! * A thread is linked into the global thread list (an intrusive list under a mutex, so
//!   linking allocates nothing) the first time it counts an instance, and registers a
//!   thread-local destructor that merges and unlinks it at exit. Neither step allocates
//!   through the global allocator, so a counting allocator sees exactly one allocation per
//!   `Obj::new`.
//! * An object dropped after the thread's destructor ran (during thread-local teardown)
//!   counts in the shared slot. Nothing is lost.
//!
//! Readers ([`live`]) hold the thread-list lock while they sum, so a thread cannot merge
//! and unlink between two reads and be counted twice or not at all.

use core::cell::Cell;
use core::ptr;
use core::sync::atomic::{AtomicI64, AtomicPtr, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard};

use crate::type_info::FIRST_DYNAMIC_INDEX;

/// How many derived type indices the runtime supports (indices `128..128 + MAX_TYPES`).
pub const MAX_TYPES: usize = 4096;
/// How many of those have a slot in every thread's inline block.
pub const THREAD_SLOTS: usize = 256;

/// The shared counts, indexed by `type_index - FIRST_DYNAMIC_INDEX`.
static SHARED: [AtomicI64; MAX_TYPES] = [const { AtomicI64::new(0) }; MAX_TYPES];

const UNLINKED: u8 = 0;
const LINKED: u8 = 1;
const DEAD: u8 = 2;

/// One thread's slots. Lives in that thread's TLS; other threads read it only under the
/// thread-list lock, while it is linked.
struct ThreadCounts {
    /// Written only by the owning thread (relaxed load + store), read by anyone under the
    /// lock (relaxed) and zeroed by the owner under the lock when it merges.
    slots: [AtomicI64; THREAD_SLOTS],
    /// Owner-only: how many slots the fast path may use — [`THREAD_SLOTS`] while the
    /// thread is linked, 0 otherwise — so that one compare decides the fast path.
    limit: Cell<u32>,
    /// Owner-only: UNLINKED, LINKED or DEAD (destructor ran: count in the shared slots).
    state: Cell<u8>,
    /// The next linked thread; read and written only under the lock.
    next: AtomicPtr<ThreadCounts>,
}

impl ThreadCounts {
    const fn new() -> Self {
        ThreadCounts {
            slots: [const { AtomicI64::new(0) }; THREAD_SLOTS],
            limit: Cell::new(0),
            state: Cell::new(UNLINKED),
            next: AtomicPtr::new(ptr::null_mut()),
        }
    }
}

/// Merges and unlinks the thread's slots when thread-local storage is torn down.
struct ExitGuard;

impl Drop for ExitGuard {
    fn drop(&mut self) {
        // `LOCAL` has no destructor, so it is still accessible here.
        LOCAL.with(|local| {
            let mut list = lock_threads();
            merge_locked(local);
            list.unlink(local);
            local.limit.set(0);
            local.state.set(DEAD);
        });
    }
}

std::thread_local! {
    static LOCAL: ThreadCounts = const { ThreadCounts::new() };
    static EXIT_GUARD: ExitGuard = const { ExitGuard };
}

struct ThreadList {
    head: *const ThreadCounts,
    len: usize,
}

// SAFETY: the list only holds addresses of linked `ThreadCounts`, each valid until its
// thread unlinks it under this mutex; the pointers are only followed under the mutex.
unsafe impl Send for ThreadList {}

impl ThreadList {
    fn push(&mut self, t: &ThreadCounts) {
        t.next.store(self.head as *mut ThreadCounts, Relaxed);
        self.head = t;
        self.len += 1;
    }

    fn unlink(&mut self, t: &ThreadCounts) {
        let target: *const ThreadCounts = t;
        let mut link: *const ThreadCounts = ptr::null();
        let mut cur = self.head;
        while !cur.is_null() {
            // SAFETY: `cur` is linked, so its thread has not unlinked it yet and its TLS is
            // alive; we hold the lock.
            let next = unsafe { (*cur).next.load(Relaxed) };
            if cur == target {
                if link.is_null() {
                    self.head = next;
                } else {
                    // SAFETY: as above, `link` is a linked node.
                    unsafe { (*link).next.store(next, Relaxed) };
                }
                self.len -= 1;
                return;
            }
            link = cur;
            cur = next;
        }
    }

    fn for_each(&self, mut f: impl FnMut(&ThreadCounts)) {
        let mut cur = self.head;
        while !cur.is_null() {
            // SAFETY: linked nodes stay valid while we hold the lock (see `unlink`).
            let t = unsafe { &*cur };
            f(t);
            cur = t.next.load(Relaxed);
        }
    }
}

static THREADS: Mutex<ThreadList> = Mutex::new(ThreadList {
    head: ptr::null(),
    len: 0,
});

fn lock_threads() -> MutexGuard<'static, ThreadList> {
    // The list is consistent after every step, so a poisoned lock is still usable.
    THREADS.lock().unwrap_or_else(|e| e.into_inner())
}

/// The slot of a type index, or `None` for the root and foreign indices (not counted).
#[inline(always)]
fn slot_of(index: i32) -> Option<usize> {
    let slot = index.wrapping_sub(FIRST_DYNAMIC_INDEX) as u32 as usize;
    if slot < MAX_TYPES {
        Some(slot)
    } else {
        None
    }
}

/// Adds `delta` to the current thread's count of `index`.
#[inline(always)]
pub(crate) fn add(index: i32, delta: i64) {
    // The root (64) and foreign indices wrap to huge slots and fail the compare below.
    let slot = index.wrapping_sub(FIRST_DYNAMIC_INDEX) as u32;
    LOCAL.with(|local| {
        // One compare and one branch stand for three tests: a derived type, a linked
        // thread (`limit` is 0 otherwise) and a slot inside the inline block.
        if slot < local.limit.get() {
            // SAFETY: `limit` is 0 or `THREAD_SLOTS`, so `slot` is in bounds.
            let s = unsafe { local.slots.get_unchecked(slot as usize) };
            // Only this thread writes the slot: a plain read-modify-write, no RMW
            // instruction. Relaxed so that readers under the lock never race.
            s.store(s.load(Relaxed).wrapping_add(delta), Relaxed);
        } else {
            add_slow(local, slot as usize, delta);
        }
    });
}

#[cold]
#[inline(never)]
fn add_slow(local: &ThreadCounts, slot: usize, delta: i64) {
    if slot >= MAX_TYPES {
        // The root or a foreign index: not counted.
        return;
    }
    if local.state.get() == UNLINKED {
        // Register the exit merge first; if thread-local storage is already being torn
        // down the thread counts in the shared slots from now on.
        if EXIT_GUARD.try_with(|_| ()).is_ok() {
            lock_threads().push(local);
            local.state.set(LINKED);
            local.limit.set(THREAD_SLOTS as u32);
        } else {
            local.state.set(DEAD);
        }
    }
    if local.state.get() == LINKED && slot < THREAD_SLOTS {
        let s = &local.slots[slot];
        s.store(s.load(Relaxed).wrapping_add(delta), Relaxed);
    } else {
        SHARED[slot].fetch_add(delta, Relaxed);
    }
}

/// Moves every nonzero slot of `local` into the shared counts. Caller holds the lock.
fn merge_locked(local: &ThreadCounts) {
    for (slot, s) in local.slots.iter().enumerate() {
        let v = s.load(Relaxed);
        if v != 0 {
            SHARED[slot].fetch_add(v, Relaxed);
            s.store(0, Relaxed);
        }
    }
}

/// The live count of `index`: the shared count plus every linked thread's slot.
///
/// Exact when no instance of the type is being created or destroyed concurrently and
/// every create/destroy happened before this call (e.g. through `join`).
pub(crate) fn live(index: i32) -> i64 {
    let Some(slot) = slot_of(index) else { return 0 };
    let list = lock_threads();
    let mut sum = SHARED[slot].load(Relaxed);
    if slot < THREAD_SLOTS {
        list.for_each(|t| sum += t.slots[slot].load(Relaxed));
    }
    sum
}

/// The number of threads whose slots are currently linked.
pub fn registered_threads() -> usize {
    lock_threads().len
}

/// Merges the current thread's slots into the shared counts now, instead of at exit.
///
/// Live counts do not change; this only moves them. Useful before a thread parks for a
/// long time.
pub fn merge_thread_counts() {
    LOCAL.with(|local| {
        if local.state.get() == LINKED {
            let _list = lock_threads();
            merge_locked(local);
        }
    });
}
