//! Build script of `rcobj`.
//!
//! **The header.** The crate declares `links = "rcobj"`, so the `cargo:include=...` line
//! reaches the build script of every crate that depends on `rcobj` directly as the
//! environment variable `DEP_RCOBJ_INCLUDE`: the absolute path of the directory holding
//! `rcobj.h`, inside this package (its source checkout or its unpacked copy in the cargo
//! registry). Dependents compile their C or C++ with `-I $DEP_RCOBJ_INCLUDE` and never need
//! a path into rcobj's source tree.
//!
//! **libtvm_ffi**, with the `tvm-ffi` feature only: linked from the `apache-tvm-ffi`
//! Python wheel. The library directory is, in order:
//!
//! 1. `RCOBJ_TVM_FFI_LIBDIR`, if set (it must hold `libtvm_ffi.so`);
//! 2. what `tvm-ffi-config --libdir` prints (the wheel installs that command);
//! 3. `lib/` of the `tvm_ffi` package that `python3` (or `$PYTHON`) finds.
//!
//! The library is linked through a symbolic link in `OUT_DIR`: a directory inside the
//! target directory, which Cargo puts on the run-time library path of everything it runs
//! (`cargo test`, `cargo run`, doctests), so those find the library without
//! `LD_LIBRARY_PATH`. Programs started another way need the directory on their library
//! path, or the library already loaded (as it is in a Python process that imported
//! `tvm_ffi`). Dependents' build scripts get the directory as `DEP_RCOBJ_TVM_FFI_LIBDIR`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The wheel the feature is built and tested against (also pinned by
/// `.ci/install-tvm-ffi.sh`).
const WHEEL: &str = "apache-tvm-ffi==0.1.15.post2";

fn main() {
    header();
    tvm_ffi();
}

/// Where `rcobj.h` is, for dependents (`DEP_RCOBJ_INCLUDE`).
fn header() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let include = manifest_dir.join("include");
    assert!(
        include.join("rcobj.h").is_file(),
        "rcobj.h is missing from {}",
        include.display()
    );
    // The script reads nothing else of the package: rerun it only when it changes
    // (dependents track the header themselves).
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:include={}", include.display());
}

/// Links libtvm_ffi for the `tvm-ffi` feature.
fn tvm_ffi() {
    if env::var_os("CARGO_FEATURE_TVM_FFI").is_none() {
        return;
    }
    println!("cargo:rerun-if-env-changed=RCOBJ_TVM_FFI_LIBDIR");
    println!("cargo:rerun-if-env-changed=PYTHON");
    println!("cargo:rerun-if-env-changed=PATH");
    let lib_name = library_file_name();
    let dir = match find_libdir(&lib_name) {
        Ok(dir) => dir,
        Err(tried) => {
            eprintln!(
                "error: the `tvm-ffi` feature of rcobj links {lib_name}, which was not found.\n\
                 Install the pinned tvm-ffi wheel:\n\n    pip install {WHEEL}\n\n\
                 or set RCOBJ_TVM_FFI_LIBDIR to the directory that holds {lib_name}.\n\
                 Looked in:\n  - {}",
                tried.join("\n  - ")
            );
            std::process::exit(1);
        }
    };
    let lib = dir.join(&lib_name);
    println!("cargo:rerun-if-changed={}", lib.display());
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("tvm-ffi");
    std::fs::create_dir_all(&out).expect("create OUT_DIR/tvm-ffi");
    let link = out.join(&lib_name);
    let _ = std::fs::remove_file(&link);
    if let Err(e) = link_or_copy(&lib, &link) {
        eprintln!(
            "error: cannot link {} to {}: {e}",
            lib.display(),
            link.display()
        );
        std::process::exit(1);
    }
    println!("cargo:rustc-link-search=native={}", out.display());
    println!("cargo:rustc-link-lib=dylib=tvm_ffi");
    // `DEP_RCOBJ_TVM_FFI_LIBDIR` for dependents' build scripts (e.g. to add an rpath).
    println!("cargo:tvm_ffi_libdir={}", dir.display());
}

fn library_file_name() -> String {
    match env::var("CARGO_CFG_TARGET_OS").as_deref() {
        Ok("macos") => "libtvm_ffi.dylib".into(),
        Ok("windows") => "tvm_ffi.dll".into(),
        _ => "libtvm_ffi.so".into(),
    }
}

#[cfg(unix)]
fn link_or_copy(from: &Path, to: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(from, to)
}

#[cfg(not(unix))]
fn link_or_copy(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::copy(from, to).map(|_| ())
}

/// The directory holding the library, or every place looked at.
fn find_libdir(lib_name: &str) -> Result<PathBuf, Vec<String>> {
    let mut tried = Vec::new();
    if let Some(dir) = env::var_os("RCOBJ_TVM_FFI_LIBDIR") {
        let dir = PathBuf::from(dir);
        if dir.join(lib_name).is_file() {
            return Ok(dir);
        }
        tried.push(format!(
            "RCOBJ_TVM_FFI_LIBDIR={}: no {lib_name}",
            dir.display()
        ));
        return Err(tried);
    }
    match Command::new("tvm-ffi-config").arg("--libdir").output() {
        Ok(out) if out.status.success() => {
            let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            if dir.join(lib_name).is_file() {
                return Ok(dir);
            }
            tried.push(format!(
                "`tvm-ffi-config --libdir` = {}: no {lib_name}",
                dir.display()
            ));
        }
        Ok(out) => tried.push(format!(
            "`tvm-ffi-config --libdir` exited with {}",
            out.status
        )),
        Err(e) => tried.push(format!("`tvm-ffi-config`: {e}")),
    }
    // Locate the package without importing it.
    const SCRIPT: &str = "import importlib.util, os\n\
        s = importlib.util.find_spec('tvm_ffi')\n\
        print(os.path.join(list(s.submodule_search_locations)[0], 'lib') if s else '')";
    let pythons = env::var("PYTHON")
        .ok()
        .into_iter()
        .chain(["python3".to_string(), "python".to_string()]);
    for py in pythons {
        match Command::new(&py).args(["-c", SCRIPT]).output() {
            Ok(out) if out.status.success() => {
                let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
                if !dir.as_os_str().is_empty() && dir.join(lib_name).is_file() {
                    return Ok(dir);
                }
                tried.push(format!("{py}: no tvm_ffi package with lib/{lib_name}"));
            }
            Ok(out) => tried.push(format!("{py}: exited with {}", out.status)),
            Err(e) => tried.push(format!("{py}: {e}")),
        }
    }
    Err(tried)
}
