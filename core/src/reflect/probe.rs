//! What the derive's output uses to describe a field without requiring [`Reflect`]: the
//! probe that decides, at the field's concrete type, whether it is reflectable. Not public
//! API.
//!
//! `<ReflectProbe<F>>::VALUE` names the inherent constant when `F: Reflect`
//! (`Some(<F as Reflect>::__READER)`, which is `reflect` but for the handles), and
//! otherwise the default constant of [`NotReflect`] (`None`), which the generated code
//! brings into scope. The derive never names `Reflect` itself, so a field of any type
//! compiles.
//!
//! The derive writes no code per type to read its fields: each entry of its table is made
//! by [`FieldInfo::__derived`](super::FieldInfo::__derived) from the field's offset and the
//! reader of the field's *type*, which every field of that type in the program shares.
//! Pairing an offset with a reader of another type would read one type as another, so that
//! function is `unsafe`, and inherent to [`FieldInfo`](super::FieldInfo) (which no
//! `#[object(crate = ...)]` path can replace: the table is passed to `TypeInfo::__new`).
//! The value the probe hands over is typed by `F` (`ValueFn<F>`), so a replaced probe can
//! only hand over safe code that reads an `F`.

use core::marker::PhantomData;

use super::value::Reflect;
pub use super::value::{InOption, ValueFn};

/// The probe: see the module docs.
pub struct ReflectProbe<T: ?Sized>(PhantomData<T>);

/// The fallback of the probe: not reflectable.
pub trait NotReflect<T: ?Sized> {
    /// Not reflectable.
    const VALUE: Option<ValueFn<T>> = None;
}

impl<T: ?Sized> NotReflect<T> for ReflectProbe<T> {}

impl<T: Reflect + ?Sized> ReflectProbe<T> {
    /// The field's value through its `Reflect` impl (the reader it names for field tables).
    pub const VALUE: Option<ValueFn<T>> = Some(<T as Reflect>::__READER);
}
