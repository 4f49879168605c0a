#!/usr/bin/env bash
# What `#[derive(Object)]` costs a user's build: compile time and expanded lines per type.
#
# Generates two crates of N types each, depending on rcobj by path: `derived` (every type
# has `#[derive(Object)]`; a fifth are roots, each followed by four children of it; three
# fields each) and `plain` (the same structs, no derive). For each N it times RUNS rebuilds
# of each crate alone (`touch` + `cargo build`, debug profile, not incremental, dependencies built once) and
# reports the medians (wall clock and CPU time) and the derive's cost per type,
# (derived - plain) / N. With a
# nightly toolchain it also counts the lines of the expanded crates
# (`cargo +nightly rustc -- -Zunpretty=expanded`, which expands `inventory::submit!` too)
# and reports (derived - plain) / N.
#
#   bash core/benches/derive_cost.sh [N...]        (default: 116 464 1160; RUNS=3)
#
# The dependency versions are pinned by the workspace's Cargo.lock and resolved offline.
# The build directory is kept in ${TMPDIR:-/tmp}/rcobj-derive-cost so that the
# dependencies are compiled once across invocations.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(116 464 1160)
runs=${RUNS:-3}
dir=${TMPDIR:-/tmp}/rcobj-derive-cost
mkdir -p "$dir/derived/src" "$dir/plain/src"
cp "$root/Cargo.lock" "$dir/Cargo.lock"
cat >"$dir/Cargo.toml" <<EOF
[workspace]
members = ["derived", "plain"]
resolver = "2"
EOF
for c in derived plain; do
    cat >"$dir/$c/Cargo.toml" <<EOF
[package]
name = "gen-$c"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
rcobj = { path = "$root/core" }
EOF
done

# gen N derived|plain: the crate's source.
gen() {
    local n=$1 kind=$2 derive="" parent="" object_attr="" i r=0
    if [ "$kind" = derived ]; then
        derive="#[derive(Object)]"
        parent="#[parent]"
    fi
    echo '#![allow(dead_code, missing_docs)]'
    echo 'use rcobj::{Obj, Object};'
    for ((i = 0; i < n; i++)); do
        [ "$kind" = derived ] && object_attr="#[object(key = \"gen.T$i\")]"
        if ((i % 5 == 0)); then
            r=$i
            printf '\n%s\n%s\npub struct T%d {\n    pub id: u32,\n    pub name: String,\n    pub kids: Vec<Obj<T%d>>,\n}\n' \
                "$derive" "$object_attr" "$i" "$i"
        else
            printf '\n%s\n#[repr(C)]\n%s\npub struct T%d {\n    %s\n    pub base: T%d,\n    pub value: i64,\n    pub next: Option<Obj<T%d>>,\n}\n' \
                "$derive" "$object_attr" "$i" "$parent" "$r" "$r"
        fi
    done
}

# The plain structs hold `Obj<T>` of non-object types, which does not compile; so in the
# plain crate the fields are `Option<Box<T>>` / `Vec<Box<T>>` of the same shape.
gen_plain() {
    gen "$1" plain | sed -e 's/Obj</Box</g' -e 's/^use rcobj::{Obj, Object};$//'
}

median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

build() { cargo build --offline --quiet --manifest-path "$dir/Cargo.toml" -p "gen-$1"; }

# time_crate CRATE: "wall cpu" seconds, the medians of RUNS rebuilds (CPU = user + sys of
# cargo and rustc: the figure to trust on a loaded machine).
time_crate() {
    local c=$1 r
    build "$c" # warm: dependencies
    local TIMEFORMAT='%R %U %S'
    for ((r = 0; r < runs; r++)); do
        touch "$dir/$c/src/lib.rs"
        { time build "$c"; } 2>&1 | awk '{print $1, $2 + $3}'
    done >"$dir/times"
    echo "$(cut -d' ' -f1 "$dir/times" | median) $(cut -d' ' -f2 "$dir/times" | median)"
}

nightly=no
if rustup run nightly rustc --version >/dev/null 2>&1; then nightly=yes; fi

expanded_lines() {
    CARGO_TARGET_DIR="$dir/target-nightly" cargo +nightly rustc --offline --quiet \
        --manifest-path "$dir/Cargo.toml" -p "gen-$1" --lib -- -Zunpretty=expanded 2>/dev/null | wc -l
}

# A full rebuild of the generated crate each time: incremental reuse would hide the cost.
export CARGO_INCREMENTAL=0
export CARGO_TARGET_DIR="$dir/target"
echo "rcobj at $root ($(git -C "$root" log -1 --format='%h %s' 2>/dev/null || echo '?'))"
echo "$(rustc --version); runs per figure: $runs; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| types | derived: wall s / CPU s | plain: wall s / CPU s | derive cost, ms/type: wall / CPU | expanded lines/type (-Zunpretty) |"
echo "|---|---|---|---|---|"
for n in "${sizes[@]}"; do
    gen "$n" derived >"$dir/derived/src/lib.rs"
    gen_plain "$n" >"$dir/plain/src/lib.rs"
    read -r dw dc <<<"$(time_crate derived)"
    read -r pw pc <<<"$(time_crate plain)"
    perw=$(echo "($dw - $pw) * 1000 / $n" | bc -l)
    perc=$(echo "($dc - $pc) * 1000 / $n" | bc -l)
    lines="(no nightly)"
    if [ $nightly = yes ]; then
        ld=$(expanded_lines derived)
        lp=$(expanded_lines plain)
        lines=$(printf '%.1f' "$(echo "($ld - $lp) / $n" | bc -l)")
    fi
    printf '| %d | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f | %s |\n' \
        "$n" "$dw" "$dc" "$pw" "$pc" "$perw" "$perc" "$lines"
done
echo
echo "The derive's own output per type, formatted with prettyplease (macros in it, such as"
echo "the registration, counted as written):"
env -u CARGO_TARGET_DIR -u CARGO_INCREMENTAL cargo test -q --offline --manifest-path "$root/Cargo.toml" -p rcobj-macros expansion_lines \
    -- --ignored --nocapture 2>/dev/null | grep '^expansion lines'
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
