"""Defer the modules that ``import haystack`` loads but a one-shot ``kavosh search`` or ``ask`` never uses.

``import haystack`` imports its pipeline module, and with it posthog (Haystack's telemetry client; Kavosh turns
telemetry off) and pydantic (for serialising pydantic objects): ~0.2 s of a one-shot search's ~1 s, measured with
``python -X importtime``. Where torch is installed (the ``hf`` extra), Haystack imports it too
(``haystack.utils.device``), although Kavosh's default embedder and reader need none: ~2 s more. Haystack imports
them eagerly on purpose (see its ``__init__.py``), so this is done from outside: a deferred module is created empty
and executed in full the first time one of its attributes is read (`importlib.util.LazyLoader`), so what changes is
only when it loads, never what it does (torch loads when a sentence-transformers embedder or a Hugging Face reader
first uses it). networkx and httpx, also heavy, are not deferred: Haystack reads their attributes while it imports
(``from networkx import MultiDiGraph``, a type hint ``httpx.Response``), which would load them at once anyway.

Only for short-lived query commands: ``LazyLoader`` in Python 3.11 is not safe when two threads first touch the same
deferred module, and a long-lived process gains nothing from it.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Iterable, Sequence

#: Modules Haystack imports at start-up and touches only when telemetry is on, a pydantic object is serialised or a
#: torch model runs
DEFERRED_MODULES = ("posthog", "pydantic", "torch")


class _DeferringFinder(importlib.abc.MetaPathFinder):
    """Finds `names` through the other finders and wraps their loader in a `LazyLoader`."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = frozenset(names)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None  # not installed: the normal machinery raises the usual ModuleNotFoundError
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec  # a namespace package or an old-style loader: imported as usual
        spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def defer_imports(names: Iterable[str] = DEFERRED_MODULES) -> None:
    """
    Load `names` on first use instead of on import, for the rest of this process.

    Modules already imported are left as they are; a second call changes nothing.
    """
    if any(isinstance(finder, _DeferringFinder) for finder in sys.meta_path):
        return
    pending = [name for name in names if name not in sys.modules]
    if pending:
        sys.meta_path.insert(0, _DeferringFinder(pending))


def is_deferred(name: str) -> bool:
    """True while module `name` is imported but not yet executed (checking does not load it)."""
    # `LazyLoader` gives a module this class until its first attribute read, which executes it and restores the
    # plain module type; `isinstance` reads no attribute of the module.
    return isinstance(sys.modules.get(name), importlib.util._LazyModule)
