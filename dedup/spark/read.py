"""Inputs of the Spark scan: paths that Spark reads, or a DataFrame of records.

Files are fetched by Spark's ``binaryFile`` source (local disks, HDFS, S3: any path Spark
reads) and read in the executors by the reader of ``dedup scan``, one file at a time, so
every format it reads (text and HTML pages, JSONL, CSV, Parquet, WARC, feeds, compressed
or not) gives the same documents, ids and skipped records. A DataFrame goes through the
same record checks. Each read row carries its input order (input number, file, record),
so that of repeated ids the first in input order is kept, as ``dedup scan`` keeps it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import partial
from pathlib import PurePosixPath

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from dedup._version import __version__
from dedup.errors import DedupError
from dedup.io import ReadOptions
from dedup.io.formats import FOLDER_SUFFIXES
from dedup.io.options import OPTIONAL_FIELDS
from dedup.spark import records

logger = logging.getLogger(__name__)

READ_SCHEMA = (
    "doc_id string, text string, title string, source string, url string, published string, location string, "
    "_input int, _file string, _record long, kind string, message string"
)
# Files handed to one Python call: about this many bytes at a time, so that a batch of
# large JSONL files does not sit in one worker's memory at once.
READ_BATCH_BYTES = 64 << 20


def _location_prefix(item: str) -> str:
    """How ``dedup scan`` names a path in problems (``str(Path(item))``), for plain paths."""
    return item.rstrip("/") if "://" in item or item.startswith("file:") else str(PurePosixPath(item))


def _status(spark: SparkSession, item: str) -> tuple[bool, str] | None:
    """``(is_folder, qualified path)`` of ``item`` by Spark's file system, or None when it does not exist."""
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(item)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    if not fs.exists(path):
        return None
    return bool(fs.getFileStatus(path).isDirectory()), str(fs.makeQualified(path).toString())


def _files(spark: SparkSession, number: int, item: str) -> DataFrame | None:
    """The files of one input, as the columns :func:`records.read_files` takes."""
    status = _status(spark, item)
    if status is None:
        return None
    is_folder, qualified = status
    prefix = _location_prefix(item)
    reader = spark.read.format("binaryFile")
    if is_folder:
        # the files dedup scan reads in a folder, found by suffix (compression looked through)
        suffixes = "|".join(re.escape(s) for s in FOLDER_SUFFIXES)
        files = reader.option("recursiveFileLookup", "true").load(item).filter(F.lower("path").rlike(f"({suffixes})$"))
        # the id of a file in a folder is its path below the folder, as dedup scan names it
        relative = F.expr(f"substring(path, {len(qualified) + 2})")
        return files.select(
            F.lit(number).alias("_input"), relative.alias("_file"), F.element_at(F.split(relative, "/"), -1).alias("name"),
            F.concat(F.lit(prefix + "/"), relative).alias("location"), relative.alias("doc_id"),
            F.lit(True).alias("by_suffix"), "content", "length",
        )
    name = PurePosixPath(qualified.split(":", 1)[-1]).name
    return reader.load(item).select(
        F.lit(number).alias("_input"), F.lit("").alias("_file"), F.lit(name).alias("name"),
        F.lit(prefix).alias("location"), F.lit(name).alias("doc_id"), F.lit(False).alias("by_suffix"),
        "content", "length",
    )


def read_paths(spark: SparkSession, inputs: Sequence[str], options: ReadOptions) -> tuple[DataFrame, int]:
    """Read rows of every input (see :data:`READ_SCHEMA`), an input that does not exist
    being one problem row, and how many files one Python call may take.
    """
    missing: list[tuple] = []
    parts: list[DataFrame] = []
    per_batch = 10_000
    for number, item in enumerate(inputs):
        item = str(item)
        if item == "-":
            raise DedupError("the Spark scan reads paths, not stdin: write the feed to a file (or HDFS, S3) first")
        files = _files(spark, number, item)
        if files is None:
            missing.append(_missing_row(number, item))
            continue
        # A batch of files goes to one Python call: keep its bytes near READ_BATCH_BYTES.
        count, largest = files.agg(F.count(F.lit(1)), F.max("length")).first()
        if not count:
            continue
        per_batch = max(1, min(per_batch, READ_BATCH_BYTES // max(1, int(largest or 1))))
        read = partial(records.read_files, options=options, version=__version__)
        parts.append(files.drop("length").mapInPandas(read, READ_SCHEMA))
    if missing or not parts:
        parts.append(spark.createDataFrame(missing, READ_SCHEMA))
    rows = parts[0]
    for part in parts[1:]:
        rows = rows.unionByName(part)
    return rows, per_batch


def _missing_row(number: int, item: str) -> tuple:
    return (None, None, None, None, None, None, _location_prefix(item), number, "", 0, "unreadable", "no such file or folder")


def read_frame(frame: DataFrame, options: ReadOptions, number: int = 0) -> DataFrame:
    """Read rows of the records of ``frame``, whose columns are named by ``options.fields``.

    Ids and the optional fields are cast to strings; the text column must hold strings.
    """
    fields = options.fields
    columns = dict(frame.dtypes)
    for role, name in (("id", fields.id), ("text", fields.text)):
        if name not in columns and name.split(".", 1)[0] not in columns:
            raise DedupError(
                f"the DataFrame has no {name!r} column for the {role} (it has {', '.join(sorted(columns))}); "
                f"rename it or set the {role} field"
            )
    if columns.get(fields.text, "string") != "string":
        raise DedupError(f"the text column {fields.text!r} holds {columns[fields.text]}, not strings")
    chosen = [fields.id, fields.text] + [
        getattr(fields, name) for name in OPTIONAL_FIELDS
        if getattr(fields, name) in columns or getattr(fields, name).split(".", 1)[0] in columns
    ]
    chosen = list(dict.fromkeys(chosen))

    def column(name: str) -> Column:
        # a field name is a column first and a dotted path into a struct second, as for the readers
        return F.col(f"`{name}`") if name in columns else F.col(name)

    source = F.input_file_name()
    selected = frame.select(
        *[column(name).cast(StringType()).alias(name) for name in chosen],
        F.when(source == "", F.lit("<dataframe>")).otherwise(source).alias("_location"),
        F.lit(number).alias("_input"),
        source.alias("_file"),
        F.monotonically_increasing_id().alias("_record"),
    )
    check = partial(records.check_records, options=options, columns=chosen, version=__version__)
    return selected.mapInPandas(check, READ_SCHEMA)
