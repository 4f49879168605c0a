//! Object types and helpers shared by the integration tests. They live in a crate of their
//! own, so every test also exercises hierarchies and upcasts that cross a crate boundary.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rcobj::Object;

pub mod reflect;

/// A root type.
#[derive(Object, Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[object(key = "tests.Shape")]
pub struct Shape {
    /// A name.
    pub name: String,
}

/// A child of [`Shape`], not final.
#[derive(Object, Debug, Clone, PartialEq)]
#[repr(C)]
#[object(key = "tests.Polygon")]
pub struct Polygon {
    /// The parent.
    #[parent]
    pub shape: Shape,
    /// Number of corners.
    pub sides: u32,
}

/// A grandchild of [`Shape`], final.
#[derive(Object, Debug, Clone, PartialEq)]
#[repr(C)]
#[object(key = "tests.Square", final)]
pub struct Square {
    /// The parent.
    #[parent]
    pub polygon: Polygon,
    /// Side length.
    pub side: f64,
}

impl Square {
    /// A square with the given name and side.
    pub fn new(name: &str, side: f64) -> Square {
        Square {
            polygon: Polygon {
                shape: Shape { name: name.into() },
                sides: 4,
            },
            side,
        }
    }
}

/// Counts how often values were dropped.
#[derive(Clone, Default, Debug)]
pub struct DropCounter(Arc<AtomicUsize>);

impl DropCounter {
    /// A new counter at zero.
    pub fn new() -> DropCounter {
        DropCounter::default()
    }

    /// Drops so far.
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// A value that records its drop in a [`DropCounter`].
#[derive(Object, Debug)]
#[object(key = "tests.Tracked")]
pub struct Tracked {
    /// Payload.
    pub id: u64,
    /// Where the drop is recorded.
    pub drops: DropCounter,
}

impl Tracked {
    /// A tracked value.
    pub fn new(id: u64, drops: &DropCounter) -> Tracked {
        Tracked {
            id,
            drops: drops.clone(),
        }
    }
}

impl Clone for Tracked {
    fn clone(&self) -> Self {
        Tracked::new(self.id, &self.drops)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.0.fetch_add(1, Ordering::SeqCst);
    }
}

std::thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
    static FREES: Cell<usize> = const { Cell::new(0) };
    static LIVE_BYTES: Cell<isize> = const { Cell::new(0) };
    static WATCHED: Cell<usize> = const { Cell::new(0) };
    static WATCHED_FREES: Cell<u32> = const { Cell::new(0) };
}

/// A global allocator that counts, per thread, allocations and frees made by that thread,
/// and how often one watched block is freed (see [`watch`]). Install it with
/// `#[global_allocator] static A: CountingAlloc = CountingAlloc;`.
pub struct CountingAlloc;

// SAFETY: forwards to `System` unchanged; the bookkeeping only touches const-initialised
// thread-locals without destructors, which never allocate.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        let _ = LIVE_BYTES.try_with(|c| c.set(c.get() + layout.size() as isize));
        // SAFETY: same contract as ours.
        let p = unsafe { System.alloc(layout) };
        // The address was handed out again, so it had been freed: stop watching it.
        let _ = WATCHED.try_with(|w| {
            if w.get() == p as usize {
                w.set(0);
            }
        });
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = FREES.try_with(|c| c.set(c.get() + 1));
        let _ = LIVE_BYTES.try_with(|c| c.set(c.get() - layout.size() as isize));
        let _ = WATCHED.try_with(|w| {
            if w.get() == ptr as usize {
                WATCHED_FREES.with(|f| f.set(f.get() + 1));
            }
        });
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Starts counting, on this thread, the frees of the block at `p` (with [`CountingAlloc`]
/// installed).
pub fn watch<T>(p: *const T) {
    WATCHED.with(|w| w.set(p as usize));
    WATCHED_FREES.with(|f| f.set(0));
}

/// How often the watched block was freed on this thread since [`watch`].
pub fn frees() -> u32 {
    WATCHED_FREES.with(Cell::get)
}

/// A Rust object that counts its destructions (for the C and tvm-ffi interop tests).
#[derive(Object)]
#[object(key = "tests.Probe")]
pub struct Probe {
    /// Payload.
    pub id: u64,
    /// Destructions so far.
    pub drops: Arc<std::sync::atomic::AtomicU32>,
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
    }
}

/// A new probe object and its drop counter.
pub fn probe(id: u64) -> (rcobj::Obj<Probe>, Arc<std::sync::atomic::AtomicU32>) {
    let drops = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let o = rcobj::Obj::new(Probe {
        id,
        drops: drops.clone(),
    });
    (o, drops)
}

/// This thread's allocation counters: `(allocations, frees, live bytes)`.
pub fn alloc_stats() -> (usize, usize, isize) {
    (
        ALLOCS.with(Cell::get),
        FREES.with(Cell::get),
        LIVE_BYTES.with(Cell::get),
    )
}

/// `rcobj_c_counters` of `tests/c/rcobj_test.c`: what the deleter of C objects saw.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct CCounters {
    /// Objects created by C.
    pub created: i64,
    /// Strong phases run.
    pub destroyed: i64,
    /// Weak phases run (blocks freed).
    pub freed: i64,
    /// Protocol violations the deleter noticed.
    pub violations: i64,
    /// The flags of the first eight deleter calls.
    pub flags_log: [i32; 8],
    /// Deleter calls.
    pub n_calls: i32,
}

impl CCounters {
    /// The flags of the deleter calls so far (the first eight).
    pub fn flags(&self) -> &[i32] {
        &self.flags_log[..self.n_calls.clamp(0, 8) as usize]
    }
}

#[cfg(not(any(miri, loom)))]
extern "C" {
    /// A C object (`tests/c/rcobj_test.c`) holding `value`, whose deleter records into
    /// `counters`; the caller owns its one strong reference.
    pub fn rcobj_c_obj_new(value: i64, counters: *mut CCounters) -> *mut rcobj::ObjectHeader;
}

/// The README's example, compiled and run as a doc test.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
