//! [`ObjBorrow<'a, T>`]: a borrowed handle with no count traffic.

use core::fmt;
use core::hash::{Hash, Hasher};
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ops::Deref;
use core::ptr::NonNull;

use crate::behaviour;
use crate::cell::ObjCell;
use crate::obj::Obj;
use crate::type_info::Object;

/// A borrowed handle, like triomphe's `ArcBorrow`: `Copy`, derefs to `T`, and costs no
/// count update; [`to_obj`](ObjBorrow::to_obj) takes a strong reference when one is needed.
///
/// It keeps the pointer to the whole block (not a `&T`), so a strong reference made from it
/// keeps full provenance over the header.
///
/// ```
/// use rcobj::{Obj, ObjBorrow, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.Leaf")]
/// struct Leaf(u8);
///
/// fn sum(a: ObjBorrow<'_, Leaf>, b: ObjBorrow<'_, Leaf>) -> u8 { a.0 + b.0 }
///
/// let leaf = Obj::new(Leaf(2));
/// let b = Obj::borrow(&leaf);
/// assert_eq!(sum(b, b), 4);
/// let again: Obj<Leaf> = b.to_obj();
/// assert_eq!(Obj::strong_count(&again), 2);
/// ```
// `repr(transparent)`: an `ObjBorrow<T>` is exactly the block pointer of the `Obj` it
// borrows, so a `&ObjBorrow<T>` can be read as a `&AnyObj` (see `reflect::any`).
#[repr(transparent)]
pub struct ObjBorrow<'a, T: Object> {
    ptr: NonNull<ObjCell<T>>,
    _marker: PhantomData<&'a Obj<T>>,
}

impl<'a, T: Object> ObjBorrow<'a, T> {
    /// Borrows a strong handle.
    ///
    /// ```
    /// use rcobj::{Obj, ObjBorrow, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.borrow.from_obj")]
    /// struct Leaf(u8);
    ///
    /// let leaf = Obj::new(Leaf(2));
    /// let b = ObjBorrow::from_obj(&leaf);
    /// assert_eq!(b.0, 2);
    /// assert_eq!(Obj::strong_count(&leaf), 1);
    /// ```
    #[inline(always)]
    pub fn from_obj(obj: &'a Obj<T>) -> Self {
        ObjBorrow {
            ptr: Obj::cell(obj),
            _marker: PhantomData,
        }
    }

    /// A borrow of the block at `ptr`.
    ///
    /// # Safety
    ///
    /// A strong reference keeps the object at `ptr` alive for `'a`, and its real type is
    /// `T` or a descendant.
    #[inline(always)]
    pub(crate) unsafe fn from_cell(ptr: NonNull<ObjCell<T>>) -> Self {
        ObjBorrow {
            ptr,
            _marker: PhantomData,
        }
    }

    #[inline(always)]
    pub(crate) fn cell(self) -> NonNull<ObjCell<T>> {
        self.ptr
    }

    /// A new strong reference to the object.
    ///
    /// ```
    /// use rcobj::{Obj, ObjBorrow, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.borrow.to_obj")]
    /// struct Leaf(u8);
    ///
    /// let leaf = Obj::new(Leaf(2));
    /// let b = Obj::borrow(&leaf);
    /// let owned: Obj<Leaf> = b.to_obj();
    /// assert!(Obj::ptr_eq(&owned, &leaf));
    /// assert_eq!(Obj::strong_count(&leaf), 2);
    /// ```
    #[inline]
    pub fn to_obj(self) -> Obj<T> {
        // SAFETY: the borrowed `Obj` owns a strong reference for `'a`; we make a
        // temporary handle from the same pointer without taking ownership and clone it.
        let borrowed = ManuallyDrop::new(unsafe { Obj::from_cell(self.ptr) });
        Obj::clone(&borrowed)
    }

    /// The value, for the whole borrow.
    ///
    /// ```
    /// use rcobj::{Obj, ObjBorrow, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.borrow.get")]
    /// struct Leaf(u8);
    ///
    /// let leaf = Obj::new(Leaf(2));
    /// fn first<'a>(b: ObjBorrow<'a, Leaf>) -> &'a u8 {
    ///     &b.get().0 // lives as long as the borrowed `Obj`, not just as `b`
    /// }
    /// assert_eq!(*first(Obj::borrow(&leaf)), 2);
    /// ```
    #[inline(always)]
    pub fn get(self) -> &'a T {
        // SAFETY: the borrowed `Obj` keeps the value alive for `'a`; the reference covers
        // the value only.
        unsafe { &(*self.ptr.as_ptr()).value }
    }

    /// Whether two borrows point to the same object.
    ///
    /// ```
    /// use rcobj::{Obj, ObjBorrow, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.borrow.ptr_eq")]
    /// struct Leaf(u8);
    ///
    /// let leaf = Obj::new(Leaf(2));
    /// let other = Obj::new(Leaf(2));
    /// assert!(Obj::borrow(&leaf).ptr_eq(Obj::borrow(&leaf.clone())));
    /// assert!(!Obj::borrow(&leaf).ptr_eq(Obj::borrow(&other)));
    /// ```
    #[inline]
    pub fn ptr_eq(self, other: Self) -> bool {
        self.ptr == other.ptr
    }
}

impl<T: Object> Clone for ObjBorrow<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Object> Copy for ObjBorrow<'_, T> {}

// SAFETY: an `ObjBorrow` is a `&Obj<T>` in disguise: `Send`/`Sync` exactly when that is.
unsafe impl<T: Object + Send + Sync> Send for ObjBorrow<'_, T> {}
// SAFETY: as above.
unsafe impl<T: Object + Send + Sync> Sync for ObjBorrow<'_, T> {}

impl<T: Object> Deref for ObjBorrow<'_, T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        self.get()
    }
}

impl<'a, T: Object> From<&'a Obj<T>> for ObjBorrow<'a, T> {
    fn from(obj: &'a Obj<T>) -> Self {
        ObjBorrow::from_obj(obj)
    }
}

// The standard traits behave exactly as the `Obj<T>` impls: on the object's real type
// (see "Behaviour through base handles" in the crate docs).

/// As [`Obj`]'s `Debug`: the real type's.
///
/// ```
/// use rcobj::{AnyObj, Obj, Object};
///
/// #[derive(Object, Debug)]
/// #[object(key = "doc.borrow.Debug")]
/// struct Leaf(u8);
///
/// let any: AnyObj = Obj::new(Leaf(1)).upcast();
/// assert_eq!(format!("{:?}", Obj::borrow(&any)), "Leaf(1)");
/// ```
impl<T: Object + fmt::Debug> fmt::Debug for ObjBorrow<'_, T> {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        behaviour::debug(self.ptr, f)
    }
}

/// As [`Obj`]'s `Display`: the real type's.
impl<T: Object + fmt::Display> fmt::Display for ObjBorrow<'_, T> {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        behaviour::display(self.ptr, f)
    }
}

/// As [`Obj`]'s `==`: the real types'.
///
/// ```
/// use rcobj::{AnyObj, Obj, Object};
///
/// #[derive(Object, PartialEq)]
/// #[object(key = "doc.borrow.PartialEq")]
/// struct Leaf(u8);
///
/// let (a, b): (AnyObj, AnyObj) = (Obj::new(Leaf(1)).upcast(), Obj::new(Leaf(1)).upcast());
/// assert!(Obj::borrow(&a) == Obj::borrow(&b));
/// ```
impl<T: Object + PartialEq> PartialEq for ObjBorrow<'_, T> {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        behaviour::eq(self.ptr, other.ptr)
    }
}

impl<T: Object + Eq> Eq for ObjBorrow<'_, T> {}

/// As [`Obj`]'s `PartialOrd`.
impl<T: Object + PartialOrd> PartialOrd for ObjBorrow<'_, T> {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        behaviour::partial_cmp(self.ptr, other.ptr)
    }
}

/// As [`Obj`]'s `Ord`.
impl<T: Object + Ord> Ord for ObjBorrow<'_, T> {
    #[inline]
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        behaviour::cmp(self.ptr, other.ptr)
    }
}

/// As [`Obj`]'s `Hash`: a borrow hashes as the handle it borrows.
impl<T: Object + Hash> Hash for ObjBorrow<'_, T> {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        behaviour::hash(self.ptr, state)
    }
}
