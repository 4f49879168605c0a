//! Compiles the C side of the C-ABI tests (`c/rcobj_test.c`) against `include/rcobj.h`,
//! as a strict C11 translation unit with warnings as errors.

fn main() {
    println!("cargo:rerun-if-changed=c/rcobj_test.c");
    println!("cargo:rerun-if-changed=../include/rcobj.h");
    cc::Build::new()
        .file("c/rcobj_test.c")
        .include("../include")
        .std("c11")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .flag_if_supported("-pedantic")
        .flag_if_supported("-Wconversion")
        .flag_if_supported("-Wsign-conversion")
        .compile("rcobj_c_test");
}
