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

use crate::cell::ObjCell;
use crate::obj::Obj;
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
        match registry::info_of(Obj::header(self)) {
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
