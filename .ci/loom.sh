#!/usr/bin/env bash
# loom models of the count transitions, the per-thread slot merge and the runtime-type
# protocol (core/tests/loom.rs, loom_release.rs, loom_runtime_types.rs). Called from .ci/run.
#
# Release build in its own target directory, so the `--cfg loom` flags do not invalidate
# the ordinary builds. Each model prints its interleaving count and time. The control
# `zero_rmw_release_with_relaxed_load_is_caught` must fail inside loom, so one
# "Causality violation" report in the output is expected.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
    timeout "${RCOBJ_LOOM_TIMEOUT:-900}" \
    cargo test -p rcobj --release --test loom --test loom_release --test loom_runtime_types -- --nocapture
echo "loom: done in $(( $(date +%s) - start ))s"
