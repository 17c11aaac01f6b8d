#!/usr/bin/env bash
# Build llama.cpp's `ggml-rpc-server` and `llama-server` with the RPC backend
# (-DGGML_RPC=ON), for GGUF models spread across workers; xllamacpp's wheel has no RPC.
# Usage: install-llama-rpc.sh [DEST]   (DEST defaults to .venv-engines/llama-rpc; on a worker
#   use <data-dir>/engines/llama-rpc, where the llama.cpp engine looks: DEST/bin/...).
# The sources come from the llama-cpp-python sdist on PyPI, which vendors llama.cpp. The
# build is cached per version under $GPUSTACK_BUILD_CACHE (default ~/.cache/gpustack), so a
# machine builds once (a long build: well over half an hour on 2 busy cores) and later runs
# only copy two files.
# Needs cmake, ninja and a C++17 compiler (apt: cmake ninja-build g++).
set -euo pipefail
cd "$(dirname "$0")/.."

version="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
dest="${1:-.venv-engines/llama-rpc}"
cache="${GPUSTACK_BUILD_CACHE:-$HOME/.cache/gpustack}/llama-rpc-$version"

if [[ ! -x $cache/bin/ggml-rpc-server || ! -x $cache/bin/llama-server ]]; then
  missing=()
  command -v cmake >/dev/null || missing+=(cmake)
  command -v ninja >/dev/null || missing+=(ninja-build)
  command -v g++ >/dev/null || missing+=(g++)
  if ((${#missing[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  pip=(.venv/bin/pip)
  [[ -x ${pip[0]} ]] || pip=(python3 -m pip)
  "${pip[@]}" download -q --no-deps --no-binary :all: "llama-cpp-python==$version" -d "$work"
  tar xzf "$work"/llama_cpp_python-"$version".tar.gz -C "$work"
  src="$work/llama_cpp_python-$version/vendor/llama.cpp"
  started=$(date +%s)
  # Static, portable (no -march=native), no web UI download, no network features.
  cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_RPC=ON \
    -DGGML_NATIVE=OFF -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF \
    -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF >/dev/null
  cmake --build "$work/build" --target llama-server ggml-rpc-server -j "$(nproc)" >/dev/null
  mkdir -p "$cache/bin"
  cp "$work/build/bin/llama-server" "$work/build/bin/ggml-rpc-server" "$cache/bin/"
  echo "built llama.cpp RPC binaries in $(($(date +%s) - started)) s" >&2
fi
mkdir -p "$dest/bin"
cp "$cache/bin/llama-server" "$cache/bin/ggml-rpc-server" "$dest/bin/"
