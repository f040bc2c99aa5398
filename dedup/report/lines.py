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

from dedup.report.ahead import ahead_of_clusters
from dedup.report.encode import Plain, dumps, dumps_utf8, joined, lines_utf8
from dedup.report.elements import pair_chunks
from dedup.report.records import (
    SMALL_CHUNK,
    Encoded,
    cluster_records,
    header_record,
    outlets_record,
    skipped_records,
)
from dedup.story.provenance import Provenance, outlet_view
from dedup.story.result import ScanResult


def iter_jsonl(result: ScanResult, provenances: list[Provenance] | None = None) -> Iterator[str | bytes]:
    """The report's lines, each a compact JSON object ending in a newline (the cluster
    lines the workers wrote and the pair lines, as UTF-8 bytes; the rest as text).

    Each record is the JSON report's, with its ``type`` first. The pairs are written
    :data:`~dedup.report.records.SMALL_CHUNK` at a time, and where the workers write the
    cluster lines, by a thread meanwhile.
    """
    analysed: list[Provenance] = [] if provenances is None else provenances
    pairs, start = ahead_of_clusters(result, provenances, _pair_lines(result))
    try:
        yield dumps({"type": "header", **header_record(result)}, indent=False) + "\n"
        # each analysed as its line is written
        for record in cluster_records(result, provenances, analysed, cluster_line, spare=start):
            if isinstance(record, Encoded):
                yield from record.pieces
                yield "\n"
            else:
                yield dumps({"type": "cluster", **record}, indent=False) + "\n"
        outlets = outlets_record(outlet_view(result, analysed))
        if outlets is not None:
            yield dumps({"type": "outlets", **outlets}, indent=False) + "\n"
        yield from pairs
        for skipped in skipped_records(result):
            yield dumps({"type": "skipped", **skipped}, indent=False) + "\n"
    finally:  # a report left unfinished (its writer failed) stops the thread
        pairs.close()


def _pair_lines(result: ScanResult) -> Iterator[bytes]:
    for chunk in pair_chunks(result, result.pairs, SMALL_CHUNK):
        yield lines_utf8([Plain(type="pair", **record) for record in chunk])


def cluster_line(record: dict[str, object]) -> bytes:
    """A cluster's line in UTF-8, without its newline (a worker's, sent back as bytes)."""
    return dumps_utf8({"type": "cluster", **record}, indent=False)


def render_jsonl(result: ScanResult, provenances: list[Provenance] | None = None) -> str:
    return joined(iter_jsonl(result, provenances))
