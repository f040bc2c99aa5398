"""``dedup scan`` and ``dedup compare``: batch commands over inputs of any kind."""

from __future__ import annotations

import time
from typing import Any

import click

from dedup.cli.options import (
    StderrProgress,
    build_config,
    fingerprint_options,
    friendly_errors,
    input_options,
    match_options,
    write_output,
)
from dedup.match.lsh import LSHConfig
from dedup.pipeline import compare, scan
from dedup.report import render
from dedup.story.result import ScanResult


@click.command("scan")
@click.argument("inputs", nargs=-1, required=True)
@input_options
@fingerprint_options
@click.option("--lsh-threshold", type=click.FloatRange(0.001, 0.999), default=LSHConfig.threshold, show_default=True,
              help="Jaccard level the LSH bands are tuned for.")
@click.option("--bands", type=click.IntRange(min=1), help="LSH bands (with --rows; overrides the threshold).")
@click.option("--rows", type=click.IntRange(min=1), help="LSH rows per band (with --bands).")
@click.option("--min-hits", type=click.IntRange(min=1), default=LSHConfig.min_hits, show_default=True,
              help="Bands two documents must share to be a candidate.")
@click.option("--max-bucket", type=click.IntRange(min=2), default=LSHConfig.max_bucket, show_default=True,
              help="LSH buckets larger than this are reported, not expanded.")
@match_options
@click.option("--no-hub-guard", is_flag=True, help="Let one document chain unrelated clusters together.")
@click.option("-f", "--format", "report_format", type=click.Choice(["text", "json", "csv", "html"]), default="text",
              show_default=True, help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), help="Write the report here.")
@click.option("--table", type=click.Choice(["pairs", "edges", "outlets"]), default="pairs", show_default=True,
              help="With --format csv: verified pairs, copy edges, or the outlet copy matrix.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes; the output is the same for any number.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr.")
@friendly_errors
def scan_command(
    inputs: tuple[str, ...], report_format: str, output: str | None, quiet: bool, table: str, jobs: int,
    **opts: Any,
) -> None:
    """Group copies of one story in INPUTS and report their unique passages.

    INPUTS are folders of .txt files (read recursively), .txt, .jsonl or .csv files
    (optionally .gz), or - for JSONL on stdin.

    Examples:

        dedup scan seeds/

        dedup scan feed.jsonl.gz --format json -o report.json

        dedup scan big-feed.jsonl --jobs 2 --format csv -o pairs.csv

        dedup scan seeds/ --format html -o report.html

        dedup scan feed.jsonl --format csv --table outlets

        cat feed.jsonl | dedup scan - --id-field guid --text-field body --format csv
    """
    config = build_config(opts)
    _check_table(report_format, table)
    progress = StderrProgress(not quiet)
    # the CSV pairs table shows no passage: the scan can skip the diff and keep no texts
    detail = not (report_format == "csv" and table == "pairs")
    result = scan(inputs, config, progress=progress, jobs=jobs, detail=detail)
    progress.close()
    started = time.perf_counter()
    write_output(render(result, report_format, table), output)
    result.timings["write"] = time.perf_counter() - started
    if not quiet:
        if result.problems:
            click.echo(f"skipped {len(result.problems)} records:", err=True)
            for problem in result.problems[:20]:
                click.echo(f"  {problem}", err=True)
            if len(result.problems) > 20:
                click.echo(f"  ... and {len(result.problems) - 20} more (see the JSON report)", err=True)
        timing = ", ".join(f"{stage} {seconds:.2f}s" for stage, seconds in result.timings.items())
        click.echo(
            f"{result.stats['documents']} documents, {result.stats['clusters']} clusters, "
            f"{result.stats['singletons']} singletons ({timing})",
            err=True,
        )


def _check_table(report_format: str, table: str) -> None:
    if table != "pairs" and report_format != "csv":
        raise click.UsageError("--table applies to --format csv only")


@click.command("compare")
@click.argument("files", nargs=-1, required=True)
@input_options
@fingerprint_options
@match_options
@click.option("-f", "--format", "report_format", type=click.Choice(["text", "json", "csv", "html"]), default="text",
              show_default=True, help="Report format.")
@click.option("--table", type=click.Choice(["pairs", "edges", "outlets"]), default="pairs", show_default=True,
              help="With --format csv: verified pairs, copy edges, or the outlet copy matrix.")
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
    _check_table(report_format, table)
    result: ScanResult = compare(files, build_config(opts))
    write_output(render(result, report_format, table), output)
    if not quiet:
        for problem in result.problems[:20]:
            click.echo(f"skipped {problem}", err=True)
        click.echo(
            f"{result.stats['documents']} documents, {result.stats['verified_pairs']} pairs verified, "
            f"{result.stats['clusters']} clusters",
            err=True,
        )

