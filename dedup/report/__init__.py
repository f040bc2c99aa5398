"""Reports: text, JSON, JSON lines, CSV tables and the HTML report, rendered from a scan's result."""

from dedup.report.lines import render_jsonl
from dedup.report.records import render_json, to_json_dict
from dedup.report.render import render
from dedup.report.tables import render_csv
from dedup.report.text import render_text

__all__ = ["render", "render_csv", "render_json", "render_jsonl", "render_text", "to_json_dict"]
