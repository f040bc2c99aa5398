"""`dedup index` commands through CliRunner."""

from __future__ import annotations

import json

import pytest

from benchmarks.corpus import generate
from dedup.cli import main
from tests.conftest import write_jsonl

COMMANDS = ["add", "query", "stats", "prune", "export"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_index_command_has_an_example(runner, command):
    result = runner.invoke(main, ["index", command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and "dedup index" in result.output


def test_index_group_help_has_an_example(runner):
    result = runner.invoke(main, ["index", "--help"])
    assert result.exit_code == 0 and "Example" in result.output


@pytest.fixture()
def feed(tmp_path):
    records = [{"id": a.doc_id, "text": a.text, "published": a.published, "source": a.source}
               for a in generate(60, seed=17)]
    return write_jsonl(tmp_path / "feed.jsonl", records)


def test_add_export_and_stats(runner, tmp_path, feed, seeds_dir):
    db = str(tmp_path / "s.db")
    added = runner.invoke(main, ["index", "add", db, str(feed), "-q"])
    assert added.exit_code == 0, added.output
    lines = [json.loads(line) for line in added.stdout.splitlines()]
    assert len(lines) == 60 and {"id", "story", "status", "matches", "merged"} <= set(lines[0])
    assert any(line["status"] == "joined" for line in lines)
    scan = runner.invoke(main, ["scan", str(feed), "-f", "json", "-q"])
    exported = runner.invoke(main, ["index", "export", db, "-f", "json"])
    assert exported.exit_code == 0
    a, b = json.loads(exported.stdout), json.loads(scan.stdout)
    assert [sorted(m["doc_id"] for m in c["members"]) for c in a["clusters"]] == \
        [sorted(m["doc_id"] for m in c["members"]) for c in b["clusters"]]
    assert {c["cluster_id"] for c in a["clusters"]} <= {line["story"] for line in lines}
    assert a["story_merges"] == []
    for fmt in ("text", "csv"):
        assert runner.invoke(main, ["index", "export", db, "-f", fmt]).exit_code == 0
    stats = runner.invoke(main, ["index", "stats", db, "--check", "-f", "json"])
    assert stats.exit_code == 0 and json.loads(stats.stdout)["check"] == "ok"
    query = runner.invoke(main, ["index", "query", db, str(seeds_dir)])
    assert query.exit_code == 0 and len(query.stdout.splitlines()) == 3
    pruned = runner.invoke(main, ["index", "prune", db, "--older-than", "1d", "--now", "2100-01-01"])
    assert pruned.exit_code == 0 and "removed 60 articles" in pruned.stderr


def test_bad_lines_are_reported_per_line(runner, tmp_path):
    feed = tmp_path / "bad.jsonl"
    feed.write_text('{"id": "a", "text": "one two three four five six"}\nnot json\n{"text": "no id"}\n', encoding="utf-8")
    result = runner.invoke(main, ["index", "add", str(tmp_path / "s.db"), str(feed)])
    assert result.exit_code == 0
    assert "bad.jsonl:2" in result.stderr and "bad.jsonl:3" in result.stderr
    assert len(result.stdout.splitlines()) == 1


def test_incompatible_options_are_a_clean_error(runner, tmp_path, feed):
    db = str(tmp_path / "s.db")
    assert runner.invoke(main, ["index", "add", db, str(feed), "-q", "--num-perm", "64"]).exit_code == 0
    # the index's own parameters are used when the options are left out
    assert runner.invoke(main, ["index", "add", db, str(feed), "-q"]).exit_code == 0
    result = runner.invoke(main, ["index", "add", db, str(feed), "--num-perm", "128"])
    assert result.exit_code == 1
    assert "num_perm is 64 in the index, 128 here" in result.output
    assert "Traceback" not in result.output


def test_bad_duration_and_missing_index(runner, tmp_path):
    result = runner.invoke(main, ["index", "prune", str(tmp_path / "s.db"), "--older-than", "soon"])
    assert result.exit_code == 2 and "duration" in result.output
    result = runner.invoke(main, ["index", "query", str(tmp_path / "none.db"), "x.jsonl"])
    assert result.exit_code == 1 and "no index there yet" in result.output


def test_unreachable_redis_is_a_clean_error(runner, feed):
    result = runner.invoke(main, ["index", "add", "x", str(feed), "--store", "redis://127.0.0.1:1/0"])
    assert result.exit_code == 1 and "cannot use Redis" in result.output and "Traceback" not in result.output


def test_not_an_index_file(runner, tmp_path, feed):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    result = runner.invoke(main, ["index", "stats", str(junk)])
    assert result.exit_code == 1 and "not a dedup index" in result.output
