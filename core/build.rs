//! Tells dependent build scripts where the C/C++ header is.
//!
//! The crate declares `links = "rcobj"`, so the `cargo:include=...` line below reaches the
//! build script of every crate that depends on `rcobj` directly as the environment variable
//! `DEP_RCOBJ_INCLUDE`: the absolute path of the directory holding `rcobj.h`, inside this
//! package (its source checkout or its unpacked copy in the cargo registry). Dependents
//! compile their C or C++ with `-I $DEP_RCOBJ_INCLUDE` and never need a path into rcobj's
//! source tree.

use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let include = manifest_dir.join("include");
    assert!(
        include.join("rcobj.h").is_file(),
        "rcobj.h is missing from {}",
        include.display()
    );
    // The script reads nothing else: rerun it only when it changes (dependents track the
    // header themselves).
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:include={}", include.display());
}
