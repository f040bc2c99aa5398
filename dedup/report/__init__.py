"""Reports: text, JSON, CSV tables and the HTML report, rendered from a scan's result."""

from dedup.report.render import (
    render,
    render_csv,
    render_json,
    render_text,
    to_json_dict,
)

__all__ = ["render", "render_csv", "render_json", "render_text", "to_json_dict"]
