"""The scan on Spark: ``dedup scan``'s stages over DataFrames, none of them on the driver.

:func:`scan_paths` and :func:`scan_dataframe` read like the data flow::

    read rows -> documents (numbered by id) -> fingerprints -> furniture -> band keys
              -> candidates -> prefilter + verified pairs -> components
              -> stories (clusters, passage diff, provenance, copy edges)

Each stage (:mod:`dedup.spark.stages`) is checkpointed and counted; the counts are the
scan's statistics. What runs inside a stage is the library's own work unit, so the answer
is ``dedup scan``'s: the same clusters, cluster ids, origins and pairs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from dedup.match.lsh import LARGE_CORE_WARNING
from dedup.report.tables import (
    EDGE_COLUMNS,
    MEMBER_COLUMNS,
    PAIR_COLUMNS,
    Table,
    table_metadata,
)
from dedup.spark.components import connected_components
from dedup.spark.read import read_frame, read_paths
from dedup.spark.stages import Stages
from dedup.spark.tables import (
    CLUSTER_SCHEMA,
    clusters_table,
    edges_table,
    members_table,
    pairs_table,
)
from dedup.story.result import SCHEMA_VERSION, ScanConfig, ScanResult, tool_info

logger = logging.getLogger(__name__)

@dataclass
class SparkScanResult:
    """What a Spark scan found, as DataFrames over the scan's checkpoints.

    ``pairs``, ``members`` and ``edges`` are ``dedup scan``'s tables of those names (same
    columns, types, values and order; see :func:`dedup.report.tables.build_table`): every
    verified pair, every document with its cluster, role, parent and whether it represents
    its cluster, and the copy edges and sibling pairs. ``clusters``: one row per cluster
    with its origin, and its full JSON report when asked for. ``documents``: ``doc_index``
    (the rank of the id, as ``dedup scan`` numbers documents), id and metadata.
    ``problems``: skipped records, in input order. ``config`` holds the learned furniture
    lines, as a ``dedup scan`` result's does.
    """

    config: ScanConfig
    documents: DataFrame
    pairs: DataFrame
    members: DataFrame
    edges: DataFrame
    clusters: DataFrame
    problems: DataFrame
    stats: dict[str, int]
    skipped: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)
    held: list[DataFrame] = field(default_factory=list, repr=False)

    def summary(self) -> dict[str, object]:
        """The parameters and counts, as ``summary.json`` records them (no paths, no timings)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": tool_info(),
            "engine": {"name": "spark", "version": self.documents.sparkSession.version},
            "parameters": self.config.describe(),
            "summary": {**self.stats, "skipped": self.skipped},
        }

    def release(self) -> None:
        """Let go of the scan's checkpoints; the DataFrames cannot be read afterwards."""
        for frame in self.held:
            frame.unpersist()
        self.held.clear()


def scan_paths(
    spark: SparkSession,
    inputs: Sequence[str],
    config: ScanConfig = ScanConfig(),
    *,
    report: bool = False,
    work_dir: str | None = None,
) -> SparkScanResult:
    """Scan files on any path Spark reads: folders of ``.txt``, ``.jsonl``/``.csv`` (``.gz``), ``.parquet``.

    ``report`` keeps each cluster's full JSON report (as ``dedup scan --format json``
    writes it) in ``clusters.report``. ``work_dir`` is a folder all executors can write
    (HDFS, S3; any folder for a local session) where each stage is checkpointed as Parquet;
    without one, checkpoints stay on the executors (faster, but lost with an executor).
    """
    rows, per_batch = read_paths(spark, inputs, config.read)
    return _run(Stages(spark, config, work_dir), rows, per_batch, report)


def scan_dataframe(
    frame: DataFrame,
    config: ScanConfig = ScanConfig(),
    *,
    report: bool = False,
    work_dir: str | None = None,
) -> SparkScanResult:
    """Scan the records of ``frame``: an id and a text column (named by ``config.read.fields``)
    and the optional ``title``, ``source``, ``url`` and ``published`` columns.

    Of repeated ids the first is kept: by file (for a frame read from files), then by
    position in the frame. See :func:`scan_paths`.
    """
    return _run(Stages(frame.sparkSession, config, work_dir), read_frame(frame, config.read), None, report)


@contextmanager
def _arrow_batch(spark: SparkSession, records: int | None) -> Iterator[None]:
    """Arrow batches of at most ``records`` rows while a stage is computed."""
    if records is None:
        yield
        return
    key = "spark.sql.execution.arrow.maxRecordsPerBatch"
    before = spark.conf.get(key, None)
    spark.conf.set(key, str(records))
    try:
        yield
    finally:
        if before is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, before)


def _run(stages: Stages, rows: DataFrame, records_per_batch: int | None, report: bool) -> SparkScanResult:
    stages.config.lsh.resolve(stages.config.fingerprint.minhash.num_perm)  # bad parameters fail before any work
    with _arrow_batch(stages.spark, records_per_batch):
        rows, _ = stages.keep("read", rows)
    read_problems = stages.read_problems(rows)
    documents = stages.number_documents(rows)
    stages.drop(rows)
    prints, content_problems = stages.fingerprint(documents)
    candidates, oversized = stages.candidates(prints)
    scores = stages.verify(candidates, prints, stages.word_weights(prints))
    stages.drop(candidates)
    story_pairs = scores.filter("same_story").select("a", "b")
    checkpoints = f"{stages.work_dir}/components" if stages.work_dir else None
    components = connected_components(story_pairs, checkpoint_dir=checkpoints)
    stages.held.append(components)
    stages.mark("components")
    stories = stages.stories(documents, scores, components, report)
    stages.drop(prints)

    problems = (
        read_problems.unionByName(content_problems)
        .orderBy("_stage", "_input", "_file", "_record")
        .select("location", "kind", "message")
    )
    stats, skipped = _stats(stages, stories, story_pairs, problems, oversized)
    stages.mark("summary")
    return SparkScanResult(
        stages.config, documents.drop("text"), pairs_table(documents, scores, stories),
        members_table(stories, documents), edges_table(stories), clusters_table(stories), problems, stats, skipped,
        stages.timings, stages.held,
    )


def _stats(
    stages: Stages, stories: DataFrame, story_pairs: DataFrame, problems: DataFrame, oversized: tuple[int, int, int]
) -> tuple[dict[str, int], dict[str, int]]:
    """The statistics of ``dedup scan``'s result, from counts and two small aggregations."""
    counts = stages.counts
    clusters = (
        stories.filter(F.col("kind") == "cluster")
        .select(F.from_json("payload", CLUSTER_SCHEMA).alias("c"))
        .agg(F.count(F.lit(1)), F.sum("c.size"), F.sum("c.refused_merges"))
        .first()
    )
    clustered = int(clusters[1] or 0)
    stats = {
        "documents": counts["documents"],
        "documents_without_content": counts["documents_without_content"],
        "candidate_pairs": counts["candidate_pairs"],
        "verified_pairs": counts["verified_pairs"],
        "same_story_pairs": story_pairs.count(),
        "clusters": int(clusters[0]),
        "clustered_documents": clustered,
        "singletons": counts["documents"] - clustered,
        "oversized_buckets": oversized[0],
        "near_copies_over_max_core": oversized[2],
        "refused_hub_merges": int(clusters[2] or 0),
        **{k: counts[k] for k in ("learned_furniture_lines", "documents_with_furniture", "rare_word_pairs") if k in counts},
    }
    if oversized[0]:
        logger.warning(
            "%d LSH buckets held more than %d documents (%d documents in all) and were not expanded into pairs",
            oversized[0], stages.config.lsh.max_bucket, oversized[1],
        )
    if oversized[2]:
        logger.warning(LARGE_CORE_WARNING, oversized[2], stages.config.lsh.max_core)
    skipped = {row["kind"]: row["count"] for row in problems.groupBy("kind").count().orderBy("kind").collect()}
    return stats, skipped


def write_result(result: SparkScanResult, output: str, *, report_json: bool = False, overwrite: bool = False) -> None:
    """Write ``members/``, ``pairs/``, ``edges/`` and ``skipped/`` (Parquet) and ``summary.json`` under ``output``.

    Each table folder also holds ``_dedup.json``: the schema version, tool, parameters and
    column types that ``dedup scan`` writes into a Parquet table's footer.

    With ``report_json`` also ``clusters/``: each cluster's full report, one JSON object per
    line (as ``dedup scan --format json`` lists them), in cluster order.
    """
    mode = "overwrite" if overwrite else "errorifexists"
    base = output.rstrip("/")
    spark = result.documents.sparkSession
    holder = ScanResult([], result.config, [], [], [], {})
    for name, frame, columns in (
        ("members", result.members, MEMBER_COLUMNS), ("pairs", result.pairs, PAIR_COLUMNS),
        ("edges", result.edges, EDGE_COLUMNS),
    ):
        frame.write.mode(mode).parquet(f"{base}/{name}")
        # what dedup scan keeps in a Parquet table's footer, beside the part files (readers skip "_" files)
        metadata = table_metadata(holder, Table(name, columns, []))  # type: ignore[arg-type]
        write_text(spark, f"{base}/{name}/_dedup.json", json.dumps(metadata, ensure_ascii=False, indent=2) + "\n")
    result.problems.write.mode(mode).parquet(f"{base}/skipped")
    if report_json:
        result.clusters.select("report").write.mode(mode).text(f"{base}/clusters")
    summary = json.dumps(result.summary(), ensure_ascii=False, indent=2) + "\n"
    write_text(spark, f"{base}/summary.json", summary)


def write_text(spark: SparkSession, path: str, text: str) -> None:
    """One small file on any file system Spark writes to (local, HDFS, S3)."""
    jvm = spark.sparkContext._jvm
    target = jvm.org.apache.hadoop.fs.Path(path)
    fs = target.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    stream = fs.create(target, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()
