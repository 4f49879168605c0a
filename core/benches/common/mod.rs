//! What the bench binaries share: the 16-byte values and the small helpers of the
//! hand-written harnesses. Each binary uses a part of it.
#![allow(dead_code)]

use rcobj::Object;

/// The 16-byte value every create/clone benchmark uses.
#[derive(Object, Clone, Copy, Debug, PartialEq)]
#[object(key = "bench.V16")]
pub struct V16 {
    pub a: u64,
    pub b: u64,
}

/// The same 16 bytes for the std/triomphe/Box contenders.
#[derive(Clone, Copy)]
pub struct Plain16 {
    pub a: u64,
    pub b: u64,
}

pub const V: V16 = V16 { a: 1, b: 2 };
pub const P: Plain16 = Plain16 { a: 1, b: 2 };

/// The median (sorts `v`).
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The number after `name` on the command line, or `default`.
pub fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
