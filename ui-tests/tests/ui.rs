//! trybuild cases for `#[derive(Object)]`: every misuse must fail with a clear error on the
//! offending tokens, and every supported shape must compile and run.
//!
//! * `attr/` — the keys of `#[object(...)]` and where the attributes go;
//! * `shape/` — items that cannot be object types (enums, unions, generics, `packed`);
//! * `parent/` — `#[parent]`: placement, `repr(C)`, non-object and `final` parents,
//!   alignment, and a `crate = "..."` path whose `__private` lies;
//! * `cast/` — upcasts the type system must refuse;
//! * `forge/` — impls of the traits an upcast trusts, written outside rcobj;
//! * `combined/` — several errors in one input, reported together and without cascades;
//! * `reflect/` — the field attributes `#[object(skip)]` and `#[object(rename = "...")]`;
//!   `reflect/pass/` — reflection that must compile and run (no `unsafe`, absolute paths,
//!   re-exported runtime, `macro_rules!`);
//! * `pass/` — what must compile (and run).
//!
//! The expected `.stderr` files depend on the rustc version (stable, as pinned for CI) and
//! quote a few lines of `core/src`. Regenerate them with
//! `TRYBUILD=overwrite cargo test -p rcobj-ui-tests`, then read every changed file.

#[test]
#[cfg_attr(
    any(miri, loom, rcobj_tsan),
    ignore = "trybuild runs cargo and rustc; the expected output is for plain builds"
)]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/attr/*.rs");
    t.compile_fail("tests/ui/shape/*.rs");
    t.compile_fail("tests/ui/parent/*.rs");
    t.compile_fail("tests/ui/cast/*.rs");
    t.compile_fail("tests/ui/forge/*.rs");
    t.compile_fail("tests/ui/combined/*.rs");
    t.compile_fail("tests/ui/reflect/*.rs");
    t.pass("tests/ui/pass/*.rs");
    t.pass("tests/ui/reflect/pass/*.rs");
}
