"""The JSON Schemas shipped in ``dedup/schemas``, and a hook that checks every JSON report
and index line the test session produces against them.

:func:`validate_outputs` wraps the functions every JSON output goes through
(``dedup.report.records.to_json_dict`` for reports as dicts, ``iter_json`` for their text,
written a cluster at a time, and ``Assignment.to_dict`` for index lines) so that each
value they return is validated (the text once all of it was written); the originals still
do all the work. ``tests/conftest.py`` turns it on for the whole session.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import dedup
from dedup.report.encode import joined
from dedup.spools import FilePiece

SCHEMAS = Path(dedup.__file__).resolve().parent / "schemas"
SCHEMA_FILES = {"report": "report.schema.json", "index-line": "index-line.schema.json", "table": "table.schema.json"}
CHECKED = {"report": 0, "index-line": 0}


@functools.cache
def validator(name: str) -> Any:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed (pip install \".[test]\")")
    schema = json.loads((SCHEMAS / SCHEMA_FILES[name]).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def assert_valid(value: object, name: str = "report") -> None:
    """Fail with every schema error of ``value`` (a report, an index line or table metadata)."""
    errors = sorted(validator(name).iter_errors(value), key=lambda e: list(e.path))
    assert not errors, f"{len(errors)} {name} schema errors: " + "; ".join(
        f"{e.json_path}: {e.message[:200]}" for e in errors[:10]
    )


def _checked(function: Callable[..., Any], name: str) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        value = function(*args, **kwargs)
        # through JSON, as a reader sees it (tuples become lists)
        assert_valid(json.loads(json.dumps(value)), name)
        CHECKED[name] += 1
        return value

    return wrapper


def _checked_pieces(function: Callable[..., Iterator[str | bytes]]) -> Callable[..., Iterator[str | bytes]]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Iterator[str | bytes]:
        pieces = []
        for piece in function(*args, **kwargs):
            if isinstance(piece, FilePiece):  # taken as it comes: the writer gets its bytes
                piece = piece.read()
            pieces.append(piece)
            yield piece
        assert_valid(json.loads(joined(pieces)), "report")  # text, and records written as UTF-8
        CHECKED["report"] += 1

    return wrapper


@contextmanager
def validate_outputs() -> Iterator[None]:
    """Within this block, every JSON report and index line made in this process is validated."""
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        yield  # the schema tests themselves skip, naming the package
        return
    from dedup.index.core import Assignment
    import importlib

    from dedup.report import records

    render = importlib.import_module("dedup.report.render")  # the package exports a function of that name

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(records, "to_json_dict", _checked(records.to_json_dict, "report"))
        streamed = _checked_pieces(records.iter_json)
        patch.setattr(records, "iter_json", streamed)
        patch.setattr(render, "iter_json", streamed)
        patch.setattr(Assignment, "to_dict", _checked(Assignment.to_dict, "index-line"))
        yield
