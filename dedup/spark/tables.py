"""The tables of a Spark scan, with the columns, types, values and order of ``dedup scan``'s.

``members``, ``edges`` and ``pairs`` are :func:`dedup.report.tables.build_table`'s tables:
the executors build the members and edges rows of each group of components with it, the
singletons and the pairs (rounded as that table rounds them) are added here, and each table
is sorted into ``dedup scan``'s cluster order: largest cluster first, then by first document.
"""

from __future__ import annotations

from functools import partial

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from dedup._version import __version__
from dedup.report.tables import EDGE_COLUMNS, MEMBER_COLUMNS, PAIR_COLUMNS, ColumnType
from dedup.spark.stories import rounded_pairs, singleton_rows
from dedup.spark.work import ALIGNED_COLUMNS, SCORE_KEYS

SPARK_TYPES: dict[ColumnType, str] = {"string": "string", "int64": "long", "float64": "double", "bool": "boolean"}
CLUSTER_SCHEMA = "cluster_id string, size long, origin string, refused_merges long, report string"


def ddl(columns: tuple[tuple[str, ColumnType], ...]) -> str:
    """A Spark schema for a table's typed columns."""
    return ", ".join(f"`{name}` {SPARK_TYPES[kind]}" for name, kind in columns)


def names(columns: tuple[tuple[str, ColumnType], ...]) -> list[str]:
    return [name for name, _ in columns]


def _story_rows(stories: DataFrame, kind: str, schema: str) -> DataFrame:
    return stories.filter(F.col("kind") == kind).select(
        F.from_json("payload", schema).alias("row"), "cluster_size", "first_index", "position"
    )


def members_table(stories: DataFrame, documents: DataFrame) -> DataFrame:
    """Every document: cluster members in cluster order, then the singletons by id."""
    clustered = _story_rows(stories, "member", ddl(MEMBER_COLUMNS)).select(
        "row.*", F.lit(0).alias("_singleton"), F.col("cluster_size").alias("_size"), "first_index", "position"
    )
    alone = (
        documents.select("doc_index", "doc_id")
        .join(clustered.select("doc_id"), "doc_id", "left_anti")
        .mapInPandas(partial(singleton_rows, version=__version__), f"{ddl(MEMBER_COLUMNS)}, doc_index long")
        .select(*names(MEMBER_COLUMNS), F.lit(1).alias("_singleton"), F.lit(1).alias("_size"),
                F.col("doc_index").alias("first_index"), F.lit(0).alias("position"))
    )
    return (
        clustered.unionByName(alone)
        .orderBy("_singleton", F.col("_size").desc(), "first_index", "position")
        .select(*names(MEMBER_COLUMNS))
    )


def edges_table(stories: DataFrame) -> DataFrame:
    """Copy edges and sibling pairs, cluster by cluster, each cluster's in provenance order."""
    rows = _story_rows(stories, "edge", ddl(EDGE_COLUMNS))
    return rows.orderBy(F.col("cluster_size").desc(), "first_index", "position").select("row.*")


def clusters_table(stories: DataFrame) -> DataFrame:
    """One row per cluster: id, size, origin (None when undetermined), refused merges, and its report when asked for."""
    rows = _story_rows(stories, "cluster", CLUSTER_SCHEMA)
    return rows.orderBy(F.col("cluster_size").desc(), "first_index").select("row.*")


def pairs_table(documents: DataFrame, scores: DataFrame, stories: DataFrame) -> DataFrame:
    """Every verified pair by document id, with the cluster id when both documents share a cluster."""
    ids = documents.select("doc_index", "doc_id")
    cluster_of = stories.filter(F.col("kind") == "member").select(
        F.get_json_object("payload", "$.doc_id").alias("doc_id"), "cluster_id"
    )
    score_columns = [name for name in (*SCORE_KEYS, *ALIGNED_COLUMNS) if name not in ("a", "b")]
    joined = (
        scores.join(ids.toDF("a", "first"), "a")
        .join(ids.toDF("b", "second"), "b")
        .join(cluster_of.toDF("first", "cluster_first"), "first", "left")
        .join(cluster_of.toDF("second", "cluster_second"), "second", "left")
        .select(
            "a", "b",
            F.when(F.col("cluster_first") == F.col("cluster_second"), F.col("cluster_first")).alias("cluster_id"),
            "first", "second", *score_columns,
        )
    )
    schema = f"a long, b long, {ddl(PAIR_COLUMNS)}"
    rounded = joined.select("a", "b", *names(PAIR_COLUMNS)).mapInPandas(partial(rounded_pairs, version=__version__), schema)
    return rounded.orderBy("a", "b").select(*names(PAIR_COLUMNS))
