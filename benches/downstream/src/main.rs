//! rcobj as its users measure it: from a separate crate that depends on rcobj by path,
//! built with `cargo build --release` (no LTO, default codegen units), with plain `for`
//! loops and `black_box`, every contender in the same run.
//!
//! ```text
//! cargo run --release -p rcobj-downstream-bench -- time [--rounds 15] [--iters 2000000] [--cpu]
//! cargo run --release -p rcobj-downstream-bench -- scaling [--runs 9] [--iters 2000000]
//! cargo run --release -p rcobj-downstream-bench -- stack [--depth 100000]
//! cargo run --release -p rcobj-downstream-bench -- run ROUTINE [--iters N]   # one loop
//! cargo run --release -p rcobj-downstream-bench -- list                     # routine names
//! bash benches/downstream/callgrind.sh                                      # instructions/op
//! ```
//!
//! `time` runs every group in every round and, inside a group, every contender once, in an
//! order that rotates from round to round; it reports each contender's median ns/op, the
//! ratio of the medians, and the median and range of the per-round ratios.

// A benchmark binary: its items are documented where they matter, and the values exist
// to be moved around, not read.
#![allow(missing_docs, dead_code)]

use std::any::Any;
use std::cell::Cell;
use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Instant;

use rcobj::{AnyObj, Obj, Object, WeakObj};

/// The 16-byte value of every create/clone loop, as a user's derived type.
#[derive(Object, Clone, Copy)]
#[object(key = "downstream.V16")]
pub struct V16 {
    a: u64,
    b: u64,
}

/// The same 16 bytes for `Arc`, `Box` and triomphe.
#[derive(Clone, Copy)]
pub struct Plain16 {
    a: u64,
    b: u64,
}

const V: V16 = V16 { a: 1, b: 2 };
const P: Plain16 = Plain16 { a: 1, b: 2 };

/// A depth-1 type and a depth-2 child, for `is`.
#[derive(Object)]
#[object(key = "downstream.A1")]
pub struct A1 {
    x: u64,
}

#[derive(Object)]
#[repr(C)]
#[object(key = "downstream.A2")]
pub struct A2 {
    #[parent]
    p: A1,
    y: u64,
}

/// The loops. Each is `#[inline(never)]` and named, so that callgrind can count one of them
/// alone (`--toggle-collect`) and `objdump` can show it.
mod routines {
    use super::*;

    #[inline(never)]
    pub fn create_rcobj(n: u64) {
        for _ in 0..n {
            drop(black_box(Obj::new(black_box(V))));
        }
    }
    #[inline(never)]
    pub fn create_arc(n: u64) {
        for _ in 0..n {
            drop(black_box(Arc::new(black_box(P))));
        }
    }
    #[inline(never)]
    pub fn create_box(n: u64) {
        for _ in 0..n {
            drop(black_box(Box::new(black_box(P))));
        }
    }
    #[cfg(feature = "triomphe")]
    #[inline(never)]
    pub fn create_triomphe(n: u64) {
        for _ in 0..n {
            drop(black_box(triomphe::Arc::new(black_box(P))));
        }
    }

    #[inline(never)]
    pub fn clone_rcobj(n: u64) {
        let o = Obj::new(V);
        for _ in 0..n {
            drop(black_box(Obj::clone(black_box(&o))));
        }
    }
    #[inline(never)]
    pub fn clone_arc(n: u64) {
        let a = Arc::new(P);
        for _ in 0..n {
            drop(black_box(Arc::clone(black_box(&a))));
        }
    }
    #[cfg(feature = "triomphe")]
    #[inline(never)]
    pub fn clone_triomphe(n: u64) {
        let a = triomphe::Arc::new(P);
        for _ in 0..n {
            drop(black_box(triomphe::Arc::clone(black_box(&a))));
        }
    }

    #[inline(never)]
    pub fn upgrade_rcobj(n: u64) {
        let o = Obj::new(V);
        let w: WeakObj<V16> = Obj::downgrade(&o);
        for _ in 0..n {
            drop(black_box(black_box(&w).upgrade()));
        }
    }
    #[inline(never)]
    pub fn upgrade_arc(n: u64) {
        let a = Arc::new(P);
        let w = Arc::downgrade(&a);
        for _ in 0..n {
            drop(black_box(black_box(&w).upgrade()));
        }
    }

    #[inline(never)]
    pub fn downgrade_rcobj(n: u64) {
        let o = Obj::new(V);
        for _ in 0..n {
            drop(black_box(Obj::downgrade(black_box(&o))));
        }
    }
    #[inline(never)]
    pub fn downgrade_arc(n: u64) {
        let a = Arc::new(P);
        for _ in 0..n {
            drop(black_box(Arc::downgrade(black_box(&a))));
        }
    }

    #[inline(never)]
    pub fn is_rcobj(n: u64) {
        let o: AnyObj = Obj::new(A2 {
            p: A1 { x: 1 },
            y: 2,
        })
        .upcast();
        for _ in 0..n {
            black_box(black_box(&o).is::<A2>());
        }
    }
    #[inline(never)]
    pub fn is_any(n: u64) {
        let b: Box<dyn Any> = Box::new(A2 {
            p: A1 { x: 1 },
            y: 2,
        });
        for _ in 0..n {
            black_box(black_box(&*b).is::<A2>());
        }
    }
}

type Routine = (&'static str, fn(u64));

/// The groups of `time`: contenders compared inside one group; the first is the subject,
/// the rest are references.
fn groups() -> Vec<(&'static str, Vec<Routine>)> {
    use routines::*;
    let mut create: Vec<Routine> = vec![
        ("rcobj", create_rcobj),
        ("Arc", create_arc),
        ("Box", create_box),
    ];
    let mut clone: Vec<Routine> = vec![("rcobj", clone_rcobj), ("Arc", clone_arc)];
    #[cfg(feature = "triomphe")]
    {
        create.push(("triomphe", create_triomphe));
        clone.push(("triomphe", clone_triomphe));
    }
    vec![
        ("create+drop", create),
        ("clone+drop", clone),
        (
            "upgrade+drop",
            vec![("rcobj", upgrade_rcobj), ("Arc", upgrade_arc)],
        ),
        (
            "downgrade+drop",
            vec![("rcobj", downgrade_rcobj), ("Arc", downgrade_arc)],
        ),
        (
            "is (depth 2)",
            vec![("rcobj", is_rcobj), ("dyn Any", is_any)],
        ),
    ]
}

/// Every routine by its function name, for `run` and `callgrind.sh`.
fn all_routines() -> Vec<Routine> {
    use routines::*;
    let mut v: Vec<Routine> = vec![
        ("create_rcobj", create_rcobj),
        ("create_arc", create_arc),
        ("create_box", create_box),
        ("clone_rcobj", clone_rcobj),
        ("clone_arc", clone_arc),
        ("upgrade_rcobj", upgrade_rcobj),
        ("upgrade_arc", upgrade_arc),
        ("downgrade_rcobj", downgrade_rcobj),
        ("downgrade_arc", downgrade_arc),
        ("is_rcobj", is_rcobj),
        ("is_any", is_any),
    ];
    #[cfg(feature = "triomphe")]
    {
        v.push(("create_triomphe", create_triomphe));
        v.push(("clone_triomphe", clone_triomphe));
    }
    v
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)))
}

/// Nanoseconds per operation of `f(n)`: wall clock, or with `--cpu` the thread's CPU time
/// (which leaves out the time the thread spends descheduled on a loaded machine).
fn ns_per_op(n: u64, f: fn(u64)) -> f64 {
    if std::env::args().any(|a| a == "--cpu") {
        let t = thread_cpu_ns();
        f(n);
        (thread_cpu_ns() - t) as f64 / n as f64
    } else {
        let t = Instant::now();
        f(n);
        t.elapsed().as_nanos() as f64 / n as f64
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn time() {
    let rounds = arg("--rounds", 15) as usize;
    let iters = arg("--iters", 2_000_000);
    let groups = groups();
    let clock = if std::env::args().any(|a| a == "--cpu") {
        "thread CPU time"
    } else {
        "wall clock"
    };
    println!(
        "downstream plain loops: {rounds} rounds x {iters} iterations, contenders alternating, \
         {clock}; load average at start: {}",
        load_average()
    );
    // Warm up: thread slots, registry, allocator caches, page faults.
    for (_, g) in &groups {
        for (_, f) in g {
            f(iters / 10);
        }
    }
    // ns[group][contender][round]
    let mut ns: Vec<Vec<Vec<f64>>> = groups
        .iter()
        .map(|(_, g)| vec![Vec::new(); g.len()])
        .collect();
    for r in 0..rounds {
        for (gi, (_, g)) in groups.iter().enumerate() {
            for k in 0..g.len() {
                let c = (k + r) % g.len();
                ns[gi][c].push(ns_per_op(iters, g[c].1));
            }
        }
    }
    println!("load average at end: {}", load_average());
    println!();
    println!(
        "| figure | contender | median ns/op | ratio of medians | median of per-round ratios (min-max) |"
    );
    println!("|---|---|---|---|---|");
    for (gi, (name, g)) in groups.iter().enumerate() {
        for (c, (cname, _)) in g.iter().enumerate() {
            let m = median(&ns[gi][c]);
            let mut ratio_cols = (String::new(), String::new());
            if c == 0 {
                for (rc, (rname, _)) in g.iter().enumerate().skip(1) {
                    let rm = median(&ns[gi][rc]);
                    let per: Vec<f64> = (0..rounds).map(|r| ns[gi][0][r] / ns[gi][rc][r]).collect();
                    let (lo, hi) = min_max(&per);
                    let sep = if ratio_cols.0.is_empty() { "" } else { ", " };
                    ratio_cols.0 += &format!("{sep}{:.3} vs {rname}", m / rm);
                    ratio_cols.1 +=
                        &format!("{sep}{:.3} vs {rname} ({lo:.2}-{hi:.2})", median(&per));
                }
            }
            println!(
                "| {name} | {cname} | {m:.2} | {} | {} |",
                ratio_cols.0, ratio_cols.1
            );
        }
    }
}

/// CPU time of the calling thread in ns (`CLOCK_THREAD_CPUTIME_ID`).
#[cfg(target_os = "linux")]
fn thread_cpu_ns() -> u64 {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    let mut t = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a writable `struct timespec` (two 64-bit fields on 64-bit Linux) and
    // 3 is CLOCK_THREAD_CPUTIME_ID.
    let rc = unsafe { clock_gettime(3, &mut t) };
    assert_eq!(rc, 0);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}
#[cfg(not(target_os = "linux"))]
fn thread_cpu_ns() -> u64 {
    0
}

/// `threads` threads each running `f(n)` at once: (Mops/s wall clock, CPU ns/op).
fn throughput(threads: usize, n: u64, f: fn(u64)) -> (f64, f64) {
    let start = Arc::new(Barrier::new(threads + 1));
    let done = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (start, done) = (Arc::clone(&start), Arc::clone(&done));
            thread::spawn(move || {
                f(n / 20);
                start.wait();
                let c0 = thread_cpu_ns();
                f(n);
                let cpu = thread_cpu_ns() - c0;
                done.wait();
                cpu
            })
        })
        .collect();
    start.wait();
    let t0 = Instant::now();
    done.wait();
    let secs = t0.elapsed().as_secs_f64();
    let cpu: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let ops = threads as u64 * n;
    (ops as f64 / secs / 1e6, cpu as f64 / ops as f64)
}

fn scaling() {
    use routines::*;
    let runs = arg("--runs", 9) as usize;
    let iters = arg("--iters", 2_000_000);
    let contenders: [Routine; 3] = [
        ("rcobj", create_rcobj),
        ("Box", create_box),
        ("Arc", create_arc),
    ];
    println!(
        "create+drop on 1 and 2 threads: {runs} runs x {iters} per thread; load average at start: {}",
        load_average()
    );
    let k = contenders.len();
    let mut scale = vec![Vec::new(); k];
    let mut cpu_ratio = vec![Vec::new(); k];
    let mut one = vec![Vec::new(); k];
    let mut two = vec![Vec::new(); k];
    for r in 0..runs {
        for i in 0..k {
            let c = (i + r) % k;
            let (t1, c1) = throughput(1, iters, contenders[c].1);
            let (t2, c2) = throughput(2, iters, contenders[c].1);
            one[c].push(t1);
            two[c].push(t2);
            scale[c].push(t2 / t1);
            cpu_ratio[c].push(c2 / c1);
        }
    }
    println!("load average at end: {}", load_average());
    println!();
    println!(
        "| contender | 1T Mops/s | 2T Mops/s | 2T/1T | 2T/1T relative to Box's (median of per-run) | CPU ns/op 2T/1T |"
    );
    println!("|---|---|---|---|---|---|");
    for i in 0..k {
        let rel: Vec<f64> = (0..runs).map(|r| scale[i][r] / scale[1][r]).collect();
        println!(
            "| {} | {:.1} | {:.1} | {:.3} | {:.3} | {:.3} |",
            contenders[i].0,
            median(&one[i]),
            median(&two[i]),
            median(&scale[i]),
            median(&rel),
            median(&cpu_ratio[i]),
        );
    }
}

// ---------------------------------------------------------------------------------------
// Stack per drop level
// ---------------------------------------------------------------------------------------

thread_local! {
    /// The highest and lowest stack address a `Probe` saw while being dropped.
    static SP_RANGE: Cell<(usize, usize)> = const { Cell::new((0, usize::MAX)) };
}

/// A field whose `Drop` records the stack address it runs at. Every node of a chain starts
/// with one, so it is dropped first, at the depth of its node's drop frame; then the next
/// node is dropped — the recursion whose cost per level we measure.
pub struct Probe;

impl Drop for Probe {
    #[inline(never)]
    fn drop(&mut self) {
        let here = 0u8;
        let sp = black_box(&here) as *const u8 as usize;
        SP_RANGE.with(|r| {
            let (hi, lo) = r.get();
            r.set((hi.max(sp), lo.min(sp)));
        });
    }
}

#[derive(Object)]
#[object(key = "downstream.ObjNode")]
pub struct ObjNode {
    probe: Probe,
    next: Option<Obj<ObjNode>>,
}

/// Chains through `Obj<BaseNode>` handles to `DerivedNode` objects: every release is
/// through an ancestor-typed handle.
#[derive(Object)]
#[object(key = "downstream.BaseNode")]
pub struct BaseNode {
    probe: Probe,
    next: Option<Obj<BaseNode>>,
}

#[derive(Object)]
#[repr(C)]
#[object(key = "downstream.DerivedNode")]
pub struct DerivedNode {
    #[parent]
    base: BaseNode,
}

pub struct ArcNode {
    _probe: Probe,
    _next: Option<Arc<ArcNode>>,
}

pub struct BoxNode {
    _probe: Probe,
    _next: Option<Box<BoxNode>>,
}

/// The `Arc` counterpart of an `Obj<Base>` chain: the drop goes through a vtable.
pub trait DynNode: Send + Sync {}

pub struct ArcDynNode {
    _probe: Probe,
    _next: Option<Arc<dyn DynNode>>,
}

impl DynNode for ArcDynNode {}

#[cfg(feature = "triomphe")]
pub struct TriompheNode {
    _probe: Probe,
    _next: Option<triomphe::Arc<TriompheNode>>,
}

/// Builds a chain of `depth` nodes with `make` and drops it on a thread with a 1 GiB stack;
/// returns the stack bytes per level.
fn stack_per_level<H: Send + 'static>(depth: usize, make: fn(Option<H>) -> H) -> f64 {
    thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(move || {
            let mut head: Option<H> = None;
            for _ in 0..depth {
                head = Some(make(head));
            }
            SP_RANGE.with(|r| r.set((0, usize::MAX)));
            drop(head);
            let (hi, lo) = SP_RANGE.with(|r| r.get());
            (hi - lo) as f64 / (depth - 1) as f64
        })
        .unwrap()
        .join()
        .unwrap()
}

fn stack() {
    let depth = arg("--depth", 100_000) as usize;
    println!("stack bytes per level while dropping a chain of {depth} nodes");
    println!();
    println!("| handle | bytes per level |");
    println!("|---|---|");
    let rows: Vec<(&str, f64)> = vec![
        (
            "Obj<T>",
            stack_per_level::<Obj<ObjNode>>(depth, |next| Obj::new(ObjNode { probe: Probe, next })),
        ),
        (
            "Obj<Base> (objects of a child type)",
            stack_per_level::<Obj<BaseNode>>(depth, |next| {
                Obj::new(DerivedNode {
                    base: BaseNode { probe: Probe, next },
                })
                .upcast()
            }),
        ),
        (
            "Arc<T>",
            stack_per_level::<Arc<ArcNode>>(depth, |next| {
                Arc::new(ArcNode {
                    _probe: Probe,
                    _next: next,
                })
            }),
        ),
        (
            "Arc<dyn Trait>",
            stack_per_level::<Arc<dyn DynNode>>(depth, |next| {
                Arc::new(ArcDynNode {
                    _probe: Probe,
                    _next: next,
                })
            }),
        ),
        #[cfg(feature = "triomphe")]
        (
            "triomphe::Arc<T>",
            stack_per_level::<triomphe::Arc<TriompheNode>>(depth, |next| {
                triomphe::Arc::new(TriompheNode {
                    _probe: Probe,
                    _next: next,
                })
            }),
        ),
        (
            "Box<T>",
            stack_per_level::<Box<BoxNode>>(depth, |next| {
                Box::new(BoxNode {
                    _probe: Probe,
                    _next: next,
                })
            }),
        ),
    ];
    for (name, b) in rows {
        println!("| {name} | {b:.1} |");
    }
    assert_eq!(ObjNode::type_info().live_count(), 0);
    assert_eq!(DerivedNode::type_info().live_count(), 0);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("time") | None => time(),
        Some("scaling") => scaling(),
        Some("stack") => stack(),
        Some("list") => {
            for (name, _) in all_routines() {
                println!("{name}");
            }
        }
        Some("run") => {
            let name = args.get(2).expect("run ROUTINE");
            let iters = arg("--iters", 1_000_000);
            let (_, f) = all_routines()
                .into_iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("no routine `{name}` (see `list`)"));
            f(1_000); // warm up outside the counted run: thread slots, registry
            f(iters);
        }
        Some(other) => {
            eprintln!("unknown command `{other}`: time | scaling | stack | run ROUTINE | list");
            std::process::exit(2);
        }
    }
}
