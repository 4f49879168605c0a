//! [`ObjectHeader`]: the 24-byte C-ABI header at offset 0 of every object, bit-compatible
//! with tvm-ffi's `TVMFFIObject`, and the raw operations on its packed count word.
//!
//! The word holds the strong count in its low 32 bits and the weak count in its high 32
//! bits. All strong references together hold one implicit weak reference, so a fresh object
//! reads strong 1, weak 1 ([`BOTH_ONE`]). Either half aborts before it passes `i32::MAX`
//! ([`MAX_COUNT`]), leaving 2^31 of headroom for racing increments, so an increment can
//! never carry from the strong half into the weak half.

use core::ffi::c_void;
use core::ptr;

use crate::sync::{AtomicU64, Ordering};

/// The deleter stored in every header: called with [`DELETER_STRONG`], [`DELETER_WEAK`]
/// or [`DELETER_BOTH`] and the address of the object (its header).
///
/// ```
/// use rcobj::{Deleter, Obj, Object, DELETER_BOTH};
///
/// #[derive(Object)]
/// #[object(key = "doc.header.Deleter")]
/// struct Item;
///
/// let raw = Obj::into_raw(Obj::new(Item));
/// // SAFETY: `raw` is a live object (we own its only reference).
/// let d: Deleter = unsafe { (*raw).deleter() }.unwrap();
/// // What C does with the last reference: one call with both phases.
/// // SAFETY: no other reference exists; neither phase ran.
/// unsafe { d(raw.cast(), DELETER_BOTH) };
/// assert_eq!(Item::type_info().live_count(), 0);
/// ```
pub type Deleter = unsafe extern "C" fn(*mut c_void, i32);

/// Deleter flag: the strong count reached zero — drop the value, keep the memory.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use rcobj::{Obj, Object};
///
/// static DROPPED: AtomicBool = AtomicBool::new(false);
///
/// #[derive(Object)]
/// #[object(key = "doc.header.DELETER_STRONG")]
/// struct Noisy;
/// impl Drop for Noisy {
///     fn drop(&mut self) { DROPPED.store(true, Ordering::SeqCst) }
/// }
///
/// let o = Obj::new(Noisy);
/// let w = Obj::downgrade(&o);
/// drop(o); // the strong phase: the value is dropped, the memory stays for `w`
/// assert!(DROPPED.load(Ordering::SeqCst));
/// assert_eq!(w.strong_count(), 0);
/// drop(w); // the weak phase frees the memory
/// ```
pub const DELETER_STRONG: i32 = 1;
/// Deleter flag: the weak count reached zero — free the memory.
///
/// ```
/// use core::ffi::c_void;
/// use std::sync::Mutex;
/// use rcobj::{AnyObj, Obj, ObjectHeader, ANY_OBJECT_INDEX, DELETER_STRONG, DELETER_WEAK};
///
/// // An object made outside Rust's handles, recording the deleter calls it gets.
/// #[repr(C)]
/// struct Foreign { header: ObjectHeader }
/// static CALLS: Mutex<Vec<i32>> = Mutex::new(Vec::new());
/// unsafe extern "C" fn record(obj: *mut c_void, flags: i32) {
///     CALLS.lock().unwrap().push(flags);
///     if flags & DELETER_WEAK != 0 {
///         // SAFETY: made by `Box::into_raw` below; freed once.
///         drop(unsafe { Box::from_raw(obj.cast::<Foreign>()) });
///     }
/// }
/// let raw = Box::into_raw(Box::new(Foreign {
///     header: ObjectHeader::new(ANY_OBJECT_INDEX, Some(record)),
/// }));
/// // SAFETY: a live object with one strong reference, handed over.
/// let any: AnyObj = unsafe { AnyObj::from_raw(raw.cast()) };
/// let weak = Obj::downgrade(&any);
/// drop(any);
/// assert_eq!(*CALLS.lock().unwrap(), [DELETER_STRONG]);
/// drop(weak);
/// assert_eq!(*CALLS.lock().unwrap(), [DELETER_STRONG, DELETER_WEAK]);
/// ```
pub const DELETER_WEAK: i32 = 2;
/// Deleter flag: both counts reached zero in one step — drop the value and free the memory.
///
/// ```
/// use core::ffi::c_void;
/// use std::sync::Mutex;
/// use rcobj::{AnyObj, Obj, ObjectHeader, ANY_OBJECT_INDEX, DELETER_BOTH, DELETER_WEAK};
///
/// // An object made outside Rust's handles, recording the deleter calls it gets.
/// #[repr(C)]
/// struct Foreign { header: ObjectHeader }
/// static CALLS: Mutex<Vec<i32>> = Mutex::new(Vec::new());
/// unsafe extern "C" fn record(obj: *mut c_void, flags: i32) {
///     CALLS.lock().unwrap().push(flags);
///     if flags & DELETER_WEAK != 0 {
///         // SAFETY: made by `Box::into_raw` below; freed once.
///         drop(unsafe { Box::from_raw(obj.cast::<Foreign>()) });
///     }
/// }
/// let raw = Box::into_raw(Box::new(Foreign {
///     header: ObjectHeader::new(ANY_OBJECT_INDEX, Some(record)),
/// }));
/// // SAFETY: a live object with one strong reference, handed over.
/// let any: AnyObj = unsafe { AnyObj::from_raw(raw.cast()) };
/// let copy = any.clone();
/// drop(copy);
/// assert!(CALLS.lock().unwrap().is_empty());
/// drop(any); // the last reference of any kind: one call
/// assert_eq!(*CALLS.lock().unwrap(), [DELETER_BOTH]);
/// ```
pub const DELETER_BOTH: i32 = DELETER_STRONG | DELETER_WEAK;

/// One strong reference in the packed word.
///
/// ```
/// use std::sync::atomic::Ordering;
/// use rcobj::{Obj, Object, BOTH_ONE, STRONG_ONE};
///
/// #[derive(Object)]
/// #[object(key = "doc.header.STRONG_ONE")]
/// struct Item;
///
/// let o = Obj::new(Item);
/// let h = Obj::header(&o);
/// let _o2 = o.clone();
/// assert_eq!(h.load_combined(Ordering::Relaxed), BOTH_ONE + STRONG_ONE);
/// ```
pub const STRONG_ONE: u64 = 1;
/// One weak reference in the packed word.
///
/// ```
/// use std::sync::atomic::Ordering;
/// use rcobj::{Obj, Object, BOTH_ONE, WEAK_ONE};
///
/// #[derive(Object)]
/// #[object(key = "doc.header.WEAK_ONE")]
/// struct Item;
///
/// let o = Obj::new(Item);
/// let h = Obj::header(&o);
/// let _w = Obj::downgrade(&o);
/// assert_eq!(h.load_combined(Ordering::Relaxed), BOTH_ONE + WEAK_ONE);
/// ```
pub const WEAK_ONE: u64 = 1 << 32;
/// The word of an object with one strong reference and no external weak reference.
///
/// ```
/// use std::sync::atomic::Ordering;
/// use rcobj::{Obj, Object, BOTH_ONE, STRONG_ONE, WEAK_ONE};
///
/// #[derive(Object)]
/// #[object(key = "doc.header.BOTH_ONE")]
/// struct Item;
///
/// let o = Obj::new(Item);
/// let h = Obj::header(&o);
/// assert_eq!(BOTH_ONE, STRONG_ONE | WEAK_ONE);
/// assert_eq!(h.load_combined(Ordering::Relaxed), BOTH_ONE); // a fresh object
/// ```
pub const BOTH_ONE: u64 = STRONG_ONE | WEAK_ONE;
/// The largest count either half may reach; one more aborts.
///
/// ```
/// use rcobj::{MAX_COUNT, STRONG_ONE, WEAK_ONE};
///
/// assert_eq!(MAX_COUNT, i32::MAX as u32);
/// // Even 2^31 racing increments past the limit stay inside the strong half.
/// assert!((MAX_COUNT as u64 + (1 << 31)) * STRONG_ONE < WEAK_ONE);
/// ```
pub const MAX_COUNT: u32 = i32::MAX as u32;

const HALF_MASK: u64 = 0xFFFF_FFFF;

/// The strong half of a packed word.
#[inline(always)]
pub const fn strong_of(word: u64) -> u32 {
    (word & HALF_MASK) as u32
}

/// The weak half of a packed word (including the implicit weak reference).
#[inline(always)]
pub const fn weak_of(word: u64) -> u32 {
    (word >> 32) as u32
}

/// The header every object starts with (`#[repr(C)]`, 24 bytes, align 8).
///
/// | offset | field | |
/// |---|---|---|
/// | 0 | `combined_ref_count: u64` | strong in the low 32 bits, weak in the high 32 |
/// | 8 | `type_index: i32` | the most-derived type's index |
/// | 12 | `_padding: u32` | always 0 |
/// | 16 | `deleter` | `void (*)(void *self, int flags)` |
///
/// Fields are private: safe code can read the counts and the type index, never write them.
///
/// ```
/// use core::mem::{align_of, size_of};
/// use rcobj::{Obj, ObjectHeader, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.header.ObjectHeader")]
/// struct Item(u32);
///
/// assert_eq!((size_of::<ObjectHeader>(), align_of::<ObjectHeader>()), (24, 8));
/// let o = Obj::new(Item(1));
/// let h: &ObjectHeader = Obj::header(&o);
/// assert_eq!((h.strong_count(), h.weak_count()), (1, 0));
/// assert_eq!(h.type_index(), Item::type_info().index());
/// ```
#[repr(C)]
pub struct ObjectHeader {
    combined_ref_count: AtomicU64,
    type_index: i32,
    _padding: u32,
    deleter: Option<Deleter>,
}

#[cfg(not(loom))]
const _: () = {
    assert!(core::mem::size_of::<ObjectHeader>() == 24);
    assert!(core::mem::align_of::<ObjectHeader>() == 8);
    assert!(core::mem::offset_of!(ObjectHeader, combined_ref_count) == 0);
    assert!(core::mem::offset_of!(ObjectHeader, type_index) == 8);
    assert!(core::mem::offset_of!(ObjectHeader, _padding) == 12);
    assert!(core::mem::offset_of!(ObjectHeader, deleter) == 16);
};

impl ObjectHeader {
    /// A header for a fresh object: strong 1, weak 1 (the implicit weak reference).
    ///
    /// Writing it is a plain store; no atomic operation is involved.
    ///
    /// ```
    /// use rcobj::{ObjectHeader, ANY_OBJECT_INDEX};
    ///
    /// // The header of an object made outside Rust's handles (see `AnyObj::from_raw`).
    /// let h = ObjectHeader::new(ANY_OBJECT_INDEX, None);
    /// assert_eq!((h.strong_count(), h.weak_count()), (1, 0));
    /// assert_eq!(h.type_index(), 64);
    /// assert!(h.deleter().is_none());
    /// ```
    #[inline(always)]
    pub fn new(type_index: i32, deleter: Option<Deleter>) -> Self {
        ObjectHeader {
            combined_ref_count: AtomicU64::new(BOTH_ONE),
            type_index,
            _padding: 0,
            deleter,
        }
    }

    /// Writes a fresh header (strong 1, weak 1) to `dst` with plain stores.
    ///
    /// The type index and the padding go out as one 8-byte store. Written as two 4-byte
    /// stores (what `ptr::write(ObjectHeader::new(..))` compiles to), they cannot be
    /// forwarded to an 8-byte load of bytes 8..16 — and glibc's `free` loads exactly that
    /// word (the tcache double-free key) right after a short-lived object is dropped. The
    /// failed forwarding stalled every create+drop by several nanoseconds (BENCHMARKS.md).
    ///
    /// # Safety
    ///
    /// `dst` is valid for writes of an `ObjectHeader` and 8-aligned.
    #[inline(always)]
    pub(crate) unsafe fn write_fresh(
        dst: *mut ObjectHeader,
        type_index: i32,
        deleter: Option<Deleter>,
    ) {
        // SAFETY: `dst` is valid for writes and aligned (caller).
        unsafe {
            ptr::addr_of_mut!((*dst).combined_ref_count).write(AtomicU64::new(BOTH_ONE));
            ptr::addr_of_mut!((*dst).deleter).write(deleter);
        }
        #[cfg(not(loom))]
        {
            let [a, b, c, d] = type_index.to_ne_bytes();
            // `type_index` then `_padding` (0), in memory order on any endianness.
            let index_and_padding = u64::from_ne_bytes([a, b, c, d, 0, 0, 0, 0]);
            // SAFETY: `type_index` and `_padding` are the 8 bytes at offset 8 (asserted
            // above), so `dst` as `*mut u64` plus one is an aligned, in-bounds place for
            // both; the bytes written are a valid `i32` and a valid `u32`.
            unsafe { dst.cast::<u64>().add(1).write(index_and_padding) };
        }
        // Under loom the count word is loom's larger atomic and the offsets differ.
        #[cfg(loom)]
        // SAFETY: as above, field by field.
        unsafe {
            ptr::addr_of_mut!((*dst).type_index).write(type_index);
            ptr::addr_of_mut!((*dst)._padding).write(0);
        }
    }

    /// Sets the type index of a header written by [`write_fresh`](Self::write_fresh).
    ///
    /// # Safety
    ///
    /// `dst` is a header no other thread can see yet, valid for writes.
    #[inline]
    pub(crate) unsafe fn set_type_index(dst: *mut ObjectHeader, type_index: i32) {
        // SAFETY: as the caller guarantees.
        unsafe { ptr::addr_of_mut!((*dst).type_index).write(type_index) };
    }

    /// The number of strong references.
    ///
    /// ```
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.header.strong_count")]
    /// struct Item;
    ///
    /// let o = Obj::new(Item);
    /// let _o2 = o.clone();
    /// assert_eq!(Obj::header(&o).strong_count(), 2);
    /// ```
    #[inline]
    pub fn strong_count(&self) -> u32 {
        // Acquire, as `Arc::strong_count`: a caller that sees 1 may rely on the other
        // handles' releases having happened.
        strong_of(self.combined_ref_count.load(Ordering::Acquire))
    }

    /// The number of external weak references (the implicit one held by the strong
    /// references is not counted, as in `Arc::weak_count`).
    ///
    /// ```
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.header.weak_count")]
    /// struct Item;
    ///
    /// let o = Obj::new(Item);
    /// assert_eq!(Obj::header(&o).weak_count(), 0); // the implicit weak reference is not counted
    /// let _w = Obj::downgrade(&o);
    /// assert_eq!(Obj::header(&o).weak_count(), 1);
    /// ```
    #[inline]
    pub fn weak_count(&self) -> u32 {
        let word = self.combined_ref_count.load(Ordering::Acquire);
        let implicit = u32::from(strong_of(word) != 0);
        weak_of(word).saturating_sub(implicit)
    }

    /// The index of the object's most-derived type.
    ///
    /// ```
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.header.type_index")]
    /// struct Item;
    ///
    /// let o = Obj::new(Item);
    /// let index = Obj::header(&o).type_index();
    /// assert_eq!(index, Item::type_info().index());
    /// assert!(index >= rcobj::FIRST_DYNAMIC_INDEX);
    /// ```
    #[inline(always)]
    pub fn type_index(&self) -> i32 {
        self.type_index
    }

    /// The deleter the object was created with.
    ///
    /// ```
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.header.deleter")]
    /// struct Item;
    ///
    /// let o = Obj::new(Item);
    /// let d = Obj::header(&o).deleter().unwrap();
    /// let raw = Obj::into_raw(o);
    /// // What foreign code does when it drops the last reference: one call, both phases.
    /// // SAFETY: `raw` owns the only reference; both phases run once.
    /// unsafe { d(raw.cast(), rcobj::DELETER_BOTH) };
    /// assert_eq!(Item::type_info().live_count(), 0);
    /// ```
    #[inline(always)]
    pub fn deleter(&self) -> Option<Deleter> {
        self.deleter
    }

    /// The packed count word.
    #[inline(always)]
    pub(crate) fn word(&self) -> &AtomicU64 {
        &self.combined_ref_count
    }

    /// Reads the packed word (strong low, weak high) with the given ordering.
    ///
    /// ```
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.header.load_combined")]
    /// struct Item;
    ///
    /// let o = Obj::new(Item);
    /// use std::sync::atomic::Ordering;
    ///
    /// let _w = Obj::downgrade(&o);
    /// let word = Obj::header(&o).load_combined(Ordering::Acquire);
    /// assert_eq!(word & 0xFFFF_FFFF, 1); // strong
    /// assert_eq!(word >> 32, 2); // weak: the external one and the implicit one
    /// ```
    #[inline]
    pub fn load_combined(&self, order: Ordering) -> u64 {
        self.combined_ref_count.load(order)
    }

    /// Adds one strong reference; returns the previous word. The caller aborts if the
    /// previous strong half was already [`MAX_COUNT`].
    ///
    /// Relaxed, as `Arc::clone`: a new reference can only be made from an existing one,
    /// which already orders everything the new holder may see.
    #[inline(always)]
    pub(crate) fn inc_strong(&self) -> u64 {
        self.combined_ref_count
            .fetch_add(STRONG_ONE, Ordering::Relaxed)
    }

    /// Adds one weak reference; returns the previous word. Relaxed for the same reason as
    /// [`inc_strong`](Self::inc_strong).
    #[inline(always)]
    pub(crate) fn inc_weak(&self) -> u64 {
        self.combined_ref_count
            .fetch_add(WEAK_ONE, Ordering::Relaxed)
    }

    /// Drops one strong reference; returns the previous word.
    ///
    /// Release: everything this holder did with the value happens before the acquire
    /// (fence) of whoever sees the strong half reach zero and runs the destructor.
    #[inline(always)]
    pub(crate) fn dec_strong(&self) -> u64 {
        self.combined_ref_count
            .fetch_sub(STRONG_ONE, Ordering::Release)
    }

    /// Drops one weak reference; returns the previous word.
    ///
    /// Release: pairs with the acquire of whoever sees the weak half reach zero and frees
    /// the memory, so no access through this reference can follow the free.
    #[inline(always)]
    pub(crate) fn dec_weak(&self) -> u64 {
        self.combined_ref_count
            .fetch_sub(WEAK_ONE, Ordering::Release)
    }
}

impl core::fmt::Debug for ObjectHeader {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let word = self.combined_ref_count.load(Ordering::Relaxed);
        f.debug_struct("ObjectHeader")
            .field("strong", &strong_of(word))
            .field("weak", &weak_of(word))
            .field("type_index", &self.type_index)
            .finish()
    }
}
