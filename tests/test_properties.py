"""Properties: similarity is symmetric and clusters partition the input."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.document import Document
from dedup.match.fingerprint import FingerprintConfig, fingerprint
from dedup.match.verify import MatchConfig, score_pairs
from dedup.pipeline import scan_documents

WORDS = "le la ministre accord attaque moscou paris sommet crise vote guerre paix aide prix hausse baisse".split()
sentences = st.lists(st.sampled_from(WORDS), min_size=3, max_size=40).map(lambda ws: " ".join(ws) + ".")
texts = st.lists(sentences, min_size=1, max_size=6).map("\n".join)


@settings(max_examples=40, deadline=None)
@given(texts, texts)
def test_similarity_is_symmetric(first, second):
    from dedup.match.verify import build_units

    prints = fingerprint([first, second], FingerprintConfig())
    units = build_units([first, second], FingerprintConfig())
    forward = score_pairs(np.array([[0, 1]]), prints, lambda i: units[i], MatchConfig())[0]
    backward = score_pairs(np.array([[1, 0]]), prints, lambda i: units[i], MatchConfig())[0]
    assert forward.jaccard == backward.jaccard
    assert forward.minhash_jaccard == backward.minhash_jaccard
    assert forward.containment_first_in_second == backward.containment_second_in_first
    assert forward.shared_passages_first == backward.shared_passages_second
    assert forward.same_story == backward.same_story


@settings(max_examples=25, deadline=None)
@given(st.lists(texts, min_size=1, max_size=8))
def test_clusters_partition_the_input(bodies):
    documents = [Document(f"d{k}", body) for k, body in enumerate(bodies)]
    result = scan_documents(documents)
    clustered = [result.documents[m.index].doc_id for c in result.clusters for m in c.members]
    assert len(clustered) == len(set(clustered))
    assert len(clustered) + result.stats["singletons"] == len(documents)
    assert all(len(c.members) >= 2 for c in result.clusters)
