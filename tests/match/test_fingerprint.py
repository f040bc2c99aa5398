import itertools
import os
import subprocess
import sys

import numpy as np
import pytest
from datasketch import MinHash

from dedup.errors import IncompatibleDataError, ParameterError
from dedup.match.fingerprint import (
    FingerprintConfig,
    content_text,
    fingerprint,
    fingerprint_and_words,
    unique_per_text,
)
from dedup.match.minhash import EMPTY, MinHashConfig, jaccard_estimate, to_lean_minhash
from dedup.match.shingle import ShingleConfig, shingle_hashes, shingle_hashes_of_sizes
from dedup.text.normalize import normalize_many, normalize_text
from tests.conftest import ROOT, SEEDS


def seed_contents():
    return [content_text(p.read_text(encoding="utf-8")) for p in sorted(SEEDS.iterdir())]


def test_shingles_do_not_cross_breaks_and_short_texts_get_one():
    hashes, offsets = shingle_hashes(["a b c\nd e f", "un deux", ""], ShingleConfig(size=3))
    assert list(np.diff(offsets)) == [2, 1, 0]
    same, _ = shingle_hashes(["x a b c y"], ShingleConfig(size=3))
    assert hashes[0] in same  # "a b c" is the same shingle wherever it stands


def test_word_shingles_ignore_punctuation_and_typography():
    first, _ = shingle_hashes([normalize_text("L’attentat, près de Moscou!")], ShingleConfig(size=2))
    second, _ = shingle_hashes([normalize_text("l'attentat près de moscou")], ShingleConfig(size=2))
    assert sorted(first) == sorted(second)


def test_char_shingles():
    hashes, offsets = shingle_hashes(["abcdef", "ab\ncd"], ShingleConfig(kind="char", size=3))
    assert list(np.diff(offsets)) == [4, 0]


def test_seeds_change_hashes():
    a, _ = shingle_hashes(["un deux trois quatre cinq"], ShingleConfig(), seed=1)
    b, _ = shingle_hashes(["un deux trois quatre cinq"], ShingleConfig(), seed=2)
    assert a[0] != b[0]


def test_signature_estimates_track_exact_jaccard_and_datasketch():
    contents = seed_contents()
    config = FingerprintConfig(minhash=MinHashConfig(num_perm=256))
    prints = fingerprint(contents, config)
    for a, b in itertools.combinations(range(len(contents)), 2):
        sa, sb = set(prints.shingle_set(a).tolist()), set(prints.shingle_set(b).tolist())
        exact = len(sa & sb) / len(sa | sb)
        ours = jaccard_estimate(prints.signatures[a], prints.signatures[b])
        reference = [MinHash(num_perm=256, seed=3) for _ in range(2)]
        for m, shingles in zip(reference, (sa, sb)):
            m.update_batch([int(h).to_bytes(8, "little") for h in sorted(shingles)])
        theirs = reference[0].jaccard(reference[1])
        assert abs(ours - exact) < 0.08, (a, b, ours, exact)
        assert abs(theirs - exact) < 0.08
        # our signatures are usable as datasketch LeanMinHash objects
        lean_a, lean_b = (to_lean_minhash(prints.signatures[i], config.minhash) for i in (a, b))
        assert lean_a.jaccard(lean_b) == pytest.approx(ours)


def test_estimates_on_planted_overlaps():
    rng = np.random.default_rng(5)
    vocabulary = [f"w{i}" for i in range(5000)]
    base = list(rng.choice(vocabulary, 600))
    texts = [" ".join(base), " ".join(base[:300]), " ".join(base[150:450] + list(rng.choice(vocabulary, 300)))]
    prints = fingerprint(texts, FingerprintConfig(minhash=MinHashConfig(num_perm=512)))
    for a, b in itertools.combinations(range(3), 2):
        sa, sb = set(prints.shingle_set(a).tolist()), set(prints.shingle_set(b).tolist())
        exact = len(sa & sb) / len(sa | sb)
        assert abs(jaccard_estimate(prints.signatures[a], prints.signatures[b]) - exact) < 0.06


def test_empty_document_has_an_empty_signature_and_short_ones_are_densified():
    prints = fingerprint(["", "deux mots"], FingerprintConfig())
    assert (prints.signatures[0] == EMPTY).all()
    assert not (prints.signatures[1] == EMPTY).any()


def test_signatures_of_different_sizes_refuse_comparison():
    with pytest.raises(IncompatibleDataError):
        jaccard_estimate(np.zeros(64, dtype=np.uint32), np.zeros(128, dtype=np.uint32))


def test_bad_parameters_are_refused_with_the_value():
    with pytest.raises(ParameterError, match="num_perm"):
        MinHashConfig(num_perm=2)
    with pytest.raises(ParameterError, match="'sentence'"):
        ShingleConfig(kind="sentence")


def test_quotes_are_left_out_of_fingerprints():
    text = "Le ministre a déclaré « nous ne céderons jamais devant la menace » hier soir à Paris."
    assert "céderons" not in content_text(text)
    assert "céderons" in content_text(text, ignore_quotes=False)


def test_boilerplate_and_metadata_are_left_out_of_fingerprints():
    text = "date 2024-04 Le texte commence ici.\nPartager sur Facebook\nLes commentaires sont fermés."
    assert content_text(text) == "le texte commence ici."


def test_signatures_are_identical_across_processes():
    code = (
        "import sys; sys.path.insert(0, %r);"
        "from dedup.match.fingerprint import fingerprint, FingerprintConfig;"
        "p = fingerprint(['un deux trois quatre cinq six sept', 'autre texte ici et là-bas encore'], FingerprintConfig());"
        "print(p.signatures.tobytes().hex())" % str(ROOT)
    )
    outputs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("0", "4242")
    }
    assert len(outputs) == 1


def test_lean_minhash_export_cannot_be_mixed_with_datasketch_sketches():
    prints = fingerprint(["un deux trois quatre cinq six"], FingerprintConfig())
    ours = to_lean_minhash(prints.signatures[0], MinHashConfig())
    theirs = MinHash(num_perm=128, seed=1)
    with pytest.raises(ValueError):
        ours.jaccard(theirs)


@pytest.mark.parametrize("top_bits_collide", [False, True])
def test_unique_per_text_sorts_and_deduplicates_each_text(top_bits_collide):
    rng = np.random.default_rng(7)
    sizes = [0, 5, 300, 1, 40]
    texts = [rng.integers(0, 2**64 - 1, size, dtype=np.uint64, endpoint=True) for size in sizes]
    texts[2][100:110] = texts[2][:10]  # repeated shingles inside a text
    texts[4][:20] = texts[2][:20]  # the same shingles in another text
    if top_bits_collide:  # two different hashes that agree on every bit but the last
        texts[2][200] = texts[2][201] ^ np.uint64(1)
    offsets = np.cumsum([0] + sizes)
    hashes, new_offsets = unique_per_text(np.concatenate(texts), offsets)
    for k, values in enumerate(texts):
        assert np.array_equal(hashes[new_offsets[k] : new_offsets[k + 1]], np.unique(values))


def test_several_shingle_sizes_from_one_reading_are_those_of_one_size_at_a_time():
    texts = normalize_many([
        "Rescue teams reached the flooded valley on Tuesday\nafter three days of rain.",
        "", "one", "two words", "\n\n",
        "اسلام آباد میں بارش کے بعد سڑکیں بند ہو گئیں",
        "नई दिल्ली में भारी बारिश के बाद सड़कें बंद",
        "北京时间周二，救援队抵达被洪水淹没的山谷。",
        "東京で大雨のため道路が閉鎖された。",
    ] * 3)
    for kind, sizes in (("word", (1, 2, 5)), ("char", (3, 5))):
        together = shingle_hashes_of_sizes(texts, kind, sizes, seed=7)
        for size, (hashes, offsets) in zip(sizes, together):
            alone = shingle_hashes(texts, ShingleConfig(kind, size), seed=7)
            assert np.array_equal(hashes, alone[0]) and np.array_equal(offsets, alone[1])
    config = FingerprintConfig()
    prints, (words, word_offsets) = fingerprint_and_words(texts, config)
    expected = fingerprint(texts, config)
    assert np.array_equal(prints.signatures, expected.signatures) and np.array_equal(prints.shingles, expected.shingles)
    alone = unique_per_text(*shingle_hashes(texts, ShingleConfig("word", 1), seed=config.minhash.seed))
    assert np.array_equal(words, alone[0]) and np.array_equal(word_offsets, alone[1])
