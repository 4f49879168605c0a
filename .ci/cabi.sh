#!/usr/bin/env bash
# C and C++ ABI and tvm-ffi interop: installs the pinned apache-tvm-ffi wheel, runs the
# c_abi and tvm_ffi tests (with CI set, a missing libtvm_ffi.so fails the tvm_ffi test) and
# the tests of tests/c-consumer (C11, C++11 and C++17 built against DEP_RCOBJ_INCLUDE), then
# runs the C test (c_abi), the C++ test (consumer) and tvm_ffi under valgrind: memory errors
# and leaks fail; then the same, and rcobj's own tvm-ffi tests, with the `tvm-ffi` feature.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
export PYTHON

bash .ci/install-tvm-ffi.sh

tests=(-p rcobj-tests --test c_abi --test tvm_ffi -p rcobj-c-consumer --test consumer --test queries_duplicate_key)

echo "== cabi: cargo test ${tests[*]}"
cargo test "${tests[@]}"

if ! command -v valgrind >/dev/null 2>&1; then
  if [ -n "${CI:-}" ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
  else
    echo "cabi: valgrind is not installed" >&2
    exit 1
  fi
fi
# Runs the named test binaries of `cargo test $@` under valgrind.
under_valgrind() {
  local names=$1
  shift
  # The test binaries' paths, from cargo's JSON messages.
  local bins
  bins=$(cargo test "$@" --no-run --message-format=json 2>/dev/null |
    NAMES="$names" "$PYTHON" -c '
import json, os, sys
names = os.environ["NAMES"].split()
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] in names and m.get("executable"):
        print(m["target"]["name"], m["executable"])
')
  for name in $names; do
    local bin
    bin=$(printf '%s\n' "$bins" | awk -v n="$name" '$1 == n { print $2 }')
    if [ -z "$bin" ]; then
      echo "cabi: could not find the $name test binary" >&2
      exit 1
    fi
    echo "== cabi: $name under valgrind ($*)"
    valgrind --quiet --leak-check=full --error-exitcode=1 \
      --suppressions=tests/c/valgrind.supp \
      "$bin" --test-threads=1
  done
}

under_valgrind "c_abi consumer tvm_ffi" "${tests[@]}"
# Binaries linked with the feature find libtvm_ffi in the wheel (cargo test would put it on
# their library path itself).
LD_LIBRARY_PATH="$("$PYTHON" -c 'import os, tvm_ffi; print(os.path.join(os.path.dirname(tvm_ffi.__file__), "lib"))')${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
# With the `tvm-ffi` feature: one index space with libtvm_ffi, and rcobj's own tests of it
# (types, fields and values registered in and read back through libtvm_ffi).
under_valgrind "c_abi consumer tvm_ffi" "${tests[@]}" --features rcobj/tvm-ffi
under_valgrind "tvm_ffi_types tvm_ffi_values tvm_ffi_reflection" -p rcobj --features tvm-ffi \
  --test tvm_ffi_types --test tvm_ffi_values --test tvm_ffi_reflection
