#!/usr/bin/env bash
# Instructions per operation of every downstream loop, counted by callgrind (deterministic,
# unlike timings on a shared machine; an atomic RMW counts as one instruction).
# Each loop runs alone in its own process (`run ROUTINE`), and only the routine's own call
# is counted (`--toggle-collect`), so setup and warm-up are left out.
# Usage: bash benches/downstream/callgrind.sh [ROUTINE...]   (from the workspace root)
set -euo pipefail
ITERS=${ITERS:-1000000}
cargo build --release -p rcobj-downstream-bench >/dev/null 2>&1
BIN=target/release/rcobj-downstream-bench
ROUTINES=("$@")
if [ ${#ROUTINES[@]} -eq 0 ]; then
    mapfile -t ROUTINES < <("$BIN" list)
fi
OUT=$(mktemp)
for r in "${ROUTINES[@]}"; do
    # The routine is called twice (a warm-up of 1000, then ITERS); count both.
    valgrind --tool=callgrind --callgrind-out-file="$OUT" \
        --toggle-collect="*routines::$r" "$BIN" run "$r" --iters "$ITERS" >/dev/null 2>&1
    ir=$(callgrind_annotate "$OUT" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
    python3 -c "import sys; print(f'{sys.argv[1]:<18} {int(sys.argv[2]) / (int(sys.argv[3]) + 1000):8.1f} instructions/op')" "$r" "$ir" "$ITERS"
done
rm -f "$OUT"
