"""The benchmark's dedup part on 10,000 generated articles: correct output, not timings."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import bench_scan


def test_benchmark_dedup_part_recovers_the_planted_families(tmp_path: Path) -> None:
    output = tmp_path / "scan.json"
    record = bench_scan.main(
        ["--articles", "10000", "--format", "csv", "--skip-baselines", "--no-markdown", "--output", str(output)]
    )
    saved = json.loads(output.read_text(encoding="utf-8"))
    assert saved["articles"] == 10_000 and saved["dedup"]["documents"] == 10_000
    dedup = record["dedup"]
    assert dedup["precision"] >= 0.99
    assert dedup["recall"] >= 0.95
    assert set(dedup["stages"]) == set(bench_scan.STAGES)
    assert dedup["stats"]["clusters"] > 1000


def test_baselines_are_scored_and_compared_at_equal_recall(tmp_path: Path) -> None:
    record = bench_scan.main(
        ["--articles", "1500", "--formats", "csv", "--thresholds", "0.2,0.5", "--num-perms", "64", "--repeat", "1",
         "--no-markdown", "--output", str(tmp_path / "scan.json")]
    )
    systems = {b["system"] for b in record["baselines"]}
    assert "datasketch" in systems
    assert {r["system"] for r in record["sweep"]} == systems
    for baseline in record["baselines"] + record["sweep"]:
        assert baseline["documents"] == 1500 and 0.0 <= baseline["recall"] <= 1.0 and 0.0 <= baseline["precision"] <= 1.0
    for baseline in record["baselines"]:
        assert record["ratios"][baseline["label"]] > 0 and baseline["peak_rss_mb"] > 0
    comparison = record["equal_quality"]["csv"]
    assert set(comparison) == systems
    dedup = record["dedup"]
    for system, chosen in comparison.items():
        run = next(b for b in record["baselines"] if b["label"] == chosen["run"])
        assert chosen["matches_dedup"] == (run["recall"] >= dedup["recall"])


def test_scores_count_every_pair_inside_each_cluster() -> None:
    family = {"a": "f1", "b": "f1", "c": "f1", "d": "f2", "e": "f3"}
    scored = bench_scan.score([["a", "b", "d"], ["c", "e"]], family)
    assert scored == {"predicted_pairs": 4, "true_pairs": 3, "precision": 0.25, "recall": 1 / 3}


def test_equal_quality_takes_the_fastest_run_that_reaches_dedup() -> None:
    dedup = {"precision": 1.0, "recall": 0.99, "docs_per_s": 1000.0}
    runs = [
        {"system": "rensa", "label": "fast", "precision": 1.0, "recall": 0.88, "docs_per_s": 3000.0},
        {"system": "rensa", "label": "slow", "precision": 1.0, "recall": 1.0, "docs_per_s": 250.0},
        {"system": "rensa", "label": "middle", "precision": 1.0, "recall": 0.995, "docs_per_s": 500.0},
        {"system": "other", "label": "short", "precision": 0.9, "recall": 0.5, "docs_per_s": 100.0},
        {"system": "other", "label": "best", "precision": 0.9, "recall": 0.7, "docs_per_s": 50.0},
    ]
    comparison = bench_scan.equal_quality_ratios(dedup, runs)
    assert comparison["rensa"] == {"run": "middle", "matches_dedup": True, "ratio": 2.0}
    assert comparison["other"] == {"run": "best", "matches_dedup": False, "ratio": 20.0}
    runs.append({"system": "rensa", "label": "loose", "precision": 0.5, "recall": 1.0, "docs_per_s": 4000.0})
    assert bench_scan.equal_quality_ratios(dedup, runs)["rensa"]["run"] == "loose"
    assert bench_scan.equal_quality_ratios(dedup, runs, precision_too=True)["rensa"]["run"] == "middle"


def test_every_way_of_sending_a_merge_inserts_every_entry(tmp_path: Path) -> None:
    from benchmarks import bench_merge

    record = bench_merge.main(["--base", "5000", "--add", "3001", "--cache-mib", "8", "--repeat", "2", "-o", str(tmp_path / "merge.json")])
    assert set(record["ways"]) == {"executemany", "temp-table", "json-each"} | {f"rows-{n}" for n in bench_merge.ROWS}
    assert [way["added"] for way in record["ways"].values()] == [[3001]] * len(record["ways"])
    assert all(len(way["seconds"]) == 2 for way in record["ways"].values())
    assert json.loads((tmp_path / "merge.json").read_text(encoding="utf-8")) == record


def test_the_lookup_pieces_answer_alike_each_way(tmp_path: Path) -> None:
    from benchmarks import bench_lookup

    record = bench_lookup.main(["--base", "20000", "--keys", "5000", "--recent", "30000", "--repeat", "2",
                                "-o", str(tmp_path / "lookup.json")])
    assert set(record["pieces"]) == {"distinct", "lookup", "merge-order"}
    lookup = record["pieces"]["lookup"]
    # a fiftieth of the 4,000 distinct keys are in the table: the filter asks for those, and
    # for the few others whose high bits one of the 20,000 entries shares
    assert lookup["distinct_keys"] == 4000 and lookup["entries_found"] == 80
    assert 80 <= lookup["asked_with_filter"] < 120
    assert all(len(way["seconds"]) == 2 for piece in record["pieces"].values() for way in piece.values() if isinstance(way, dict))
    assert json.loads((tmp_path / "lookup.json").read_text(encoding="utf-8")) == record
