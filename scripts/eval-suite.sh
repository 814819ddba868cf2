#!/usr/bin/env bash
# The evaluation suite (docs/evaluation.md): every condition of regressions/*.yaml run once, each result written as
# JSON into OUT (default eval-results/), with the wall time of each run and of the whole suite.
# Usage: bash scripts/eval-suite.sh [OUT]        then: kavosh eval regress --result OUT/<name>.json regressions/<name>.yaml
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-eval-results}
mkdir -p "$OUT"
KAVOSH=${KAVOSH:-.venv/bin/kavosh}
DATA=${KAVOSH_SHARED:-../shared}/data
run() {
  local name=$1; shift
  local start=$SECONDS
  echo "== $name: kavosh $*" >&2
  "$KAVOSH" "$@" --no-progress --json "$OUT/$name.json" | tee "$OUT/$name.txt"
  echo "-- $name: $((SECONDS - start)) s" >&2
}
run ntrex eval crosslingual "$DATA/ntrex128_en_fa"
run hamshahri eval qrels --collection hamshahri "$DATA/hamshahri2_sample/HamshahriData" --dense-chunks 2
run persianqa eval qa "$DATA/persianqa/pqa_test.json"
run squad2-half eval qa "$DATA/squad2_dev_cs224n_half/dev-v2.0.cs224n-half.json" --limit 600
run parsinlu eval qa "$DATA/parsinlu_rc/eval.jsonl" --limit 300
echo "suite: $SECONDS s" >&2
