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
//! [`DepthMinus`] on the depth types. Unbounded depth, no runtime cost. (Two blanket impls
//! of `Up` over [`Object::Parent`] would need no derive output, but the trait solver
//! overflows on them when it checks `IsA` for a generic type.)
//!
//! # Why the compile-time check cannot be forged
//!
//! `upcast` trusts `T: IsA<U>`, so every trait that bound rests on is `unsafe` (an impl is
//! a promise the cast relies on), and the ones only rcobj implements are also sealed:
//!
//! * [`IsA`] is `unsafe`: its contract is `upcast`'s premise. (An impl next to the blanket
//!   one is refused by coherence anyway, E0119; the helper traits below had no such luck.)
//! * [`Up`] is `unsafe`: its contract is that `Out` is `Self` or an ancestor of `Self`.
//!   The derive's two impls keep it (`Self`, or the parent's `Out`) whatever the depth
//!   types are, so the upcast is sound even if the depth arithmetic were wrong: walking
//!   up the parent chain can only reach ancestors.
//! * [`AncestorIs`] (`Self` is `U`) and [`DepthMinus`] are `unsafe` and sealed: their only
//!   impls are the blanket ones here.
//!
//! # How `is` works
//!
//! * `U` = [`AnyObject`]: always true.
//! * the object's type index equals `U`'s: true (for a final `U`, the only way).
//! * otherwise, `U` not final: the object's descriptor (one acquire load from a fixed
//!   table, by index), then `ancestors[depth(U)] == U` if the object is deeper than `U`.
//!
//! No lock, no hashing, no string compare.
//!
//! # What a cast may not do
//!
//! Beyond "the object is a `U`", a cast that makes a handle of another static type keeps
//! two invariants, both checked with compile-time constants (zero cost):
//!
//! * **`Send + Sync`.** A handle whose static type is `Send + Sync` never points at an
//!   object whose real type is not (`keeps_send_sync`): `upcast` has the bound
//!   `T: Send + Sync`, and `downcast` refuses (returns `Err`) where `upcast` would not
//!   compile.
//! * **Layout.** `ObjCell<T>` and `ObjCell<U>` put the value at the same offset
//!   (`same_value_offset`). The derive asserts it for each child and its parent; the
//!   casts check it again after monomorphisation, so that no derive output (e.g. one
//!   pointed at a hostile `crate = "..."` path) can make a cast read at the wrong offset.

use core::mem::ManuallyDrop;
use core::ptr::NonNull;

use crate::borrow::ObjBorrow;
use crate::cell::{value_offset, ObjCell};
use crate::obj::{AnyObj, Obj};
use crate::registry;
use crate::type_info::{AnyObject, Object, S, Z};

mod sealed {
    use crate::type_info::{S, Z};

    /// Seals [`AncestorIs`](super::AncestorIs): `Self` is `U`.
    pub trait Same<U> {}
    impl<U> Same<U> for U {}

    /// Seals [`DepthMinus`](super::DepthMinus): the same two heads as its impls.
    pub trait Minus<Rhs> {}
    impl<N> Minus<Z> for N {}
    impl<N, M> Minus<S<M>> for S<N> {}
}

/// Walks `N` steps up the parent chain: `Up<Z>` is `Self`, `Up<S<N>>` is the parent's
/// `Up<N>`. Written by the derive; not for direct use.
///
/// # Safety
///
/// `Out` is `Self` or an ancestor of `Self` (a type whose value starts `Self`'s value,
/// at the same value offset in `ObjCell`): [`IsA`], and so `upcast`, trusts every impl.
/// The derive writes `Up<Z>` with `Out = Self` and `Up<S<N>>` with the parent's
/// `Up<N>::Out`.
#[doc(hidden)]
pub unsafe trait Up<N> {
    /// The ancestor `N` steps up.
    type Out;
}

// SAFETY: `Out` is `Self`.
unsafe impl Up<Z> for AnyObject {
    type Out = AnyObject;
}

/// Subtraction on type-level depths. Not for direct use; sealed.
///
/// # Safety
///
/// Only the two impls here exist (the trait is sealed).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "the upcast target is deeper in the hierarchy than the source type, so it cannot be an ancestor",
    note = "upcast goes from a type to one of its ancestors; use `downcast` to go the other way"
)]
pub unsafe trait DepthMinus<Rhs>: sealed::Minus<Rhs> {
    /// `Self - Rhs`.
    type Out;
}

// SAFETY: `N - 0 = N`.
unsafe impl<N> DepthMinus<Z> for N {
    type Out = N;
}

// SAFETY: `(N + 1) - (M + 1) = N - M`.
unsafe impl<N, M> DepthMinus<S<M>> for S<N>
where
    N: DepthMinus<M>,
{
    type Out = <N as DepthMinus<M>>::Out;
}

/// `Self` is `U` or a descendant of `U`: an `Obj<Self>` converts to an `Obj<U>` by
/// [`upcast`](Obj::upcast). Implemented for every such pair; never implement it yourself.
///
/// # Safety
///
/// `U` is `Self` or an ancestor of `Self`: `upcast` trusts it. rcobj's one blanket impl is
/// the only one there needs to be (coherence refuses any other).
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
pub unsafe trait IsA<U: Object>: Object {}

// `do_not_recommend`: a failed upcast reports `T: IsA<U>` itself ("`T` is not `U` or a
// descendant of it") whichever of the bounds below fails, rather than the depth arithmetic.
// SAFETY: `T: Up<_, Out = X>` makes `X` `T` or an ancestor of `T` (the contract of the
// unsafe trait `Up`), and `X: AncestorIs<U, T>` makes `X` be `U` (sealed: `Self` is `U`).
#[diagnostic::do_not_recommend]
unsafe impl<T, U> IsA<U> for T
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
///
/// # Safety
///
/// `Self` is `U`. Sealed: the blanket impl here is the only one.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{T}` is not `{U}` or a descendant of it",
    label = "`{U}` is not an ancestor of `{T}`",
    note = "at `{U}`'s depth in the hierarchy, the ancestor of `{T}` is `{Self}`",
    note = "upcast goes from a type to one of its ancestors; use `downcast` to go the other way"
)]
pub unsafe trait AncestorIs<U, T>: sealed::Same<U> {}

// SAFETY: `Self` is `U`.
unsafe impl<U, T> AncestorIs<U, T> for U {}

/// Whether `ObjCell<T>` and `ObjCell<U>` put the value at the same offset, or one of the two
/// is the root [`AnyObject`] (depth 0), whose value is zero-sized and never read, so any
/// offset inside the block will do. A compile-time constant.
///
/// The derive asserts it for every child and its parent (other than the root), so along a
/// chain of ancestors it holds for every pair; a pair it fails for is not on one chain,
/// or comes from a derive that was bypassed.
#[inline(always)]
pub(crate) const fn same_value_offset<T: Object, U: Object>() -> bool {
    T::DEPTH == 0 || U::DEPTH == 0 || value_offset::<T>() == value_offset::<U>()
}

/// Whether a handle of static type `U` to an object with type index `real`, made from a
/// handle of static type `T`, keeps the invariant "a handle whose static type is
/// `Send + Sync` points at an object whose real type is `Send + Sync`". The caller has
/// checked that the object is a `U` (`is::<U>()`), so `T` and `U` are both `R`, the real
/// type, or ancestors of `R`: they lie on its one chain of ancestors.
///
/// Every case but the last is decided by compile-time constants:
///
/// * `T: Send + Sync`: by the invariant, so is `R`; any handle to it is fine.
/// * `U` not `Send + Sync`: an `Obj<U>` is neither `Send` nor `Sync`, so it cannot leave
///   the thread; it adds nothing.
/// * `U: Send + Sync`, `T` not, `U` shallower than `T`: `U` is a proper ancestor of `T`,
///   and `R` contains a `T` (its value starts with its parent's, transitively), so `R` is
///   not `Send + Sync` either (auto traits go through fields). This is `upcast` without
///   its bound: refuse. (Only an `unsafe impl Send + Sync` on `R` or on a type between `T`
///   and `R` could make `R` `Send + Sync` after all; refusing then is merely conservative.)
/// * `U: Send + Sync`, `T` not, `U` deeper than `T`: `R` is `U` or a descendant of it.
///   (`U` contains a `T`, so it is `Send + Sync` only by an `unsafe impl` on `U` or on a
///   type between `T` and `U`.) A descendant of `U` may add fields that are not `Send`,
///   and only `R`'s descriptor could tell, so allow exactly `R = U` (one index compare)
///   and refuse the rest. Without this case, an `Obj<U>` made from an `Obj<T>` to such a
///   descendant would be a `Send` handle to a value that is not.
/// * `T = U`: one constant; the first or the second case.
#[inline(always)]
pub(crate) fn keeps_send_sync<T: Object, U: Object>(real: i32) -> bool {
    if T::SEND_SYNC || !U::SEND_SYNC {
        return true;
    }
    U::DEPTH > T::DEPTH && real == U::type_info().index()
}

// The value offset in `ObjCell<T>` that the derive computes without naming this crate (24,
// the header's size, rounded up to the value's alignment) is `value_offset`'s.
const _: () = {
    #[repr(align(16))]
    struct A16;
    #[repr(align(32))]
    struct A32;
    #[repr(align(64))]
    struct A64;
    #[repr(align(4096))]
    struct A4096;
    macro_rules! check {
        ($($t:ty),*) => {$(
            assert!(
                value_offset::<$t>() == usize::next_multiple_of(24, core::mem::align_of::<$t>())
            );
        )*};
    }
    check!((), u8, u16, u32, u64, u128, A16, A32, A64, A4096);
    assert!(core::mem::size_of::<crate::header::ObjectHeader>() == 24);
};

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
        // A backstop after monomorphisation: the derive asserts this for each child and its
        // parent, so it never fails for derived types, whatever path they were derived
        // through.
        const {
            assert!(
                same_value_offset::<T, U>(),
                "upcast between object types whose values start at different offsets"
            )
        };
        let this = ManuallyDrop::new(self);
        let ptr: NonNull<_> = Obj::cell(&this).cast();
        // SAFETY: `T: IsA<U>`, so `U` is `T` or one of its ancestors: the value starts with
        // a `U`, at the same value offset (asserted above), and the block is a valid
        // `ObjCell<U>`. `T: Send + Sync`, so the object's real type is too (the invariant
        // of every handle), whatever `U` is. The strong reference moves.
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
    /// Also gives the handle back where the new handle would be `Send + Sync` but the
    /// object is not: from a `T` that is not `Send + Sync` to a `U` that is, unless the
    /// object's real type is `U` itself. (From such a `T` to an ancestor, this is what
    /// [`upcast`](Obj::upcast) refuses to compile.) The check is decided at compile time
    /// for every pair of types but that one case.
    ///
    /// ```
    /// use std::rc::Rc;
    /// use rcobj::{AnyObject, Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.cast.downcast_send.Local")]
    /// struct Local(Rc<u32>);
    ///
    /// let local = Obj::new(Local(Rc::new(1)));
    /// assert!(local.is::<AnyObject>());
    /// // An `AnyObj` is `Send`: it must not point at an `Rc`.
    /// assert!(local.downcast::<AnyObject>().is_err());
    /// ```
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
        if same_value_offset::<T, U>()
            && self.is::<U>()
            && keeps_send_sync::<T, U>(Obj::header(&self).type_index())
        {
            let this = ManuallyDrop::new(self);
            // SAFETY: the object is a `U`, and `U`'s value offset is `T`'s (or one of them
            // is the root's, whose value is never read), so the block is a valid
            // `ObjCell<U>`; if `U` is `Send + Sync`, so is the real type
            // (`keeps_send_sync`). The strong reference moves.
            Ok(unsafe { Obj::from_cell(Obj::cell(&this).cast()) })
        } else {
            Err(self)
        }
    }

    /// A reference to the value as a `U`, if the object is a `U` (or a descendant).
    ///
    /// Unlike [`downcast`](Obj::downcast), this needs no `Send + Sync` rule: a `&U`
    /// reaches only the `U` part of the value, which is as `Sync` as `U`, for as long as
    /// this handle is borrowed; it cannot release the object, and no safe API turns a `&U`
    /// back into a handle.
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
        if same_value_offset::<T, U>() && self.is::<U>() {
            let cell = Obj::cell(self).cast::<ObjCell<U>>();
            // SAFETY: the object is a `U` at `U`'s value offset (as in `downcast`), so the
            // block is a valid `ObjCell<U>`; the reference covers the value only and lives
            // as long as our borrow of the strong handle.
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
