#!/usr/bin/env bash
# Instructions per node of each `reflect_hash` contender under callgrind: the difference
# between a run with R2 and one with R1 timed rounds, divided by the extra node visits, so
# that building the trees cancels out. Deterministic, unlike the timings.
#
#   bash core/benches/reflect_callgrind.sh [NODES] [R1] [R2]
set -euo pipefail
cd "$(dirname "$0")/../.."
nodes=${1:-20000}
r1=${2:-1}
r2=${3:-3}
cargo bench -p rcobj --bench reflect_hash --no-run 2>/dev/null
bin=$(ls -t target/release/deps/reflect_hash-* | grep -v '\.d$' | head -1)
names=("structural_hash" "hand-written Hash, SipHash-1-3" "hand-written Hash, Fx" "structural_eq (two trees)" "walk")
irs() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" --nodes "$nodes" --rounds "$1" --only "$2" 2>&1 >/dev/null |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
echo "instructions per node ($nodes nodes, rounds $r1 vs $r2):"
for i in "${!names[@]}"; do
    a=$(irs "$r1" "$i")
    b=$(irs "$r2" "$i")
    printf '  %-32s %6.0f\n' "${names[$i]}" "$(echo "($b - $a) / (($r2 - $r1) * $nodes)" | bc -l)"
done
