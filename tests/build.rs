//! Compiles the C side of the C-ABI tests (`c/rcobj_test.c`) against `rcobj.h` as the
//! `rcobj` crate ships it (the directory in `DEP_RCOBJ_INCLUDE`, from rcobj's build
//! script), as a strict C11 translation unit with warnings as errors.

use std::path::PathBuf;

fn main() {
    let include =
        PathBuf::from(std::env::var_os("DEP_RCOBJ_INCLUDE").expect("rcobj's build script sets it"));
    println!("cargo:rerun-if-changed=c/rcobj_test.c");
    println!(
        "cargo:rerun-if-changed={}",
        include.join("rcobj.h").display()
    );
    cc::Build::new()
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
