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
answer=$("$KAVOSH" ask "When does the Iran–Russia treaty expire?" --store "$WORK/store")
echo "$answer" | head -2
if ! echo "$answer" | grep -q "next March"; then
    echo "check_wheel: FAIL: the answer does not mention 'next March'" >&2
    exit 1
fi
echo "check_wheel: OK ($(basename "$WHEEL"))"
