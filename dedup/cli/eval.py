"""``dedup eval``: score a scan against labelled pairs or groups on the command line.

The command reads the labels, takes predictions from a JSON report or from a scan it runs
itself, calls :func:`dedup.evaluate.evaluate` and prints the scores. Library errors
become one-line messages (see :func:`dedup.cli.friendly_errors`).
"""

from __future__ import annotations

import json
from typing import Any

import click
from click.core import ParameterSource

from dedup.cli.options import (
    StderrProgress,
    build_config,
    check_output,
    fingerprint_options,
    friendly_errors,
    input_options,
    match_options,
    write_output,
)
from dedup.errors import DedupError
from dedup.evaluate import (
    Evaluation,
    Labels,
    Predictions,
    evaluate,
    load_labels,
    read_report,
)
from dedup.pipeline import scanning
from dedup.report.records import no_records
from dedup.report.sections import per_cluster
from dedup.story.result import ScanResult


def predictions_from_result(result: ScanResult) -> Predictions:
    """Clusters and origins of a scan run with detail, as :func:`dedup.evaluate.read_report`
    would read them from its JSON report. A deferred scan's provenance is analysed in its
    workers, a batch of clusters at a time, and only its summary comes back."""
    docs = result.documents
    clusters = {docs[m.index].doc_id: c.cluster_id for c in result.clusters for m in c.members}
    analysed = [provenance for _, provenance in per_cluster(result, None, no_records)]
    origins = {
        c.cluster_id: docs[p.origin.doc].doc_id if p.origin.doc is not None else None
        for c, p in zip(result.clusters, analysed)
    }
    return Predictions(clusters, origins)


def _number(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def format_summary(evaluation: Evaluation, labels: Labels) -> str:
    """The scores as a few readable lines."""
    e = evaluation
    lines = [
        f"labels: {len(labels.pairs)} pairs, {len(labels.groups)} positive groups, {e.documents} documents",
        (f"pairs: {e.positive_pairs} positive, {e.negative_pairs} negative; precision {_number(e.pair_precision)}, "
        f"recall {_number(e.pair_recall)}, F1 {_number(e.pair_f1)} ({e.true_positives} true and "
        f"{e.false_positives} false positives)"),
        "grouped, by label: " + ", ".join(f"{c.label} {c.grouped}/{c.pairs} ({_number(c.rate)})" for c in e.classes),
    ]
    if labels.groups:
        lines.append(f"cross-group merges: {e.cross_group_merged} of {e.cross_group_pairs} pairs from groups of "
                     f"different lineage ({_number(e.cross_group_merged_fraction)})")
    lines.append(f"B-cubed: precision {_number(e.bcubed_precision)}, recall {_number(e.bcubed_recall)}, "
                 f"F1 {_number(e.bcubed_f1)}; ARI {_number(e.ari)}")
    largest = (f"; the largest, {e.largest_cluster_id}, holds {e.largest_cluster_size} documents"
               if e.largest_cluster_id else "")
    lines.append(f"predicted clusters of 2 or more documents: {e.predicted_clusters}{largest}")
    if e.origin_pairs:
        lines.append(f"origin: right for {e.origin_correct} of {e.origin_pairs} grouped pairs with a labelled "
                     f"source ({_number(e.origin_accuracy)}); {e.origin_undetermined} undetermined")
    lines.extend(f"note: {note}" for note in e.notes)
    return "\n".join(lines) + "\n"


def _refuse_scan_options_without_scan(opts: dict[str, Any]) -> None:
    context = click.get_current_context()
    for name in opts:
        if context.get_parameter_source(name) not in (ParameterSource.DEFAULT, None):
            raise click.UsageError(f"--{name.replace('_', '-')} applies with --scan only")


@click.command("eval")
@click.argument("labels_path", metavar="LABELS", type=click.Path(dir_okay=False))
@click.argument("inputs", nargs=-1, required=True)
@click.option("--scan", "run_scan", is_flag=True,
              help="Scan INPUTS (any inputs scan reads) and score that, instead of reading a JSON report.")
@input_options
@fingerprint_options
@match_options
@click.option("-f", "--format", "report_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Readable summary, or the scores as JSON.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), help="Write the scores here.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes for --scan.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or warnings on stderr.")
@friendly_errors
def eval_command(
    labels_path: str, inputs: tuple[str, ...], run_scan: bool, report_format: str, output: str | None, jobs: int,
    quiet: bool, **opts: Any,
) -> None:
    """Score clusters against LABELS: pair precision/recall, B-cubed, ARI, wrong merges, origins.

    LABELS is JSONL: pairs {"a", "b", "label": "positive"|"negative", "source": optional},
    COUNTER pairs {"a", "b", "reuse": "WD"|"PD"|"ND", "agency"}, or groups
    {"type": "positive", "ids": [...], "lineage": optional} and
    {"type": "hard_negative", "ids": [a, b]}. Then either one REPORT.json made by
    `dedup scan --format json`, or INPUTS with --scan.

    Examples:

        dedup eval labels.jsonl report.json

        dedup eval labels.jsonl feed.jsonl --scan --format json

        dedup eval pairs.jsonl docs.jsonl --scan --published-field date
    """
    labels = load_labels(labels_path)
    check_output(output)
    if run_scan:
        progress = StderrProgress(not quiet)
        with scanning(inputs, build_config(opts), progress=progress, jobs=jobs, detail=True, defer=True) as result:
            progress.close()
            predictions = predictions_from_result(result)
        scanned = {doc.doc_id for doc in result.documents}
        missing = [d for d in labels.documents if d not in scanned]
        if missing and not quiet:
            click.echo(f"warning: {len(missing)} of {len(labels.documents)} labelled documents are not in the scan "
                       f"(first: {missing[0]!r}); they count as singletons", err=True)
    else:
        _refuse_scan_options_without_scan(opts)
        if len(inputs) != 1:
            raise click.UsageError("give one REPORT.json, or add --scan to scan INPUTS")
        try:
            predictions = read_report(inputs[0])
        except DedupError as exc:
            raise click.ClickException(f"{exc} (to scan INPUTS instead, add --scan)") from None
    evaluation = evaluate(predictions, labels)
    if report_format == "json":
        text = json.dumps(evaluation.to_dict(), ensure_ascii=False, indent=2) + "\n"
    else:
        text = format_summary(evaluation, labels)
    write_output(text, output)
