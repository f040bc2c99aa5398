"""Exact verification of candidate pairs and the "same story copy" decision.

Every candidate is re-scored exactly: Jaccard similarity and containment in both
directions on the documents' shingle sets, plus passage-level evidence: how many
sentences of one document appear near-verbatim (at least ``passage_overlap`` of their
shingles) in the other. A pair is a copy of the same story when

* the containment of the smaller document in the larger is at least ``min_containment``,
* they share at least ``min_shared_shingles`` shingles, or half of the smaller document's
  shingles when it has fewer than twice that many (a short lede cannot give more), and
* at least ``min_shared_passages`` sentences are shared near-verbatim, or one of the two
  documents has at most ``few_units`` sentences and shares as much of its whole text as
  one of them would need: ``passage_overlap / units``. A lede of two sentences shares a
  quarter of its shingles, wherever they lie: a light edit of every sentence (a changed
  number, a respelt name) keeps no sentence half intact, but leaves the text shared.

Shingles come from narrative text (quotes are breaks, see :mod:`dedup.match.fingerprint`), so
statements that every outlet quotes do not make two independent articles look copied.
The defaults and the measurements behind them are in the README's design notes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from dedup.errors import ParameterError
from dedup.match.fingerprint import FingerprintConfig, Fingerprints, unique_per_text
from dedup.match.minhash import jaccard_estimate
from dedup.match.overlap import SetIndex, SetMatrix, shared_shingle_counts, shared_unit_counts, worth_a_product
from dedup.match.shingle import shingle_hashes, sorted_distinct
from dedup.text.boilerplate import DEFAULT_RULES, BoilerplateRules
from dedup.text.normalize import normalize_many, strip_quoted_many
from dedup.text.segment import sentence_units

# Sentences with fewer narrative shingles than this are too short to count as evidence.
MIN_UNIT_SHINGLES = 3
# Pairs are scored in chunks that hold about this many shingle look-ups, so that the
# memory verification takes stays bounded whatever the shingles and the candidates.
LOOKUP_BUDGET = 1 << 22


@dataclass(frozen=True)
class MatchConfig:
    """The pair decision thresholds."""

    min_containment: float = 0.12
    min_shared_shingles: int = 8
    min_shared_passages: int = 1
    passage_overlap: float = 0.5
    few_units: int = 3
    # Words told in the same order (dedup.match.words): a pair that fails the rules above is
    # a copy when the rarity-weighted words both tell in one order make up ``min_aligned``
    # of one document and ``min_aligned_other`` of the other. 0 turns this evidence off.
    min_aligned: float = 0.22
    min_aligned_other: float = 0.15
    # ... and when order matters: told in order, the shared words weigh at least
    # ``min_order_gain`` times what they weigh with one text read backwards. Two unrelated
    # texts drawn from one vocabulary share many words, as many forwards as backwards.
    min_order_gain: float = 1.5

    def __post_init__(self) -> None:
        for name in ("min_containment", "passage_overlap", "min_aligned", "min_aligned_other"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ParameterError(f"{name} must be between 0 and 1, not {value}")
        if self.min_order_gain < 1.0:
            raise ParameterError(f"min_order_gain must be at least 1, not {self.min_order_gain}")
        if self.min_shared_shingles < 0 or self.min_shared_passages < 0 or self.few_units < 0:
            raise ParameterError("minimum shared counts and few_units cannot be negative")

    def describe(self) -> dict[str, object]:
        return {
            "min_containment": self.min_containment,
            "min_shared_shingles": self.min_shared_shingles,
            "min_shared_passages": self.min_shared_passages,
            "passage_overlap": self.passage_overlap,
            "few_units": self.few_units,
            "min_aligned": self.min_aligned,
            "min_aligned_other": self.min_aligned_other,
            "min_order_gain": self.min_order_gain,
        }

    @property
    def aligned_evidence(self) -> bool:
        """Whether pairs may be judged by the words they tell in the same order."""
        return self.min_aligned > 0

    def aligned_same(
        self, share_first: np.ndarray, share_second: np.ndarray, gain: np.ndarray | float = np.inf
    ) -> np.ndarray:
        """Whether words told in order make up enough of both documents, and order matters
        (``gain``: their weight over what they weigh with one text read backwards)."""
        high, low = np.maximum(share_first, share_second), np.minimum(share_first, share_second)
        return (
            self.aligned_evidence & (high >= self.min_aligned - 1e-12) & (low >= self.min_aligned_other - 1e-12)
            & (np.asarray(gain) >= self.min_order_gain - 1e-12)
        )

    def shingle_floor(self, smaller: np.ndarray | int) -> np.ndarray:
        """Shared shingles a pair needs, given the size of its smaller shingle set.

        ``min_shared_shingles``, or half the smaller set (rounded up, at least one) when
        that is less: quote removal can leave a short lede fewer shingles than the floor.
        """
        half = np.maximum(1, -(-np.asarray(smaller, dtype=np.int64) * 1 // 2))
        return np.minimum(self.min_shared_shingles, half)

    def whole_text_evidence(self, containment: np.ndarray, units: np.ndarray) -> np.ndarray:
        """Whether a document with ``units`` evidence sentences shares enough of its whole text.

        True where ``units <= few_units`` and ``containment`` reaches ``passage_overlap``
        divided by the units (a document without any counts as one unit).
        """
        units = np.maximum(np.asarray(units, dtype=np.int64), 1)
        return (units <= self.few_units) & (np.asarray(containment) >= self.passage_overlap / units - 1e-12)


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
    # share of each document that the words both tell in the same order make up; measured
    # only for pairs that shingles and passages do not show to be copies and of which one
    # document has no such copy (0 otherwise: dedup.match.words.rewrite_candidates)
    aligned_first: float = 0.0
    aligned_second: float = 0.0

    @property
    def containment(self) -> float:
        """Containment of the smaller document in the larger one."""
        return max(self.containment_first_in_second, self.containment_second_in_first)

    @property
    def aligned(self) -> float:
        return max(self.aligned_first, self.aligned_second)

    @property
    def strength(self) -> float:
        """How much of one document the other retells: its containment, or for a pair
        judged by the words told in order (a rewrite), the larger aligned share."""
        return max(self.containment, self.aligned)

    @property
    def shared_passages(self) -> int:
        return max(self.shared_passages_first, self.shared_passages_second)

    def renumbered(self, first: int, second: int) -> PairScore:
        """The same scores for the pair under other document numbers.

        ``dataclasses.replace`` does this too, at several times the cost; a scan renumbers
        every same-story pair on its way to and from the workers.
        """
        return PairScore(
            first, second, self.minhash_jaccard, self.jaccard, self.containment_first_in_second,
            self.containment_second_in_first, self.shared_shingles, self.shared_passages_first,
            self.shared_passages_second, self.same_story, self.aligned_first, self.aligned_second,
        )


@dataclass(frozen=True)
class Units:
    """Sentence-level units of a document with their narrative shingle sets."""

    spans: tuple[tuple[int, int], ...]
    shingles: tuple[np.ndarray, ...]


def build_units(
    texts: Sequence[str], config: FingerprintConfig, rules: BoilerplateRules = DEFAULT_RULES
) -> list[Units]:
    """Sentence units of several documents, shingled in one batch (see :func:`build_unit_sets`)."""
    batch = build_unit_sets(texts, config, rules)
    units = []
    for doc, spans in enumerate(batch.spans):
        first = batch.doc_offsets[doc]
        sets = tuple(batch.hashes[batch.offsets[u] : batch.offsets[u + 1]] for u in range(first, first + len(spans)))
        units.append(Units(tuple(spans), sets))
    return units


def shared_unit_mask(units: Units, other: np.ndarray, overlap: float) -> np.ndarray:
    """Which units have at least ``overlap`` of their shingles in the ``other`` set."""
    mask = np.zeros(len(units.shingles), dtype=bool)
    for k, unit in enumerate(units.shingles):
        if len(unit) >= MIN_UNIT_SHINGLES:
            mask[k] = np.isin(unit, other, assume_unique=True).mean() >= overlap
    return mask


def evidence_units(units: Units) -> int:
    """How many of a document's units are long enough to count as evidence."""
    return sum(1 for unit in units.shingles if len(unit) >= MIN_UNIT_SHINGLES)


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
        floor = int(config.shingle_floor(min(len(set_first), len(set_second))))
        plausible = max(c_first, c_second) >= config.min_containment and shared >= floor
        same = False
        if plausible:
            # Passage evidence is only needed, and only computed, for plausible pairs.
            units_first, units_second = units_of(first), units_of(second)
            passages_first = int(shared_unit_mask(units_first, set_second, config.passage_overlap).sum())
            passages_second = int(shared_unit_mask(units_second, set_first, config.passage_overlap).sum())
            whole = config.whole_text_evidence(
                np.array([c_first, c_second]), np.array([evidence_units(units_first), evidence_units(units_second)])
            )
            same = max(passages_first, passages_second) >= config.min_shared_passages or bool(whole.any())
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


# -- batched verification -------------------------------------------------------------
# The functions below score many pairs at once with numpy: no Python loop over pairs,
# shingles or sentences. They give exactly the decisions and values of score_pairs.


@dataclass(frozen=True)
class UnitSets:
    """Sentence units of a batch of documents: unit shingle sets (CSR) and units per document."""

    hashes: np.ndarray  # uint64, each unit's slice sorted and unique
    offsets: np.ndarray  # int64, len = units + 1
    doc_offsets: np.ndarray  # int64, len = documents + 1: units of document d are doc_offsets[d]:doc_offsets[d+1]
    spans: tuple[tuple[tuple[int, int], ...], ...]  # per document, the character span of each unit


def build_unit_sets(
    texts: Sequence[str], config: FingerprintConfig, rules: BoilerplateRules = DEFAULT_RULES
) -> UnitSets:
    """The sentence units of every document and their narrative shingle sets, in one CSR batch.

    Units are the sentences of each document's text passages (:func:`dedup.text.segment.sentence_units`).
    """
    spans_per_doc: list[tuple[tuple[int, int], ...]] = []
    unit_texts: list[str] = []
    for text in texts:
        spans = tuple(sentence_units(text, rules))
        spans_per_doc.append(spans)
        unit_texts.extend(text[start:end] for start, end in spans)
    unit_texts = normalize_many(unit_texts)
    if config.ignore_quotes:
        unit_texts = strip_quoted_many(unit_texts)
    hashes, offsets = shingle_hashes(unit_texts, config.shingle, seed=config.minhash.seed)
    hashes, offsets = unique_per_text(hashes, offsets)
    doc_offsets = np.zeros(len(spans_per_doc) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in spans_per_doc], out=doc_offsets[1:])
    return UnitSets(hashes, offsets, doc_offsets, tuple(spans_per_doc))


def unit_sets_of_rows(
    texts: Sequence[str], rows: np.ndarray, count: int, config: FingerprintConfig, rules: BoilerplateRules = DEFAULT_RULES
) -> tuple[UnitSets, np.ndarray]:
    """What :func:`score_pair_batch` asks ``units_for(rows)`` for: the unit sets of ``texts``
    (those of ``rows``, in order) and each of ``count`` rows' place in them (-1: none)."""
    unit_row = np.full(count, -1, dtype=np.int64)
    unit_row[rows] = np.arange(len(rows))
    return build_unit_sets(texts, config, rules), unit_row


@dataclass(frozen=True)
class ScoreColumns:
    """The scores of many pairs as columns: cheap to pickle, and to turn into :class:`PairScore`."""

    pairs: np.ndarray  # (n, 2) int64
    # (n, 6) minhash_jaccard, jaccard, containment first in second, second in first,
    # aligned share of first, of second
    values: np.ndarray
    counts: np.ndarray  # (n, 3) shared shingles, shared passages first, shared passages second
    same_story: np.ndarray  # (n,) bool

    @classmethod
    def of(cls, scores: Sequence[PairScore]) -> ScoreColumns:
        """``scores`` as columns (the same numbers: floats and integers survive the round trip)."""
        def column(fields: Callable[[PairScore], tuple], width: int, dtype: type) -> np.ndarray:
            flat = itertools.chain.from_iterable(map(fields, scores))  # no list of tuples held
            return np.fromiter(flat, dtype=dtype, count=width * len(scores)).reshape(-1, width)

        return cls(
            pair_array(scores),
            column(lambda s: (s.minhash_jaccard, s.jaccard, s.containment_first_in_second,
                              s.containment_second_in_first, s.aligned_first, s.aligned_second), 6, np.float64),
            column(lambda s: (s.shared_shingles, s.shared_passages_first, s.shared_passages_second), 3, np.int64),
            np.fromiter((s.same_story for s in scores), dtype=bool, count=len(scores)),
        )

    def take(self, rows: np.ndarray, pairs: np.ndarray) -> ScoreColumns:
        """The scores at ``rows``, for ``pairs`` (the same pairs, under other document numbers)."""
        return ScoreColumns(pairs, self.values[rows], self.counts[rows], self.same_story[rows])

    def scores(self) -> list[PairScore]:
        return [
            PairScore(a, b, m, j, c1, c2, shared, p1, p2, same, al1, al2)
            for (a, b), (m, j, c1, c2, al1, al2), (shared, p1, p2), same in zip(
                self.pairs.tolist(), self.values.tolist(), self.counts.tolist(), self.same_story.tolist()
            )
        ]


def pair_array(scores: Sequence[PairScore]) -> np.ndarray:
    """The ``(first, second)`` of each of ``scores``, as an ``(n, 2)`` int64 array."""
    flat = itertools.chain.from_iterable((s.first, s.second) for s in scores)
    return np.fromiter(flat, dtype=np.int64, count=2 * len(scores)).reshape(-1, 2)


def _chunks(costs: np.ndarray, budget: int = LOOKUP_BUDGET) -> list[tuple[int, int]]:
    """Consecutive ranges of items whose costs add up to about ``budget`` (one item at least)."""
    ends = np.cumsum(np.asarray(costs, dtype=np.int64))
    bounds = [0]
    while bounds[-1] < len(ends):
        start = bounds[-1]
        done = int(ends[start - 1]) if start else 0
        bounds.append(max(start + 1, int(np.searchsorted(ends, done + budget, side="right"))))
    return list(itertools.pairwise(bounds))


def score_pair_batch(
    pairs: np.ndarray,
    shingles: np.ndarray,
    offsets: np.ndarray,
    signatures: np.ndarray,
    units_for: Callable[[np.ndarray], tuple[UnitSets, np.ndarray]],
    config: MatchConfig,
    lookup_budget: int = LOOKUP_BUDGET,
    products: bool | None = None,
    unit_docs: np.ndarray | None = None,
) -> ScoreColumns | PartialScores:
    """:func:`score_pairs` for a batch, vectorised; indices are rows of ``offsets``/``signatures``.

    ``units_for(rows)`` returns the unit sets of those rows and a map from row to unit row;
    it is called once, for the rows of plausible pairs only. Pairs are looked up in chunks
    of about ``lookup_budget`` shingles (or signature values), so the working memory
    stays bounded however many pairs a batch holds and however large their sets are.
    Shared counts come from set look-ups or, where the pairs are dense enough for them to
    cost less, from sparse products (:mod:`dedup.match.overlap`); ``products`` forces one
    way (True: products, False: look-ups). The counts are the same either way.

    With ``unit_docs`` (a mask of the batch's documents), only those documents' sentences
    are looked for in the other document of each pair, and a :class:`PartialScores` comes
    back: workers that share one large batch each take some of its documents.
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    count = len(pairs)
    sets = SetIndex(shingles, offsets)
    sizes = np.diff(offsets)
    first, second = pairs[:, 0], pairs[:, 1]
    size_first, size_second = sizes[first], sizes[second]
    estimates = np.zeros(count)
    for lo, hi in _chunks(np.full(count, signatures.shape[1] if signatures.ndim == 2 else 1), lookup_budget):
        estimates[lo:hi] = jaccard_estimate(signatures[first[lo:hi]], signatures[second[lo:hi]])
    lookups = np.minimum(size_first, size_second) + 1
    worth = worth_a_product(int(lookups.sum()), len(shingles)) if products is None else products
    matrix = SetMatrix(shingles, offsets) if worth else None
    if matrix is not None and (products or matrix.pair_cost() < lookups.sum()):
        shared = matrix.shared_counts(pairs)
    else:
        shared = np.zeros(count, dtype=np.int64)
        for lo, hi in _chunks(lookups, lookup_budget):
            shared[lo:hi] = shared_shingle_counts(pairs[lo:hi], sets, offsets)
    union = size_first + size_second - shared
    with np.errstate(invalid="ignore", divide="ignore"):
        c_first = np.where(size_first > 0, shared / np.maximum(size_first, 1), 0.0)
        c_second = np.where(size_second > 0, shared / np.maximum(size_second, 1), 0.0)
        jaccard = np.where(union > 0, shared / np.maximum(union, 1), 0.0)
    floor = config.shingle_floor(np.minimum(size_first, size_second))
    plausible = (np.maximum(c_first, c_second) >= config.min_containment) & (shared >= floor)
    # the sentence evidence of each plausible pair, a side at a time: side 0 counts the
    # units of the first document found in the second, side 1 those of the second in the first
    passages = np.zeros((count, 2), dtype=np.int64)
    whole = np.zeros((count, 2), dtype=bool)
    chosen = np.flatnonzero(plausible)
    owned = np.zeros((count, 2), dtype=bool)
    owned[chosen] = True if unit_docs is None else unit_docs[pairs[chosen]]
    pair_of, side = np.nonzero(owned)
    if len(pair_of):
        docs, others = pairs[pair_of, side], pairs[pair_of, 1 - side]
        units, unit_row = units_for(sorted_distinct(docs))
        doc_units = _evidence_units_per_doc(units)
        passages[pair_of, side] = _units_found(
            docs, others, units, unit_row, sets, offsets, matrix, config.passage_overlap, lookup_budget, products
        )
        containment = np.where(side == 0, c_first[pair_of], c_second[pair_of])
        whole[pair_of, side] = config.whole_text_evidence(containment, doc_units[unit_row[docs]])
    shares = np.zeros((count, 2))  # words told in order are measured afterwards (dedup.match.words)
    columns = ScoreColumns(
        pairs,
        np.stack([estimates, jaccard, c_first, c_second, shares[:, 0], shares[:, 1]], axis=1),
        np.concatenate([shared[:, None], passages], axis=1).astype(np.int64),
        _same_story(plausible, passages, whole, config),
    )
    return columns if unit_docs is None else PartialScores(columns, plausible, whole, owned)


def _same_story(plausible: np.ndarray, passages: np.ndarray, whole: np.ndarray, config: MatchConfig) -> np.ndarray:
    """The decision: plausible, and enough sentences of one side found in the other, or a
    short side's whole text."""
    return np.asarray(plausible & ((passages.max(axis=1) >= config.min_shared_passages) | whole.any(axis=1)), dtype=bool)


@dataclass(frozen=True)
class PartialScores:
    """:func:`score_pair_batch`'s scores with the sentence evidence of some documents only
    (its ``unit_docs``): the sides ``owned`` (the units of those documents) are counted, the
    others are zero. The parts of a batch whose documents are split among them give its
    scores with :func:`merge_partial_scores`."""

    columns: ScoreColumns
    plausible: np.ndarray  # (n,) bool
    whole: np.ndarray  # (n, 2) bool: each side's whole-text evidence, where owned
    owned: np.ndarray  # (n, 2) bool


def merge_partial_scores(parts: Sequence[PartialScores], config: MatchConfig) -> ScoreColumns:
    """The scores of a batch from parts that split its documents: each side of each pair
    was counted by exactly one of them, and the rest of every part is the same."""
    base = parts[0].columns
    passages = np.zeros((len(base.pairs), 2), dtype=np.int64)
    whole = np.zeros((len(base.pairs), 2), dtype=bool)
    for part in parts:
        passages[part.owned] = part.columns.counts[:, 1:][part.owned]
        whole |= part.whole & part.owned
    counts = np.concatenate([base.counts[:, :1], passages], axis=1)
    return ScoreColumns(base.pairs, base.values, counts, _same_story(parts[0].plausible, passages, whole, config))


def _units_found(
    docs: np.ndarray, others: np.ndarray, units: UnitSets, unit_row: np.ndarray, sets: SetIndex, offsets: np.ndarray,
    matrix: SetMatrix | None, overlap: float, lookup_budget: int, products: bool | None,
) -> np.ndarray:
    """How many units of ``docs[i]`` lie near-verbatim in ``others[i]``: by set look-ups, or
    by a product where there are enough of them for it to cost less (``products`` forces
    one way, as in :func:`score_pair_batch`)."""
    unit_values = np.diff(units.offsets[units.doc_offsets])  # unit shingles of each unit row
    lookups = unit_values[unit_row[docs]] + 1
    worth = worth_a_product(int(lookups.sum()), len(sets.values)) if products is None else products
    if matrix is None and worth:
        matrix = SetMatrix(sets.values, offsets)
    if matrix is not None:
        known = np.flatnonzero(unit_row >= 0)
        doc_sets = np.full(len(units.doc_offsets) - 1, -1, dtype=np.int64)
        doc_sets[unit_row[known]] = known  # each unit document's own set
        unit_matrix = matrix.units(units, doc_sets)
    else:
        unit_matrix = None
    if unit_matrix is not None and (products or unit_matrix.cost() < lookups.sum()):
        return unit_matrix.units_found(docs, others, unit_row, overlap, MIN_UNIT_SHINGLES)
    found = np.zeros(len(docs), dtype=np.int64)
    for lo, hi in _chunks(lookups, lookup_budget):
        found[lo:hi] = shared_unit_counts(docs[lo:hi], others[lo:hi], units, unit_row, sets, overlap, MIN_UNIT_SHINGLES)
    return found


def _evidence_units_per_doc(units: UnitSets) -> np.ndarray:
    """How many units of each document of ``units`` are long enough to count as evidence."""
    per_doc = np.diff(units.doc_offsets)
    owner = np.repeat(np.arange(len(per_doc)), per_doc)
    long_enough = np.diff(units.offsets) >= MIN_UNIT_SHINGLES
    return np.bincount(owner[long_enough], minlength=len(per_doc)).astype(np.int64)
