//! Criterion benchmarks: rcobj handles beside `std::sync::Arc`, `triomphe::Arc` and `Box`.
//!
//! The head-to-head groups (create+drop, clone+drop, downgrade+drop, upgrade+drop, `is`)
//! run every contender once per round, contenders alternating, for `RCOBJ_BENCH_ROUNDS`
//! rounds (default 5), so that `core/benches/report.py` can quote medians of per-round
//! ratios. See `BENCHMARKS.md`.

#![allow(dead_code, missing_docs)]

use std::any::Any;
use std::hint::black_box;
use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use rcobj::{AnyObj, Obj, Object, UniqueObj};

mod common;
use common::{P, V, V16};

// A non-final chain A1 <- A2 <- A3 and final leaves at depths 1, 2 and 3.
#[derive(Object)]
#[object(key = "bench.A1")]
struct A1 {
    x: u64,
}

#[derive(Object)]
#[repr(C)]
#[object(key = "bench.A2")]
struct A2 {
    #[parent]
    p: A1,
    y: u64,
}

#[derive(Object)]
#[repr(C)]
#[object(key = "bench.A3")]
struct A3 {
    #[parent]
    p: A2,
    z: u64,
}

#[derive(Object)]
#[object(key = "bench.F1", final)]
struct F1 {
    x: u64,
}

#[derive(Object)]
#[repr(C)]
#[object(key = "bench.F2", final)]
struct F2 {
    #[parent]
    p: A1,
    y: u64,
}

#[derive(Object)]
#[repr(C)]
#[object(key = "bench.F3", final)]
struct F3 {
    #[parent]
    p: A2,
    z: u64,
}

// For `==` and `Hash` through a base handle: a non-final base and a final child, both
// with `PartialEq` and `Hash`, and the same types' values for the direct comparison.
#[derive(Object, Clone, PartialEq, Eq, Hash)]
#[object(key = "bench.Expr")]
struct Expr {
    span: u64,
}

#[derive(Object, Clone, PartialEq, Eq, Hash)]
#[repr(C)]
#[object(key = "bench.Const", final)]
struct Const {
    #[parent]
    expr: Expr,
    value: u64,
}

fn rounds() -> usize {
    std::env::var("RCOBJ_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
}

fn create_drop(c: &mut Criterion) {
    for r in 0..rounds() {
        let mut g = c.benchmark_group(format!("create_drop/r{r}"));
        g.bench_function("rcobj", |b| b.iter(|| Obj::new(black_box(V))));
        g.bench_function("Arc", |b| b.iter(|| Arc::new(black_box(P))));
        g.bench_function("triomphe", |b| b.iter(|| triomphe::Arc::new(black_box(P))));
        g.bench_function("Box", |b| b.iter(|| Box::new(black_box(P))));
        g.finish();
    }
}

fn clone_drop(c: &mut Criterion) {
    let o = Obj::new(V);
    let a = Arc::new(P);
    let t = triomphe::Arc::new(P);
    for r in 0..rounds() {
        let mut g = c.benchmark_group(format!("clone_drop/r{r}"));
        g.bench_function("rcobj", |b| b.iter(|| Obj::clone(black_box(&o))));
        g.bench_function("Arc", |b| b.iter(|| Arc::clone(black_box(&a))));
        g.bench_function("triomphe", |b| {
            b.iter(|| triomphe::Arc::clone(black_box(&t)))
        });
        g.finish();
    }
}

fn weak(c: &mut Criterion) {
    let o = Obj::new(V);
    let ow = Obj::downgrade(&o);
    let a = Arc::new(P);
    let aw = Arc::downgrade(&a);
    for r in 0..rounds() {
        let mut g = c.benchmark_group(format!("downgrade_drop/r{r}"));
        g.bench_function("rcobj", |b| b.iter(|| Obj::downgrade(black_box(&o))));
        g.bench_function("Arc", |b| b.iter(|| Arc::downgrade(black_box(&a))));
        g.finish();
        let mut g = c.benchmark_group(format!("upgrade_drop/r{r}"));
        g.bench_function("rcobj", |b| b.iter(|| black_box(&ow).upgrade()));
        g.bench_function("Arc", |b| b.iter(|| black_box(&aw).upgrade()));
        g.finish();
    }
}

fn unique(c: &mut Criterion) {
    let mut g = c.benchmark_group("unique_share_drop");
    g.bench_function("rcobj", |b| {
        b.iter(|| {
            let mut u = UniqueObj::new(black_box(V));
            u.a += 1;
            UniqueObj::share(u)
        })
    });
    g.bench_function("triomphe", |b| {
        b.iter(|| {
            let mut u = triomphe::UniqueArc::new(black_box(P));
            u.a += 1;
            u.shareable()
        })
    });
    g.bench_function("Arc", |b| {
        b.iter(|| {
            let mut u = Arc::new(black_box(P));
            Arc::get_mut(&mut u).unwrap().a += 1;
            u
        })
    });
    g.finish();

    let mut g = c.benchmark_group("get_mut");
    let mut o = Obj::new(V);
    let mut a = Arc::new(P);
    g.bench_function("rcobj", |b| {
        b.iter(|| Obj::get_mut(black_box(&mut o)).map(|v| v.a))
    });
    g.bench_function("Arc", |b| {
        b.iter(|| Arc::get_mut(black_box(&mut a)).map(|v| v.a))
    });
    g.finish();

    let mut g = c.benchmark_group("make_mut");
    g.bench_function("rcobj", |b| b.iter(|| Obj::make_mut(black_box(&mut o)).a));
    g.bench_function("Arc", |b| b.iter(|| Arc::make_mut(black_box(&mut a)).a));
    g.finish();
}

/// One `is`/`downcast_ref` comparison: an `AnyObj` holding a `T` against a
/// `Box<dyn Any>` holding a value of the same type.
fn is_pair<T: Object + Send + Sync + rcobj::IsA<rcobj::AnyObject>>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    value: impl FnOnce() -> T,
    any_value: Box<dyn Any>,
) {
    let o: AnyObj = Obj::new(value()).upcast();
    g.bench_function(format!("{name}/rcobj_is"), |b| {
        b.iter(|| black_box(&o).is::<T>())
    });
    g.bench_function(format!("{name}/any_is"), |b| {
        b.iter(|| black_box(&*any_value).is::<T>())
    });
}

fn casts(c: &mut Criterion) {
    for r in 0..rounds() {
        let mut g = c.benchmark_group(format!("is/r{r}"));
        is_pair(&mut g, "depth1", || A1 { x: 1 }, Box::new(A1 { x: 1 }));
        is_pair(
            &mut g,
            "depth2",
            || A2 {
                p: A1 { x: 1 },
                y: 2,
            },
            Box::new(A2 {
                p: A1 { x: 1 },
                y: 2,
            }),
        );
        is_pair(
            &mut g,
            "depth3",
            || A3 {
                p: A2 {
                    p: A1 { x: 1 },
                    y: 2,
                },
                z: 3,
            },
            Box::new(A3 {
                p: A2 {
                    p: A1 { x: 1 },
                    y: 2,
                },
                z: 3,
            }),
        );
        is_pair(
            &mut g,
            "depth1_final",
            || F1 { x: 1 },
            Box::new(F1 { x: 1 }),
        );
        is_pair(
            &mut g,
            "depth2_final",
            || F2 {
                p: A1 { x: 1 },
                y: 2,
            },
            Box::new(F2 {
                p: A1 { x: 1 },
                y: 2,
            }),
        );
        is_pair(
            &mut g,
            "depth3_final",
            || F3 {
                p: A2 {
                    p: A1 { x: 1 },
                    y: 2,
                },
                z: 3,
            },
            Box::new(F3 {
                p: A2 {
                    p: A1 { x: 1 },
                    y: 2,
                },
                z: 3,
            }),
        );
        g.finish();
    }

    // An ancestor test `dyn Any` cannot answer, and a miss.
    let deep: AnyObj = Obj::new(A3 {
        p: A2 {
            p: A1 { x: 1 },
            y: 2,
        },
        z: 3,
    })
    .upcast();
    let mut g = c.benchmark_group("is_ancestor");
    g.bench_function("depth3_is_depth2", |b| {
        b.iter(|| black_box(&deep).is::<A2>())
    });
    g.bench_function("depth3_is_depth1", |b| {
        b.iter(|| black_box(&deep).is::<A1>())
    });
    g.bench_function("depth3_is_final_miss", |b| {
        b.iter(|| black_box(&deep).is::<F2>())
    });
    g.finish();

    let any2: Box<dyn Any> = Box::new(A2 {
        p: A1 { x: 1 },
        y: 2,
    });
    let o2: AnyObj = Obj::new(A2 {
        p: A1 { x: 1 },
        y: 2,
    })
    .upcast();
    let f2: AnyObj = Obj::new(F2 {
        p: A1 { x: 1 },
        y: 2,
    })
    .upcast();
    let anyf2: Box<dyn Any> = Box::new(F2 {
        p: A1 { x: 1 },
        y: 2,
    });
    let mut g = c.benchmark_group("downcast_ref");
    g.bench_function("depth2/rcobj", |b| {
        b.iter(|| black_box(&o2).downcast_ref::<A2>().map(|v| v.y))
    });
    g.bench_function("depth2/any", |b| {
        b.iter(|| black_box(&*any2).downcast_ref::<A2>().map(|v| v.y))
    });
    g.bench_function("depth2_final/rcobj", |b| {
        b.iter(|| black_box(&f2).downcast_ref::<F2>().map(|v| v.y))
    });
    g.bench_function("depth2_final/any", |b| {
        b.iter(|| black_box(&*anyf2).downcast_ref::<F2>().map(|v| v.y))
    });
    g.finish();

    // Owned downcast: clone the erased handle, downcast, drop.
    let arc2: Arc<dyn Any + Send + Sync> = Arc::new(A2 {
        p: A1 { x: 1 },
        y: 2,
    });
    let mut g = c.benchmark_group("clone_downcast_drop");
    g.bench_function("depth2/rcobj", |b| {
        b.iter(|| black_box(&o2).clone().downcast::<A2>().is_ok())
    });
    g.bench_function("depth2/Arc_dyn_Any", |b| {
        b.iter(|| Arc::clone(black_box(&arc2)).downcast::<A2>().is_ok())
    });
    g.finish();
}

fn hash_one<T: std::hash::Hash + ?Sized>(t: &T) -> u64 {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    t.hash(&mut h);
    h.finish()
}

/// `==` and `Hash` of two equal, distinct objects: through the exact handle of a final
/// type (`Obj<Const>`: no check at all), the exact handle of a non-final type
/// (`Obj<Expr>` to an `Expr`: one index compare), a base handle (`Obj<Expr>` to a `Const`:
/// the behaviour table) and `AnyObj` (the table), beside the values compared directly.
fn eq_hash(c: &mut Criterion) {
    let konst = || Const {
        expr: Expr { span: 1 },
        value: 2,
    };
    let (v1, v2) = (konst(), konst());
    let (c1, c2) = (Obj::new(konst()), Obj::new(konst()));
    let (e1, e2) = (Obj::new(Expr { span: 1 }), Obj::new(Expr { span: 1 }));
    let (b1, b2): (Obj<Expr>, Obj<Expr>) = (c1.clone().upcast(), c2.clone().upcast());
    let (a1, a2): (AnyObj, AnyObj) = (c1.clone().upcast(), c2.clone().upcast());
    for r in 0..rounds() {
        let mut g = c.benchmark_group(format!("eq/r{r}"));
        g.bench_function("value", |b| b.iter(|| black_box(&v1) == black_box(&v2)));
        g.bench_function("exact_final", |b| {
            b.iter(|| black_box(&c1) == black_box(&c2))
        });
        g.bench_function("exact_nonfinal", |b| {
            b.iter(|| black_box(&e1) == black_box(&e2))
        });
        g.bench_function("base", |b| b.iter(|| black_box(&b1) == black_box(&b2)));
        g.bench_function("any", |b| b.iter(|| black_box(&a1) == black_box(&a2)));
        g.finish();
        let mut g = c.benchmark_group(format!("hash/r{r}"));
        g.bench_function("value", |b| b.iter(|| hash_one(black_box(&v1))));
        g.bench_function("exact_final", |b| b.iter(|| hash_one(black_box(&c1))));
        g.bench_function("exact_nonfinal", |b| b.iter(|| hash_one(black_box(&e1))));
        g.bench_function("base", |b| b.iter(|| hash_one(black_box(&b1))));
        g.bench_function("any", |b| b.iter(|| hash_one(black_box(&a1))));
        g.finish();
    }
}

/// Keeps `n` extra threads registered in the per-thread count list (each created and
/// dropped an object) until the returned sender is dropped.
fn park_threads(n: usize) -> (mpsc::Sender<()>, Vec<thread::JoinHandle<()>>) {
    let (tx, rx) = mpsc::channel::<()>();
    let rx = Arc::new(std::sync::Mutex::new(rx));
    let ready = Arc::new(Barrier::new(n + 1));
    let handles = (0..n)
        .map(|_| {
            let rx = Arc::clone(&rx);
            let ready = Arc::clone(&ready);
            thread::spawn(move || {
                drop(Obj::new(V));
                ready.wait();
                // Returns when the sender is dropped.
                let _ = rx.lock().map(|r| r.recv());
            })
        })
        .collect();
    ready.wait();
    (tx, handles)
}

fn live_count(c: &mut Criterion) {
    let _keep = Obj::new(V); // registers this thread
    let mut g = c.benchmark_group("live_count");
    for threads in [1usize, 2, 16] {
        let (tx, handles) = park_threads(threads - 1);
        assert!(rcobj::registered_threads() >= threads);
        g.bench_function(format!("{threads}_threads"), |b| {
            b.iter(|| black_box(V16::type_info()).live_count())
        });
        drop(tx);
        for h in handles {
            h.join().unwrap();
        }
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(700))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = create_drop, clone_drop, weak, unique, casts, live_count, eq_hash
}
criterion_main!(benches);
