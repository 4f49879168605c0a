//! [`UniqueObj<T>`]: an object not shared yet, mutable without any atomic operation.

use core::fmt;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};
use core::ptr::{self, NonNull};

use crate::cell::ObjCell;
use crate::counts;
use crate::deleter::{deleter, drop_value};
use crate::header::ObjectHeader;
use crate::obj::Obj;
use crate::sync::Ordering::Relaxed;
use crate::type_info::Object;

/// An object with exactly one reference, like triomphe's `UniqueArc`: it derefs mutably,
/// and [`share`](UniqueObj::share) turns it into an [`Obj`] at no cost.
///
/// Building one performs no atomic operation: the header is written with plain stores.
///
/// ```
/// use rcobj::{Object, UniqueObj};
///
/// #[derive(Object, Default)]
/// #[object(key = "doc.Buffer")]
/// struct Buffer { bytes: Vec<u8> }
///
/// let mut u = UniqueObj::new(Buffer::default());
/// u.bytes.extend_from_slice(b"abc");
/// let shared = UniqueObj::share(u);
/// assert_eq!(shared.bytes, b"abc");
/// ```
pub struct UniqueObj<T: Object> {
    ptr: NonNull<ObjCell<T>>,
    _marker: PhantomData<ObjCell<T>>,
}

// SAFETY: a unique owner, like `Box<T>`.
unsafe impl<T: Object + Send> Send for UniqueObj<T> {}
// SAFETY: `&UniqueObj<T>` only gives `&T`.
unsafe impl<T: Object + Sync> Sync for UniqueObj<T> {}

impl<T: Object> UniqueObj<T> {
    /// Allocates an object holding `value` (one allocation) and counts the instance in this
    /// thread's slot for `T`.
    ///
    /// ```
    /// use rcobj::{Obj, Object, UniqueObj};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.unique.new")]
    /// struct List(Vec<u32>);
    ///
    /// let mut u = UniqueObj::new(List(Vec::new()));
    /// u.0.push(1); // `DerefMut`: no count check needed
    /// assert_eq!(u.0, [1]);
    /// assert_eq!(List::type_info().live_count(), 1);
    /// ```
    #[inline]
    pub fn new(value: T) -> UniqueObj<T> {
        // The index as stored: `UNASSIGNED` (-1) until the registry's first use. One
        // relaxed load; no test here (see below).
        let index = T::type_info().index.load(Relaxed);
        let ptr = ObjCell::allocate(value, index, deleter::<T>);
        // Branch: one compare stands for "the index is assigned" and "this thread counts in
        // its own slot" (an unassigned index wraps past every slot). Saves the separate
        // test of the index that `TypeInfo::index` makes.
        if !counts::add_fast(index, 1) {
            new_slow(ptr);
        }
        UniqueObj {
            ptr,
            _marker: PhantomData,
        }
    }

    /// Wraps a block the caller hands over.
    ///
    /// # Safety
    ///
    /// `ptr` is the only reference (strong 1, weak 1) to an initialised object of real type
    /// `T`, allocated by this crate with `deleter::<T>` and counted as an instance.
    #[inline(always)]
    pub(crate) unsafe fn from_cell(ptr: NonNull<ObjCell<T>>) -> UniqueObj<T> {
        UniqueObj {
            ptr,
            _marker: PhantomData,
        }
    }

    /// Shares the object: an [`Obj`] with strong count 1. No atomic operation.
    ///
    /// ```
    /// use rcobj::{Obj, Object, UniqueObj};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.unique.share")]
    /// struct List(Vec<u32>);
    ///
    /// let mut u = UniqueObj::new(List(vec![1]));
    /// u.0.push(2);
    /// let shared: Obj<List> = UniqueObj::share(u);
    /// assert_eq!(Obj::strong_count(&shared), 1);
    /// assert_eq!(shared.0, [1, 2]);
    /// ```
    #[inline(always)]
    pub fn share(this: Self) -> Obj<T> {
        let this = ManuallyDrop::new(this);
        // SAFETY: we hand our one strong reference over; the real type is `T`.
        unsafe { Obj::from_cell(this.ptr) }
    }

    /// Moves the value out and frees the object.
    ///
    /// ```
    /// use rcobj::{Obj, Object, UniqueObj};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.unique.into_inner")]
    /// struct List(Vec<u32>);
    ///
    /// let u = UniqueObj::new(List(vec![3]));
    /// let list: List = UniqueObj::into_inner(u);
    /// assert_eq!(list.0, [3]);
    /// assert_eq!(List::type_info().live_count(), 0); // counted out; the block is freed
    /// ```
    pub fn into_inner(this: Self) -> T {
        let this = ManuallyDrop::new(this);
        let cell = this.ptr.as_ptr();
        // SAFETY: unique: no other reference exists; the value is moved out exactly once,
        // then the block (whose layout is `ObjCell<T>`) is freed without dropping it.
        unsafe {
            let value = ptr::read(ptr::addr_of!((*cell).value));
            counts::add((*cell).header.type_index(), -1);
            ObjCell::free(cell);
            value
        }
    }
}

/// The first object of a type before the registry assigned indices, or the first count
/// of a thread (or one past its inline slots): resolves the index, fixes the header and
/// counts the instance the slow way. If resolving the index panics (two types with one
/// key), the value is dropped and the block freed, as if `new` had never allocated.
#[cold]
#[inline(never)]
fn new_slow<T: Object>(ptr: NonNull<ObjCell<T>>) {
    /// Drops the value and frees the block if `index()` unwinds.
    struct Undo<T: Object>(NonNull<ObjCell<T>>);
    impl<T: Object> Drop for Undo<T> {
        fn drop(&mut self) {
            let cell = self.0.as_ptr();
            // SAFETY: the block is ours alone (not yet handed out), the value is live and
            // not counted; drop it once, then free the block.
            unsafe {
                ptr::drop_in_place(ptr::addr_of_mut!((*cell).value));
                ObjCell::free(cell);
            }
        }
    }
    let undo = Undo(ptr);
    let index = T::type_info().index();
    core::mem::forget(undo);
    let cell = ptr.as_ptr();
    // SAFETY: the block is ours alone; nobody has seen the header yet.
    unsafe { ObjectHeader::set_type_index(ptr::addr_of_mut!((*cell).header), index) };
    counts::add(index, 1);
}

impl<T: Object> Deref for UniqueObj<T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        // SAFETY: we own the live object; the reference covers the value only.
        unsafe { &(*self.ptr.as_ptr()).value }
    }
}

impl<T: Object> DerefMut for UniqueObj<T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: unique ownership, borrowed mutably; the reference covers the value only.
        unsafe { &mut (*self.ptr.as_ptr()).value }
    }
}

impl<T: Object> Drop for UniqueObj<T> {
    fn drop(&mut self) {
        // A `UniqueObj<T>` is only made by `UniqueObj::new`, so the object's real type is
        // `T` and its deleter is `deleter::<T>`: run its body inline, with no count update,
        // no deleter call and no thread-local bracket. A panic in `T::drop` unwinds from
        // here after the instance is counted out and the memory freed.
        // SAFETY: the only reference, to an `ObjCell<T>` allocated by `UniqueObj::new`;
        // neither phase ran.
        unsafe { drop_value::<T>(self.ptr.as_ptr(), true) };
    }
}

impl<T: Object + fmt::Debug> fmt::Debug for UniqueObj<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: Object + Default> Default for UniqueObj<T> {
    fn default() -> Self {
        UniqueObj::new(T::default())
    }
}

impl<T: Object> From<T> for UniqueObj<T> {
    fn from(value: T) -> Self {
        UniqueObj::new(value)
    }
}
