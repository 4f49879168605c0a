#!/usr/bin/env bash
# The `tvm-ffi` feature: its Rust tests, lints and docs, and the Python end-to-end test.
#
# 1. `cargo test -p rcobj --features tvm-ffi` (and clippy, rustdoc) against the pinned wheel;
# 2. builds `tests/tvm-ffi-py` (a cdylib) with and without the feature and runs
#    `tests/python/test_tvm_ffi.py` on both builds.
# Called by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
bash .ci/install-tvm-ffi.sh

echo "== cargo test -p rcobj --features tvm-ffi"
cargo test -p rcobj --features tvm-ffi
echo "== cargo clippy --features tvm-ffi"
cargo clippy -p rcobj --features tvm-ffi --all-targets -- -D warnings
cargo clippy -p rcobj-tvm-ffi-py --features tvm-ffi --all-targets -- -D warnings
echo "== cargo doc --features tvm-ffi"
RUSTDOCFLAGS="-D warnings" cargo doc -p rcobj --no-deps --features tvm-ffi

echo "== tests/python/test_tvm_ffi.py"
out=target/tvm-ffi-py
mkdir -p "$out/with" "$out/without"
cargo build -p rcobj-tvm-ffi-py --features tvm-ffi
cp target/debug/librcobj_tvm_ffi_py.so "$out/with/"
cargo build -p rcobj-tvm-ffi-py
cp target/debug/librcobj_tvm_ffi_py.so "$out/without/"
"$PYTHON" tests/python/test_tvm_ffi.py "$out/with/librcobj_tvm_ffi_py.so" \
    "$out/without/librcobj_tvm_ffi_py.so"
