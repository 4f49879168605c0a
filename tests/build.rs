//! Compiles the C side of the C-ABI tests (`c/rcobj_test.c`) against `rcobj.h` as the
//! `rcobj` crate ships it (the directory in `DEP_RCOBJ_INCLUDE`, from rcobj's build
//! script), as a strict C11 translation unit with warnings as errors.
//!
//! When rcobj is built with its `tvm-ffi` feature (`DEP_RCOBJ_TVM_FFI=1`), the C side is
//! compiled with `RCOBJ_TVM_FFI` defined, as the header asks, and the Rust tests get
//! `cfg(rcobj_tvm_ffi)`: type indices then come from libtvm_ffi (one index space, a key's
//! index kept for the life of the process), which some expectations depend on.

use std::path::PathBuf;

fn main() {
    let include =
        PathBuf::from(std::env::var_os("DEP_RCOBJ_INCLUDE").expect("rcobj's build script sets it"));
    println!("cargo:rerun-if-changed=c/rcobj_test.c");
    println!(
        "cargo:rerun-if-changed={}",
        include.join("rcobj.h").display()
    );
    println!("cargo::rustc-check-cfg=cfg(rcobj_tvm_ffi)");
    let tvm_ffi = std::env::var_os("DEP_RCOBJ_TVM_FFI").is_some();
    if tvm_ffi {
        println!("cargo::rustc-cfg=rcobj_tvm_ffi");
    }
    let mut build = cc::Build::new();
    if tvm_ffi {
        build.define("RCOBJ_TVM_FFI", None);
    }
    build
        .file("c/rcobj_test.c")
        .include(&include)
        .std("c11")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .flag_if_supported("-pedantic")
        .flag_if_supported("-Wconversion")
        .flag_if_supported("-Wsign-conversion")
        .compile("rcobj_c_test");
}
