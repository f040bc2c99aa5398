"""Reports of a scan: text (default), JSON, CSV and HTML, each in a module of its own."""

from __future__ import annotations

from typing import Literal

from dedup.report.records import render_json
from dedup.report.tables import CsvTable, render_csv
from dedup.report.text import render_text
from dedup.story.provenance import analyse
from dedup.story.result import ScanResult

ReportFormat = Literal["text", "json", "csv", "html"]


def render(result: ScanResult, report_format: ReportFormat, table: CsvTable = "pairs") -> str:
    """The report of ``result`` in one format; ``table`` picks the CSV table."""
    if report_format == "csv":
        # the pairs table needs no provenance; render_csv analyses only for the other tables
        return render_csv(result, table)
    provenances = analyse(result)
    if report_format == "json":
        return render_json(result, provenances)
    if report_format == "html":
        from dedup.report.html import (
            render_html,  # the HTML module is large; load it only when asked
        )

        return render_html(result, provenances)
    return render_text(result, provenances)
