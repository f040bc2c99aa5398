from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup.cli import main
from tests.schema_check import validate_outputs

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
INDEPENDENT = Path(__file__).resolve().parent / "fixtures" / "independent"
SEED_ORIGINAL = "002_e40c44a6ce6eeda3.txt"
SEED_TRIM = "000_e44d81640658f659.txt"
SEED_REWRITE = "001_f95d88f4def68e29.txt"


@pytest.fixture(scope="session", autouse=True)
def json_outputs_follow_the_schema():
    """Every JSON report and index line the suite makes is checked against dedup/schemas."""
    with validate_outputs():
        yield


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def independent_dir() -> Path:
    return INDEPENDENT


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def seed_report() -> dict:
    result = CliRunner().invoke(main, ["scan", str(SEEDS), "--format", "json", "-q"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def member(report: dict, doc_id: str) -> dict:
    for cluster in report["clusters"]:
        for m in cluster["members"]:
            if m["doc_id"] == doc_id:
                return m
    raise AssertionError(f"{doc_id} is in no cluster")


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path
