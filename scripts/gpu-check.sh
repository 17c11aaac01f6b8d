#!/usr/bin/env bash
# GPU check: on a machine with an NVIDIA GPU (no internet needed), deploy tiny local models on
# llama.cpp with full offload and, if one is installed, vLLM; print one table of engine, state,
# tokens/s and GPU memory claimed vs used. Without a GPU it prints "no NVIDIA GPU: skipped".
# Extra arguments go to scripts/gpu_check.py (--help lists them).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
# The whole check stays under 8 minutes.
exec timeout 470 "$PYTHON" scripts/gpu_check.py "$@"
