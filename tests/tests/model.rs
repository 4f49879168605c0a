//! A proptest state machine: random sequences of handle operations spread over up to four
//! threads, each checked against a model of the counts.
//!
//! Operations: create, clone, drop, downgrade, upgrade, weak drop, `get_mut`, `make_mut`,
//! `try_unwrap`, upcast, downcast, and moving a handle to another thread. Every operation
//! runs on the thread that holds the handle (so objects are created, shared and released on
//! different threads); after each one the model checks the strong and weak counts, that
//! every value was dropped exactly when its object's strong count reached zero (or was moved
//! out), that every block is freed exactly once and only once both counts are zero (a
//! watching global allocator), and that `live_count()` is exact. At the end all threads drop
//! their handles at once and exit; then every value is dropped once, every block freed once,
//! and the live counts are zero.
//!
//! `PROPTEST_CASES` sets the number of cases (default 64; 4 under Miri).

use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

use proptest::prelude::*;
use rcobj::{Obj, Object, WeakObj};

#[path = "support/watch.rs"]
mod watch;

#[global_allocator]
static ALLOC: watch::WatchAlloc = watch::WatchAlloc;

// ---------------------------------------------------------------------------------------
// Values that record their drops.
// ---------------------------------------------------------------------------------------

/// Ids and drop counts of every value of one case.
#[derive(Default)]
struct Tracker {
    next: AtomicUsize,
    drops: Mutex<HashMap<usize, usize>>,
}

struct Value {
    id: usize,
    tracker: Arc<Tracker>,
}

impl Value {
    fn new(tracker: &Arc<Tracker>) -> Value {
        Value {
            id: tracker.next.fetch_add(1, Ordering::SeqCst),
            tracker: tracker.clone(),
        }
    }
}

impl Clone for Value {
    fn clone(&self) -> Value {
        Value::new(&self.tracker)
    }
}

impl Drop for Value {
    fn drop(&mut self) {
        *self
            .tracker
            .drops
            .lock()
            .unwrap()
            .entry(self.id)
            .or_insert(0) += 1;
    }
}

#[derive(Object, Clone)]
#[object(key = "model.Base")]
struct Base {
    _value: Value,
}

#[derive(Object, Clone)]
#[repr(C)]
#[object(key = "model.Leaf", final)]
struct Leaf {
    #[parent]
    base: Base,
    writes: u64,
}

// ---------------------------------------------------------------------------------------
// Handles, held by actor threads.
// ---------------------------------------------------------------------------------------

enum Handle {
    Leaf(Obj<Leaf>),
    Base(Obj<Base>),
    WeakLeaf(WeakObj<Leaf>),
    WeakBase(WeakObj<Base>),
}

/// A handle and the model object it refers to.
struct Held {
    obj: usize,
    handle: Handle,
}

impl Held {
    fn is_strong(&self) -> bool {
        matches!(self.handle, Handle::Leaf(_) | Handle::Base(_))
    }

    /// (strong, weak) as the handle reports them.
    fn counts(&self) -> (u32, u32) {
        match &self.handle {
            Handle::Leaf(o) => (Obj::strong_count(o), Obj::weak_count(o)),
            Handle::Base(o) => (Obj::strong_count(o), Obj::weak_count(o)),
            Handle::WeakLeaf(w) => (w.strong_count(), w.weak_count()),
            Handle::WeakBase(w) => (w.strong_count(), w.weak_count()),
        }
    }
}

type Job = Box<dyn FnOnce(&mut Vec<Held>) + Send>;

/// A thread that holds handles and runs jobs on them.
struct Actor {
    jobs: mpsc::Sender<Job>,
    thread: thread::JoinHandle<()>,
}

impl Actor {
    fn spawn() -> Actor {
        let (jobs, rx) = mpsc::channel::<Job>();
        let thread = thread::spawn(move || {
            let mut held = Vec::new();
            while let Ok(job) = rx.recv() {
                job(&mut held);
            }
            // The channel closed: drop every handle (all actors at once), then exit.
            drop(held);
        });
        Actor { jobs, thread }
    }

    /// Runs `f` on the actor's thread and returns its result.
    fn run<R: Send + 'static>(&self, f: impl FnOnce(&mut Vec<Held>) -> R + Send + 'static) -> R {
        let (tx, rx) = mpsc::channel();
        self.jobs
            .send(Box::new(move |held| {
                let r = f(held);
                tx.send(r).unwrap();
            }))
            .unwrap();
        rx.recv().unwrap()
    }
}

// ---------------------------------------------------------------------------------------
// The model.
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Base,
    Leaf,
}

struct ObjModel {
    kind: Kind,
    strong: u32,
    weak: u32,
    /// The id of the value the object holds, while it holds one.
    value: Option<usize>,
    watch: watch::Watch,
}

#[derive(Default)]
struct Model {
    objs: Vec<ObjModel>,
    /// How many times each value id must have been dropped by now.
    dropped: HashMap<usize, usize>,
    next_value: usize,
}

impl Model {
    fn add(&mut self, kind: Kind, addr: usize) -> usize {
        let value = self.next_value;
        self.next_value += 1;
        self.objs.push(ObjModel {
            kind,
            strong: 1,
            weak: 0,
            value: Some(value),
            watch: watch::watch_addr(addr),
        });
        self.objs.len() - 1
    }

    /// One strong reference of `o` goes away.
    fn release_strong(&mut self, o: usize) {
        let m = &mut self.objs[o];
        m.strong -= 1;
        if m.strong == 0 {
            if let Some(v) = m.value.take() {
                *self.dropped.entry(v).or_insert(0) += 1;
            }
        }
    }

    fn live(&self, kind: Kind) -> usize {
        self.objs
            .iter()
            .filter(|m| m.kind == kind && m.value.is_some())
            .count()
    }

    /// Checks values, blocks and live counts against the runtime.
    fn check(&self, tracker: &Tracker) {
        let drops = tracker.drops.lock().unwrap();
        for id in 0..self.next_value {
            assert_eq!(
                drops.get(&id).copied().unwrap_or(0),
                self.dropped.get(&id).copied().unwrap_or(0),
                "drops of value {id}"
            );
        }
        drop(drops);
        for (i, m) in self.objs.iter().enumerate() {
            let expected = usize::from(m.strong == 0 && m.weak == 0);
            assert_eq!(m.watch.frees(), expected, "frees of object {i}");
        }
        assert_eq!(Leaf::type_info().live_count(), self.live(Kind::Leaf));
        assert_eq!(Base::type_info().live_count(), self.live(Kind::Base));
    }
}

fn block_addr<T: Object>(o: &Obj<T>) -> usize {
    let h: *const rcobj::ObjectHeader = Obj::header(o);
    h as usize
}

#[derive(Clone, Debug)]
enum Op {
    New { actor: usize, leaf: bool },
    Clone { actor: usize, i: usize },
    Drop { actor: usize, i: usize },
    Downgrade { actor: usize, i: usize },
    Upgrade { actor: usize, i: usize },
    GetMut { actor: usize, i: usize },
    MakeMut { actor: usize, i: usize },
    TryUnwrap { actor: usize, i: usize },
    Upcast { actor: usize, i: usize },
    Downcast { actor: usize, i: usize },
    Move { actor: usize, i: usize, to: usize },
}

fn op() -> impl Strategy<Value = Op> {
    let a = 0..4usize;
    let i = 0..8usize;
    prop_oneof![
        1 => (a.clone(), any::<bool>()).prop_map(|(actor, leaf)| Op::New { actor, leaf }),
        3 => (a.clone(), i.clone()).prop_map(|(actor, i)| Op::Clone { actor, i }),
        3 => (a.clone(), i.clone()).prop_map(|(actor, i)| Op::Drop { actor, i }),
        2 => (a.clone(), i.clone()).prop_map(|(actor, i)| Op::Downgrade { actor, i }),
        2 => (a.clone(), i.clone()).prop_map(|(actor, i)| Op::Upgrade { actor, i }),
        1 => (a.clone(), i.clone()).prop_map(|(actor, i)| Op::GetMut { actor, i }),
        1 => (a.clone(), i.clone()).prop_map(|(actor, i)| Op::MakeMut { actor, i }),
        1 => (a.clone(), i.clone()).prop_map(|(actor, i)| Op::TryUnwrap { actor, i }),
        1 => (a.clone(), i.clone()).prop_map(|(actor, i)| Op::Upcast { actor, i }),
        1 => (a.clone(), i.clone()).prop_map(|(actor, i)| Op::Downcast { actor, i }),
        2 => (a.clone(), i, a).prop_map(|(actor, i, to)| Op::Move { actor, i, to }),
    ]
}

/// What an actor saw when it ran one operation on its handle `i`.
#[derive(Debug, PartialEq)]
enum Seen {
    /// The actor holds no handle.
    Empty,
    /// The operation does not apply to this handle (e.g. upgrade on a strong one).
    NotApplicable,
    Done,
    Bool(bool),
    /// `make_mut`: whether the handle now points to another block, and that block.
    MakeMut {
        moved: bool,
        addr: usize,
    },
    Panicked,
}

/// Keeps the expected `make_mut` slicing panics out of the output.
fn quiet_expected_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let msg = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .unwrap_or("");
            if !msg.contains("would slice it") {
                default(info);
            }
        }));
    });
}

fn run_case(actors: usize, ops: Vec<Op>) {
    quiet_expected_panics();
    let tracker = Arc::new(Tracker::default());
    let threads: Vec<Actor> = (0..actors).map(|_| Actor::spawn()).collect();
    let mut model = Model::default();
    // The model's index of each actor's handles mirrors the actor's `Vec<Held>`.
    let mut holds: Vec<Vec<(usize, bool)>> = vec![Vec::new(); actors];

    for op in ops {
        match op {
            Op::New { actor, leaf } => {
                let actor = actor % actors;
                let t = tracker.clone();
                let addr = threads[actor].run(move |held| {
                    let value = Value::new(&t);
                    let (addr, handle) = if leaf {
                        let o = Obj::new(Leaf {
                            base: Base { _value: value },
                            writes: 0,
                        });
                        (block_addr(&o), Handle::Leaf(o))
                    } else {
                        let o = Obj::new(Base { _value: value });
                        (block_addr(&o), Handle::Base(o))
                    };
                    held.push(Held {
                        obj: usize::MAX,
                        handle,
                    });
                    addr
                });
                let kind = if leaf { Kind::Leaf } else { Kind::Base };
                let o = model.add(kind, addr);
                threads[actor].run(move |held| held.last_mut().unwrap().obj = o);
                holds[actor].push((o, true));
            }
            Op::Move { actor, i, to } => {
                let (actor, to) = (actor % actors, to % actors);
                if holds[actor].is_empty() {
                    continue;
                }
                let i = i % holds[actor].len();
                let h = threads[actor].run(move |held| held.remove(i));
                threads[to].run(move |held| held.push(h));
                let entry = holds[actor].remove(i);
                holds[to].push(entry);
            }
            op => {
                let (actor, i) = match op {
                    Op::Clone { actor, i }
                    | Op::Drop { actor, i }
                    | Op::Downgrade { actor, i }
                    | Op::Upgrade { actor, i }
                    | Op::GetMut { actor, i }
                    | Op::MakeMut { actor, i }
                    | Op::TryUnwrap { actor, i }
                    | Op::Upcast { actor, i }
                    | Op::Downcast { actor, i } => (actor % actors, i),
                    Op::New { .. } | Op::Move { .. } => unreachable!(),
                };
                if holds[actor].is_empty() {
                    continue;
                }
                let i = i % holds[actor].len();
                let (o, strong) = holds[actor][i];
                let kind = model.objs[o].kind;
                let op2 = op.clone();
                let seen = threads[actor].run(move |held| apply(held, i, op2));
                step_model(&mut model, &mut holds[actor], i, o, strong, kind, &op, seen);
                // `make_mut` may have moved the handle to a new object: tell the actor.
                let ids: Vec<usize> = holds[actor].iter().map(|&(o, _)| o).collect();
                threads[actor].run(move |held| {
                    assert_eq!(held.len(), ids.len());
                    for (h, o) in held.iter_mut().zip(ids) {
                        h.obj = o;
                    }
                });
            }
        }
        // Counts through every handle, then values, blocks and live counts.
        for (a, actor) in threads.iter().enumerate() {
            let counts =
                actor.run(|held| held.iter().map(|h| (h.obj, h.counts())).collect::<Vec<_>>());
            assert_eq!(counts.len(), holds[a].len());
            for (o, (strong, weak)) in counts {
                let m = &model.objs[o];
                assert_eq!(strong, m.strong, "strong count of object {o}");
                // Like `Arc`, a weak handle reports 0 weak once no strong is left.
                let weak_seen = if m.strong == 0 { 0 } else { m.weak };
                assert_eq!(weak, weak_seen, "weak count of object {o}");
            }
        }
        model.check(&tracker);
    }

    // Every actor drops its handles at once and exits.
    for actor in threads {
        drop(actor.jobs);
        actor.thread.join().unwrap();
    }
    for m in &mut model.objs {
        m.strong = 0;
        m.weak = 0;
        if let Some(v) = m.value.take() {
            *model.dropped.entry(v).or_insert(0) += 1;
        }
    }
    model.check(&tracker);
}

/// Runs one operation on handle `i` of an actor.
fn apply(held: &mut Vec<Held>, i: usize, op: Op) -> Seen {
    if held.is_empty() {
        return Seen::Empty;
    }
    let obj = held[i].obj;
    match op {
        Op::Clone { .. } => {
            let handle = match &held[i].handle {
                Handle::Leaf(o) => Handle::Leaf(o.clone()),
                Handle::Base(o) => Handle::Base(o.clone()),
                Handle::WeakLeaf(w) => Handle::WeakLeaf(w.clone()),
                Handle::WeakBase(w) => Handle::WeakBase(w.clone()),
            };
            held.push(Held { obj, handle });
            Seen::Done
        }
        Op::Drop { .. } => {
            drop(held.remove(i));
            Seen::Done
        }
        Op::Downgrade { .. } => {
            let handle = match &held[i].handle {
                Handle::Leaf(o) => Handle::WeakLeaf(Obj::downgrade(o)),
                Handle::Base(o) => Handle::WeakBase(Obj::downgrade(o)),
                _ => return Seen::NotApplicable,
            };
            held.push(Held { obj, handle });
            Seen::Done
        }
        Op::Upgrade { .. } => {
            let handle = match &held[i].handle {
                Handle::WeakLeaf(w) => w.upgrade().map(Handle::Leaf),
                Handle::WeakBase(w) => w.upgrade().map(Handle::Base),
                _ => return Seen::NotApplicable,
            };
            let ok = handle.is_some();
            if let Some(handle) = handle {
                held.push(Held { obj, handle });
            }
            Seen::Bool(ok)
        }
        Op::GetMut { .. } => match &mut held[i].handle {
            Handle::Leaf(o) => Seen::Bool(Obj::get_mut(o).map(|v| v.writes += 1).is_some()),
            Handle::Base(o) => Seen::Bool(Obj::get_mut(o).is_some()),
            _ => Seen::NotApplicable,
        },
        Op::MakeMut { .. } => {
            let (before, after) = match &mut held[i].handle {
                Handle::Leaf(o) => {
                    let before = block_addr(o);
                    Obj::make_mut(o).writes += 1;
                    (before, block_addr(o))
                }
                Handle::Base(o) => {
                    let before = block_addr(o);
                    let r = panic::catch_unwind(AssertUnwindSafe(|| {
                        Obj::make_mut(o);
                    }));
                    if r.is_err() {
                        return Seen::Panicked;
                    }
                    (before, block_addr(o))
                }
                _ => return Seen::NotApplicable,
            };
            Seen::MakeMut {
                moved: before != after,
                addr: after,
            }
        }
        Op::TryUnwrap { .. } => {
            if !held[i].is_strong() {
                return Seen::NotApplicable;
            }
            let h = held.remove(i);
            let result = match h.handle {
                Handle::Leaf(o) => Obj::try_unwrap(o).map(drop).map_err(Handle::Leaf),
                Handle::Base(o) => Obj::try_unwrap(o).map(drop).map_err(Handle::Base),
                _ => unreachable!(),
            };
            match result {
                Ok(()) => Seen::Bool(true),
                Err(handle) => {
                    held.insert(i, Held { obj, handle });
                    Seen::Bool(false)
                }
            }
        }
        Op::Upcast { .. } => {
            if !matches!(held[i].handle, Handle::Leaf(_)) {
                return Seen::NotApplicable;
            }
            let Handle::Leaf(o) = held.remove(i).handle else {
                unreachable!()
            };
            held.insert(
                i,
                Held {
                    obj,
                    handle: Handle::Base(o.upcast::<Base>()),
                },
            );
            Seen::Done
        }
        Op::Downcast { .. } => {
            if !matches!(held[i].handle, Handle::Base(_)) {
                return Seen::NotApplicable;
            }
            let Handle::Base(o) = held.remove(i).handle else {
                unreachable!()
            };
            let (ok, handle) = match o.downcast::<Leaf>() {
                Ok(l) => (true, Handle::Leaf(l)),
                Err(b) => (false, Handle::Base(b)),
            };
            held.insert(i, Held { obj, handle });
            Seen::Bool(ok)
        }
        Op::New { .. } | Op::Move { .. } => unreachable!(),
    }
}

/// Updates the model for an operation on handle `i` (of object `o`, strong or weak) and
/// checks what the actor saw.
#[allow(clippy::too_many_arguments)]
fn step_model(
    model: &mut Model,
    holds: &mut Vec<(usize, bool)>,
    i: usize,
    o: usize,
    strong: bool,
    kind: Kind,
    op: &Op,
    seen: Seen,
) {
    match op {
        Op::Clone { .. } => {
            assert_eq!(seen, Seen::Done);
            if strong {
                model.objs[o].strong += 1;
            } else {
                model.objs[o].weak += 1;
            }
            holds.push((o, strong));
        }
        Op::Drop { .. } => {
            assert_eq!(seen, Seen::Done);
            holds.remove(i);
            if strong {
                model.release_strong(o);
            } else {
                model.objs[o].weak -= 1;
            }
        }
        Op::Downgrade { .. } => {
            if !strong {
                assert_eq!(seen, Seen::NotApplicable);
                return;
            }
            assert_eq!(seen, Seen::Done);
            model.objs[o].weak += 1;
            holds.push((o, false));
        }
        Op::Upgrade { .. } => {
            if strong {
                assert_eq!(seen, Seen::NotApplicable);
                return;
            }
            let alive = model.objs[o].strong > 0;
            assert_eq!(seen, Seen::Bool(alive), "upgrade of object {o}");
            if alive {
                model.objs[o].strong += 1;
                holds.push((o, true));
            }
        }
        Op::GetMut { .. } => {
            if !strong {
                assert_eq!(seen, Seen::NotApplicable);
                return;
            }
            let m = &model.objs[o];
            assert_eq!(seen, Seen::Bool(m.strong == 1 && m.weak == 0), "get_mut");
        }
        Op::MakeMut { .. } => {
            if !strong {
                assert_eq!(seen, Seen::NotApplicable);
                return;
            }
            // Whether the handle's static type is `Leaf` is only known to the actor; a
            // `Base` handle of a `Leaf` object panics (slicing), anything else proceeds.
            if seen == Seen::Panicked {
                assert_eq!(kind, Kind::Leaf, "make_mut panicked on an exact Base");
                return;
            }
            let Seen::MakeMut { moved, addr } = seen else {
                panic!("make_mut: {seen:?}");
            };
            let m = &model.objs[o];
            let (s, w) = (m.strong, m.weak);
            if s == 1 && w == 0 {
                assert!(!moved, "make_mut on a unique object works in place");
                return;
            }
            assert!(moved, "make_mut on a shared object moves to a new block");
            let n = if s > 1 {
                // Copy-on-write: a clone with a new value.
                model.release_strong(o);
                model.add(kind, addr)
            } else {
                // Only weak handles share it: the value moves, the weak ones disassociate.
                let value = model.objs[o].value.take();
                model.objs[o].strong = 0;
                let n = model.add(kind, addr);
                model.next_value -= 1;
                model.objs[n].value = value;
                n
            };
            holds[i] = (n, true);
        }
        Op::TryUnwrap { .. } => {
            if !strong {
                assert_eq!(seen, Seen::NotApplicable);
                return;
            }
            if seen == Seen::Bool(true) {
                assert_eq!(model.objs[o].strong, 1, "try_unwrap of a shared object");
                holds.remove(i);
                // The value moved out and was dropped by the caller.
                model.release_strong(o);
            } else {
                assert_eq!(seen, Seen::Bool(false));
                // Err: shared, or a `Base` handle of a `Leaf` object.
                assert!(model.objs[o].strong > 1 || kind == Kind::Leaf);
            }
        }
        Op::Upcast { .. } => {
            assert!(matches!(seen, Seen::Done | Seen::NotApplicable));
        }
        Op::Downcast { .. } => match seen {
            Seen::Bool(ok) => assert_eq!(ok, kind == Kind::Leaf, "downcast"),
            other => assert_eq!(other, Seen::NotApplicable),
        },
        Op::New { .. } | Op::Move { .. } => unreachable!(),
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if cfg!(miri) { 4 } else { 64 })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn handles_across_threads_match_the_model(
        actors in 1..=4usize,
        first_leaf in any::<bool>(),
        ops in proptest::collection::vec(op(), 1..if cfg!(miri) { 12 } else { 48 }),
    ) {
        let mut all = vec![Op::New { actor: 0, leaf: first_leaf }];
        all.extend(ops);
        run_case(actors, all);
    }
}
