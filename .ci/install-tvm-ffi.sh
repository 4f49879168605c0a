#!/usr/bin/env bash
# Installs the pinned apache-tvm-ffi wheel (it ships libtvm_ffi.so, the interop peer of
# tests/tests/tvm_ffi.rs). Called by .ci/run before the tests, and by .ci/cabi.sh.
set -euo pipefail
TVM_FFI_VERSION=0.1.15.post2
PYTHON=${PYTHON:-python3}
echo "== apache-tvm-ffi==$TVM_FFI_VERSION"
PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install --quiet --disable-pip-version-check \
  "apache-tvm-ffi==$TVM_FFI_VERSION"
