"""CSV and Parquet tables: the header row comes first, the parameters go beside (CSV) or
inside (Parquet) the file, and --format parquet --table members round-trips through
pyarrow and pandas to the rows the CSV holds."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import dedup
from dedup.cli import main
from dedup.report.tables import MEMBER_COLUMNS, TABLES, build_table
from tests.conftest import SEED_ORIGINAL, SEED_REWRITE, SEED_TRIM
from tests.requires import needs_pandas, needs_pyarrow

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def scan_to(runner, inputs, tmp_path, fmt, table):
    output = tmp_path / f"{table}.{fmt}"
    result = runner.invoke(main, ["scan", *map(str, inputs), "-q", "-f", fmt, "--table", table, "-o", str(output)])
    assert result.exit_code == 0, result.output
    return output


def test_members_table_lists_every_document(independent_dir, seeds_dir):
    result = dedup.scan([seeds_dir, independent_dir / "fr"]).result
    table = build_table(result, "members")
    assert table.columns == MEMBER_COLUMNS
    rows = [dict(zip(table.names, row)) for row in table.rows]
    assert len(rows) == result.stats["documents"] == 7
    clustered = [r for r in rows if r["role"] != "singleton"]
    trim, rewrite, original = (f"seeds/{name}" for name in (SEED_TRIM, SEED_REWRITE, SEED_ORIGINAL))  # two folders
    assert [(r["doc_id"], r["role"], r["parent"], r["representative"]) for r in clustered] == [
        (trim, "copy", original, False), (rewrite, "copy", original, False), (original, "origin", None, True)]
    singletons = [r for r in rows if r["role"] == "singleton"]
    # each singleton is a story of its own: one cluster id each, keeping one row per story keeps them all
    assert len({r["cluster_id"] for r in singletons}) == 4
    assert all(r["cluster_size"] == 1 and r["representative"] and r["parent"] is None for r in singletons)
    assert len({r["cluster_id"] for r in rows}) == 5


def test_csv_starts_with_its_header(runner, seeds_dir):
    for table in TABLES:
        out = runner.invoke(main, ["scan", str(seeds_dir), "-q", "-f", "csv", "--table", table]).stdout
        header = next(csv.reader(io.StringIO(out)))
        assert header[0] in ("cluster_id", "outlet") and not out.startswith("#"), table


@needs_pyarrow
@needs_pandas
def test_parquet_members_round_trip_through_pyarrow_and_pandas(runner, seeds_dir, independent_dir, tmp_path):
    import pandas
    import pyarrow.parquet as pq

    inputs = [seeds_dir, independent_dir / "fr"]
    parquet = scan_to(runner, inputs, tmp_path, "parquet", "members")
    csv_path = scan_to(runner, inputs, tmp_path, "csv", "members")
    arrow = pq.read_table(parquet)
    assert [(f.name, str(f.type)) for f in arrow.schema] == [
        ("cluster_id", "string"), ("doc_id", "string"), ("role", "string"), ("parent", "string"),
        ("cluster_size", "int64"), ("representative", "bool")]
    expected = build_table(dedup.scan(inputs).result, "members")
    assert [tuple(row.values()) for row in arrow.to_pylist()] == expected.rows
    # the metadata the CSV sidecar holds is in the Parquet footer
    meta = json.loads(arrow.schema.metadata[b"dedup"])
    assert meta == json.loads(Path(f"{csv_path}.json").read_text(encoding="utf-8"))
    # pandas reads the same rows from both files, and they equal the API's frame
    from_parquet = pandas.read_parquet(parquet)
    from_csv = pandas.read_csv(csv_path, keep_default_na=False, na_values=[""])
    frame = dedup.scan(inputs).members_frame()
    for other in (from_csv, frame):
        assert list(other.columns) == list(from_parquet.columns)
        assert other.astype(object).where(other.notna(), None).values.tolist() == \
            from_parquet.astype(object).where(from_parquet.notna(), None).values.tolist()


@needs_pyarrow
@pytest.mark.parametrize("table", TABLES)
def test_every_table_in_parquet_equals_its_csv(runner, tmp_path, table):
    import pyarrow.parquet as pq

    inputs = [FIXTURES / "outlets.jsonl"]
    rows = pq.read_table(scan_to(runner, inputs, tmp_path, "parquet", table)).to_pylist()
    with open(scan_to(runner, inputs, tmp_path, "csv", table), encoding="utf-8", newline="") as handle:
        csv_rows = list(csv.DictReader(handle))
    assert len(rows) == len(csv_rows) > 0

    def cell(value):
        return "" if value is None else ("true" if value else "false") if isinstance(value, bool) else str(value)

    assert [{k: cell(v) for k, v in row.items()} for row in rows] == csv_rows


@needs_pyarrow
def test_an_empty_table_keeps_its_types(runner, seeds_dir, tmp_path):
    import pyarrow.parquet as pq

    arrow = pq.read_table(scan_to(runner, [seeds_dir], tmp_path, "parquet", "outlets"))  # no article has a source
    assert arrow.num_rows == 0
    assert [str(f.type) for f in arrow.schema] == ["string", "int64", "int64", "double"]


def test_parquet_needs_an_output_file(runner, seeds_dir):
    result = runner.invoke(main, ["scan", str(seeds_dir), "-q", "-f", "parquet"])
    assert result.exit_code == 2 and "give it with -o FILE" in result.stderr


def test_one_representative_per_cluster_even_when_the_origin_is_undetermined(seeds_dir):
    text = (seeds_dir / SEED_ORIGINAL).read_text(encoding="utf-8")
    records = [{"id": "b", "text": text}, {"id": "a", "text": text}, {"id": "c", "text": text + "\nUn ajout du site."}]
    report = dedup.scan(records)
    [cluster] = report.clusters
    keep = [m.doc_id for m in report.members if m.representative]
    assert len(keep) == 1 and cluster.representative == keep[0]
    # the choice follows the texts, not the ids
    rename = {"a": "z", "b": "y", "c": "x"}
    renamed = dedup.scan([{**r, "id": rename[r["id"]]} for r in records])
    [kept_again] = [m.doc_id for m in renamed.members if m.representative]
    text_of = {r["id"]: r["text"] for r in records}
    assert text_of[keep[0]] == text_of[{new: old for old, new in rename.items()}[kept_again]]
