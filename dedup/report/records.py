"""The JSON report: one record per pair, cluster, copy edge and outlet.

Every report carries ``schema_version`` and the scan's parameters; the layout is documented
in ``docs/schema.md``. Reports hold no timings or paths of the machine, so the same input
and parameters always give byte-identical output.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

import numpy as np

from dedup.report.ahead import Ahead, ahead_of_clusters
from dedup.report.elements import cluster_record, pair_chunks
from dedup.report.encode import dumps, dumps_utf8, dumps_utf8_nested, joined
from dedup.report.rounding import round_score
from dedup.spools import FilePiece
from dedup.story.links import Link, cluster_links
from dedup.story.provenance import OutletView, Provenance, analyse, analyse_cluster, outlet_view, summary_of, unread_dates
from dedup.story.result import SCHEMA_VERSION, Cluster, ScanResult, tool_info


def outlets_record(view: OutletView | None) -> dict[str, object] | None:
    if view is None:
        return None
    return {
        "outlets": list(view.outlets),
        "copies": {
            source: {target: view.copies[i][j] for j, target in enumerate(view.outlets)}
            for i, source in enumerate(view.outlets)
        },
        "originality": {
            row.outlet: {"clustered": row.clustered, "origins": row.origins, "share": round_score(row.originality)}
            for row in view.rows
        },
    }


def header_record(result: ScanResult) -> dict[str, object]:
    """What a report says before its clusters: versions, parameters and counts."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": tool_info(),
        "parameters": result.config.describe(),
        "summary": {**result.stats, "skipped": skipped_summary(result)},
    }


def skipped_records(result: ScanResult) -> list[dict[str, object]]:
    return [{"location": p.location, "kind": p.kind, "message": p.message} for p in result.problems]


def to_json_dict(result: ScanResult, provenances: list[Provenance] | None = None) -> dict[str, object]:
    """The JSON report as one dict (:func:`iter_json` writes the same text a cluster at a time)."""
    provenances = analyse(result) if provenances is None else provenances
    return {key: _materialised(value) for key, value in _report_items(result, provenances)}


def _materialised(value: object) -> object:
    if isinstance(value, _Later):
        return value.make()
    if isinstance(value, _Small):
        return list(value.records)
    return list(value) if isinstance(value, Iterator) else value


def _report_items(
    result: ScanResult, provenances: list[Provenance] | None, encoded: bool = False
) -> Iterator[tuple[str, object]]:
    """The report's top-level keys in order; the long lists as iterators, built as they are read.

    With ``provenances`` None, each cluster's provenance is analysed when its record is
    built; the outlets and unread dates after the clusters use what that gathered. With
    ``encoded``, a deferred scan's cluster records come as the text the workers wrote.
    """
    analysed: list[Provenance] = [] if provenances is None else provenances
    pairs = _Small(itertools.chain.from_iterable(pair_chunks(result, result.pairs, SMALL_CHUNK)))
    ahead, start = ahead_of_clusters(result, provenances, _iter_small(pairs.records)) if encoded else (None, None)
    clusters = cluster_records(result, provenances, analysed, json_element_utf8 if encoded else None, spare=start)
    try:
        yield from header_record(result).items()
        yield "clusters", clusters
        # evaluated after the clusters were read: the generators below run in order
        yield "outlets", _Later(lambda: outlets_record(outlet_view(result, analysed)))
        yield "unread_dates", _Later(lambda: unread_dates_record(result, analysed))
        yield "pairs", ahead if ahead is not None else pairs
        yield "skipped", skipped_records(result)
    finally:  # a report left unfinished (its writer failed) stops the thread
        if ahead is not None:
            ahead.close()


def cluster_records(
    result: ScanResult, provenances: list[Provenance] | None, analysed: list[Provenance],
    encode: Callable[[dict[str, object]], bytes] | None = None, spare: Callable[[], object] | None = None,
) -> Iterator[dict[str, object] | Encoded]:
    """The record of each cluster, in order, built as it is asked for.

    With ``provenances`` None, each cluster is analysed just before its record is built,
    and its provenance appended to ``analysed``. A deferred scan's clusters get their
    passages (:attr:`ScanResult.details`) as they come, and their members' texts only
    while their record is built. Given ``encode`` (a module-level function, sent to the
    workers), a deferred scan's records come as the :class:`Encoded` UTF-8 text the workers
    made of them, ``encode(record)``; ``spare()`` is called once a worker has none left
    to make.
    """
    links = cluster_links(result)
    if result.records is not None and encode is not None and provenances is None:
        write = partial(encoded_records, encode)
        records = result.records(result.clusters, links, write, in_files=True, spare=spare, parts=True)
        for data, summary in records:
            analysed.append(summary)
            yield Encoded(data if isinstance(data, tuple) else (data,))
        return
    if result.details is None:
        known = {(s.first, s.second): s for s in result.pairs}
        detailed: Iterator[tuple[Cluster, dict[int, str], Provenance | None]] = ((c, {}, None) for c in result.clusters)
    else:  # passages, texts and provenance made in the workers, a batch of clusters at a time
        detailed = result.details(result.clusters)
    docs = result.documents
    for k, (cluster, texts, provenance) in enumerate(detailed):
        for index, text in texts.items():
            docs[index] = docs[index].with_text(text)
        if provenances is None:
            analysed.append(provenance if provenance is not None else analyse_cluster(result, cluster, known))
        record = cluster_record(result, cluster, analysed[k], links.get(cluster.cluster_id, ()))
        for index in texts:
            docs[index] = docs[index].with_text("")
        if provenances is None:  # only the outlets and unread dates read it from now on
            analysed[k] = summary_of(analysed[k])
        yield record


@dataclass(frozen=True)
class Encoded:
    """A record already written as the report's text for it, in UTF-8, in one piece or in
    the parts that workers wrote of it: each in memory, or in a file a worker left it in
    (which whoever writes the report copies, and removes, before asking for the next piece:
    :func:`~dedup.report.encode.write_pieces`)."""

    pieces: tuple[bytes | memoryview | FilePiece, ...]


def encoded_records(
    encode: Callable[[dict[str, object]], bytes | memoryview], view: ScanResult, clusters: list[Cluster],
    provenances: list[Provenance], links: dict[str, tuple[Link, ...]], part: tuple[int, int] | None = None,
) -> list[bytes | memoryview]:
    """``encode`` of each cluster's record (run in a worker, on its view of the scan), or
    with ``part``, the pieces of that part of the one cluster's record (:func:`encoded_part`)."""
    if part is not None:
        (cluster,), (provenance,) = clusters, provenances
        return encoded_part(encode, view, cluster, provenance, links.get(cluster.cluster_id, ()), part)
    return [
        encode(cluster_record(view, cluster, provenance, links.get(cluster.cluster_id, ()), shared=True))
        for cluster, provenance in zip(clusters, provenances)
    ]


# What stands for the members in the record: a string no record's opening holds
_SLOT = "dedup:members"


def encoded_part(
    encode: Callable[[dict[str, object]], bytes | memoryview], view: ScanResult, cluster: Cluster,
    provenance: Provenance, links: tuple[Link, ...], part: tuple[int, int],
) -> list[bytes | memoryview]:
    """Part ``k`` of ``n`` (``part``) of ``encode`` of the cluster's record, in pieces: the
    pieces of the ``n`` parts joined in order are that text, byte for byte, and each worker
    writes one part. The pieces are views of the encoder's text, not copies of it.

    The members are shared out in consecutive runs (:func:`member_runs`). The record
    encoded with two slots for members gives its opening up to the members, what comes
    between two members, and the closing of a record without the rest; a run is encoded
    as such a record and cut out between them. The last part adds the rest of the record
    (pairs, links, provenance), encoded after a slot for the members.
    """
    number, parts = part
    slot = dumps_utf8(_SLOT)
    frame = cluster_record(view, cluster, shared=True, members=range(0), rest=False)
    frame["members"] = [_SLOT, _SLOT]
    text = bytes(encode(frame))
    first = text.find(slot)
    second = text.find(slot, first + len(slot))
    if first < 0 or second < 0:  # the encoder does not write the members: all in the first part
        whole = cluster_record(view, cluster, provenance, links, shared=True)
        return [encode(whole)] if number == 0 else []
    opening, between, closing = text[:first], text[first + len(slot) : second], text[second + len(slot) :]
    start, end = member_runs(cluster, provenance, parts)[number]
    run = memoryview(encode(cluster_record(view, cluster, shared=True, members=range(start, end), rest=False)))
    if bytes(run[: len(opening)]) != opening or bytes(run[len(run) - len(closing) :]) != closing:
        raise RuntimeError(f"cluster {cluster.cluster_id}: its members were not written where its record holds them")
    pieces = [opening if number == 0 else between, run[len(opening) : len(run) - len(closing)]]
    if number == parts - 1:  # the rest follows the slot, which follows the same opening
        whole = cluster_record(view, cluster, provenance, links, shared=True, members=range(0))
        whole["members"] = [_SLOT]
        rest = memoryview(encode(whole))
        if bytes(rest[: len(opening) + len(slot)]) != opening + slot:
            raise RuntimeError(f"cluster {cluster.cluster_id}: its record does not open as its members' parts do")
        pieces.append(rest[len(opening) + len(slot) :])
    return pieces


def member_runs(cluster: Cluster, provenance: Provenance, parts: int) -> list[tuple[int, int]]:
    """``parts`` consecutive runs of the cluster's members, ``(start, end)``, each of one
    member at least, and of about the same weight counting the rest of the record in the
    last. Weights are about the time each takes to build and write, counted in characters
    of passage text: a counterpart 150 (it is one dict shared by the passages it appears
    in), a passage 250, a pair 800, a sibling pair 550, a copy edge 10,000."""
    weights = np.fromiter(
        (sum(250 + 150 * len(d.counterparts) + d.passage.end - d.passage.start for d in m.passages)
         for m in cluster.members),
        dtype=np.int64, count=len(cluster.members),
    )
    rest = 800 * len(cluster.pairs) + 550 * len(provenance.siblings) + 10_000 * len(provenance.edges)
    ends = np.cumsum(weights)
    total = int(ends[-1]) + rest
    cuts = [0]
    for number in range(1, parts):
        cut = int(np.searchsorted(ends, total * number / parts)) + 1
        cuts.append(min(max(cut, cuts[-1] + 1), len(weights) - (parts - number)))
    cuts.append(len(weights))
    return list(zip(cuts, cuts[1:]))


def no_records(view: ScanResult, clusters: list[Cluster], provenances: list[Provenance], links: object) -> list[bytes]:
    """No record at all: for a caller of a deferred scan's records that wants only the
    provenance summaries (``dedup eval --scan``)."""
    return [b""] * len(clusters)


def json_element(record: dict[str, object]) -> str:
    """``record`` as an element of one of the JSON report's top-level lists."""
    return dumps(record, nested=4)


def json_element_utf8(record: dict[str, object]) -> bytes | memoryview:
    """:func:`json_element` in UTF-8 (a worker's, sent back as bytes; a view of the
    encoder's output, which a large record is not copied out of)."""
    return dumps_utf8_nested(record, 4)


class _Small:
    """Records small enough to be written many at a time (a corpus has millions of pairs)."""

    def __init__(self, records: Iterator[dict[str, object]]) -> None:
        self.records = records


# Small records written at a time: one encoder call and one check of their values for many.
SMALL_CHUNK = 512


class _Later:
    """A value computed when the writer reaches it (after the clusters before it)."""

    def __init__(self, make: Callable[[], object]) -> None:
        self.make = make


def iter_json(result: ScanResult, provenances: list[Provenance] | None = None) -> Iterator[str | bytes]:
    """The JSON report's text in pieces, a cluster or a pair at a time (the records the
    workers wrote as UTF-8 bytes, the rest as text: :func:`~dedup.report.encode.utf8_pieces`
    writes both).

    The pieces joined are ``json.dumps(to_json_dict(result), ensure_ascii=False, indent=2)``
    and a newline, byte for byte: each element of a long list is written on its own and
    indented as that call would indent it (JSON text holds no raw newline but between
    tokens, so indenting is adding spaces after each newline). Memory holds one cluster's
    record at a time, not the whole report and its text.
    """
    opening = "{"
    for key, value in _report_items(result, provenances, encoded=True):
        yield f"{opening}\n  {dumps(key)}: "
        opening = ","
        if isinstance(value, _Later):
            value = value.make()
        if isinstance(value, Ahead):
            yield from value
        elif isinstance(value, _Small):
            yield from _iter_small(value.records)
        elif isinstance(value, Iterator):
            yield from _iter_list(value)
        else:
            yield dumps(value, nested=2)
    yield "\n}\n" if opening == "," else "{}\n"


def _iter_list(elements: Iterator[object]) -> Iterator[str | bytes]:
    """A list of the report's top level, as ``json.dumps(..., indent=2)`` writes it, element by element."""
    separator = "[\n    "
    for element in elements:
        if isinstance(element, Encoded):
            yield separator
            yield from element.pieces
        else:
            yield separator + json_element(element)
        separator = ",\n    "
    yield "[]" if separator == "[\n    " else "\n  ]"


def _iter_small(records: Iterator[dict[str, object]]) -> Iterator[bytes | str]:
    """:func:`_iter_list` of small records, :data:`SMALL_CHUNK` at a time: a chunk written as
    a list inside the report (``nested=2``) is its elements as the report writes them,
    between the list's brackets."""
    opening = b"[\n    "
    while chunk := list(itertools.islice(records, SMALL_CHUNK)):
        text = dumps_utf8(chunk, nested=2)  # b"[\n    " element b",\n    " element ... b"\n  ]"
        yield opening + text[len(b"[\n    ") : -len(b"\n  ]")]
        opening = b",\n    "
    yield "[]" if opening == b"[\n    " else "\n  ]"


UNREAD_DATE_EXAMPLES = 5


def unread_dates_record(result: ScanResult, provenances: list[Provenance]) -> dict[str, object]:
    """Clustered documents whose date could not be read: how many, and a few examples."""
    unread = unread_dates(result, provenances)
    examples = [
        {"doc_id": result.documents[u.doc].doc_id, "published": u.published, "problem": u.problem}
        for u in unread[:UNREAD_DATE_EXAMPLES]
    ]
    return {"count": len(unread), "examples": examples}


def skipped_summary(result: ScanResult) -> dict[str, int]:
    summary: dict[str, int] = {}
    for problem in result.problems:
        summary[problem.kind] = summary.get(problem.kind, 0) + 1
    return dict(sorted(summary.items()))


def render_json(result: ScanResult, provenances: list[Provenance] | None = None) -> str:
    # orjson where it writes what json.dumps(..., ensure_ascii=False, indent=2) writes (see encode)
    return joined(iter_json(result, provenances))
