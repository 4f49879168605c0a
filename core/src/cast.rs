//! Casts: [`upcast`](Obj::upcast) checked at compile time through [`IsA`];
//! [`is`](Obj::is), [`downcast`](Obj::downcast) and [`downcast_ref`](Obj::downcast_ref)
//! checked at run time in O(1).
//!
//! # How `IsA` works across crates
//!
//! Each type's depth is a type ([`Z`], `S<Z>`, `S<S<Z>>`, …). The derive writes two small
//! impls of [`Up<N>`] per type: `Up<Z>` is the type itself, `Up<S<N>>` is the parent's
//! `Up<N>`. The two heads never overlap (`Z` vs `S<_>`), and nothing else implements `Up`
//! for the type, so coherence holds in any crate. The one blanket impl of [`IsA<U>`] then
//! asks for `T: Up<depth(T) - depth(U), Out = U>`, with the subtraction done by
//! [`DepthMinus`] on the depth types. Unbounded depth, no runtime cost.
//!
//! # How `is` works
//!
//! * `U` = [`AnyObject`]: always true.
//! * the object's type index equals `U`'s: true (for a final `U`, the only way).
//! * otherwise, `U` not final: the object's descriptor (one acquire load from a fixed
//!   table, by index), then `ancestors[depth(U)] == U` if the object is deeper than `U`.
//!
//! No lock, no hashing, no string compare.

use core::mem::ManuallyDrop;
use core::ptr::NonNull;

use crate::borrow::ObjBorrow;
use crate::cell::ObjCell;
use crate::obj::{AnyObj, Obj};
use crate::registry;
use crate::type_info::{AnyObject, Object, S, Z};

/// Walks `N` steps up the parent chain: `Up<Z>` is `Self`, `Up<S<N>>` is the parent's
/// `Up<N>`. Written by the derive; not for direct use.
#[doc(hidden)]
pub trait Up<N> {
    /// The ancestor `N` steps up.
    type Out;
}

impl Up<Z> for AnyObject {
    type Out = AnyObject;
}

/// Subtraction on type-level depths. Not for direct use.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "the upcast target is deeper in the hierarchy than the source type, so it cannot be an ancestor",
    note = "upcast goes from a type to one of its ancestors; use `downcast` to go the other way"
)]
pub trait DepthMinus<Rhs> {
    /// `Self - Rhs`.
    type Out;
}

impl<N> DepthMinus<Z> for N {
    type Out = N;
}

impl<N, M> DepthMinus<S<M>> for S<N>
where
    N: DepthMinus<M>,
{
    type Out = <N as DepthMinus<M>>::Out;
}

/// `Self` is `U` or a descendant of `U`: an `Obj<Self>` converts to an `Obj<U>` by
/// [`upcast`](Obj::upcast). Implemented for every such pair; never implement it yourself.
///
/// ```
/// use rcobj::{AnyObject, IsA, Obj, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.cast.IsA.Expr")]
/// struct Expr;
///
/// #[derive(Object)]
/// #[repr(C)]
/// #[object(key = "doc.cast.IsA.Call")]
/// struct Call { #[parent] expr: Expr }
///
/// // Accepts a handle to an `Expr` or to any descendant.
/// fn as_expr<T: IsA<Expr> + Send + Sync>(o: Obj<T>) -> Obj<Expr> {
///     o.upcast()
/// }
///
/// let e = as_expr(Obj::new(Call { expr: Expr }));
/// assert!(e.is::<Call>());
/// fn is_a<T: IsA<U>, U: Object>() {}
/// is_a::<Call, AnyObject>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not `{U}` or a descendant of it",
    label = "`{U}` is not an ancestor of `{Self}`",
    note = "upcast goes from a child to one of its ancestors; use `downcast` to go the other way"
)]
pub trait IsA<U: Object>: Object {}

// `do_not_recommend`: a failed upcast reports `T: IsA<U>` itself ("`T` is not `U` or a
// descendant of it") whichever of the bounds below fails, rather than the depth arithmetic.
#[diagnostic::do_not_recommend]
impl<T, U> IsA<U> for T
where
    T: Object,
    U: Object,
    T::Depth: DepthMinus<U::Depth>,
    T: Up<<T::Depth as DepthMinus<U::Depth>>::Out>,
    <T as Up<<T::Depth as DepthMinus<U::Depth>>::Out>>::Out: AncestorIs<U, T>,
{
}

/// `Self` (the ancestor of `T` at `U`'s depth) is `U`. Not for direct use; it exists so
/// that a failed upcast names both types.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{T}` is not `{U}` or a descendant of it",
    label = "`{U}` is not an ancestor of `{T}`",
    note = "at `{U}`'s depth in the hierarchy, the ancestor of `{T}` is `{Self}`",
    note = "upcast goes from a type to one of its ancestors; use `downcast` to go the other way"
)]
pub trait AncestorIs<U, T> {}

impl<U, T> AncestorIs<U, T> for U {}

impl<T: Object> Obj<T> {
    /// Converts to a handle of an ancestor type: a pointer cast, no count traffic.
    ///
    /// A type that is not an ancestor does not compile. `T` must be `Send + Sync`, since an
    /// ancestor handle (e.g. [`AnyObj`](crate::AnyObj)) may be.
    ///
    /// ```
    /// use rcobj::{AnyObj, AnyObject, Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.cast.upcast.Animal")]
    /// struct Animal { legs: u32 }
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.cast.upcast.Dog")]
    /// struct Dog { #[parent] animal: Animal, name: String }
    ///
    /// let dog = Obj::new(Dog { animal: Animal { legs: 4 }, name: "Rex".into() });
    /// let animal: Obj<Animal> = dog.clone().upcast();
    /// let any: AnyObj = dog.clone().upcast::<AnyObject>();
    /// assert_eq!(animal.legs, 4);
    /// assert_eq!(Obj::strong_count(&dog), 3); // the references moved, none was added
    /// assert!(any.is::<Dog>());
    /// ```
    ///
    /// Not an ancestor: does not compile.
    ///
    /// ```compile_fail
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.cast.upcast_fail.Animal")]
    /// struct Animal;
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.cast.upcast_fail.Dog")]
    /// struct Dog { #[parent] animal: Animal }
    ///
    /// let d: Obj<Dog> = Obj::new(Animal).upcast();
    /// ```
    #[inline(always)]
    pub fn upcast<U>(self) -> Obj<U>
    where
        U: Object,
        T: IsA<U> + Send + Sync,
    {
        let this = ManuallyDrop::new(self);
        let ptr: NonNull<_> = Obj::cell(&this).cast();
        // SAFETY: `T: IsA<U>`, so the value starts with a `U` at the same offset (the derive
        // asserts it) and the block is a valid `ObjCell<U>`; the strong reference moves.
        unsafe { Obj::from_cell(ptr) }
    }

    /// Whether the object's real type is `U` or a descendant of `U`. O(1).
    ///
    /// ```
    /// use rcobj::{AnyObj, AnyObject, Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.cast.is.Animal")]
    /// struct Animal { legs: u32 }
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.cast.is.Dog")]
    /// struct Dog { #[parent] animal: Animal, name: String }
    ///
    /// let dog = Obj::new(Dog { animal: Animal { legs: 4 }, name: "Rex".into() });
    /// let animal: Obj<Animal> = dog.upcast();
    /// assert!(animal.is::<Dog>()); // the real type
    /// assert!(animal.is::<Animal>());
    /// assert!(animal.is::<AnyObject>());
    ///
    /// let cat = Obj::new(Animal { legs: 4 });
    /// assert!(!cat.is::<Dog>());
    /// ```
    #[inline]
    pub fn is<U: Object>(&self) -> bool {
        // `U` is known at compile time, so only one of these branches survives.
        if U::DEPTH == 0 {
            // Everything is an `AnyObject`: no load at all.
            return true;
        }
        let index = Obj::header(self).type_index();
        // Branch: the real type is `U` itself (for a final `U`, the only way to be a `U`):
        // one compare of two indices, no descriptor lookup.
        if index == U::type_info().index() {
            return true;
        }
        if U::IS_FINAL {
            return false;
        }
        // A descendant of `U`: the descriptor by index (one acquire load from a fixed
        // table), then `U` at `U`'s depth in its ancestors. `U::DEPTH` is a constant,
        // where the descriptor's `depth` field would be a load.
        match registry::info_of_index(index) {
            // `ancestors` has `depth` entries, so its length check is the depth check.
            Some(real) => real
                .ancestors()
                .get(U::DEPTH)
                .is_some_and(|a| core::ptr::eq(*a, U::type_info())),
            None => false,
        }
    }

    /// Converts to a handle of type `U` if the object is a `U` (or a descendant);
    /// otherwise gives the handle back.
    ///
    /// ```
    /// use rcobj::{AnyObj, AnyObject, Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.cast.downcast.Animal")]
    /// struct Animal { legs: u32 }
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.cast.downcast.Dog")]
    /// struct Dog { #[parent] animal: Animal, name: String }
    ///
    /// let dog = Obj::new(Dog { animal: Animal { legs: 4 }, name: "Rex".into() });
    /// let any: AnyObj = dog.upcast();
    /// let dog: Obj<Dog> = any.downcast::<Dog>().ok().unwrap();
    /// assert_eq!(dog.name, "Rex");
    ///
    /// let cat: AnyObj = Obj::new(Animal { legs: 4 }).upcast();
    /// let cat = cat.downcast::<Dog>().err().unwrap(); // not a `Dog`: the handle comes back
    /// assert!(cat.is::<Animal>());
    /// ```
    #[inline]
    pub fn downcast<U: Object>(self) -> Result<Obj<U>, Obj<T>> {
        if self.is::<U>() {
            let this = ManuallyDrop::new(self);
            // SAFETY: the object is a `U`, so the block is a valid `ObjCell<U>`; the
            // strong reference moves.
            Ok(unsafe { Obj::from_cell(Obj::cell(&this).cast()) })
        } else {
            Err(self)
        }
    }

    /// A reference to the value as a `U`, if the object is a `U` (or a descendant).
    ///
    /// ```
    /// use rcobj::{AnyObj, AnyObject, Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.cast.downcast_ref.Animal")]
    /// struct Animal { legs: u32 }
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.cast.downcast_ref.Dog")]
    /// struct Dog { #[parent] animal: Animal, name: String }
    ///
    /// let dog = Obj::new(Dog { animal: Animal { legs: 4 }, name: "Rex".into() });
    /// let any: AnyObj = dog.upcast();
    /// assert_eq!(any.downcast_ref::<Animal>().map(|a| a.legs), Some(4));
    /// assert_eq!(any.downcast_ref::<Dog>().map(|d| d.name.as_str()), Some("Rex"));
    /// ```
    #[inline]
    pub fn downcast_ref<U: Object>(&self) -> Option<&U> {
        if self.is::<U>() {
            let cell = Obj::cell(self).cast::<ObjCell<U>>();
            // SAFETY: the object is a `U`, so the block is a valid `ObjCell<U>`; the
            // reference covers the value only and lives as long as our borrow of the
            // strong handle.
            Some(unsafe { &(*cell.as_ptr()).value })
        } else {
            None
        }
    }
}

// ---------------------------------------------------------------------------------------
// Casts of borrowed handles and in place, and the conversion into `AnyObj`.

/// Whether a downcast from `T` to `U` must refuse to keep "a handle whose static type is
/// `Send + Sync` never points at an object whose real type is not": `U` is an ancestor of
/// `T` (shallower) that is `Send + Sync`, and `T` is not (so the real type may not be).
/// The rule `Obj::downcast` applies; decided at compile time.
#[inline(always)]
const fn downcast_breaks_send_sync<T: Object, U: Object>() -> bool {
    U::DEPTH < T::DEPTH && U::SEND_SYNC && !T::SEND_SYNC
}

impl<'a, T: Object> ObjBorrow<'a, T> {
    /// The same borrow as one of an ancestor type: a pointer cast, no count traffic.
    /// Checked at compile time like [`Obj::upcast`], with the same `Send + Sync` bound.
    ///
    /// ```
    /// use rcobj::{AnyObject, Obj, ObjBorrow, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.cast.ObjBorrow.upcast.Expr")]
    /// struct Expr { span: u32 }
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.cast.ObjBorrow.upcast.Var", final)]
    /// struct Var { #[parent] expr: Expr }
    ///
    /// let v = Obj::new(Var { expr: Expr { span: 3 } });
    /// let e: ObjBorrow<'_, Expr> = Obj::borrow(&v).upcast();
    /// assert_eq!(e.span, 3);
    /// let any: ObjBorrow<'_, AnyObject> = e.upcast();
    /// assert_eq!(Obj::strong_count(&v), 1); // no count traffic
    /// assert!(Obj::ptr_eq(&any.to_obj().downcast::<Var>().ok().unwrap(), &v));
    /// ```
    #[inline(always)]
    pub fn upcast<U>(self) -> ObjBorrow<'a, U>
    where
        U: Object,
        T: IsA<U> + Send + Sync,
    {
        // SAFETY: `T: IsA<U>`: the block is a valid `ObjCell<U>` (see `Obj::upcast`), kept
        // alive for `'a` by the borrowed handle.
        unsafe { ObjBorrow::from_cell(self.cell().cast()) }
    }

    /// The same borrow as a `U`, if the object is a `U` (or a descendant); no count
    /// traffic. As [`Obj::downcast`], it refuses to make a `Send + Sync` handle from one
    /// that is not: `None` when `U` is a `Send + Sync` ancestor of a `T` that is not.
    ///
    /// ```
    /// use rcobj::{AnyObj, Obj, ObjBorrow, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.cast.ObjBorrow.downcast.Expr")]
    /// struct Expr;
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.cast.ObjBorrow.downcast.Const", final)]
    /// struct Const { #[parent] expr: Expr, value: i64 }
    ///
    /// let any: AnyObj = Obj::new(Const { expr: Expr, value: 7 }).upcast();
    /// let b = Obj::borrow(&any);
    /// let c: ObjBorrow<'_, Const> = b.downcast::<Const>().unwrap();
    /// assert_eq!(c.value, 7);
    /// assert!(b.downcast::<Expr>().is_some());
    /// assert_eq!(Obj::strong_count(&any), 1);
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.cast.ObjBorrow.downcast.Other")]
    /// struct Other;
    /// assert!(b.downcast::<Other>().is_none());
    /// ```
    #[inline]
    pub fn downcast<U: Object>(self) -> Option<ObjBorrow<'a, U>> {
        if downcast_breaks_send_sync::<T, U>() {
            return None;
        }
        // SAFETY: a handle made from the borrowed one's pointer, never dropped: it only
        // asks the object's type.
        let borrowed = ManuallyDrop::new(unsafe { Obj::from_cell(self.cell()) });
        if borrowed.is::<U>() {
            // SAFETY: the object is a `U`: the block is a valid `ObjCell<U>`, kept alive
            // for `'a` by the borrowed handle.
            Some(unsafe { ObjBorrow::from_cell(self.cell().cast()) })
        } else {
            None
        }
    }
}

impl<T: Object> Obj<T> {
    /// A mutable reference to the value as a `U`, if the object is a `U` (or a
    /// descendant) and this is the only reference of any kind (as
    /// [`get_mut`](Obj::get_mut)). In place: no count traffic, no new handle. Refuses (as
    /// [`downcast`](Obj::downcast)) when `U` is a `Send + Sync` ancestor of a `T` that is
    /// not.
    ///
    /// ```
    /// use rcobj::{AnyObj, Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.cast.downcast_mut.Expr")]
    /// struct Expr;
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.cast.downcast_mut.Const", final)]
    /// struct Const { #[parent] expr: Expr, value: i64 }
    ///
    /// let mut any: AnyObj = Obj::new(Const { expr: Expr, value: 1 }).upcast();
    /// any.downcast_mut::<Const>().unwrap().value = 2;
    /// assert_eq!(any.downcast_ref::<Const>().unwrap().value, 2);
    ///
    /// let other = any.clone();
    /// assert!(any.downcast_mut::<Const>().is_none()); // shared
    /// drop(other);
    /// assert!(any.downcast_mut::<Expr>().is_some());
    /// ```
    #[inline]
    pub fn downcast_mut<U: Object>(&mut self) -> Option<&mut U> {
        if downcast_breaks_send_sync::<T, U>() || !self.is::<U>() {
            return None;
        }
        let cell = Obj::cell(self).cast::<ObjCell<U>>();
        // `get_mut` decides uniqueness (one acquire load of the word).
        Obj::get_mut(self)?;
        // SAFETY: the object is a `U`, so the block is a valid `ObjCell<U>`; this is the
        // only reference of any kind (checked just above) and `&mut self` excludes other
        // uses for the returned borrow; the reference covers the value only.
        Some(unsafe { &mut (*cell.as_ptr()).value })
    }
}

/// `AnyObj::from(obj)` is `obj.upcast()`: for any object type but the root itself (which
/// `From<T> for T` already covers), and, as `upcast`, only for `Send + Sync` types.
///
/// ```
/// use rcobj::{AnyObj, Obj, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.cast.From.Leaf")]
/// struct Leaf(u8);
///
/// let any: AnyObj = Obj::new(Leaf(1)).into();
/// assert!(any.is::<Leaf>());
/// let list: Vec<AnyObj> = vec![Obj::new(Leaf(2)).into(), any];
/// assert_eq!(list.len(), 2);
/// ```
///
/// A type that is not `Send + Sync` does not convert:
///
/// ```compile_fail
/// use std::rc::Rc;
/// use rcobj::{AnyObj, Obj, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.cast.From.Local")]
/// struct Local(Rc<u8>);
///
/// let any: AnyObj = Obj::new(Local(Rc::new(1))).into();
/// ```
impl<T, N> From<Obj<T>> for AnyObj
where
    T: Object<Depth = S<N>> + IsA<AnyObject> + Send + Sync,
{
    #[inline(always)]
    fn from(obj: Obj<T>) -> AnyObj {
        obj.upcast()
    }
}
