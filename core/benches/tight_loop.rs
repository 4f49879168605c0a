//! A plain tight-loop harness (`for` + `black_box`, timed with `Instant`): the same
//! create+drop and clone+drop figures as the criterion suite, without criterion's
//! per-iteration bookkeeping around the routine.
//!
//! Each round times every contender once, in an order that rotates from round to round;
//! the report gives the median ns/op of each contender and the median of the per-round
//! ratios to `Arc` and to `Box`.
//!
//! `cargo bench -p rcobj --bench tight_loop` (options: `-- --rounds N --iters N`).

#![allow(dead_code, missing_docs)]

use std::hint::black_box;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::Arc;
use std::time::Instant;

use rcobj::{AnyObj, Obj};

mod common;
use common::{arg, median, P, V};

type Routine = fn(u64) -> f64;

fn time(iters: u64, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed().as_nanos() as f64 / iters as f64
}

fn create_rcobj(n: u64) -> f64 {
    time(n, || drop(black_box(Obj::new(black_box(V)))))
}
/// The same object released through an `AnyObj`: the deleter is called through the
/// pointer, inside the thread-local bracket that lets a panic reach the Rust caller.
fn create_rcobj_any(n: u64) -> f64 {
    time(n, || {
        let any: AnyObj = Obj::new(black_box(V)).upcast();
        drop(black_box(any))
    })
}
fn create_arc(n: u64) -> f64 {
    time(n, || drop(black_box(Arc::new(black_box(P)))))
}
fn create_triomphe(n: u64) -> f64 {
    time(n, || drop(black_box(triomphe::Arc::new(black_box(P)))))
}
fn create_box(n: u64) -> f64 {
    time(n, || drop(black_box(Box::new(black_box(P)))))
}

fn clone_rcobj(n: u64) -> f64 {
    let o = Obj::new(V);
    time(n, || drop(black_box(Obj::clone(black_box(&o)))))
}
fn clone_arc(n: u64) -> f64 {
    let a = Arc::new(P);
    time(n, || drop(black_box(Arc::clone(black_box(&a)))))
}
fn clone_triomphe(n: u64) -> f64 {
    let a = triomphe::Arc::new(P);
    time(n, || drop(black_box(triomphe::Arc::clone(black_box(&a)))))
}

// A model of fast path 2, to decide it from one run: rcobj's packed count word with
// exactly rcobj's operations, released either by RMW alone or by a load first.
//
// Clone: relaxed `fetch_add(1)`, abort past `i32::MAX` in the strong half. Drop: either
// `fetch_sub(1, Release)` and a test of the strong half (no fast path 2), or an acquire
// load compared with strong 1 + weak 1 first (fast path 2).
const BOTH_ONE: u64 = (1 << 32) | 1;

#[cold]
#[inline(never)]
fn model_overflow() -> ! {
    std::process::abort()
}

#[cold]
#[inline(never)]
fn model_last(w: &AtomicU64) {
    black_box(w);
}

#[inline(always)]
fn model_clone(w: &AtomicU64) {
    if w.fetch_add(1, Relaxed) as u32 >= i32::MAX as u32 {
        model_overflow();
    }
}

#[inline(always)]
fn model_drop_rmw(w: &AtomicU64) {
    if w.fetch_sub(1, Release) as u32 == 1 {
        model_last(w);
    }
}

#[inline(always)]
fn model_drop_fp2(w: &AtomicU64) {
    if w.load(Acquire) == BOTH_ONE {
        model_last(w);
        return;
    }
    model_drop_rmw(w);
}

/// Not a valid release for the packed word (it tests the whole word, as `Arc` tests its
/// own strong count): isolates what `lock inc`/`lock dec` with a branch on the flags
/// would cost in place of `lock xadd` and a compare of the low half.
fn model_clone_flags(n: u64) -> f64 {
    let w = Box::new(AtomicU64::new(BOTH_ONE));
    time(n, || {
        let w = black_box(&w);
        if (w.fetch_add(1, Relaxed) as i64) < 0 {
            model_overflow();
        }
        let w = black_box(w);
        if w.fetch_sub(1, Release) == 1 {
            model_last(w);
        }
    })
}
fn model_clone_rmw(n: u64) -> f64 {
    let w = Box::new(AtomicU64::new(BOTH_ONE));
    time(n, || {
        model_clone(black_box(&w));
        model_drop_rmw(black_box(&w));
    })
}
fn model_clone_fp2(n: u64) -> f64 {
    let w = Box::new(AtomicU64::new(BOTH_ONE));
    time(n, || {
        model_clone(black_box(&w));
        model_drop_fp2(black_box(&w));
    })
}
fn model_create_rmw(n: u64) -> f64 {
    time(n, || {
        let b = black_box(Box::new((AtomicU64::new(BOTH_ONE), black_box(P))));
        if b.0.fetch_sub(1, Release) as u32 != 1 {
            std::mem::forget(b);
        }
    })
}
fn model_create_fp2(n: u64) -> f64 {
    time(n, || {
        let b = black_box(Box::new((AtomicU64::new(BOTH_ONE), black_box(P))));
        if b.0.load(Acquire) != BOTH_ONE && b.0.fetch_sub(1, Release) as u32 != 1 {
            std::mem::forget(b);
        }
    })
}

fn run(title: &str, contenders: &[(&str, Routine)], bases: &[&str], rounds: usize, iters: u64) {
    // Warm up allocator caches and the thread's count slot.
    for (_, f) in contenders {
        f(iters / 10);
    }
    let k = contenders.len();
    let mut times = vec![Vec::with_capacity(rounds); k];
    for r in 0..rounds {
        for i in 0..k {
            let c = (i + r) % k;
            times[c].push(contenders[c].1(iters));
        }
    }
    let bases: Vec<usize> = bases
        .iter()
        .filter_map(|b| contenders.iter().position(|(n, _)| n == b))
        .collect();
    println!("\n{title} (median of {rounds} rounds x {iters} iterations)");
    print!("{:<10} {:>9}", "contender", "ns/op");
    for &b in &bases {
        print!(" {:>16}", format!("ratio vs {}", contenders[b].0));
    }
    println!();
    for (i, (name, _)) in contenders.iter().enumerate() {
        print!("{:<10} {:>9.2}", name, median(&mut times[i].clone()));
        for &j in &bases {
            let mut r: Vec<f64> = (0..rounds).map(|r| times[i][r] / times[j][r]).collect();
            print!(" {:>16.3}", median(&mut r));
        }
        println!();
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: run briefly then.
    let benching = std::env::args().any(|a| a == "--bench");
    let rounds = arg("--rounds", if benching { 61 } else { 1 }) as usize;
    let iters = arg("--iters", if benching { 400_000 } else { 1_000 });
    run(
        "create+drop of a 16-byte value",
        &[
            ("rcobj", create_rcobj),
            ("rcobj-any", create_rcobj_any),
            ("Arc", create_arc),
            ("triomphe", create_triomphe),
            ("Box", create_box),
        ],
        &["Arc", "Box"],
        rounds,
        iters,
    );
    run(
        "clone+drop",
        &[
            ("rcobj", clone_rcobj),
            ("Arc", clone_arc),
            ("triomphe", clone_triomphe),
        ],
        &["Arc"],
        rounds,
        iters * 4,
    );
    run(
        "fast path 2 model: clone+drop on rcobj's packed word (Arc is std's two-word Arc)",
        &[
            ("rmw-only", model_clone_rmw),
            ("load+rmw", model_clone_fp2),
            ("flags", model_clone_flags),
            ("Arc", clone_arc),
        ],
        &["rmw-only", "Arc"],
        rounds,
        iters * 4,
    );
    run(
        "fast path 2 model: create+drop, released by one RMW or by one load",
        &[
            ("rmw-only", model_create_rmw),
            ("load-only", model_create_fp2),
            ("Box", create_box),
        ],
        &["rmw-only", "Box"],
        rounds,
        iters,
    );
}
