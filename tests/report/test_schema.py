"""The JSON Schemas in dedup/schemas hold for real outputs: reports of scan, compare and
index export, index lines, table metadata, on the seeds, fixtures and a generated corpus.

(Besides these, ``tests/conftest.py`` checks every report and index line the suite makes.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dedup
from benchmarks.corpus import write_corpus
from dedup.cli import main
from tests.conftest import SEED_ORIGINAL, SEED_TRIM
from tests.schema_check import CHECKED, SCHEMA_FILES, SCHEMAS, assert_valid, validator

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_the_schemas_are_draft_2020_12_and_shipped():
    for name, file in SCHEMA_FILES.items():
        schema = json.loads((SCHEMAS / file).read_text(encoding="utf-8"))
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        validator(name)  # check_schema passes
    setup = (Path(__file__).resolve().parents[2] / "setup.cfg").read_text(encoding="utf-8")
    assert "schemas/*.json" in setup


def test_seed_report(seed_report):
    assert_valid(seed_report)


def test_report_with_outlets_problems_and_metadata(runner, tmp_path):
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "x"}\nnot json\n', encoding="utf-8")
    result = runner.invoke(main, ["scan", str(FIXTURES / "outlets.jsonl"), str(broken), "-f", "json", "-q"])
    report = json.loads(result.stdout)
    assert report["outlets"] is not None and {s["kind"] for s in report["skipped"]} == {"missing_field", "malformed"}
    assert_valid(report)


def test_compare_report(runner, seeds_dir):
    result = runner.invoke(main, ["compare", str(seeds_dir / SEED_ORIGINAL), str(seeds_dir / SEED_TRIM), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert_valid(json.loads(result.stdout))


def test_index_lines_and_export(runner, seeds_dir, tmp_path):
    db, lines = str(tmp_path / "stories.db"), tmp_path / "lines.jsonl"
    assert runner.invoke(main, ["index", "add", db, str(seeds_dir), "-o", str(lines), "-q"]).exit_code == 0
    records = [json.loads(line) for line in lines.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 3 and {r["status"] for r in records} >= {"new_story", "joined"}
    for record in records:
        assert_valid(record, "index-line")
    exported = runner.invoke(main, ["index", "export", db, "-f", "json"])
    report = json.loads(exported.stdout)
    assert "story_merges" in report
    assert_valid(report)


def test_generated_corpus_report(tmp_path):
    path = tmp_path / "corpus.jsonl"
    write_corpus(path, 300, seed=5)
    report = dedup.scan(path).to_dict()
    assert report["summary"]["clusters"] > 10
    assert_valid(report)


def test_table_metadata(runner, seeds_dir, tmp_path):
    for table in ("pairs", "edges", "outlets", "members"):
        output = tmp_path / f"{table}.csv"
        assert runner.invoke(main, ["scan", str(seeds_dir), "-q", "-f", "csv", "--table", table, "-o", str(output)]).exit_code == 0
        assert_valid(json.loads((tmp_path / f"{table}.csv.json").read_text(encoding="utf-8")), "table")


def test_an_invalid_report_fails(seed_report):
    broken = json.loads(json.dumps(seed_report))
    broken["clusters"][0]["members"][0]["unique_passages"] = "none"
    del broken["summary"]["clusters"]
    with pytest.raises(AssertionError, match="2 report schema errors"):
        assert_valid(broken)


def test_the_session_hook_checks_every_report(seeds_dir):
    pytest.importorskip("jsonschema", reason="jsonschema is not installed (pip install \".[test]\")")
    before = CHECKED["report"]
    dedup.scan(seeds_dir).to_json()
    assert CHECKED["report"] == before + 1
