#!/usr/bin/env bash
# Miri on the core and integration test suites (strict provenance). Called from .ci/run.
#
# Installs the nightly toolchain's `miri` and `rust-src` components with rustup when they
# are missing; if they cannot be installed, prints one `SKIPPED miri: <why>` line and exits
# 0. Tests use fewer iterations under `cfg(miri)`; each suite is bounded by a timeout.
set -euo pipefail
cd "$(dirname "$0")/.."

skip() {
    echo "SKIPPED miri: $*"
    exit 0
}

command -v rustup >/dev/null 2>&1 || skip "rustup is not installed"
if ! cargo +nightly miri --version >/dev/null 2>&1 \
    || ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src'; then
    rustup toolchain install nightly --profile minimal >/dev/null 2>&1 \
        || skip "could not install the nightly toolchain with rustup"
    rustup component add --toolchain nightly miri rust-src >/dev/null 2>&1 \
        || skip "could not install the nightly miri and rust-src components with rustup"
fi
cargo +nightly miri setup >/dev/null 2>&1 || skip "cargo miri setup failed (sysroot build)"

start=$(date +%s)
export MIRIFLAGS="${MIRIFLAGS:--Zmiri-strict-provenance}"
limit="${RCOBJ_MIRI_TIMEOUT:-900}"
timeout "$limit" cargo +nightly miri test -p rcobj
timeout "$limit" cargo +nightly miri test -p rcobj-tests
echo "miri: done in $(( $(date +%s) - start ))s"
