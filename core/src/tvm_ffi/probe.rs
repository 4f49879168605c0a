//! What `#[derive(Object)]` emits for tvm-ffi: compiled with or without the `tvm-ffi`
//! feature, so the derive's output is the same either way. Not public API.
//!
//! Per field, `<FfiProbe<F>>::FIELD` names the inherent constant when the feature is on and
//! `F: ToAny + FromAny` (a [`FieldAccess`] with the field's getter, setter and type), and
//! otherwise the default constant of [`NoFfiField`] (`None`: the field stays invisible to
//! tvm-ffi). Per type, `<CreatorProbe<T>>::CREATOR` is a creator (an object made with
//! `T::default()`) when the feature is on and `T: Default + Send + Sync`. The derive puts
//! the first in each field's `FieldInfo` and the second in the type's link-time
//! `Registration`.

use core::marker::PhantomData;

/// How tvm-ffi reads and writes one field (its getter, setter and type), if it can.
#[derive(Clone, Copy)]
pub struct FieldAccess {
    #[cfg(feature = "tvm-ffi")]
    pub(crate) inner: crate::tvm_ffi::field::Access,
    #[cfg(not(feature = "tvm-ffi"))]
    _never: core::convert::Infallible,
}

/// A `TVMFFIObjectCreator`: makes a new default instance (+1) for tvm-ffi.
pub type Creator = unsafe extern "C" fn(out: *mut *mut core::ffi::c_void) -> core::ffi::c_int;

/// The field probe: see the module docs.
pub struct FfiProbe<T: ?Sized>(PhantomData<T>);

/// The fallback of the field probe: tvm-ffi cannot see the field.
pub trait NoFfiField {
    /// No access.
    const FIELD: Option<FieldAccess> = None;
}

impl<T: ?Sized> NoFfiField for FfiProbe<T> {}

#[cfg(feature = "tvm-ffi")]
impl<T: crate::tvm_ffi::ToAny + crate::tvm_ffi::FromAny + 'static> FfiProbe<T> {
    /// The field's getter, setter and type.
    pub const FIELD: Option<FieldAccess> = Some(FieldAccess {
        inner: crate::tvm_ffi::field::Access::of::<T>(),
    });
}

/// The creator probe: see the module docs.
pub struct CreatorProbe<T>(PhantomData<T>);

/// The fallback of the creator probe: no creator.
pub trait NoCreator {
    /// No creator.
    const CREATOR: Option<Creator> = None;
}

impl<T> NoCreator for CreatorProbe<T> {}

#[cfg(feature = "tvm-ffi")]
impl<T: crate::Object + Default + Send + Sync> CreatorProbe<T> {
    /// Makes `Obj::new(T::default())`.
    pub const CREATOR: Option<Creator> = Some(crate::tvm_ffi::field::create::<T>);
}
