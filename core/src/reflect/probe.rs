//! What the derive's output uses to read a field without requiring [`Reflect`] — the probe
//! that decides, at the field's concrete type, whether it is reflectable — and to make its
//! field table.
//!
//! `<ReflectProbe<F>>::VALUE` and `::REFLECTED` name the inherent constants when
//! `F: Reflect` (`<F as Reflect>::reflect` and `true`), and otherwise the default constants
//! of [`NotReflect`] (a stand-in never called, and `false`), which the generated code brings
//! into scope. The derive never names `Reflect` itself, so a field of any type compiles.
//! Not public API.
//!
//! The derive writes one function per type: safe code that reads the type's own fields.
//! [`reader`] erases its type (so that no generic code of rcobj is instantiated per type),
//! and [`field`] makes the table's entries. Soundness does not depend on what the
//! generated code passes: the erased function is called only on an instance of the type it
//! was made for (checked when it is called), and offsets are metadata.

use core::marker::PhantomData;

use super::field::{Access, FieldInfo, Read};
use super::value::{Reflect, Value};

/// How a field of type `T` becomes a [`Value`], if it can.
pub type ValueFn<T> = for<'a> fn(&'a T) -> Value<'a>;

/// The probe: see the module docs.
pub struct ReflectProbe<T: ?Sized>(PhantomData<T>);

/// The fallback of the probe: not reflectable.
pub trait NotReflect<T: ?Sized> {
    /// Not reflectable.
    const REFLECTED: bool = false;
    /// Never called for an opaque field.
    const VALUE: ValueFn<T> = opaque::<T>;
}

/// Stands in for the reader of an opaque field (never called: the field is `Opaque`).
pub fn opaque<T: ?Sized>(_: &T) -> Value<'_> {
    Value::Opaque("")
}

impl<T: ?Sized> NotReflect<T> for ReflectProbe<T> {}

impl<T: Reflect + ?Sized> ReflectProbe<T> {
    /// Reflectable.
    pub const REFLECTED: bool = true;
    /// The field's value through its `Reflect` impl.
    pub const VALUE: ValueFn<T> = <T as Reflect>::reflect;
}

/// How the fields of `T` are read: the function the derive writes for `T` (safe code
/// reading `T`'s own fields), type-erased, with `T` and its value offset. One per type;
/// the entries of its table ([`field`]) copy it.
#[derive(Clone, Copy)]
pub struct Reader {
    read: Read,
    owner: &'static crate::TypeInfo,
    at: usize,
}

/// The reader of `T`'s fields, from the function the derive wrote for them.
///
/// The erased pointer is called only with a pointer to a live `T` (`FieldInfo::read`
/// checks that the object is an instance of `T` first). A `&T` and a `*const ()` are passed
/// alike (the function pointer ABI compatibility rules of the Rust reference: both are thin
/// pointers), so that is the call of `read` itself with a valid `&T`.
pub const fn reader<T: crate::Object>(read: for<'a> fn(&'a T, usize) -> Value<'a>) -> Reader {
    Reader {
        // SAFETY: function pointers of one size; what calling the result requires is stated
        // above (the `'static` of `Read` is a stand-in, see there).
        read: unsafe { core::mem::transmute::<for<'a> fn(&'a T, usize) -> Value<'a>, Read>(read) },
        owner: T::TYPE_INFO,
        at: crate::cell::value_offset::<T>(),
    }
}

/// Field `index` of the type `reader` reads, of type `F`, at `offset` in that type's value:
/// an entry of the table the derive writes. `reflected` is the probe's answer for `F`, and
/// `ffi` the tvm-ffi probe's (`tvm_ffi/probe.rs`).
#[allow(clippy::too_many_arguments)]
pub const fn field<F>(
    reader: Reader,
    index: usize,
    name: &'static str,
    offset: usize,
    type_name: &'static str,
    doc: &'static str,
    reflected: bool,
    ffi: Option<crate::tvm_ffi_probe::FieldAccess>,
) -> FieldInfo {
    FieldInfo::derived(
        name,
        reader.at + offset,
        core::mem::size_of::<F>(),
        core::mem::align_of::<F>(),
        type_name,
        doc,
        if reflected {
            Access::Derived {
                index,
                read: reader.read,
                owner: reader.owner,
                at: reader.at,
            }
        } else {
            Access::Opaque
        },
        ffi,
    )
}
