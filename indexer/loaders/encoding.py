"""Text encodings: decode a file's bytes (BOM, UTF-8, UTF-16, Windows-1256, cp1252/Latin-1)."""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata

from kavosh.text.scripts import ARABIC_LETTER_RE

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------------------------------
# Encodings
# ---------------------------------------------------------------------------------------------------------------

# ASCII control bytes that do not occur in text (everything below 0x20 except \t \n \v \f \r and ESC, plus DEL).
_CONTROL_BYTES = bytes([*range(0, 9), 14, 15, *range(16, 27), 28, 29, 30, 31, 127])
_MAX_CONTROL_SHARE = 0.05
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"\w+")
# How much of a file of unknown type is read to decide whether it is text.
SNIFF_BYTES = 8192


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode the bytes of a text file, detecting its encoding.

    Order: byte-order marks (UTF-8, UTF-16, UTF-32), BOM-less UTF-16 (NUL bytes on one side of each code unit),
    strict UTF-8, UTF-8 with a few broken bytes, a declared charset (HTML ``<meta charset>``), and finally a choice
    between Windows-1256 (Persian/Arabic) and Windows-1252/Latin-1 by which decoding gives whole Arabic-script
    words rather than Arabic letters scattered inside Latin words.

    :param data: the raw bytes.
    :param declared: a charset the file declares about itself, used only when the bytes are not UTF-8.
    :returns: ``(text, encoding)``; the BOM is not part of the text.
    :raises ValueError: ``"binary file"`` for NUL bytes or many control bytes, ``"cannot decode text"`` when no
        encoding gives readable text.
    """
    for bom, name, codec in (
        (codecs.BOM_UTF32_LE, "utf-32", "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32", "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig", "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16", "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16", "utf-16"),
    ):
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as exc:
                logger.debug("BOM says %s but decoding failed: %s", name, exc)
                raise ValueError("cannot decode text") from exc
            _check_readable(text)
            return text, name

    if b"\x00" in data:
        guess = _guess_bomless_utf16(data)
        if guess is not None:
            return guess
        raise ValueError("binary file")

    if _control_share(data) > _MAX_CONTROL_SHARE:
        raise ValueError("binary file")

    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass

    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    multibyte = sum(1 for ch in text if ord(ch) > 0x7F) - broken
    if multibyte >= 20 * max(broken, 1):
        logger.debug("mostly UTF-8 with %d undecodable byte sequences replaced by U+FFFD", broken)
        return text, "utf-8"

    legacy_text, legacy_name = _decode_single_byte(data)
    if declared:
        declared_name = _codec_name(declared)
        if declared_name and not (legacy_name == "cp1256" and declared_name in ("cp1252", "latin-1")):
            try:
                text = data.decode(declared_name)
            except (UnicodeDecodeError, LookupError):
                logger.debug("declared charset %r does not decode the file", declared)
            else:
                _check_readable(text)
                return text, declared_name
    _check_readable(legacy_text)
    return legacy_text, legacy_name


def looks_like_text(head: bytes, truncated: bool = False) -> bool:
    """Whether a file whose first bytes are ``head`` is text: the rule for files of unknown type.

    Text is what :func:`decode_bytes` accepts: no NUL bytes (unless the bytes are UTF-16), at most 5% ASCII control
    bytes, and at most 5% control, unassigned or private-use characters once decoded with the detected encoding
    (UTF-8/16/32, Windows-1256, cp1252/Latin-1); everything else (letters, digits, punctuation, symbols,
    whitespace, zero-width joiners) is printable. Read at most :data:`SNIFF_BYTES` of a file for ``head``.

    :param head: the first bytes of the file.
    :param truncated: ``head`` stops before the end of the file, perhaps inside a character.
    :returns: ``True`` for text.
    """
    # A cut inside a multi-byte character or a UTF-16 surrogate pair is not a sign of binary data: drop up to 3
    # trailing bytes before deciding. (UTF-8 cut short already decodes, as "mostly UTF-8".)
    for cut in range(4 if truncated else 1):
        try:
            decode_bytes(head[: len(head) - cut])
        except ValueError:
            continue
        return True
    return False


def _control_share(data: bytes) -> float:
    if not data:
        return 0.0
    return (len(data) - len(data.translate(None, _CONTROL_BYTES))) / len(data)


def _check_readable(text: str) -> None:
    """Raise ``ValueError("cannot decode text")`` when a decoding is mostly control or unassigned characters."""
    if not text:
        return
    sample = text[:100_000]
    bad = sum(1 for ch in sample if unicodedata.category(ch) in ("Cc", "Cn", "Co", "Cs") and not ch.isspace())
    if bad / len(sample) > _MAX_CONTROL_SHARE:
        raise ValueError("cannot decode text")


def _guess_bomless_utf16(data: bytes) -> tuple[str, str] | None:
    """UTF-16 without a BOM: NUL high bytes (ASCII, spaces) all on one side of the code units."""
    if len(data) % 2:
        return None
    units = len(data) // 2
    even_nuls, odd_nuls = data[0::2].count(0), data[1::2].count(0)
    for nuls, others, codec in ((odd_nuls, even_nuls, "utf-16-le"), (even_nuls, odd_nuls, "utf-16-be")):
        if nuls >= max(1, 0.05 * units) and others <= 0.01 * nuls:
            try:
                text = data.decode(codec)
                _check_readable(text)
            except (UnicodeDecodeError, ValueError):
                continue
            if "\x00" in text:
                continue
            return text, codec
    return None


def _decode_single_byte(data: bytes) -> tuple[str, str]:
    """Choose between Windows-1256 and Windows-1252/Latin-1 for bytes that are not UTF-8.

    Persian decoded as Windows-1256 gives words made only of Arabic-script letters; French or German decoded as
    Windows-1256 gives Latin words with a stray Arabic letter (``ä`` is lam in 1256) or unchanged letters (1256
    keeps ``é è à ç``). So count Arabic letters in pure Arabic-script words against those inside Latin words.
    """
    arabic_text = data.decode("cp1256")
    pure = mixed = 0
    for word in _WORD.findall(arabic_text):
        arabic = len(ARABIC_LETTER_RE.findall(word))
        if not arabic:
            continue
        if _ASCII_LETTER.search(word):
            mixed += arabic
        else:
            pure += arabic
    if pure > 2 * mixed:
        return arabic_text, "cp1256"
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"
    # Bytes 0x80-0x9f are the only ones where cp1252 and latin-1 differ; without them the simpler name is exact.
    if any(0x80 <= b <= 0x9F for b in data):
        return text, "cp1252"
    return text, "latin-1"


def _codec_name(label: str) -> str | None:
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return {"iso8859-1": "latin-1", "utf-8": "utf-8"}.get(name, name)
