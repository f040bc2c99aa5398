"""The JSON-lines report: one record per line, each tagged by ``type``, for pipelines.

The lines hold what the JSON report holds, in its order (layout in ``docs/schema.md``):

    {"type":"header","schema_version":2,"tool":...,"parameters":...,"summary":...}
    {"type":"cluster", ...the JSON report's cluster record, provenance included}   one per cluster
    {"type":"outlets", ...the JSON report's outlets record}     only when articles name outlets
    {"type":"pair", ...a pair record}                            one per verified pair
    {"type":"skipped","location":...,"kind":...,"message":...}   one per skipped input record

Each line is a record the JSON report holds, with ``type`` put first; a consumer can
stop reading after the clusters, and each cluster line is built and written on its own.
"""

from __future__ import annotations

from collections.abc import Iterator

from dedup.report.encode import dumps, dumps_utf8, joined
from dedup.report.records import (
    Encoded,
    cluster_records,
    header_record,
    outlets_record,
    pair_record,
    skipped_records,
)
from dedup.story.provenance import Provenance, outlet_view
from dedup.story.result import ScanResult


def line_records(
    result: ScanResult, provenances: list[Provenance] | None = None, encoded: bool = False
) -> Iterator[dict[str, object] | Encoded]:
    """The records of the JSON-lines report, in order, each with its ``type`` first.

    With ``encoded``, a deferred scan's cluster lines come as the text the workers wrote.
    """
    analysed: list[Provenance] = [] if provenances is None else provenances
    yield {"type": "header", **header_record(result)}
    # each analysed as its line is written
    for record in cluster_records(result, provenances, analysed, cluster_line if encoded else None):
        yield record if isinstance(record, Encoded) else {"type": "cluster", **record}
    outlets = outlets_record(outlet_view(result, analysed))
    if outlets is not None:
        yield {"type": "outlets", **outlets}
    for score in result.pairs:
        yield {"type": "pair", **pair_record(result, score)}
    for skipped in skipped_records(result):
        yield {"type": "skipped", **skipped}


def iter_jsonl(result: ScanResult, provenances: list[Provenance] | None = None) -> Iterator[str | bytes]:
    """The report's lines, each a compact JSON object ending in a newline (the cluster
    lines the workers wrote as UTF-8 bytes, the rest as text)."""
    for record in line_records(result, provenances, encoded=True):
        if isinstance(record, Encoded):
            yield record.data
            yield "\n"
        else:
            yield dumps(record, indent=False) + "\n"


def cluster_line(record: dict[str, object]) -> bytes:
    """A cluster's line in UTF-8, without its newline (a worker's, sent back as bytes)."""
    return dumps_utf8({"type": "cluster", **record}, indent=False)


def render_jsonl(result: ScanResult, provenances: list[Provenance] | None = None) -> str:
    return joined(iter_jsonl(result, provenances))
