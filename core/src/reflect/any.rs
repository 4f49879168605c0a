//! [`AsAnyObj`]: every handle the services accept, lent as an `&AnyObj`.

use crate::borrow::ObjBorrow;
use crate::obj::{AnyObj, Obj};
use crate::type_info::Object;

/// A handle that lends its object as an [`AnyObj`] borrow, without count traffic: what
/// the reflection services ([`repr`](super::repr), [`structural_eq`](super::structural_eq),
/// …) accept.
///
/// Implemented for [`Obj<T>`] and [`ObjBorrow<'_, T>`] when `T: Send + Sync` (an `AnyObj`
/// is `Send + Sync`, so a `!Send` object must not be lent as one, just as it cannot be
/// [upcast](Obj::upcast)), and for references to any implementor.
///
/// ```
/// use rcobj::reflect::{repr, AsAnyObj};
/// use rcobj::{AnyObj, Obj, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.reflect.AsAnyObj.Leaf")]
/// struct Leaf(u8);
///
/// let leaf = Obj::new(Leaf(1));
/// let any: &AnyObj = leaf.as_any_obj();
/// assert!(Obj::ptr_eq(any, &leaf.clone().upcast()));
/// assert_eq!(Obj::strong_count(&leaf), 1); // lent, not cloned
///
/// // Every form of handle works with the services.
/// assert_eq!(repr(&leaf), "doc.reflect.AsAnyObj.Leaf(0=1)");
/// assert_eq!(repr(&Obj::borrow(&leaf)), repr(any));
/// ```
pub trait AsAnyObj {
    /// The object, as a type-erased handle borrowed from `self`.
    ///
    /// ```
    /// use rcobj::reflect::AsAnyObj;
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.reflect.AsAnyObj.as_any_obj")]
    /// struct Item;
    ///
    /// let item = Obj::new(Item);
    /// let owned = item.as_any_obj().clone(); // a new strong reference, as an `AnyObj`
    /// assert!(owned.is::<Item>());
    /// assert_eq!(Obj::strong_count(&item), 2);
    /// ```
    fn as_any_obj(&self) -> &AnyObj;
}

impl<T: Object + Send + Sync> AsAnyObj for Obj<T> {
    #[inline]
    fn as_any_obj(&self) -> &AnyObj {
        any_ref(self)
    }
}

impl<T: Object + Send + Sync> AsAnyObj for ObjBorrow<'_, T> {
    #[inline]
    fn as_any_obj(&self) -> &AnyObj {
        // SAFETY: `ObjBorrow<T>` and `Obj<T>` are both `repr(transparent)` over a
        // `NonNull<ObjCell<T>>`, so `self` is valid memory holding an `Obj<T>`'s pointer.
        // The borrowed `Obj` owns a strong reference for the borrow's whole lifetime, which
        // outlives `&self`; through a shared reference the handle can only be read or
        // cloned, never dropped.
        let obj: &Obj<T> = unsafe { &*core::ptr::from_ref(self).cast::<Obj<T>>() };
        any_ref(obj)
    }
}

impl<A: AsAnyObj + ?Sized> AsAnyObj for &A {
    #[inline]
    fn as_any_obj(&self) -> &AnyObj {
        (**self).as_any_obj()
    }
}

impl<A: AsAnyObj + ?Sized> AsAnyObj for &mut A {
    #[inline]
    fn as_any_obj(&self) -> &AnyObj {
        (**self).as_any_obj()
    }
}

/// An `&Obj<T>` read as an `&AnyObj`: an upcast without moving the handle.
#[inline]
pub(crate) fn any_ref<T: Object + Send + Sync>(obj: &Obj<T>) -> &AnyObj {
    // SAFETY: `Obj` is `repr(transparent)` over `NonNull<ObjCell<T>>`, whose layout does not
    // depend on `T`; every object is a valid `ObjCell<AnyObject>` (the value of the root is
    // a zero-sized prefix of every value), and `T: Send + Sync` keeps the rule that a
    // `Send + Sync` handle never points at an object that is not.
    unsafe { &*core::ptr::from_ref(obj).cast::<AnyObj>() }
}

// Likewise `&WeakObj<T>` reads as `&WeakObj<AnyObject>` (`WeakObj` is `repr(transparent)`
// over its block pointer, and an upgrade through the erased handle yields an `AnyObj` of a
// `Send + Sync` object), and slices of either handle as slices of the erased one, item for
// item (one layout, so one stride and length). The `Reflect` impls of the handles make
// these casts in place (`value.rs`).
