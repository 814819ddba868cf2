#!/usr/bin/env bash
# Set up Kavosh and run the main job on the sample articles: index them, search, and ask in English and Persian.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export KAVOSH_STORE=${KAVOSH_STORE:-$PWD/.kavosh/store}
kavosh() { .venv/bin/kavosh "$@"; }

kavosh index examples/
kavosh stats
echo; echo '$ kavosh search "Putin sanctions" -k 5'
kavosh search "Putin sanctions" -k 5
echo; echo '$ kavosh ask "When does the Iran–Russia treaty expire?"'
kavosh ask "When does the Iran–Russia treaty expire?"
echo; echo '$ kavosh ask "When will the Iran–Russia treaty end?"'
kavosh ask "When will the Iran–Russia treaty end?"
echo; echo '$ kavosh ask "معاهده ایران و روسیه کی تمام می‌شود؟"'
kavosh ask "معاهده ایران و روسیه کی تمام می‌شود؟"
echo
echo "Store: $KAVOSH_STORE  (export KAVOSH_STORE=$KAVOSH_STORE to keep using it; 'kavosh ui' opens the web page)"
