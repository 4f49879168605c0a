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
use std::sync::Arc;
use std::time::Instant;

use rcobj::{Obj, Object};

#[derive(Object, Clone, Copy)]
#[object(key = "bench.tight.V16")]
struct V16 {
    a: u64,
    b: u64,
}

#[derive(Clone, Copy)]
struct Plain16 {
    a: u64,
    b: u64,
}

const V: V16 = V16 { a: 1, b: 2 };
const P: Plain16 = Plain16 { a: 1, b: 2 };

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

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn run(title: &str, contenders: &[(&str, Routine)], rounds: usize, iters: u64) {
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
    let find = |name: &str| contenders.iter().position(|(n, _)| *n == name);
    println!("\n{title} (median of {rounds} rounds x {iters} iterations)");
    println!(
        "{:<10} {:>9} {:>14} {:>14}",
        "contender", "ns/op", "ratio vs Arc", "ratio vs Box"
    );
    for (i, (name, _)) in contenders.iter().enumerate() {
        let ns = median(&mut times[i].clone());
        let ratio_to = |j: Option<usize>| match j {
            Some(j) => {
                let mut r: Vec<f64> = (0..rounds).map(|r| times[i][r] / times[j][r]).collect();
                format!("{:.3}", median(&mut r))
            }
            None => "-".to_string(),
        };
        println!(
            "{:<10} {:>9.2} {:>14} {:>14}",
            name,
            ns,
            ratio_to(find("Arc")),
            ratio_to(find("Box"))
        );
    }
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
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
            ("Arc", create_arc),
            ("triomphe", create_triomphe),
            ("Box", create_box),
        ],
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
        rounds,
        iters * 4,
    );
}
