#!/usr/bin/env bash
# Install everything the tests need, then run the whole suite (unit, end-to-end, browser).
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
exec .venv/bin/python -m pytest "$@"
