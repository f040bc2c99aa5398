"""What Spark executors run for the stories: one group of whole same-story components at a time.

The scan's own :func:`~dedup.batches.cluster_batch` clusters and diffs the group, then
:func:`~dedup.story.provenance.analyse_cluster` finds each cluster's origin and copy edges
on a result that holds just this group, with its verified pairs as the known scores. The
rows of the ``members`` and ``edges`` tables come from :func:`~dedup.report.tables.build_table`
on that result, and each cluster's report from :func:`~dedup.report.records.cluster_record`,
so they are those of ``dedup scan``. Rows travel as JSON payloads that Spark parses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd

from dedup.batches import ClusterTask, cluster_batch
from dedup.document import Document
from dedup.match.verify import PairScore
from dedup.report.elements import cluster_record
from dedup.report.rounding import round_score
from dedup.report.tables import Table, build_table
from dedup.spark.work import ALIGNED_COLUMNS, SCORE_COLUMNS, check_version
from dedup.story.links import cluster_links
from dedup.story.provenance import analyse_cluster
from dedup.story.result import Cluster, ScanConfig, ScanResult, cluster_id_of

STORY_COLUMNS = ("kind", "cluster_id", "cluster_size", "first_index", "position", "payload")


def group_result(docs: pd.DataFrame, scores: pd.DataFrame, config: ScanConfig) -> tuple[ScanResult, np.ndarray, int]:
    """The scan's result on one group: its documents (by index), clusters and verified pairs.

    Returns the result, each document's index in the whole corpus, and the merges refused.
    """
    docs = docs.sort_values("doc_index", kind="stable")
    indices = docs["doc_index"].to_numpy(np.int64)
    documents = [
        Document(row.doc_id, row.text, row.title, row.source, row.url, row.published, row.location)
        for row in docs.itertuples(index=False)
    ]
    scores = scores.sort_values(["a", "b"], kind="stable")
    firsts = np.searchsorted(indices, scores["a"].to_numpy(np.int64)).tolist()
    seconds = np.searchsorted(indices, scores["b"].to_numpy(np.int64)).tolist()
    known = [
        PairScore(a, b, float(m), float(j), float(c1), float(c2), int(n), int(p1), int(p2), bool(same), float(l1), float(l2))
        for a, b, m, j, c1, c2, n, p1, p2, same, l1, l2 in zip(
            firsts, seconds, *(scores[column].tolist() for column in (*SCORE_COLUMNS, *ALIGNED_COLUMNS))
        )
    ]
    story = [s for s in known if s.same_story]
    done = cluster_batch(ClusterTask(np.arange(len(documents)), [d.text for d in documents], story, config, True))
    clusters = []
    for members in sorted(done.clusters, key=lambda group: (-len(group), [m.index for m in group])):
        inside = {m.index for m in members}
        pairs = tuple(s for s in story if s.first in inside and s.second in inside)
        clusters.append(Cluster(cluster_id_of(documents[m.index].doc_id for m in members), members, pairs))
    return ScanResult(documents, config, clusters, known, [], {}), indices, done.refused_merges


def _rows(table: Table) -> dict[str, list[dict[str, object]]]:
    """A table's rows as dicts, by cluster id."""
    names = table.names
    by_cluster: dict[str, list[dict[str, object]]] = {}
    for row in table.rows:
        record = dict(zip(names, row))
        by_cluster.setdefault(str(record["cluster_id"]), []).append(record)
    return by_cluster


def component_stories(
    docs: pd.DataFrame, scores: pd.DataFrame, config: ScanConfig, report: bool, version: str
) -> pd.DataFrame:
    """One group of whole same-story components: its clusters' ``members`` and ``edges`` rows and summaries.

    ``docs``: the group's documents (``doc_index`` and the document fields); ``scores``:
    every verified pair inside one of its components (``a, b`` and the score columns).
    Returns :data:`STORY_COLUMNS` rows, each carrying its cluster's size and first
    document (for ``dedup scan``'s cluster order) and a JSON payload; the documents of the
    group that no cluster holds are the ``dedup scan`` singletons, found by the driver.
    """
    check_version(version)
    result, indices, refused = group_result(docs, scores, config)
    known = {(s.first, s.second): s for s in result.pairs}
    provenances = [analyse_cluster(result, cluster, known) for cluster in result.clusters]
    members = _rows(build_table(result, "members", provenances))
    edges = _rows(build_table(result, "edges", provenances))
    links = cluster_links(result)
    rows: list[tuple[str, str, int, int, int, str]] = []
    for number, (cluster, provenance) in enumerate(zip(result.clusters, provenances)):
        key = (cluster.cluster_id, len(cluster.members), int(indices[cluster.members[0].index]))
        for kind, found in (("member", members), ("edge", edges)):
            rows.extend(
                (kind, *key, position, json.dumps(row, ensure_ascii=False))
                for position, row in enumerate(found.get(cluster.cluster_id, []))
            )
        origin = provenance.origin.doc
        summary: dict[str, object] = {
            "cluster_id": cluster.cluster_id,
            "size": len(cluster.members),
            "origin": result.documents[origin].doc_id if origin is not None else None,
            # refused merges belong to the group: counted once, on its first cluster
            "refused_merges": refused if number == 0 else 0,
        }
        if report:
            record = cluster_record(result, cluster, provenance, links.get(cluster.cluster_id, ()))
            summary["report"] = json.dumps(record, ensure_ascii=False)
        rows.append(("cluster", *key, 0, json.dumps(summary, ensure_ascii=False)))
    return pd.DataFrame(rows, columns=list(STORY_COLUMNS))


def singleton_rows(batches: Iterable[pd.DataFrame], version: str) -> Iterator[pd.DataFrame]:
    """``doc_index, doc_id`` of documents in no cluster -> their ``members`` rows, as ``dedup scan`` writes them."""
    check_version(version)
    for batch in batches:
        ids = batch["doc_id"].tolist()
        yield pd.DataFrame(
            {
                "cluster_id": [cluster_id_of([doc_id]) for doc_id in ids],
                "doc_id": ids,
                "role": "singleton",
                "parent": None,
                "cluster_size": 1,
                "representative": True,
                "doc_index": batch["doc_index"].to_numpy(np.int64),
            }
        )


def rounded_pairs(batches: Iterable[pd.DataFrame], version: str) -> Iterator[pd.DataFrame]:
    """Verified pairs with ``dedup scan``'s pairs-table rounding of every score (:func:`round_score`)."""
    check_version(version)
    for batch in batches:
        batch = batch.copy()
        for column in ("minhash_jaccard", "jaccard", "containment_first_in_second", "containment_second_in_first",
                       *ALIGNED_COLUMNS):
            batch[column] = [round_score(value) for value in batch[column]]
        yield batch
