#!/usr/bin/env bash
# Create .venv and install Kavosh with its test, UI, Elasticsearch and evaluation extras, and - where a CPU build of
# torch can be had - the hf and train extras. Says what it does; idempotent: a second run installs nothing new.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    say "creating .venv with $("$PYTHON" --version 2>&1)"
    "$PYTHON" -m venv .venv
fi
PIP=".venv/bin/python -m pip"
TORCH_INDEX=https://download.pytorch.org/whl/cpu

# torch is needed only by the hf extra (Hugging Face embedders and readers) and the train extra; the defaults run
# without it. It must be a CPU build: a plain `pip install torch` on Linux pulls a multi-GB CUDA build.
have_torch() { .venv/bin/python -c "import torch" 2>/dev/null; }
if ! have_torch; then
    say "looking for a CPU build of torch (for the hf and train extras)"
    # A wheel already on this machine (pip's find-links): take torch itself from it alone (--no-index, so a CUDA build
    # can never be picked), then its small dependencies (filelock, sympy, ...) from the package index.
    if $PIP install -q --no-index --no-deps torch==2.13.0 2>/dev/null; then
        say "installing torch 2.13.0 (CPU) from a wheel on this machine, and its dependencies"
        $PIP install -q torch==2.13.0
    elif .venv/bin/python -c "import urllib.request; urllib.request.urlopen('$TORCH_INDEX/torch/', timeout=5)" \
            2>/dev/null; then
        say "installing torch from PyTorch's CPU index (about 200 MB)"
        $PIP install -q --progress-bar on torch --index-url "$TORCH_INDEX"
    else
        say "no CPU torch here and $TORCH_INDEX is unreachable: going on without the hf and train extras"
        say "(their tests skip; the default engines need no torch)"
    fi
fi

EXTRAS=dev
if have_torch; then EXTRAS=dev,hf,train,hf-test; fi
STAMP=.venv/.kavosh-installed
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$EXTRAS" ] || [ pyproject.toml -nt "$STAMP" ] \
        || [ setup.py -nt "$STAMP" ]; then
    say "installing Kavosh (editable) with the extras $EXTRAS"
    $PIP install -q -e ".[$EXTRAS]"
    echo "$EXTRAS" > "$STAMP"
fi
say "ready: .venv/bin/kavosh"
