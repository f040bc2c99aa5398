"""Fingerprints of a batch of documents: exact shingle sets and MinHash signatures.

The fingerprinted text is the article's content: leading metadata and boilerplate lines
are left out, each line is normalised, and (by default) quoted speech is replaced by a
break. Independent articles about one event quote the same statements; what gives a copy
away is shared narrative, so quotes are kept out of the fingerprint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from dedup.match.minhash import MinHashConfig, signatures
from dedup.match.shingle import ShingleConfig, shingle_hashes, shingle_hashes_of_sizes
from dedup.text.boilerplate import (
    DEFAULT_RULES,
    MAX_BOILERPLATE_CHARS,
    BoilerplateRules,
    line_key,
    split_leading_metadata,
)
from dedup.text.normalize import normalize_many, strip_quoted


@dataclass(frozen=True)
class FingerprintConfig:
    """Everything that determines a fingerprint. Fingerprints with different configs never mix."""

    shingle: ShingleConfig = field(default_factory=ShingleConfig)
    minhash: MinHashConfig = field(default_factory=MinHashConfig)
    ignore_quotes: bool = True

    def describe(self) -> dict[str, object]:
        return {
            "shingle_kind": self.shingle.kind,
            "shingle_size": self.shingle.size,
            "num_perm": self.minhash.num_perm,
            "seed": self.minhash.seed,
            "ignore_quotes": self.ignore_quotes,
            "minhash_scheme": "one-permutation, rotation densification, splitmix64",
        }


def content_text(text: str, rules: BoilerplateRules = DEFAULT_RULES, ignore_quotes: bool = True) -> str:
    """The normalised text that is fingerprinted: one line per content line of ``text``."""
    return content_and_line_keys(text, rules, ignore_quotes, keys=False)[0]


def content_and_line_keys(
    text: str, rules: BoilerplateRules = DEFAULT_RULES, ignore_quotes: bool = True, *, keys: bool = True
) -> tuple[str, list[int]]:
    """:func:`content_text`, and the keys of its short lines (the ones that may be furniture)."""
    _, body_start = split_leading_metadata(text)
    raw = [line for line in text[body_start:].split("\n") if line.strip()]
    kept: list[str] = []
    short_keys: list[int] = []
    for line, normalized in zip(raw, normalize_many(raw)):
        if len(line) > MAX_BOILERPLATE_CHARS:
            kept.append(normalized)
        elif not rules.matches_normalized(normalized):
            kept.append(normalized)
            if keys and normalized:
                short_keys.append(line_key(normalized))
    content = "\n".join(kept)
    # quoted spans never cross a line, so the lines can be stripped at once
    return (strip_quoted(content) if ignore_quotes else content), short_keys


@dataclass(frozen=True)
class Fingerprints:
    """Per-document sorted unique shingle hashes (CSR form) and the signature matrix."""

    shingles: np.ndarray  # uint64, each document's slice sorted and unique
    offsets: np.ndarray  # int64, len = documents + 1
    signatures: np.ndarray  # (documents, num_perm) uint32

    def shingle_set(self, index: int) -> np.ndarray:
        return self.shingles[self.offsets[index] : self.offsets[index + 1]]

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.offsets)


def unique_per_text(hashes: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort and deduplicate each text's slice of ``hashes``.

    One sort of a single key (text number in the high bits, the hash's top bits below)
    orders the batch by text and hash; texts with two hashes that agree on those top bits
    but differ below them (rare) are put in exact order by a second, two-key sort.
    """
    num_texts = len(offsets) - 1
    owner = np.repeat(np.arange(num_texts, dtype=np.uint64), np.diff(offsets))
    text_bits = max(1, int(num_texts).bit_length())
    key = (owner << np.uint64(64 - text_bits)) | (hashes >> np.uint64(text_bits))
    order = np.argsort(key)
    key, ordered = key[order], hashes[order]
    if np.any((key[1:] == key[:-1]) & (ordered[1:] != ordered[:-1])):
        order = np.lexsort((hashes, owner))
    hashes, owner = hashes[order], owner[order]
    keep = np.ones(len(hashes), dtype=bool)
    keep[1:] = (hashes[1:] != hashes[:-1]) | (owner[1:] != owner[:-1])
    hashes, owner = hashes[keep], owner[keep]
    new_offsets = np.zeros(num_texts + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner.astype(np.int64), minlength=num_texts), out=new_offsets[1:])
    return hashes, new_offsets


def fingerprint(contents: Sequence[str], config: FingerprintConfig) -> Fingerprints:
    """Fingerprints of texts already reduced by :func:`content_text`."""
    hashes, offsets = shingle_hashes(contents, config.shingle, seed=config.minhash.seed)
    return _fingerprints(hashes, offsets, config)


def fingerprint_and_words(
    contents: Sequence[str], config: FingerprintConfig
) -> tuple[Fingerprints, tuple[np.ndarray, np.ndarray]]:
    """:func:`fingerprint`, and each text's distinct words (CSR: sorted unique word hashes,
    offsets; the words of :func:`dedup.match.words.word_sequences`), from one reading."""
    seed = config.minhash.seed
    if config.shingle.kind == "word":
        (hashes, offsets), words = shingle_hashes_of_sizes(contents, "word", (config.shingle.size, 1), seed)
    else:
        hashes, offsets = shingle_hashes(contents, config.shingle, seed=seed)
        words = shingle_hashes(contents, ShingleConfig("word", 1), seed=seed)
    return _fingerprints(hashes, offsets, config), unique_per_text(*words)


def _fingerprints(hashes: np.ndarray, offsets: np.ndarray, config: FingerprintConfig) -> Fingerprints:
    matrix = signatures(hashes, offsets, config.minhash)
    unique, unique_offsets = unique_per_text(hashes, offsets)
    return Fingerprints(unique, unique_offsets, matrix)
