//! loom models of every count transition and of the per-thread slot merge.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p rcobj --test loom --release -- --nocapture
//! ```
//!
//! Each model prints how many interleavings loom explored and how long it took. Set
//! `LOOM_MAX_PREEMPTIONS` to bound the search when experimenting; by default every model
//! is explored exhaustively.
//!
//! # How the models observe the runtime
//!
//! * The value ([`Payload`]) keeps its data in a `loom::cell::UnsafeCell`: handle holders
//!   read it, `get_mut` / `make_mut` write it, and its `Drop` writes a tombstone. loom
//!   reports any access not ordered by happens-before against the others, so a missing
//!   Release or Acquire anywhere on the release paths fails the model.
//! * A probe object ([`probe_obj`]) is laid out exactly as `ObjCell<T>` but carries a
//!   probe deleter. It checks each call against the packed word (strong 0 for the strong
//!   phase, everything 0 for the weak phase), counts the phases, runs the runtime's own
//!   deleter for the strong phase, and instead of freeing the block it writes a poisoned
//!   header and frees the block when the model ends, after checking that nobody touched
//!   the poisoned word: a use after free changes it.
//! * Outcomes that depend on the interleaving (an upgrade won or lost, `BOTH` or
//!   `STRONG` + `WEAK`) are recorded across executions, and each model asserts that loom
//!   reached every one of them.
#![cfg(loom)]

use core::ffi::c_void;
use core::ptr;
use std::any::Any;
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool as StdAtomicBool, AtomicUsize as StdAtomicUsize};
use std::time::Instant;

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::Mutex;
use loom::thread;
use rcobj::{
    Deleter, Obj, Object, ObjectHeader, WeakObj, BOTH_ONE, DELETER_BOTH, DELETER_STRONG,
    DELETER_WEAK, FIRST_DYNAMIC_INDEX, THREAD_SLOTS, WEAK_ONE,
};

const FRESH: u64 = 1;
const DEAD: u64 = 0xDEAD;
/// The type index a freed probe block is poisoned with.
const POISON_INDEX: i32 = -99;

// ---------------------------------------------------------------------------------------
// Test types and per-execution state.
// ---------------------------------------------------------------------------------------

/// The value of most models: loom-tracked data, a tombstone on drop.
#[derive(Object)]
#[object(key = "loom.Payload")]
struct Payload {
    data: UnsafeCell<u64>,
}

// SAFETY: the data is only reached through loom's `UnsafeCell`, which checks every access
// against happens-before; a concurrent write the runtime failed to order fails the model.
unsafe impl Sync for Payload {}

impl Payload {
    fn new() -> Payload {
        Payload {
            data: UnsafeCell::new(FRESH),
        }
    }

    /// Reads the data through a handle that keeps the value alive.
    fn read(&self) -> u64 {
        // SAFETY: loom checks that no write races with this read.
        let v = self.data.with(|p| unsafe { *p });
        assert_ne!(v, DEAD, "read a dropped value");
        v
    }

    /// Writes the data through a unique handle.
    fn write(&mut self, v: u64) {
        // SAFETY: loom checks that no access races with this write.
        self.data.with_mut(|p| unsafe {
            assert_ne!(*p, DEAD, "wrote a dropped value");
            *p = v;
        });
    }
}

impl Clone for Payload {
    fn clone(&self) -> Payload {
        STATE.clones.fetch_add(1, Ordering::Relaxed);
        Payload {
            data: UnsafeCell::new(self.read()),
        }
    }
}

impl Drop for Payload {
    fn drop(&mut self) {
        // SAFETY: loom checks that every read through another handle happened before.
        self.data.with_mut(|p| unsafe {
            assert_ne!(*p, DEAD, "value dropped twice");
            *p = DEAD;
        });
        STATE.drops.fetch_add(1, Ordering::Relaxed);
    }
}

/// The type of the live-count models (created with `Obj::new`, so counted in slots).
#[derive(Object)]
#[object(key = "loom.Counted")]
struct Counted(#[allow(dead_code)] u32);

/// What the probe deleter and `Payload` saw in one execution.
struct State {
    drops: AtomicUsize,
    clones: AtomicUsize,
    strong_calls: AtomicUsize,
    weak_calls: AtomicUsize,
    both_calls: AtomicUsize,
    /// The model calls the deleter itself with the word still at strong 1 + weak 1.
    zero_rmw: AtomicBool,
    /// The model may move the value out (`try_unwrap`, `into_inner`, `make_mut`), so the
    /// weak phase may come without a strong phase.
    may_move_out: AtomicBool,
    /// Poisoned blocks, freed when the model ends: (address, the runtime's deleter).
    freed: Mutex<Vec<(usize, Deleter)>>,
    /// Touched by [`step`] only.
    steps: AtomicUsize,
}

loom::lazy_static! {
    static ref STATE: State = State {
        drops: AtomicUsize::new(0),
        clones: AtomicUsize::new(0),
        strong_calls: AtomicUsize::new(0),
        weak_calls: AtomicUsize::new(0),
        both_calls: AtomicUsize::new(0),
        zero_rmw: AtomicBool::new(false),
        may_move_out: AtomicBool::new(false),
        freed: Mutex::new(Vec::new()),
        steps: AtomicUsize::new(0),
    };
}

// ---------------------------------------------------------------------------------------
// The probe object.
// ---------------------------------------------------------------------------------------

/// Laid out as `ObjCell<T>` (`#[repr(C)]` header, then value).
#[repr(C)]
struct ProbeCell<T> {
    header: ObjectHeader,
    value: T,
}

/// An object whose deleter is [`probe_deleter`].
fn probe_obj<T: Object>(value: T) -> Obj<T> {
    let cell = Box::new(ProbeCell {
        header: ObjectHeader::new(T::type_info().index(), Some(probe_deleter::<T>)),
        value,
    });
    // SAFETY: a fresh block laid out as `ObjCell<T>` whose real type is `T`, strong 1 +
    // weak 1; we hand its one strong reference to the handle. Its layout equals
    // `ObjCell<T>`'s, so the runtime's deleter may free it.
    unsafe { Obj::from_raw(Box::into_raw(cell).cast()) }
}

std::thread_local! {
    /// A panic raised inside the probe deleter, which cannot unwind through `extern "C"`;
    /// resumed when the model ends. (All loom threads of a model run on one OS thread.)
    static PROBE_PANIC: RefCell<Option<Box<dyn Any + Send>>> = const { RefCell::new(None) };
}

/// Resumes a panic the probe deleter caught.
fn resume_probe_panic() {
    if let Some(p) = PROBE_PANIC.with(|p| p.borrow_mut().take()) {
        panic::resume_unwind(p);
    }
}

/// A foreign-style deleter: checks each phase against the word and what ran before, drops
/// the value for the strong phase, and poisons the header instead of freeing the block.
unsafe extern "C" fn probe_deleter<T: Object>(obj: *mut c_void, flags: i32) {
    // SAFETY: forwarded from our caller.
    let result = panic::catch_unwind(AssertUnwindSafe(|| unsafe { probe_phase::<T>(obj, flags) }));
    if let Err(p) = result {
        PROBE_PANIC.with(|slot| {
            slot.borrow_mut().get_or_insert(p);
        });
    }
}

/// # Safety
///
/// As for a deleter: `obj` is a live probe block and `flags` a phase that has not run.
unsafe fn probe_phase<T: Object>(obj: *mut c_void, flags: i32) {
    let header = obj.cast::<ObjectHeader>();
    // SAFETY: the block is live until the weak phase, which only poisons it.
    let word = unsafe { (*header).load_combined(Ordering::Relaxed) };
    let st = &*STATE;
    let zero_rmw = st.zero_rmw.load(Ordering::Relaxed);
    let may_move_out = st.may_move_out.load(Ordering::Relaxed);
    let strong_before = st.strong_calls.load(Ordering::Relaxed);
    let weak_before = st.weak_calls.load(Ordering::Relaxed);
    let both_before = st.both_calls.load(Ordering::Relaxed);
    match flags {
        DELETER_STRONG => {
            assert_eq!(word as u32, 0, "strong phase with strong references left");
            assert!(
                word >> 32 >= 1,
                "strong phase without the implicit weak reference"
            );
            assert_eq!(
                strong_before + weak_before + both_before,
                0,
                "strong phase twice"
            );
            st.strong_calls.fetch_add(1, Ordering::Relaxed);
        }
        DELETER_WEAK => {
            assert_eq!(word, 0, "weak phase with references left");
            assert_eq!(weak_before + both_before, 0, "memory freed twice");
            // Visible by coherence iff the strong phase happened before this one.
            assert!(
                strong_before == 1 || may_move_out,
                "weak phase not after the strong phase"
            );
            st.weak_calls.fetch_add(1, Ordering::Relaxed);
        }
        DELETER_BOTH => {
            // The last strong decrement left the implicit weak reference in the word; nobody
            // else can take it. The zero-RMW candidate decremented nothing.
            assert!(
                word == WEAK_ONE || (zero_rmw && word == BOTH_ONE),
                "both phases with references left: {word:#x}"
            );
            assert_eq!(
                strong_before + weak_before + both_before,
                0,
                "deleter reentered"
            );
            st.both_calls.fetch_add(1, Ordering::Relaxed);
        }
        other => panic!("deleter called with flags {other}"),
    }
    if flags & DELETER_STRONG != 0 {
        // SAFETY: the strong phase of a live `ObjCell<T>`-shaped block runs once; no
        // reference to the block spans the header.
        unsafe { ptr::drop_in_place(ptr::addr_of_mut!((*obj.cast::<ProbeCell<T>>()).value)) };
    }
    if flags & DELETER_WEAK != 0 {
        // SAFETY: the last reference is gone; overwrite the header so that any later access
        // through a stale handle shows up as a changed word.
        unsafe { ptr::write(header, ObjectHeader::new(POISON_INDEX, None)) };
        st.freed
            .lock()
            .unwrap()
            .push((obj as usize, rcobj::deleter::<T> as Deleter));
    }
}

/// The deleter calls one execution made.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
struct Phases {
    strong: usize,
    weak: usize,
    both: usize,
}

const BOTH: Phases = Phases {
    strong: 0,
    weak: 0,
    both: 1,
};
const SPLIT: Phases = Phases {
    strong: 1,
    weak: 1,
    both: 0,
};

/// After every thread joined: checks that no freed block was touched, frees them, and
/// returns the phases the deleter ran.
fn finish() -> Phases {
    resume_probe_panic();
    let st = &*STATE;
    for (addr, free) in st.freed.lock().unwrap().drain(..) {
        let header = addr as *const ObjectHeader;
        // SAFETY: poisoned blocks stay allocated until here.
        let (word, index) = unsafe {
            (
                (*header).load_combined(Ordering::Relaxed),
                (*header).type_index(),
            )
        };
        assert_eq!(index, POISON_INDEX);
        assert_eq!(
            word, BOTH_ONE,
            "a freed object's count word was used after the free"
        );
        // SAFETY: the weak phase of the runtime's deleter frees the `ObjCell<T>` block; the
        // value was dropped (or moved out) before the block was poisoned.
        unsafe { free(addr as *mut c_void, DELETER_WEAK) };
    }
    Phases {
        strong: st.strong_calls.load(Ordering::Relaxed),
        weak: st.weak_calls.load(Ordering::Relaxed),
        both: st.both_calls.load(Ordering::Relaxed),
    }
}

// ---------------------------------------------------------------------------------------
// Running a model.
// ---------------------------------------------------------------------------------------

/// Outcomes seen across the executions of one model.
struct Seen<const N: usize>([StdAtomicBool; N]);

impl<const N: usize> Seen<N> {
    const fn new() -> Self {
        Seen([const { StdAtomicBool::new(false) }; N])
    }
    fn mark(&self, i: usize) {
        self.0[i].store(true, std::sync::atomic::Ordering::Relaxed);
    }
    fn assert_all(&self, what: &str) {
        for (i, s) in self.0.iter().enumerate() {
            assert!(
                s.load(std::sync::atomic::Ordering::Relaxed),
                "{what}: outcome {i} never reached"
            );
        }
    }
}

/// A scheduling point between two operations of a model thread.
///
/// loom 0.7's partial-order reduction remembers only the last access to each atomic, so a
/// load can hide an earlier load by another thread from a later read-modify-write
/// (tokio-rs/loom#166, #392): e.g. it never schedules an `upgrade` (load, then CAS) before
/// another thread's load. A relaxed RMW on one shared counter makes every step depend on
/// every other thread's steps, so loom explores every order of the steps, while adding no
/// happens-before edge (no Release, no Acquire) that could hide a race.
fn step() {
    STATE.steps.fetch_add(1, Ordering::Relaxed);
}

/// Spawns a model thread that ends as a real thread does: its instance-count slots are
/// merged before `join` returns (loom's `join` does not wait for thread-local destructors).
fn spawn<R: 'static>(f: impl FnOnce() -> R + 'static) -> thread::JoinHandle<R> {
    thread::spawn(move || {
        step();
        let r = f();
        step();
        rcobj::__private::loom_thread_exit();
        r
    })
}

/// Runs `body` under loom on a spawned thread (the main model thread's thread-locals are
/// torn down after loom drops its statics, so objects are never counted on it) and prints
/// the number of interleavings explored. Exhaustive.
fn model<F>(name: &str, body: F)
where
    F: Fn() + Send + Sync + 'static,
{
    bounded_model(name, None, body)
}

/// As [`model`], with at most `bound` preemptions per execution (unless
/// `LOOM_MAX_PREEMPTIONS` says otherwise): for models with three worker threads.
fn bounded_model<F>(name: &str, bound: Option<usize>, body: F)
where
    F: Fn() + Send + Sync + 'static,
{
    let executions = std::sync::Arc::new(StdAtomicUsize::new(0));
    let count = executions.clone();
    let body = std::sync::Arc::new(body);
    let start = Instant::now();
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = bound;
    }
    builder.check(move || {
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let body = body.clone();
        thread::spawn(move || {
            // Create the per-execution statics before any worker exists, so their lazy
            // initialisation adds no happens-before edge between workers.
            let _ = &*STATE;
            let _ = rcobj::registered_threads();
            let _ = Payload::type_info().live_count();
            body();
            rcobj::__private::loom_thread_exit();
            resume_probe_panic();
        })
        .join()
        .unwrap();
    });
    let bound = builder
        .preemption_bound
        .map_or(String::new(), |b| format!(" (at most {b} preemptions)"));
    eprintln!(
        "loom model {name}: {} interleavings in {:.2?}{bound}",
        executions.load(std::sync::atomic::Ordering::Relaxed),
        start.elapsed()
    );
}

// ---------------------------------------------------------------------------------------
// The models.
// ---------------------------------------------------------------------------------------

/// Two threads drop the last two strong handles at once: exactly one runs the deleter,
/// once, with `BOTH` (no weak reference exists), after both threads' reads.
#[test]
fn last_strong_release_race() {
    model("last_strong_release_race", || {
        let a = probe_obj(Payload::new());
        let b = a.clone();
        let t = spawn(move || {
            a.read();
            step();
            drop(a);
        });
        b.read();
        step();
        drop(b);
        t.join().unwrap();
        assert_eq!(finish(), BOTH);
        assert_eq!(STATE.drops.load(Ordering::Relaxed), 1);
    });
}

/// The last strong release races an upgrade that drops its weak handle before its strong
/// one: the upgrade either fails (the value is gone) or keeps the value alive; the value
/// is dropped once, after every read, and the deleter runs `BOTH` or `STRONG` + `WEAK`.
#[test]
fn last_strong_release_vs_upgrade() {
    static SEEN: Seen<4> = Seen::new();
    model("last_strong_release_vs_upgrade", || {
        let a = probe_obj(Payload::new());
        let w = Obj::downgrade(&a);
        let t = spawn(move || {
            a.read();
            step();
            drop(a);
        });
        let upgraded = w.upgrade();
        if let Some(s) = &upgraded {
            s.read();
        }
        step();
        drop(w);
        step();
        let won = upgraded.is_some();
        drop(upgraded);
        t.join().unwrap();
        let phases = finish();
        assert!(phases == BOTH || phases == SPLIT, "{phases:?}");
        assert_eq!(STATE.drops.load(Ordering::Relaxed), 1);
        if !won {
            // The strong half was 0 when the upgrade looked, with our weak alive.
            assert_eq!(phases, SPLIT);
        }
        SEEN.mark(usize::from(won));
        SEEN.mark(2 + usize::from(phases == BOTH));
    });
    SEEN.assert_all("last_strong_release_vs_upgrade");
}

/// The last strong and the last weak handle are dropped at once. The deleter runs once per
/// phase; `BOTH` exactly when the weak drop happened before the last strong decrement, and
/// `STRONG` then `WEAK` (the weak phase on the weak dropper's thread) exactly when the
/// strong drop happened before the weak one.
#[test]
fn last_strong_vs_last_weak() {
    static SEEN: Seen<2> = Seen::new();
    model("last_strong_vs_last_weak", || {
        let a = probe_obj(Payload::new());
        let w = Obj::downgrade(&a);
        let weak_gone = std::sync::Arc::new(AtomicBool::new(false));
        let strong_gone = std::sync::Arc::new(AtomicBool::new(false));
        let (wg, sg) = (weak_gone.clone(), strong_gone.clone());
        let t = spawn(move || {
            let strong_was_gone = sg.load(Ordering::Acquire);
            step();
            drop(w);
            if strong_was_gone {
                // Our decrement took the weak count to zero: we ran the weak phase.
                assert_eq!(STATE.weak_calls.load(Ordering::Relaxed), 1);
                assert_eq!(STATE.strong_calls.load(Ordering::Relaxed), 1);
            }
            step();
            wg.store(true, Ordering::Release);
        });
        a.read();
        let weak_was_gone = weak_gone.load(Ordering::Acquire);
        step();
        drop(a);
        if weak_was_gone {
            assert_eq!(STATE.both_calls.load(Ordering::Relaxed), 1);
        }
        step();
        strong_gone.store(true, Ordering::Release);
        t.join().unwrap();
        let phases = finish();
        assert!(phases == BOTH || phases == SPLIT, "{phases:?}");
        assert_eq!(STATE.drops.load(Ordering::Relaxed), 1);
        SEEN.mark(usize::from(phases == BOTH));
    });
    SEEN.assert_all("last_strong_vs_last_weak");
}

/// `get_mut` races a thread that downgrades its strong handle, drops it and upgrades
/// again (rust-lang/rust#24880): `get_mut` may only succeed when no other handle of any
/// kind exists, so its write never races a read through the upgraded handle.
#[test]
fn downgrade_vs_get_mut() {
    static SEEN: Seen<2> = Seen::new();
    model("downgrade_vs_get_mut", || {
        let mut a = probe_obj(Payload::new());
        let b = a.clone();
        let t = spawn(move || {
            let w = Obj::downgrade(&b);
            step();
            drop(b);
            step();
            if let Some(u) = w.upgrade() {
                u.read();
                step();
            }
        });
        let unique = match Obj::get_mut(&mut a) {
            Some(v) => {
                v.write(7);
                true
            }
            None => false,
        };
        SEEN.mark(usize::from(unique));
        step();
        drop(a);
        t.join().unwrap();
        let phases = finish();
        assert!(phases == BOTH || phases == SPLIT, "{phases:?}");
        assert_eq!(STATE.drops.load(Ordering::Relaxed), 1);
    });
    SEEN.assert_all("downgrade_vs_get_mut");
}

/// `try_unwrap` races an upgrade: the two never hold the value at once. While the
/// upgraded handle lives, `try_unwrap` has not succeeded; once `try_unwrap` moved the value
/// out, no upgrade succeeds. The moved value is never read concurrently with its new
/// owner's write, no strong phase runs, and the memory is freed once by whichever side
/// drops the last weak reference.
#[test]
fn try_unwrap_vs_upgrade() {
    static SEEN: Seen<4> = Seen::new();
    model("try_unwrap_vs_upgrade", || {
        STATE.may_move_out.store(true, Ordering::Relaxed);
        let a = probe_obj(Payload::new());
        let w = Obj::downgrade(&a);
        let moved_out = std::sync::Arc::new(AtomicBool::new(false));
        let m = moved_out.clone();
        let t = spawn(move || {
            let up = w.upgrade();
            step();
            if let Some(u) = &up {
                assert_eq!(u.read(), FRESH);
                assert!(!m.load(Ordering::Acquire), "upgraded after try_unwrap");
            }
            step();
            drop(w);
            up.is_some()
        });
        let unwrapped = match Obj::try_unwrap(a) {
            Ok(mut v) => {
                moved_out.store(true, Ordering::Release);
                v.write(9);
                true
            }
            Err(a) => {
                a.read();
                step();
                false
            }
        };
        step();
        let upgraded = t.join().unwrap();
        SEEN.mark(2 + usize::from(upgraded));
        let phases = finish();
        if unwrapped {
            assert_eq!(
                phases,
                Phases {
                    strong: 0,
                    weak: 1,
                    both: 0
                }
            );
        } else {
            assert!(phases == BOTH || phases == SPLIT, "{phases:?}");
        }
        assert_eq!(STATE.drops.load(Ordering::Relaxed), 1);
        SEEN.mark(usize::from(unwrapped));
    });
    SEEN.assert_all("try_unwrap_vs_upgrade");
}

/// `make_mut` while another thread holds a weak handle and may upgrade it: in place when
/// nothing else is left, a clone when the upgrade holds a strong reference, otherwise the
/// value moves to a new object and the upgrade fails. Never a write racing a read; every
/// value (original and clones) dropped exactly once.
#[test]
fn make_mut_with_live_weak() {
    static SEEN: Seen<3> = Seen::new();
    model("make_mut_with_live_weak", || {
        STATE.may_move_out.store(true, Ordering::Relaxed);
        let mut a = probe_obj(Payload::new());
        let old = Obj::as_ptr(&a);
        let w = Obj::downgrade(&a);
        let t = spawn(move || {
            if let Some(u) = w.upgrade() {
                assert_eq!(u.read(), FRESH);
                step();
            }
            step();
            drop(w);
        });
        Obj::make_mut(&mut a).write(5);
        assert_eq!(a.read(), 5);
        let in_place = ptr::eq(Obj::as_ptr(&a), old);
        let cloned = STATE.clones.load(Ordering::Relaxed) == 1;
        SEEN.mark(if in_place {
            0
        } else if cloned {
            1
        } else {
            2
        });
        step();
        drop(a);
        t.join().unwrap();
        finish();
        let clones = STATE.clones.load(Ordering::Relaxed);
        assert_eq!(STATE.drops.load(Ordering::Relaxed), 1 + clones);
    });
    SEEN.assert_all("make_mut_with_live_weak");
}

fn counted_live() -> usize {
    Counted::type_info().live_count()
}

fn assert_counted_uses_slots() {
    let slot = (Counted::type_info().index() - FIRST_DYNAMIC_INDEX) as usize;
    assert!(slot < THREAD_SLOTS, "the model must exercise a thread slot");
}

/// A thread that created and destroyed instances exits, merging its slots into the shared
/// count, while another thread reads `live_count()`: once the exiting thread's operations
/// are done, every read is exact (never counted twice, never missed).
#[test]
fn slot_merge_at_exit_vs_live_count() {
    model("slot_merge_at_exit_vs_live_count", || {
        assert_counted_uses_slots();
        let x = Obj::new(Counted(0));
        let done = std::sync::Arc::new(AtomicBool::new(false));
        let d = done.clone();
        let t = spawn(move || {
            let kept = (Obj::new(Counted(1)), Obj::new(Counted(2)));
            step();
            drop(x);
            d.store(true, Ordering::Release);
            kept
        });
        step();
        if done.load(Ordering::Acquire) {
            assert_eq!(counted_live(), 2);
        }
        step();
        if done.load(Ordering::Acquire) {
            assert_eq!(counted_live(), 2);
        }
        let kept = t.join().unwrap();
        assert_eq!(counted_live(), 2);
        assert_eq!(rcobj::registered_threads(), 1);
        drop(kept);
        assert_eq!(counted_live(), 0);
    });
}

/// The same with an explicit `merge_thread_counts()` racing the reader, and a reader that
/// never counted anything itself.
#[test]
fn explicit_merge_vs_live_count() {
    model("explicit_merge_vs_live_count", || {
        assert_counted_uses_slots();
        let done = std::sync::Arc::new(AtomicBool::new(false));
        let d = done.clone();
        let t = spawn(move || {
            let kept = Obj::new(Counted(1));
            drop(Obj::new(Counted(2)));
            d.store(true, Ordering::Release);
            step();
            rcobj::merge_thread_counts();
            kept
        });
        step();
        if done.load(Ordering::Acquire) {
            assert_eq!(counted_live(), 1);
        }
        step();
        if done.load(Ordering::Acquire) {
            assert_eq!(counted_live(), 1);
        }
        let kept = t.join().unwrap();
        assert_eq!(counted_live(), 1);
        drop(kept);
        assert_eq!(counted_live(), 0);
    });
}

/// The zero-RMW release as DESIGN.md's fast path 2 describes it, with the load's ordering
/// as a parameter: one load decides that the handle is the only reference of any kind
/// (strong 1 + weak 1), and the deleter runs with `BOTH` without any read-modify-write.
/// Otherwise a normal release. (`Obj::drop` does this with an Acquire load.)
fn release_unshared_candidate<T: Object>(obj: Obj<T>, order: Ordering) {
    let header = Obj::header(&obj);
    if header.load_combined(order) == BOTH_ONE {
        let deleter = header.deleter().expect("a deleter");
        let raw = Obj::into_raw(obj);
        // SAFETY: strong 1 + weak 1 and we hold that strong reference: no other handle of
        // any kind exists, and a new one can only be made from an existing one, so the
        // object is ours alone; both phases run once.
        unsafe { deleter(raw.cast(), DELETER_BOTH) };
    } else {
        drop(obj);
    }
}

/// One thread releases its strong handle with `release` while another upgrades its weak
/// handle, reads, and drops both.
fn zero_rmw_model(name: &str, seen: &'static Seen<2>, release: fn(Obj<Payload>)) {
    model(name, move || {
        STATE.zero_rmw.store(true, Ordering::Relaxed);
        let a = probe_obj(Payload::new());
        let w = Obj::downgrade(&a);
        let t = spawn(move || {
            if let Some(u) = w.upgrade() {
                step();
                u.read();
                step();
            }
            step();
            drop(w);
        });
        a.read();
        step();
        release(a);
        t.join().unwrap();
        let phases = finish();
        assert!(phases == BOTH || phases == SPLIT, "{phases:?}");
        assert_eq!(STATE.drops.load(Ordering::Relaxed), 1);
        seen.mark(usize::from(phases == BOTH));
    });
    seen.assert_all(name);
}

/// The runtime's zero-RMW unshared release (`Obj::drop`: an Acquire load that sees
/// strong 1 + weak 1 releases without an RMW; a foreign deleter is handed the word a
/// decrementing release leaves) against a thread that upgrades its weak handle, reads, and
/// drops both. The load sees strong 1 + weak 1 only after the other thread's last
/// (Release) decrement, and then no handle is left from which an upgrade could start.
#[test]
fn zero_rmw_release_vs_upgrade() {
    static SEEN: Seen<2> = Seen::new();
    zero_rmw_model("zero_rmw_release_vs_upgrade", &SEEN, drop);
}

/// The same release through the runtime's own deleter (an object made by `Obj::new`, whose
/// value is dropped inline and whose block is freed at once): the value is dropped once,
/// after the other thread's reads, and the instance is counted out; loom reaches both a
/// won and a lost upgrade.
#[test]
fn zero_rmw_own_deleter_vs_upgrade() {
    static SEEN: Seen<2> = Seen::new();
    model("zero_rmw_own_deleter_vs_upgrade", || {
        let a = Obj::new(Payload::new());
        let w = Obj::downgrade(&a);
        let t = spawn(move || {
            let up = w.upgrade();
            let won = up.is_some();
            step();
            if let Some(u) = &up {
                u.read();
            }
            step();
            drop(up);
            step();
            drop(w);
            won
        });
        a.read();
        step();
        drop(a);
        let won = t.join().unwrap();
        assert_eq!(STATE.drops.load(Ordering::Relaxed), 1);
        assert_eq!(Payload::type_info().live_count(), 0);
        SEEN.mark(usize::from(won));
    });
    SEEN.assert_all("zero_rmw_own_deleter_vs_upgrade");
}

/// Control: the candidate with a relaxed load lets the destructor race the other thread's
/// read, and loom finds it: the Acquire is what the argument rests on, and the models
/// detect its absence.
#[test]
#[should_panic]
fn zero_rmw_release_with_relaxed_load_is_caught() {
    static SEEN: Seen<2> = Seen::new();
    zero_rmw_model("zero_rmw_relaxed_control", &SEEN, |a| {
        release_unshared_candidate(a, Ordering::Relaxed)
    });
}

/// The candidate with an Acquire load passes the same model (the runtime's path, modelled
/// through the public deleter pointer as C code would call it).
#[test]
fn zero_rmw_candidate_with_acquire_load() {
    static SEEN: Seen<2> = Seen::new();
    zero_rmw_model("zero_rmw_candidate_with_acquire_load", &SEEN, |a| {
        release_unshared_candidate(a, Ordering::Acquire)
    });
}

/// Racing `into_inner` on the last two handles: exactly one caller gets the value.
#[test]
fn into_inner_race() {
    model("into_inner_race", || {
        STATE.may_move_out.store(true, Ordering::Relaxed);
        let a = probe_obj(Payload::new());
        let b = a.clone();
        let t = spawn(move || Obj::into_inner(a).map(|mut v| v.write(3)));
        step();
        let mine = Obj::into_inner(b).map(|mut v| v.write(4));
        let theirs = t.join().unwrap();
        assert!(
            mine.is_some() != theirs.is_some(),
            "into_inner: {mine:?} / {theirs:?}"
        );
        let phases = finish();
        assert_eq!(
            phases,
            Phases {
                strong: 0,
                weak: 1,
                both: 0
            }
        );
        assert_eq!(STATE.drops.load(Ordering::Relaxed), 1);
    });
}

/// Weak clones and drops on one thread, an upgrade on another, while the last strong
/// handle goes away on a third: the memory is freed once, after the value, whoever drops
/// last.
#[test]
fn weak_clone_drop_vs_last_strong() {
    bounded_model("weak_clone_drop_vs_last_strong", Some(4), || {
        let a = probe_obj(Payload::new());
        let w1 = Obj::downgrade(&a);
        let w3 = w1.clone();
        let t1 = spawn(move || {
            let w2 = w1.clone();
            step();
            drop(w1);
            step();
            drop(w2);
        });
        let t2 = spawn(move || {
            if let Some(u) = w3.upgrade() {
                u.read();
                step();
            }
        });
        step();
        drop(a);
        t1.join().unwrap();
        t2.join().unwrap();
        let phases = finish();
        assert!(phases == BOTH || phases == SPLIT, "{phases:?}");
        assert_eq!(STATE.drops.load(Ordering::Relaxed), 1);
    });
}

/// A `WeakObj::new()` never touches memory; cloning, upgrading and dropping it is inert.
#[test]
fn dangling_weak_is_inert() {
    model("dangling_weak_is_inert", || {
        let w = WeakObj::<Payload>::new();
        let w2 = w.clone();
        let t = spawn(move || assert!(w2.upgrade().is_none()));
        assert!(w.upgrade().is_none());
        t.join().unwrap();
    });
}
