#!/usr/bin/env bash
# Compiles every benchmark of rcobj without running it, so that the benches cannot rot.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p rcobj --no-run
