#!/usr/bin/env bash
# Instructions per operation of every tight-loop contender, counted by callgrind
# (deterministic, unlike timings on a shared machine; an atomic RMW counts as one).
# Usage: bash core/benches/callgrind.sh   (from the repository root; needs valgrind)
set -euo pipefail
ITERS=${ITERS:-100000}
cargo bench -p rcobj --bench tight_loop --no-run >/dev/null 2>&1
BIN=$(cargo bench -p rcobj --bench tight_loop --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "tight_loop" and m.get("executable"):
        print(m["executable"])')
OUT=$(mktemp)
valgrind --tool=callgrind --callgrind-out-file="$OUT" "$BIN" --bench --rounds 1 --iters "$ITERS" >/dev/null 2>&1
callgrind_annotate --inclusive=yes "$OUT" | python3 -c '
import re, sys
iters = int(sys.argv[1])
# Calls of each routine per run: warm-up (iters/10 of its group) + one round.
# Group sizes: create+drop and the create model use iters, the clone groups 4 x iters.
# create_box and clone_arc also run in a model group, so they run twice.
def ops(name):
    n = iters if name.startswith(("create", "model_create")) else 4 * iters
    n = n + n // 10
    return 2 * n if name in ("create_box", "clone_arc") else n
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+) .*tight_loop\.rs:tight_loop::((?:create|clone|model)_\w+) \[", line)
    if m:
        ir = int(m.group(1).replace(",", ""))
        print(f"{m.group(2):<20} {ir / ops(m.group(2)):8.1f} instructions/op")
' "$ITERS" | sort
rm -f "$OUT"
