//! `structural_hash` of a 100 000-node tree, beside a hand-written `Hash` of the same tree
//! (a `downcast_ref` dispatch per node, as one would write it for an rcobj hierarchy) with
//! std's `DefaultHasher` (SipHash-1-3) and with an Fx-style hasher like the one
//! `structural_hash` uses; and `structural_eq` of two such trees built apart, and `walk`.
//!
//! A plain harness: `--rounds` rounds (default 21), each timing every contender once, in
//! an order that rotates; prints the median ns per node. `--only i` runs contender `i`
//! alone, for instruction counts (`core/benches/reflect_callgrind.sh`).
//!
//!     cargo bench -p rcobj --bench reflect_hash -- --rounds 21 --nodes 100000

#![allow(missing_docs)]

use std::hash::{DefaultHasher, Hash, Hasher};
use std::hint::black_box;
use std::time::Instant;

use rcobj::reflect::{structural_eq, structural_hash, walk};
use rcobj::{Obj, Object};

mod common;
use common::{arg, median};

#[derive(Object)]
#[object(key = "bench.reflect.Expr")]
struct Expr {
    span: u32,
}

#[derive(Object)]
#[repr(C)]
#[object(key = "bench.reflect.Binary", final)]
struct Binary {
    #[parent]
    expr: Expr,
    op: u8,
    lhs: Obj<Expr>,
    rhs: Obj<Expr>,
}

#[derive(Object)]
#[repr(C)]
#[object(key = "bench.reflect.Const", final)]
struct Const {
    #[parent]
    expr: Expr,
    value: i64,
}

#[derive(Object)]
#[repr(C)]
#[object(key = "bench.reflect.Var", final)]
struct Var {
    #[parent]
    expr: Expr,
    name: String,
}

/// A balanced tree of `n` nodes: `Binary` inside, `Const` and `Var` leaves alternating.
fn tree(n: usize, at: &mut u32) -> Obj<Expr> {
    *at += 1;
    let span = *at;
    if n <= 1 {
        return if span.is_multiple_of(2) {
            Obj::new(Const {
                expr: Expr { span },
                value: i64::from(span),
            })
            .upcast()
        } else {
            Obj::new(Var {
                expr: Expr { span },
                name: format!("v{}", span % 100),
            })
            .upcast()
        };
    }
    let left = (n - 1) / 2;
    Obj::new(Binary {
        expr: Expr { span },
        op: (span % 4) as u8,
        lhs: tree(left, at),
        rhs: tree(n - 1 - left, at),
    })
    .upcast()
}

/// The hand-written hash: what the type's fields are, known at compile time.
fn hand<H: Hasher>(e: &Obj<Expr>, h: &mut H) {
    if let Some(b) = e.downcast_ref::<Binary>() {
        0u8.hash(h);
        b.expr.span.hash(h);
        b.op.hash(h);
        hand(&b.lhs, h);
        hand(&b.rhs, h);
    } else if let Some(c) = e.downcast_ref::<Const>() {
        1u8.hash(h);
        c.expr.span.hash(h);
        c.value.hash(h);
    } else if let Some(v) = e.downcast_ref::<Var>() {
        2u8.hash(h);
        v.expr.span.hash(h);
        v.name.hash(h);
    }
}

/// FxHash's step, as `structural_hash` uses it.
#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut w = [0; 8];
            w[..c.len()].copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(w));
        }
    }

    fn write_u8(&mut self, x: u8) {
        self.write_u64(u64::from(x));
    }

    fn write_u32(&mut self, x: u32) {
        self.write_u64(u64::from(x));
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

fn main() {
    let rounds = arg("--rounds", 21) as usize;
    let nodes = arg("--nodes", 100_000) as usize;
    let a = tree(nodes, &mut 0);
    let b = tree(nodes, &mut 0);
    assert!(structural_eq(&a, &b));
    assert_eq!(structural_hash(&a), structural_hash(&b));

    type Contender<'t> = (&'static str, Box<dyn Fn() -> u64 + 't>);
    let contenders: Vec<Contender<'_>> = vec![
        (
            "structural_hash",
            Box::new(|| structural_hash(black_box(&a))),
        ),
        (
            "hand-written Hash, SipHash-1-3",
            Box::new(|| {
                let mut h = DefaultHasher::new();
                hand(black_box(&a), &mut h);
                h.finish()
            }),
        ),
        (
            "hand-written Hash, Fx",
            Box::new(|| {
                let mut h = Fx::default();
                hand(black_box(&a), &mut h);
                h.finish()
            }),
        ),
        (
            "structural_eq (two trees)",
            Box::new(|| u64::from(structural_eq(black_box(&a), black_box(&b)))),
        ),
        (
            "walk",
            Box::new(|| {
                let mut n = 0u64;
                walk(black_box(&a), |_| n += 1);
                n
            }),
        ),
    ];
    // `--only i`: time contender `i` alone (for `valgrind --tool=callgrind`, where the
    // difference between two round counts is the cost of the extra rounds).
    let only = arg("--only", u64::MAX);
    let mut ns: Vec<Vec<f64>> = vec![Vec::new(); contenders.len()];
    for round in 0..rounds + 1 {
        for k in 0..contenders.len() {
            let i = (k + round) % contenders.len();
            if only != u64::MAX && i as u64 != only {
                continue;
            }
            let start = Instant::now();
            black_box((contenders[i].1)());
            let t = start.elapsed().as_nanos() as f64 / nodes as f64;
            if round > 0 {
                ns[i].push(t); // round 0 warms up
            }
        }
    }
    println!("{nodes} nodes, {rounds} rounds: median ns per node (min-max)");
    for (i, (name, _)) in contenders.iter().enumerate() {
        if ns[i].is_empty() {
            continue;
        }
        let (lo, hi) = ns[i]
            .iter()
            .fold((f64::MAX, 0f64), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        println!(
            "  {name:<32} {:>7.2}  ({lo:.2}-{hi:.2})",
            median(&mut ns[i])
        );
    }
}
