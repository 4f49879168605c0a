#!/usr/bin/env bash
# C and C++ ABI and tvm-ffi interop: installs the pinned apache-tvm-ffi wheel, runs the
# c_abi and tvm_ffi tests (with CI set, a missing libtvm_ffi.so fails the tvm_ffi test) and
# the tests of tests/c-consumer (C11, C++11 and C++17 built against DEP_RCOBJ_INCLUDE), then
# runs the C test (c_abi), the C++ test (consumer) and tvm_ffi under valgrind: memory errors
# and leaks fail.
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
# The test binaries' paths, from cargo's JSON messages.
bins=$(cargo test "${tests[@]}" --no-run --message-format=json 2>/dev/null |
  "$PYTHON" -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] in ("c_abi", "tvm_ffi", "consumer") and m.get("executable"):
        print(m["target"]["name"], m["executable"])
')
for name in c_abi consumer tvm_ffi; do
  bin=$(printf '%s\n' "$bins" | awk -v n="$name" '$1 == n { print $2 }')
  if [ -z "$bin" ]; then
    echo "cabi: could not find the $name test binary" >&2
    exit 1
  fi
  echo "== cabi: $name under valgrind"
  valgrind --quiet --leak-check=full --error-exitcode=1 \
    --suppressions=tests/c/valgrind.supp \
    "$bin" --test-threads=1
done
