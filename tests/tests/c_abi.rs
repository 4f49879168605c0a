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
use std::sync::atomic::Ordering;

// The crate's library also links the C side that `build.rs` compiles.
use rcobj_tests::{frees, probe, rcobj_c_obj_new, watch, CCounters, CountingAlloc, Probe};

use rcobj::{
    AnyObj, AnyObject, Deleter, Obj, ObjectHeader, WeakObj, ANY_OBJECT_INDEX, BOTH_ONE,
    DELETER_BOTH, DELETER_STRONG, DELETER_WEAK, FIRST_DYNAMIC_INDEX, MAX_COUNT, STRONG_ONE,
    WEAK_ONE,
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
