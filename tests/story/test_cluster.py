import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.match.verify import PairScore, ScoreColumns
from dedup.story.cluster import ClusterConfig, cluster_pairs


def edge(a, b, containment=0.5):
    return PairScore(a, b, 0.3, 0.3, containment, containment, 50, 2, 2, True)


def test_components_partition_and_order():
    clustering = cluster_pairs(6, [edge(0, 1), edge(1, 2), edge(4, 5)], ClusterConfig())
    assert clustering.groups == ((0, 1, 2), (3,), (4, 5)) or clustering.groups == ((0, 1, 2), (4, 5), (3,))
    assert sorted(i for g in clustering.groups for i in g) == list(range(6))


def test_hub_cannot_chain_two_unrelated_stories():
    # 0,1 are story X; 3,4 are story Y; 2 is a roundup quoting both
    edges = [edge(0, 1, 0.9), edge(3, 4, 0.9), edge(0, 2, 0.6), edge(1, 2, 0.6), edge(2, 3, 0.5), edge(2, 4, 0.5)]
    clustering = cluster_pairs(5, edges, ClusterConfig(), topic_similarity=lambda a, b: 0.05)
    assert clustering.groups == ((0, 1, 2), (3, 4))
    assert clustering.refused_merges


def test_hub_merge_allowed_when_the_sides_share_the_topic():
    # without average linkage, the hub guard alone lets a topical bridge through
    edges = [edge(0, 1, 0.9), edge(3, 4, 0.9), edge(0, 2, 0.6), edge(1, 2, 0.6), edge(2, 3, 0.5), edge(2, 4, 0.5)]
    clustering = cluster_pairs(5, edges, ClusterConfig(min_linkage=0), topic_similarity=lambda a, b: 0.6)
    assert clustering.groups == ((0, 1, 2, 3, 4),)


def test_one_bridge_never_merges_two_groups_whatever_the_topic():
    edges = [edge(0, 1, 0.9), edge(3, 4, 0.9), edge(0, 2, 0.6), edge(1, 2, 0.6), edge(2, 3, 0.5), edge(2, 4, 0.5)]
    clustering = cluster_pairs(5, edges, ClusterConfig(), topic_similarity=lambda a, b: 0.9)
    assert clustering.groups == ((0, 1, 2), (3, 4))


def test_guard_can_be_switched_off():
    edges = [edge(0, 1, 0.9), edge(3, 4, 0.9), edge(0, 2, 0.6), edge(2, 3, 0.5)]
    clustering = cluster_pairs(5, edges, ClusterConfig(hub_guard=False, min_linkage=0))
    assert clustering.groups == ((0, 1, 2, 3, 4),)


def test_trimmed_copies_join_the_dispatch_and_its_copies():
    # 0 the dispatch, 1 and 2 full copies; 3 and 4 trims that keep the lede (so they share it)
    full = [edge(0, 1, 0.95), edge(0, 2, 0.93), edge(1, 2, 0.92)]
    trims = [edge(k, t, 0.9) for t in (3, 4) for k in (0, 1, 2)] + [edge(3, 4, 0.6)]
    assert cluster_pairs(5, full + trims, ClusterConfig()).groups == ((0, 1, 2, 3, 4),)


def test_a_rewrite_joins_through_weaker_pairs_when_linked_to_most_members():
    # like the seeds: 0 and 2 share a lot, the rewrite 1 shares a third of itself with each
    edges = [edge(0, 2, 0.61), edge(1, 2, 0.33), edge(0, 1, 0.22)]
    assert cluster_pairs(3, edges, ClusterConfig()).groups == ((0, 1, 2),)


def test_a_digest_linked_to_every_copy_by_an_excerpt_stays_apart():
    # 0-3 copies of a story; 4-6 copies of a digest page carrying a short excerpt of it,
    # and 7 a brief that is mostly that excerpt: it belongs with both
    story = [edge(a, b, 0.9) for a in range(4) for b in range(a + 1, 4)]
    digest = [edge(a, b, 1.0) for a in range(4, 7) for b in range(a + 1, 7)]
    excerpt = [edge(s, d, 0.16) for s in range(4) for d in range(4, 7)]
    brief = [edge(s, 7, 0.83) for s in range(4)] + [edge(d, 7, 0.57) for d in range(4, 7)]
    clustering = cluster_pairs(8, story + digest + excerpt + brief, ClusterConfig())
    assert clustering.groups == ((0, 1, 2, 3, 7), (4, 5, 6))
    assert clustering.refused_merges


def test_groups_of_copies_join_when_their_cross_pairs_are_copies():
    # two groups of copies of one dispatch that LSH linked pair by pair, strongly
    one = [edge(0, 1, 0.95), edge(2, 3, 0.95)]
    across = [edge(a, b, 0.7) for a in (0, 1) for b in (2, 3)]
    assert cluster_pairs(4, one + across, ClusterConfig()).groups == ((0, 1, 2, 3),)


def test_clusters_do_not_depend_on_document_numbering():
    import random

    story = [edge(a, b, 0.9 - 0.01 * (a + b)) for a in range(4) for b in range(a + 1, 4)]
    digest = [edge(a, b, 0.99 - 0.001 * (a + b)) for a in range(4, 7) for b in range(a + 1, 7)]
    excerpt = [edge(s, d, 0.16 + 0.001 * s) for s in range(4) for d in range(4, 7)]
    edges = story + digest + excerpt
    expected = {frozenset(g) for g in cluster_pairs(7, edges, ClusterConfig()).groups}
    rng = random.Random(3)
    for _ in range(20):
        names = list(range(7))
        rng.shuffle(names)
        renamed = [e.renumbered(min(names[e.first], names[e.second]), max(names[e.first], names[e.second])) for e in edges]
        groups = cluster_pairs(7, renamed, ClusterConfig()).groups
        back = {frozenset(names.index(i) for i in g) for g in groups}
        assert back == expected


def test_pairs_not_same_story_are_ignored():
    rejected = PairScore(0, 1, 0.1, 0.1, 0.05, 0.05, 3, 0, 0, False)
    assert cluster_pairs(2, [rejected], ClusterConfig()).groups == ((0,), (1,))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.data())
def test_columns_cluster_as_their_pair_scores(data) -> None:
    # ties in strength and Jaccard, aligned shares, pairs that are not the same story:
    # the columns a scan sends its workers merge in the same order as the PairScores
    count = data.draw(st.integers(2, 12))
    pairs = data.draw(st.lists(st.tuples(st.integers(0, count - 1), st.integers(0, count - 1)).filter(
        lambda p: p[0] < p[1]), unique=True, max_size=40))
    level = st.sampled_from([0.0, 0.2, 0.5, 0.5, 0.9, 1.0])
    scores = [
        PairScore(a, b, 0.3, data.draw(level), data.draw(level), data.draw(level), 50, 2, 2, data.draw(st.booleans()),
                  data.draw(level), data.draw(level))
        for a, b in pairs
    ]
    similarity = data.draw(st.sampled_from([0.05, 0.6]))
    for config in (ClusterConfig(), ClusterConfig(min_linkage=0)):
        expected = cluster_pairs(count, scores, config, lambda a, b: similarity)
        assert cluster_pairs(count, ScoreColumns.of(scores), config, lambda a, b: similarity) == expected


def _plain_clusters(count, scores, config, similarity):
    """Average linkage and the hub guard as plainly as they can be written: each check walks
    the pairs across two groups, kept as a neighbour dict (a pair given twice once)."""
    from dedup.story.cluster import edge_order

    edges = sorted((s for s in scores if s.same_story), key=edge_order)
    neighbours: dict[int, dict[int, float]] = {}
    for e in edges:
        neighbours.setdefault(e.first, {})[e.second] = e.strength
        neighbours.setdefault(e.second, {})[e.first] = e.strength
    group = {i: {i} for i in range(count)}
    refused = 0
    for e in edges:
        a, b = group[e.first], group[e.second]
        if a is b:
            continue
        small, large = (a, b) if len(a) <= len(b) else (b, a)
        across = [c for m in sorted(small) for o, c in neighbours[m].items() if o in large]
        linked = True
        if config.min_linkage > 0 and len(a) + len(b) > 2:
            if len(small) > 1 and not any(c >= config.full_link_containment for c in across):
                linked = False
            else:
                total = len(across) if len(small) == 1 else sum(min(1.0, c / config.full_link_containment) for c in across)
                linked = total >= config.min_linkage * len(small) * len(large)
        if linked and config.hub_guard and len(a) >= 2 and len(b) >= 2:
            touched_a = {m for m in a if neighbours[m].keys() & b}
            touched_b = {m for m in b if neighbours[m].keys() & a}
            if (len(touched_a) == 1 or len(touched_b) == 1) and similarity < config.min_topic_similarity:
                linked = False
        if not linked:
            refused += 1
            continue
        merged = a | b
        for m in merged:
            group[m] = merged
    groups = sorted({id(g): tuple(sorted(g)) for g in group.values()}.values(), key=lambda g: (-len(g), g))
    return tuple(groups), refused


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.data())
def test_clusters_are_those_of_plain_average_linkage(data) -> None:
    # groups that meet again and again, pairs on both sides of full_link_containment, a
    # pair given twice: the clustering keeps the pairs in arrays, and merges as plain sets do
    count = data.draw(st.integers(2, 10))
    pairs = data.draw(st.lists(st.sampled_from(list(itertools.combinations(range(count), 2))), min_size=count, max_size=60))
    level = st.sampled_from([0.1, 0.3, 0.45, 0.5, 0.5, 0.5, 0.55, 0.8, 1.0])
    scores = [edge(a, b, data.draw(level)) for a, b in pairs]
    similarity = data.draw(st.sampled_from([0.05, 0.6]))
    from unittest import mock

    from dedup.story import cluster

    for config in (ClusterConfig(), ClusterConfig(min_linkage=0.3), ClusterConfig(hub_guard=False)):
        groups, refused = _plain_clusters(count, scores, config, similarity)
        for small_side in (cluster.SMALL_SIDE, 0):  # small groups walked in Python, and every group by arrays
            with mock.patch.object(cluster, "SMALL_SIDE", small_side):
                clustering = cluster_pairs(count, scores, config, lambda a, b: similarity)
            assert clustering.groups == groups
            assert len(clustering.refused_merges) == refused


def test_a_documents_pairs_across_come_in_the_order_they_merge(monkeypatch):
    # the links across two groups are summed pair after pair, in the order the pairs merge:
    # document 3 is the second of the first pair and the first of the second
    from dedup.story import cluster
    from dedup.story.cluster import _Links

    for small_side in (8, 0):  # walked in Python, and by arrays
        monkeypatch.setattr(cluster, "SMALL_SIDE", small_side)
        links = _Links(6, [1, 3, 0, 2], [3, 5, 3, 4], [0.7, 0.9, 0.8, 0.6])
        links.moved([1, 5], 0)
        assert list(links.strengths_across([3], 0)) == [0.7, 0.9, 0.8]
        assert list(links.strengths_across([2, 3], 0)) == [0.7, 0.9, 0.8]
        assert list(links.touching([0, 2, 3, 4], 0)) == [3]
        given_twice = _Links(4, [0, 1, 0], [1, 2, 1], [0.5, 0.6, 0.9])  # one neighbour, with its last strength
        assert list(given_twice.strengths_across([0], 1)) == [0.9]
        assert list(given_twice.strengths_across([1], 0)) == [0.9]
