import numpy as np
import pytest

from dedup.errors import ParameterError
from dedup.match.fingerprint import FingerprintConfig, fingerprint
from dedup.match.lsh import (
    LSHConfig,
    band_params,
    candidate_pairs,
    candidate_probability,
)


def test_band_params_follow_the_threshold():
    high = band_params(0.8, 128)
    low = band_params(0.05, 128, 2, 0.2, 0.8)
    assert high[1] > low[1]  # more rows per band for a high threshold
    assert high[0] * high[1] <= 128 and low[0] * low[1] <= 128


def test_candidate_probability_is_an_s_curve():
    values = candidate_probability(np.array([0.0, 0.03, 0.1, 0.5]), 128, 1, 2)
    assert values[0] == 0 and np.all(np.diff(values) > 0) and values[-1] > 0.999


def test_explicit_bands_override_and_are_checked():
    assert LSHConfig(bands=16, rows=4).resolve(128) == (16, 4)
    with pytest.raises(ParameterError, match="exceeds num_perm"):
        LSHConfig(bands=64, rows=4).resolve(128)
    with pytest.raises(ParameterError, match="did you forget"):
        LSHConfig(bands=16)


def make_texts(rng, n, words=200):
    vocabulary = [f"w{i}" for i in range(20000)]
    return [" ".join(rng.choice(vocabulary, words)) for _ in range(n)]


def test_rewrites_with_low_jaccard_become_candidates():
    rng = np.random.default_rng(1)
    texts = make_texts(rng, 50)
    words = texts[0].split()
    # a rewrite that keeps a third of the sentences: Jaccard about 0.1
    texts.append(" ".join(words[:70]) + " " + " ".join(rng.choice([f"z{i}" for i in range(999)], 200)))
    prints = fingerprint(texts, FingerprintConfig())
    found = candidate_pairs(prints.signatures, prints.sizes > 0, LSHConfig())
    assert [0, 50] in found.pairs.tolist()
    assert len(found.pairs) < 5  # unrelated random texts are not candidates


def phrase_sharing_texts(rng, n, phrase="according to the ministry of the interior statement"):
    """``n`` unrelated texts that all carry one stock phrase: buckets of it and nothing else."""
    return [f"{phrase} " + " ".join(rng.choice([f"w{i}" for i in range(20000)], 40)) for _ in range(n)]


def test_oversized_buckets_of_a_stock_phrase_are_capped_and_reported():
    rng = np.random.default_rng(3)
    texts = phrase_sharing_texts(rng, 30) + ["something else entirely different words"]
    prints = fingerprint(texts, FingerprintConfig())
    found = candidate_pairs(prints.signatures, prints.sizes > 0, LSHConfig(max_bucket=10))
    assert found.oversized_buckets > 0 and found.oversized_documents == 30
    # the pairs are those of the buckets that were not oversized: no core was found
    assert set(map(tuple, found.pairs.tolist())) == pairs_of_small_buckets(prints.signatures, 10, 2)


def pairs_of_small_buckets(signatures, max_bucket, min_hits):
    """One row per band: pairs sharing a bucket of at most ``max_bucket`` in ``min_hits`` bands."""
    hits = {}
    for band in range(signatures.shape[1]):
        buckets = {}
        for doc, value in enumerate(signatures[:, band].tolist()):
            buckets.setdefault(value, []).append(doc)
        for members in buckets.values():
            if len(members) <= max_bucket:
                for k, a in enumerate(members):
                    for b in members[k + 1 :]:
                        hits[(a, b)] = hits.get((a, b), 0) + 1
    return {pair for pair, count in hits.items() if count >= min_hits}


def test_copies_word_for_word_past_the_bucket_limit_are_all_paired():
    texts = ["the same dispatch told word for word by every site that took it"] * 30 + ["something else entirely"]
    prints = fingerprint(texts, FingerprintConfig())
    found = candidate_pairs(prints.signatures, prints.sizes > 0, LSHConfig(max_bucket=10))
    assert (found.oversized_buckets, found.oversized_documents) == (0, 0)
    assert sorted(map(tuple, found.pairs.tolist())) == [(a, b) for a in range(30) for b in range(a + 1, 30)]
    assert set(found.hits.tolist()) == {128}  # every band: the hits of a core pair are all its bands


def syndicated(rng, copies, others):
    """A dispatch of 120 words: ``copies`` sites each add a line of their own, one copy is
    trimmed to two thirds, one padded to three times its length; ``others`` unrelated texts
    share a stock phrase with each other."""
    vocabulary = [f"w{i}" for i in range(20000)]
    dispatch = list(rng.choice(vocabulary, 120))
    texts = [" ".join(dispatch) + " " + " ".join(rng.choice(vocabulary, 6)) for _ in range(copies)]
    texts.append(" ".join(dispatch[:80]))
    texts.append(" ".join(dispatch) + " " + " ".join(rng.choice(vocabulary, 240)))
    return texts + phrase_sharing_texts(rng, others)


def test_near_copies_in_oversized_buckets_are_paired_with_the_trimmed_and_padded_ones():
    rng = np.random.default_rng(4)
    texts = syndicated(rng, 40, 30)
    prints = fingerprint(texts, FingerprintConfig())
    found = candidate_pairs(prints.signatures, prints.sizes > 0, LSHConfig(max_bucket=10))
    pairs = set(map(tuple, found.pairs.tolist()))
    trimmed, padded = 40, 41
    assert all((a, b) in pairs for a in range(40) for b in range(a + 1, 40))  # the copies
    assert sum((k, trimmed) in pairs for k in range(40)) >= 36  # the trimmed copy: with nearly all
    assert sum((k, padded) in pairs for k in range(40)) >= 30  # the padded one shares fewer bands
    assert not any(a < 42 <= b for a, b in pairs)  # nor with the texts that share only a phrase
    assert found.oversized_documents == 30


def test_cores_do_not_depend_on_document_order():
    rng = np.random.default_rng(5)
    texts = syndicated(rng, 40, 30)
    prints = fingerprint(texts, FingerprintConfig())
    found = candidate_pairs(prints.signatures, prints.sizes > 0, LSHConfig(max_bucket=10))
    order = rng.permutation(len(texts))  # document k of the shuffled run is order[k]
    shuffled = candidate_pairs(prints.signatures[order], prints.sizes[order] > 0, LSHConfig(max_bucket=10))
    back = {tuple(sorted((int(order[a]), int(order[b])))): h for (a, b), h in zip(shuffled.pairs.tolist(), shuffled.hits.tolist())}
    assert back == {tuple(p): h for p, h in zip(found.pairs.tolist(), found.hits.tolist())}
    assert (shuffled.oversized_buckets, shuffled.oversized_documents) == (found.oversized_buckets, found.oversized_documents)


def test_a_core_over_max_core_is_left_out_and_reported():
    texts = ["the same dispatch told word for word by every site that took it"] * 30
    prints = fingerprint(texts, FingerprintConfig())
    found = candidate_pairs(prints.signatures, prints.sizes > 0, LSHConfig(max_bucket=10, max_core=20))
    assert len(found.pairs) == 0 and found.oversized_documents == 30 and found.large_core_documents == 30
    with pytest.raises(ParameterError, match="max_core"):
        LSHConfig(max_core=1)


def test_consensus_takes_the_most_frequent_value_and_marks_columns_nobody_shares():
    from dedup.match.cores import consensus

    rows = np.array([[5, 1, 9], [5, 2, 8], [7, 2, 7], [7, 3, 6]], dtype=np.uint32)
    values, held = consensus(rows)
    assert values.tolist() == [5, 2, 6] and held.tolist() == [True, True, False]  # 5 and 7 tie: the smaller
    wide = rows.astype(np.uint64) << np.uint64(40)
    wide_values, wide_held = consensus(wide)
    assert (wide_values >> np.uint64(40)).tolist() == [5, 2, 6] and wide_held.tolist() == held.tolist()


@pytest.mark.parametrize("threshold", [0.1, 0.3, 0.5, 0.7, 0.9])
def test_band_params_agree_with_datasketch_for_classic_lsh(threshold):
    from datasketch.lsh import _optimal_param

    assert band_params(threshold, 128, 1, 0.5, 0.5) == _optimal_param(threshold, 128, 0.5, 0.5)


def test_pair_codes_spilled_by_document_range_give_the_same_candidates(monkeypatch):
    import dedup.match.lsh as lsh
    from benchmarks.corpus import generate

    texts = [article.text for article in generate(600, seed=5)]
    prints = fingerprint([t.lower() for t in texts], FingerprintConfig())
    in_memory = candidate_pairs(prints.signatures, prints.sizes > 0, LSHConfig())
    monkeypatch.setattr(lsh, "PARTITION_DOCS", 70)  # nine ranges, each in its own file
    spilled = candidate_pairs(prints.signatures, prints.sizes > 0, LSHConfig())
    assert len(in_memory.pairs) > 100
    assert np.array_equal(spilled.pairs, in_memory.pairs) and np.array_equal(spilled.hits, in_memory.hits)
    assert (spilled.oversized_buckets, spilled.oversized_documents) == (in_memory.oversized_buckets, in_memory.oversized_documents)
