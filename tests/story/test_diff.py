"""The passage diff scores each distinct passage vector once: the same answer as scoring every passage."""

import numpy as np
import pytest
from scipy import sparse

from dedup.story import diff
from dedup.text.segment import segment

WIRE = [
    "Rescue teams reached the flooded valley on Tuesday after three days of rain cut the only road.",
    "The regional governor said two hundred families had been moved to schools on higher ground.",
    "Engineers warned that the old dam upstream could not hold another night of heavy rain.",
    "Schools will stay closed until Friday, the education office said in a short statement.",
]
OWN = [
    "Our correspondent in the valley spoke to farmers who lost their whole harvest to the water.",
    "The same valley flooded in 1998, when the river rose four metres in a single night.",
    "Local football fixtures for the weekend have been postponed by the league.",
]


def _cluster() -> list[str]:
    reworded = WIRE[1].replace("two hundred families", "about 200 households").replace("moved", "taken")
    return [
        "Flood cuts valley road\n\n" + "\n\n".join(WIRE),
        "Flood cuts valley road\n\n" + "\n\n".join(WIRE[:3] + [OWN[0]]),
        "\n\n".join([WIRE[0], reworded, WIRE[2], WIRE[2], OWN[1]]),  # one paragraph told twice
        "\n\n".join([OWN[2], WIRE[0] + " " + WIRE[1], WIRE[3], "2024 — 18:30"]),  # two merged; no words
    ]


def _diff(texts: list[str]):
    return diff.diff_cluster(texts, [segment(t).passages for t in texts])


def _every_row_apart(counts, row_cluster):
    rows = np.arange(counts.shape[0], dtype=np.int64)
    return rows, rows


def _one_key(counts, row_cluster):  # every row collides with every other
    return np.zeros(counts.shape[0], dtype=np.uint64)


def test_scoring_distinct_vectors_once_gives_what_scoring_every_passage_gives(monkeypatch):
    texts = _cluster()
    grouped = _diff(texts)
    monkeypatch.setattr(diff, "_equal_rows", _every_row_apart)
    assert grouped == _diff(texts)
    # the repeated wire paragraph is found verbatim in every member that tells it
    third = [d for d in grouped[2] if texts[2][d.passage.start : d.passage.end] == WIRE[2]]
    assert len(third) == 2
    for found in third:
        assert {c.member for c in found.counterparts} == {0, 1}
        assert all(c.relation == "verbatim" for c in found.counterparts)
    # two paragraphs one member merged find the two-passage window they came from
    merged = next(d for d in grouped[3] if texts[3][d.passage.start : d.passage.end].startswith(WIRE[0]))
    source = next(c for c in merged.counterparts if c.member == 0)
    assert len(source.passages) == 2 and source.relation == "verbatim"


def _every_piece_apart(pieces, row_cluster):
    rows = np.arange(len(pieces), dtype=np.int64)
    return list(pieces), rows, rows


def test_counting_equal_paragraphs_once_gives_what_counting_each_gives(monkeypatch):
    texts = _cluster()
    counted_once = _diff(texts)
    monkeypatch.setattr(diff, "_distinct_pieces", _every_piece_apart)
    assert counted_once == _diff(texts)


def test_distinct_pieces_are_kept_apart_by_cluster():
    pieces, first_rows, row_of = diff._distinct_pieces(["a", "b", "a", "a", "b"], [0, 0, 0, 1, 1])
    assert pieces == ["a", "b", "a", "b"]
    assert first_rows.tolist() == [0, 1, 3, 4]
    assert row_of.tolist() == [0, 1, 0, 2, 3]


def test_a_hash_collision_never_merges_different_passages(monkeypatch):
    texts = _cluster()
    expected = _diff(texts)
    monkeypatch.setattr(diff, "_row_keys", _one_key)
    assert _diff(texts) == expected


@pytest.mark.parametrize("collide", [False, True])
def test_equal_rows_groups_exactly_the_equal_rows(monkeypatch, collide):
    if collide:
        monkeypatch.setattr(diff, "_row_keys", _one_key)
    dense = np.array([[1, 0, 2], [0, 0, 0], [1, 0, 2], [2, 0, 1], [1, 0, 2], [0, 0, 0], [1, 0, 2]])
    clusters = np.array([0, 0, 0, 0, 1, 1, 0])
    group, first = diff._equal_rows(sparse.csr_matrix(dense), clusters)
    for a in range(len(dense)):
        for b in range(len(dense)):
            equal = clusters[a] == clusters[b] and (dense[a] == dense[b]).all()
            assert (group[a] == group[b]) == equal, (a, b)
    assert sorted(first.tolist()) == sorted({int(np.flatnonzero(group == g)[0]) for g in set(group.tolist())})


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("cells", [1 << 20, 7])  # 7: a block of one row, or of a few short ones
@pytest.mark.parametrize("compiled", [False, True])  # blocks of numpy sums, or the compiled loop
def test_rows_are_scaled_to_the_floats_scikit_learn_gives(monkeypatch, seed, cells, compiled):
    from sklearn.preprocessing import normalize

    monkeypatch.setattr(diff, "_SUM_CELLS", cells)
    monkeypatch.setattr(diff, "COMPILED_SUM_ENTRIES", 1 if compiled else 1 << 40)

    rng = np.random.default_rng(seed)
    dense = rng.random((300, 400)) * (rng.random((300, 400)) < rng.random((300, 1)) ** 3)
    dense[::17] = 0.0  # empty rows stay empty
    matrix = sparse.csr_matrix(dense)
    ours = diff._l2_rows(matrix.copy())
    theirs = normalize(matrix.copy(), norm="l2", copy=False)
    assert np.array_equal(ours.indptr, theirs.indptr) and np.array_equal(ours.indices, theirs.indices)
    assert ours.data.tobytes() == theirs.data.tobytes()  # bit for bit


@pytest.mark.parametrize("common_above", [0, 3, 20, 10_000])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("buffer", [1 << 16, 1])  # 1: a call holds two rows' entries at most, and is asked again
def test_bounded_scores_keep_the_products_entries_and_floats(monkeypatch, common_above, seed, buffer):
    from dedup.story import cosines

    monkeypatch.setattr(cosines, "COMMON_TERM_PASSAGES", common_above)
    monkeypatch.setattr(cosines, "SCORE_BUFFER", buffer)
    monkeypatch.setattr(cosines, "BOUNDED_MIN_PRODUCTS", 0)
    rng = np.random.default_rng(seed)
    # a few terms in most rows (common), many in a few; weights of every magnitude
    def rows(count, density):
        dense = (rng.random((count, 300)) < density * np.r_[np.full(10, 8.0), np.ones(290)]) * rng.random((count, 300))
        return diff._l2_rows(sparse.csr_matrix(dense * rng.choice([0.01, 1.0, 30.0], size=(count, 300))))

    windows, passages = rows(200, 0.04), rows(150, 0.04)
    short = (rng.random(150) < 0.4).astype(np.float64)
    passages_t = passages.T.tocsr()
    squared = sparse.csr_matrix(sparse.diags(short) @ passages.multiply(passages)).T.tocsr()
    for threshold in (0.1, 0.4):
        bounded = cosines.BoundedScores.of(windows, passages, short, threshold)
        for start, end in ((0, 200), (17, 90), (40, 40)):
            block = windows[start:end]
            got = bounded.scores(block, start, end)
            expected = cosines.product_scores(block, passages_t, squared, threshold)
            as_set = lambda found: sorted(zip(*(a.tolist() for a in found)))  # noqa: E731
            assert as_set(got) == as_set(expected)  # the same entries, floats compared exactly
            assert len(got[0]) > 10 or start == end


@pytest.mark.parametrize(("seed", "short_share"), [(0, 0.2), (1, 0.2), (2, 0.2), (3, 1.0)])
@pytest.mark.parametrize("buffer", [1 << 16, 1])  # 1: each block's entries come a row or two per call
def test_two_passage_windows_scored_only_where_a_part_reaches_keep_every_entry(monkeypatch, seed, short_share, buffer):
    # A window of two passages can reach the threshold though neither passage alone does:
    # the parts are scored at threshold / sqrt 2. Scoring them at the threshold itself
    # loses such entries, and this test with them.
    from dedup.story import cosines

    monkeypatch.setattr(cosines, "BOUNDED_MIN_PRODUCTS", 0)
    monkeypatch.setattr(cosines, "COSINE_BLOCK", 1 << 12)  # many blocks, and listed pairs cut too
    monkeypatch.setattr(cosines, "LISTED_PAIRS", 7)
    monkeypatch.setattr(cosines, "SCORE_BUFFER", buffer)
    rng = np.random.default_rng(seed)
    dense = (rng.random((120, 60)) < 0.12) * rng.random((120, 60))
    units = diff._l2_rows(sparse.csr_matrix(dense))
    pairs = np.array([(k, k + 1) for k in range(0, 119, 2)] + [(3, 40), (7, 7)])
    select = sparse.csr_matrix(
        (np.ones(2 * len(pairs)), (np.repeat(np.arange(len(pairs)), 2), pairs.ravel())), shape=(len(pairs), 120)
    )
    windows = sparse.vstack([units, diff._l2_rows(select @ units)]).tocsr()
    parts = np.vstack([np.full((120, 2), -1), pairs])
    short = (rng.random(120) < short_share).astype(np.float64)
    copies = rng.integers(1, 4, size=windows.shape[0])
    for threshold in (0.3, 0.5):
        split = list(cosines.split_window_scores(windows, units, short, copies, parts, threshold))
        every = list(cosines.window_scores(windows, units, short, copies, threshold))
        # (a window of two may be listed by both its parts: scored twice, the same float)
        as_set = lambda found: sorted(set(zip(*(np.concatenate(c).tolist() for c in zip(*found)))))  # noqa: E731
        assert as_set(split) == as_set(every)  # the same entries, floats compared exactly
        lifted = [(w, p) for w, p, v in as_set(every) if w >= 120 and short[p] == 0]
        assert lifted or short.all(), "no two-passage window reached the threshold"


def test_the_diff_is_the_same_with_and_without_bounds(monkeypatch):
    from dedup.story import cosines

    texts = _cluster()
    monkeypatch.setattr(cosines, "COMMON_TERM_PASSAGES", 1)  # every term in two passages is common
    monkeypatch.setattr(cosines, "BOUNDED_MIN_PRODUCTS", 0)
    used = []
    original = cosines.BoundedScores.chunks
    monkeypatch.setattr(cosines.BoundedScores, "chunks", lambda self, *a: used.append(1) or original(self, *a))
    bounded = _diff(texts)
    assert used
    monkeypatch.setattr(cosines, "BOUNDED_SCORES", False)
    assert bounded == _diff(texts)


@pytest.mark.parametrize("corpus", ["news", "web"])
def test_a_clusters_diff_does_not_depend_on_the_clusters_batched_with_it(corpus):
    # Columns used to be numbered by a hash of (cluster in the batch, term), so a cluster's
    # rows held their entries in an order set by its batch, and near-equal cosines (a
    # passage against itself, or against itself and a neighbour) tied differently.
    from benchmarks.corpus import generate, generate_web

    articles = list(generate(600, seed=4) if corpus == "news" else generate_web(300, seed=3))
    families: dict[str, list[str]] = {}
    for article in articles:
        families.setdefault(article.family, []).append(article.text)
    inputs = [(texts, [segment(t).passages for t in texts]) for texts in families.values() if len(texts) >= 2]
    assert len(inputs) >= 20
    together = diff.diff_clusters(inputs)
    assert together == [diff.diff_clusters([one])[0] for one in inputs]
    assert together == diff.diff_clusters(inputs[::-1])[::-1]
