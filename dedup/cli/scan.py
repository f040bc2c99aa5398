"""``dedup scan`` and ``dedup compare``: batch commands over inputs of any kind."""

from __future__ import annotations

import time
from typing import Any

import click

from dedup.cli.console import (
    StderrProgress,
    nothing_read,
    quiet_logging,
    report_problems,
    say,
)
from dedup.cli.options import (
    build_config,
    check_output,
    fingerprint_options,
    friendly_errors,
    input_options,
    lsh_options,
    match_options,
    write_output,
)
from dedup.pipeline import compare, scanning
from dedup.report.render import iter_render, write_report
from dedup.report.tables import TABLES, needs_provenance
from dedup.report.terminal import plural
from dedup.story.result import ScanResult

FORMATS = ["text", "json", "jsonl", "csv", "html", "parquet"]
TABLE_HELP = ("With --format csv or parquet: verified pairs, copy edges, the outlet copy matrix, "
              "or every document's cluster, role and parent.")


@click.command("scan")
@click.argument("inputs", nargs=-1, required=True)
@input_options
@fingerprint_options
@lsh_options
@match_options
@click.option("--no-hub-guard", is_flag=True, help="Let one document chain unrelated clusters together.")
@click.option("-f", "--format", "report_format", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Report format (jsonl: one record per line, for pipelines; parquet needs -o).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the report here (a CSV table's parameters go to OUTPUT.json beside it).")
@click.option("--table", type=click.Choice(list(TABLES)), default="pairs", show_default=True, help=TABLE_HELP)
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes; the output is the same for any number.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr.")
@friendly_errors
def scan_command(
    inputs: tuple[str, ...], report_format: str, output: str | None, quiet: bool, table: str, jobs: int,
    **opts: Any,
) -> None:
    """Group copies of one story in INPUTS and report their unique passages.

    INPUTS are folders (read recursively for .txt, .html, .parquet, .warc, .rss and
    .atom files), .txt, .jsonl, .csv, .parquet, .html, WARC or RSS/Atom files (each
    optionally .gz, .bz2, .xz or .zst), or - for JSONL on stdin.

    Examples:

        dedup scan seeds/

        dedup scan feed.jsonl.gz --format json -o report.json

        dedup scan feed.jsonl --format jsonl | jq -c 'select(.type == "cluster") | .size'

        dedup scan big-feed.jsonl --jobs 2 --format csv -o pairs.csv

        dedup scan seeds/ --format html -o report.html

        dedup scan feed.jsonl --format csv --table outlets

        dedup scan news.parquet --text-field body --format parquet --table members -o members.parquet

        dedup scan crawl.warc.gz pages/ --format json -o report.json

        dedup scan es-dump.jsonl.zst --id-field _id --text-field _source.text

        cat feed.jsonl | dedup scan - --id-field guid --text-field body --format csv
    """
    config = build_config(opts)
    _check_table(report_format, table, output)
    check_output(output)
    if quiet:
        quiet_logging()
    progress = StderrProgress(not quiet)
    # the pairs table shows no passage: the scan can skip the diff and keep no texts
    detail = report_format not in ("csv", "parquet") or needs_provenance(table)  # type: ignore[arg-type]
    # Every report that shows passages or provenance is written a cluster at a time: each
    # cluster's passages, provenance and record, section or rows are made in the workers as
    # it is written, not every cluster's before the first
    defer = detail
    with scanning(inputs, config, progress=progress, jobs=jobs, detail=detail, defer=defer) as result:
        progress.close()
        if not quiet:
            report_problems(result.problems, " (see the JSON report)")
        if not result.documents:
            raise nothing_read(result.problems, "scan")
        started = time.perf_counter()
        _write(result, report_format, table, output)
        result.timings["write"] = time.perf_counter() - started
    if not quiet:
        timing = ", ".join(f"{stage} {seconds:.2f}s" for stage, seconds in result.timings.items())
        stats = result.stats
        say(f"{plural(stats['documents'], 'document')}, {plural(stats['clusters'], 'cluster')}, "
            f"{plural(stats['singletons'], 'singleton')} ({timing})")


def _check_table(report_format: str, table: str, output: str | None) -> None:
    if table != "pairs" and report_format not in ("csv", "parquet"):
        raise click.UsageError("--table applies to --format csv and parquet only")
    if report_format == "parquet" and (not output or output == "-"):
        raise click.UsageError("--format parquet writes a binary file: give it with -o FILE")


def _write(result: ScanResult, report_format: str, table: str, output: str | None) -> None:
    """Tables go to files with their metadata (CSV sidecar, Parquet footer); the rest as text."""
    if output and output != "-" and report_format in ("csv", "parquet"):
        try:
            write_report(result, output, report_format, table)  # type: ignore[arg-type]
        except OSError as exc:
            raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from exc
    else:
        write_output(iter_render(result, report_format, table), output)  # type: ignore[arg-type]


@click.command("compare")
@click.argument("files", nargs=-1, required=True)
@input_options
@fingerprint_options
@match_options
@click.option("-f", "--format", "report_format", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Report format (jsonl: one record per line, for pipelines; parquet needs -o).")
@click.option("--table", type=click.Choice(list(TABLES)), default="pairs", show_default=True, help=TABLE_HELP)
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), help="Write the report here.")
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
@friendly_errors
def compare_command(
    files: tuple[str, ...], report_format: str, output: str | None, quiet: bool, table: str, **opts: Any
) -> None:
    """Compare chosen FILES: verify every pair (no LSH), then origin and copy edges.

    FILES are two or more inputs of any kind scan reads (a JSONL file may hold them all).

    Examples:

        dedup compare seeds/002_e40c44a6ce6eeda3.txt seeds/000_e44d81640658f659.txt

        dedup compare a.txt b.txt c.txt --format html -o compare.html
    """
    _check_table(report_format, table, output)
    check_output(output)
    result: ScanResult = compare(files, build_config(opts))
    _write(result, report_format, table, output)
    if not quiet:
        report_problems(result.problems)
        stats = result.stats
        say(f"{plural(stats['documents'], 'document')}, {plural(stats['verified_pairs'], 'pair')} verified, "
            f"{plural(stats['clusters'], 'cluster')}")
