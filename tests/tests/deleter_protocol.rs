//! The object header and the deleter protocol, driven by hand as C code would: read the
//! fields at their ABI offsets, update the packed word with atomics, call the deleter.

use std::ffi::c_void;
use std::sync::atomic::{AtomicU64, Ordering};

use rcobj::{
    AnyObj, Deleter, Obj, Object, ObjectHeader, BOTH_ONE, DELETER_BOTH, DELETER_STRONG,
    DELETER_WEAK, STRONG_ONE, WEAK_ONE,
};
use rcobj_tests::{alloc_stats, CountingAlloc, DropCounter, Tracked};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

#[derive(Object)]
#[object(key = "tests.protocol.Probe")]
struct Probe(Tracked);

/// The fields of a header, read at the offsets a C compiler would use.
unsafe fn read_fields(p: *mut ObjectHeader) -> (u64, i32, u32, Option<Deleter>) {
    let base = p.cast::<u8>();
    // SAFETY: the caller passes a live header; offsets are the frozen ABI.
    unsafe {
        (
            (*base.cast::<AtomicU64>()).load(Ordering::Acquire),
            base.add(8).cast::<i32>().read(),
            base.add(12).cast::<u32>().read(),
            base.add(16).cast::<Option<Deleter>>().read(),
        )
    }
}

#[test]
fn layout_matches_tvm_ffi() {
    assert_eq!(std::mem::size_of::<ObjectHeader>(), 24);
    assert_eq!(std::mem::align_of::<ObjectHeader>(), 8);
    assert_eq!((DELETER_STRONG, DELETER_WEAK, DELETER_BOTH), (1, 2, 3));
    assert_eq!(
        (STRONG_ONE, WEAK_ONE, BOTH_ONE),
        (1, 1 << 32, (1 << 32) + 1)
    );
    assert_eq!(rcobj::value_offset::<Tracked>(), 24);
}

#[test]
fn fields_at_their_offsets() {
    let drops = DropCounter::new();
    let o = Obj::new(Tracked::new(1, &drops));
    let w = Obj::downgrade(&o);
    let p = Obj::into_raw(o.clone());
    // SAFETY: `p` is live (we hold `o`).
    let (word, index, padding, deleter) = unsafe { read_fields(p) };
    assert_eq!(word, 2 * STRONG_ONE + 2 * WEAK_ONE);
    assert_eq!(index, Tracked::type_info().index());
    assert_eq!(padding, 0);
    assert!(deleter.is_some());
    // SAFETY: hand the reference back.
    drop(unsafe { Obj::<Tracked>::from_raw(p) });
    drop(w);
}

#[test]
fn strong_then_weak_by_hand() {
    let drops = DropCounter::new();
    let o = Obj::new(Tracked::new(2, &drops));
    let (a0, f0, _) = alloc_stats();
    let p = Obj::into_raw(o);
    // SAFETY: `p` is live and we own its only reference.
    let (_, _, _, deleter) = unsafe { read_fields(p) };
    let deleter = deleter.unwrap();
    // As C would: strong reached zero with an external weak ref still around.
    // SAFETY: the object is live and its strong phase has not run.
    unsafe { deleter(p.cast::<c_void>(), DELETER_STRONG) };
    assert_eq!(drops.get(), 1, "STRONG drops the value");
    assert_eq!(alloc_stats().1, f0, "STRONG keeps the memory");
    // SAFETY: the memory is still there: the header is readable.
    let (_, index, _, _) = unsafe { read_fields(p) };
    assert_eq!(index, Tracked::type_info().index());
    // SAFETY: the weak phase runs once, after the strong phase.
    unsafe { deleter(p.cast::<c_void>(), DELETER_WEAK) };
    assert_eq!(drops.get(), 1, "WEAK does not drop again");
    let (a1, f1, _) = alloc_stats();
    assert_eq!((a1 - a0, f1 - f0), (0, 1), "WEAK frees");
}

#[test]
fn both_at_once_by_hand() {
    let drops = DropCounter::new();
    let o = Obj::new(Probe(Tracked::new(9, &drops)));
    assert_eq!(o.0.id, 9);
    let (_, f0, _) = alloc_stats();
    let p = Obj::into_raw(o);
    // SAFETY: live, our only reference.
    let deleter = unsafe { read_fields(p) }.3.unwrap();
    // SAFETY: neither phase ran.
    unsafe { deleter(p.cast::<c_void>(), DELETER_BOTH) };
    assert_eq!(alloc_stats().1 - f0, 1);
    assert_eq!(drops.get(), 1);
    assert_eq!(Probe::type_info().live_count(), 0);
}

#[test]
fn foreign_count_updates_are_honoured() {
    let drops = DropCounter::new();
    let o = Obj::new(Tracked::new(3, &drops));
    let p = Obj::into_raw(o);
    // SAFETY: the word is at offset 0 and atomic in the ABI.
    let word = unsafe { &*p.cast::<AtomicU64>() };
    // C takes a strong and a weak reference (as TVMFFIObjectIncRef would).
    word.fetch_add(STRONG_ONE, Ordering::Relaxed);
    word.fetch_add(WEAK_ONE, Ordering::Relaxed);
    // SAFETY: two strong references exist; we take ownership of them one at a time.
    let a: AnyObj = unsafe { Obj::from_raw(p) };
    // SAFETY: as above.
    let b: AnyObj = unsafe { Obj::from_raw(p) };
    assert_eq!(Obj::strong_count(&a), 2);
    assert_eq!(Obj::weak_count(&a), 1);
    drop((a, b));
    assert_eq!(drops.get(), 1, "value dropped by the last strong release");
    // C drops its weak reference, as C would: the last one calls the deleter with WEAK.
    let old = word.fetch_sub(WEAK_ONE, Ordering::Release);
    assert_eq!(old, WEAK_ONE, "only C's weak reference was left");
    std::sync::atomic::fence(Ordering::Acquire);
    // SAFETY: weak count reached zero; the weak phase has not run.
    let deleter = unsafe { read_fields(p) }.3.unwrap();
    let (_, f0, _) = alloc_stats();
    // SAFETY: as above.
    unsafe { deleter(p.cast::<c_void>(), DELETER_WEAK) };
    assert_eq!(alloc_stats().1 - f0, 1);
}

unsafe extern "C" fn foreign_deleter(obj: *mut c_void, flags: i32) {
    FLAGS.with(|f| f.borrow_mut().push(flags));
    if flags & DELETER_WEAK != 0 {
        // SAFETY: allocated below with this layout.
        unsafe { std::alloc::dealloc(obj.cast(), std::alloc::Layout::new::<ObjectHeader>()) };
    }
}

std::thread_local! {
    static FLAGS: std::cell::RefCell<Vec<i32>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn foreign_object() -> AnyObj {
    let layout = std::alloc::Layout::new::<ObjectHeader>();
    // SAFETY: non-zero size.
    let p = unsafe { std::alloc::alloc(layout) }.cast::<ObjectHeader>();
    // SAFETY: fresh allocation of the right layout.
    unsafe { p.write(ObjectHeader::new(7, Some(foreign_deleter))) };
    // SAFETY: a live object with one strong reference, handed over.
    unsafe { Obj::from_raw(p) }
}

#[test]
fn foreign_deleter_gets_exactly_the_protocol_flags() {
    FLAGS.with(|f| f.borrow_mut().clear());
    let a = foreign_object();
    assert_eq!(
        Obj::type_info(&a).key(),
        "rcobj.Object",
        "unknown index: the root"
    );
    assert!(!a.is::<Tracked>());
    drop(a.clone());
    drop(a);
    assert_eq!(FLAGS.with(|f| f.borrow().clone()), [DELETER_BOTH]);

    FLAGS.with(|f| f.borrow_mut().clear());
    let a = foreign_object();
    let w = Obj::downgrade(&a);
    drop(a);
    assert_eq!(FLAGS.with(|f| f.borrow().clone()), [DELETER_STRONG]);
    assert!(w.upgrade().is_none());
    drop(w);
    assert_eq!(
        FLAGS.with(|f| f.borrow().clone()),
        [DELETER_STRONG, DELETER_WEAK]
    );
}
