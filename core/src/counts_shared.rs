//! Instance counts without `std` (`--no-default-features`): there are no thread-locals, so
//! every type's count is one shared atomic, and a runtime type's references are counted in
//! its packed word directly (the per-thread protocol of `counts.rs` needs thread-locals
//! and a thread list). Same interface as `counts.rs`, which is used with `std`.

use core::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering, Ordering::Relaxed};

use crate::deleter::{resume_callback, CallbackPanic};
use crate::type_info::FIRST_DYNAMIC_INDEX;

/// How many derived type indices the runtime supports (indices
/// `FIRST_DYNAMIC_INDEX..FIRST_DYNAMIC_INDEX + MAX_TYPES`).
///
/// ```
/// assert_eq!(rcobj::MAX_TYPES, 4096);
/// ```
pub const MAX_TYPES: usize = 4096;
/// How many of those have a per-thread slot: none without `std`.
///
/// ```
/// assert_eq!(rcobj::THREAD_SLOTS, 0);
/// ```
pub const THREAD_SLOTS: usize = 0;

/// The shared counts, indexed by `type_index - FIRST_DYNAMIC_INDEX`.
static SHARED: [AtomicI64; MAX_TYPES] = [const { AtomicI64::new(0) }; MAX_TYPES];

fn slot_of(index: i32) -> Option<usize> {
    let slot = index.wrapping_sub(FIRST_DYNAMIC_INDEX) as u32 as usize;
    (slot < MAX_TYPES).then_some(slot)
}

/// Adds `delta` to the count of the static type `index` (one relaxed RMW).
#[inline(always)]
pub(crate) fn add(index: i32, delta: i64) {
    if let Some(slot) = slot_of(index) {
        SHARED[slot].fetch_add(delta, Relaxed);
    }
}

/// As `counts::add_fast` with `std`: counts and returns `true`, or returns `false` for an
/// unassigned index (-1), which the caller resolves first.
#[inline(always)]
pub(crate) fn add_fast(index: i32, delta: i64) -> bool {
    if index < 0 {
        return false;
    }
    add(index, delta);
    true
}

/// As [`add`]: without per-thread slots there is no merge, so nothing is released here.
#[inline(always)]
pub(crate) fn add_releasing(index: i32, delta: i64) -> Option<CallbackPanic> {
    add(index, delta);
    None
}

/// The live count of `index`.
pub(crate) fn live(index: i32) -> i64 {
    slot_of(index).map_or(0, |slot| SHARED[slot].load(Relaxed))
}

/// The number of threads with per-thread slots: none without `std`.
///
/// ```
/// assert_eq!(rcobj::registered_threads(), 0);
/// ```
pub fn registered_threads() -> usize {
    0
}

/// Nothing to merge without per-thread slots.
///
/// ```
/// use rcobj::{Obj, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.counts_shared.merge_thread_counts")]
/// struct Item;
///
/// let o = Obj::new(Item);
/// rcobj::merge_thread_counts(); // nothing to do
/// assert_eq!(Item::type_info().live_count(), 1);
/// ```
pub fn merge_thread_counts() {}

/// The offset added to a runtime type's count (as in `counts.rs`).
const SHARED_ZERO: u64 = 1 << 31;
/// The word of a released runtime type.
const RELEASED: u64 = SHARED_ZERO;
/// One counted handle, in the high half (as in `counts.rs`): the low half is the instance
/// count plus the registry's bias.
const HANDLE_ONE: u64 = 1 << 32;

/// The reference state of a runtime type: its references in one word, handles in the high
/// half, instances (plus 2^31) and the registry's bias while registered in the low half.
pub(crate) struct TypeRc {
    word: AtomicU64,
    /// Live values (created, strong phase not yet run); not part of the release protocol.
    values: AtomicI64,
    dying: AtomicBool,
    /// Frees the runtime type that owns this state; called once, by whoever released it.
    /// Returns a panic of the type's `on_release` callback (none can be caught here).
    release: unsafe fn(*const TypeRc) -> Option<CallbackPanic>,
}

impl TypeRc {
    /// A new type's state, complete before anyone else can see the type: the registry's
    /// bias and the registering caller's handle in the count (see `counts.rs`).
    pub(crate) fn new(release: unsafe fn(*const TypeRc) -> Option<CallbackPanic>) -> TypeRc {
        TypeRc {
            word: AtomicU64::new(SHARED_ZERO + 1 + HANDLE_ONE),
            values: AtomicI64::new(0),
            dying: AtomicBool::new(false),
            release,
        }
    }

    /// No per-thread slots: nothing to record.
    pub(crate) fn assign_slot(&mut self, _slot: usize) {}

    /// Whether `unregister` ran.
    pub(crate) fn is_dying(&self) -> bool {
        self.dying.load(Ordering::Acquire)
    }
}

/// Nothing to list without thread exits to merge.
pub(crate) fn add_runtime_type(_rc: *const TypeRc) {}

/// Adds `delta` (two's complement) to the word; releases the type on reaching zero.
///
/// # Safety
///
/// `rc` is alive; the caller touches it no more after a decrement unless it holds another
/// reference.
unsafe fn add_word(rc: *const TypeRc, delta: u64) -> Option<CallbackPanic> {
    // SAFETY: alive per the caller until the RMW.
    let word = unsafe { &(*rc).word };
    // AcqRel: the Release half publishes our uses of the type to whoever frees it; the
    // Acquire half, if that is us, pairs with everyone else's Release RMW on the word.
    if word.fetch_add(delta, Ordering::AcqRel).wrapping_add(delta) == RELEASED {
        // SAFETY: our RMW released it, exactly once.
        unsafe { ((*rc).release)(rc) }
    } else {
        None
    }
}

/// Adds `delta` instances of a runtime type.
///
/// # Safety
///
/// As for `counts::add_runtime`.
pub(crate) unsafe fn add_runtime(rc: *const TypeRc, delta: i64) -> Option<CallbackPanic> {
    // SAFETY: as the caller guarantees.
    unsafe { add_word(rc, delta as u64) }
}

/// A counted handle was made.
///
/// # Safety
///
/// The type is alive during the call.
pub(crate) unsafe fn type_handle_inc(rc: &TypeRc) {
    // Relaxed would do, as for `Arc::clone`; AcqRel keeps every RMW on the word uniform.
    rc.word.fetch_add(HANDLE_ONE, Ordering::AcqRel);
}

/// A counted handle was dropped; resumes a panic of the `on_release` callback it ran.
///
/// # Safety
///
/// The caller owned a counted handle and touches the type no more.
pub(crate) unsafe fn type_handle_dec(rc: *const TypeRc) {
    // SAFETY: as the caller guarantees.
    if let Some(p) = unsafe { type_handle_release(rc) } {
        resume_callback(p);
    }
}

/// [`type_handle_dec`], returning the callback's panic.
///
/// # Safety
///
/// As for [`type_handle_dec`].
pub(crate) unsafe fn type_handle_release(rc: *const TypeRc) -> Option<CallbackPanic> {
    // SAFETY: our handle keeps it alive until the RMW.
    unsafe { add_word(rc, HANDLE_ONE.wrapping_neg()) }
}

/// Unregisters: drops the registry's bias. `false` if already unregistered.
///
/// # Safety
///
/// The caller holds a counted handle and removed the type from the key table.
pub(crate) unsafe fn unregister_runtime(rc: *const TypeRc) -> bool {
    // SAFETY: alive through the caller's handle.
    // AcqRel: of racing callers exactly one sees `false`; `is_dying`'s Acquire pairs with it.
    if unsafe { &*rc }.dying.swap(true, Ordering::AcqRel) {
        return false;
    }
    // SAFETY: as above; the caller's handle keeps the word above "released", so this
    // releases nothing.
    if let Some(p) = unsafe { add_word(rc, 1u64.wrapping_neg()) } {
        resume_callback(p);
    }
    true
}

/// Adds `delta` live values of a runtime type (creation, strong phase); not part of the
/// release protocol.
///
/// # Safety
///
/// `rc` is alive during the call.
pub(crate) unsafe fn add_runtime_value(rc: *const TypeRc, delta: i64) {
    // SAFETY: alive per the caller.
    // Relaxed: a plain counter, as for static types.
    unsafe { &*rc }.values.fetch_add(delta, Relaxed);
}

/// The live value count of a runtime type.
pub(crate) fn live_runtime(rc: &TypeRc) -> i64 {
    // Relaxed: a plain counter, as for static types.
    rc.values.load(Relaxed)
}

/// The allocated instance count: the word's low half less the registry's bias.
pub(crate) fn allocated_runtime(rc: &TypeRc) -> i64 {
    // Acquire: pairs with the Release half of the RMWs on the word.
    let word = rc.word.load(Ordering::Acquire);
    let sum = (word & 0xFFFF_FFFF) as i64 - SHARED_ZERO as i64;
    // The bias is dropped right after `dying` is set: a reading in between counts it.
    // Acquire: pairs with the swap in `unregister_runtime`.
    if rc.dying.load(Ordering::Acquire) {
        sum
    } else {
        sum - 1
    }
}
