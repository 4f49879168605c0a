#!/usr/bin/env bash
# ThreadSanitizer and AddressSanitizer runs of the core and integration test suites.
# Optional (not called from .ci/run by default: it rebuilds std twice); needs a nightly
# toolchain with rust-src. Prints one `SKIPPED sanitizers: <why>` line when it has none.
#
# `--cfg rcobj_tsan` turns the acquire fence after a final decrement into an acquire load,
# which TSan understands (it does not model fences), as std's `Arc` does.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src'; then
    echo "SKIPPED sanitizers: no nightly toolchain with rust-src"
    exit 0
fi

target=x86_64-unknown-linux-gnu
limit="${RCOBJ_SANITIZER_TIMEOUT:-1200}"
start=$(date +%s)

echo "-- ThreadSanitizer"
RUSTFLAGS="-Zsanitizer=thread --cfg rcobj_tsan" CARGO_TARGET_DIR=target/tsan \
    TSAN_OPTIONS="halt_on_error=1" \
    timeout "$limit" cargo +nightly test -Zbuild-std --target "$target" \
    -p rcobj -p rcobj-tests --tests

echo "-- AddressSanitizer"
RUSTFLAGS="-Zsanitizer=address" CARGO_TARGET_DIR=target/asan \
    ASAN_OPTIONS="detect_leaks=1" \
    timeout "$limit" cargo +nightly test -Zbuild-std --target "$target" \
    -p rcobj -p rcobj-tests --tests

echo "sanitizers: done in $(( $(date +%s) - start ))s"
