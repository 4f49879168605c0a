//! Functions across the boundary: [`Function`] (an `ffi.Function` handle), Rust closures
//! registered as tvm-ffi global functions ([`register_global`]), and tvm-ffi functions
//! called from Rust ([`Function::get_global`], [`Function::call`]).
//!
//! A Rust function never unwinds into C: an `Err` becomes the tvm-ffi error it converts to
//! (a Python exception of that kind), a panic a `RuntimeError` naming the function, and an
//! argument of the wrong type a `TypeError` naming the parameter.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::ffi::{c_int, c_void};
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ptr;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::any::{Any, AnyView};
use super::convert::{mismatch, FfiType, FromAny, IntoAny};
use super::error::Error;
use super::sys::{self, ByteArray, RawAny};
use crate::AnyObj;

/// A tvm-ffi function object (`ffi.Function`, type index 68): made in C++, Python or Rust,
/// callable from anywhere.
///
/// ```
/// use rcobj::tvm_ffi::{Function, IntoAny};
///
/// let add = Function::from_fn("doc.add", &["a", "b"], |a: i64, b: i64| a + b);
/// let sum = add.call(&[2i64.into_any()?, 3i64.into_any()?])?;
/// assert_eq!(sum.to::<i64>()?, 5);
///
/// let err = add.call(&["x".into_any()?, 3i64.into_any()?]).unwrap_err();
/// assert_eq!(err.kind(), "TypeError");
/// assert!(err.message().contains("argument `a`"), "{}", err.message());
/// # Ok::<(), rcobj::tvm_ffi::Error>(())
/// ```
#[derive(Clone)]
pub struct Function {
    obj: AnyObj,
}

impl Function {
    /// The global function registered under `name`, if any.
    ///
    /// ```
    /// use rcobj::tvm_ffi::Function;
    ///
    /// assert!(Function::get_global("ffi.Array").is_some()); // one of libtvm_ffi's own
    /// assert!(Function::get_global("doc.no.such.function").is_none());
    /// ```
    pub fn get_global(name: &str) -> Option<Function> {
        let key = ByteArray::of(name);
        let mut out: sys::Handle = ptr::null_mut();
        // SAFETY: `key` borrows `name` for the call; `out` receives an owned handle or null.
        let rc = unsafe { sys::TVMFFIFunctionGetGlobal(&key, &mut out) };
        if rc != 0 {
            drop(Error::take_raised());
            return None;
        }
        if out.is_null() {
            return None;
        }
        // SAFETY: a live function object with one strong reference, now ours.
        let obj = unsafe { AnyObj::from_raw(out.cast()) };
        Some(Function { obj })
    }

    /// Calls the function with `args` (passed as views: the callee borrows them).
    pub fn call(&self, args: &[Any]) -> Result<Any, Error> {
        let mut raw: Vec<RawAny> = args.iter().map(|a| a.view().raw()).collect();
        let num_args = i32::try_from(raw.len())
            .map_err(|_| Error::value_error("too many arguments for a tvm-ffi call"))?;
        let mut out = Any::none().into_raw();
        // SAFETY: a live function; `raw` holds `num_args` valid views of values that `args`
        // keeps alive during the call; `out` is `None` as the C API requires and receives an
        // owned value on success.
        let rc =
            unsafe { sys::TVMFFIFunctionCall(self.handle(), raw.as_mut_ptr(), num_args, &mut out) };
        if rc != 0 {
            return Err(Error::take_raised());
        }
        // SAFETY: on success `out` is an owned value.
        Ok(unsafe { Any::from_raw(out) })
    }

    /// Wraps a Rust closure as a tvm-ffi function. `name` and `params` (parameter names, in
    /// order; missing names are shown as `#i`) appear in error messages.
    ///
    /// The closure must be `Send + Sync`: tvm-ffi may call it from any thread, at the same
    /// time. Its arguments convert with [`FromAny`], its result with [`IntoAny`] (or it
    /// returns `Result<R, E>` with `E: Into<Error>`).
    pub fn from_fn<F, M>(name: &str, params: &'static [&'static str], f: F) -> Function
    where
        F: IntoFunction<M>,
        M: 'static,
    {
        let closure = Box::new(Closure {
            f,
            name: name.to_string(),
            params,
            _marker: PhantomData::<fn() -> M>,
        });
        let raw = Box::into_raw(closure);
        let mut out: sys::Handle = ptr::null_mut();
        // SAFETY: `raw` is a live boxed closure that tvm-ffi owns from now on and frees with
        // `drop_closure::<F, M>`; the trampoline reads it as that type.
        let rc = unsafe {
            sys::TVMFFIFunctionCreate(
                raw.cast(),
                trampoline::<F, M>,
                Some(drop_closure::<F, M>),
                &mut out,
            )
        };
        if rc != 0 || out.is_null() {
            // tvm-ffi could not allocate; it did not take the closure.
            // SAFETY: still ours.
            drop(unsafe { Box::from_raw(raw) });
            let e = Error::take_raised();
            panic!("rcobj: tvm-ffi could not create a function object: {e}");
        }
        // SAFETY: a new function object with one strong reference, now ours.
        let obj = unsafe { AnyObj::from_raw(out.cast()) };
        Function { obj }
    }

    /// Registers this function as a global function `name` (`allow_override`: replace one
    /// of that name instead of failing).
    pub fn set_global(&self, name: &str, allow_override: bool) -> Result<(), Error> {
        let key = ByteArray::of(name);
        // SAFETY: `key` borrows `name`; the registry takes its own reference to the function.
        let rc = unsafe {
            sys::TVMFFIFunctionSetGlobal(&key, self.handle(), c_int::from(allow_override))
        };
        if rc != 0 {
            return Err(Error::take_raised());
        }
        Ok(())
    }

    /// The function object.
    pub fn as_object(&self) -> &AnyObj {
        &self.obj
    }

    /// A borrowed view of the function, as a raw value.
    pub(crate) fn view_raw(&self) -> RawAny {
        RawAny {
            type_index: sys::K_FUNCTION,
            small_len: 0,
            value: sys::AnyValue {
                v_ptr: self.handle(),
            },
        }
    }

    fn handle(&self) -> sys::Handle {
        AnyObj::cell(&self.obj).as_ptr().cast()
    }
}

impl core::fmt::Debug for Function {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Function({:p})", self.handle())
    }
}

/// Registers a Rust closure as the tvm-ffi global function `name`, replacing one of that
/// name (so a module may register again, e.g. when loaded twice).
///
/// ```
/// use rcobj::tvm_ffi::{register_global, Function, IntoAny};
///
/// register_global("doc.greet", &["who"], |who: String| format!("hello, {who}"))?;
/// let f = Function::get_global("doc.greet").unwrap();
/// assert_eq!(f.call(&["ffi".into_any()?])?.to::<String>()?, "hello, ffi");
/// # Ok::<(), rcobj::tvm_ffi::Error>(())
/// ```
pub fn register_global<F, M>(name: &str, params: &'static [&'static str], f: F) -> Result<(), Error>
where
    F: IntoFunction<M>,
    M: 'static,
{
    Function::from_fn(name, params, f).set_global(name, true)
}

impl FfiType for Function {
    fn type_schema() -> String {
        r#"{"type":"ffi.Function"}"#.into()
    }
    fn type_str() -> String {
        "ffi.Function".into()
    }
    fn static_type_index() -> i32 {
        sys::K_FUNCTION
    }
}

impl IntoAny for Function {
    fn into_any(self) -> Result<Any, Error> {
        Ok(Any::from_object(self.obj))
    }
}

impl super::convert::ToAny for Function {
    fn to_any(&self) -> Result<Any, Error> {
        self.clone().into_any()
    }
}

impl FromAny for Function {
    fn from_any(value: AnyView<'_>) -> Result<Function, Error> {
        if value.type_index() != sys::K_FUNCTION {
            return Err(mismatch::<Function>(value));
        }
        let obj = value.object().ok_or_else(|| mismatch::<Function>(value))?;
        Ok(Function { obj })
    }
}

// ---- typed closures -------------------------------------------------------------------

/// The name and parameter names of a function, for messages.
#[derive(Clone, Copy)]
pub struct Signature<'s> {
    name: &'s str,
    params: &'s [&'s str],
}

impl Signature<'_> {
    fn check_arity(&self, expected: usize, got: usize) -> Result<(), Error> {
        if expected == got {
            return Ok(());
        }
        Err(Error::type_error(format!(
            "`{}()` takes {expected} argument{} but {got} {} given",
            self.name,
            if expected == 1 { "" } else { "s" },
            if got == 1 { "was" } else { "were" },
        )))
    }

    fn arg_error(&self, i: usize, e: Error) -> Error {
        let which = match self.params.get(i) {
            Some(name) => format!("argument `{name}` (#{i})"),
            None => format!("argument #{i}"),
        };
        e.context(&format!("`{}()` {which}: ", self.name))
    }
}

/// What a function registered from Rust may return: a value, or `Result<value, E>` with
/// `E: Into<Error>`.
pub trait IntoResult {
    /// The result as an owned value, or the error to raise.
    fn into_result(self) -> Result<Any, Error>;
}

impl<T: IntoAny> IntoResult for T {
    fn into_result(self) -> Result<Any, Error> {
        self.into_any()
    }
}

impl<T: IntoAny, E: Into<Error>> IntoResult for Result<T, E> {
    fn into_result(self) -> Result<Any, Error> {
        self.map_err(Into::into)?.into_any()
    }
}

/// A Rust closure callable as a tvm-ffi function: `Fn(A1, …, An) -> R` for up to eight
/// arguments, every `Ai: FromAny`, `R: IntoResult`, and `Send + Sync + 'static`.
/// `Marker` only tells the impls apart.
pub trait IntoFunction<Marker>: Send + Sync + 'static {
    /// Converts the arguments, calls, converts the result.
    fn invoke(&self, sig: Signature<'_>, args: &[AnyView<'_>]) -> Result<Any, Error>;
}

macro_rules! into_function {
    ($n:literal $(, $a:ident $i:tt)*) => {
        impl<Func, Ret $(, $a)*> IntoFunction<fn($($a,)*) -> Ret> for Func
        where
            Func: Fn($($a),*) -> Ret + Send + Sync + 'static,
            Ret: IntoResult,
            $($a: FromAny,)*
        {
            #[allow(unused_variables)]
            fn invoke(&self, sig: Signature<'_>, args: &[AnyView<'_>]) -> Result<Any, Error> {
                sig.check_arity($n, args.len())?;
                (self)($(
                    <$a as FromAny>::from_any(args[$i]).map_err(|e| sig.arg_error($i, e))?,
                )*)
                .into_result()
            }
        }
    };
}

into_function!(0);
into_function!(1, A0 0);
into_function!(2, A0 0, A1 1);
into_function!(3, A0 0, A1 1, A2 2);
into_function!(4, A0 0, A1 1, A2 2, A3 3);
into_function!(5, A0 0, A1 1, A2 2, A3 3, A4 4);
into_function!(6, A0 0, A1 1, A2 2, A3 3, A4 4, A5 5);
into_function!(7, A0 0, A1 1, A2 2, A3 3, A4 4, A5 5, A6 6);
into_function!(8, A0 0, A1 1, A2 2, A3 3, A4 4, A5 5, A6 6, A7 7);

/// A closure owned by a tvm-ffi function object.
struct Closure<F, M> {
    f: F,
    name: String,
    params: &'static [&'static str],
    _marker: PhantomData<fn() -> M>,
}

/// The `safe_call` of a function made by [`Function::from_fn`].
unsafe extern "C" fn trampoline<F: IntoFunction<M>, M>(
    handle: *mut c_void,
    args: *const RawAny,
    num_args: i32,
    result: *mut RawAny,
) -> c_int {
    // SAFETY: `handle` is the `Closure<F, M>` this function object was made with, alive
    // while the object is; tvm-ffi passes `num_args` valid argument views and a result slot.
    unsafe {
        let closure = &*handle.cast::<Closure<F, M>>();
        let sig = Signature {
            name: &closure.name,
            params: closure.params,
        };
        run(sig, &closure.f, args, num_args, result)
    }
}

/// Frees the closure when tvm-ffi frees the function object.
unsafe extern "C" fn drop_closure<F, M>(handle: *mut c_void) {
    // SAFETY: made by `Box::into_raw` in `from_fn`; tvm-ffi calls this once.
    let closure = unsafe { Box::from_raw(handle.cast::<Closure<F, M>>()) };
    if catch_unwind(AssertUnwindSafe(move || drop(closure))).is_err() {
        // Unwinding into C is undefined behaviour; this is the one way out.
        std::eprintln!("rcobj: a closure registered with tvm-ffi panicked while being dropped");
        std::process::abort();
    }
}

/// Runs a typed function on raw arguments: the body of every `safe_call` made from Rust.
///
/// # Safety
///
/// `args` points to `num_args` valid values (or `num_args` is 0), alive during the call;
/// `result` is a valid slot that holds no owned object.
unsafe fn run<F: IntoFunction<M>, M>(
    sig: Signature<'_>,
    f: &F,
    args: *const RawAny,
    num_args: i32,
    result: *mut RawAny,
) -> c_int {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let n = usize::try_from(num_args).unwrap_or(0);
        let views: &[AnyView<'_>] = if n == 0 || args.is_null() {
            &[]
        } else {
            // SAFETY: per the caller; `AnyView` is a transparent `TVMFFIAny`.
            unsafe { core::slice::from_raw_parts(args.cast::<AnyView<'_>>(), n) }
        };
        f.invoke(sig, views)
    }));
    match outcome {
        Ok(Ok(value)) => {
            // SAFETY: per the caller, a valid slot; the value's reference moves into it.
            unsafe { result.write(value.into_raw()) };
            0
        }
        Ok(Err(e)) => {
            e.set_raised();
            -1
        }
        Err(payload) => {
            let msg = panic_message(&*payload);
            // Dropping a payload can itself panic; never let that unwind into C.
            let payload = ManuallyDrop::new(payload);
            if catch_unwind(AssertUnwindSafe(|| drop(ManuallyDrop::into_inner(payload)))).is_err() {
                std::eprintln!("rcobj: a panic payload panicked while being dropped");
                std::process::abort();
            }
            Error::runtime(format!("Rust function `{}()` panicked: {msg}", sig.name)).set_raised();
            -1
        }
    }
}

fn panic_message(payload: &(dyn core::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string panic payload".to_string()
    }
}

/// The body of a `safe_call` function that a library exports for tvm-ffi's module loader
/// (`tvm_ffi.load_module(path)` finds `__tvm_ffi_NAME` symbols and calls them with this
/// signature): converts the arguments, runs `f`, writes the result, and turns an `Err`, a
/// bad argument or a panic into the raised error and a nonzero return.
///
/// ```
/// use core::ffi::c_void;
/// use rcobj::tvm_ffi::{call_exported, RawAny};
///
/// /// `mod.add(a, b)` from Python, after `mod = tvm_ffi.load_module("libmine.so")`.
/// #[export_name = "__tvm_ffi_add"]
/// pub unsafe extern "C" fn add(
///     _: *mut c_void,
///     args: *const RawAny,
///     n: i32,
///     result: *mut RawAny,
/// ) -> i32 {
///     // SAFETY: called by tvm-ffi with valid arguments and result slot.
///     unsafe { call_exported("add", &["a", "b"], |a: i64, b: i64| a + b, args, n, result) }
/// }
/// ```
///
/// # Safety
///
/// `args` points to `num_args` valid values alive during the call (or `num_args` is 0),
/// and `result` to a value slot holding no owned object — what tvm-ffi passes to a
/// `safe_call`.
pub unsafe fn call_exported<F: IntoFunction<M>, M>(
    name: &str,
    params: &[&str],
    f: F,
    args: *const RawAny,
    num_args: i32,
    result: *mut RawAny,
) -> c_int {
    // SAFETY: per the caller.
    unsafe { run(Signature { name, params }, &f, args, num_args, result) }
}
