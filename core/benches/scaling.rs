//! Multi-thread scaling of create+drop: one type, created and dropped on 1 and on 2
//! threads (plain `std::thread`), throughput ratio 2 threads / 1 thread.
//!
//! Contenders:
//!
//! * `rcobj` — `Obj::new` + drop, counted in the per-thread slot of its type;
//! * `Box` — `Box::new` + drop, no counting (the machine's own scaling);
//! * `shared-atomic` — `Box::new` + drop plus a relaxed `fetch_add`/`fetch_sub` on one
//!   shared per-type counter: what per-type instance counting (or a type refcount) costs
//!   without per-thread slots. Kept only here, to show the contrast.
//! * `rcobj-runtime` — instances of a runtime-defined type, each holding a reference to its
//!   type counted in per-thread slots.
//!
//! Every run measures all contenders, in an order that rotates from run to run; the report
//! gives medians over runs of each scaling figure and of rcobj's scaling relative to Box's.
//! It also gives each thread's CPU time per operation (`CLOCK_THREAD_CPUTIME_ID`), 1 thread
//! against 2: on a machine shared with other jobs the wall-clock figures measure mostly the
//! scheduler, while CPU time per operation still rises when two threads fight over one
//! cache line and stays flat when they do not.
//!
//! `cargo bench -p rcobj --bench scaling` (options: `-- --runs N --iters N`).

#![allow(dead_code)]

use std::hint::black_box;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Instant;

use rcobj::{Obj, Object};

mod common;
use common::{arg, median, Plain16, V16};

/// The shared-atomic variant: one counter for the type, written by every thread.
static SHARED_COUNT: AtomicI64 = AtomicI64::new(0);

struct SharedCounted(Box<Plain16>);

impl SharedCounted {
    #[inline]
    fn new(v: Plain16) -> Self {
        SHARED_COUNT.fetch_add(1, Ordering::Relaxed);
        SharedCounted(Box::new(v))
    }
}

impl Drop for SharedCounted {
    #[inline]
    fn drop(&mut self) {
        SHARED_COUNT.fetch_sub(1, Ordering::Relaxed);
    }
}

fn loop_rcobj(n: u64) {
    for _ in 0..n {
        drop(black_box(Obj::new(black_box(V16 { a: 1, b: 2 }))));
    }
}

/// A runtime-defined type with a 16-byte value: each instance holds a reference to its type,
/// counted in per-thread slots.
fn runtime_type() -> &'static rcobj::RuntimeType {
    static TYPE: std::sync::OnceLock<rcobj::RuntimeType> = std::sync::OnceLock::new();
    TYPE.get_or_init(|| {
        rcobj::RuntimeTypeBuilder::new("bench.scaling.Runtime16")
            .layout(16, 8)
            .register()
            .unwrap()
    })
}

fn loop_runtime(n: u64) {
    let ty = runtime_type();
    for _ in 0..n {
        drop(black_box(ty.new_object(|b| b[0] = 1).unwrap()));
    }
}

fn loop_box(n: u64) {
    for _ in 0..n {
        drop(black_box(Box::new(black_box(Plain16 { a: 1, b: 2 }))));
    }
}

fn loop_shared(n: u64) {
    for _ in 0..n {
        drop(black_box(SharedCounted::new(black_box(Plain16 {
            a: 1,
            b: 2,
        }))));
    }
}

/// CPU time consumed by the calling thread, in nanoseconds: time the thread spent
/// descheduled (other jobs on a shared machine) does not count, time lost to cache-line
/// contention does.
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
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut t = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable `struct timespec` (two 64-bit fields on 64-bit
    // Linux), and the clock id is a constant the kernel defines.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

#[cfg(not(target_os = "linux"))]
fn thread_cpu_ns() -> u64 {
    // Falls back to wall time: the CPU-time columns then repeat the wall-time figures.
    use std::sync::OnceLock;
    static T0: OnceLock<Instant> = OnceLock::new();
    T0.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// A named create+drop loop.
type Contender = (&'static str, fn(u64));

/// With `threads` threads each doing `n` create+drops: operations per second (wall
/// clock), and the mean CPU time per operation of the threads.
fn throughput(threads: usize, n: u64, f: fn(u64)) -> (f64, f64) {
    let start = Arc::new(Barrier::new(threads + 1));
    let done = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (start, done) = (Arc::clone(&start), Arc::clone(&done));
            thread::spawn(move || {
                f(n / 20); // warm up: thread slots, allocator caches
                start.wait();
                let cpu0 = thread_cpu_ns();
                f(n);
                let cpu = thread_cpu_ns() - cpu0;
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
    (ops as f64 / secs, cpu as f64 / ops as f64)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: run briefly then.
    let benching = std::env::args().any(|a| a == "--bench");
    let runs = arg("--runs", if benching { 9 } else { 1 }) as usize;
    let iters = arg("--iters", if benching { 4_000_000 } else { 1_000 });
    let contenders: [Contender; 4] = [
        ("rcobj", loop_rcobj),
        ("Box", loop_box),
        ("shared-atomic", loop_shared),
        ("rcobj-runtime", loop_runtime),
    ];
    let k = contenders.len();
    // Per contender and run: 1-thread and 2-thread Mops/s, their ratio, and the
    // 2-thread / 1-thread ratio of CPU time per operation.
    let mut one = vec![Vec::new(); k];
    let mut two = vec![Vec::new(); k];
    let mut scale = vec![Vec::new(); k];
    let mut cpu1 = vec![Vec::new(); k];
    let mut cpu2 = vec![Vec::new(); k];
    let mut cpu_ratio = vec![Vec::new(); k];
    for r in 0..runs {
        for i in 0..k {
            let c = (i + r) % k;
            let (t1, c1) = throughput(1, iters, contenders[c].1);
            let (t2, c2) = throughput(2, iters, contenders[c].1);
            one[c].push(t1 / 1e6);
            two[c].push(t2 / 1e6);
            scale[c].push(t2 / t1);
            cpu1[c].push(c1);
            cpu2[c].push(c2);
            cpu_ratio[c].push(c2 / c1);
        }
    }
    assert_eq!(SHARED_COUNT.load(Ordering::Relaxed), 0);
    assert_eq!(V16::type_info().live_count(), 0);
    assert_eq!(runtime_type().live_count(), 0);
    println!(
        "\ncreate+drop scaling, 1 -> 2 threads (median of {runs} runs, {iters} ops per thread)"
    );
    println!(
        "{:<14} {:>10} {:>10} {:>10} {:>12} {:>11} {:>11} {:>12}",
        "contender",
        "1T Mops/s",
        "2T Mops/s",
        "2T/1T",
        "2T/1T / Box",
        "1T CPU ns",
        "2T CPU ns",
        "CPU 2T/1T"
    );
    let box_i = 1;
    for i in 0..k {
        let mut rel: Vec<f64> = (0..runs).map(|r| scale[i][r] / scale[box_i][r]).collect();
        println!(
            "{:<14} {:>10.1} {:>10.1} {:>10.3} {:>12.3} {:>11.2} {:>11.2} {:>12.3}",
            contenders[i].0,
            median(&mut one[i].clone()),
            median(&mut two[i].clone()),
            median(&mut scale[i].clone()),
            median(&mut rel),
            median(&mut cpu1[i].clone()),
            median(&mut cpu2[i].clone()),
            median(&mut cpu_ratio[i].clone()),
        );
    }
}
