#!/usr/bin/env bash
# The wheel works without the repository: build it, install it (not editable) into a scratch venv that has Kavosh's
# dependencies but not Kavosh, and run the README's main commands from outside the repository.
#   bash scripts/check_wheel.sh        (CI runs it after the tests; needs .venv from scripts/setup.sh)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
PY="$REPO/.venv/bin/python"
WORK=$(mktemp -d /tmp/kavosh-wheel.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"  # never the repository: nothing may be imported from it

echo "check_wheel: building the wheel"
"$PY" -m pip wheel --no-deps --no-build-isolation -q -w "$WORK/dist" "$REPO"
WHEEL=$(ls "$WORK"/dist/kavosh-*.whl)

# A scratch venv that sees .venv's site-packages as a plain path (its .pth files, and so the editable install of
# Kavosh, are not processed): the dependencies are there, Kavosh is not.
"$PY" -m venv "$WORK/venv"
SITE=$("$WORK/venv/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
"$PY" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])" > "$SITE/_kavosh_deps.pth"
if "$WORK/venv/bin/python" -c "import kavosh.ui" 2>/dev/null; then
    echo "check_wheel: FAIL: kavosh is importable in the scratch venv before the wheel is installed" >&2
    exit 1
fi
"$WORK/venv/bin/python" -m pip install -q --no-deps --no-index "$WHEEL"

KAVOSH="$WORK/venv/bin/kavosh"
where=$("$WORK/venv/bin/python" -c "import kavosh.ui.cli as m; print(m.__file__)")
case "$where" in
    "$WORK/venv/"*) ;;
    *) echo "check_wheel: FAIL: kavosh.ui.cli imported from $where, not from the installed wheel" >&2; exit 1 ;;
esac
for layer in text embedding store indexer qa service evaluation ui; do
    if [ -e "$SITE/$layer" ]; then
        echo "check_wheel: FAIL: the wheel installs a top-level '$layer' package" >&2
        exit 1
    fi
done

"$KAVOSH" --help > /dev/null
"$KAVOSH" index "$REPO/examples" --store "$WORK/store" --no-progress
"$KAVOSH" ask "When will the Iran–Russia treaty end?" --store "$WORK/store" --json > "$WORK/answer.json"
# The installed reader (model file shipped as package data) answers from the treaty article, with offsets that index
# the file, and "next March" is among its answers.
"$WORK/venv/bin/python" - "$WORK/answer.json" <<'PY'
import json, pathlib, sys
out = json.loads(pathlib.Path(sys.argv[1]).read_text(encoding="utf-8"))
answers = out["answers"]
assert out["reader"] == "kavosh" and answers, f"check_wheel: FAIL: no answer from the kavosh reader: {out}"
for a in answers:
    text = pathlib.Path(a["path"]).read_text(encoding="utf-8")
    assert text[a["start"] : a["end"]] == a["text"], f"check_wheel: FAIL: offsets do not index {a['path']}"
assert any("next March" in a["text"] for a in answers), "check_wheel: FAIL: 'next March' is not among the answers"
print("check_wheel: answers:", " | ".join(a["text"] for a in answers))
PY
echo "check_wheel: OK ($(basename "$WHEEL"))"
