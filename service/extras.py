"""Optional extras (``es``, ``ui``, ``eval``, ``hf``, ``train``): whether one is installed, and the message if not."""

from __future__ import annotations

import importlib.util

__all__ = ["EXTRAS", "MissingExtraError", "extra_installed", "require_extra"]

#: Extra -> (what needs it, the modules it installs).
EXTRAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "es": (
        "Elasticsearch support",
        ("elasticsearch", "elastic_transport", "haystack_integrations.document_stores.elasticsearch"),
    ),
    "ui": ("kavosh ui", ("streamlit",)),
    "eval": ("kavosh eval", ("ranx",)),
    "hf": (
        "Hugging Face models (st:<model> embedders, --reader transformer)",
        ("torch", "sentence_transformers", "haystack_integrations.components.readers.transformers"),
    ),
    "train": ("kavosh train-reader", ("torch", "transformers", "onnx")),
}


class MissingExtraError(RuntimeError):
    """A feature whose optional extra is not installed; the message names the extra and how to install it."""

    def __init__(self, extra: str):
        feature = EXTRAS[extra][0]
        super().__init__(f"{feature} needs the {extra} extra: pip install 'kavosh[{extra}]'")
        self.extra = extra


def _findable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or a module without a spec
        return False


def extra_installed(extra: str) -> bool:
    """Whether every module of an extra can be imported (checked without importing them).

    :raises KeyError: for an unknown extra.
    """
    return all(_findable(module) for module in EXTRAS[extra][1])


def require_extra(extra: str) -> None:
    """:raises MissingExtraError: when the extra is not installed (one line naming it)."""
    if not extra_installed(extra):
        raise MissingExtraError(extra)
