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


def test_oversized_buckets_are_capped_and_reported():
    texts = ["the same boilerplate only article text here"] * 30 + ["something else entirely different words"]
    prints = fingerprint(texts, FingerprintConfig())
    found = candidate_pairs(prints.signatures, prints.sizes > 0, LSHConfig(max_bucket=10))
    assert found.oversized_buckets > 0 and found.oversized_documents == 30
    assert len(found.pairs) == 0


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
