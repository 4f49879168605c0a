//! The C ABI against real C code: `tests/c/rcobj_test.c`, compiled with only
//! `rcobj.h` (as the `rcobj` crate ships it, in `core/include`) by `tests/build.rs`.
//!
//! * The header's layout and constants as C sees them equal the Rust side's.
//! * C creates objects with its own deleter and hands them to Rust (`AnyObj::from_raw`);
//!   Rust clones, downgrades, upgrades and releases them. The C deleter records every call:
//!   each object is destroyed once and freed once, with exactly the protocol's flags.
//! * Rust hands objects to C (`Obj::into_raw`), which clones, weak-references, promotes and
//!   releases them with the header's inline functions. A drop counter in the value and a
//!   watch on the block's address in the global allocator check one destruction and one
//!   free.
//!
//! `.ci/cabi.sh` also runs this binary under valgrind.
//!
//! Not built under Miri (it cannot call C) nor loom (whose atomics change the header's
//! layout).
#![cfg(not(any(miri, loom)))]

use std::cell::UnsafeCell;
use std::ffi::{c_char, CStr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

// The crate's library also links the C side that `build.rs` compiles.
use rcobj_tests::{
    frees, probe, rcobj_c_obj_new, watch, CCounters, CountingAlloc, Polygon, Probe, Shape, Square,
};

use rcobj::c_api::TYPE_INDEX_NONE;
use rcobj::{
    AnyObj, AnyObject, Deleter, Obj, Object, ObjectHeader, RuntimeTypeBuilder, WeakObj,
    ANY_OBJECT_INDEX, BOTH_ONE, DELETER_BOTH, DELETER_STRONG, DELETER_WEAK, FIRST_DYNAMIC_INDEX,
    MAX_COUNT, MAX_TYPES, STRONG_ONE, WEAK_ONE,
};

// ---- the C side -------------------------------------------------------------------------

/// `rcobj_c_layout`: the header's layout and constants as the C compiler sees them.
#[repr(C)]
#[derive(Debug, Default)]
struct CLayout {
    size: u64,
    align: u64,
    offset_combined_ref_count: u64,
    offset_type_index: u64,
    offset_padding: u64,
    offset_deleter: u64,
    deleter_strong: u64,
    deleter_weak: u64,
    deleter_both: u64,
    strong_one: u64,
    weak_one: u64,
    both_one: u64,
    max_count: u64,
    any_object_index: u64,
    first_dynamic_index: u64,
}

/// `rcobj_c_header_view`: a header's fields read through the C struct.
#[repr(C)]
#[derive(Debug)]
struct CHeaderView {
    combined_ref_count: u64,
    type_index: i32,
    padding: u32,
    deleter: Option<Deleter>,
}

/// Counters that C objects write through a raw pointer while the test reads them.
struct Counters(Box<UnsafeCell<CCounters>>);

impl Counters {
    fn new() -> Counters {
        Counters(Box::new(UnsafeCell::new(CCounters::default())))
    }

    fn ptr(&self) -> *mut CCounters {
        self.0.get()
    }

    /// A snapshot.
    fn get(&self) -> CCounters {
        // SAFETY: C writes only from within calls this thread makes (deleters run on the
        // releasing thread), never concurrently with this read.
        unsafe { self.ptr().read() }
    }

    /// The one object made with these counters was destroyed once and freed once, with
    /// exactly these deleter calls, and the deleter saw no protocol violation.
    #[track_caller]
    fn assert_released(&self, flags: &[i32]) {
        let c = self.get();
        assert_eq!(c.flags(), flags);
        assert_eq!(
            (c.created, c.destroyed, c.freed, c.violations),
            (1, 1, 1, 0),
            "created, destroyed, freed, violations"
        );
    }
}

extern "C" {
    fn rcobj_c_get_layout(out: *mut CLayout);
    fn rcobj_c_read_header(h: *mut ObjectHeader, out: *mut CHeaderView);
    fn rcobj_c_inc_ref(h: *mut ObjectHeader);
    fn rcobj_c_dec_ref(h: *mut ObjectHeader);
    fn rcobj_c_inc_weak_ref(h: *mut ObjectHeader);
    fn rcobj_c_dec_weak_ref(h: *mut ObjectHeader);
    fn rcobj_c_try_promote(h: *mut ObjectHeader) -> i32;
    fn rcobj_c_strong_count(h: *mut ObjectHeader) -> u32;
    fn rcobj_c_weak_count(h: *mut ObjectHeader) -> u32;
    fn rcobj_c_obj_value(h: *mut ObjectHeader) -> i64;
    fn rcobj_c_obj_deleter() -> Option<Deleter>;
    fn rcobj_c_use_object(h: *mut ObjectHeader, others: u32, other_weak: u32) -> i32;
    fn rcobj_c_take_weak(h: *mut ObjectHeader) -> *mut ObjectHeader;
    fn rcobj_c_finish_weak(weak: *mut ObjectHeader, expect_alive: i32) -> i32;
    fn rcobj_c_null_handles() -> i32;
    fn rcobj_c_overflow(which: i32);
    fn rcobj_c_type_queries(
        h: *const ObjectHeader,
        key: *const c_char,
        ancestor: i32,
        unrelated: i32,
    ) -> i32;
    fn rcobj_c_root_type_queries() -> i32;
    fn rcobj_c_type_queries_not_found(
        c_object: *const ObjectHeader,
        key: *const c_char,
        unused: i32,
    ) -> i32;
    fn rcobj_c_type_has_key(type_index: i32, key: *const c_char) -> i32;
    fn rcobj_c_object_has_key(h: *const ObjectHeader, key: *const c_char) -> i32;
    fn rcobj_c_is_instance_of(h: *const ObjectHeader, type_index: i32) -> i32;
    fn rcobj_c_type_index(key: *const c_char) -> i32;
    fn rcobj_c_type_key_found(type_index: i32) -> i32;
}

// ---- the allocator watch and the probe type (shared with the other interop test) ---------

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Hands a Rust object to C: erases its type and gives up the handle.
fn to_c(o: Obj<Probe>) -> *mut ObjectHeader {
    Obj::into_raw(o.upcast::<AnyObject>())
}

/// A new C object; the caller owns its strong reference.
fn c_obj(value: i64, counters: &Counters) -> *mut ObjectHeader {
    // SAFETY: `counters` outlives the object in every test (checked at its end).
    let h = unsafe { rcobj_c_obj_new(value, counters.ptr()) };
    assert!(!h.is_null());
    h
}

// ---- layout -----------------------------------------------------------------------------

#[test]
fn header_constants_match_rust() {
    let mut c = CLayout::default();
    // SAFETY: `c` is a valid out-pointer of the C struct's layout.
    unsafe { rcobj_c_get_layout(&mut c) };
    assert_eq!(c.size, core::mem::size_of::<ObjectHeader>() as u64);
    assert_eq!(c.align, core::mem::align_of::<ObjectHeader>() as u64);
    assert_eq!(
        (
            c.offset_combined_ref_count,
            c.offset_type_index,
            c.offset_padding,
            c.offset_deleter
        ),
        (0, 8, 12, 16)
    );
    assert_eq!(c.deleter_strong, DELETER_STRONG as u64);
    assert_eq!(c.deleter_weak, DELETER_WEAK as u64);
    assert_eq!(c.deleter_both, DELETER_BOTH as u64);
    assert_eq!(c.strong_one, STRONG_ONE);
    assert_eq!(c.weak_one, WEAK_ONE);
    assert_eq!(c.both_one, BOTH_ONE);
    assert_eq!(c.max_count, u64::from(MAX_COUNT));
    assert_eq!(c.any_object_index, ANY_OBJECT_INDEX as u64);
    // (`RCOBJ_TVM_FFI`, defined by the build script with the feature, switches the header's.)
    assert_eq!(c.first_dynamic_index, FIRST_DYNAMIC_INDEX as u64);
    // A C object's fields start where a Rust object's value does.
    assert_eq!(rcobj::value_offset::<Probe>() as u64, c.size);
}

#[test]
fn c_reads_every_field_of_a_rust_header() {
    let (o, _drops) = probe(1);
    // Distinct values in each half of the count word.
    let clones = [o.clone(), o.clone()];
    let weaks = [Obj::downgrade(&o), Obj::downgrade(&o), Obj::downgrade(&o)];
    let h = Obj::as_ptr(&o).cast::<u8>().wrapping_sub(24) as *mut ObjectHeader;
    assert!(core::ptr::eq(h, Obj::header(&o)));
    let mut view = CHeaderView {
        combined_ref_count: 0,
        type_index: -1,
        padding: 1,
        deleter: None,
    };
    // SAFETY: `h` is a live object's header; `view` a valid out-pointer.
    unsafe { rcobj_c_read_header(h, &mut view) };
    let header = Obj::header(&o);
    assert_eq!(view.combined_ref_count & 0xFFFF_FFFF, 3);
    assert_eq!(view.combined_ref_count >> 32, 4); // 3 weak + the implicit one
    assert_eq!(header.strong_count(), 3);
    assert_eq!(header.weak_count(), 3);
    assert_eq!(view.type_index, header.type_index());
    assert_eq!(
        view.type_index,
        <Probe as rcobj::Object>::type_info().index()
    );
    assert_eq!(view.padding, 0);
    assert_eq!(
        view.deleter.map(|d| d as usize),
        header.deleter().map(|d| d as usize)
    );
    assert_eq!(
        view.deleter.map(|d| d as usize),
        Some(rcobj::deleter::<Probe> as Deleter as usize)
    );
    // And the C count getters agree with Rust's.
    // SAFETY: `h` is live.
    unsafe {
        assert_eq!(rcobj_c_strong_count(h), 3);
        assert_eq!(rcobj_c_weak_count(h), 3);
    }
    drop((clones, weaks));
}

// ---- C objects in Rust ------------------------------------------------------------------

#[test]
fn c_object_held_by_rust_released_with_both() {
    let counters = Counters::new();
    let h = c_obj(42, &counters);
    // SAFETY: a live object whose strong reference we hand over; `AnyObject` accepts any.
    let o: AnyObj = unsafe { AnyObj::from_raw(h) };
    assert_eq!(Obj::type_info(&o).key(), AnyObject::KEY);
    assert_eq!(Obj::header(&o).type_index(), ANY_OBJECT_INDEX);
    assert_eq!(
        Obj::header(&o).deleter().map(|d| d as usize),
        // SAFETY: a plain getter.
        unsafe { rcobj_c_obj_deleter() }.map(|d| d as usize)
    );
    assert!(!o.is::<Probe>());
    let o2 = o.clone();
    let w = Obj::downgrade(&o2);
    let w2 = w.clone();
    let up = w2.upgrade().expect("alive");
    assert_eq!(Obj::strong_count(&o), 3);
    assert_eq!(Obj::weak_count(&o), 2);
    // SAFETY: the object is alive while `o` is.
    assert_eq!(unsafe { rcobj_c_obj_value(h) }, 42);
    drop((w, w2, up, o2));
    assert_eq!((counters.get().destroyed, counters.get().freed), (0, 0));
    drop(o);
    counters.assert_released(&[DELETER_BOTH]);
}

#[test]
fn c_object_outlived_by_rust_weak_gets_strong_then_weak() {
    let counters = Counters::new();
    let h = c_obj(7, &counters);
    // SAFETY: as above.
    let o: AnyObj = unsafe { AnyObj::from_raw(h) };
    let w: WeakObj<AnyObject> = Obj::downgrade(&o);
    drop(o);
    assert_eq!((counters.get().destroyed, counters.get().freed), (1, 0));
    assert!(w.upgrade().is_none());
    assert_eq!(w.strong_count(), 0);
    drop(w);
    counters.assert_released(&[DELETER_STRONG, DELETER_WEAK]);
}

#[test]
fn c_object_weak_held_by_c_while_rust_releases() {
    let counters = Counters::new();
    let h = c_obj(9, &counters);
    // SAFETY: `h` is live; C takes a weak reference of its own.
    let weak = unsafe { rcobj_c_take_weak(h) };
    // SAFETY: as above.
    let o: AnyObj = unsafe { AnyObj::from_raw(h) };
    assert_eq!(Obj::weak_count(&o), 1);
    drop(o);
    assert_eq!(counters.get().flags(), [DELETER_STRONG]);
    // SAFETY: C owns the weak reference; the object is dead, so promotion must fail.
    assert_eq!(unsafe { rcobj_c_finish_weak(weak, 0) }, 0);
    counters.assert_released(&[DELETER_STRONG, DELETER_WEAK]);
}

#[test]
fn c_object_used_by_c_and_rust_together() {
    let counters = Counters::new();
    let h = c_obj(5, &counters);
    // SAFETY: as above.
    let o: AnyObj = unsafe { AnyObj::from_raw(h) };
    let w = Obj::downgrade(&o);
    let for_c = Obj::into_raw(o.clone());
    // SAFETY: C takes over one strong reference; Rust holds one more and one weak.
    assert_eq!(unsafe { rcobj_c_use_object(for_c, 1, 1) }, 0);
    assert_eq!(Obj::strong_count(&o), 1);
    assert_eq!(counters.get().n_calls, 0);
    drop(o);
    drop(w);
    counters.assert_released(&[DELETER_STRONG, DELETER_WEAK]);
}

// ---- Rust objects in C ------------------------------------------------------------------

#[test]
fn rust_object_used_by_c_while_rust_holds_it() {
    let (o, drops) = probe(11);
    let w = Obj::downgrade(&o);
    let h = to_c(o.clone());
    watch(h);
    // SAFETY: C takes over one strong reference; Rust keeps one strong and one weak.
    assert_eq!(unsafe { rcobj_c_use_object(h, 1, 1) }, 0);
    assert_eq!(Obj::strong_count(&o), 1);
    assert_eq!(Obj::weak_count(&o), 1);
    assert_eq!(drops.load(Ordering::Relaxed), 0);
    assert_eq!(o.id, 11);
    drop(o);
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    assert_eq!(frees(), 0);
    drop(w);
    assert_eq!(frees(), 1);
}

#[test]
fn rust_object_last_released_by_c() {
    let (o, drops) = probe(12);
    let h = to_c(o);
    watch(h);
    // SAFETY: C takes over the only reference. It holds a weak reference when it drops
    // the last strong one: the Rust deleter gets STRONG from C, then WEAK.
    assert_eq!(unsafe { rcobj_c_use_object(h, 0, 0) }, 0);
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    assert_eq!(frees(), 1);
}

#[test]
fn rust_object_released_by_c_in_one_call() {
    let (o, drops) = probe(13);
    let h = to_c(o);
    watch(h);
    // SAFETY: we own the only reference and hand it to C's decrement: DELETER_BOTH.
    unsafe { rcobj_c_dec_ref(h) };
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    assert_eq!(frees(), 1);
}

#[test]
fn rust_object_weak_held_by_c_outlives_rust() {
    let (o, drops) = probe(14);
    let h = Obj::as_ptr(&o).cast::<u8>().wrapping_sub(24) as *mut ObjectHeader;
    watch(h);
    // SAFETY: `h` is live; C takes a weak reference.
    let weak = unsafe { rcobj_c_take_weak(h) };
    // SAFETY: C's weak reference keeps the header readable.
    unsafe {
        assert_eq!(rcobj_c_try_promote(weak), 1);
        assert_eq!(Obj::strong_count(&o), 2);
        rcobj_c_dec_ref(weak);
    }
    drop(o);
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    assert_eq!(frees(), 0);
    // SAFETY: C's weak reference, now the last reference: C frees the Rust object.
    assert_eq!(unsafe { rcobj_c_finish_weak(weak, 0) }, 0);
    assert_eq!(frees(), 1);
}

#[test]
fn rust_object_round_trip_through_c_keeps_its_type() {
    let (o, drops) = probe(15);
    let h = to_c(o);
    // SAFETY: C adds a strong reference, which Rust then adopts as an `AnyObj`.
    let any = unsafe {
        rcobj_c_inc_ref(h);
        AnyObj::from_raw(h)
    };
    assert!(any.is::<Probe>());
    let back = any.downcast::<Probe>().expect("a Probe");
    assert_eq!(back.id, 15);
    assert_eq!(Obj::strong_count(&back), 2);
    drop(back);
    watch(h);
    // SAFETY: the reference handed to C at first.
    unsafe { rcobj_c_dec_ref(h) };
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    assert_eq!(frees(), 1);
}

// ---- bad input, overflow, threads -------------------------------------------------------

#[test]
fn null_handles_are_no_ops() {
    // SAFETY: every function accepts NULL.
    unsafe {
        assert_eq!(rcobj_c_null_handles(), 0);
        let null = core::ptr::null_mut();
        rcobj_c_inc_ref(null);
        rcobj_c_dec_ref(null);
        rcobj_c_inc_weak_ref(null);
        rcobj_c_dec_weak_ref(null);
        assert_eq!(rcobj_c_try_promote(null), 0);
        assert_eq!(rcobj_c_strong_count(null), 0);
        assert_eq!(rcobj_c_weak_count(null), 0);
    }
}

/// Set in a child process started by [`count_overflow_aborts`]: which overflow to cause.
const OVERFLOW_ENV: &str = "RCOBJ_C_ABI_OVERFLOW";

/// Not a test of its own: in a child process with [`OVERFLOW_ENV`] set, overflows a count.
#[test]
fn overflow_child() {
    let Ok(which) = std::env::var(OVERFLOW_ENV) else {
        return;
    };
    let which: i32 = which.parse().expect("a number");
    if which < 3 {
        // SAFETY: makes its own object; aborts.
        unsafe { rcobj_c_overflow(which) };
    } else {
        // Rust's clone of a C object whose strong count is at the limit.
        let counters = Counters::new();
        let h = c_obj(0, &counters);
        // SAFETY: `h` is a fresh C object we own; we set its count word before sharing.
        let any = unsafe {
            (*h.cast::<core::sync::atomic::AtomicU64>())
                .store(WEAK_ONE | u64::from(MAX_COUNT), Ordering::Relaxed);
            AnyObj::from_raw(h)
        };
        let _ = any.clone();
    }
    unreachable!("the overflow did not abort");
}

#[test]
fn count_overflow_aborts() {
    use std::os::unix::process::ExitStatusExt;
    let exe = std::env::current_exe().expect("test binary");
    for (which, needle) in [
        (0, "strong reference count overflow"),
        (1, "weak reference count overflow"),
        (2, "strong reference count overflow"),
        (3, "strong reference count overflow"),
    ] {
        let out = std::process::Command::new(&exe)
            .args([
                "--exact",
                "overflow_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(OVERFLOW_ENV, which.to_string())
            .output()
            .expect("run the child");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.signal(),
            Some(6),
            "case {which}: expected SIGABRT, got {:?}; stderr:\n{stderr}",
            out.status
        );
        assert!(stderr.contains(needle), "case {which}: stderr:\n{stderr}");
    }
}

#[test]
fn rust_and_c_share_an_object_across_threads() {
    const ROUNDS: usize = 2000;
    let counters = Counters::new();
    let h = c_obj(3, &counters);
    // SAFETY: as above.
    let o: AnyObj = unsafe { AnyObj::from_raw(h) };
    let for_c = Obj::into_raw(o.clone()) as usize;
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..ROUNDS {
                let c = o.clone();
                let w = Obj::downgrade(&c);
                drop(c);
                drop(w.upgrade().expect("alive"));
            }
        });
        s.spawn(move || {
            let h = for_c as *mut ObjectHeader;
            for _ in 0..ROUNDS {
                // SAFETY: this thread owns one strong reference throughout the loop.
                unsafe {
                    rcobj_c_inc_ref(h);
                    rcobj_c_inc_weak_ref(h);
                    rcobj_c_dec_ref(h);
                    assert_eq!(rcobj_c_try_promote(h), 1);
                    rcobj_c_dec_ref(h);
                    rcobj_c_dec_weak_ref(h);
                }
            }
            // SAFETY: the strong reference this thread owned.
            unsafe { rcobj_c_dec_ref(h) };
        });
    });
    assert_eq!(Obj::strong_count(&o), 1);
    assert_eq!(Obj::weak_count(&o), 0);
    assert_eq!(counters.get().n_calls, 0);
    drop(o);
    counters.assert_released(&[DELETER_BOTH]);
}

// ---- type queries from C ----------------------------------------------------------------

/// The index of `T`'s type.
fn index_of<T: Object>() -> i32 {
    T::type_info().index()
}

/// The header of an object we hold, for C to borrow.
fn header_of<T: Object>(o: &Obj<T>) -> *const ObjectHeader {
    Obj::header(o)
}

#[test]
fn c_queries_types_of_rust_objects() {
    let square = Obj::new(Square::new("s", 2.0));
    let polygon = Obj::new(Polygon {
        shape: Shape { name: "p".into() },
        sides: 3,
    });
    let (o, _drops) = probe(21);
    // SAFETY: live headers we hold for the calls; NUL-terminated keys.
    unsafe {
        // A grandchild: its parent and its grandparent are ancestors, a sibling type not.
        let sq = header_of(&square);
        assert_eq!(
            rcobj_c_type_queries(
                sq,
                c"tests.Square".as_ptr(),
                index_of::<Polygon>(),
                index_of::<Probe>()
            ),
            0
        );
        assert_eq!(
            rcobj_c_type_queries(
                sq,
                c"tests.Square".as_ptr(),
                index_of::<Shape>(),
                index_of::<Probe>()
            ),
            0
        );
        // A child: a descendant of its type is not an ancestor.
        let pg = header_of(&polygon);
        assert_eq!(
            rcobj_c_type_queries(
                pg,
                c"tests.Polygon".as_ptr(),
                index_of::<Shape>(),
                index_of::<Square>()
            ),
            0
        );
        // A root type: the only ancestor is `AnyObject`.
        assert_eq!(
            rcobj_c_type_queries(
                header_of(&o),
                c"tests.Probe".as_ptr(),
                ANY_OBJECT_INDEX,
                index_of::<Shape>()
            ),
            0
        );
        // The same through an `AnyObj`, as C usually gets objects.
        let any = square.clone().upcast::<AnyObject>();
        assert_eq!(
            rcobj_c_is_instance_of(header_of(&any), index_of::<Polygon>()),
            1
        );
        assert_eq!(
            rcobj_c_object_has_key(header_of(&any), c"tests.Square".as_ptr()),
            1
        );
        assert_eq!(rcobj_c_root_type_queries(), 0);
    }
    // What C saw is what Rust says.
    assert_eq!(rcobj_c_index(c"tests.Square"), index_of::<Square>());
    assert_eq!(rcobj_c_index(c"tests.Shape"), index_of::<Shape>());
}

/// `rcobj_type_index_cstr` from C.
fn rcobj_c_index(key: &CStr) -> i32 {
    // SAFETY: a NUL-terminated key.
    unsafe { rcobj_c_type_index(key.as_ptr()) }
}

#[test]
fn c_type_queries_report_not_found() {
    let counters = Counters::new();
    let h = c_obj(1, &counters);
    // An index past the registry's table: no type has it.
    let unused = FIRST_DYNAMIC_INDEX + MAX_TYPES as i32;
    // SAFETY: `h` is a live C object we own; a NUL-terminated key.
    let line = unsafe { rcobj_c_type_queries_not_found(h, c"tests.Probe".as_ptr(), unused) };
    assert_eq!(line, 0);
    // The Rust-side constant is the header's.
    assert_eq!(TYPE_INDEX_NONE, -1);
    assert_eq!(rcobj_c_index(c"no.such.Type"), TYPE_INDEX_NONE);
    // SAFETY: our reference.
    unsafe { rcobj_c_dec_ref(h) };
    counters.assert_released(&[DELETER_BOTH]);
}

#[test]
fn c_type_queries_follow_runtime_types_through_unregistration() {
    let released = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
    let (r0, r1) = (released.clone(), released.clone());
    let base = RuntimeTypeBuilder::new("c_abi.runtime.Base")
        .layout(8, 8)
        .on_release(move || r0[0].store(true, Ordering::SeqCst))
        .register()
        .unwrap();
    let child = RuntimeTypeBuilder::new("c_abi.runtime.Child")
        .runtime_parent(&base)
        .layout(16, 8)
        .on_release(move || r1[1].store(true, Ordering::SeqCst))
        .register()
        .unwrap();
    let (base_index, child_index) = (base.index(), child.index());
    let obj = child.new_object(|bytes| bytes[0] = 7).unwrap();
    let h = header_of(&obj);
    // SAFETY: `obj` is live throughout; NUL-terminated keys.
    unsafe {
        assert_eq!(
            rcobj_c_type_queries(
                h,
                c"c_abi.runtime.Child".as_ptr(),
                base_index,
                index_of::<Probe>()
            ),
            0
        );
        assert_eq!(
            rcobj_c_type_has_key(base_index, c"c_abi.runtime.Base".as_ptr()),
            1
        );
        assert_eq!(rcobj_c_index(c"c_abi.runtime.Base"), base_index);

        // Unregistered: no longer found by index or key, but the instance is still one of
        // both types and knows its key (it keeps its type, and its type the parent, alive).
        assert!(base.unregister());
        assert!(child.unregister());
        drop((base, child));
        for (index, key) in [
            (base_index, c"c_abi.runtime.Base"),
            (child_index, c"c_abi.runtime.Child"),
        ] {
            assert_eq!(rcobj_c_type_has_key(index, key.as_ptr()), 0);
            assert_eq!(rcobj_c_index(key), TYPE_INDEX_NONE);
        }
        assert_eq!(
            rcobj_c_object_has_key(h, c"c_abi.runtime.Child".as_ptr()),
            1
        );
        assert_eq!(rcobj_c_is_instance_of(h, child_index), 1);
        assert_eq!(rcobj_c_is_instance_of(h, base_index), 1);
        assert_eq!(rcobj_c_is_instance_of(h, index_of::<Probe>()), 0);
        assert!(!released[0].load(Ordering::SeqCst) && !released[1].load(Ordering::SeqCst));
    }
    drop(obj);
    // Released once every thread that counted has merged (other tests' threads merge at
    // their next count operation or exit).
    let all_released = || released.iter().all(|r| r.load(Ordering::SeqCst));
    for _ in 0..10_000 {
        rcobj::merge_thread_counts();
        if all_released() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert!(all_released());
    // Released: still not found (the index may be recycled later, for another type).
    // SAFETY: plain queries.
    unsafe {
        assert_eq!(rcobj_c_type_key_found(child_index), 0);
        assert_eq!(rcobj_c_type_key_found(base_index), 0);
    }
}

#[test]
fn c_type_queries_race_with_runtime_type_churn() {
    // A worker registers, instantiates, unregisters and releases runtime types, so their
    // descriptors are freed and their indices recycled, while this thread asks C about
    // every index in that range. The instance test reads no descriptor outside the
    // object's own lineage, so it stays exact (and valgrind-clean) whatever the worker
    // frees; `rcobj_type_key` finds an index or not but never crashes.
    //
    // Lockstep: this thread queries while the worker runs round `p`, and merges its counts
    // (which releases round `p`'s type) before the worker may start round `p + 1`; so at most
    // one unregistered type waits for this thread at any time, and indices are recycled.
    const ROUNDS: usize = if cfg!(debug_assertions) { 300 } else { 2000 };
    let (o, _drops) = probe(22);
    let any = o.upcast::<AnyObject>();
    let own = index_of::<Probe>();
    let merged = AtomicUsize::new(0); // rounds whose type this thread has merged
    let rounds = AtomicUsize::new(0); // rounds the worker has finished
    /// Lets the worker run to the end if this thread panics.
    struct Unblock<'a>(&'a AtomicUsize);
    impl Drop for Unblock<'_> {
        fn drop(&mut self) {
            self.0.store(usize::MAX, Ordering::SeqCst);
        }
    }
    std::thread::scope(|s| {
        let _unblock = Unblock(&merged);
        let worker = s.spawn(|| {
            for i in 0..ROUNDS {
                while merged.load(Ordering::SeqCst) < i {
                    std::thread::yield_now();
                }
                let ty = RuntimeTypeBuilder::new(format!("c_abi.churn.{}", i % 4))
                    .layout(8, 8)
                    .register()
                    .unwrap();
                let obj = ty.new_object(|_| {}).unwrap();
                // SAFETY: `obj` is live; a plain query.
                let is = unsafe { rcobj_c_is_instance_of(header_of(&obj), ty.index()) };
                assert_eq!(is, 1);
                assert!(ty.unregister());
                drop((ty, obj));
                rcobj::merge_thread_counts();
                rounds.store(i + 1, Ordering::SeqCst);
            }
        });
        let h = header_of(&any);
        let mut p = 0;
        while p < ROUNDS && !(worker.is_finished() && rounds.load(Ordering::SeqCst) <= p) {
            for index in FIRST_DYNAMIC_INDEX..FIRST_DYNAMIC_INDEX + 64 {
                // SAFETY: `any` is live; plain queries that read no key bytes.
                unsafe {
                    assert_eq!(rcobj_c_is_instance_of(h, index), i32::from(index == own));
                    assert!(rcobj_c_type_key_found(index) >= 0);
                }
            }
            let found = rcobj_c_index(c"c_abi.churn.1");
            assert!(found == TYPE_INDEX_NONE || found >= FIRST_DYNAMIC_INDEX);
            if rounds.load(Ordering::SeqCst) > p {
                rcobj::merge_thread_counts();
                p += 1;
                merged.store(p, Ordering::SeqCst);
            } else {
                // Let the worker run (valgrind runs one thread at a time).
                std::thread::yield_now();
            }
        }
        worker.join().expect("the worker");
        assert_eq!(p, ROUNDS);
    });
    drop(any);
}

/// `rcobj_is_instance_of` is O(1): it reads the target's depth from the registry's depth
/// table and compares the object's ancestor there. A depth left behind by a released
/// runtime type (its slot reused or not) only names an ancestor with another index.
#[test]
fn c_instance_checks_use_the_depth_table_and_ignore_stale_depths() {
    let is = |o: &AnyObj, index: i32| {
        // SAFETY: a live header, held by `o`.
        unsafe { rcobj::c_api::rcobj_is_instance_of(Obj::header(o), index) }
    };
    let square: AnyObj = Obj::new(Square::new("sq", 1.0)).upcast();
    for (index, expected) in [
        (ANY_OBJECT_INDEX, 1),
        (index_of::<Shape>(), 1),
        (index_of::<Polygon>(), 1),
        (index_of::<Square>(), 1),
        (index_of::<Probe>(), 0),
    ] {
        assert_eq!(is(&square, index), expected, "index {index}");
    }
    let polygon = || Polygon {
        shape: Shape { name: "p".into() },
        sides: 3,
    };

    // Runtime types at depths 2 and 3, beside `Polygon` and `Square`, released, then others
    // in their slots (the registry reuses released slots without the `tvm-ffi` feature).
    let mut stale = Vec::new();
    for round in 0..2 {
        let mid = RuntimeTypeBuilder::new(format!("c_abi.depth.Mid{round}"))
            .parent::<Shape>()
            .layout(std::mem::size_of::<Shape>() + 8, 8)
            .register()
            .unwrap();
        let deep = RuntimeTypeBuilder::new(format!("c_abi.depth.Deep{round}"))
            .parent::<Polygon>()
            .layout(std::mem::size_of::<Polygon>() + 8, 8)
            .register()
            .unwrap();
        assert_eq!((mid.info().depth(), deep.info().depth()), (2, 3));
        let m = mid
            .new_object_with_base(Shape { name: "m".into() }, |_| {})
            .unwrap();
        let d = deep.new_object_with_base(polygon(), |_| {}).unwrap();
        assert_eq!(is(&m, mid.index()), 1);
        assert_eq!(is(&m, index_of::<Shape>()), 1);
        assert_eq!(is(&m, index_of::<Polygon>()), 0, "a sibling");
        assert_eq!(is(&m, deep.index()), 0, "deeper than the object");
        for (index, expected) in [
            (deep.index(), 1),
            (index_of::<Polygon>(), 1),
            (index_of::<Shape>(), 1),
            (index_of::<Square>(), 0),
            (mid.index(), 0),
        ] {
            assert_eq!(is(&d, index), expected, "index {index}");
        }
        assert_eq!(
            is(&square, mid.index()),
            0,
            "a type at depth 2 beside `Polygon`"
        );
        assert_eq!(
            is(&square, deep.index()),
            0,
            "a type at depth 3 beside `Square`"
        );
        for s in &stale {
            assert_eq!(is(&square, *s), 0, "a released type's index {s}");
            assert_eq!(is(&m, *s), i32::from(*s == mid.index()));
            assert_eq!(is(&d, *s), i32::from(*s == deep.index()));
        }
        stale.extend([mid.index(), deep.index()]);
        drop((m, d));
        assert!(mid.unregister() && deep.unregister());
    }
    for s in &stale {
        assert_eq!(is(&square, *s), 0);
    }
}
