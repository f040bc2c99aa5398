"""The stages of the Spark scan, each a few DataFrame operations around one work unit.

Every stage ends in a checkpoint (:meth:`Stages.keep`): its output is materialised and
counted, and the next stages start from that data rather than from the whole history, so
query plans stay small however many stages came before. The driver only ever receives
counts, one row per partition (to number the documents) and the learned furniture lines.
"""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import replace
from functools import partial

import numpy as np
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from dedup._version import __version__
from dedup.errors import DedupError, InputError
from dedup.match.candidates import PREFILTER_SHARE
from dedup.match.lsh import pairs_of_cores
from dedup.match.words import WORD_SLOT_BITS, WordWeights
from dedup.spark import records, work
from dedup.spark.stories import component_stories
from dedup.story.result import ScanConfig

logger = logging.getLogger(__name__)

PROBLEM_COLUMNS = "location string, kind string, message string"
FINGERPRINT_SCHEMA = (
    "doc_index long, size long, signature binary, shingles binary, text string, words binary, outlet string, "
    "line_keys binary"
)
PRINT_SCHEMA = (
    "doc_index long, size long, signature binary, shingles binary, text string, words binary, refingerprinted boolean"
)
SCORE_SCHEMA = (
    "a long, b long, minhash_jaccard double, jaccard double, containment_first_in_second double, "
    "containment_second_in_first double, shared_shingles long, shared_passages_first long, "
    "shared_passages_second long, same_story boolean, aligned_first double, aligned_second double"
)
STORY_SCHEMA = "kind string, cluster_id string, cluster_size int, first_index long, position int, payload string"
ORDER = records.ORDER_FIELDS
# monotonically_increasing_id holds the partition number above this bit, the row below (Spark's documented layout)
ROW_BITS = 33
# Same-story components are clustered in groups of at most about this many documents, as in dedup scan.
STORY_BATCH = 2_000
# Every pair (x < y) of a bucket's sorted members ``m``, without leaving the JVM.
BUCKET_PAIRS = "explode(flatten(transform(m, (x, i) -> transform(slice(m, i + 2, size(m)), y -> named_struct('a', x, 'b', y)))))"


class Stages:
    """One scan's stages, the checkpoints they keep and how long each took."""

    def __init__(self, spark: SparkSession, config: ScanConfig, work_dir: str | None) -> None:
        self.spark = spark
        self.config = config
        self.work_dir = work_dir.rstrip("/") if work_dir else None
        self.timings: dict[str, float] = {}
        self.held: list[DataFrame] = []
        self.counts: dict[str, int] = {}
        self._last = time.perf_counter()

    def keep(self, stage: str, frame: DataFrame) -> tuple[DataFrame, int]:
        """Checkpoint ``frame``, the output of ``stage``, and count it.

        With a work folder the checkpoint is Parquet there, which survives losing an
        executor; without one it stays on the executors (faster, for local sessions).
        """
        if self.work_dir:
            path = f"{self.work_dir}/{stage.replace(' ', '-')}"
            frame.write.mode("overwrite").parquet(path)
            frame = self.spark.read.parquet(path)
        else:
            frame = frame.localCheckpoint(eager=True)
        rows = frame.count()
        self.held.append(frame)
        self.mark(stage)
        logger.info("stage %s: %d rows in %.1fs", stage, rows, self.timings[stage])
        return frame, rows

    def mark(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self._last
        self._last = now

    def drop(self, *frames: DataFrame) -> None:
        """Let go of checkpoints no later stage reads (Spark cleans them once unreferenced)."""
        for frame in frames:
            frame.unpersist()
            if any(frame is held for held in self.held):
                self.held = [held for held in self.held if held is not frame]

    # -- documents ---------------------------------------------------------------------

    def read_problems(self, rows: DataFrame) -> DataFrame:
        """Skipped records in input order: what the readers reported, then repeated ids.

        Of an id's records the first in input order is kept (``_input, _file, _record`` is
        unique); finding the repeats needs ids and positions only, not the texts. Under
        ``on_error="fail"`` the first problem stops the scan, as in ``dedup scan``.
        """
        ids = rows.filter(F.col("kind").isNull()).select("doc_id", "location", *ORDER)
        by_id = Window.partitionBy("doc_id").orderBy(*ORDER)
        repeats = (
            ids.select("*", F.row_number().over(by_id).alias("_rank"), F.first("location").over(by_id).alias("first_location"))
            .filter(F.col("_rank") > 1)
            .drop("_rank")
        )
        repeated = repeats.mapInPandas(
            partial(records.duplicate_problems, options=self.config.read, version=__version__),
            f"{PROBLEM_COLUMNS}, _input int, _file string, _record long",
        )
        problems = (
            rows.filter(F.col("kind").isNotNull())
            .select("location", "kind", "message", *ORDER)
            .unionByName(repeated)
            .withColumn("_stage", F.lit(0))
        )
        problems, count = self.keep("read problems", problems)
        if count and self.config.read.on_error == "fail":
            first = problems.orderBy(*ORDER).first()
            raise InputError(first["message"], first["location"])
        return problems

    def number_documents(self, rows: DataFrame) -> DataFrame:
        """The documents, numbered by the rank of their id (``doc_index``), as ``dedup scan`` numbers them.

        Sorting by id puts each id's records in one partition (range partitioning) and the
        partitions in id order, so a document's number is the count of documents in the
        partitions before its own plus its position in its partition: one count per
        partition reaches the driver. The row ids are stored before any checkpoint, so a
        Parquet round trip, which does not keep partition order, changes nothing.
        """
        by_id = Window.partitionBy("doc_id").orderBy(*ORDER)
        first = (
            rows.filter(F.col("kind").isNull())
            .drop("kind", "message")
            .repartitionByRange("doc_id")
            .sortWithinPartitions("doc_id", *ORDER)
            .withColumn("_rank", F.row_number().over(by_id))
            .filter(F.col("_rank") == 1)
            .withColumn("_row", F.monotonically_increasing_id())
            .select("_row", *records.DOCUMENT_FIELDS)
        )
        kept, self.counts["documents"] = self.keep("documents", first)
        part = F.col("_row").bitwiseAND(~((1 << ROW_BITS) - 1))
        parts = sorted(
            tuple(row) for row in kept.groupBy(part.alias("part")).agg(F.count(F.lit(1)), F.min("doc_id"), F.max("doc_id")).collect()
        )
        if any(before[3] >= after[2] for before, after in itertools.pairwise(parts)):
            raise DedupError("Spark did not keep the documents in id order: they cannot be numbered as dedup scan numbers them")
        offsets, done = [], 0
        for number, count, _, _ in parts:
            offsets.append((number, done))
            done += count
        offset_frame = self.spark.createDataFrame(offsets or [(0, 0)], "part long, offset long")
        return kept.join(F.broadcast(offset_frame), part == F.col("part")).select(
            (F.col("offset") + F.col("_row") - F.col("part")).alias("doc_index"), *records.DOCUMENT_FIELDS
        )

    # -- fingerprints and page furniture ---------------------------------------------------

    def fingerprint(self, documents: DataFrame) -> tuple[DataFrame, DataFrame]:
        """Signatures, shingle sets and sizes; then furniture learned and its carriers fingerprinted again.

        Also the problems of documents left without content, worded as ``dedup scan`` words them.
        """
        work_unit = partial(work.fingerprint_documents, config=self.config, version=__version__)
        prints, _ = self.keep(
            "fingerprint",
            documents.select("doc_index", "text", "source", "url").mapInPandas(work_unit, FINGERPRINT_SCHEMA),
        )
        learned = self.learn_furniture(prints)
        if self.counts["documents"]:
            self.counts["learned_furniture_lines"] = len(learned)
        if len(learned):
            self.config = replace(self.config, boilerplate=self.config.boilerplate.with_learned(learned.tolist()))
            again = partial(work.refingerprint_furniture, config=self.config, version=__version__)
            refreshed, _ = self.keep("furniture", prints.mapInPandas(again, PRINT_SCHEMA))
            self.drop(prints)
            carriers = refreshed.filter("refingerprinted").count()
        else:
            refreshed, carriers = prints.drop("outlet", "line_keys"), 0
        if self.counts["documents"]:
            self.counts["documents_with_furniture"] = carriers
        empty = refreshed.filter(F.col("size") == 0).select("doc_index")
        self.counts["documents_without_content"] = empty.count()
        schema = f"{PROBLEM_COLUMNS}, _stage int, _input int, _file string, _record long"
        if not self.counts["documents_without_content"]:
            return refreshed, self.spark.createDataFrame([], schema)
        problems = (
            empty.join(documents.select("doc_index", "doc_id", "location"), "doc_index")
            .mapInPandas(partial(records.content_problems, version=__version__), f"{PROBLEM_COLUMNS}, _record long")
            .select("location", "kind", "message", F.lit(1).alias("_stage"), F.lit(0).alias("_input"),
                    F.lit("").alias("_file"), "_record")
        )
        problems, _ = self.keep("content problems", problems)
        return refreshed, problems

    def learn_furniture(self, prints: DataFrame) -> np.ndarray:
        """The short lines found on at least ``min_documents`` and ``min_share`` of one outlet's pages.

        :func:`dedup.text.furniture.learn_furniture`'s rule as two aggregations: documents
        per (outlet, line) and documents per outlet. Only the learned lines, a few per
        outlet, reach the driver: they join the boilerplate rules of every later stage.
        """
        rule = self.config.furniture
        if not rule.enabled:
            return np.zeros(0, dtype=np.uint64)
        pages = prints.filter(F.col("outlet").isNotNull())
        per_outlet = pages.groupBy("outlet").agg(F.count(F.lit(1)).alias("pages"))
        lines = pages.select("outlet", "line_keys").mapInPandas(
            partial(work.outlet_lines, version=__version__), "outlet string, key long"
        )
        needed = F.greatest(F.lit(rule.min_documents).cast("double"), F.ceil(F.lit(rule.min_share) * F.col("pages")))
        learned = (
            lines.groupBy("outlet", "key").agg(F.count(F.lit(1)).alias("documents"))
            .join(per_outlet, "outlet")
            .filter(F.col("documents") >= needed)
            .select("key").distinct()
        )
        keys = np.array([row[0] for row in learned.collect()], dtype=np.int64).view(np.uint64)
        return np.unique(keys)

    # -- candidates and verification ---------------------------------------------------------

    def candidates(self, prints: DataFrame) -> tuple[DataFrame, tuple[int, int, int]]:
        """Pairs that share at least ``min_hits`` LSH buckets; buckets over ``max_bucket`` are
        expanded only for their near-copies (:mod:`dedup.match.cores`), as in ``dedup scan``."""
        lsh = self.config.lsh
        num_perm = self.config.fingerprint.minhash.num_perm
        bands, rows = lsh.resolve(num_perm)
        keys_of = partial(work.document_band_keys, num_perm=num_perm, bands=bands, rows=rows, version=__version__)
        keys = prints.filter(F.col("size") > 0).select("doc_index", "signature").mapInPandas(keys_of, "key long, doc_index long")
        # Bucket sizes by a window count, which spills to disk however many documents share
        # a key; buckets of one document (most keys) are dropped before anything is stored.
        shared = keys.withColumn("bucket", F.count(F.lit(1)).over(Window.partitionBy("key"))).filter(F.col("bucket") >= 2)
        shared, _ = self.keep("band keys", shared)
        pairs = shared.filter(F.col("bucket") <= lsh.max_bucket).select("key", "doc_index")
        oversized = shared.filter(F.col("bucket") > lsh.max_bucket).select("key", "doc_index")
        parts, over, cores = self._split_oversized(prints, oversized)
        if parts is not None:  # the rest of each oversized bucket, if paired, and its pairs with the cores
            pairs = pairs.unionByName(parts.filter(F.col("part") == 0).select("key", "doc_index"))
        buckets = pairs.groupBy("key").agg(F.sort_array(F.collect_list("doc_index")).alias("m"))
        found = buckets.select(F.expr(BUCKET_PAIRS).alias("p")).select(F.col("p.a").alias("a"), F.col("p.b").alias("b"))
        if parts is not None:
            rest = parts.filter(F.col("part") == 0).select("key", F.col("doc_index").alias("r"))
            core = parts.filter(F.col("part") >= 1).select("key", F.col("doc_index").alias("c"))
            across = rest.join(core, "key").select(F.least("r", "c").alias("a"), F.greatest("r", "c").alias("b"))
            found = found.unionByName(across)
        candidates = found.groupBy("a", "b").agg(F.count(F.lit(1)).alias("hits")).filter(F.col("hits") >= lsh.min_hits)
        if cores is not None:
            # a pair of a core may have been counted in the buckets too: its hits are the core's
            candidates = candidates.unionByName(cores).groupBy("a", "b").agg(F.max("hits").alias("hits"))
        candidates, self.counts["candidate_pairs"] = self.keep("candidates", candidates)
        self.drop(shared, *(frame for frame in (parts,) if frame is not None))
        return candidates, over

    def _split_oversized(
        self, prints: DataFrame, oversized: DataFrame
    ) -> tuple[DataFrame | None, tuple[int, int, int], DataFrame | None]:
        """Each oversized bucket split into its cores and the rest, in ``applyInPandas`` per
        bucket: ``(key, doc_index, part, large)`` rows; the count of buckets and documents
        left out, and of documents in cores over ``max_core``; and the pairs inside the
        cores (``a, b, hits``).

        The cores (at most ``max_core`` documents each) and their members' signatures reach
        the driver, which pairs them with the scan's own function: overlapping cores are
        taken together there, and they are few, for they are the copies of dispatches
        republished by hundreds of sites.
        """
        lsh = self.config.lsh
        num_perm = self.config.fingerprint.minhash.num_perm
        if oversized.limit(1).count() == 0:
            return None, (0, 0, 0), None
        version = __version__

        def split(bucket):  # a plain function: applyInPandas reads its arguments' hints
            return work.split_bucket(bucket, num_perm, lsh.max_bucket, lsh.max_core, version)

        parts = (
            oversized.join(prints.select("doc_index", "signature"), "doc_index")
            .groupBy("key").applyInPandas(split, "key long, doc_index long, part long, large boolean")
        )
        parts, _ = self.keep("oversized buckets", parts)
        left = parts.filter(F.col("part") == -1).agg(F.countDistinct("key"), F.countDistinct("doc_index")).first()
        large = parts.filter(F.col("large")).agg(F.countDistinct("doc_index")).first()
        over = (int(left[0]), int(left[1]), int(large[0]))
        listed = (
            parts.filter(F.col("part") >= 1).groupBy("key", "part")
            .agg(F.sort_array(F.collect_list("doc_index")).alias("m")).select("m").distinct().collect()
        )
        if not listed:
            return parts, over, None
        members = [np.asarray(row[0], dtype=np.int64) for row in listed]
        docs = np.unique(np.concatenate(members))
        wanted = self.spark.createDataFrame([(int(d),) for d in docs], "doc_index long")
        held = prints.select("doc_index", "signature").join(F.broadcast(wanted), "doc_index").collect()
        held.sort(key=lambda row: row[0])
        signatures = np.frombuffer(b"".join(bytes(row[1]) for row in held), dtype="<u4").astype(np.uint32).reshape(-1, num_perm)
        bands, rows = lsh.resolve(num_perm)
        cores = [np.searchsorted(docs, core) for core in members]
        local, hits = pairs_of_cores(cores, signatures, bands, rows, lsh.min_hits)
        found = [(int(docs[a]), int(docs[b]), int(h)) for (a, b), h in zip(local.tolist(), hits.tolist())]
        core_pairs = self.spark.createDataFrame(found, "a long, b long, hits long")
        return parts, over, core_pairs

    # -- words told in order (dedup.match.words) ---------------------------------------------

    def word_weights(self, prints: DataFrame) -> WordWeights | None:
        """The corpus's word weights, from the documents each slot of the table occurs in
        (one aggregation; at most a million small rows reach the driver), or None when the
        scan does not weigh words told in order."""
        if not self.config.match.aligned_evidence:
            return None
        counted = (
            prints.select("words").mapInPandas(partial(work.word_slot_counts, version=__version__), "slot long, documents long")
            .groupBy("slot").agg(F.sum("documents").alias("documents"))
        )
        counts = np.zeros(1 << WORD_SLOT_BITS, dtype=np.int64)
        for row in counted.collect():
            counts[row[0]] = row[1]
        return WordWeights.from_counts(counts, self.counts["documents"] - self.counts["documents_without_content"])

    def rare_word_pairs(self, prints: DataFrame, weights: WordWeights) -> DataFrame:
        """:func:`dedup.match.words.rare_word_pairs` as a few aggregations: pairs of documents
        whose shared rare words weigh enough of the larger one's words."""
        lsh = self.config.lsh
        rare = partial(work.document_rare_words, weights=weights, max_df=lsh.rare_word_df, version=__version__)
        words = prints.filter(F.col("size") > 0).select("doc_index", "words").mapInPandas(
            rare, "word long, doc_index long, weight long, total long"
        )
        words, _ = self.keep("rare words", words)
        totals = words.select("doc_index", "total").distinct()
        groups = (
            words.groupBy("word", "weight")
            .agg(F.sort_array(F.collect_list("doc_index")).alias("m"))
            .filter((F.size("m") >= 2) & (F.size("m") <= lsh.rare_word_df))
        )
        shared = (
            groups.select(F.expr(BUCKET_PAIRS).alias("p"), "weight")
            .groupBy(F.col("p.a").alias("a"), F.col("p.b").alias("b"))
            .agg(F.sum("weight").cast("double").alias("shared"))
            .join(totals.toDF("a", "total_a"), "a")
            .join(totals.toDF("b", "total_b"), "b")
            .filter(F.col("shared") >= F.lit(lsh.rare_word_share) * F.greatest("total_a", "total_b") - F.lit(1e-9))
            .select("a", "b")
        )
        pairs, self.counts["rare_word_pairs"] = self.keep("rare word pairs", shared)
        self.drop(words)
        return pairs

    def keep_best_rewrites(self, scores: DataFrame) -> DataFrame:
        """:func:`dedup.match.words.keep_best_rewrites`: a pair judged by words told in order
        alone stays a copy only where it is the best evidence of one of its documents."""
        aligned = F.greatest("aligned_first", "aligned_second") > 0
        value = F.when(aligned, F.col("aligned_first") + F.col("aligned_second")).otherwise(F.lit(float("inf")))
        story = scores.filter("same_story").select("a", "b", value.alias("value"))
        best = (
            story.select(F.col("a").alias("doc"), "value").unionByName(story.select(F.col("b").alias("doc"), "value"))
            .groupBy("doc").agg(F.max("value").alias("best"))
        )
        mine = F.col("aligned_first") + F.col("aligned_second")
        weaker = (mine < F.col("best_a") - F.lit(1e-12)) & (mine < F.col("best_b") - F.lit(1e-12))
        settled = (
            scores.join(best.toDF("a", "best_a"), "a", "left").join(best.toDF("b", "best_b"), "b", "left")
            .withColumn("same_story", F.when(F.col("same_story") & aligned & weaker, F.lit(False)).otherwise(F.col("same_story")))
            .select(*work.SCORE_KEYS, *work.ALIGNED_COLUMNS)
        )
        settled, _ = self.keep("best rewrites", settled)
        return settled

    def verify(self, candidates: DataFrame, prints: DataFrame, weights: WordWeights | None = None) -> DataFrame:
        """The signature prefilter, then exact scores of the pairs it keeps (and, with
        ``weights``, of the pairs that share rare words).

        Each pair meets its documents by two joins; a batch of pairs with their documents'
        signatures, shingle sets and texts is one :func:`~dedup.verifying.verify_batch`.
        """
        num_perm = self.config.fingerprint.minhash.num_perm
        estimate = {
            s: prints.select(F.col("doc_index").alias(s), F.col("signature").alias(f"signature_{s}"), F.col("size").alias(f"size_{s}"))
            for s in ("a", "b")
        }
        prefilter = partial(
            work.prefilter_pairs, num_perm=num_perm,
            min_containment=self.config.match.min_containment * PREFILTER_SHARE, version=__version__,
        )
        kept = candidates.join(estimate["a"], "a").join(estimate["b"], "b").mapInPandas(prefilter, "a long, b long")
        if weights is not None:
            kept = kept.unionByName(self.rare_word_pairs(prints, weights)).distinct()
        exact = {
            s: prints.select(
                F.col("doc_index").alias(s), F.col("signature").alias(f"signature_{s}"),
                F.col("shingles").alias(f"shingles_{s}"), F.col("text").alias(f"text_{s}"),
            )
            for s in ("a", "b")
        }
        verify = partial(work.verify_pairs, config=self.config, version=__version__)
        joined = kept.join(exact["a"], "a").join(exact["b"], "b")
        scores, self.counts["verified_pairs"] = self.keep("verify", joined.mapInPandas(verify, SCORE_SCHEMA))
        if weights is not None:
            verified, scores = scores, self.keep_best_rewrites(self.align(scores, prints, weights))
            self.drop(verified)
        return scores

    def align(self, scores: DataFrame, prints: DataFrame, weights: WordWeights) -> DataFrame:
        """:func:`dedup.match.words.settle_rewrites`'s measuring: the pairs
        :func:`~dedup.match.words.rewrite_candidates` picks, aligned word by word."""
        story = scores.filter("same_story")
        copied = story.select(F.col("a").alias("doc")).unionByName(story.select(F.col("b").alias("doc"))).distinct()
        chosen = (
            scores.filter(~F.col("same_story")).select("a", "b")
            .join(copied.select(F.col("doc").alias("a"), F.lit(True).alias("copied_a")), "a", "left")
            .join(copied.select(F.col("doc").alias("b"), F.lit(True).alias("copied_b")), "b", "left")
            .filter(F.col("copied_a").isNull() | F.col("copied_b").isNull())
            .select("a", "b")
        )
        texts = {s: prints.select(F.col("doc_index").alias(s), F.col("text").alias(f"text_{s}")) for s in ("a", "b")}
        align = partial(work.align_pairs, config=self.config, weights=weights, version=__version__)
        measured = chosen.join(texts["a"], "a").join(texts["b"], "b").mapInPandas(
            align, "a long, b long, aligned_first double, aligned_second double, copy boolean"
        )
        measured, _ = self.keep("align", measured)
        merged = scores.drop(*work.ALIGNED_COLUMNS).join(measured, ["a", "b"], "left").select(
            *[c for c in work.SCORE_KEYS if c != "same_story"],
            (F.col("same_story") | F.coalesce(F.col("copy"), F.lit(False))).alias("same_story"),
            *[F.coalesce(F.col(c), F.lit(0.0)).alias(c) for c in work.ALIGNED_COLUMNS],
        )
        return merged.select(*work.SCORE_KEYS, *work.ALIGNED_COLUMNS)

    # -- stories ------------------------------------------------------------------------------

    def stories(self, documents: DataFrame, scores: DataFrame, components: DataFrame, report: bool) -> DataFrame:
        """Per group of whole same-story components: the scan's clustering, passage diff and provenance.

        Components are packed into groups of at most about :data:`STORY_BATCH` documents,
        as ``dedup scan`` packs them, and several groups per core so that hashing them to
        partitions leaves no core idle; a group's documents and pairs meet in one
        ``applyInPandas`` call, so no component spans two Python workers.
        """
        sizes = components.groupBy("component").count().agg(F.sum("count"), F.max("count")).first()
        clustered, largest = int(sizes[0] or 0), int(sizes[1] or 0)
        if largest:
            logger.info("largest same-story component: %d documents (one Python worker holds it)", largest)
        groups = max(4 * self.spark.sparkContext.defaultParallelism, -(-clustered // STORY_BATCH), 1)
        group = components.select("doc_index", "component", (F.col("component") % groups).alias("group"))
        docs = group.join(documents, "doc_index").drop("component")
        first = group.select(F.col("doc_index").alias("a"), F.col("component").alias("component_a"), "group")
        second = components.select(F.col("doc_index").alias("b"), F.col("component").alias("component_b"))
        pairs = (
            scores.join(first, "a").join(second, "b")
            .filter(F.col("component_a") == F.col("component_b"))
            # a column of its own, not the documents' one: cogroup needs the two sides apart
            .select((F.col("group") + F.lit(0)).alias("group"), *work.SCORE_KEYS, *work.ALIGNED_COLUMNS)
        )
        config, version = self.config, __version__

        def story(docs_frame, pairs_frame):  # two arguments: applyInPandas passes no key
            return component_stories(docs_frame, pairs_frame, config, report, version)

        found = docs.groupBy("group").cogroup(pairs.groupBy("group")).applyInPandas(story, STORY_SCHEMA)
        found, _ = self.keep("stories", found)
        return found
