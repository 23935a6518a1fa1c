#!/usr/bin/env bash
# Build llama-cpp-python[server] once (no wheel on PyPI for this platform: ~3-5 min compile on a quiet
# 2-core machine), caching the wheel under .ci/cache so later runs on the same machine reuse it.
# Used by tests/model/test_model_llamacpp.py (which skips, saying why, when llama_cpp is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
if $BIN/python -c "import llama_cpp.server" 2>/dev/null; then exit 0; fi
mkdir -p .ci/cache
# A wheel built earlier on this machine (outside the clone, since CI clones afresh) is reused.
MACHINE_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/longdoc-ci"
if ! ls .ci/cache/llama_cpp_python-*.whl >/dev/null 2>&1 && ls "$MACHINE_CACHE"/llama_cpp_python-*.whl >/dev/null 2>&1; then
  cp "$MACHINE_CACHE"/llama_cpp_python-*.whl .ci/cache/
fi
if ! ls .ci/cache/llama_cpp_python-*.whl >/dev/null 2>&1; then
  # portable CPU build (no -march=native: the cached wheel must run on the next CI machine too)
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_BLAS=OFF" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" MAKEFLAGS="-j$(nproc)" \
    $BIN/pip wheel --no-deps -w .ci/cache llama-cpp-python
fi
WHEEL="$(ls -t .ci/cache/llama_cpp_python-*.whl | head -1)"
mkdir -p "$MACHINE_CACHE" && cp -n "$WHEEL" "$MACHINE_CACHE"/ 2>/dev/null || true
# the cached wheel itself plus the server extra's pure-Python dependencies (uvicorn, fastapi, …), held to the lock's
# versions where the lock has them (-c): what the suite runs with stays what users install
$BIN/pip install -q -c requirements.lock "${WHEEL}[server]"
$BIN/python -c "import llama_cpp.server" && echo "llama-cpp-python ready: $WHEEL"
