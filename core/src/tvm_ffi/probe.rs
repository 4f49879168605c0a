//! What `#[derive(Object)]` emits for tvm-ffi: compiled with or without the `tvm-ffi`
//! feature, so the derive's output is the same either way. Not public API.
//!
//! Per field, `<FfiProbe<F>>::FIELD` names the inherent constant when the feature is on and
//! `F: ToAny + FromAny` (a [`FieldAccess`] with the field's getter, setter and type), and
//! otherwise the default constant of [`NoFfiField`] (`None`: the field stays invisible to
//! tvm-ffi). The derive puts it in each field's `FieldInfo`. The type's creator (an object
//! made with `T::default()`, when the feature is on and `T: Default + Send + Sync`) is an
//! entry of its behaviour table (`Probe<T>::CREATE` in `behaviour.rs`), made only under
//! that bound.

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
