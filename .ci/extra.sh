#!/usr/bin/env bash
# Runs every example (each asserts what it prints) and the tests of the `serde` feature.
# Called from .ci/run; debug profile, so it reuses the build of `cargo test --workspace`.
set -euo pipefail
cd "$(dirname "$0")/.."

# The plugin example loads this cdylib from the target directory.
cargo build -p rcobj-plugin-demo

for file in examples/examples/*.rs; do
    name=$(basename "$file" .rs)
    echo "-- cargo run -p rcobj-examples --example $name"
    cargo run -q -p rcobj-examples --example "$name"
done

cargo test -p rcobj --features serde

# `no_std` + `alloc`: the runtime builds and its own tests pass without the `std` feature.
cargo clippy -p rcobj --no-default-features -- -D warnings
cargo test -p rcobj --no-default-features
