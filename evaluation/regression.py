"""Regression files: the command that measured a condition, its corpus, and the metric values it must reproduce.

A regression file (YAML) looks like::

    name: hamshahri
    description: Hamshahri ad-hoc retrieval, 50 queries as given and re-typed
    command: kavosh eval qrels --collection hamshahri ../shared/data/hamshahri2_sample/HamshahriData
    corpus:                      # exact, from the result's "dataset" and "store" sections
      dataset/queries: 50
      store/chunks: 40949
    tolerance:                   # absolute; the first matching glob wins, "default" otherwise (0 = exact)
      default: 0.0
      "runs/dense/*": 0.01
    expected:                    # paths into the result's "metrics", values rounded to 4 decimals
      runs/bm25/as_given/ndcg@10: 0.9123

Lexical results reproduce exactly (to the 4th decimal); neural ones within their stated tolerance. The runner
(``kavosh eval regress``) re-runs the command and prints ``[OK]`` or ``[FAIL] ... expected ...`` per value.
Changing an expected value is a diff of the file.
"""

from __future__ import annotations

import fnmatch
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

logger = logging.getLogger(__name__)

DECIMALS = 4
_NUMBER = (int, float)


@dataclass
class Regression:
    """One condition: how to run it and what it must give."""

    name: str
    path: str
    command: str
    expected: dict[str, float]
    corpus: dict[str, float] = field(default_factory=dict)
    tolerance: dict[str, float] = field(default_factory=dict)
    description: str = ""

    def tolerance_for(self, key: str) -> float:
        """The absolute tolerance of a metric path: the first matching glob, else ``default`` (0.0)."""
        for pattern, value in self.tolerance.items():
            if pattern != "default" and fnmatch.fnmatchcase(key, pattern):
                return float(value)
        return float(self.tolerance.get("default", 0.0))


@dataclass(frozen=True)
class Check:
    """One compared value."""

    name: str
    key: str
    value: float | None
    expected: float
    tolerance: float

    @property
    def ok(self) -> bool:
        if self.value is None or isinstance(self.value, bool) or not isinstance(self.value, _NUMBER):
            return False
        if math.isnan(self.value):
            return False
        if self.tolerance == 0.0:
            return round(self.value, DECIMALS) == round(self.expected, DECIMALS)
        return abs(self.value - self.expected) <= self.tolerance + 10 ** -(DECIMALS + 2)

    def line(self) -> str:
        """``[OK] name key = value`` or ``[FAIL] name key = value, expected X (± tol)``."""
        got = "missing" if self.value is None else _fmt(self.value)
        if self.ok:
            return f"[OK] {self.name} {self.key} = {got}"
        band = f" ± {_fmt(self.tolerance)}" if self.tolerance else ""
        return f"[FAIL] {self.name} {self.key} = {got}, expected {_fmt(self.expected)}{band}"


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) > 1 else f"{value:.{DECIMALS}f}"


def load_regression(path: str | Path) -> Regression:
    """Read a regression file.

    :raises ValueError: when a required field is missing or a value is not a number.
    """
    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a regression file (expected a mapping)")
    for key in ("name", "command", "expected"):
        if key not in data:
            raise ValueError(f"{path}: missing '{key}'")
    sections = {}
    for section in ("expected", "corpus", "tolerance"):
        values = data.get(section) or {}
        if not isinstance(values, dict):
            raise ValueError(f"{path}: '{section}' must be a mapping")
        bad = [k for k, v in values.items() if isinstance(v, bool) or not isinstance(v, _NUMBER)]
        if bad:
            raise ValueError(f"{path}: non-numeric {section} values for {', '.join(map(str, bad))}")
        sections[section] = {str(k): float(v) for k, v in values.items()}
    return Regression(
        name=str(data["name"]),
        path=str(path),
        command=" ".join(str(data["command"]).split()),
        expected=sections["expected"],
        corpus=sections["corpus"],
        tolerance=sections["tolerance"],
        description=str(data.get("description", "")),
    )


def flatten(tree: Any, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of nested dicts as ``a/b/c`` paths (booleans and strings are left out)."""
    out: dict[str, float] = {}
    if isinstance(tree, dict):
        for key, value in tree.items():
            out.update(flatten(value, f"{prefix}{key}/"))
    elif isinstance(tree, _NUMBER) and not isinstance(tree, bool):
        out[prefix.rstrip("/")] = float(tree)
    return out


def check(regression: Regression, result: dict[str, Any]) -> list[Check]:
    """Compare a result (the ``--json`` output of an eval command) with a regression's corpus and expected values.

    Corpus values are exact and looked up in the result's ``dataset`` and ``store`` sections; expected values in
    ``metrics``.
    """
    stats = flatten({"dataset": result.get("dataset", {}), "store": result.get("store", {})})
    metrics = flatten(result.get("metrics", {}))
    checks = [Check(regression.name, key, stats.get(key), value, 0.0) for key, value in regression.corpus.items()]
    checks += [
        Check(regression.name, key, metrics.get(key), value, regression.tolerance_for(key))
        for key, value in regression.expected.items()
    ]
    return checks


def expected_block(result: dict[str, Any], keys: Iterable[str] | None = None) -> str:
    """The ``expected:`` section (YAML) for a result: to start or knowingly update a regression file."""
    metrics = flatten(result.get("metrics", {}))
    chosen = list(keys) if keys is not None else [k for k in metrics if "latency" not in k.split("/")]
    values = {k: round(metrics[k], DECIMALS) for k in chosen if k in metrics}
    return yaml.safe_dump({"expected": values}, sort_keys=False, allow_unicode=True)


def find_regressions(paths: Iterable[str | Path]) -> list[Path]:
    """Regression files named, or inside the folders named (``*.yaml``/``*.yml``), sorted."""
    found: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found.extend(sorted([*path.glob("*.yaml"), *path.glob("*.yml")]))
        elif path.is_file():
            found.append(path)
        else:
            raise ValueError(f"no regression file or folder at {path}")
    return found


__all__ = ["Check", "Regression", "check", "expected_block", "find_regressions", "flatten", "load_regression"]
