from dedup.match.verify import PairScore
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
    edges = [edge(0, 1, 0.9), edge(3, 4, 0.9), edge(0, 2, 0.6), edge(1, 2, 0.6), edge(2, 3, 0.5), edge(2, 4, 0.5)]
    clustering = cluster_pairs(5, edges, ClusterConfig(), topic_similarity=lambda a, b: 0.6)
    assert clustering.groups == ((0, 1, 2, 3, 4),)


def test_guard_can_be_switched_off():
    edges = [edge(0, 1, 0.9), edge(3, 4, 0.9), edge(0, 2, 0.6), edge(2, 3, 0.5)]
    clustering = cluster_pairs(5, edges, ClusterConfig(hub_guard=False))
    assert clustering.groups == ((0, 1, 2, 3, 4),)


def test_pairs_not_same_story_are_ignored():
    rejected = PairScore(0, 1, 0.1, 0.1, 0.05, 0.05, 3, 0, 0, False)
    assert cluster_pairs(2, [rejected], ClusterConfig()).groups == ((0,), (1,))
