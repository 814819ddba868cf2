"""Extractive transformer reader: a configured Haystack `TransformersExtractiveReader`.

The reader takes chunk `Document`s and returns `ExtractedAnswer`s whose `document_offset` is a character span into
`answer.document.content` (so `document.content[span.start:span.end] == answer.data`); the citation code turns it into
an article offset with `document.meta["start"] + span`. The stock component does everything needed (sliding windows
with offsets mapped back, overlap dedup within one document, a no-answer), so there is no wrapper here.
"""

import logging
from pathlib import Path

from haystack_integrations.components.readers.transformers import TransformersExtractiveReader
from huggingface_hub import try_to_load_from_cache

logger = logging.getLogger(__name__)

DEFAULT_READER_MODEL = "deepset/xlm-roberta-base-squad2"

# Haystack's default, tuned for deepset's SQuAD 2.0 models: span score = sigmoid(0.1 * (start + end logit)).
CALIBRATION_FACTOR = 0.1
# Windows fed through the model at once; bounds memory when many long chunks are read on a CPU.
MAX_BATCH_SIZE = 16

_CONFIG_FILE = "config.json"
_WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)


def build_transformer_reader(
    model: str | Path = DEFAULT_READER_MODEL,
    top_k: int = 5,
    no_answer: bool = True,
    max_seq_length: int = 384,
    stride: int = 128,
    answers_per_seq: int = 8,
    score_threshold: float | None = None,
    overlap_threshold: float | None = 0.01,
) -> TransformersExtractiveReader:
    """
    Configure the extractive reader; the model is loaded lazily by `warm_up()` / the first `run()`.

    :param model: A Hugging Face model id (must already be in the local cache here) or a local model directory.
    :param top_k: Answers returned per query across all documents, not counting the no-answer.
    :param no_answer: Also return a no-answer (`data=None`) scored as the probability that all top_k answers are wrong.
    :param max_seq_length: Tokens per window (question + context); longer documents are split into windows.
    :param stride: Tokens shared by consecutive windows of one document.
    :param answers_per_seq: Candidate spans kept per window before dedup and top_k.
    :param score_threshold: Drop answers (the no-answer included) scoring below this probability.
    :param overlap_threshold: Drop an answer whose span overlaps a better answer from the same document by more than
        this fraction of either span; None keeps overlapping answers.
    :returns: An unwarmed `TransformersExtractiveReader`.
    :raises TypeError: If `model` is not a string or path.
    :raises ValueError: If a number is out of range.
    """
    if not isinstance(model, str | Path):
        raise TypeError(f"model must be a str or Path, got {type(model).__name__}")
    if not str(model).strip():
        raise ValueError("model must not be empty")
    for name, value in (("top_k", top_k), ("max_seq_length", max_seq_length), ("answers_per_seq", answers_per_seq)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if isinstance(stride, bool) or not isinstance(stride, int) or not 0 <= stride < max_seq_length:
        raise ValueError(f"stride must be an int in [0, max_seq_length={max_seq_length}), got {stride!r}")
    for name, threshold in (("score_threshold", score_threshold), ("overlap_threshold", overlap_threshold)):
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise ValueError(f"{name} must be in [0, 1] or None, got {threshold!r}")

    logger.debug("Configuring extractive reader with model %s", model)
    return TransformersExtractiveReader(
        model=str(model),
        top_k=top_k,
        score_threshold=score_threshold,
        max_seq_length=max_seq_length,
        stride=stride,
        max_batch_size=MAX_BATCH_SIZE,
        answers_per_seq=answers_per_seq,
        no_answer=no_answer,
        calibration_factor=CALIBRATION_FACTOR,
        overlap_threshold=overlap_threshold,
    )


def _has_model_files(directory: Path) -> bool:
    return (directory / _CONFIG_FILE).is_file() and any((directory / name).is_file() for name in _WEIGHT_FILES)


def is_model_available(model: str | Path) -> bool:
    """
    Tell whether `model` can be loaded without a download.

    :param model: A local model directory or a Hugging Face model id.
    :returns: True for a local directory holding a config and weights, or a model id whose config and weights are in
        the Hugging Face cache. Never touches the network.
    """
    path = Path(model).expanduser()
    if path.is_dir():
        return _has_model_files(path)
    repo_id = str(model)
    try:
        config = try_to_load_from_cache(repo_id=repo_id, filename=_CONFIG_FILE)
        if not isinstance(config, str):
            return False
        return any(isinstance(try_to_load_from_cache(repo_id=repo_id, filename=f), str) for f in _WEIGHT_FILES)
    except ValueError:  # not a valid repo id (HFValidationError is a ValueError)
        return False


def load_error_message(model: str | Path, exc: BaseException) -> str:
    """
    One line telling a user why the reader model could not be loaded and what to do.

    :param model: The model id or path that failed.
    :param exc: The exception raised while loading it.
    :returns: A single-line message without a stack trace.
    """
    detail = " ".join(str(exc).split())
    if len(detail) > 160:
        detail = detail[:157] + "..."
    reason = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    if Path(model).expanduser().is_dir():
        return (
            f"reader model '{model}' could not be loaded from its directory ({reason}); "
            "pass a directory saved with save_pretrained or use --reader offline"
        )
    return (
        f"reader model '{model}' could not be loaded (no internet? not in the Hugging Face cache); "
        f"use --reader offline or pass a local path ({reason})"
    )
