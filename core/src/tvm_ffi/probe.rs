//! What `#[derive(Object)]` emits for tvm-ffi: compiled with or without the `tvm-ffi`
//! feature, so that the derive's output compiles either way (the derive emits the field
//! probe only under its own `tvm-ffi` feature, which rcobj's turns on). Not public API.
//!
//! Per field, `<FfiProbe<F>>::FIELD` names the inherent constant when the feature is on and
//! `F: ToAny + FromAny` (an [`FfiField<F>`] with the field's getter, setter and type), and
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

/// How tvm-ffi reads and writes a field of type `T` (a `FieldAccess`). Typed, so that the
/// derive's table can pair it only with a field of that type (`FieldInfo::__derived`);
/// only the probe makes one.
pub struct FfiField<T: ?Sized> {
    pub(crate) access: FieldAccess,
    _of: PhantomData<fn(&T)>,
}

impl<T: ?Sized> Clone for FfiField<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for FfiField<T> {}

/// A `TVMFFIObjectCreator`: makes a new default instance (+1) for tvm-ffi.
pub type Creator = unsafe extern "C" fn(out: *mut *mut core::ffi::c_void) -> core::ffi::c_int;

/// The field probe: see the module docs.
pub struct FfiProbe<T: ?Sized>(PhantomData<T>);

/// The fallback of the field probe: tvm-ffi cannot see the field.
pub trait NoFfiField<T: ?Sized> {
    /// No access.
    const FIELD: Option<FfiField<T>> = None;
}

impl<T: ?Sized> NoFfiField<T> for FfiProbe<T> {}

#[cfg(feature = "tvm-ffi")]
impl<T: crate::tvm_ffi::ToAny + crate::tvm_ffi::FromAny + 'static> FfiProbe<T> {
    /// The field's getter, setter and type.
    pub const FIELD: Option<FfiField<T>> = Some(FfiField {
        access: FieldAccess {
            inner: crate::tvm_ffi::field::Access::of::<T>(),
        },
        _of: PhantomData,
    });
}
