//! The C side of a reflected field: the getter tvm-ffi calls with a field's address, the
//! setter that writes only to an unshared object, and the creator of default instances.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use core::ffi::{c_int, c_void};
use core::ptr;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::any::AnyView;
use super::convert::{FromAny, ToAny};
use super::error::Error;
use super::sys::{self, RawAny};
use crate::header::BOTH_ONE;
use crate::sync::Ordering;
use crate::{registry, Obj, Object, ObjectHeader, TypeInfo};

/// A field's getter, setter and type, for one field type `F`.
#[derive(Clone, Copy)]
pub(crate) struct Access {
    /// `TVMFFIFieldGetter`.
    pub(crate) getter: sys::FieldGetter,
    /// Replaces the value at the field's address by one read from `value`.
    pub(crate) set: unsafe fn(field: *mut u8, value: AnyView<'_>) -> Result<(), Error>,
    /// The field's type schema (JSON).
    pub(crate) schema: fn() -> String,
    /// The field's `field_static_type_index`.
    pub(crate) static_index: fn() -> i32,
}

impl Access {
    /// The access of a field of type `F`.
    pub(crate) const fn of<F: ToAny + FromAny + 'static>() -> Access {
        Access {
            getter: get_field::<F>,
            set: set_field::<F>,
            schema: F::type_schema,
            static_index: F::static_type_index,
        }
    }
}

/// `TVMFFIFieldGetter` for a field of type `F`: an owned copy of the field's value.
unsafe extern "C" fn get_field<F: ToAny>(field: *mut c_void, result: *mut RawAny) -> c_int {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: tvm-ffi passes the address of this field in a live object of the type (or
        // a descendant, whose layout starts with the type's), which its caller holds a
        // reference to. Nothing writes it meanwhile: a write needs the only reference (see
        // `set_field_call`), and the reader holds one.
        let value = unsafe { &*field.cast::<F>() };
        value.to_any()
    }));
    match outcome {
        Ok(Ok(v)) => {
            // SAFETY: a valid result slot, per the getter contract; the value moves in.
            unsafe { result.write(v.into_raw()) };
            0
        }
        Ok(Err(e)) => {
            e.set_raised();
            -1
        }
        Err(payload) => {
            drop_payload(payload);
            Error::runtime("a field getter panicked").set_raised();
            -1
        }
    }
}

/// Writes a field of type `F`.
///
/// # Safety
///
/// `field` is the address of an initialised `F` that nothing else reads or writes during
/// the call.
unsafe fn set_field<F: FromAny>(field: *mut u8, value: AnyView<'_>) -> Result<(), Error> {
    let new = F::from_any(value)?;
    // SAFETY: per the caller; assigning drops the old value.
    unsafe { *field.cast::<F>() = new };
    Ok(())
}

/// What a field's setter function knows: which field of which type. The type by index
/// and key, not by descriptor: tvm-ffi keeps the setter for the life of the process, and a
/// runtime type's descriptor may be freed before.
pub(crate) struct SetterContext {
    pub(crate) owner_index: i32,
    pub(crate) owner_key: String,
    pub(crate) name: String,
    pub(crate) offset: usize,
    pub(crate) access: Access,
}

/// Makes the setter of a field: a tvm-ffi function object (`SetterIsFunctionObj`), called
/// with `(field address, value)`. It writes only to an object nobody else holds — strong
/// count 1 and no weak reference, the condition of `Obj::get_mut` — which is what tvm-ffi's
/// keyword construction (`__ffi_init__`) and JSON loading hand it: a new object from the
/// type's creator, held only by tvm-ffi's constructor. On a shared object it raises an
/// `AttributeError` and writes nothing, so foreign code can never mutate an object that
/// Rust may be reading.
pub(crate) fn make_setter(ctx: SetterContext) -> sys::Handle {
    let raw = Box::into_raw(Box::new(ctx));
    let mut out: sys::Handle = ptr::null_mut();
    // SAFETY: `raw` is a live boxed context owned by the function object from now on and
    // freed by `drop_setter`; `setter_call` reads it as that type.
    let rc =
        unsafe { sys::TVMFFIFunctionCreate(raw.cast(), setter_call, Some(drop_setter), &mut out) };
    if rc != 0 || out.is_null() {
        // SAFETY: tvm-ffi did not take it.
        drop(unsafe { Box::from_raw(raw) });
        panic!(
            "rcobj: tvm-ffi could not create a field setter: {}",
            Error::take_raised()
        );
    }
    out
}

unsafe extern "C" fn drop_setter(ctx: *mut c_void) {
    // SAFETY: made by `Box::into_raw` in `make_setter`; tvm-ffi frees it once. Dropping a
    // context runs no user code (a `String` and plain data).
    drop(unsafe { Box::from_raw(ctx.cast::<SetterContext>()) });
}

/// The `safe_call` of a setter function object.
unsafe extern "C" fn setter_call(
    ctx: *mut c_void,
    args: *const RawAny,
    num_args: i32,
    result: *mut RawAny,
) -> c_int {
    let _ = result; // a setter returns `None`, already in the slot
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the context this function object was made with, alive while it is.
        let ctx = unsafe { &*ctx.cast::<SetterContext>() };
        if num_args != 2 || args.is_null() {
            return Err(Error::type_error(
                "a field setter takes (field address, value)",
            ));
        }
        // SAFETY: tvm-ffi passes two valid argument views.
        let (field, value) = unsafe {
            let args = core::slice::from_raw_parts(args.cast::<AnyView<'_>>(), 2);
            (args[0], args[1])
        };
        if field.type_index() != sys::K_OPAQUE_PTR {
            return Err(Error::type_error(
                "a field setter takes (field address, value)",
            ));
        }
        // SAFETY: an opaque pointer payload.
        let field = unsafe { field.raw().value.v_ptr }.cast::<u8>();
        // SAFETY: `field` is a field address tvm-ffi computed from a live object it holds:
        // the header is `offset` bytes before it.
        unsafe { set_field_call(ctx, field, value) }
    }));
    match outcome {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => {
            e.set_raised();
            -1
        }
        Err(payload) => {
            drop_payload(payload);
            Error::runtime("a field setter panicked").set_raised();
            -1
        }
    }
}

/// Checks that the object is unshared and of the field's type, then writes.
///
/// # Safety
///
/// `field` is `ctx.offset` bytes after the header of a live object that the caller holds.
unsafe fn set_field_call(
    ctx: &SetterContext,
    field: *mut u8,
    value: AnyView<'_>,
) -> Result<(), Error> {
    // SAFETY: per the caller.
    let header = unsafe { &*field.sub(ctx.offset).cast::<ObjectHeader>() };
    // The object's real type is the field's type or a descendant (the header keeps its
    // type alive while the caller holds the object).
    let is_owner = |t: &TypeInfo| {
        t.index() == ctx.owner_index || t.ancestors().iter().any(|a| a.index() == ctx.owner_index)
    };
    if !registry::info_of(header).is_some_and(is_owner) {
        return Err(Error::type_error(format!(
            "`{}.{}`: not an object of that type",
            ctx.owner_key, ctx.name
        )));
    }
    // Acquire: if this is the only reference, every earlier use of the object through
    // another (now released) reference happens before our write.
    if header.load_combined(Ordering::Acquire) != BOTH_ONE {
        return Err(Error::new(
            "AttributeError",
            format!(
                "`{}.{}` is read-only: the object is shared (fields of an rcobj object are \
                 set only while tvm-ffi builds a new object)",
                ctx.owner_key, ctx.name
            ),
        ));
    }
    // SAFETY: the caller holds the only reference to the object (strong 1, no weak), so no
    // other handle, borrow or thread can reach the field; the field is an initialised value
    // of the setter's type (the object is an instance of the owner type).
    unsafe { (ctx.access.set)(field, value) }
        .map_err(|e| e.context(&format!("`{}.{}`: ", ctx.owner_key, ctx.name)))
}

/// `TVMFFIObjectCreator` for `T`: a new `Obj::new(T::default())` (+1) in `*out`.
pub(crate) unsafe extern "C" fn create<T: Object + Default + Send + Sync>(
    out: *mut *mut c_void,
) -> c_int {
    match catch_unwind(|| Obj::new(T::default())) {
        Ok(obj) => {
            // SAFETY: a valid out-parameter, per the creator contract; the reference moves.
            unsafe { out.write(Obj::into_raw(obj).cast()) };
            0
        }
        Err(payload) => {
            drop_payload(payload);
            Error::runtime(format!(
                "`{}::default()` panicked",
                T::type_info().rust_name()
            ))
            .set_raised();
            -1
        }
    }
}

/// Drops a panic payload without letting a second panic unwind into C.
fn drop_payload(payload: Box<dyn core::any::Any + Send>) {
    if catch_unwind(AssertUnwindSafe(move || drop(payload))).is_err() {
        std::eprintln!("rcobj: a panic payload panicked while being dropped");
        std::process::abort();
    }
}
