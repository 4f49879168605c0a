//! What the derive's field getters use to read a field without requiring [`Reflect`]:
//! the probe that decides, at the field's concrete type, whether it is reflectable.
//!
//! `<ReflectProbe<F>>::GET` names the inherent constant when `F: Reflect` (it is
//! `Some(<F as Reflect>::reflect)`), and otherwise the default constant of [`NotReflect`] (`None`),
//! which the generated code brings into scope. The derive never names `Reflect` itself, so
//! a field of any type compiles. Not public API.
//!
//! Soundness rests on nothing here: a getter is safe code that reaches its field through
//! [`Instance::value`](super::Instance::value), which checks the object's real type.

use core::marker::PhantomData;

use super::value::{Reflect, Value};

/// How a field of type `T` becomes a [`Value`], if it can.
pub type ValueFn<T> = for<'a> fn(&'a T) -> Value<'a>;

/// The probe: see the module docs.
pub struct ReflectProbe<T: ?Sized>(PhantomData<T>);

/// The fallback of the probe: not reflectable.
pub trait NotReflect<T: ?Sized> {
    /// No way to read the value: the field is opaque.
    const GET: Option<ValueFn<T>> = None;
}

impl<T: ?Sized> NotReflect<T> for ReflectProbe<T> {}

impl<T: Reflect + ?Sized> ReflectProbe<T> {
    /// The field's value through its `Reflect` impl.
    pub const GET: Option<ValueFn<T>> = Some(<T as Reflect>::reflect);
}
