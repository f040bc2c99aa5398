"""The JSON-lines report: each line parses and holds the JSON report's records."""

from __future__ import annotations

import json

from benchmarks.corpus import generate
from dedup.cli import main
from dedup.document import Document
from dedup.pipeline import scan_documents
from dedup.report import render, render_jsonl, to_json_dict
from tests.conftest import SEED_ORIGINAL, SEED_TRIM
from tests.schema_check import assert_valid


def parse(text: str) -> list[dict]:
    assert text.endswith("\n")
    lines = text[:-1].split("\n")
    records = [json.loads(line) for line in lines]
    assert all(isinstance(r, dict) and list(r)[0] == "type" for r in records)
    return records


def untagged(record: dict) -> dict:
    return {key: value for key, value in record.items() if key != "type"}


def test_lines_hold_the_json_report_records():
    docs = [Document(a.doc_id, a.text, source=a.source, published=a.published) for a in generate(300, seed=11)]
    result = scan_documents(docs)
    report = to_json_dict(result)
    records = parse(render_jsonl(result))
    types = [r["type"] for r in records]
    # header, clusters, outlets, pairs, skipped: in that order, each kind together
    order = ["header", "cluster", "outlets", "pair", "skipped"]
    assert types == sorted(types, key=order.index)
    assert types[0] == "header" and types.count("header") == 1
    header = untagged(records[0])
    assert header == {key: report[key] for key in ("schema_version", "tool", "parameters", "summary")}
    clusters = [untagged(r) for r in records if r["type"] == "cluster"]
    assert len(clusters) > 10 and clusters == report["clusters"]
    assert all("provenance" in c for c in clusters)
    (outlets,) = [untagged(r) for r in records if r["type"] == "outlets"]
    assert outlets == report["outlets"]
    assert [untagged(r) for r in records if r["type"] == "pair"] == report["pairs"]
    assert [untagged(r) for r in records if r["type"] == "skipped"] == report["skipped"]
    # put back together, the lines are a report that follows the report's JSON Schema
    assert_valid({**header, "clusters": clusters, "outlets": outlets,
                  "pairs": [untagged(r) for r in records if r["type"] == "pair"],
                  "skipped": [untagged(r) for r in records if r["type"] == "skipped"]})


def test_no_outlets_line_without_sources_and_skipped_lines_for_bad_records(tmp_path, runner, seeds_dir):
    feed = tmp_path / "feed.jsonl"
    lines = [json.dumps({"id": p.name, "text": p.read_text(encoding="utf-8")}) for p in sorted(seeds_dir.iterdir())]
    feed.write_text("\n".join(lines + ['{"id": "broken"', '{"id": "empty", "text": ""}']) + "\n", encoding="utf-8")
    result = runner.invoke(main, ["scan", str(feed), "--format", "jsonl", "-q"])
    assert result.exit_code == 0, result.output
    records = parse(result.stdout)
    assert [r["type"] for r in records] == ["header", "cluster", "pair", "pair", "pair", "skipped", "skipped"]
    assert records[0]["summary"]["skipped"] == {"empty": 1, "malformed": 1}
    assert {r["kind"] for r in records[-2:]} == {"empty", "malformed"}


def test_scan_and_compare_write_jsonl(runner, seeds_dir, seed_report, tmp_path):
    target = tmp_path / "report.jsonl"
    result = runner.invoke(main, ["scan", str(seeds_dir), "--format", "jsonl", "-o", str(target), "-q"])
    assert result.exit_code == 0, result.output
    records = parse(target.read_text(encoding="utf-8"))
    assert [untagged(r) for r in records if r["type"] == "cluster"] == seed_report["clusters"]
    compared = runner.invoke(
        main, ["compare", str(seeds_dir / SEED_ORIGINAL), str(seeds_dir / SEED_TRIM), "--format", "jsonl", "-q"]
    )
    assert compared.exit_code == 0, compared.output
    records = parse(compared.stdout)
    (cluster,) = [r for r in records if r["type"] == "cluster"]
    assert sorted(m["doc_id"] for m in cluster["members"]) == [SEED_TRIM, SEED_ORIGINAL]


def test_render_takes_jsonl(seeds_dir):
    from dedup.pipeline import scan

    result = scan([seeds_dir])
    assert render(result, "jsonl") == render_jsonl(result)
