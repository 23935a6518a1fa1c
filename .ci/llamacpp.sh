#!/usr/bin/env bash
# Build llama-cpp-python[server] once (no wheel on PyPI for this platform: ~3-5 min compile),
# caching the wheel under .ci/cache so later runs on the same machine reuse it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
if $BIN/python -c "import llama_cpp.server" 2>/dev/null; then exit 0; fi
mkdir -p .ci/cache
if ! ls .ci/cache/llama_cpp_python-*.whl >/dev/null 2>&1; then
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_BLAS=OFF" MAKEFLAGS="-j2" \
    $BIN/pip wheel --no-deps -w .ci/cache llama-cpp-python
fi
$BIN/pip install -q .ci/cache/llama_cpp_python-*.whl
$BIN/pip install -q "llama-cpp-python[server]" --find-links .ci/cache
