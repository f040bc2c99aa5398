"""Connected components of a graph of document pairs, by DataFrame operations only.

Alternating large-star and small-star steps (Kiveris et al., "Connected Components in
MapReduce and Beyond", 2014), as GraphFrames runs them: every step is a group-by and a
join over ``src < dst`` edges, so no edge ever reaches the driver. One aggregate per
round (the sum of every node's smallest neighbour) tells when nothing changes any more,
and every two rounds the edges are checkpointed, so the query plan stays short.

A component is named by its smallest document index, the order in which ``dedup scan``
numbers its components.
"""

from __future__ import annotations

import logging
import uuid

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DecimalType

logger = logging.getLogger(__name__)

CHECKPOINT_INTERVAL = 2


def _symmetric(edges: DataFrame) -> DataFrame:
    pair = F.explode(F.array(F.struct(F.col("src"), F.col("dst")), F.struct(F.col("dst").alias("src"), F.col("src").alias("dst"))))
    return edges.select(pair.alias("e")).select("e.src", "e.dst")


def _smallest_neighbours(edges: DataFrame) -> DataFrame:
    """Each node's smallest neighbour, itself included: ``src, min_nbr``."""
    return (
        _symmetric(edges)
        .groupBy("src")
        .agg(F.min("dst").alias("min_nbr"))
        .withColumn("min_nbr", F.least("src", "min_nbr"))
    )


def _total(smallest: DataFrame) -> object:
    # a decimal sum cannot overflow on any graph that fits a cluster
    return smallest.agg(F.sum(F.col("min_nbr").cast(DecimalType(38, 0)))).first()[0]


def connected_components(
    pairs: DataFrame,
    storage: StorageLevel = StorageLevel.MEMORY_AND_DISK,
    checkpoint_dir: str | None = None,
) -> DataFrame:
    """``doc_index, component`` for every document in a pair of ``pairs`` (columns ``a, b``).

    ``checkpoint_dir``: a folder every executor can write (HDFS, S3, or local for a local
    session) for Parquet checkpoints; without one the checkpoints stay on the executors.
    """
    run = uuid.uuid4().hex[:8]
    edges = (
        pairs.select(F.least("a", "b").alias("src"), F.greatest("a", "b").alias("dst"))
        .filter(F.col("src") != F.col("dst"))
        .distinct()
        .persist(storage)
    )
    smallest = _smallest_neighbours(edges).persist(storage)
    previous = _total(smallest)
    held = [edges, smallest]
    iteration = 1
    while True:
        this_round = []
        # large star: every neighbour larger than a node links to the node's smallest neighbour
        edges = (
            edges.join(smallest, "src")
            .select(F.col("dst").alias("src"), F.col("min_nbr").alias("dst"))  # src > dst
            .distinct()
            .persist(storage)
        )
        this_round.append(edges)
        # small star: every node links its smaller neighbours, and itself, to the smallest of them
        smaller = edges.groupBy("src").agg(F.min("dst").alias("min_nbr")).persist(storage)
        this_round.append(smaller)
        edges = (
            edges.join(smaller, "src")
            .select(F.col("min_nbr").alias("src"), "dst")
            .filter(F.col("src") != F.col("dst"))
            .union(smaller.select(F.col("min_nbr").alias("src"), F.col("src").alias("dst")))
            .distinct()
        )
        if iteration % CHECKPOINT_INTERVAL == 0:
            if checkpoint_dir:
                path = f"{checkpoint_dir.rstrip('/')}/components-{run}/{iteration}"
                edges.write.parquet(path)
                edges = edges.sparkSession.read.parquet(path)
            else:
                edges = edges.localCheckpoint(eager=True)
        edges = edges.persist(storage)
        this_round.append(edges)
        smallest = _smallest_neighbours(edges).persist(storage)
        this_round.append(smallest)
        current = _total(smallest)
        logger.info("connected components: round %d, sum of smallest neighbours %s", iteration, current)
        for frame in this_round:
            frame.count()
        for frame in held:
            frame.unpersist()
        held = this_round
        if current == previous:
            break
        previous = current
        iteration += 1
    logger.info("connected components converged in %d rounds", iteration)
    components = smallest.select(F.col("src").alias("doc_index"), F.col("min_nbr").alias("component")).persist(storage)
    components.count()
    for frame in held:
        frame.unpersist()
    return components
