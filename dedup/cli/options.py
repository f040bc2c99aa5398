"""Options and helpers shared by the commands: input and fingerprint options, the config they
build, friendly errors and the progress line.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import click

from dedup.cli.console import StderrProgress
from dedup.errors import DedupError
from dedup.io import FieldMap, ReadOptions
from dedup.io.options import INPUT_FORMATS
from dedup.io.outputs import check_writable, replacing
from dedup.match.fingerprint import FingerprintConfig
from dedup.match.lsh import LSHConfig
from dedup.match.minhash import MinHashConfig
from dedup.match.shingle import ShingleConfig
from dedup.match.verify import MatchConfig
from dedup.pipeline import ScanConfig
from dedup.story.cluster import ClusterConfig
from dedup.story.diff import DiffConfig
from dedup.text.boilerplate import BoilerplateRules, load_patterns
from dedup.text.furniture import FurnitureConfig

if TYPE_CHECKING:
    from dedup.report.encode import Piece

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
        click.option("--input-format", type=click.Choice(list(INPUT_FORMATS)), default="auto",
                     show_default=True, help="Input format; auto goes by file extension (compression looked through)."),
        click.option("--id-field", default="id", show_default=True,
                     help="JSONL/CSV/Parquet field holding the id; a dotted path reaches nested fields (_source.id)."),
        click.option("--text-field", default="text", show_default=True,
                     help="JSONL/CSV/Parquet field holding the text, e.g. _source.text."),
        click.option("--html-field", metavar="FIELD",
                     help="JSONL/CSV/Parquet field holding an HTML page: its main text is extracted (needs dedup[html])."),
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


def lsh_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The LSH candidate options, shared by the scans on one machine and on Spark."""
    options = [
        click.option("--lsh-threshold", type=click.FloatRange(0.001, 0.999), default=LSHConfig.threshold,
                     show_default=True, help="Jaccard level the LSH bands are tuned for."),
        click.option("--bands", type=click.IntRange(min=1), help="LSH bands (with --rows; overrides the threshold)."),
        click.option("--rows", type=click.IntRange(min=1), help="LSH rows per band (with --bands)."),
        click.option("--min-hits", type=click.IntRange(min=1), default=LSHConfig.min_hits, show_default=True,
                     help="Bands two documents must share to be a candidate."),
        click.option("--max-bucket", type=click.IntRange(min=2), default=LSHConfig.max_bucket, show_default=True,
                     help="LSH buckets larger than this are reported, not expanded (but for the near-copies they hold)."),
        click.option("--max-core", type=click.IntRange(min=2), default=LSHConfig.max_core, show_default=True,
                     help="Near-copies found in an oversized bucket are paired up to this many; more are reported."),
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
        click.option("--min-aligned", type=click.FloatRange(0, 1), default=MatchConfig.min_aligned,
                     show_default=True, help="Share of one article that the words both tell in the same order "
                     "(weighted by rarity in the corpus) must make up for a rewrite to count as a copy; 0 turns "
                     "this evidence, and the rare-word candidates it needs, off."),
        click.option("--min-cosine", type=click.FloatRange(0.01, 1), default=DiffConfig.min_cosine, show_default=True,
                     help="TF-IDF cosine at which a passage counts as shared in the diff."),
        click.option("--min-linkage", type=click.FloatRange(0, 1), default=ClusterConfig.min_linkage,
                     show_default=True, help="Share of a group's members a document (or group) must be verified "
                     "against to join it; 0 joins any connected pair (single link)."),
        click.option("--no-furniture-learning", is_flag=True,
                     help="Do not learn page furniture (lines on half of an outlet's pages) from the corpus."),
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
            max_core=opts.get("max_core", LSHConfig.max_core),
        ),
        match=MatchConfig(
            min_containment=opts.get("min_containment", MatchConfig.min_containment),
            min_shared_passages=opts.get("min_shared_passages", MatchConfig.min_shared_passages),
            min_aligned=opts.get("min_aligned", MatchConfig.min_aligned),
        ),
        cluster=ClusterConfig(
            hub_guard=not opts.get("no_hub_guard", False), min_linkage=opts.get("min_linkage", ClusterConfig.min_linkage)
        ),
        furniture=FurnitureConfig(enabled=not opts.get("no_furniture_learning", False)),
        diff=DiffConfig(min_cosine=opts.get("min_cosine", DiffConfig.min_cosine)),
        boilerplate=BoilerplateRules(extra),
        read=ReadOptions(
            input_format=opts["input_format"], fields=fields, on_error=opts["on_error"],
            encoding=opts["encoding"], max_chars=opts["max_chars"], html_field=opts.get("html_field"),
        ),
    )


def check_output(output: str | None) -> None:
    """Stop at once (exit code 1) where the file ``output`` cannot be written, rather than
    after the run: its folder is missing or read-only, or it is a folder."""
    if output and output != "-":
        try:
            check_writable(output)
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror or exc}")


def write_output(text: str | Iterable[Piece], output: str | None) -> None:
    """Write ``text`` (or its pieces, as they come: text, or UTF-8 bytes in memory or in a
    file) to the file ``output`` in UTF-8, or to stdout as click writes text there."""
    from dedup.report.encode import text_of, write_pieces

    pieces = [text] if isinstance(text, str) else text
    if output and output != "-":
        try:  # the file appears once whole: an interrupted run leaves the one before
            with replacing(output, "wb") as out:
                write_pieces(out, pieces)
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror or exc}")
    else:
        buffered: list[str] = []
        size = 0
        for piece in pieces:  # a megabyte at a time: click.echo flushes each call
            chunk = text_of(piece)
            buffered.append(chunk)
            size += len(chunk)
            if size >= 1 << 20:
                click.echo("".join(buffered), nl=False)
                buffered, size = [], 0
        click.echo("".join(buffered), nl=False)


__all__ = ["StderrProgress", "build_config", "check_output", "fingerprint_options", "friendly_errors",
           "input_options", "match_options", "write_output"]
