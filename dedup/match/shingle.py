"""Vectorised shingling: a batch of texts in, one array of 64-bit shingle hashes out.

The whole batch is encoded once as UTF-8 bytes and processed with numpy; there is no
Python loop over words or shingles. Word hashes are polynomial hashes of their bytes
(computed from prefix sums, modulo 2**64), shingle hashes combine ``size`` consecutive
word hashes, and every hash goes through the splitmix64 finaliser with the seed mixed in.
All of it is integer arithmetic, so hashes are identical across processes, platforms
and Python's ``PYTHONHASHSEED``.

Words are the tokens of :func:`dedup.text.normalize.words`: runs of letters, marks and
digits in scripts written with spaces, and single letters (with their marks) in scripts
written without (Chinese, Japanese, Thai...), so a run of such text is shingled by
characters and the rest of a mixed-script document by words. Bytes are classed by
a table, non-ASCII ones by their code point's class; batches with combining marks or
spaceless letters are cut character by character and mapped back to UTF-8 offsets, so
a word hashes the same bytes either way. A newline
in the input is a hard break: no shingle spans it. Callers use it between lines and in
place of quoted spans. Batches are processed in slices of about :data:`SLICE_BYTES`
so that the working arrays stay in the CPU cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from dedup.errors import ParameterError
from dedup.text.scripts import MARK, SEPARATOR, SPACELESS, WORD, classes_of

ShingleKind = Literal["word", "char"]

_U64 = np.uint64
_MASK64 = (1 << 64) - 1
_BYTE_BASE = 0x100000001B3  # odd, so it has an inverse modulo 2**64
_WORD_BASE = np.uint64(0x9E3779B97F4A7C15)
SLICE_BYTES = 1 << 19

# Byte classes of ASCII (those of dedup.text.scripts): 0 separator, 1 word byte, 2 hard
# break (newline, or NUL between texts); non-ASCII bytes get their character's class.
_BYTE_CLASS = np.zeros(256, dtype=np.uint8)
for _byte in b"0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ":
    _BYTE_CLASS[_byte] = 1
_BYTE_CLASS[0x0A] = _BYTE_CLASS[0x00] = 2


@dataclass(frozen=True)
class ShingleConfig:
    """What a shingle is: ``size`` consecutive words (``word``) or bytes (``char``)."""

    kind: ShingleKind = "word"
    size: int = 5

    def __post_init__(self) -> None:
        if self.kind not in ("word", "char"):
            raise ParameterError(f"shingle kind must be 'word' or 'char', not {self.kind!r}")
        if not 1 <= self.size <= 32:
            raise ParameterError(f"shingle size must be between 1 and 32, not {self.size}")


def mix64(values: np.ndarray, seed: int = 0) -> np.ndarray:
    """splitmix64 finaliser of ``values ^ seed``: a well-spread, seeded 64-bit hash."""
    z = np.asarray(values, dtype=_U64) ^ _U64(seed & _MASK64)
    with np.errstate(over="ignore"):
        z = z + _U64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
    return z ^ (z >> _U64(31))


_POWER_CACHE: dict[int, np.ndarray] = {}


def _powers(base: int, count: int) -> np.ndarray:
    """``base ** i`` modulo 2**64 for i < count, cached and grown as needed."""
    cached = _POWER_CACHE.get(base)
    if cached is None or len(cached) < count:
        size = max(count, 2 * len(cached) if cached is not None else SLICE_BYTES * 2)
        powers = np.full(size, base, dtype=_U64)
        powers[0] = 1
        with np.errstate(over="ignore"):
            cached = _POWER_CACHE[base] = np.cumprod(powers, dtype=_U64)
    return cached[:count]


def _concat(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 bytes of all texts, each followed by a NUL, and each text's start offset."""
    encoded = [t.encode("utf-8") for t in texts]
    lengths = np.fromiter((len(b) + 1 for b in encoded), dtype=np.int64, count=len(encoded))
    starts = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    buffer = np.frombuffer(b"\0".join(encoded) + b"\0", dtype=np.uint8)
    return buffer, starts


def word_bounds(texts: Sequence[str], buffer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Byte offsets in ``buffer`` (``_concat(texts)``) where each word starts and ends.

    The words are those of :func:`dedup.text.normalize.words`; a test checks that they agree.
    Without marks or spaceless letters, a word is a run of word bytes, as in ASCII; the
    code points of the other characters are decoded from their UTF-8 bytes (few, in most
    texts of Latin script) and their class given to every byte of theirs.
    """
    classes = _BYTE_CLASS[buffer]
    leads = np.flatnonzero(buffer >= 0xC0)  # the first byte of every non-ASCII character
    if len(leads):
        first = buffer[leads].astype(np.uint32)
        lengths = 2 + (first >= 0xE0).astype(np.int64) + (first >= 0xF0)
        codes = first & (0x7F >> lengths).astype(np.uint32)
        for k in (1, 2, 3):
            more = np.flatnonzero(lengths > k)
            codes[more] = (codes[more] << 6) | (buffer[leads[more] + k] & 0x3F)
        char_classes = classes_of(codes)
        if ((char_classes == MARK) | (char_classes == SPACELESS)).any():
            return _char_bounds(texts, buffer)
        classes[concat_ranges(leads, lengths)] = np.repeat(char_classes, lengths)
    is_word = classes == WORD
    edges = np.diff(np.concatenate(([False], is_word, [False])).astype(np.int8))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def concat_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + n)`` for every ``(s, n)``, without a Python loop."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    return np.arange(total, dtype=np.int64) + np.repeat(np.asarray(starts, dtype=np.int64) - (ends - lengths), lengths)


def sorted_distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` for integers (flattened): the distinct values, sorted.

    From numpy 2.3 on, ``np.unique`` finds them with a hash table and then sorts them: on
    128,000 random 64-bit band keys that took 14-20 ms, where one sort and a comparison of
    neighbours take 1.5-2 ms (on 1.x, ``np.unique`` was that sort).
    """
    ordered = np.sort(np.asarray(values), axis=None)
    if len(ordered) < 2:
        return ordered
    distinct = np.empty(len(ordered), dtype=bool)
    distinct[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=distinct[1:])
    return ordered[distinct]


def unique_inverse(values: np.ndarray, kind: str = "stable") -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` for a 1-D integer array, two to three times as fast.

    One argsort orders the values, and each value's index is scattered back from its place
    in that order. A binary search of every value among the distinct ones, the other way,
    wanders over memory: slower than the sort itself on a million values. ``kind`` is the
    sort's: the stable one merges runs, fastest where the values come as sorted sets (as
    shingle sets do); quicksort takes less than half its time on values in no order (the
    diff's terms). Equal values get one index whatever the sort, so the result is the same.
    """
    values = np.asarray(values).reshape(-1)
    order = np.argsort(values, kind=kind)
    ordered = values[order]
    distinct = np.ones(len(ordered), dtype=bool)
    distinct[1:] = ordered[1:] != ordered[:-1]
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[order] = np.cumsum(distinct) - 1
    return ordered[distinct], inverse


def _char_bounds(texts: Sequence[str], buffer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`word_bounds` of a batch with marks or spaceless letters, character by character."""
    codes = np.frombuffer(("\0".join(texts) + "\0").encode("utf-32-le"), dtype=np.uint32)
    classes = classes_of(codes)
    count = len(classes)
    is_mark = classes == MARK
    resolved = classes
    if is_mark.any():
        # A mark belongs to the token of the character before it; after a space, it starts a word.
        last_base = np.maximum.accumulate(np.where(is_mark, -1, np.arange(count)))
        base = np.where(last_base >= 0, classes[np.maximum(last_base, 0)], SEPARATOR)
        resolved = np.where(is_mark, np.where(base == SPACELESS, SPACELESS, WORD), classes)
    in_token = (resolved == WORD) | (resolved == SPACELESS)
    continues = np.zeros(count, dtype=bool)
    continues[1:] = in_token[1:] & (
        (is_mark[1:] & in_token[:-1]) | ((resolved[1:] == WORD) & (resolved[:-1] == WORD))
    )
    last = in_token.copy()
    last[:-1] &= ~continues[1:]
    # The byte offset of each character: where its UTF-8 lead byte (not 10xxxxxx) stands.
    offsets = np.append(np.flatnonzero((buffer & 0xC0) != 0x80), len(buffer))
    return offsets[np.flatnonzero(in_token & ~continues)], offsets[np.flatnonzero(last) + 1]


def _combine(hashes: np.ndarray, size: int) -> np.ndarray:
    """Hash of each window of ``size`` consecutive values (windows start at 0..n-size)."""
    count = len(hashes) - size + 1
    acc = hashes[:count].copy()
    with np.errstate(over="ignore"):
        for offset in range(1, size):
            acc = acc * _WORD_BASE + hashes[offset : offset + count]
    return acc


def shingle_hashes(texts: Sequence[str], config: ShingleConfig, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded shingle hashes of a batch of normalised texts.

    Returns ``(hashes, offsets)``: the hashes of text ``i`` are
    ``hashes[offsets[i]:offsets[i + 1]]`` (uint64, in text order, not deduplicated).
    A text with words but fewer than ``size`` of them between breaks gets one shingle
    made of all its words, so that short texts still have a fingerprint.
    """
    return shingle_hashes_of_sizes(texts, config.kind, (config.size,), seed)[0]


def shingle_hashes_of_sizes(
    texts: Sequence[str], kind: str, sizes: Sequence[int], seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`shingle_hashes` of several shingle sizes, the texts read and split into words once."""
    parts: list[list[np.ndarray]] = [[] for _ in sizes]
    counts: list[list[np.ndarray]] = [[] for _ in sizes]
    first = 0
    while first < len(texts):
        last, size = first, 0
        while last < len(texts) and (last == first or size < SLICE_BYTES):
            size += len(texts[last]) + 1
            last += 1
        batch = texts[first:last]
        buffer, text_starts = _concat(batch)
        words = None if kind == "char" else _words(buffer, text_starts, word_bounds(batch, buffer), seed)
        for k, shingle_size in enumerate(sizes):
            if words is None:
                hashes, offsets = _char_shingles(buffer, text_starts, shingle_size, seed)
            else:
                hashes, offsets = _word_shingles(words, shingle_size, seed)
            parts[k].append(hashes)
            counts[k].append(np.diff(offsets))
        first = last
    found = []
    for k in range(len(sizes)):
        offsets = np.zeros(len(texts) + 1, dtype=np.int64)
        if counts[k]:
            np.cumsum(np.concatenate(counts[k]), out=offsets[1:])
        found.append((np.concatenate(parts[k]) if parts[k] else np.zeros(0, dtype=_U64), offsets))
    return found


@dataclass(frozen=True)
class _Words:
    """The words of a batch of texts: each one's hash, run (words between breaks) and text."""

    hashes: np.ndarray
    run_id: np.ndarray
    text: np.ndarray
    num_texts: int


def _words(buffer: np.ndarray, text_starts: np.ndarray, bounds: tuple[np.ndarray, np.ndarray], seed: int) -> _Words:
    is_break = (buffer == 0x0A) | (buffer == 0x00)
    word_starts, word_ends = bounds
    num_texts = len(text_starts) - 1
    if len(word_starts) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _Words(np.zeros(0, dtype=_U64), empty, empty, num_texts)
    # Position-independent polynomial hash of each word's bytes, from prefix sums.
    weights = buffer.astype(_U64) + _U64(1)
    with np.errstate(over="ignore"):
        prefix = np.concatenate(([_U64(0)], np.cumsum(weights * _powers(_BYTE_BASE, len(buffer)), dtype=_U64)))
        inverse = _powers(pow(_BYTE_BASE, -1, 1 << 64), len(buffer))
        word_hashes = mix64((prefix[word_ends] - prefix[word_starts]) * inverse[word_starts], seed)
    # Runs of words with no break between them; a text boundary is a break too.
    breaks_before = np.concatenate(([0], np.cumsum(is_break, dtype=np.int32)))
    run_id = breaks_before[word_starts]
    word_text = np.searchsorted(text_starts, word_starts, side="right") - 1
    return _Words(word_hashes, run_id, word_text, num_texts)


def _word_shingles(words: _Words, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    word_hashes, run_id, word_text, num_texts = words.hashes, words.run_id, words.text, words.num_texts
    if len(word_hashes) == 0:
        return np.zeros(0, dtype=_U64), np.zeros(num_texts + 1, dtype=np.int64)
    if len(word_hashes) >= size:
        windows = _combine(word_hashes, size)
        valid = run_id[: len(windows)] == run_id[size - 1 :]
        shingles = mix64(windows[valid], seed ^ size)
        shingle_text = word_text[: len(windows)][valid]
    else:
        shingles = np.zeros(0, dtype=_U64)
        shingle_text = np.zeros(0, dtype=np.int64)

    counts = np.bincount(shingle_text, minlength=num_texts)
    words_per_text = np.bincount(word_text, minlength=num_texts)
    short = np.flatnonzero((counts == 0) & (words_per_text > 0))
    if len(short):
        # Rare: texts too short for one full shingle get a single shingle of all their words.
        first_word = np.searchsorted(word_text, short)
        extra = np.empty(len(short), dtype=_U64)
        with np.errstate(over="ignore"):
            for k, (text, first) in enumerate(zip(short, first_word)):
                acc = _U64(0)
                for h in word_hashes[first : first + words_per_text[text]]:
                    acc = acc * _WORD_BASE + h
                extra[k] = acc
        shingles = np.concatenate((shingles, mix64(extra, seed ^ size)))
        shingle_text = np.concatenate((shingle_text, short))
        order = np.argsort(shingle_text, kind="stable")
        shingles, shingle_text = shingles[order], shingle_text[order]
        counts = np.bincount(shingle_text, minlength=num_texts)
    offsets = np.zeros(num_texts + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return shingles, offsets


def _char_shingles(buffer: np.ndarray, text_starts: np.ndarray, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    num_texts = len(text_starts) - 1
    # Byte n-grams that contain no break; UTF-8 characters span several bytes, which
    # only makes a "character" shingle slightly shorter in characters for non-ASCII text.
    values = mix64(buffer.astype(_U64), seed)
    if len(values) < size:
        return np.zeros(0, dtype=_U64), np.zeros(num_texts + 1, dtype=np.int64)
    windows = _combine(values, size)
    breaks = np.concatenate(([0], np.cumsum(_BYTE_CLASS[buffer] == 2, dtype=np.int32)))
    # breaks[k] counts break bytes before k, so a window [i, i + size) holds none when:
    valid = breaks[size : size + len(windows)] == breaks[: len(windows)]
    positions = np.flatnonzero(valid)
    shingles = mix64(windows[positions], seed ^ size)
    shingle_text = np.searchsorted(text_starts, positions, side="right") - 1
    counts = np.bincount(shingle_text, minlength=num_texts)
    offsets = np.zeros(num_texts + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return shingles, offsets
