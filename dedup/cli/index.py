"""``dedup index``: the incremental story index on the command line.

Each command opens the index, calls one :class:`~dedup.index.StoryIndex` method, and
turns library errors into one-line messages (see :func:`dedup.cli.friendly_errors`).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

import click

from dedup.cli.console import StderrProgress, nothing_read, quiet_logging, report_problems, say
from dedup.cli.options import (
    build_config,
    check_output,
    fingerprint_options,
    friendly_errors,
    input_options,
)
from dedup.document import Document
from dedup.errors import IncompatibleDataError, ParameterError
from dedup.index import StoryIndex, open_store, parse_time
from dedup.index.core import BATCH_SIZE
from dedup.index.params import differences, index_params
from dedup.io import InputReader
from dedup.io.outputs import replacing
from dedup.report import render, render_json
from dedup.report.render import write_report
from dedup.report.terminal import plural

# `index add` is slower per article than a scan, so its progress line shows from this many on.
ADD_PROGRESS_FROM = 1_000
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
# Command-line options and the index parameter each one sets.
PARAMETER_OF = {
    "shingle_kind": ("fingerprint", "shingle_kind"),
    "shingle_size": ("fingerprint", "shingle_size"),
    "num_perm": ("fingerprint", "num_perm"),
    "seed": ("fingerprint", "seed"),
    "keep_quotes": ("fingerprint", "ignore_quotes"),
    "boilerplate_file": ("boilerplate_extra",),
}


def parse_duration(text: str) -> float:
    """Seconds in ``7d``, ``12h``, ``30m``, ``90s`` or ``2w``."""
    match = DURATION.match(text)
    if not match:
        raise click.BadParameter(f"{text!r} is not a duration like 7d, 12h, 30m, 90s or 2w")
    return float(match.group(1)) * SECONDS[match.group(2)]


def store_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--store", metavar="URL", envvar="DEDUP_INDEX_STORE",
        help="Keep the index in Redis (redis://host:port/db) under the name INDEX, instead of a SQLite file INDEX.",
    )(func)


def _open(index: str, store: str | None, opts: dict[str, Any] | None = None) -> StoryIndex:
    """Open the index; a new one takes its parameters from ``opts``, an existing one its own.

    Options given explicitly on the command line must agree with an existing index.
    """
    backend = open_store(index, store)
    if opts is None:
        return StoryIndex(backend)
    config = build_config(opts)
    meta = backend.read_meta()
    if not meta:
        return StoryIndex(backend, config)
    ctx = click.get_current_context()
    given = [name for name in PARAMETER_OF
             if ctx.get_parameter_source(name) not in (None, click.core.ParameterSource.DEFAULT)]
    wanted, stored = index_params(config), json.loads(meta.get("params", "{}"))
    clashes = []
    for name in given:
        path = PARAMETER_OF[name]
        ours, theirs = wanted, stored
        for part in path:
            ours, theirs = ours.get(part, {}), theirs.get(part, {})
        if ours != theirs:
            clashes += differences({path[-1]: theirs}, {path[-1]: ours})
    if clashes:
        backend.close()
        raise IncompatibleDataError("the index was made with other parameters: " + "; ".join(clashes))
    return StoryIndex(backend, None)


def _existing(index: str, store: str | None) -> StoryIndex:
    """Open an index that must exist already: a mistyped name is an error, and creates nothing."""
    missing = click.ClickException(f"{index}: no index there yet (create it with `dedup index add`)")
    if store in (None, "", "sqlite") and not Path(index).is_file():
        raise missing
    story_index = _open(index, store)
    if story_index.is_empty:
        story_index.close()
        raise missing
    return story_index


def _documents(inputs: tuple[str, ...], opts: dict[str, Any], verb: str) -> tuple[Iterator[Document], InputReader]:
    """The documents of ``inputs``, in their own order (arrival order is what an incremental
    index sees); exit code 1 when not one can be read, before any index is opened or made."""
    reader = InputReader(build_config(opts).read)
    documents = reader.read(inputs)
    first = next(documents, None)
    if first is None:
        report_problems(reader.problems)
        raise nothing_read(reader.problems, verb)
    return itertools.chain([first], documents), reader


def _write_lines(
    lines: Iterator[str], output: str | None, progress: StderrProgress | None = None, *, whole: bool = True
) -> int:
    """Write ``lines`` to the file ``output`` (or stdout): a file that appears ``whole``
    once written, or (``whole=False``) a log of what was done as it is done, which an
    interrupted run leaves with the lines of the work it did."""
    count = 0
    stream: TextIO
    if output and output != "-":
        with (replacing(output, "w", encoding="utf-8") if whole else open(output, "w", encoding="utf-8")) as stream:
            for line in lines:
                stream.write(line + "\n")
                count += 1
                if progress:
                    progress("add", count, 0)
    else:
        for line in lines:
            click.echo(line)
            count += 1
            if progress:
                progress("add", count, 0)
    return count


@click.group("index")
def index_group() -> None:
    """Keep a persistent index of stories and add articles as they arrive.

    INDEX is a SQLite file (created when missing), or with --store redis://host:port/db
    the name of an index kept in that Redis server, shared by several workers.

    Example:

        dedup index add stories.db feed.jsonl && dedup index export stories.db
    """


@index_group.command("add")
@click.argument("index")
@click.argument("inputs", nargs=-1, required=True)
@input_options
@fingerprint_options
@store_option
@click.option("--batch-size", type=click.IntRange(min=1), default=BATCH_SIZE, show_default=True,
              help="Articles per transaction; a crash loses at most the batch being written.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes fingerprinting the next batches; the output is the same for any number.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the JSON lines here instead of stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
@friendly_errors
def add_command(index: str, inputs: tuple[str, ...], store: str | None, batch_size: int, jobs: int,
                output: str | None, quiet: bool, **opts: Any) -> None:
    """Add the articles in INPUTS to INDEX, each joining a story or starting one.

    Prints one JSON line per article: its id, its story id, a status (new_story,
    joined, merged, exists), the indexed articles it matched with their scores, and any
    stories its arrival merged. Re-adding an id already indexed changes nothing.
    Fingerprint options apply when the index is created; later they must match it.

    Examples:

        dedup index add stories.db feed-2024-06-01.jsonl

        dedup index add stories.db backfill.jsonl.gz --jobs 2 -o assignments.jsonl

        cat feed.jsonl | dedup index add live --store redis://localhost:6379/0 -
    """
    if quiet:
        quiet_logging()
    check_output(output)
    documents, reader = _documents(inputs, opts, "add")
    progress = StderrProgress(not quiet, min_items=ADD_PROGRESS_FROM)
    with _open(index, store, opts) as story_index:
        lines = (json.dumps(a.to_dict(), ensure_ascii=False) for a in story_index.add(documents, batch_size=batch_size, jobs=jobs))
        # the lines record what the index took, batch by batch: written as it goes
        count = _write_lines(lines, output, progress, whole=False)
        progress.close()
        if not quiet:
            report_problems(reader.problems)
            stats = story_index.stats()
            say(f"added {plural(count, 'article')}; the index holds {plural(stats['articles'], 'article')} in "
                f"{plural(stats['stories'], 'story', 'stories')}")


@index_group.command("query")
@click.argument("index")
@click.argument("inputs", nargs=-1, required=True)
@input_options
@fingerprint_options
@store_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the JSON lines here instead of stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
@friendly_errors
def query_command(index: str, inputs: tuple[str, ...], store: str | None, output: str | None, quiet: bool,
                  **opts: Any) -> None:
    """Show which story each article in INPUTS would join, without adding it.

    Prints the same JSON lines as `dedup index add`; the index is not changed.

    Example:

        dedup index query stories.db incoming.jsonl
    """
    _existing(index, store).close()  # a mistyped name must not leave an empty index behind
    check_output(output)
    documents, reader = _documents(inputs, opts, "query")
    with _open(index, store, opts) as story_index:
        _write_lines((json.dumps(a.to_dict(), ensure_ascii=False) for a in story_index.query(documents)), output)
        if not quiet:
            report_problems(reader.problems)


@index_group.command("stats")
@click.argument("index")
@store_option
@click.option("-f", "--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--check", is_flag=True, help="Also check the index's consistency; exit 1 when it fails.")
@friendly_errors
def stats_command(index: str, store: str | None, output_format: str, check: bool) -> None:
    """Counts of articles, stories, merges and pairs in INDEX, and its parameters.

    Example:

        dedup index stats stories.db --format json
    """
    with _existing(index, store) as story_index:
        stats = story_index.stats()
        problems = story_index.check() if check else []
        if check:
            stats["check"] = problems or "ok"
        if output_format == "json":
            click.echo(json.dumps(stats, indent=2, sort_keys=True))
        else:
            for key, value in stats.items():
                if key == "parameters":
                    value = json.dumps(value, sort_keys=True)
                click.echo(f"{key}: {value}")
        if problems:
            raise click.ClickException(f"{plural(len(problems), 'consistency problem')}: " + "; ".join(problems[:5]))


@index_group.command("prune")
@click.argument("index")
@store_option
@click.option("--older-than", required=True, help="Age to remove, like 7d, 12h, 30m, 2w.")
@click.option("--by", type=click.Choice(["published", "ingested"]), default="published", show_default=True,
              help="Age by the article's published time, or by when it was added.")
@click.option("--now", "now_text", metavar="ISO-TIME", help="Measure ages from this time instead of the clock.")
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
@friendly_errors
def prune_command(index: str, store: str | None, older_than: str, by: str, now_text: str | None, quiet: bool) -> None:
    """Remove articles older than --older-than from INDEX.

    Stories keep their ids; a story that loses the articles holding it together is
    split, and the split is recorded. With --by published, articles without a
    readable published time are kept.

    Examples:

        dedup index prune stories.db --older-than 7d

        dedup index prune stories.db --older-than 2w --by ingested
    """
    age = parse_duration(older_than)
    now = None
    if now_text is not None:
        now = parse_time(now_text)
        if now is None:
            raise ParameterError(f"--now {now_text!r} is not an ISO 8601 time")
    with _existing(index, store) as story_index:
        report = story_index.prune(age, by=by, now=now)  # type: ignore[arg-type]
        for merge in report.merges:
            click.echo(json.dumps({"from": merge.old, "into": merge.into, "kind": merge.kind}))
        if not quiet:
            kept = f", {report.kept_without_time} without a published time kept" if by == "published" else ""
            say(f"removed {plural(report.removed, 'article')}{kept}")


@index_group.command("export")
@click.argument("index")
@store_option
@click.option("-f", "--format", "report_format", type=click.Choice(["text", "json", "csv"]), default="text",
              show_default=True, help="Report format, as for `dedup scan`.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), help="Write the report here.")
@friendly_errors
def export_command(index: str, store: str | None, report_format: str, output: str | None) -> None:
    """Write the stories of INDEX as a `dedup scan` report.

    Clusters are the stories of two or more articles, with their story ids as cluster
    ids. The JSON report also lists story merges under "story_merges".

    Example:

        dedup index export stories.db --format json -o stories.json
    """
    from dedup.cli.options import write_output

    check_output(output)
    with _existing(index, store) as story_index:
        result = story_index.export()
        if report_format == "json":
            record = json.loads(render_json(result))
            record["story_merges"] = [
                {"from": m.old, "into": m.into, "kind": m.kind, "article": m.article}
                for m in story_index.store.merges()
            ]
            text = json.dumps(record, ensure_ascii=False, indent=2) + "\n"
        elif report_format == "csv" and output and output != "-":
            write_report(result, output, "csv")  # the table, and its parameters in OUTPUT.json
            return
        else:
            text = render(result, report_format)  # type: ignore[arg-type]
        write_output(text, output)
