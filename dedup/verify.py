"""Exact verification of candidate pairs and the "same story copy" decision.

Every candidate is re-scored exactly: Jaccard similarity and containment in both
directions on the documents' shingle sets, plus passage-level evidence: how many
sentences of one document appear near-verbatim (at least ``passage_overlap`` of their
shingles) in the other. A pair is a copy of the same story when

* the containment of the smaller document in the larger is at least ``min_containment``,
* they share at least ``min_shared_shingles`` shingles, and
* at least ``min_shared_passages`` sentences are shared near-verbatim.

Shingles come from narrative text (quotes are breaks, see :mod:`dedup.fingerprint`), so
statements that every outlet quotes do not make two independent articles look copied.
The defaults and the measurements behind them are in the README's design notes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from dedup.errors import ParameterError
from dedup.fingerprint import FingerprintConfig, Fingerprints, unique_per_text
from dedup.minhash import jaccard_estimate
from dedup.normalize import normalize_text, strip_quoted
from dedup.segment import Segmentation, split_sentences
from dedup.shingle import shingle_hashes

# Sentences with fewer narrative shingles than this are too short to count as evidence.
MIN_UNIT_SHINGLES = 3


@dataclass(frozen=True)
class MatchConfig:
    """The pair decision thresholds."""

    min_containment: float = 0.12
    min_shared_shingles: int = 8
    min_shared_passages: int = 1
    passage_overlap: float = 0.5

    def __post_init__(self) -> None:
        for name in ("min_containment", "passage_overlap"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ParameterError(f"{name} must be between 0 and 1, not {value}")
        if self.min_shared_shingles < 0 or self.min_shared_passages < 0:
            raise ParameterError("minimum shared counts cannot be negative")

    def describe(self) -> dict[str, object]:
        return {
            "min_containment": self.min_containment,
            "min_shared_shingles": self.min_shared_shingles,
            "min_shared_passages": self.min_shared_passages,
            "passage_overlap": self.passage_overlap,
        }


@dataclass(frozen=True)
class PairScore:
    """Exact scores of one verified pair of documents (indices into the corpus)."""

    first: int
    second: int
    minhash_jaccard: float
    jaccard: float
    containment_first_in_second: float
    containment_second_in_first: float
    shared_shingles: int
    shared_passages_first: int
    shared_passages_second: int
    same_story: bool

    @property
    def containment(self) -> float:
        """Containment of the smaller document in the larger one."""
        return max(self.containment_first_in_second, self.containment_second_in_first)

    @property
    def shared_passages(self) -> int:
        return max(self.shared_passages_first, self.shared_passages_second)


@dataclass(frozen=True)
class Units:
    """Sentence-level units of a document with their narrative shingle sets."""

    spans: tuple[tuple[int, int], ...]
    shingles: tuple[np.ndarray, ...]


def build_units(
    texts: Sequence[str], segmentations: Sequence[Segmentation], config: FingerprintConfig
) -> list[Units]:
    """Sentence units of several documents, shingled in one batch."""
    spans_per_doc: list[list[tuple[int, int]]] = []
    unit_texts: list[str] = []
    for text, segmentation in zip(texts, segmentations):
        spans = [
            span
            for passage in segmentation.passages
            if passage.kind == "text"
            for span in split_sentences(text, passage.start, passage.end)
        ]
        spans_per_doc.append(spans)
        for start, end in spans:
            normalized = normalize_text(text[start:end])
            unit_texts.append(strip_quoted(normalized) if config.ignore_quotes else normalized)
    hashes, offsets = shingle_hashes(unit_texts, config.shingle, seed=config.minhash.seed)
    hashes, offsets = unique_per_text(hashes, offsets)
    units, position = [], 0
    for spans in spans_per_doc:
        sets = tuple(hashes[offsets[position + k] : offsets[position + k + 1]] for k in range(len(spans)))
        units.append(Units(tuple(spans), sets))
        position += len(spans)
    return units


def shared_unit_mask(units: Units, other: np.ndarray, overlap: float) -> np.ndarray:
    """Which units have at least ``overlap`` of their shingles in the ``other`` set."""
    mask = np.zeros(len(units.shingles), dtype=bool)
    for k, unit in enumerate(units.shingles):
        if len(unit) >= MIN_UNIT_SHINGLES:
            mask[k] = np.isin(unit, other, assume_unique=True).mean() >= overlap
    return mask


def score_pairs(
    pairs: np.ndarray,
    fingerprints: Fingerprints,
    units_of: Callable[[int], Units],
    config: MatchConfig,
) -> list[PairScore]:
    """Exact scores and decisions for candidate ``pairs`` (an ``(n, 2)`` array)."""
    scores = []
    estimates = jaccard_estimate(fingerprints.signatures[pairs[:, 0]], fingerprints.signatures[pairs[:, 1]]) if len(pairs) else []
    for (first, second), estimate in zip(pairs.tolist(), estimates):
        set_first, set_second = fingerprints.shingle_set(first), fingerprints.shingle_set(second)
        shared = int(np.intersect1d(set_first, set_second, assume_unique=True).size)
        union = len(set_first) + len(set_second) - shared
        c_first = shared / len(set_first) if len(set_first) else 0.0
        c_second = shared / len(set_second) if len(set_second) else 0.0
        passages_first = passages_second = 0
        plausible = max(c_first, c_second) >= config.min_containment and shared >= config.min_shared_shingles
        if plausible:
            # Passage evidence is only needed, and only computed, for plausible pairs.
            passages_first = int(shared_unit_mask(units_of(first), set_second, config.passage_overlap).sum())
            passages_second = int(shared_unit_mask(units_of(second), set_first, config.passage_overlap).sum())
        same = plausible and max(passages_first, passages_second) >= config.min_shared_passages
        scores.append(
            PairScore(
                first=first,
                second=second,
                minhash_jaccard=float(estimate),
                jaccard=shared / union if union else 0.0,
                containment_first_in_second=c_first,
                containment_second_in_first=c_second,
                shared_shingles=shared,
                shared_passages_first=passages_first,
                shared_passages_second=passages_second,
                same_story=same,
            )
        )
    return scores
