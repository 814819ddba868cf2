#!/usr/bin/env bash
# Create .venv and install Kavosh with its test and UI extras. Idempotent: a second run installs nothing new.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
PIP=".venv/bin/python -m pip"

# torch: always a CPU build. A plain `pip install torch` on Linux pulls a multi-GB CUDA build.
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    # A CPU wheel already on this machine (pip's find-links) wins; else PyTorch's CPU index.
    $PIP install -q --no-index torch==2.13.0 2>/dev/null \
        || $PIP install -q torch --index-url https://download.pytorch.org/whl/cpu
fi

if [ ! -f .venv/.kavosh-installed ] || [ pyproject.toml -nt .venv/.kavosh-installed ] \
        || [ setup.py -nt .venv/.kavosh-installed ]; then
    $PIP install -q -e ".[dev]"
    touch .venv/.kavosh-installed
fi
