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
