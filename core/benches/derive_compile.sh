#!/usr/bin/env bash
# Compile time of `#[derive(Object)]`: generates a crate of N derived types (a fifth of
# them roots, the rest children of the root before them; three fields each, some with doc
# comments) in a temporary directory, depending on rcobj by path, builds it once to compile
# the dependencies, then times RUNS rebuilds of the generated crate alone (`touch` +
# `cargo build`, debug profile, not incremental) and prints each (wall time, and CPU time,
# which a loaded machine disturbs less), the medians, and the medians per type.
#
#   bash core/benches/derive_compile.sh [CORE_DIR] [TYPES] [RUNS]
#
# CORE_DIR is the `core/` directory of the rcobj checkout to measure (default: this one),
# so a second checkout measures another commit with the same generated code, e.g.
#
#   git worktree add /tmp/reflect-base aed2787
#   bash core/benches/derive_compile.sh /tmp/reflect-base/core
#
# The dependency versions are pinned by that checkout's Cargo.lock and resolved offline.
# RCOBJ_DERIVE_COMPILE_CALLGRIND=1 also counts the instructions of one rebuild (see the end).
# RCOBJ_DERIVE_COMPILE_TARGET=dir keeps the build directory between invocations (the
# dependencies are then compiled once); RCOBJ_DERIVE_COMPILE_DIR=dir keeps the crate.
set -euo pipefail

core=$(cd "${1:-$(dirname "$0")/..}" && pwd)
types=${2:-500}
runs=${3:-5}
if [[ -n "${RCOBJ_DERIVE_COMPILE_DIR:-}" ]]; then
    dir=$RCOBJ_DERIVE_COMPILE_DIR # kept, to look at the generated crate
    mkdir -p "$dir"
else
    dir=$(mktemp -d "${TMPDIR:-/tmp}/rcobj-derive-compile.XXXXXX")
    trap 'rm -rf "$dir"' EXIT
fi

mkdir -p "$dir/src"
cat >"$dir/Cargo.toml" <<EOF
[package]
name = "rcobj-derive-compile"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
rcobj = { path = "$core" }

[workspace]
EOF
cp "$core/../Cargo.lock" "$dir/Cargo.lock"

{
    echo '#![allow(dead_code, missing_docs)]'
    echo 'use rcobj::{Obj, Object};'
    root=0
    for ((i = 0; i < types; i++)); do
        if ((i % 5 == 0)); then
            root=$i
            cat <<EOF

#[derive(Object)]
#[object(key = "gen.T$i")]
pub struct T$i {
    /// The id.
    pub id: u32,
    pub name: String,
    pub kids: Vec<Obj<T$i>>,
}
EOF
        else
            cat <<EOF

#[derive(Object)]
#[repr(C)]
#[object(key = "gen.T$i")]
pub struct T$i {
    #[parent]
    pub base: T$root,
    /// The value.
    pub value: i64,
    pub tag: Option<String>,
    pub next: Option<Obj<T$root>>,
}
EOF
        fi
    done
} >"$dir/src/lib.rs"

export CARGO_TARGET_DIR="${RCOBJ_DERIVE_COMPILE_TARGET:-$dir/target}"
# Without incremental compilation: a rebuild of unchanged code would otherwise reuse most
# of the previous one.
export CARGO_INCREMENTAL=0
build() {
    cargo build --offline --quiet --manifest-path "$dir/Cargo.toml"
}

echo "rcobj at $core ($(git -C "$core" log -1 --format='%h %s' 2>/dev/null || echo '?'))"
echo "$types types, $(wc -l <"$dir/src/lib.rs") lines; load: $(uptime | sed 's/.*load average/load average/')"
build 2>/dev/null # the dependencies, once (their warnings are not ours to show)
times=()
cpus=()
for ((r = 0; r < runs; r++)); do
    touch "$dir/src/lib.rs"
    # Wall time, and the CPU time of cargo and rustc (less sensitive to a loaded machine).
    out=$( { /usr/bin/time -f '%e %U %S' cargo build --offline --quiet --manifest-path "$dir/Cargo.toml"; } 2>&1 | tail -1)
    read -r wall user sys <<<"$out"
    cpu=$(echo "$user + $sys" | bc -l)
    times+=("$wall")
    cpus+=("$cpu")
    printf 'run %d: %.2f s wall, %.2f s CPU\n' "$((r + 1))" "$wall" "$cpu"
done
median() {
    printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
wall=$(median "${times[@]}")
cpu=$(median "${cpus[@]}")
printf 'median: %.2f s wall (%.2f ms per type), %.2f s CPU (%.2f ms per type)\n' \
    "$wall" "$(echo "$wall * 1000 / $types" | bc -l)" "$cpu" "$(echo "$cpu * 1000 / $types" | bc -l)"

# RCOBJ_DERIVE_COMPILE_CALLGRIND=1: one more rebuild with the generated crate's rustc
# under `valgrind --tool=callgrind`, printing the instructions it executed (all threads):
# a count that the machine's load does not disturb, for comparing two checkouts.
if [[ -n "${RCOBJ_DERIVE_COMPILE_CALLGRIND:-}" ]]; then
    cat >"$dir/callgrind-wrapper.sh" <<'WRAP'
#!/usr/bin/env bash
rustc=$1
shift
case " $* " in
*" --crate-name rcobj_derive_compile "*)
    exec valgrind --tool=callgrind --callgrind-out-file=/dev/null "$rustc" "$@" 2>"$RCOBJ_CALLGRIND_LOG"
    ;;
*) exec "$rustc" "$@" ;;
esac
WRAP
    chmod +x "$dir/callgrind-wrapper.sh"
    touch "$dir/src/lib.rs"
    RCOBJ_CALLGRIND_LOG="$dir/callgrind.log" RUSTC_WRAPPER="$dir/callgrind-wrapper.sh" build
    ir=$(awk '/Collected/ {gsub(",", "", $4); print $4}' "$dir/callgrind.log")
    printf 'instructions: %.3f G (%.2f M per type)\n' "$(echo "$ir / 1000000000" | bc -l)" \
        "$(echo "$ir / 1000000 / $types" | bc -l)"
fi
