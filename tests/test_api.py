"""The public Python API: dedup.scan on paths, dicts and DataFrames; objects, frames and JSON;
dedup.compare; dedup.Index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dedup
from dedup.cli import main
from tests.conftest import SEED_ORIGINAL, SEED_REWRITE, SEED_TRIM
from tests.requires import needs_pandas

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "io"
SEED_CLUSTER_ID = "c-8fe4f799c51e"


def test_all_names_exist_and_the_package_is_typed():
    for name in dedup.__all__:
        assert getattr(dedup, name) is not None, name
    assert {"scan", "compare", "Index", "ScanReport", "MemberRecord"} <= set(dedup.__all__)
    assert (Path(dedup.__file__).parent / "py.typed").exists()
    # the package re-exports the API's names, imported on first use
    from dedup import api

    assert set(dedup.__all__) == {"__version__", *api.__all__}
    assert dedup.scan is api.scan and "scan" in dir(dedup)
    with pytest.raises(AttributeError):
        dedup.not_a_name  # noqa: B018


@needs_pandas
def test_the_readme_example(monkeypatch):
    import pandas

    monkeypatch.chdir(FIXTURES)
    # README: dedup.scan(pandas.read_json("feed.jsonl", lines=True))
    report = dedup.scan(pandas.read_json("seeds.jsonl", lines=True))
    assert [c.cluster_id for c in report.clusters] == [SEED_CLUSTER_ID]
    members = report.members_frame()
    assert list(members.columns) == ["cluster_id", "doc_id", "role", "parent", "cluster_size", "representative"]
    assert members.loc[members.representative, "doc_id"].tolist() == [SEED_ORIGINAL]
    assert members.set_index("doc_id").loc[SEED_TRIM, "parent"] == SEED_ORIGINAL


def test_paths_dicts_and_frames_give_one_result(seeds_dir):
    by_path = dedup.scan(seeds_dir)
    by_paths = dedup.scan([seeds_dir / SEED_ORIGINAL, seeds_dir / SEED_TRIM, seeds_dir / SEED_REWRITE])
    records = [{"id": p.name, "text": p.read_text(encoding="utf-8")} for p in sorted(seeds_dir.iterdir())]
    by_dicts = dedup.scan(iter(records))  # any iterable, read once
    assert by_path.to_json() == by_paths.to_json() == by_dicts.to_json()
    # and the JSON is what the command line writes
    assert by_path.to_json() == json.dumps(json.loads(by_path.to_json()), ensure_ascii=False, indent=2) + "\n"


def test_objects_match_the_json(seeds_dir, seed_report):
    report = dedup.scan(seeds_dir)
    assert report.to_dict() == seed_report
    [cluster] = report.clusters
    assert (cluster.cluster_id, cluster.size, cluster.origin) == (SEED_CLUSTER_ID, 3, SEED_ORIGINAL)
    assert [(p.first, p.second, p.jaccard) for p in report.pairs] == [
        (p["first"], p["second"], p["jaccard"]) for p in seed_report["pairs"]]
    roles = {m.doc_id: (m.role, m.parent) for m in report.members}
    assert roles == {SEED_ORIGINAL: ("origin", None), SEED_TRIM: ("copy", SEED_ORIGINAL),
                     SEED_REWRITE: ("copy", SEED_ORIGINAL)}


@needs_pandas
def test_frames_keep_missing_values_and_types():
    import pandas

    frame = pandas.DataFrame({
        "id": [1, 2, 3],
        "text": [r["text"] for r in map(json.loads, (FIXTURES / "seeds.jsonl").read_text(encoding="utf-8").splitlines())],
        "title": ["Un titre", None, float("nan")],
        "published": pandas.to_datetime(["2024-04-03T20:40:00Z", None, "2024-04-04T05:30:00Z"]),
    })
    report = dedup.scan(frame)
    docs = {d.doc_id: d for d in report.result.documents}
    assert (docs["1"].title, docs["2"].title, docs["3"].title) == ("Un titre", None, None)
    assert (docs["1"].published, docs["2"].published) == ("2024-04-03T20:40:00+00:00", None)
    pairs = report.pairs_frame()
    assert str(pairs["shared_shingles"].dtype) == "Int64" and str(pairs["same_story"].dtype) == "boolean"
    assert report.clusters_frame().loc[0, "size"] == 3
    edges = report.edges_frame()
    assert edges.loc[edges.relation == "siblings", "dropped"].isna().all()


def test_bad_records_are_problems_not_errors():
    report = dedup.scan([{"id": "a", "text": "Un texte."}, {"text": "sans id"}, "not a record"])
    assert [(p.location, p.kind) for p in report.problems] == [("<records>:2", "missing_field"),
                                                               ("<records>:3", "malformed")]
    with pytest.raises(dedup.ParameterError):
        dedup.scan({"id": "a", "text": "one record"})


def test_field_names_and_nested_fields():
    records = [json.loads(line) for line in (FIXTURES / "es-dump.jsonl").read_text(encoding="utf-8").splitlines()]
    report = dedup.scan(records, id_field="_id", text_field="_source.text")
    assert [c.cluster_id for c in report.clusters] == [SEED_CLUSTER_ID]
    assert report.result.config.describe()["read"]["fields"]["text"] == "_source.text"


def test_compare(seeds_dir):
    report = dedup.compare([seeds_dir / SEED_ORIGINAL, seeds_dir / SEED_TRIM])
    assert report.stats["verified_pairs"] == 1 and report.clusters[0].origin == SEED_ORIGINAL


def test_write_every_format(seeds_dir, tmp_path, runner):
    report = dedup.scan(seeds_dir)
    written = report.write(tmp_path / "members.csv", "csv", table="members")
    assert [p.name for p in written] == ["members.csv", "members.csv.json"]
    runner.invoke(main, ["scan", str(seeds_dir), "-q", "-f", "csv", "--table", "members", "-o", str(tmp_path / "c.csv")])
    assert (tmp_path / "members.csv").read_bytes() == (tmp_path / "c.csv").read_bytes()
    report.write(tmp_path / "report.json")
    assert (tmp_path / "report.json").read_text(encoding="utf-8") == report.to_json()


def test_index(seeds_dir, tmp_path):
    records = [{"id": p.name, "text": p.read_text(encoding="utf-8")} for p in sorted(seeds_dir.iterdir())]
    with dedup.Index(tmp_path / "stories.db") as index:
        added = index.add(records[:2] + [{"id": "broken"}])
        assert [a.status for a in added] == ["new_story", "joined"]
        assert [p.kind for p in index.problems] == ["missing_field"]
        [query] = index.query(records[2:])
        assert query.status == "joined" and query.story == added[0].story
        assert index.stats()["articles"] == 2 and index.check() == []
        exported = index.export()
        assert [c.size for c in exported.clusters] == [2]
        assert exported.members[0].cluster_id == added[0].story
