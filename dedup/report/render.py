"""Reports of a scan: text (default), JSON, JSON lines, CSV, HTML and Parquet, each in a module of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from dedup.errors import ParameterError
from dedup.io.outputs import replacing
from dedup.report.encode import write_pieces
from dedup.report.lines import iter_jsonl, render_jsonl
from dedup.report.records import iter_json, render_json
from dedup.report.sections import iter_html, iter_text
from dedup.report.tables import CsvTable, render_csv, write_csv_table
from dedup.report.text import render_text
from dedup.story.provenance import analyse
from dedup.story.result import ScanResult

ReportFormat = Literal["text", "json", "jsonl", "csv", "html"]
FileFormat = Literal["text", "json", "jsonl", "csv", "html", "parquet"]


def render(result: ScanResult, report_format: ReportFormat, table: CsvTable = "pairs") -> str:
    """The report of ``result`` in one format; ``table`` picks the CSV table."""
    if report_format == "csv":
        # the pairs table needs no provenance; render_csv analyses only for the other tables
        return render_csv(result, table)
    provenances = analyse(result)
    if report_format == "json":
        return render_json(result, provenances)
    if report_format == "jsonl":
        return render_jsonl(result, provenances)
    if report_format == "html":
        from dedup.report.html import (
            render_html,  # the HTML module is large; load it only when asked
        )

        return render_html(result, provenances)
    return render_text(result, provenances)


def iter_render(result: ScanResult, report_format: ReportFormat, table: CsvTable = "pairs") -> Iterator[str | bytes]:
    """:func:`render`'s text in pieces. JSON and JSON lines come a cluster (or pair) at a
    time, each cluster analysed as it is written, so memory holds one cluster's record at a
    time rather than the whole report; text and HTML keep their clusters' sections in a
    temporary file until the head that every cluster decides is written
    (:mod:`dedup.report.sections`); CSV comes in one piece. What workers wrote comes as
    UTF-8 bytes (:func:`~dedup.report.encode.write_pieces` writes them all as UTF-8)."""
    if report_format == "json":
        return iter_json(result)
    if report_format == "jsonl":
        return iter_jsonl(result)
    if report_format == "text":
        return iter_text(result)
    if report_format == "html":
        return iter_html(result)
    return iter([render(result, report_format, table)])


def write_report(result: ScanResult, path: str | Path, report_format: FileFormat, table: CsvTable = "pairs") -> list[Path]:
    """Write the report to the file ``path``; returns the files written. Each file appears
    whole or not at all (:func:`~dedup.io.outputs.replacing`).

    CSV also writes its sidecar ``path.json`` (schema version and parameters); Parquet
    keeps them inside the file. Other formats are the text :func:`render` gives.
    """
    if report_format == "parquet":
        from dedup.report.parquet import write_parquet_table  # needs pyarrow

        write_parquet_table(result, path, table)
        return [Path(path)]
    if report_format == "csv":
        return [Path(path), write_csv_table(result, path, table)]
    if report_format not in ("text", "json", "jsonl", "html"):
        raise ParameterError(f"unknown report format {report_format!r}")
    with replacing(str(path), "wb") as out:
        write_pieces(out, iter_render(result, report_format, table))
    return [Path(path)]
