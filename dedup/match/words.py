"""Evidence from the words two documents share in order, weighted by how rare they are.

A rewrite that keeps a dispatch's facts in its own wording shares almost no run of five
words with it, so shingles and passages miss it; yet it tells the same facts in the same
order, naming the same rare people, places and numbers. This module measures that:

* :class:`WordWeights`, the inverse document frequency of every word of a corpus,
  ``log((N + 1) / (df + 1))``, kept in a fixed table of ``2**WORD_SLOT_BITS`` slots
  (the top bits of a word's hash; words that share a slot add up their counts, which
  only ever lowers a weight) and quantised to 1/16 of a nat in one byte per slot, so that
  a table costs 1 MiB whatever the corpus and travels with every batch of work. A word
  found in every document weighs nothing; a corpus of two documents gives no word any
  weight, so the evidence never fires on a pair alone.
* :func:`aligned_weights`, the weight of the heaviest common subsequence of two word
  sequences (the weighted longest common subsequence): the words both tell in the same
  order. Divided by each document's own weight, this is the share of it the other one
  retells.
* :func:`rare_word_pairs`, candidates that share rare words (carried by at most
  ``max_df`` documents) worth at least ``min_share`` of the larger document's weight:
  the pairs that LSH on five-word shingles cannot see.
* :func:`settle_rewrites`, the decision once shingles and passages have had theirs: the
  pairs they reject are aligned (:func:`aligned_shares`), a pair whose shares pass
  :meth:`MatchConfig.aligned_same` becomes a copy, and :func:`keep_best_rewrites` keeps
  only the best rewrite evidence of each document.
* :class:`CorpusWords`, a scan's record of each document's distinct words and of the
  document counts behind the weights.

Words are those of shingling (:func:`dedup.match.shingle.shingle_hashes` with size 1):
spaced scripts by words, unspaced ones (Chinese, Japanese, Thai…) by characters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from dedup.match.lsh import LSHConfig
from dedup.match.shingle import ShingleConfig, concat_ranges, shingle_hashes, sorted_distinct, unique_inverse
from dedup.match.verify import MatchConfig, PairScore, ScoreColumns
from dedup.spools import SetSpool

WORD_SLOT_BITS = 20
IDF_SCALE = 16  # a weight unit is 1/16 of a nat
# Documents whose words are read back at a time to find the rare ones.
RARE_WORD_CHUNK = 20_000
# The most cells (matchable words of one text times those of the other) an alignment may
# cover: about a tenth of a second. Longer pairs (two books, two log dumps) are not
# aligned; articles and web pages stay far below it (5,000 words each: 25 million).
MAX_ALIGN_CELLS = 1 << 25
_WORDS = ShingleConfig("word", 1)


def word_sequences(contents: Sequence[str], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Each text's word hashes in text order (CSR: hashes, offsets); texts are fingerprint contents."""
    return shingle_hashes(contents, _WORDS, seed=seed)


def slots(hashes: np.ndarray) -> np.ndarray:
    """The weight-table slot of each word hash."""
    return (np.asarray(hashes, dtype=np.uint64) >> np.uint64(64 - WORD_SLOT_BITS)).astype(np.int64)


@dataclass(frozen=True)
class WordWeights:
    """Quantised inverse document frequencies of a corpus's words (see the module)."""

    table: np.ndarray  # uint8, 2**WORD_SLOT_BITS: idf in 1/IDF_SCALE nats
    documents: int

    @classmethod
    def from_counts(cls, counts: np.ndarray, documents: int) -> WordWeights:
        """Weights from the number of documents holding each slot, of ``documents`` in all."""
        counts = np.asarray(counts, dtype=np.float64)
        idf = np.log((documents + 1.0) / (counts + 1.0))
        table = np.clip(np.floor(idf * IDF_SCALE + 0.5), 0, 255).astype(np.uint8)
        return cls(table, int(documents))

    def of(self, hashes: np.ndarray) -> np.ndarray:
        """The weight of each word hash, in weight units (int64)."""
        return self.table[slots(hashes)].astype(np.int64)

    def document_frequency_at_most(self, hashes: np.ndarray, max_df: int) -> np.ndarray:
        """Which words are in at most ``max_df`` documents: those weighing at least what such
        a word weighs, less half a unit of rounding."""
        floor = np.log((self.documents + 1.0) / (max_df + 1.0)) * IDF_SCALE - 0.5
        return self.of(hashes) >= floor


def aligned_weights(
    first: np.ndarray, second: np.ndarray, weights_first: np.ndarray, max_cells: int = MAX_ALIGN_CELLS
) -> int | None:
    """Weight of the heaviest common subsequence of two word sequences (None past ``max_cells``).

    ``weights_first`` are the weights of ``first``'s words (equal words weigh the same in
    both). Only words of one sequence that occur in the other can be matched, so the
    dynamic programme runs over those: one row per such word of the shorter sequence, over
    its places in the other, and ``max_cells`` bounds the rows times the places. One pair
    at a time; :func:`aligned_shares` runs the same compiled kernel over many
    (:func:`dedup.match.kernels.aligned_weight`).
    """
    from dedup.match.kernels import aligned_weight

    ids, scratch = _dense_ids(first, second)
    found = int(aligned_weight(ids[: len(first)], ids[len(first) :], np.asarray(weights_first, dtype=np.int64),
                               max_cells, *scratch))
    return None if found < 0 else found


def bag_bound(first: np.ndarray, second: np.ndarray, weights_first: np.ndarray) -> int:
    """An upper bound of :func:`aligned_weights`: the weight both share as bags of words."""
    from dedup.match.kernels import shared_bag_weight

    ids, scratch = _dense_ids(first, second)
    return int(shared_bag_weight(ids[: len(first)], ids[len(first) :], np.asarray(weights_first, dtype=np.int64),
                                 *scratch[2:]))


def _dense_ids(*sequences: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """The words of ``sequences`` (joined) as dense ids, and zeroed scratch arrays over them
    for the kernels (a mark, a weight and two counts per id)."""
    vocabulary, ids = unique_inverse(np.concatenate(sequences))
    size = len(vocabulary)
    scratch = (np.zeros(size, dtype=np.int8), np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64),
               np.zeros(size, dtype=np.int64))
    return ids.astype(np.int64).reshape(-1), scratch


def rare_words(
    word_sets: np.ndarray, set_offsets: np.ndarray, weights: WordWeights, max_df: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rare words of some documents' distinct words (CSR), and every document's weight.

    Returns ``(words, owners, totals)``: each word of at most ``max_df`` documents (by the
    weight table) with the row of its document, and the weight of each document's
    distinct words.
    """
    owner = np.repeat(np.arange(len(set_offsets) - 1, dtype=np.int64), np.diff(set_offsets))
    weight = weights.of(word_sets)
    running = np.concatenate(([0], np.cumsum(weight)))
    totals = running[set_offsets[1:]] - running[set_offsets[:-1]]
    rare = weights.document_frequency_at_most(word_sets, max_df)
    return word_sets[rare], owner[rare], totals


def rare_word_pairs(
    words: np.ndarray, docs: np.ndarray, totals: np.ndarray, weights: WordWeights, max_df: int, min_share: float
) -> np.ndarray:
    """Pairs of documents whose shared rare words weigh ``min_share`` of the larger one's total.

    ``words`` and ``docs`` are the rare words of the documents (:func:`rare_words`), and
    ``totals`` the weight of each document's distinct words. A rare word that ``k``
    documents share (``2 <= k <= max_df``) adds its weight to their ``k(k-1)/2`` pairs, so
    the work is bounded by ``max_df`` times the rare words. Returns an ``(n, 2)`` int64
    array of pairs ``first < second``, sorted.
    """
    order = np.lexsort((docs, words))
    words, docs = words[order], docs[order]
    none = np.zeros((0, 2), dtype=np.int64)
    if len(words) < 2:
        return none
    starts = np.flatnonzero(np.concatenate(([True], words[1:] != words[:-1])))
    sizes = np.diff(np.append(starts, len(words)))
    keep = (sizes >= 2) & (sizes <= max_df)
    starts, sizes = starts[keep], sizes[keep]
    # every (position, later position in the same word's group)
    group_of = np.repeat(np.arange(len(starts)), sizes)
    position = concat_ranges(starts, sizes)
    later = starts[group_of] + sizes[group_of] - 1 - position  # how many come after it
    left = np.repeat(position, later)
    if len(left) == 0:
        return none
    right = left + 1 + concat_ranges(np.zeros(len(later), dtype=np.int64), later)
    count = len(totals)
    codes = docs[left] * count + docs[right]
    unique, inverse = unique_inverse(codes)
    shared = np.bincount(inverse, weights=weights.of(words[left]))
    first, second = unique // count, unique % count
    chosen = shared >= min_share * np.maximum(totals[first], totals[second]) - 1e-9
    return np.stack([first[chosen], second[chosen]], axis=1).astype(np.int64).reshape(-1, 2)


def aligned_shares(
    contents: Sequence[str], pairs: np.ndarray, weights: WordWeights, seed: int, config: MatchConfig
) -> np.ndarray:
    """The aligned share of each document of each pair, and the pair's order gain: ``(n, 3)``.

    ``contents`` are fingerprint contents; ``pairs`` index them. A document's share is the
    weight of the words both tell in the same order (:func:`aligned_weights`) over the
    weight of all its words; the order gain is that weight over the weight aligned when
    the second text is read backwards (infinite when nothing is): a chance alignment of two
    texts that share a vocabulary is as heavy either way. Pairs whose words, taken as bags
    (:func:`bag_bound`), could not reach the thresholds of ``config`` keep zeros without
    the alignment being run, and so do pairs too long to align (:data:`MAX_ALIGN_CELLS`).
    """
    from dedup.match.kernels import aligned_weight, shared_bag_weight

    hashes, offsets = word_sequences(contents, seed)
    all_weights = weights.of(hashes)
    running = np.concatenate(([0], np.cumsum(all_weights)))
    totals = running[offsets[1:]] - running[offsets[:-1]]
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    shares = np.zeros((len(pairs), 3))
    # words as dense ids, so that the compiled kernels count and place them in arrays
    ids, scratch = _dense_ids(hashes)
    counts = scratch[2:]

    def words(doc: int) -> tuple[np.ndarray, np.ndarray]:
        return ids[offsets[doc] : offsets[doc + 1]], all_weights[offsets[doc] : offsets[doc + 1]]

    def aligned(first: np.ndarray, second: np.ndarray, first_weights: np.ndarray) -> int | None:
        found = int(aligned_weight(first, second, first_weights, MAX_ALIGN_CELLS, *scratch))
        return None if found < 0 else found

    for k, (a, b) in enumerate(pairs.tolist()):
        if totals[a] <= 0 or totals[b] <= 0:
            continue
        (seq_a, w_a), (seq_b, _) = words(a), words(b)
        bound = int(shared_bag_weight(seq_a, seq_b, w_a, *counts))
        if not config.aligned_same(bound / totals[a], bound / totals[b]):
            continue
        weight = aligned(seq_a, seq_b, w_a)
        if weight is None:
            continue
        shares[k, :2] = (weight / totals[a], weight / totals[b])
        if config.aligned_same(shares[k, 0], shares[k, 1]):
            backwards = aligned(seq_a, np.ascontiguousarray(seq_b[::-1]), w_a) or 0
            shares[k, 2] = weight / backwards if backwards else np.inf
    return shares


def keep_best_rewrites(scores: Sequence[PairScore]) -> list[PairScore]:
    """The scores, with the pairs judged by words told in order alone kept only where they are
    the best such evidence of one of their documents.

    A rewrite retells one source. Two dispatches on one event (two match reports, a story
    and its follow-up) tell many of the same names in the same order too, but each is then
    the other's second best: it has its own copies, or a rewrite that retells it better. So
    a pair judged by this evidence alone stays a copy only when, for one of its two
    documents, no other pair is stronger: none shown a copy by shingles and passages, and
    none whose aligned shares (of both documents) add up to more. Ties keep every pair; the
    rule looks at scores only, never at ids or order.
    """
    return keep_best_rewrite_columns(ScoreColumns.of(scores)).scores() if scores else []


def keep_best_rewrite_columns(columns: ScoreColumns) -> ScoreColumns:
    """:func:`keep_best_rewrites` of scores as columns."""
    same = columns.same_story
    first, second = columns.pairs[:, 0], columns.pairs[:, 1]
    aligned_first, aligned_second = columns.values[:, 4], columns.values[:, 5]
    total = aligned_first + aligned_second
    aligned = np.maximum(aligned_first, aligned_second) > 0
    best = np.full(int(columns.pairs.max()) + 1 if len(first) else 0, -1.0)  # each document's strongest copy
    for side in (first, second):
        np.maximum.at(best, side[same], np.where(aligned, total, np.inf)[same])
    turned_down = same & aligned & (total < best[first] - 1e-12) & (total < best[second] - 1e-12)
    return ScoreColumns(columns.pairs, columns.values, columns.counts, same & ~turned_down)


class CorpusWords:
    """A scan's record of each document's distinct words (in a set spool, or without one in
    memory) and of how many documents hold each slot of the weight table."""

    def __init__(self, spool: SetSpool | None, enabled: bool = True) -> None:
        self.spool, self.enabled = spool, enabled
        self.blocks: list[np.ndarray] = []
        self.counts = np.zeros(1 << WORD_SLOT_BITS if enabled else 0, dtype=np.int64)
        self.position = np.zeros(0, dtype=np.int64)  # where the words of each read document are

    def add(self, word_sets: np.ndarray, offsets: np.ndarray, replacing: np.ndarray | None = None) -> None:
        """Keep the distinct words of the next read documents, or (``replacing``: their read
        numbers) the new words of documents fingerprinted again, whose old words stop counting."""
        if not self.enabled:
            return
        first = len(self.spool) if self.spool is not None else len(self.blocks)
        numbers = first + np.arange(len(offsets) - 1, dtype=np.int64)
        if replacing is None:
            self.position = np.concatenate((self.position, numbers))
        else:
            old, _ = self._load(self.position[replacing])
            np.subtract.at(self.counts, slots(old), 1)
            self.position[replacing] = numbers
        if self.spool is not None:
            self.spool.add_many(word_sets, offsets)
        else:
            self.blocks.extend(word_sets[offsets[k] : offsets[k + 1]] for k in range(len(offsets) - 1))
        np.add.at(self.counts, slots(word_sets), 1)

    def weights(self, documents: int) -> WordWeights | None:
        """The word weights of the corpus, of ``documents`` documents with content (None
        when the scan does not weigh words)."""
        return WordWeights.from_counts(self.counts, documents) if self.enabled else None

    def _load(self, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.spool is not None:
            return self.spool.select(numbers).load()
        chosen = [self.blocks[n] for n in numbers.tolist()]
        offsets = np.zeros(len(chosen) + 1, dtype=np.int64)
        np.cumsum([len(c) for c in chosen], out=offsets[1:])
        return (np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.uint64)), offsets

    def rare_pairs(self, order: np.ndarray, sizes: np.ndarray, weights: WordWeights, config: LSHConfig) -> np.ndarray:
        """Pairs of documents that share rare words (:func:`rare_word_pairs`).

        ``order`` maps each document (the scan's numbering) to its read number, ``sizes``
        are the documents' shingle counts: those without content take part in no pair.
        The words are read back a chunk of documents at a time, keeping the rare ones only.
        """
        words: list[np.ndarray] = []
        owners: list[np.ndarray] = []
        totals: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
        numbers = self.position[order]
        for start in range(0, len(numbers), RARE_WORD_CHUNK):
            chunk = self._load(numbers[start : start + RARE_WORD_CHUNK])
            found, owner, total = rare_words(*chunk, weights, config.rare_word_df)
            words.append(found)
            owners.append(owner + start)
            totals.append(total)
        total = np.concatenate(totals)
        total[np.asarray(sizes) == 0] = 0
        if not words:
            return np.zeros((0, 2), dtype=np.int64)
        found, owner = np.concatenate(words), np.concatenate(owners)
        keep = total[owner] > 0
        return rare_word_pairs(found[keep], owner[keep], total, weights, config.rare_word_df, config.rare_word_share)


def rewrite_candidates(scores: Sequence[PairScore]) -> list[int]:
    """The scores to align word by word: pairs not shown to be copies by shingles and
    passages, except those both of whose documents have such a copy, which
    :func:`keep_best_rewrites` would turn down whatever they align."""
    return rewrite_candidate_rows(ScoreColumns.of(scores)).tolist() if scores else []


def rewrite_candidate_rows(columns: ScoreColumns) -> np.ndarray:
    """:func:`rewrite_candidates` of scores as columns: their rows."""
    copied = sorted_distinct(columns.pairs[columns.same_story])
    both_copied = np.isin(columns.pairs[:, 0], copied) & np.isin(columns.pairs[:, 1], copied)
    return np.flatnonzero(~columns.same_story & ~both_copied)


def with_alignment_columns(
    columns: ScoreColumns, chosen: np.ndarray, measured: np.ndarray, config: MatchConfig
) -> ScoreColumns:
    """``columns`` with the aligned shares ``measured`` (:func:`aligned_shares`, one row per
    ``chosen`` row) filled in, and those that pass :meth:`MatchConfig.aligned_same` made copies."""
    values, same = columns.values.copy(), columns.same_story.copy()
    if len(chosen):
        values[chosen, 4:6] = measured[:, :2]
        same[chosen] = config.aligned_same(measured[:, 0], measured[:, 1], measured[:, 2])
    return ScoreColumns(columns.pairs, values, columns.counts, same)


def union_of_pairs(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The pairs of two ``(n, 2)`` arrays of pairs (``a < b``), each once, sorted."""
    if len(second) == 0:
        return first
    both = np.unique(np.concatenate([first.reshape(-1, 2), second.reshape(-1, 2)]), axis=0)
    return both.astype(np.int64)


def settle_rewrites(
    scores: Sequence[PairScore], measure: Callable[[np.ndarray], np.ndarray], config: MatchConfig
) -> list[PairScore]:
    """``scores`` once words told in order are weighed: the pairs :func:`rewrite_candidates`
    picks are measured (``measure(pairs)``, :func:`aligned_shares` rows), then
    :func:`keep_best_rewrites` keeps the best rewrite of each document."""
    return settle_rewrite_columns(ScoreColumns.of(scores), measure, config).scores() if scores else []


def settle_rewrite_columns(
    columns: ScoreColumns, measure: Callable[[np.ndarray], np.ndarray], config: MatchConfig
) -> ScoreColumns:
    """:func:`settle_rewrites` of scores as columns, which a scan keeps them in."""
    chosen = rewrite_candidate_rows(columns)
    return keep_best_rewrite_columns(with_alignment_columns(columns, chosen, measure(columns.pairs[chosen]), config))
