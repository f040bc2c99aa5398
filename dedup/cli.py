"""Command-line interface. Only this module imports click; nothing imports it.

Exit codes: 0 success (skipped records are summarised on stderr), 1 the run stopped on
an error (an unreadable input with ``--on-error fail``, bad data), 2 a usage error.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dedup import __version__
from dedup.boilerplate import BoilerplateRules, load_patterns
from dedup.cluster import ClusterConfig
from dedup.diff import DiffConfig
from dedup.errors import DedupError
from dedup.fingerprint import FingerprintConfig
from dedup.lsh import LSHConfig
from dedup.minhash import MinHashConfig
from dedup.pipeline import ScanConfig, ScanResult, compare, scan
from dedup.readers import FieldMap, ReadOptions
from dedup.report import render
from dedup.shingle import ShingleConfig
from dedup.verify import MatchConfig

EXIT_ERROR = 1


def _fail(message: str) -> None:
    raise click.ClickException(message)


def friendly_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library exceptions into one-line messages and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DedupError as exc:
            _fail(str(exc))
        except BrokenPipeError:
            # the reader went away (``dedup scan … | head``): stop quietly, as the Python
            # docs recommend, pointing stdout at devnull so the exit flush cannot fail again
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
        except OSError as exc:
            _fail(f"{getattr(exc, 'filename', '') or ''}: {exc.strerror or exc}".lstrip(": "))
        except MemoryError:
            _fail("out of memory: split the input or raise the machine's memory")

    return wrapper


def input_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options for reading inputs, shared by every command that reads articles."""
    options = [
        click.option("--input-format", type=click.Choice(["auto", "txt", "jsonl", "csv"]), default="auto",
                     show_default=True, help="Input format; auto goes by file extension."),
        click.option("--id-field", default="id", show_default=True, help="JSONL/CSV field holding the id."),
        click.option("--text-field", default="text", show_default=True, help="JSONL/CSV field holding the text."),
        click.option("--title-field", default="title", show_default=True),
        click.option("--source-field", default="source", show_default=True),
        click.option("--url-field", default="url", show_default=True),
        click.option("--published-field", default="published", show_default=True),
        click.option("--on-error", type=click.Choice(["skip", "fail"]), default="skip", show_default=True,
                     help="Skip bad records with a summary, or stop at the first one."),
        click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the inputs."),
        click.option("--max-chars", type=click.IntRange(min=1), default=2_000_000, show_default=True,
                     help="Documents longer than this are skipped."),
        click.option("--boilerplate", "boilerplate_file", type=click.Path(dir_okay=False),
                     help="File of extra boilerplate line patterns (regular expressions), one per line."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def fingerprint_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--shingle", "shingle_kind", type=click.Choice(["word", "char"]), default="word",
                     show_default=True, help="Shingle kind."),
        click.option("--shingle-size", type=click.IntRange(1, 32), default=5, show_default=True),
        click.option("--num-perm", type=click.IntRange(8, 4096), default=128, show_default=True,
                     help="MinHash signature size."),
        click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=1, show_default=True,
                     help="Hash seed; outputs with different seeds are not comparable."),
        click.option("--keep-quotes", is_flag=True, help="Fingerprint quoted speech too (ignored by default)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def match_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The pair decision and diff thresholds, shared by scan and compare."""
    options = [
        click.option("--min-containment", type=click.FloatRange(0, 1), default=MatchConfig.min_containment,
                     show_default=True, help="Containment of the smaller article in the larger that makes a copy."),
        click.option("--min-shared-passages", type=click.IntRange(min=0), default=MatchConfig.min_shared_passages,
                     show_default=True, help="Near-verbatim shared sentences a copy needs."),
        click.option("--min-cosine", type=click.FloatRange(0.01, 1), default=DiffConfig.min_cosine, show_default=True,
                     help="TF-IDF cosine at which a passage counts as shared in the diff."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def build_config(opts: dict[str, Any]) -> ScanConfig:
    extra = load_patterns(opts["boilerplate_file"]) if opts.get("boilerplate_file") else ()
    fields = FieldMap(
        id=opts["id_field"], text=opts["text_field"], title=opts["title_field"], source=opts["source_field"],
        url=opts["url_field"], published=opts["published_field"],
    )
    return ScanConfig(
        fingerprint=FingerprintConfig(
            shingle=ShingleConfig(opts["shingle_kind"], opts["shingle_size"]),
            minhash=MinHashConfig(opts["num_perm"], opts["seed"]),
            ignore_quotes=not opts["keep_quotes"],
        ),
        lsh=LSHConfig(
            threshold=opts.get("lsh_threshold", LSHConfig.threshold),
            bands=opts.get("bands"),
            rows=opts.get("rows"),
            min_hits=opts.get("min_hits", LSHConfig.min_hits),
            max_bucket=opts.get("max_bucket", LSHConfig.max_bucket),
        ),
        match=MatchConfig(
            min_containment=opts.get("min_containment", MatchConfig.min_containment),
            min_shared_passages=opts.get("min_shared_passages", MatchConfig.min_shared_passages),
        ),
        cluster=ClusterConfig(hub_guard=not opts.get("no_hub_guard", False)),
        diff=DiffConfig(min_cosine=opts.get("min_cosine", DiffConfig.min_cosine)),
        boilerplate=BoilerplateRules(extra),
        read=ReadOptions(
            input_format=opts["input_format"], fields=fields, on_error=opts["on_error"],
            encoding=opts["encoding"], max_chars=opts["max_chars"],
        ),
    )


def write_output(text: str, output: str | None) -> None:
    if output and output != "-":
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror or exc}")
    else:
        click.echo(text, nl=False)


class StderrProgress:
    """A one-line progress display on stderr: stage, documents (or pairs) done, rate and ETA.

    Updates are throttled to a few per second, each stage starts its own line and rate,
    and runs under 10,000 documents show nothing.
    """

    def __init__(self, enabled: bool, interval: float = 0.25) -> None:
        self.enabled = enabled
        self.interval = interval
        self.stage = ""
        self.stage_started = self.last_shown = time.perf_counter()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or (total and total < 10_000) or (not total and done < 10_000):
            return
        now = time.perf_counter()
        if stage != self.stage:
            if self.stage:
                click.echo(err=True)
            self.stage, self.stage_started = stage, now
        elif now - self.last_shown < self.interval and done < total:
            return
        self.last_shown = now
        rate = done / max(now - self.stage_started, 1e-9)
        unit = "pairs" if stage == "verify" else "docs"  # verification counts candidate pairs
        line = f"\r{stage}: {done:,}" + (f"/{total:,}" if total else "") + f" {unit}, {rate:,.0f} {unit}/s"
        if total and rate:
            line += f", ETA {(total - done) / rate:,.0f}s"
        click.echo(line + "   ", err=True, nl=False)

    def close(self) -> None:
        """End the progress line, if one was started."""
        if self.stage:
            click.echo(err=True)
            self.stage = ""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dedup")
@click.option("-v", "--verbose", count=True, help="Log more to stderr (-vv for debug).")
def main(verbose: int) -> None:
    """Group republished rewrites of one wire story and show what each version changes.

    Example:

        dedup scan seeds/
    """
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


@main.command("scan")
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


@main.command("compare")
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


from dedup.cli_index import index_group  # noqa: E402  (it uses the shared options above)

main.add_command(index_group)
from dedup.cli_eval import eval_command  # noqa: E402

main.add_command(eval_command)

if __name__ == "__main__":  # pragma: no cover
    main()
