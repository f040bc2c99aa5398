"""``dedup spark``: the scan on Apache Spark, writing Parquet tables and a JSON summary.

pyspark is imported only when a command runs, so the rest of the CLI works without the
``spark`` extra. Spark's own failures become one-line messages, like the library's.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import click

from dedup import errors
from dedup.cli.options import (
    build_config,
    fingerprint_options,
    friendly_errors,
    input_options,
    lsh_options,
    match_options,
)
from dedup.errors import DedupError

# "SomeError: message" lines in a Python traceback an executor sent back
_ERROR_LINE = re.compile(r"^(?:[\w.]+\.)?(\w*(?:Error|Exception)): (.+)$")
# the library's own errors, whose messages are written for users as they are
LIBRARY_ERRORS = {
    name for name, value in vars(errors).items() if isinstance(value, type) and issubclass(value, errors.DedupError)
}


def spark_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn errors raised inside Spark (in the JVM or in an executor's Python) into one-line messages."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (DedupError, click.ClickException):
            raise
        except Exception as exc:
            if not type(exc).__module__.startswith(("pyspark", "py4j")):
                raise
            raise click.ClickException(spark_message(exc)) from exc

    return wrapper


def spark_message(exc: BaseException) -> str:
    """The line of a Spark failure that says what went wrong: the last error line of the traceback."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    found = [m for m in (_ERROR_LINE.match(line) for line in lines) if m]
    if found:
        kind, message = found[-1].groups()
        return message if kind in LIBRARY_ERRORS else f"{kind}: {message}"
    return f"Spark failed: {lines[0] if lines else type(exc).__name__}"


def _settings(confs: tuple[str, ...]) -> dict[str, str]:
    settings = {}
    for item in confs:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--conf")
        settings[key.strip()] = value
    return settings


@click.group("spark")
def spark_group() -> None:
    """Run dedup on Apache Spark: the same scan, distributed (needs "dedup[spark]" and Java 17+).

    Example:

        dedup spark scan archive/ --output out/ --master 'local[2]'
    """


@spark_group.command("scan")
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", required=True, metavar="DIR",
              help="Folder (local, HDFS, S3) for members/, pairs/, edges/, skipped/ and summary.json.")
@click.option("--master", help="Spark master: local[2], yarn, spark://host:7077 (default: spark-submit's, else local[*]).")
@click.option("--conf", "confs", multiple=True, metavar="KEY=VALUE", help="A Spark setting; repeat for more.")
@click.option("-f", "--format", "output_format", type=click.Choice(["parquet", "json"]), default="parquet",
              show_default=True, help="json also writes clusters/: each cluster's full report, one JSON per line.")
@click.option("--work-dir", metavar="DIR",
              help="Folder every executor can write, for Parquet checkpoints (default: DIR/_work on a cluster, "
                   "none on a local master).")
@click.option("--overwrite", is_flag=True, help="Replace the tables of an earlier run in DIR.")
@input_options
@fingerprint_options
@lsh_options
@match_options
@click.option("--no-hub-guard", is_flag=True, help="Let one document chain unrelated clusters together.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr.")
@friendly_errors
@spark_errors
def spark_scan_command(
    inputs: tuple[str, ...], output: str, master: str | None, confs: tuple[str, ...], output_format: str,
    work_dir: str | None, overwrite: bool, quiet: bool, **opts: Any,
) -> None:
    """Scan INPUTS on Spark and write dedup scan's members, pairs and edges tables as Parquet under DIR.

    INPUTS are what dedup scan reads (folders, JSONL, CSV, Parquet, compressed or not)
    on any path Spark reads (local, hdfs://, s3a://). Clusters, cluster ids, origins,
    members and pairs are those of dedup scan.

    Examples:

    \b
        dedup spark scan seeds/ --output out/ --master 'local[2]'
        dedup spark scan feed.jsonl.gz --output out/ --format json
        spark-submit --master yarn dedup_driver.py spark scan hdfs:///news/ --output hdfs:///dedup/

    where dedup_driver.py holds: from dedup.cli import main; main(prog_name="dedup")
    """
    config = build_config(opts)
    settings = _settings(confs)
    settings.setdefault("spark.log.level", "ERROR")  # Spark's own INFO and WARN lines drown the summary
    if quiet:
        settings.setdefault("spark.ui.showConsoleProgress", "false")
    # pyspark is imported here, not with the CLI: a missing extra is a one-line error naming it
    from dedup.spark.scan import scan_paths, write_result
    from dedup.spark.session import local_cores, spark_session

    spark = spark_session(master, settings, app_name="dedup spark scan")
    spark.sparkContext.setLogLevel("ERROR")
    base = output.rstrip("/")
    _refuse_earlier_run(spark, base, overwrite)
    if work_dir is None and local_cores(spark.sparkContext.master) is None:
        work_dir = f"{base}/_work"
    try:
        result = scan_paths(spark, list(inputs), config, report=output_format == "json", work_dir=work_dir)
        write_result(result, base, report_json=output_format == "json", overwrite=overwrite)
    finally:
        if work_dir:
            _remove(spark, work_dir)
    if not quiet:
        _summarise(result, base)


def _refuse_earlier_run(spark: Any, base: str, overwrite: bool) -> None:
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(f"{base}/summary.json")
    if not overwrite and path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).exists(path):
        raise DedupError(f"{base} holds an earlier run (summary.json): choose another folder or pass --overwrite")


def _remove(spark: Any, folder: str) -> None:
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(folder)
    path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).delete(path, True)


def _summarise(result: Any, base: str) -> None:
    stats = result.stats
    problems = result.problems.limit(21).collect()
    if problems:
        click.echo(f"skipped {sum(result.skipped.values())} records:", err=True)
        for problem in problems[:20]:
            click.echo(f"  {problem['location']}: {problem['message']}", err=True)
        if sum(result.skipped.values()) > 20:
            click.echo(f"  ... and more (see {base}/skipped/)", err=True)
    timing = ", ".join(f"{stage} {seconds:.1f}s" for stage, seconds in result.timings.items())
    click.echo(
        f"{stats['documents']} documents, {stats['clusters']} clusters, {stats['singletons']} singletons; "
        f"wrote {base}/ ({timing})",
        err=True,
    )
