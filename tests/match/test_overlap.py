"""Shared shingles by sparse products: the same counts as set look-ups, block by block."""

import random

import numpy as np
import pytest

from dedup.match import overlap
from dedup.match.fingerprint import FingerprintConfig, content_text, fingerprint
from dedup.match.shingle import sorted_distinct, unique_inverse
from dedup.match.verify import MatchConfig, build_unit_sets, score_pair_batch
from tests.match.test_verify import AGENCY, _corpus


def _dense_cluster(copies: int = 40, seed: int = 5) -> list[str]:
    """``copies`` trimmed and reordered copies of one dispatch among the test corpus: every
    pair of copies shares most of its shingles, as in a cluster of republished pages."""
    rng = random.Random(seed)
    sentences = AGENCY.split(". ")
    texts = []
    for _ in range(copies):
        kept = [s for s in sentences if rng.random() < 0.8] or sentences[:2]
        if rng.random() < 0.3:
            kept = kept[len(kept) // 2 :] + kept[: len(kept) // 2]
        texts.append(". ".join(kept) + ".")
    return texts + _corpus()


def _score(texts, products, calls=None):
    config = FingerprintConfig()
    prints = fingerprint([content_text(t) for t in texts], config)
    count = len(texts)
    pairs = np.array([(a, b) for a in range(count) for b in range(a + 1, count)], dtype=np.int64)

    def units_for(rows):
        unit_row = np.full(count, -1, dtype=np.int64)
        unit_row[rows] = np.arange(len(rows))
        return build_unit_sets([texts[r] for r in rows.tolist()], config), unit_row

    return score_pair_batch(
        pairs, prints.shingles, prints.offsets, prints.signatures, units_for, MatchConfig(), products=products
    )


@pytest.mark.parametrize("cells", [overlap.DENSE_CELLS, 1_000, 1])
def test_products_give_the_look_ups_counts_in_blocks_of_any_size(monkeypatch, cells):
    texts = _dense_cluster()
    looked_up = _score(texts, products=False)
    monkeypatch.setattr(overlap, "DENSE_CELLS", cells)
    multiplied = _score(texts, products=True)
    assert np.array_equal(multiplied.counts, looked_up.counts)
    assert np.array_equal(multiplied.values, looked_up.values)
    assert np.array_equal(multiplied.same_story, looked_up.same_story)
    assert looked_up.same_story.sum() >= 40 * 39 // 2  # the copies are copies of one another
    assert (looked_up.counts[:, 1] > 0).sum() > 40 * 39 // 2  # passage counts are exercised


def test_a_dense_batch_is_multiplied_and_a_sparse_one_looked_up(monkeypatch):
    used = []
    for name in ("shared_counts",):
        original = getattr(overlap.SetMatrix, name)
        monkeypatch.setattr(overlap.SetMatrix, name, lambda self, *a, _o=original: used.append(1) or _o(self, *a))
    _score(_dense_cluster(), products=None)
    assert used, "all pairs of a cluster of copies should be counted by a product"
    assert not overlap.worth_a_product(lookups=1_000, values=1_000)  # few look-ups per value: no matrix
    assert overlap.worth_a_product(lookups=8_000, values=1_000)


def test_values_no_set_holds_count_in_unit_sizes_only():
    sets = overlap.SetMatrix(np.array([1, 5, 9, 2, 5], dtype=np.uint64), np.array([0, 3, 5]))

    class Units:
        hashes = np.array([1, 5, 7, 8, 2, 4], dtype=np.uint64)  # 7, 8 and 4 are in no set
        offsets = np.array([0, 4, 6])
        doc_offsets = np.array([0, 1, 2])

    units = sets.units(Units())
    docs, others = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    # unit 0 (doc 0): 2 of 4 shingles in set 0, 1 of 4 in set 1; unit 1 (doc 1): 0 of 2 in set 0, 1 of 2 in set 1
    unit_row = np.array([0, 1])
    assert units.units_found(docs, others, unit_row, 0.5, 1).tolist() == [1, 0, 0, 1]
    assert units.units_found(others, docs, unit_row, 0.5, 1).tolist() == [1, 0, 0, 1]  # and back
    assert units.units_found(docs, others, unit_row, 0.5, 3).tolist() == [1, 0, 0, 0]
    assert sets.shared_counts(np.array([[0, 1], [0, 0], [1, 1]])).tolist() == [1, 3, 2]


@pytest.mark.parametrize("seed", range(4))
def test_columns_found_in_own_sets_first_are_the_vocabulary_columns(seed):
    rng = np.random.default_rng(seed)
    pool = np.unique(rng.integers(0, np.iinfo(np.int64).max, size=400, dtype=np.int64).astype(np.uint64) * 2 + 1)
    sets = [np.unique(rng.choice(pool[:300], size=rng.integers(0, 60))) for _ in range(12)]
    offsets = np.cumsum([0] + [len(s) for s in sets])
    matrix = overlap.SetMatrix(np.concatenate(sets).astype(np.uint64), offsets)
    # sentence shingles: mostly their own set's, some of other sets, some of none (pool[300:])
    values = rng.choice(pool, size=2_000)
    own = rng.integers(-1, 12, size=2_000)  # -1: a document with no set
    expected = matrix._columns(values)
    assert (expected == -1).any() and (expected >= 0).any()
    assert np.array_equal(matrix._columns(values, own), expected)
    empty = overlap.SetMatrix(np.zeros(0, dtype=np.uint64), np.zeros(3, dtype=np.int64))
    assert empty._columns(values[:5], own[:5]).tolist() == [-1] * 5


def test_unit_matrix_with_own_sets_counts_as_without():
    texts = _dense_cluster(12)
    config = FingerprintConfig()
    prints = fingerprint([content_text(t) for t in texts], config)
    matrix = overlap.SetMatrix(prints.shingles, prints.offsets)
    rows = np.arange(3, len(texts), dtype=np.int64)  # unit documents are a subset, in order
    units = build_unit_sets([texts[r] for r in rows.tolist()], config)
    unit_row = np.full(len(texts), -1, dtype=np.int64)
    unit_row[rows] = np.arange(len(rows))
    pairs = np.array([(a, b) for a in rows.tolist() for b in rows.tolist() if a < b], dtype=np.int64)
    docs, others = np.concatenate((pairs[:, 0], pairs[:, 1])), np.concatenate((pairs[:, 1], pairs[:, 0]))
    plain = matrix.units(units).units_found(docs, others, unit_row, 0.5, 3)
    own = matrix.units(units, rows).units_found(docs, others, unit_row, 0.5, 3)
    assert np.array_equal(plain, own) and plain.sum() > 0


@pytest.mark.parametrize("share", [0.0, 0.1, 1 / 3, 0.5, 0.7, 0.9, 1.0])
def test_needed_hits_are_what_the_division_decides(share):
    sizes = np.arange(0, 300)
    for min_shingles in (0, 3):
        need = overlap.needed_hits(sizes, share, min_shingles)
        for size, found in zip(sizes.tolist(), need.tolist()):
            # an empty unit's share is 0 / 0: never enough
            enough = [h for h in range(size + 1) if 0 < size and min_shingles <= size and h / size >= share]
            assert found == (enough[0] if enough else size + 1)


def integer_cases(dtype, seed: int) -> list[np.ndarray]:
    """Arrays of ``dtype`` that numpy's unique and its stand-ins must agree on."""
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype)
    return [
        np.zeros(0, dtype=dtype),
        np.array([7], dtype=dtype),
        np.array([3, 3], dtype=dtype),
        rng.integers(0, 50, size=1000).astype(dtype),  # many repeats
        rng.integers(info.min, info.max, size=5000, dtype=dtype, endpoint=True),  # the whole range
        np.array([info.max, info.min, info.max, 0, info.min], dtype=dtype),
        # sets one after the other, each sorted, as shingle sets come
        np.concatenate([np.unique(rng.integers(0, 300, size=n)) for n in (40, 0, 90, 1, 250)]).astype(dtype),
    ]


@pytest.mark.parametrize("dtype", [np.uint64, np.int64, np.int32])
def test_unique_inverse_is_numpys(dtype):
    for values in integer_cases(dtype, 5):
        expected_unique, expected_inverse = np.unique(values, return_inverse=True)
        found_unique, found_inverse = unique_inverse(values)
        assert found_unique.dtype == values.dtype
        assert np.array_equal(found_unique, expected_unique)
        assert np.array_equal(found_inverse, expected_inverse.reshape(-1))
        assert np.array_equal(found_unique[found_inverse], values)


@pytest.mark.parametrize("dtype", [np.uint64, np.int64, np.int32, np.uint32])
def test_sorted_distinct_is_numpys_unique(dtype):
    pairs = np.random.default_rng(6).integers(0, 9, size=(40, 2)).astype(dtype)  # flattened, as np.unique does
    for values in [*integer_cases(dtype, 6), pairs]:
        found = sorted_distinct(values)
        assert found.dtype == values.dtype and found.ndim == 1
        assert np.array_equal(found, np.unique(values))
    unsorted = np.array([5, 1, 5], dtype=dtype)
    sorted_distinct(unsorted)
    assert unsorted.tolist() == [5, 1, 5]  # the input is left as it was


def _random_sets(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` sorted sets drawn from a small range (so they overlap), of very different
    sizes (so both the merge and the search of the kernel run), some empty, some with
    values at the ends of the uint64 range."""
    pool = np.concatenate([np.arange(1, 400, dtype=np.uint64), np.array([0, 2**64 - 1], dtype=np.uint64)])
    sets = [np.unique(rng.choice(pool, size=int(rng.choice([0, 1, 3, 20, 150, 390])))) for _ in range(count)]
    offsets = np.zeros(count + 1, dtype=np.int64)
    np.cumsum([len(s) for s in sets], out=offsets[1:])
    return np.concatenate(sets).astype(np.uint64), offsets


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_compiled_look_ups_count_as_numpys(monkeypatch, seed):
    rng = np.random.default_rng(seed)
    values, offsets = _random_sets(rng, 30)
    sets = overlap.SetIndex(values, offsets)
    pairs = rng.integers(0, 30, size=(400, 2)).astype(np.int64)
    # units: the sets again, grouped three to a document
    units = type("Units", (), {"hashes": values, "offsets": offsets, "doc_offsets": np.arange(0, 31, 3)})
    unit_row = np.arange(30) // 3  # set s stands for document s // 3 ...
    docs, others = rng.integers(0, 10, size=400).astype(np.int64) * 3, pairs[:, 1]  # ... whose first set is 3d
    counted = {}
    for name, threshold in (("numpy", 1 << 62), ("compiled", 0)):
        monkeypatch.setattr(overlap, "KERNEL_LOOKUPS", threshold)
        monkeypatch.setattr(overlap, "LOADED_KERNEL_LOOKUPS", threshold)
        counted[name] = (
            overlap.shared_shingle_counts(pairs, sets, offsets),
            [overlap.shared_unit_counts(docs, others, units, unit_row, sets, share, 2) for share in (0.0, 0.3, 0.5, 1.0)],
        )
    assert np.array_equal(counted["numpy"][0], counted["compiled"][0])
    expected = [len(np.intersect1d(values[offsets[a]:offsets[a + 1]], values[offsets[b]:offsets[b + 1]])) for a, b in pairs]
    assert counted["compiled"][0].tolist() == expected
    for numpys, compiled in zip(counted["numpy"][1], counted["compiled"][1]):
        assert np.array_equal(numpys, compiled)
    assert any(found.any() for found in counted["compiled"][1][1:])  # units are found, not only counted as none


def test_a_batch_looked_up_by_the_kernels_scores_as_by_numpy(monkeypatch):
    texts = _dense_cluster(copies=20)
    monkeypatch.setattr(overlap, "KERNEL_LOOKUPS", 1 << 62)
    monkeypatch.setattr(overlap, "LOADED_KERNEL_LOOKUPS", 1 << 62)
    numpys = _score(texts, products=False)
    monkeypatch.setattr(overlap, "KERNEL_LOOKUPS", 0)
    compiled = _score(texts, products=False)
    assert np.array_equal(compiled.counts, numpys.counts) and np.array_equal(compiled.values, numpys.values)
    assert np.array_equal(compiled.same_story, numpys.same_story) and compiled.same_story.sum() >= 20 * 19 // 2


def test_a_process_loads_the_kernels_once_it_has_looked_up_enough_in_numpy(monkeypatch):
    from dedup.match import kernels

    monkeypatch.setattr(overlap, "LOAD_KERNELS_AFTER", 10_000)
    monkeypatch.setattr(overlap, "_numpy_lookups", 0)
    monkeypatch.setattr(kernels, "WARM", False)  # as in a process that has not loaded them
    monkeypatch.setattr(kernels, "CACHED", True)
    small, batch = overlap.LOADED_KERNEL_LOOKUPS - 1, overlap.LOADED_KERNEL_LOOKUPS
    assert not overlap.by_kernels(batch) and not overlap.by_kernels(small)
    assert overlap._numpy_lookups == batch + small
    assert not overlap.by_kernels(10_000 - overlap._numpy_lookups)  # reaches the limit
    assert not overlap.by_kernels(small)  # too small to go to them, whatever was done before
    assert overlap.by_kernels(batch) and kernels.WARM  # loaded, and used from then on
    assert overlap.by_kernels(batch) and not overlap.by_kernels(small)
    assert overlap.by_kernels(overlap.KERNEL_LOOKUPS)


def test_a_process_that_would_compile_the_kernels_keeps_to_numpy(monkeypatch):
    from dedup.match import kernels

    monkeypatch.setattr(overlap, "LOAD_KERNELS_AFTER", 10_000)
    monkeypatch.setattr(overlap, "_numpy_lookups", 10_000)
    monkeypatch.setattr(kernels, "WARM", False)
    monkeypatch.setattr(kernels, "CACHED", False)  # a read-only installation: loading them compiles them
    batch = overlap.LOADED_KERNEL_LOOKUPS
    assert not overlap.by_kernels(batch) and not kernels.WARM
    monkeypatch.setattr(kernels, "CACHED", True)
    assert not overlap.by_kernels(batch) and not kernels.WARM  # the question is not asked again
    assert overlap.by_kernels(overlap.KERNEL_LOOKUPS)  # a batch that large goes to them whatever it costs
