"""The text and HTML reports, a cluster at a time.

Both open with what every cluster's provenance decides (the text report's unread dates;
the page's table of clusters and its outlets), so no cluster's section can be written
before the last cluster is analysed. Each section is made where its cluster is analysed:
in the workers of a deferred scan (:attr:`~dedup.story.result.ScanResult.records`), as
the JSON report's records are, so ``--jobs`` speeds these reports up too. The sections
wait in an unnamed temporary file (``tempfile.TemporaryFile``: it has no name on disk,
so the kernel frees it however the run ends) while memory holds only each cluster's
provenance summary; once the last is made, the head is written, then the sections.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence

from dedup.report.html import PAGE_END, html_sections, listing_row, page_head, section_parts, template_parts
from dedup.report.terminal import terminal_safe
from dedup.report.text import cluster_title, head_lines, outlet_lines, text_sections
from dedup.story.links import cluster_links
from dedup.story.provenance import Provenance, analyse, outlet_view
from dedup.story.result import ScanResult
from dedup.spools import temporary_files_error

Write = Callable[..., list[bytes]]


class _Kept:
    """Byte strings kept in an unnamed temporary file, read back once, in order."""

    def __init__(self) -> None:
        try:
            self._file = tempfile.TemporaryFile()
        except OSError as exc:
            raise temporary_files_error(exc, None) from exc
        self._lengths: list[int] = []

    def add(self, data: bytes) -> None:
        try:
            self._file.write(data)
        except OSError as exc:
            raise temporary_files_error(exc, None) from exc
        self._lengths.append(len(data))

    def __iter__(self) -> Iterator[bytes]:
        self._file.seek(0)
        for length in self._lengths:
            yield self._file.read(length)

    def close(self) -> None:
        try:
            self._file.close()
        except OSError:
            pass  # a last buffered write failed again: the file is gone all the same


def per_cluster(
    result: ScanResult, provenances: Sequence[Provenance] | None, write: Write
) -> Iterator[tuple[bytes, Provenance]]:
    """``write(view, clusters, provenances, links)``'s bytes for each cluster of ``result``,
    in order, with its provenance: made in the workers of a deferred scan (which send back
    the provenance's summary), or here from ``provenances`` (analysed here when None)."""
    links = cluster_links(result)
    if provenances is None and result.records is not None:
        yield from result.records(result.clusters, links, write)
        return
    chosen = analyse(result) if provenances is None else provenances
    for cluster, provenance in zip(result.clusters, chosen):
        yield write(result, [cluster], [provenance], links)[0], provenance


def _kept_sections(
    result: ScanResult, provenances: Sequence[Provenance] | None, write: Write
) -> tuple[_Kept, list[Provenance]]:
    """Every cluster's section made by ``write`` (:func:`per_cluster`), kept, and its provenance."""
    kept, analysed = _Kept(), []
    try:
        for data, provenance in per_cluster(result, provenances, write):
            kept.add(data)
            analysed.append(provenance)
    except BaseException:
        kept.close()
        raise
    return kept, analysed


def iter_text(result: ScanResult, provenances: Sequence[Provenance] | None = None) -> Iterator[str | bytes]:
    """The text report (:func:`~dedup.report.text.render_text`'s text) in pieces."""
    kept, analysed = _kept_sections(result, provenances, text_sections)
    try:
        yield terminal_safe("\n".join(head_lines(result, analysed)), keep_lines=True)
        for rank, (cluster, section) in enumerate(zip(result.clusters, kept), start=1):
            yield terminal_safe("\n\n" + cluster_title(rank, cluster), keep_lines=True)
            if section:
                yield b"\n" + section
        yield terminal_safe("".join("\n" + line for line in outlet_lines(outlet_view(result, analysed))), keep_lines=True)
        yield "\n"
    finally:
        kept.close()


def iter_html(result: ScanResult, provenances: Sequence[Provenance] | None = None) -> Iterator[str | bytes]:
    """The HTML report (:func:`~dedup.report.html.render_html`'s page) in pieces."""
    kept, analysed = _kept_sections(result, provenances, html_sections)
    try:
        ranked = list(enumerate(zip(result.clusters, analysed), start=1))
        yield page_head(result, analysed, [listing_row(result, rank, c, p) for rank, (c, p) in ranked])
        bodies, later = iter(kept), []
        for rank, (cluster, provenance) in ranked:
            opening, closing, inline = section_parts(result, rank, cluster, provenance)
            if inline:  # the first ones: their bodies come first in the file too
                yield opening
                yield next(bodies)
                yield closing
            else:
                yield opening + closing
                later.append(cluster)
        for cluster in later:  # the other bodies, in order, after the sections
            opening, closing = template_parts(cluster)
            yield opening
            yield next(bodies)
            yield closing
        yield PAGE_END
    finally:
        kept.close()


__all__ = ["iter_html", "iter_text", "per_cluster"]
