//! Live interop with Apache tvm-ffi's shipped runtime, `libtvm_ffi.so` from the
//! `apache-tvm-ffi` wheel (`.ci/cabi.sh` installs the pinned version with pip).
//!
//! The library is found at run time, so a normal build never needs it:
//!
//! 1. `RCOBJ_TVM_FFI_LIB`, the path of `libtvm_ffi.so` (it must exist when set);
//! 2. otherwise the installed Python package: `python3` (or `$PYTHON`) is asked where the
//!    `tvm_ffi` package is, without importing it, and `tvm_ffi/lib/libtvm_ffi.so` is used.
//!
//! If the library is not found the tests print a `SKIPPED` line on stderr (not captured by
//! the test harness) and pass — unless `CI` is set, in which case they fail.
//!
//! What is checked:
//!
//! * libtvm_ffi's `TVMFFIObjectIncRef` / `TVMFFIObjectDecRef` manage an rcobj object: one
//!   destruction, one free, with or without a Rust weak reference outliving it.
//! * Objects made by libtvm_ffi (an `ffi.Error`, an `ffi.Function` wrapping a Rust callback,
//!   a global function) are held as `AnyObj`, cloned, downgraded, upgraded and released; their
//!   own deleter runs with exactly the protocol's flags, and the function's resource
//!   deleter runs exactly once.
//! * rcobj objects stored into an `ffi.Array` are kept alive by the array, come back out of
//!   it as themselves (`downcast` to their Rust type), and are released with the array.
//! * An object made in C (`tests/c/rcobj_test.c`), held by Rust and stored into an
//!   `ffi.Array`: three runtimes share it; its C deleter sees STRONG, then WEAK.
//!
//! * rcobj's type indices never alias a type of libtvm_ffi's own table: for every rcobj
//!   type, libtvm_ffi has no type at its index, or (the root, 64) the same type.
//!
//! Type indices: tvm-ffi does not know rcobj's indices (`FIRST_DYNAMIC_INDEX`, 2^24, and
//! up, far above the dynamic indices libtvm_ffi hands out from 128). The paths used here
//! (`IncRef`/`DecRef`, `ffi.Array`, `ffi.ArraySize`, `ffi.ArrayGetItem`, destruction) only
//! copy an object's `TVMFFIAny` and call its header's deleter; none looks up the type of an
//! rcobj object (one that did would end the process in `TVMFFIGetTypeInfo`). The tvm-ffi
//! objects used (`ffi.Error`, `ffi.Function`, `ffi.Array`, `ffi.String`) have indices
//! below `FIRST_DYNAMIC_INDEX`, which rcobj's registry never hands out.
//!
//! Not built under Miri (it cannot call C) nor loom (whose atomics change the header's
//! layout).
#![cfg(not(any(miri, loom)))]

use std::ffi::c_void;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

// Links the crate's library, and with it the C side that `build.rs` compiles.
use rcobj_tests::{frees, probe, rcobj_c_obj_new, watch, CCounters, CountingAlloc, Probe};

use rcobj::{
    AnyObj, AnyObject, Deleter, Obj, ObjectHeader, DELETER_BOTH, DELETER_STRONG, DELETER_WEAK,
};

// ---- the C API of tvm-ffi (tvm/ffi/c_api.h) ---------------------------------------------

/// `TVMFFIByteArray`.
#[repr(C)]
struct ByteArray {
    data: *const u8,
    size: usize,
}

impl ByteArray {
    fn of(s: &str) -> ByteArray {
        ByteArray {
            data: s.as_ptr(),
            size: s.len(),
        }
    }

    /// The bytes, as a string.
    ///
    /// # Safety
    ///
    /// `data` points to `size` readable bytes.
    unsafe fn to_string_lossy(&self) -> String {
        if self.size == 0 {
            return String::new();
        }
        // SAFETY: guaranteed by the caller.
        let bytes = unsafe { std::slice::from_raw_parts(self.data, self.size) };
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// `TVMFFIAny`: a type index, 4 bytes of padding, and an 8-byte value.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct TvmAny {
    type_index: i32,
    zero_padding: u32,
    value: u64,
}

/// `kTVMFFINone`.
const K_NONE: i32 = 0;
/// `kTVMFFIInt`.
const K_INT: i32 = 1;
/// `kTVMFFISmallStr`: a string of at most 7 bytes, inline in the `TVMFFIAny`.
const K_SMALL_STR: i32 = 11;
/// `kTVMFFIStaticObjectBegin`.
const K_STATIC_OBJECT_BEGIN: i32 = 64;

impl TvmAny {
    fn none() -> TvmAny {
        TvmAny {
            type_index: K_NONE,
            zero_padding: 0,
            value: 0,
        }
    }

    fn int(v: i64) -> TvmAny {
        TvmAny {
            type_index: K_INT,
            zero_padding: 0,
            value: v as u64,
        }
    }

    /// A view of an object: the type index is the one in the object's own header, as
    /// tvm-ffi expects.
    fn object(h: *const ObjectHeader) -> TvmAny {
        // SAFETY: the callers pass live headers.
        let type_index = unsafe { (*h).type_index() };
        TvmAny {
            type_index,
            zero_padding: 0,
            value: h as u64,
        }
    }

    fn obj_ptr(&self) -> *mut ObjectHeader {
        assert!(
            self.type_index >= K_STATIC_OBJECT_BEGIN,
            "not an object: {self:?}"
        );
        self.value as usize as *mut ObjectHeader
    }
}

/// `TVMFFIVersion`.
#[repr(C)]
#[derive(Default, Debug)]
struct Version {
    major: u32,
    minor: u32,
    patch: u32,
}

type Handle = *mut c_void;
type SafeCall = unsafe extern "C" fn(Handle, *const TvmAny, i32, *mut TvmAny) -> i32;

/// The functions of `libtvm_ffi.so` used here, resolved once.
struct TvmFfi {
    /// Kept open for the life of the process (in a static): the pointers below point into it.
    _lib: libloading::Library,
    path: PathBuf,
    get_version: unsafe extern "C" fn(*mut Version),
    inc_ref: unsafe extern "C" fn(Handle) -> i32,
    dec_ref: unsafe extern "C" fn(Handle) -> i32,
    type_key_to_index: unsafe extern "C" fn(*const ByteArray, *mut i32) -> i32,
    function_create: unsafe extern "C" fn(
        Handle,
        SafeCall,
        Option<unsafe extern "C" fn(Handle)>,
        *mut Handle,
    ) -> i32,
    function_get_global: unsafe extern "C" fn(*const ByteArray, *mut Handle) -> i32,
    function_call: unsafe extern "C" fn(Handle, *mut TvmAny, i32, *mut TvmAny) -> i32,
    error_create: unsafe extern "C" fn(
        *const ByteArray,
        *const ByteArray,
        *const ByteArray,
        *mut Handle,
    ) -> i32,
    error_move_from_raised: unsafe extern "C" fn(*mut Handle),
}

/// Where `libtvm_ffi.so` is, or why it was not found.
fn find_library() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("RCOBJ_TVM_FFI_LIB") {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "RCOBJ_TVM_FFI_LIB is set to {}, which is not a file",
            p.display()
        );
        return Ok(p);
    }
    // Locate the package without importing it (importing loads the library and more).
    const SCRIPT: &str = "import importlib.util, os\n\
        s = importlib.util.find_spec('tvm_ffi')\n\
        print(os.path.join(list(s.submodule_search_locations)[0], 'lib', 'libtvm_ffi.so') if s else '')";
    let pythons = std::env::var("PYTHON")
        .ok()
        .into_iter()
        .chain(["python3".to_string(), "python".to_string()]);
    let mut tried = Vec::new();
    for py in pythons {
        match std::process::Command::new(&py)
            .args(["-c", SCRIPT])
            .output()
        {
            Ok(out) if out.status.success() => {
                let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
                if !path.is_empty() && PathBuf::from(&path).is_file() {
                    return Ok(PathBuf::from(path));
                }
                tried.push(format!("{py}: no tvm_ffi package with lib/libtvm_ffi.so"));
            }
            Ok(out) => tried.push(format!("{py}: exited with {}", out.status)),
            Err(e) => tried.push(format!("{py}: {e}")),
        }
    }
    Err(format!(
        "libtvm_ffi.so not found (set RCOBJ_TVM_FFI_LIB, or `pip install apache-tvm-ffi`); {}",
        tried.join("; ")
    ))
}

/// Resolves one symbol as a plain function pointer.
///
/// # Safety
///
/// `F` is the symbol's real type; the library is never unloaded.
unsafe fn sym<F: Copy>(lib: &libloading::Library, name: &str) -> F {
    // SAFETY: guaranteed by the caller.
    unsafe {
        *lib.get::<F>(name.as_bytes())
            .unwrap_or_else(|e| panic!("libtvm_ffi.so has no `{name}`: {e}"))
    }
}

fn load(path: PathBuf) -> TvmFfi {
    // SAFETY: loading runs libtvm_ffi's static initialisers, which only register its own
    // types and global functions.
    let lib = unsafe { libloading::Library::new(&path) }
        .unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display()));
    // SAFETY: each type is the one declared in tvm/ffi/c_api.h; the library is stored
    // with the pointers, in a static that is never dropped.
    unsafe {
        TvmFfi {
            get_version: sym(&lib, "TVMFFIGetVersion"),
            inc_ref: sym(&lib, "TVMFFIObjectIncRef"),
            dec_ref: sym(&lib, "TVMFFIObjectDecRef"),
            type_key_to_index: sym(&lib, "TVMFFITypeKeyToIndex"),
            function_create: sym(&lib, "TVMFFIFunctionCreate"),
            function_get_global: sym(&lib, "TVMFFIFunctionGetGlobal"),
            function_call: sym(&lib, "TVMFFIFunctionCall"),
            error_create: sym(&lib, "TVMFFIErrorCreate"),
            error_move_from_raised: sym(&lib, "TVMFFIErrorMoveFromRaised"),
            _lib: lib,
            path,
        }
    }
}

/// The loaded library, or `None` after printing why the calling test is skipped. Panics
/// instead when `CI` is set.
fn tvm(test: &str) -> Option<&'static TvmFfi> {
    static LIB: OnceLock<Result<TvmFfi, String>> = OnceLock::new();
    match LIB.get_or_init(|| find_library().map(load)) {
        Ok(t) => Some(t),
        Err(why) => {
            if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
                panic!("CI is set and the tvm-ffi interop test cannot run: {why}");
            }
            // Straight to the process's stderr: the harness captures only `eprintln!`.
            // One write, so lines of tests running in parallel do not interleave.
            let line = format!("SKIPPED: tvm_ffi::{test}: {why}\n");
            let _ = std::io::stderr().write_all(line.as_bytes());
            None
        }
    }
}

impl TvmFfi {
    fn inc_ref(&self, h: *mut ObjectHeader) {
        // SAFETY: callers pass a live object they hold a reference to.
        assert_eq!(unsafe { (self.inc_ref)(h.cast()) }, 0);
    }

    fn dec_ref(&self, h: *mut ObjectHeader) {
        // SAFETY: callers hand over a strong reference they own.
        assert_eq!(unsafe { (self.dec_ref)(h.cast()) }, 0);
    }

    fn type_index(&self, key: &str) -> i32 {
        self.try_type_index(key)
            .unwrap_or_else(|| panic!("no tvm-ffi type `{key}`"))
    }

    /// The index libtvm_ffi has for `key`, if any. Asking never ends the process (unlike
    /// asking about an index, `TVMFFIGetTypeInfo`): a missing key is a raised error, which
    /// is taken and released here.
    fn try_type_index(&self, key: &str) -> Option<i32> {
        let mut out = -1;
        // SAFETY: valid in and out pointers.
        let rc = unsafe { (self.type_key_to_index)(&ByteArray::of(key), &mut out) };
        if rc == 0 {
            return Some(out);
        }
        let mut err: Handle = std::ptr::null_mut();
        // SAFETY: a valid out pointer; we take over the raised error.
        unsafe { (self.error_move_from_raised)(&mut err) };
        if !err.is_null() {
            // SAFETY: an owned strong reference to a live `ffi.Error`.
            drop(unsafe { AnyObj::from_raw(err.cast()) });
        }
        None
    }

    /// A global function, held as an `AnyObj` (the handle tvm-ffi returns is owned).
    fn global(&self, name: &str) -> AnyObj {
        let mut out: Handle = std::ptr::null_mut();
        // SAFETY: valid in and out pointers.
        let rc = unsafe { (self.function_get_global)(&ByteArray::of(name), &mut out) };
        assert_eq!(rc, 0);
        assert!(!out.is_null(), "no global function `{name}`");
        // SAFETY: an owned strong reference to a live tvm-ffi object.
        unsafe { AnyObj::from_raw(out.cast()) }
    }

    /// Calls a function object; panics with tvm-ffi's error message on failure.
    fn call(&self, f: &AnyObj, args: &mut [TvmAny]) -> TvmAny {
        let mut result = TvmAny::none();
        let h = Obj::header(f) as *const ObjectHeader as Handle;
        // SAFETY: `f` is a live function object; `args` are views of live values.
        let rc =
            unsafe { (self.function_call)(h, args.as_mut_ptr(), args.len() as i32, &mut result) };
        if rc != 0 {
            let mut err: Handle = std::ptr::null_mut();
            // SAFETY: a valid out pointer; we take over the raised error.
            unsafe { (self.error_move_from_raised)(&mut err) };
            let msg = if err.is_null() {
                "<no error raised>".to_string()
            } else {
                // SAFETY: an owned strong reference to a live `ffi.Error`.
                let e = unsafe { AnyObj::from_raw(err.cast()) };
                error_text(&e)
            };
            panic!("tvm-ffi call failed ({rc}): {msg}");
        }
        result
    }

    fn error(&self, kind: &str, message: &str) -> *mut ObjectHeader {
        let mut out: Handle = std::ptr::null_mut();
        // SAFETY: valid in and out pointers.
        let rc = unsafe {
            (self.error_create)(
                &ByteArray::of(kind),
                &ByteArray::of(message),
                &ByteArray::of(""),
                &mut out,
            )
        };
        assert_eq!(rc, 0);
        assert!(!out.is_null());
        out.cast()
    }
}

/// `TVMFFIErrorCell`'s first two fields: an `ffi.Error` is the header followed by it.
#[repr(C)]
struct ErrorCellHead {
    kind: ByteArray,
    message: ByteArray,
}

/// `StringObj`'s payload: an `ffi.String` is the header followed by it.
#[repr(C)]
struct StringCellHead {
    bytes: ByteArray,
}

/// The text of a string `TVMFFIAny` that a call returned (owned): a small string inline, or
/// an `ffi.String` object, which is released here.
fn take_string(any: TvmAny, string_index: i32) -> String {
    if any.type_index == K_SMALL_STR {
        // `small_str_len` shares the padding word; the bytes are the value's.
        let len = any.zero_padding as usize;
        let bytes = any.value.to_ne_bytes();
        return String::from_utf8_lossy(&bytes[..len]).into_owned();
    }
    assert_eq!(any.type_index, string_index, "not a string: {any:?}");
    // SAFETY: an owned strong reference to a live `ffi.String`.
    let s = unsafe { AnyObj::from_raw(any.obj_ptr()) };
    let cell = Obj::as_ptr(&s).cast::<StringCellHead>();
    // SAFETY: an `ffi.String` (checked above), alive while `s` is; its bytes follow the
    // 24-byte header.
    unsafe { (*cell).bytes.to_string_lossy() }
}

/// "kind: message" of an `ffi.Error` held as an `AnyObj`.
fn error_text(e: &AnyObj) -> String {
    let cell = Obj::as_ptr(e).cast::<ErrorCellHead>();
    // SAFETY: the object is an `ffi.Error` (callers check its index or got it from
    // tvm-ffi's error slot), alive while `e` is; its cell follows the 24-byte header.
    unsafe {
        format!(
            "{}: {}",
            (*cell).kind.to_string_lossy(),
            (*cell).message.to_string_lossy()
        )
    }
}

// ---- observing a foreign object's deleter -----------------------------------------------

/// The flags each spied object's deleter was called with.
type FlagLog = Arc<Mutex<Vec<i32>>>;

/// A spied object: its address, original deleter and log.
type Spied = (usize, Deleter, FlagLog);

/// Spied objects. An entry is removed in the call that frees the object, so a reused
/// address starts afresh.
static SPIED: Mutex<Vec<Spied>> = Mutex::new(Vec::new());

unsafe extern "C" fn spy_deleter(obj: *mut c_void, flags: i32) {
    let original = {
        let mut spied = SPIED.lock().unwrap();
        let at = spied
            .iter()
            .position(|s| s.0 == obj as usize)
            .expect("a spied object");
        let (_, original, log) = spied[at].clone();
        log.lock().unwrap().push(flags);
        if flags & DELETER_WEAK != 0 {
            spied.swap_remove(at);
        }
        original
    };
    // SAFETY: the original deleter, called exactly as we were.
    unsafe { original(obj, flags) };
}

/// Puts a recording deleter in front of the deleter of a fresh foreign object.
///
/// # Safety
///
/// `h` is a live object that no one else references yet (strong 1, weak 1).
unsafe fn spy(h: *mut ObjectHeader) -> FlagLog {
    // The deleter field, at offset 16 of the C header (checked by the C-ABI test).
    let slot = h.cast::<u8>().wrapping_add(16).cast::<Option<Deleter>>();
    // SAFETY: the caller guarantees exclusive access to a live header.
    let original = unsafe { slot.read() }.expect("a deleter");
    let log = FlagLog::default();
    SPIED
        .lock()
        .unwrap()
        .push((h as usize, original, log.clone()));
    // SAFETY: as above; no release can be in progress.
    unsafe { slot.write(Some(spy_deleter)) };
    log
}

fn flags(log: &FlagLog) -> Vec<i32> {
    log.lock().unwrap().clone()
}

// ---- the allocator watch and the probe type (shared with the other interop test) ---------

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Hands a Rust object over as a raw header (type erased first).
fn to_raw(o: Obj<Probe>) -> *mut ObjectHeader {
    Obj::into_raw(o.upcast::<AnyObject>())
}

// ---- tests ------------------------------------------------------------------------------

#[test]
fn library_speaks_abi_0_1() {
    let Some(t) = tvm("library_speaks_abi_0_1") else {
        return;
    };
    let mut v = Version::default();
    // SAFETY: a valid out pointer.
    unsafe { (t.get_version)(&mut v) };
    assert_eq!(
        (v.major, v.minor),
        (0, 1),
        "{v:?} from {}",
        t.path.display()
    );
    assert_eq!(t.type_index("ffi.Object"), rcobj::ANY_OBJECT_INDEX);
}

#[test]
fn tvm_ffi_refcounts_an_rcobj_object() {
    let Some(t) = tvm("tvm_ffi_refcounts_an_rcobj_object") else {
        return;
    };
    // The last release in tvm-ffi with no weak reference: one call with BOTH.
    let (o, drops) = probe(1);
    let h = to_raw(o);
    watch(h);
    t.inc_ref(h);
    t.inc_ref(h);
    // SAFETY: `h` is alive (we hold three references through tvm-ffi's counts).
    assert_eq!(unsafe { (*h).strong_count() }, 3);
    t.dec_ref(h);
    t.dec_ref(h);
    assert_eq!(drops.load(Ordering::Relaxed), 0);
    t.dec_ref(h);
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    assert_eq!(frees(), 1);

    // With a Rust weak reference outliving: STRONG from tvm-ffi, WEAK from Rust.
    let (o, drops) = probe(2);
    let w = Obj::downgrade(&o);
    let h = to_raw(o);
    watch(h);
    t.inc_ref(h);
    assert_eq!(w.strong_count(), 2);
    let up = w.upgrade().expect("alive");
    assert_eq!(up.id, 2);
    drop(up);
    t.dec_ref(h);
    t.dec_ref(h);
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    assert_eq!(frees(), 0);
    assert!(w.upgrade().is_none());
    drop(w);
    assert_eq!(frees(), 1);
}

#[test]
fn tvm_ffi_error_held_as_anyobj() {
    let Some(t) = tvm("tvm_ffi_error_held_as_anyobj") else {
        return;
    };
    let error_index = t.type_index("ffi.Error");

    // Released with a weak reference outliving the strong ones: STRONG, then WEAK.
    let h = t.error("ValueError", "raised by tvm-ffi");
    // SAFETY: fresh, and only we reference it.
    let log = unsafe { spy(h) };
    // SAFETY: an owned strong reference to a live object.
    let e: AnyObj = unsafe { AnyObj::from_raw(h) };
    assert_eq!(Obj::header(&e).type_index(), error_index);
    assert!(error_index < rcobj::FIRST_DYNAMIC_INDEX);
    assert_eq!(Obj::type_info(&e).key(), AnyObject::KEY);
    assert!(!e.is::<Probe>());
    assert_eq!(error_text(&e), "ValueError: raised by tvm-ffi");
    let e2 = e.clone();
    let w = Obj::downgrade(&e2);
    let w2 = w.clone();
    let up = w2.upgrade().expect("alive");
    assert_eq!(Obj::strong_count(&e), 3);
    assert_eq!(Obj::weak_count(&e), 2);
    // tvm-ffi's own counting on the same object.
    t.inc_ref(h);
    assert_eq!(Obj::strong_count(&e), 4);
    t.dec_ref(h);
    drop((e, e2, up, w2));
    assert_eq!(flags(&log), [DELETER_STRONG]);
    assert!(w.upgrade().is_none());
    drop(w);
    assert_eq!(flags(&log), [DELETER_STRONG, DELETER_WEAK]);

    // Released with no weak reference: one call with BOTH.
    let h = t.error("RuntimeError", "second");
    // SAFETY: fresh, and only we reference it.
    let log = unsafe { spy(h) };
    // SAFETY: an owned strong reference to a live object.
    let e: AnyObj = unsafe { AnyObj::from_raw(h) };
    let w = Obj::downgrade(&e);
    let e2 = w.upgrade().expect("alive");
    drop(w);
    drop(e);
    assert!(flags(&log).is_empty());
    drop(e2);
    assert_eq!(flags(&log), [DELETER_BOTH]);
}

/// The safe call of the function below: returns the sum of its integer arguments plus 1.
unsafe extern "C" fn add_one(_self: Handle, args: *const TvmAny, n: i32, out: *mut TvmAny) -> i32 {
    let mut sum = 1i64;
    for i in 0..n as usize {
        // SAFETY: tvm-ffi passes `n` arguments.
        let a = unsafe { *args.add(i) };
        if a.type_index != K_INT {
            return -1;
        }
        sum += a.value as i64;
    }
    // SAFETY: a valid result slot.
    unsafe { out.write(TvmAny::int(sum)) };
    0
}

/// The resource deleter of the function below: counts its calls.
unsafe extern "C" fn drop_resource(resource: Handle) {
    // SAFETY: the resource is an `Arc<AtomicU32>` given up with `Arc::into_raw`, and this
    // deleter runs once, taking that reference back.
    let counter = unsafe { Arc::from_raw(resource.cast::<AtomicU32>().cast_const()) };
    counter.fetch_add(1, Ordering::Relaxed);
}

#[test]
fn tvm_ffi_function_held_as_anyobj() {
    let Some(t) = tvm("tvm_ffi_function_held_as_anyobj") else {
        return;
    };
    let released = Arc::new(AtomicU32::new(0));
    let resource = Arc::into_raw(released.clone()) as Handle;
    let mut h: Handle = std::ptr::null_mut();
    // SAFETY: valid callbacks and out pointer; the resource is released by `drop_resource`.
    let rc = unsafe { (t.function_create)(resource, add_one, Some(drop_resource), &mut h) };
    assert_eq!(rc, 0);
    let h = h.cast::<ObjectHeader>();
    // SAFETY: fresh, and only we reference it.
    let log = unsafe { spy(h) };
    // SAFETY: an owned strong reference to a live object.
    let f: AnyObj = unsafe { AnyObj::from_raw(h) };
    assert_eq!(Obj::header(&f).type_index(), t.type_index("ffi.Function"));
    assert!(Obj::header(&f).type_index() < rcobj::FIRST_DYNAMIC_INDEX);
    assert!(!f.is::<Probe>());

    let g = f.clone();
    let r = t.call(&g, &mut [TvmAny::int(2), TvmAny::int(3)]);
    assert_eq!((r.type_index, r.value as i64), (K_INT, 6));
    let w = Obj::downgrade(&g);
    drop(g);
    let g = w.upgrade().expect("alive");
    assert_eq!(t.call(&g, &mut []).value, 1);
    drop((f, g));
    assert_eq!(released.load(Ordering::Relaxed), 1);
    assert_eq!(flags(&log), [DELETER_STRONG]);
    assert!(w.upgrade().is_none());
    drop(w);
    assert_eq!(flags(&log), [DELETER_STRONG, DELETER_WEAK]);
    assert_eq!(released.load(Ordering::Relaxed), 1);
    assert_eq!(Arc::strong_count(&released), 1);
}

#[test]
fn ffi_array_keeps_and_releases_rcobj_objects() {
    let Some(t) = tvm("ffi_array_keeps_and_releases_rcobj_objects") else {
        return;
    };
    let make_array = t.global("ffi.Array");
    let array_size = t.global("ffi.ArraySize");
    let array_get = t.global("ffi.ArrayGetItem");

    let (a, a_drops) = probe(10);
    let (b, b_drops) = probe(20);
    let wa = Obj::downgrade(&a);
    let b_raw = to_raw(b);
    watch(b_raw);
    let a_raw = Obj::header(&a) as *const ObjectHeader;

    // Arguments are views: the array takes references of its own.
    let arr = t.call(
        &make_array,
        &mut [TvmAny::object(a_raw), TvmAny::int(7), TvmAny::object(b_raw)],
    );
    assert_eq!(arr.type_index, t.type_index("ffi.Array"));
    assert!(arr.type_index < rcobj::FIRST_DYNAMIC_INDEX);
    // SAFETY: an owned strong reference to the new array.
    let arr: AnyObj = unsafe { AnyObj::from_raw(arr.obj_ptr()) };
    assert_eq!(Obj::strong_count(&a), 2);
    // SAFETY: alive: we own one reference and the array another.
    assert_eq!(unsafe { (*b_raw).strong_count() }, 2);
    let arr_view = TvmAny::object(Obj::header(&arr));
    assert_eq!(t.call(&array_size, &mut [arr_view]).value, 3);

    // Our references go; the array keeps both objects alive.
    drop(a);
    // SAFETY: the reference `to_raw` gave up.
    t.dec_ref(b_raw);
    assert_eq!(
        (
            a_drops.load(Ordering::Relaxed),
            b_drops.load(Ordering::Relaxed)
        ),
        (0, 0)
    );

    // An element comes back out of the container as itself.
    let item = t.call(&array_get, &mut [arr_view, TvmAny::int(2)]);
    assert_eq!(item.obj_ptr(), b_raw);
    // SAFETY: an owned strong reference returned by the call.
    let back = unsafe { AnyObj::from_raw(item.obj_ptr()) };
    let back = back.downcast::<Probe>().expect("a Probe");
    assert_eq!(back.id, 20);
    drop(back);
    assert_eq!(wa.upgrade().expect("kept by the array").id, 10);

    // Releasing the array releases them: each destroyed once, freed once.
    drop(arr);
    assert_eq!(
        (
            a_drops.load(Ordering::Relaxed),
            b_drops.load(Ordering::Relaxed)
        ),
        (1, 1)
    );
    assert_eq!(frees(), 1);
    assert!(wa.upgrade().is_none());
    drop((make_array, array_size, array_get));
}

#[test]
fn c_object_in_ffi_array_held_by_rust() {
    let Some(t) = tvm("c_object_in_ffi_array_held_by_rust") else {
        return;
    };
    let counters = Box::into_raw(Box::<CCounters>::default());
    // SAFETY: `counters` outlives the object (freed at the end of the test).
    let h = unsafe { rcobj_c_obj_new(5, counters) };
    // SAFETY: an owned strong reference to a live C object.
    let c: AnyObj = unsafe { AnyObj::from_raw(h) };
    let w = Obj::downgrade(&c);
    let make_array = t.global("ffi.Array");
    let arr = t.call(&make_array, &mut [TvmAny::object(h)]);
    // SAFETY: an owned strong reference to the new array.
    let arr: AnyObj = unsafe { AnyObj::from_raw(arr.obj_ptr()) };
    drop(c);
    assert!(w.upgrade().is_some(), "kept by the array");
    drop(arr);
    assert!(w.upgrade().is_none());
    drop(w);
    // SAFETY: the object is gone; nothing writes the counters any more.
    let seen = unsafe { Box::from_raw(counters) };
    assert_eq!(
        &seen.flags_log[..seen.n_calls as usize],
        [DELETER_STRONG, DELETER_WEAK]
    );
    assert_eq!(
        (seen.created, seen.destroyed, seen.freed, seen.violations),
        (1, 1, 1, 0)
    );
}

/// Every type in libtvm_ffi's table, by index, asked without ever naming an index
/// (`ffi.GetRegisteredTypeKeys`, then `TVMFFITypeKeyToIndex` for each key).
fn tvm_ffi_types(t: &TvmFfi) -> std::collections::BTreeMap<i32, String> {
    let string_index = t.type_index("ffi.String");
    let keys = t.global("ffi.GetRegisteredTypeKeys");
    let size = t.global("ffi.ArraySize");
    let get = t.global("ffi.ArrayGetItem");
    let arr = t.call(&keys, &mut []);
    // SAFETY: an owned strong reference to the returned `ffi.Array`.
    let arr: AnyObj = unsafe { AnyObj::from_raw(arr.obj_ptr()) };
    let view = TvmAny::object(Obj::header(&arr));
    let n = t.call(&size, &mut [view]).value as i64;
    let mut types = std::collections::BTreeMap::new();
    for i in 0..n {
        let key = take_string(t.call(&get, &mut [view, TvmAny::int(i)]), string_index);
        let index = t.type_index(&key);
        types.insert(index, key);
    }
    types
}

/// rcobj's indices never alias libtvm_ffi's types: for every rcobj type (derived and
/// runtime-defined), libtvm_ffi has no type at that index, or the same key; only the root
/// shares index 64 by design (rcobj's `AnyObject` is tvm-ffi's `ffi.Object`). With the old
/// base of 128 an rcobj object was, to tvm-ffi, an `ffi.EnumState`, an
/// `ffi.reflection.AccessStep`, …
#[test]
fn rcobj_indices_are_not_libtvm_ffi_types() {
    let Some(t) = tvm("rcobj_indices_are_not_libtvm_ffi_types") else {
        return;
    };
    let tvm_types = tvm_ffi_types(t);
    assert_eq!(tvm_types.get(&64).map(String::as_str), Some("ffi.Object"));
    assert!(
        tvm_types.contains_key(&128),
        "libtvm_ffi has dynamic types from 128: {tvm_types:?}"
    );
    let dynamic = rcobj::RuntimeTypeBuilder::new("tests.tvm_ffi.Dynamic")
        .register()
        .unwrap();
    let ours = rcobj::registry::all();
    assert!(ours.len() > 2, "derived types and the runtime type");
    for ty in &ours {
        if ty.index() == rcobj::ANY_OBJECT_INDEX {
            continue;
        }
        if let Some(theirs) = tvm_types.get(&ty.index()) {
            assert_eq!(
                theirs,
                ty.key(),
                "libtvm_ffi's type at rcobj's index {} of `{}`",
                ty.index(),
                ty.key()
            );
        }
        // Asked the other way round: rcobj's key is unknown to tvm-ffi, or has the index.
        if let Some(index) = t.try_type_index(ty.key()) {
            assert_eq!(index, ty.index(), "tvm-ffi's index of `{}`", ty.key());
        }
    }
    // Every index libtvm_ffi has lies below rcobj's range.
    let last = *tvm_types.keys().next_back().unwrap();
    assert!(last < rcobj::FIRST_DYNAMIC_INDEX, "{last}");
    assert!(dynamic.unregister());
}
