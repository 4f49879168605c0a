//! [`WeakObj<T>`]: the weak handle. It never creates a reference to the value.

use core::fmt;
use core::marker::PhantomData;
use core::ptr::{self, NonNull};

use crate::behaviour::KeyAndAddress;
use crate::cell::ObjCell;
use crate::deleter::{count_overflow, release_weak};
use crate::header::{strong_of, weak_of, ObjectHeader, MAX_COUNT, STRONG_ONE};
use crate::obj::Obj;
use crate::registry;
use crate::sync::Ordering;
use crate::type_info::{AnyObject, Object};

/// A weak handle, like `std::sync::Weak<T>`: keeps the memory, not the value.
///
/// ```
/// use rcobj::{Obj, Object, WeakObj};
///
/// #[derive(Object)]
/// #[object(key = "doc.Node")]
/// struct Node { id: u32 }
///
/// let strong = Obj::new(Node { id: 7 });
/// let weak = Obj::downgrade(&strong);
/// assert_eq!(weak.upgrade().map(|n| n.id), Some(7));
/// drop(strong);
/// assert!(weak.upgrade().is_none());
/// assert!(WeakObj::<Node>::new().upgrade().is_none());
/// ```
// `repr(transparent)`: a `WeakObj<T>` is exactly its block pointer, whatever `T`, so a
// `&WeakObj<T>` can be read as a `&WeakObj<AnyObject>` (see `reflect::any`).
#[repr(transparent)]
pub struct WeakObj<T: Object> {
    /// A live block, or `usize::MAX` for [`WeakObj::new`] (never dereferenced).
    ptr: NonNull<ObjCell<T>>,
    _marker: PhantomData<ObjCell<T>>,
}

// SAFETY: as `std::sync::Weak<T>`: upgrading yields an `Obj<T>` on this thread.
unsafe impl<T: Object + Send + Sync> Send for WeakObj<T> {}
// SAFETY: as above.
unsafe impl<T: Object + Send + Sync> Sync for WeakObj<T> {}

const DANGLING: usize = usize::MAX;

impl<T: Object> WeakObj<T> {
    /// A weak handle to nothing: allocates nothing, never upgrades.
    ///
    /// ```
    /// use rcobj::{Obj, Object, WeakObj};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.weak.new")]
    /// struct Item(u8);
    ///
    /// let w: WeakObj<Item> = WeakObj::new();
    /// assert!(w.upgrade().is_none());
    /// assert_eq!(w.strong_count(), 0);
    /// assert!(w.ptr_eq(&WeakObj::default()));
    /// ```
    pub const fn new() -> WeakObj<T> {
        WeakObj {
            // SAFETY: `usize::MAX` is not zero. It is only compared, never dereferenced, and
            // made without provenance (not by an integer-to-pointer cast, which would make
            // Miri give up strict provenance checking).
            ptr: unsafe {
                NonNull::new_unchecked(ptr::null_mut::<ObjCell<T>>().wrapping_byte_add(DANGLING))
            },
            _marker: PhantomData,
        }
    }

    /// Wraps a weak reference the caller hands over.
    ///
    /// # Safety
    ///
    /// `ptr` is a live object whose real type is `T` or a descendant; the caller owns one
    /// weak reference to it.
    #[inline(always)]
    pub(crate) unsafe fn from_cell(ptr: NonNull<ObjCell<T>>) -> WeakObj<T> {
        WeakObj {
            ptr,
            _marker: PhantomData,
        }
    }

    /// The address of the object's header (`usize::MAX` for [`WeakObj::new`]): its
    /// identity, for reflection. Never dereferenced.
    #[inline]
    pub(crate) fn addr(&self) -> usize {
        self.ptr.as_ptr().addr()
    }

    /// The header, unless this is [`WeakObj::new`]. Only the header is ever referenced.
    #[inline]
    fn header(&self) -> Option<&ObjectHeader> {
        if self.ptr.as_ptr() as usize == DANGLING {
            None
        } else {
            // SAFETY: our weak reference keeps the block (and so the header) alive; the
            // value may already be dropped, so we never make a reference to it.
            Some(unsafe { &(*self.ptr.as_ptr()).header })
        }
    }

    /// A strong handle, if the value is still alive.
    ///
    /// ```
    /// use rcobj::{Obj, Object, WeakObj};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.weak.upgrade")]
    /// struct Item(u8);
    ///
    /// let a = Obj::new(Item(1));
    /// let w = Obj::downgrade(&a);
    /// let b = w.upgrade().unwrap();
    /// assert!(Obj::ptr_eq(&a, &b));
    /// assert_eq!(Obj::strong_count(&a), 2);
    /// drop((a, b));
    /// assert!(w.upgrade().is_none()); // never revives a dropped value
    /// ```
    #[inline]
    pub fn upgrade(&self) -> Option<Obj<T>> {
        let word = self.header()?.word();
        let mut cur = word.load(Ordering::Relaxed);
        loop {
            let strong = strong_of(cur);
            if strong == 0 {
                return None;
            }
            if strong >= MAX_COUNT {
                count_overflow(self.header()?, "strong");
            }
            // Acquire on success: pairs with the Release that published the value (the
            // creating thread's handoff, or a `make_mut` that replaced it). Relaxed on
            // failure: we only look again.
            match word.compare_exchange_weak(
                cur,
                cur + STRONG_ONE,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                // SAFETY: we just added the strong reference the handle owns.
                Ok(_) => return Some(unsafe { Obj::from_cell(self.ptr) }),
                Err(actual) => cur = actual,
            }
        }
    }

    /// The number of strong references (0 for [`WeakObj::new`]).
    ///
    /// ```
    /// use rcobj::{Obj, Object, WeakObj};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.weak.strong_count")]
    /// struct Item(u8);
    ///
    /// let a = Obj::new(Item(1));
    /// let w = Obj::downgrade(&a);
    /// let _b = a.clone();
    /// assert_eq!(w.strong_count(), 2);
    /// ```
    pub fn strong_count(&self) -> u32 {
        self.header().map_or(0, ObjectHeader::strong_count)
    }

    /// The number of weak handles, or 0 once no strong reference is left (as
    /// `std::sync::Weak::weak_count`).
    ///
    /// ```
    /// use rcobj::{Obj, Object, WeakObj};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.weak.weak_count")]
    /// struct Item(u8);
    ///
    /// let a = Obj::new(Item(1));
    /// let w = Obj::downgrade(&a);
    /// let w2 = w.clone();
    /// assert_eq!(w.weak_count(), 2);
    /// drop(a);
    /// assert_eq!(w2.weak_count(), 0); // no strong reference left
    /// ```
    pub fn weak_count(&self) -> u32 {
        let Some(h) = self.header() else { return 0 };
        let word = h.load_combined(Ordering::Acquire);
        if strong_of(word) == 0 {
            0
        } else {
            weak_of(word) - 1
        }
    }

    /// Gives up the handle without releasing its weak reference; returns the object's
    /// header address (as [`Obj::into_raw`]), or, for [`WeakObj::new`], a dangling
    /// sentinel that must never be dereferenced. [`from_raw`](WeakObj::from_raw) takes it
    /// back.
    ///
    /// ```
    /// use rcobj::{Obj, Object, WeakObj};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.weak.into_raw")]
    /// struct Item(u8);
    ///
    /// let a = Obj::new(Item(1));
    /// let raw = Obj::downgrade(&a).into_raw();
    /// assert_eq!(Obj::weak_count(&a), 1); // still held, by `raw`
    /// assert_eq!(raw.cast_const(), Obj::header(&a) as *const _);
    /// // SAFETY: made by `into_raw` above; we take its weak reference back.
    /// let w: WeakObj<Item> = unsafe { WeakObj::from_raw(raw) };
    /// assert!(w.upgrade().is_some());
    ///
    /// let dangling = WeakObj::<Item>::new().into_raw();
    /// // SAFETY: made by `into_raw` of a `WeakObj::new()`.
    /// assert!(unsafe { WeakObj::<Item>::from_raw(dangling) }.upgrade().is_none());
    /// ```
    #[inline]
    pub fn into_raw(self) -> *mut ObjectHeader {
        let this = core::mem::ManuallyDrop::new(self);
        this.ptr.as_ptr().cast()
    }

    /// Takes back a weak reference made by [`into_raw`](WeakObj::into_raw).
    ///
    /// # Safety
    ///
    /// `ptr` came from `WeakObj::<U>::into_raw` where the object's real type is `T` or a
    /// descendant (any object, for `T = AnyObject`) — `U = T`, a descendant of `T`, or an
    /// ancestor when the object is known to be a `T` — and the weak reference it owns is
    /// handed over (each `into_raw` is taken back once). If `T` is `Send + Sync`, the
    /// object's real type must be too. The [`Obj::from_raw`] rules about type indices
    /// apply.
    ///
    /// # Examples
    ///
    /// See [`into_raw`](WeakObj::into_raw).
    #[inline]
    pub unsafe fn from_raw(ptr: *mut ObjectHeader) -> WeakObj<T> {
        // SAFETY: `into_raw` never returns null (a block, or the `usize::MAX` sentinel).
        let ptr = unsafe { NonNull::new_unchecked(ptr.cast::<ObjCell<T>>()) };
        // SAFETY: the caller hands over the weak reference (or the sentinel).
        unsafe { WeakObj::from_cell(ptr) }
    }

    /// Whether two weak handles point to the same object (two [`WeakObj::new`]s do).
    ///
    /// ```
    /// use rcobj::{Obj, Object, WeakObj};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.weak.ptr_eq")]
    /// struct Item(u8);
    ///
    /// let a = Obj::new(Item(1));
    /// let b = Obj::new(Item(1));
    /// assert!(Obj::downgrade(&a).ptr_eq(&Obj::downgrade(&a)));
    /// assert!(!Obj::downgrade(&a).ptr_eq(&Obj::downgrade(&b)));
    /// assert!(WeakObj::<Item>::new().ptr_eq(&WeakObj::new()));
    /// ```
    pub fn ptr_eq(&self, other: &Self) -> bool {
        self.ptr == other.ptr
    }
}

impl<T: Object> Clone for WeakObj<T> {
    #[inline]
    fn clone(&self) -> Self {
        if let Some(h) = self.header() {
            let old = h.inc_weak();
            if weak_of(old) >= MAX_COUNT {
                count_overflow(h, "weak");
            }
        }
        // SAFETY: we added the weak reference the new handle owns (or it is dangling).
        unsafe { WeakObj::from_cell(self.ptr) }
    }
}

impl<T: Object> Drop for WeakObj<T> {
    #[inline]
    fn drop(&mut self) {
        if self.header().is_some() {
            // Derived from the block pointer, not from `header()`'s reference: the deleter
            // may free the whole block through it.
            let h: *const ObjectHeader = self.ptr.as_ptr().cast_const().cast();
            // SAFETY: we own one weak reference to a live header.
            unsafe { release_weak(h) };
        }
    }
}

impl<T: Object> Default for WeakObj<T> {
    fn default() -> Self {
        WeakObj::new()
    }
}

/// Whether the object is alive and what it points at (its real type's key and address);
/// never the value, which would need a strong reference.
///
/// ```
/// use rcobj::{Obj, Object, WeakObj};
///
/// #[derive(Object)]
/// #[object(key = "doc.weak.Debug")]
/// struct Item;
///
/// let a = Obj::new(Item);
/// let w = Obj::downgrade(&a);
/// let alive = format!("{w:?}");
/// assert!(alive.starts_with("WeakObj { target: doc.weak.Debug@0x"));
/// assert!(alive.ends_with("alive: true }"));
/// drop(a);
/// assert!(format!("{w:?}").ends_with("alive: false }"));
/// assert_eq!(format!("{:?}", WeakObj::<Item>::new()), "WeakObj(dangling)");
/// ```
impl<T: Object> fmt::Debug for WeakObj<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(h) = self.header() else {
            return f.write_str("WeakObj(dangling)");
        };
        // The memory is ours while the weak reference is; so is a runtime type, which its
        // instances keep until their memory is freed. An unknown index is foreign: root.
        let key = registry::info_of(h).map_or(AnyObject::KEY, |info| info.key());
        f.debug_struct("WeakObj")
            .field(
                "target",
                &KeyAndAddress {
                    key,
                    addr: self.ptr.as_ptr().cast(),
                },
            )
            .field("alive", &(h.strong_count() > 0))
            .finish()
    }
}
