//! Builds this crate's C and C++ the way a crate that uses rcobj should: against the
//! `rcobj.h` that the `rcobj` crate ships, in the directory that rcobj's build script
//! publishes as `DEP_RCOBJ_INCLUDE` (rcobj declares `links = "rcobj"`), never through a
//! path into rcobj's source tree.
//!
//! * `c/consumer.c` as C11;
//! * `cpp/consumer.cpp` twice, as C++11 and as C++17 (`RCOBJ_CPP_STD` names its entry
//!   points apart), into separate output directories;
//!
//! all with `-Wall -Wextra -pedantic -Werror` and conversion warnings (in C++ also
//! `-Wold-style-cast` and `-Wzero-as-null-pointer-constant`), so the header is checked to
//! compile warning-free in each language. When rcobj has its `tvm-ffi` feature
//! (`DEP_RCOBJ_TVM_FFI=1`), everything is compiled with `RCOBJ_TVM_FFI` defined, as the
//! header asks (its index constants follow the feature).

use std::env;
use std::path::PathBuf;

fn main() {
    let include = PathBuf::from(
        env::var_os("DEP_RCOBJ_INCLUDE")
            .expect("DEP_RCOBJ_INCLUDE is set by rcobj's build script (links = \"rcobj\")"),
    );
    let header = include.join("rcobj.h");
    assert!(
        include.is_absolute() && header.is_file(),
        "DEP_RCOBJ_INCLUDE ({}) is not an absolute directory holding rcobj.h",
        include.display()
    );
    println!("cargo:rerun-if-changed={}", header.display());
    println!("cargo:rerun-if-changed=c/consumer.c");
    println!("cargo:rerun-if-changed=cpp/consumer.cpp");
    // For the tests: which directory the C and C++ were compiled against.
    println!(
        "cargo:rustc-env=RCOBJ_CONSUMER_INCLUDE={}",
        include.display()
    );

    // With rcobj's `tvm-ffi` feature the header's index constants are libtvm_ffi's.
    let tvm_ffi = env::var_os("DEP_RCOBJ_TVM_FFI").is_some();
    let build = || {
        let mut b = cc::Build::new();
        if tvm_ffi {
            b.define("RCOBJ_TVM_FFI", None);
        }
        b
    };
    build()
        .file("c/consumer.c")
        .include(&include)
        .std("c11")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .flag("-pedantic")
        .flag("-Wconversion")
        .flag("-Wsign-conversion")
        .compile("rcobj_consumer_c");

    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    for std in ["11", "17"] {
        let dir = out_dir.join(format!("cpp{std}"));
        std::fs::create_dir_all(&dir).expect("create the C++ output directory");
        build()
            .cpp(true)
            .file("cpp/consumer.cpp")
            .include(&include)
            .std(&format!("c++{std}"))
            .define("RCOBJ_CPP_STD", std)
            .out_dir(&dir)
            .warnings(true)
            .extra_warnings(true)
            .warnings_into_errors(true)
            .flag("-pedantic")
            .flag("-Wconversion")
            .flag("-Wsign-conversion")
            .flag("-Wold-style-cast")
            .flag("-Wzero-as-null-pointer-constant")
            .compile(&format!("rcobj_consumer_cpp{std}"));
    }
}
