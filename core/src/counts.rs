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
//!   thread-local storage (2 KiB, no heap allocation), and a second one for the live
//!   values of runtime types (whose first block counts their instance references). Types whose index is past the
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
//!
//! # Under loom
//!
//! With `--cfg loom` the slots, the shared counts and the thread-list mutex are loom's
//! (see `sync.rs`); the statics are created per loom execution and the thread-locals per
//! loom thread, and the tables are small. Loom's `join` does not wait for the joined
//! thread's thread-local destructors, and loom drops its statics before the model's main
//! thread ends: models count instances only on spawned threads and end each of them with
//! `__private::loom_thread_exit()`, which does what the exit guard does. (A slots block
//! still linked when loom drops it merges and unlinks itself.)

use ::alloc::vec::Vec;
use core::cell::Cell;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering::Relaxed};

use crate::deleter::{abort_callback, first_panic, resume_callback, CallbackPanic};
use crate::sync::{
    fence, AtomicBool, AtomicI64, AtomicU32, AtomicU64, Mutex, MutexGuard, Ordering,
};
use crate::type_info::FIRST_DYNAMIC_INDEX;

/// How many derived type indices the runtime supports (indices
/// `FIRST_DYNAMIC_INDEX..FIRST_DYNAMIC_INDEX + MAX_TYPES`).
///
/// ```
/// use rcobj::{Object, FIRST_DYNAMIC_INDEX, MAX_TYPES, THREAD_SLOTS};
///
/// #[derive(Object)]
/// #[object(key = "doc.counts.MAX_TYPES")]
/// struct Item;
///
/// let index = Item::type_info().index();
/// assert!((FIRST_DYNAMIC_INDEX..FIRST_DYNAMIC_INDEX + MAX_TYPES as i32).contains(&index));
/// assert!(THREAD_SLOTS <= MAX_TYPES);
/// ```
pub const MAX_TYPES: usize = if cfg!(loom) { 16 } else { 4096 };
/// How many of those have a slot in every thread's inline block.
///
/// ```
/// use rcobj::{Obj, Object, FIRST_DYNAMIC_INDEX, THREAD_SLOTS};
///
/// #[derive(Object)]
/// #[object(key = "doc.counts.THREAD_SLOTS")]
/// struct Item;
///
/// // A type whose slot is in the inline block counts without touching a shared line.
/// assert!(((Item::type_info().index() - FIRST_DYNAMIC_INDEX) as usize) < THREAD_SLOTS);
/// ```
pub const THREAD_SLOTS: usize = if cfg!(loom) { 4 } else { 256 };

/// The shared counts, indexed by `type_index - FIRST_DYNAMIC_INDEX`.
#[cfg(not(loom))]
static SHARED: [AtomicI64; MAX_TYPES] = [const { AtomicI64::new(0) }; MAX_TYPES];
#[cfg(loom)]
loom::lazy_static! {
    static ref SHARED: [AtomicI64; MAX_TYPES] = core::array::from_fn(|_| AtomicI64::new(0));
}

const UNLINKED: u8 = 0;
const LINKED: u8 = 1;
const DEAD: u8 = 2;

/// One thread's slots. Lives in that thread's TLS; other threads read it only under the
/// thread-list lock, while it is linked.
struct ThreadCounts {
    /// Written only by the owning thread (relaxed load + store), read by anyone under the
    /// lock (relaxed) and zeroed by the owner under the lock when it merges.
    slots: [AtomicI64; THREAD_SLOTS],
    /// Live *values* of runtime types, by the type's slot (`slots` holds their instance
    /// references, which last until an instance's memory is freed). Same rules as `slots`:
    /// written only by the owner, read and merged under the lock.
    values: [AtomicI64; THREAD_SLOTS],
    /// How many slots the fast path may use: `THREAD_SLOTS` while linked and up to date,
    /// 0 otherwise (unlinked, dead, or asked to merge by `unregister`, which zeroes it for
    /// every listed thread). So one compare stands for "a derived type, a linked thread, a
    /// slot in the block, no merge pending". Written only under the thread-list lock.
    limit: AtomicU32,
    /// Owner-only: UNLINKED, LINKED or DEAD (destructor ran: count in the shared slots).
    state: Cell<u8>,
    /// The next linked thread; read and written only under the lock.
    next: AtomicPtr<ThreadCounts>,
    /// Owner-only: the merge epoch this thread last merged at (see `runtime types` below).
    epoch: Cell<u64>,
}

impl ThreadCounts {
    #[cfg(not(loom))]
    const fn new() -> Self {
        ThreadCounts {
            slots: [const { AtomicI64::new(0) }; THREAD_SLOTS],
            values: [const { AtomicI64::new(0) }; THREAD_SLOTS],
            limit: AtomicU32::new(0),
            state: Cell::new(UNLINKED),
            next: AtomicPtr::new(ptr::null_mut()),
            epoch: Cell::new(0),
        }
    }

    #[cfg(loom)]
    fn new() -> Self {
        ThreadCounts {
            slots: core::array::from_fn(|_| AtomicI64::new(0)),
            values: core::array::from_fn(|_| AtomicI64::new(0)),
            limit: AtomicU32::new(0),
            state: Cell::new(UNLINKED),
            next: AtomicPtr::new(ptr::null_mut()),
            epoch: Cell::new(0),
        }
    }
}

/// Under loom the block merges and unlinks itself (see the module docs).
#[cfg(loom)]
impl Drop for ThreadCounts {
    fn drop(&mut self) {
        if self.state.get() == LINKED {
            exit(self);
        }
    }
}

/// What thread exit does, for loom models: loom's `join` returns before the joined thread's
/// thread-locals are dropped (std's waits), and loom drops its statics before it drops the
/// thread-locals of threads still finishing, so a model calls this at the end of every
/// thread that counted instances. Not API.
#[cfg(loom)]
#[doc(hidden)]
pub fn loom_thread_exit() {
    LOCAL.with(|local| {
        if local.state.get() == LINKED {
            exit(local);
        }
    });
}

/// Merges and unlinks the thread's slots when thread-local storage is torn down.
struct ExitGuard;

#[cfg(not(loom))]
impl Drop for ExitGuard {
    fn drop(&mut self) {
        // `LOCAL` has no destructor, so it is still accessible here.
        LOCAL.with(exit);
    }
}

#[cfg(not(loom))]
std::thread_local! {
    static LOCAL: ThreadCounts = const { ThreadCounts::new() };
    static EXIT_GUARD: ExitGuard = const { ExitGuard };
}
#[cfg(loom)]
loom::thread_local! {
    static LOCAL: ThreadCounts = ThreadCounts::new();
    static EXIT_GUARD: ExitGuard = ExitGuard;
}

struct ThreadList {
    head: *const ThreadCounts,
    len: usize,
    /// Every runtime type not yet released (registered or dying).
    runtime: Vec<*const TypeRc>,
    /// Unregistered runtime types some listed thread must still merge, with the merge
    /// epoch of their death.
    dying: Vec<(u64, *const TypeRc)>,
}

// SAFETY: the list only holds addresses of linked `ThreadCounts`, each valid until its
// thread unlinks it under this mutex; the pointers are only followed under the mutex.
unsafe impl Send for ThreadList {}

impl ThreadList {
    const fn new() -> Self {
        ThreadList {
            head: ptr::null(),
            len: 0,
            runtime: Vec::new(),
            dying: Vec::new(),
        }
    }

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

#[cfg(not(loom))]
static THREADS: Mutex<ThreadList> = Mutex::new(ThreadList::new());
#[cfg(loom)]
loom::lazy_static! {
    static ref THREADS: Mutex<ThreadList> = Mutex::new(ThreadList::new());
}

/// The merge epoch: bumped by every `unregister` of a runtime type.
#[cfg(not(loom))]
static EPOCH: AtomicU64 = AtomicU64::new(0);
#[cfg(loom)]
loom::lazy_static! {
    static ref EPOCH: AtomicU64 = AtomicU64::new(0);
}

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

/// Adds `delta` to the current thread's count of the static type `index`.
///
/// Never merges (so it never releases a runtime type and never runs user code): a merge
/// an `unregister` asked for waits for the thread's next [`add_releasing`], runtime-type
/// count, explicit merge or exit. For the callers that cannot let a panic through
/// (creating an object, moving a value out).
#[inline(always)]
pub(crate) fn add(index: i32, delta: i64) {
    // The root (64) and foreign indices wrap to huge slots and fail the compare below.
    let slot = index.wrapping_sub(FIRST_DYNAMIC_INDEX) as u32;
    LOCAL.with(|local| {
        // One compare and one branch stand for four tests: a derived type, a linked thread,
        // a slot inside the inline block, and no merge requested by an `unregister` (see
        // `limit`). Relaxed: a stale `limit` only delays a merge, never makes one wrong.
        if slot < local.limit.load(Relaxed) {
            // SAFETY: `limit` is 0 or `THREAD_SLOTS`, so `slot` is in bounds.
            bump(unsafe { local.slots.get_unchecked(slot as usize) }, delta);
        } else {
            add_slow(local, slot as usize, delta, false);
        }
    });
}

/// [`add`] for a value's release: also merges when an `unregister` asked for it, which may
/// release runtime types. Returns a panic of one's `on_release` callback, raised after the
/// count and every release completed, for the caller to propagate.
#[inline(always)]
pub(crate) fn add_releasing(index: i32, delta: i64) -> Option<CallbackPanic> {
    let slot = index.wrapping_sub(FIRST_DYNAMIC_INDEX) as u32;
    LOCAL.with(|local| {
        // As in `add`.
        if slot < local.limit.load(Relaxed) {
            // SAFETY: `limit` is 0 or `THREAD_SLOTS`, so `slot` is in bounds.
            bump(unsafe { local.slots.get_unchecked(slot as usize) }, delta);
            None
        } else {
            add_slow(local, slot as usize, delta, true)
        }
    })
}

/// The fast path of [`add`] alone: adds `delta` to this thread's slot of `index` and
/// returns `true`, or returns `false` and counts nothing (the caller takes the slow path).
///
/// `index` may be `UNASSIGNED` (-1): it wraps past every slot and fails the one compare,
/// so [`UniqueObj::new`](crate::UniqueObj::new) tests "index assigned" and "counted in the
/// thread's slot" with a single branch.
#[inline(always)]
pub(crate) fn add_fast(index: i32, delta: i64) -> bool {
    // In 64 bits from the zero-extended index, so the slot needs no extension before it
    // addresses the array: an index below `FIRST_DYNAMIC_INDEX` (or -1) still wraps to a
    // huge slot.
    let slot = (index as u32 as usize).wrapping_sub(FIRST_DYNAMIC_INDEX as usize);
    LOCAL.with(|local| {
        // As in `add`.
        if slot < local.limit.load(Relaxed) as usize {
            // SAFETY: `limit` is 0 or `THREAD_SLOTS`, so `slot` is in bounds.
            bump(unsafe { local.slots.get_unchecked(slot) }, delta);
            true
        } else {
            false
        }
    })
}

/// Adds `delta` to a slot only this thread writes: a relaxed load and a relaxed store, no
/// RMW instruction. Relaxed so that readers under the lock never race.
#[inline(always)]
fn bump(s: &AtomicI64, delta: i64) {
    s.store(s.load(Relaxed).wrapping_add(delta), Relaxed);
}

/// Links the thread on its first count, and (with `merge`) merges when an `unregister`
/// asked for it. Returns whether the thread may count in its own slots, and a panic of an
/// `on_release` callback the merge ran (after every release completed).
///
/// No merge runs while the thread is panicking: a second panic would abort. Skipping one
/// only delays a release; correctness rests on `pending` (see "Runtime types" below).
#[cold]
#[inline(never)]
fn prepare(local: &ThreadCounts, merge: bool) -> (bool, Option<CallbackPanic>) {
    match local.state.get() {
        UNLINKED => {
            // Register the exit merge first; if thread-local storage is already being torn
            // down the thread counts in the shared counts from now on.
            if EXIT_GUARD.try_with(|_| ()).is_ok() {
                let mut list = lock_threads();
                // Read the epoch under the lock: a thread listed after an `unregister`
                // snapshot must not subtract a pending it was never counted in.
                local.epoch.set(EPOCH.load(Relaxed));
                list.push(local);
                local.state.set(LINKED);
                // Relaxed: written under the lock, read by the owner (this thread).
                local.limit.store(THREAD_SLOTS as u32, Relaxed);
                (true, None)
            } else {
                local.state.set(DEAD);
                (false, None)
            }
        }
        LINKED => {
            let requested =
                local.epoch.get() != EPOCH.load(Relaxed) || local.limit.load(Relaxed) == 0;
            if requested && merge && !std::thread::panicking() {
                // Acquire: pairs with the Release store of the epoch in `unregister`, so the
                // dying flags set before it are visible to our later count operations.
                fence(Ordering::Acquire);
                let released = {
                    let mut list = lock_threads();
                    let released = merge_dying_locked(&mut list, local);
                    // Relaxed: under the lock; only a prompt (see `limit`).
                    local.limit.store(THREAD_SLOTS as u32, Relaxed);
                    released
                };
                return (true, release_all(released));
            }
            // Not merging now: `limit` stays 0, so the next count asks again. Counting a
            // static type in its own slot meanwhile is exact: no dying runtime type shares
            // its slot (a slot is recycled only once its type is released).
            (true, None)
        }
        _ => (false, None),
    }
}

#[cold]
#[inline(never)]
fn add_slow(local: &ThreadCounts, slot: usize, delta: i64, merge: bool) -> Option<CallbackPanic> {
    if slot >= MAX_TYPES {
        // The root or a foreign index: not counted.
        return None;
    }
    let (own, released) = prepare(local, merge);
    if own && slot < THREAD_SLOTS {
        bump(&local.slots[slot], delta);
    } else {
        // Relaxed: a plain counter, read under the thread-list lock by `live`.
        SHARED[slot].fetch_add(delta, Relaxed);
    }
    released
}

/// Merges the slots of every runtime type that died since this thread last merged:
/// `fetch_add(slot - PENDING_ONE)` on its word and a zeroed slot. Returns the types whose
/// word this reached "released" (removed from the lists; the caller frees them after
/// unlocking). Caller holds the lock.
fn merge_dying_locked(list: &mut ThreadList, local: &ThreadCounts) -> Vec<*const TypeRc> {
    // Under the lock: every death epoch up to this value is fully recorded.
    let seen = EPOCH.load(Relaxed);
    let own = local.epoch.get();
    let mut released = Vec::new();
    let mut i = 0;
    while i < list.dying.len() {
        let (death, rc) = list.dying[i];
        // Which types to merge is decided by the recorded death epochs, never by `dying`.
        if own < death && death <= seen {
            // SAFETY: a type stays alive while a listed thread still owes it a merge (its
            // pending count is at least one): we are such a thread.
            let rc_ref = unsafe { &*rc };
            // A type past the inline block never counted in a slot (`add_runtime` counts
            // it in its word), but this thread still owes it its pending merge.
            let v = match local.slots.get(rc_ref.slot) {
                Some(s) => {
                    let v = s.load(Relaxed);
                    s.store(0, Relaxed);
                    v
                }
                None => 0,
            };
            // Its live values too, before the RMW below may release it: after this merge
            // we count its values in its shared counter (we see `dying` now), so no slot of
            // the type is written again and the slot can be recycled.
            if let Some(s) = local.values.get(rc_ref.slot) {
                let values = s.load(Relaxed);
                if values != 0 {
                    // Relaxed: a plain counter, read under the lock we hold.
                    rc_ref.values.fetch_add(values, Relaxed);
                    s.store(0, Relaxed);
                }
            }
            // AcqRel: releases our instance updates to whoever frees the type; acquires the
            // others' if we are that one.
            let delta = (v as u64).wrapping_sub(PENDING_ONE);
            let before = rc_ref.word.fetch_add(delta, Ordering::AcqRel);
            if before.wrapping_add(delta) == RELEASED {
                list.dying.swap_remove(i);
                list.runtime.retain(|r| *r != rc);
                released.push(rc);
                continue;
            }
        }
        i += 1;
    }
    local.epoch.set(seen);
    released
}

/// Frees released runtime types, all of them even if a callback panics. Called without
/// the lock (the callbacks are user code). Returns the first callback panic.
fn release_all(released: Vec<*const TypeRc>) -> Option<CallbackPanic> {
    let mut panicked = None;
    for rc in released {
        // SAFETY: the word reached "released" exactly once, by us; the type was removed from
        // the lists, so nobody else reaches it.
        let p = unsafe { ((*rc).release)(rc) };
        panicked = first_panic(panicked, p);
    }
    panicked
}

/// Moves every nonzero slot of `local` into the shared counts: static types' into
/// `SHARED`, registered runtime types' into their word. Caller holds the lock and has
/// merged the dying types first.
fn merge_locked(list: &ThreadList, local: &ThreadCounts) {
    for (slot, s) in local.slots.iter().enumerate() {
        let v = s.load(Relaxed);
        if v != 0 {
            let runtime = list.runtime.iter().copied().find(|rc| {
                // SAFETY: listed runtime types are alive (removed before release).
                unsafe { (**rc).slot == slot }
            });
            match runtime {
                // SAFETY: as above. Not dying (our dying slots were merged already), so the
                // registry's bias keeps the word above "released".
                // AcqRel: the Release half hands our instance updates to whoever frees the
                // type (pairs with its Acquire RMW); nothing is released here.
                Some(rc) => unsafe {
                    (*rc).word.fetch_add(v as u64, Ordering::AcqRel);
                },
                None => {
                    // Relaxed: a plain counter, read under the lock by `live`.
                    SHARED[slot].fetch_add(v, Relaxed);
                }
            }
            s.store(0, Relaxed);
        }
    }
    for (slot, s) in local.values.iter().enumerate() {
        let v = s.load(Relaxed);
        if v != 0 {
            // Only runtime types count values here, and a listed one owns the slot (a dying
            // one's was merged already, by `merge_dying_locked`).
            let runtime = list.runtime.iter().copied().find(|rc| {
                // SAFETY: listed runtime types are alive (removed before release).
                unsafe { (**rc).slot == slot }
            });
            debug_assert!(runtime.is_some(), "a value slot of no runtime type");
            if let Some(rc) = runtime {
                // SAFETY: as above.
                // Relaxed: a plain counter, read under the lock we hold.
                unsafe { (*rc).values.fetch_add(v, Relaxed) };
            }
            s.store(0, Relaxed);
        }
    }
}

/// A thread leaves: merge everything and unlink, all under the lock. A callback panic has
/// no caller to go to (we run in a thread-local destructor): abort, naming the type.
fn exit(local: &ThreadCounts) {
    let released = {
        let mut list = lock_threads();
        let released = merge_dying_locked(&mut list, local);
        merge_locked(&list, local);
        list.unlink(local);
        // Relaxed: under the lock; the owner is leaving.
        local.limit.store(0, Relaxed);
        local.state.set(DEAD);
        released
    };
    if let Some(p) = release_all(released) {
        abort_callback(p, "while a thread's counts were merged at its exit");
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
///
/// ```
/// use rcobj::{registered_threads, Obj, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.counts.registered_threads")]
/// struct Item;
///
/// let before = registered_threads();
/// std::thread::spawn(move || {
///     let _o = Obj::new(Item); // the thread's first count links its slots
///     assert_eq!(registered_threads(), before + 1);
/// })
/// .join()
/// .unwrap();
/// assert_eq!(registered_threads(), before); // merged and unlinked at exit
/// ```
pub fn registered_threads() -> usize {
    lock_threads().len
}

/// Merges the current thread's slots into the shared counts now, instead of at exit.
///
/// Live counts do not change; this only moves them. It also honours any pending merge
/// request of an unregistered runtime type, so an idle thread can let such a type go.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::{mpsc, Arc};
/// use rcobj::{merge_thread_counts, RuntimeTypeBuilder};
///
/// let released = Arc::new(AtomicBool::new(false));
/// let flag = released.clone();
/// let ty = RuntimeTypeBuilder::new("doc.counts.merge_thread_counts")
///     .layout(8, 8)
///     .on_release(move || flag.store(true, Ordering::SeqCst))
///     .register()
///     .unwrap();
/// let obj = ty.new_object(|_| {}).unwrap();
///
/// let (to_worker, from_main) = mpsc::channel::<()>();
/// let (to_main, from_worker) = mpsc::channel::<()>();
/// let worker = std::thread::spawn(move || {
///     drop(obj); // the instance's reference is counted out in this thread's slot
///     to_main.send(()).unwrap();
///     from_main.recv().unwrap(); // idle: counts nothing
///     merge_thread_counts(); // honours the merge `unregister` asked for
///     to_main.send(()).unwrap();
/// });
///
/// from_worker.recv().unwrap();
/// ty.unregister();
/// drop(ty);
/// assert!(!released.load(Ordering::SeqCst)); // the idle worker still owes its slot
/// to_worker.send(()).unwrap();
/// from_worker.recv().unwrap();
/// assert!(released.load(Ordering::SeqCst));
/// worker.join().unwrap();
/// ```
pub fn merge_thread_counts() {
    let panicked = LOCAL.with(|local| {
        if local.state.get() == LINKED {
            let released = {
                let mut list = lock_threads();
                let released = merge_dying_locked(&mut list, local);
                merge_locked(&list, local);
                released
            };
            release_all(released)
        } else {
            None
        }
    });
    // The merge is complete; a released type's callback panic reaches our caller.
    if let Some(p) = panicked {
        resume_callback(p);
    }
}

// ----------------------------------------------------------------------------------------
// Runtime types
// ----------------------------------------------------------------------------------------
//
// A runtime type must stay alive while any instance or counted handle exists, yet instance
// create/destroy must not write a shared line. Its reference count is its word's shared
// part plus every thread's slot for it; there is no stop-the-world, so the merge protocol
// below earns exactness another way (DESIGN.md, "Runtime-defined types"):
//
// * The word: `pending` (threads that must still merge, and counted handles) in the high
//   32 bits, the shared count of instance references plus 2^31 in the low 32. While
//   registered, the registry holds one bias in the low half. A handle counts in the high
//   half so that the low half and the slots alone are the live instance count (one load,
//   no second counter to read in step with it); for the release it is a reference like any
//   other, since only "the whole word is exactly pending 0 / shared 0" releases.
// * Instances add ±1 to the current thread's slot while `dying` is false (Acquire load),
//   otherwise to the word (AcqRel RMW).
// * `unregister`, under the thread-list lock: add `N · PENDING_ONE` for the N listed
//   threads; set `dying` (Release); record the death epoch and bump the global epoch
//   (Release); merge the caller if it is listed; drop the bias (AcqRel; the caller's
//   handle keeps the word above "released", so this releases nothing). Unlock.
// * Before a count operation that may release something — an object's release, a runtime
//   instance's creation or release, `merge_thread_counts`, `unregister`, thread exit — a
//   thread that was asked to (its `limit` is 0, or its epoch is behind) merges, under the
//   lock, every type whose death epoch is in (own, seen]. Creating a Rust object or moving
//   a value out only counts: a merge can release a type and run its `on_release`
//   callback, user code that may panic, and those callers could not let a panic through.
//   A skipped merge only delays a release; correctness rests on `pending`.
// * The one RMW whose result is exactly pending 0 / shared 0 releases the type. Then no
//   slot of it is nonzero and nobody writes one, so its index can be recycled.

/// One pending merge, or one counted handle, in a runtime type's word.
pub(crate) const PENDING_ONE: u64 = 1 << 32;
/// The offset added to a runtime type's shared count, so a transiently negative shared
/// count is representable.
pub(crate) const SHARED_ZERO: u64 = 1 << 31;
/// The word of a released runtime type: pending 0, shared 0.
pub(crate) const RELEASED: u64 = SHARED_ZERO;
const LOW_MASK: u64 = 0xFFFF_FFFF;
/// One counted handle: in the high half, beside the pending merges.
const HANDLE_ONE: u64 = PENDING_ONE;

/// The reference state of a runtime type.
pub(crate) struct TypeRc {
    word: AtomicU64,
    /// Live values counted outside the threads' `values` slots (and merged from them);
    /// not part of the release protocol. A value is live from its creation to its
    /// instance's strong phase, so its sum with the slots is [`live_runtime`].
    values: AtomicI64,
    dying: AtomicBool,
    /// `index - FIRST_DYNAMIC_INDEX`; set once, before the type is listed or published.
    slot: usize,
    /// Frees the runtime type that owns this state. Called once, by whoever released it,
    /// without any lock held; returns a panic of the type's `on_release` callback.
    release: unsafe fn(*const TypeRc) -> Option<CallbackPanic>,
}

// SAFETY: all fields are atomics or immutable after construction.
unsafe impl Sync for TypeRc {}
// SAFETY: as above.
unsafe impl Send for TypeRc {}

impl TypeRc {
    /// A new type's state, complete before any other thread can see the type: the
    /// registry's bias and the handle `register` returns are both counted already, so no
    /// lookup racing with `register` can drop the word to "released" before `register`
    /// has its handle.
    pub(crate) fn new(release: unsafe fn(*const TypeRc) -> Option<CallbackPanic>) -> TypeRc {
        TypeRc {
            word: AtomicU64::new(SHARED_ZERO + 1 + HANDLE_ONE),
            values: AtomicI64::new(0),
            dying: AtomicBool::new(false),
            slot: 0,
            release,
        }
    }

    /// Records the slot of the index the registry reserved; before the type is listed.
    pub(crate) fn assign_slot(&mut self, slot: usize) {
        self.slot = slot;
    }

    /// Whether `unregister` ran.
    pub(crate) fn is_dying(&self) -> bool {
        self.dying.load(Ordering::Acquire)
    }
}

/// Lists a new runtime type, so thread merges know where its slots go. `register` calls
/// it under the registry lock, before the type can be found (lock order: registry, then
/// thread list; nothing takes the registry lock while holding the thread list).
pub(crate) fn add_runtime_type(rc: *const TypeRc) {
    lock_threads().runtime.push(rc);
}

/// Adds `delta` instances of a runtime type in the current thread. Merges first if an
/// `unregister` asked for it; returns the first panic of an `on_release` callback that the
/// merge or this count ran, once everything completed.
///
/// # Safety
///
/// `rc` is alive: the caller holds an instance or a counted handle of the type (for a
/// decrement, the instance being counted out). After a decrement the caller must not touch
/// the type again unless it holds another reference.
pub(crate) unsafe fn add_runtime(rc: *const TypeRc, delta: i64) -> Option<CallbackPanic> {
    let slot = {
        // SAFETY: alive per the caller.
        let r = unsafe { &*rc };
        r.slot
    };
    let (counted, merged) = LOCAL.with(|local| {
        // Relaxed: a stale `limit` only delays a merge (see `add`).
        let (ready, merged) = if (slot as u32) < local.limit.load(Relaxed) {
            (true, None)
        } else {
            prepare(local, true)
        };
        // SAFETY: still alive: our own pending merge, instance or handle keeps it (the
        // merge above released other types only: ours is still counted by the caller).
        // Acquire: pairs with the Release store of `dying` in `unregister`.
        if ready && slot < THREAD_SLOTS && !unsafe { &*rc }.dying.load(Ordering::Acquire) {
            bump(&local.slots[slot], delta);
            (true, merged)
        } else {
            (false, merged)
        }
    });
    let released = if counted {
        None
    } else {
        // SAFETY: alive per the caller.
        unsafe { add_word(rc, delta as u64) }
    };
    first_panic(merged, released)
}

/// Adds `delta` (two's complement) to a runtime type's word; releases it on reaching
/// "released".
///
/// # Safety
///
/// As for [`add_runtime`].
unsafe fn add_word(rc: *const TypeRc, delta: u64) -> Option<CallbackPanic> {
    // SAFETY: alive per the caller until the RMW below.
    let word = unsafe { &(*rc).word };
    // AcqRel: the Release half publishes our uses of the type to whoever frees it; the
    // Acquire half, if that is us, pairs with every other Release RMW on the word.
    let before = word.fetch_add(delta, Ordering::AcqRel);
    if before.wrapping_add(delta) == RELEASED {
        // SAFETY: we made the one RMW that released it.
        unsafe { finish_release(rc) }
    } else {
        None
    }
}

/// Removes a released type from the lists (under the lock), then frees it (without the
/// lock: its callback is user code).
///
/// # Safety
///
/// The caller's RMW took the word to "released".
unsafe fn finish_release(rc: *const TypeRc) -> Option<CallbackPanic> {
    {
        let mut list = lock_threads();
        list.runtime.retain(|r| *r != rc);
        list.dying.retain(|(_, r)| *r != rc);
    }
    // SAFETY: released exactly once, by our caller; nobody else reaches it now.
    unsafe { ((*rc).release)(rc) }
}

/// A counted handle to a runtime type was made.
///
/// # Safety
///
/// The type is alive and stays alive during the call (the caller holds another reference,
/// or the registry lock under which it is still registered).
pub(crate) unsafe fn type_handle_inc(rc: &TypeRc) {
    // Relaxed would do, as for `Arc::clone` (made from a reference the caller holds);
    // AcqRel keeps every RMW on the word uniform (see `add_word`).
    rc.word.fetch_add(HANDLE_ONE, Ordering::AcqRel);
}

/// A counted handle to a runtime type was dropped; frees the type if that was the last
/// reference. A panic of its `on_release` callback unwinds from here once the type is
/// freed, as a panicking `Drop` would.
///
/// # Safety
///
/// The caller owned a counted handle, and touches the type no more.
pub(crate) unsafe fn type_handle_dec(rc: *const TypeRc) {
    // SAFETY: as the caller guarantees.
    if let Some(p) = unsafe { type_handle_release(rc) } {
        resume_callback(p);
    }
}

/// [`type_handle_dec`], returning the callback's panic instead of resuming it.
///
/// # Safety
///
/// As for [`type_handle_dec`].
pub(crate) unsafe fn type_handle_release(rc: *const TypeRc) -> Option<CallbackPanic> {
    // SAFETY: our handle keeps it alive until the RMW in `add_word`.
    unsafe { add_word(rc, HANDLE_ONE.wrapping_neg()) }
}

/// Unregisters a runtime type (the protocol above). Returns `false` if it was already
/// unregistered.
///
/// # Safety
///
/// The caller holds a counted handle (so the type outlives the call), and has already
/// removed the type from the registry's key table.
pub(crate) unsafe fn unregister_runtime(rc_ptr: *const TypeRc) -> bool {
    // SAFETY: alive through the caller's handle.
    let rc = unsafe { &*rc_ptr };
    let released = {
        let mut list = lock_threads();
        if rc.dying.load(Relaxed) {
            return false;
        }
        let n = list.len as u64;
        // Bias kept: the word cannot reach "released" before the bias is dropped below.
        rc.word.fetch_add(n * PENDING_ONE, Ordering::AcqRel);
        // Release: a thread that sees `dying` (Acquire) counts in the word from then on.
        rc.dying.store(true, Ordering::Release);
        let death = EPOCH.load(Relaxed) + 1;
        list.dying.push((death, rc_ptr));
        // Release: pairs with the Acquire fence of a thread that sees the new epoch.
        EPOCH.store(death, Ordering::Release);
        // Ask every listed thread to merge at its next releasing count operation: its fast
        // path fails on `limit` 0 and takes `prepare`. (Cheaper than loading the epoch on
        // every count: the fast path reads `limit` anyway.)
        list.for_each(|t| t.limit.store(0, Relaxed));
        let mut released = Vec::new();
        LOCAL.with(|local| {
            if local.state.get() == LINKED {
                released = merge_dying_locked(&mut list, local);
            }
        });
        // Drop the registry's bias, still under the lock, so that `live_runtime` sees
        // `dying` and the bias gone together. The caller's handle keeps the word above
        // "released", so this releases nothing.
        // AcqRel: as every RMW on the word (see `add_word`).
        let before = rc.word.fetch_add(1u64.wrapping_neg(), Ordering::AcqRel);
        debug_assert_ne!(before.wrapping_sub(1), RELEASED);
        released
    };
    // The caller's handle keeps `rc` alive, so none of these is `rc` itself.
    // Everything is done; a callback panic of a type our merge released reaches the caller.
    if let Some(p) = release_all(released) {
        resume_callback(p);
    }
    true
}

/// Adds `delta` live values of a runtime type in the current thread: +1 when an instance
/// is created, −1 in its strong phase. Beside the release protocol, which counts the
/// instance's reference to its type (held until the memory is freed): this count is only
/// read, never decides a release. It never merges, so it never runs user code (the strong
/// phase calls it inside the deleter).
///
/// Counted in the thread's `values` slot under the same condition as an instance
/// reference in `add_runtime` (a linked thread with no merge pending, a slot in the block,
/// `dying` false), so the argument that no slot of a released type is nonzero covers it:
/// a thread that saw `dying` false was listed at `unregister`, and its own merge of the
/// type (in program order after this write) moves the slot into `values`.
///
/// # Safety
///
/// `rc` is alive during the call (the caller holds an instance of the type).
pub(crate) unsafe fn add_runtime_value(rc: *const TypeRc, delta: i64) {
    // SAFETY: alive per the caller.
    let rc = unsafe { &*rc };
    let slot = rc.slot;
    let counted = LOCAL.with(|local| {
        // Relaxed `limit`: a stale value only sends us to the shared counter, or, if we
        // are listed, into a slot our own merge still collects (see `add`).
        // Acquire `dying`: pairs with the Release store in `unregister`.
        if (slot as u32) < local.limit.load(Relaxed) && !rc.dying.load(Ordering::Acquire) {
            bump(&local.values[slot], delta);
            true
        } else {
            false
        }
    });
    if !counted {
        // Release: pairs with the Acquire load in `live_runtime`. A reader that sees this
        // update also sees our earlier slot writes — e.g. the +1 of the instance whose −1
        // this is, made in our slot before `unregister` (found by loom: with Relaxed a
        // reader could see the −1 and not the +1, and read one live value too few).
        rc.values.fetch_add(delta, Ordering::Release);
    }
}

/// The live value count of a runtime type (created, strong phase not yet run): its shared
/// value counter plus every thread's `values` slot. Under the lock, which orders it with
/// merges and thread exits.
pub(crate) fn live_runtime(rc: &TypeRc) -> i64 {
    let list = lock_threads();
    // Acquire: pairs with the Release RMW in `add_runtime_value`, so the slots read below
    // include what the updating thread wrote to its slot before (as the Acquire load of the
    // word does in `allocated_runtime`). Merges into it happen under the lock we hold.
    let mut sum = rc.values.load(Ordering::Acquire);
    if rc.slot < THREAD_SLOTS {
        // Relaxed: owner-written slots, read under the lock (see `live`).
        list.for_each(|t| sum += t.values[rc.slot].load(Relaxed));
    }
    sum
}

/// The allocated instance count of a runtime type (instances whose memory is not yet
/// freed; each holds a reference to the type): its word's shared part (handles and
/// pending merges are in the high half) plus every thread's slot, less the registry's
/// bias. Under the lock, which orders it with merges, `unregister` (which sets `dying` and
/// drops the bias together) and thread exits.
pub(crate) fn allocated_runtime(rc: &TypeRc) -> i64 {
    let list = lock_threads();
    // Acquire: pairs with the Release half of the RMWs on the word, so instance updates
    // merged or counted there before it are included.
    let word = rc.word.load(Ordering::Acquire);
    let mut sum = (word & LOW_MASK) as i64 - SHARED_ZERO as i64;
    if rc.slot < THREAD_SLOTS {
        // Relaxed: owner-written slots, read under the lock (see `live`).
        list.for_each(|t| sum += t.slots[rc.slot].load(Relaxed));
    }
    // Relaxed: written under the lock we hold.
    if !rc.dying.load(Relaxed) {
        sum -= 1;
    }
    sum
}
