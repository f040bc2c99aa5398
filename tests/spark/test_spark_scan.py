"""The scan on Spark, in a real local Spark session (``local[2]``): the same answer as ``dedup scan``.

Nothing is mocked: the session runs the JVM and Python workers, the scans read files from
disk. The module is skipped, with the missing piece named, where pyspark or Java is absent.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest

try:
    import pandas as pd
    import pyspark  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    pytest.skip('the Spark tests need pyspark, pandas and pyarrow: pip install "dedup[spark]"', allow_module_level=True)

from dedup.spark.session import java_runtime, spark_session

if java_runtime() is None:  # pragma: no cover - depends on the environment
    pytest.skip("the Spark tests need a Java runtime (17+): apt-get install openjdk-17-jre-headless", allow_module_level=True)

from benchmarks.corpus import generate
from dedup.cli import main
from dedup.cli.spark import spark_message
from dedup.errors import DedupError
from dedup.pipeline import scan
from dedup.report.elements import cluster_record
from dedup.report.tables import build_table
from dedup.spark import scan_dataframe, scan_paths
from dedup.spark.components import connected_components
from dedup.story.links import cluster_links
from dedup.story.provenance import analyse
from dedup.story.result import SCHEMA_VERSION
from tests.conftest import SEED_ORIGINAL, SEEDS

REWRITES = Path(__file__).resolve().parent.parent / "fixtures" / "rewrites"
CORPUS_ARTICLES = 2_000


def rows_of(table) -> list[tuple]:
    """A dedup scan table's rows, as Spark's pandas reading gives them (NaN-free, plain types)."""
    return [tuple(row) for row in table.rows]


def frame_rows(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in row)
            for row in frame.itertuples(index=False, name=None)]


@pytest.fixture(scope="session")
def spark():
    session = spark_session(
        "local[2]",
        {
            "spark.sql.shuffle.partitions": "2",
            "spark.default.parallelism": "2",
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
        },
        app_name="dedup tests",
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


# -- the seeds, through the command line ------------------------------------------------------


@pytest.fixture(scope="module")
def seed_run(spark, tmp_path_factory, runner_module):
    out = tmp_path_factory.mktemp("spark-seeds") / "out"
    result = runner_module.invoke(
        main, ["spark", "scan", str(SEEDS), "--output", str(out), "--master", "local[2]", "--format", "json", "-q"]
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def runner_module():
    from click.testing import CliRunner

    return CliRunner()


@pytest.fixture(scope="module")
def seed_scan():
    result = scan([str(SEEDS)])
    return result, analyse(result)


def test_seeds_form_dedup_scans_cluster_with_origin_002(seed_run, seed_report):
    members = pd.read_parquet(seed_run / "members")
    expected = seed_report["clusters"][0]
    assert list(members["doc_id"]) == [m["doc_id"] for m in expected["members"]]
    assert set(members["cluster_id"]) == {expected["cluster_id"]}
    roles = dict(zip(members["doc_id"], members["role"]))
    assert roles[SEED_ORIGINAL] == "origin" and sorted(roles.values()) == ["copy", "copy", "origin"]
    assert set(members.loc[members["role"] == "copy", "parent"]) == {SEED_ORIGINAL}
    assert list(members.loc[members["representative"], "doc_id"]) == [SEED_ORIGINAL]


def test_seed_tables_are_dedup_scans_tables(seed_run, seed_scan):
    result, provenances = seed_scan
    for name in ("members", "pairs", "edges"):
        expected = build_table(result, name, provenances)
        found = pd.read_parquet(seed_run / name)
        assert list(found.columns) == expected.names
        assert frame_rows(found) == rows_of(expected), name
        metadata = json.loads((seed_run / name / "_dedup.json").read_text(encoding="utf-8"))
        assert metadata["table"] == name and metadata["schema_version"] == SCHEMA_VERSION


def test_seed_summary_and_reports_match_dedup_scan(seed_run, seed_report):
    summary = json.loads((seed_run / "summary.json").read_text(encoding="utf-8"))
    assert summary["schema_version"] == SCHEMA_VERSION
    assert summary["parameters"] == seed_report["parameters"]
    assert summary["summary"] == seed_report["summary"]
    # --format json: each cluster's full report, exactly as dedup scan writes it
    lines = [line for path in sorted((seed_run / "clusters").glob("part-*")) for line in path.read_text().splitlines()]
    assert [json.loads(line) for line in lines] == seed_report["clusters"]


def test_an_earlier_run_is_refused_without_a_traceback(spark, seed_run, runner_module):
    result = runner_module.invoke(main, ["spark", "scan", str(SEEDS), "--output", str(seed_run), "-q"])
    assert result.exit_code == 1
    assert "earlier run" in result.output and "--overwrite" in result.output and "Traceback" not in result.output


# -- a generated corpus, against dedup scan ---------------------------------------------------

WIDGETS = {"site03": "Météo : 21°C à Lyon | Se connecter", "site07": "Bourse de Paris : le CAC 40 en direct"}


def _write_corpus(folder: Path) -> list[Path]:
    """A JSONL feed, a gzipped one and a folder (a Parquet file and text pages) of generated
    articles: planted rewrite families, page furniture on two sites, and the records a scan
    must skip (a repeated id, a malformed line, an empty text, a boilerplate-only page)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    records = []
    for article in generate(CORPUS_ARTICLES, seed=11):
        record = json.loads(article.to_json())
        if record["source"] in WIDGETS:
            record["text"] += "\n" + WIDGETS[record["source"]]
        records.append(record)
    random.Random(3).shuffle(records)
    first, second, third = records[:1000], records[1000:1800], records[1800:]
    second += [
        {"id": first[0]["id"], "text": "Une autre version du même identifiant, qui doit être écartée."},
        {"id": "empty-text", "text": "   "},
    ]
    one, two, pages = folder / "feed-1.jsonl", folder / "feed-2.jsonl.gz", folder / "pages"
    one.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in first) + "{not json\n", encoding="utf-8")
    with gzip.open(two, "wt", encoding="utf-8") as out:
        out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in second)
    (pages / "site").mkdir(parents=True)
    columns = {name: [r.get(name) for r in third] for name in ("id", "text", "source", "published")}
    pq.write_table(pa.table(columns), pages / "extra.parquet")
    (pages / "site" / "copy.txt").write_text(first[1]["text"], encoding="utf-8")
    (pages / "only-boilerplate.txt").write_text("Partager sur Facebook\nLes commentaires sont fermés.\n", encoding="utf-8")
    # a dispatch, its rewrite in other words and an independent report (words told in order)
    (pages / "rewrites").mkdir()
    for path in sorted(REWRITES.glob("*.txt")):
        (pages / "rewrites" / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return [one, two, pages]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return _write_corpus(tmp_path_factory.mktemp("spark-corpus"))


@pytest.fixture(scope="module")
def local_result(corpus):
    result = scan([str(p) for p in corpus])
    return result, analyse(result)


@pytest.fixture(scope="module")
def spark_result(spark, corpus):
    result = scan_paths(spark, [str(p) for p in corpus], report=True)
    yield result
    result.release()


def test_the_corpus_exercises_furniture_families_and_skipped_records(local_result):
    result, _ = local_result
    assert result.stats["learned_furniture_lines"] >= 2 and result.stats["documents_with_furniture"] > 0
    assert result.stats["clusters"] > 100 and result.stats["oversized_buckets"] >= 0
    assert {p.kind for p in result.problems} >= {"duplicate_id", "malformed", "empty"}
    ids = [d.doc_id for d in result.documents]
    rewrites = [(ids[s.first], ids[s.second]) for s in result.pairs if s.same_story and s.aligned > 0]
    assert ("rewrites/rail_dispatch.txt", "rewrites/rail_rewrite.txt") in rewrites
    assert result.stats["rare_word_pairs"] > 0


def test_same_statistics_and_skipped_records(local_result, spark_result):
    result, _ = local_result
    assert spark_result.stats == result.stats
    assert [tuple(r) for r in spark_result.problems.collect()] == [(p.location, p.kind, p.message) for p in result.problems]


def test_same_clusters_cluster_ids_and_origins(local_result, spark_result):
    result, provenances = local_result
    docs = result.documents
    expected = [
        (c.cluster_id, len(c.members), docs[p.origin.doc].doc_id if p.origin.doc is not None else None)
        for c, p in zip(result.clusters, provenances)
    ]
    found = [tuple(row) for row in spark_result.clusters.select("cluster_id", "size", "origin").collect()]
    assert found == expected


@pytest.mark.parametrize("name", ["members", "pairs", "edges"])
def test_same_tables(local_result, spark_result, name):
    result, provenances = local_result
    expected = build_table(result, name, provenances)
    frame = getattr(spark_result, name)
    assert frame.columns == expected.names
    assert [tuple(row) for row in frame.collect()] == rows_of(expected)


def test_same_cluster_reports(local_result, spark_result):
    result, provenances = local_result
    links = cluster_links(result)
    expected = [cluster_record(result, c, p, links.get(c.cluster_id, ())) for c, p in zip(result.clusters, provenances)]
    assert [json.loads(row["report"]) for row in spark_result.clusters.collect()] == expected


def test_a_dispatch_republished_past_the_bucket_limit_pairs_as_in_dedup_scan(spark, tmp_path):
    """Forty sites republish one dispatch (every band's bucket is oversized at ``max_bucket``
    10), with a trimmed and a padded copy, beside unrelated texts sharing a stock phrase:
    the cores found per bucket, their pairs and the buckets left out are dedup scan's."""
    from dedup.match.lsh import LSHConfig
    from dedup.story.result import ScanConfig

    rng = random.Random(8)
    vocabulary = [f"mot{k}" for k in range(20000)]
    dispatch = rng.choices(vocabulary, k=120)
    texts = [" ".join(dispatch + rng.choices(vocabulary, k=6)) for _ in range(40)]
    texts += [" ".join(dispatch[:80]), " ".join(dispatch + rng.choices(vocabulary, k=240))]
    texts += ["selon le communiqué du ministère de l'intérieur " + " ".join(rng.choices(vocabulary, k=40)) for _ in range(30)]
    path = tmp_path / "sites.jsonl"
    path.write_text("".join(json.dumps({"id": f"page-{k:03d}", "text": t}) + "\n" for k, t in enumerate(texts)), encoding="utf-8")
    for max_core, largest in ((500, 42), (30, None)):  # 42: the copies, the trimmed one and the padded one
        config = ScanConfig(lsh=LSHConfig(max_bucket=10, max_core=max_core))
        local = scan([str(path)], config)
        found = scan_paths(spark, [str(path)], config)
        try:
            assert found.stats == local.stats
            assert [tuple(row) for row in found.pairs.collect()] == rows_of(build_table(local, "pairs"))
        finally:
            found.release()
        sizes = sorted((len(c.members) for c in local.clusters), reverse=True)
        if largest:
            assert local.stats["oversized_buckets"] > 0 and local.stats["candidate_pairs"] > 40 * 39 // 2
            assert sizes[0] == largest and local.stats["near_copies_over_max_core"] == 0
        else:  # the core is too large to pair: left out, and counted
            assert local.stats["near_copies_over_max_core"] >= 40 and (not sizes or sizes[0] < 40)


# -- a DataFrame in ------------------------------------------------------------------------


def test_a_dataframe_scans_like_the_files(spark, seed_report, tmp_path):
    rows = [(path.name, path.read_text(encoding="utf-8"), 7) for path in sorted(SEEDS.glob("*.txt"))]
    rows.append((rows[0][0], "a repeat of the first id, skipped", 7))
    frame = spark.createDataFrame(rows, "id string, text string, extra long")
    # with a work folder every stage is checkpointed as Parquet, as on a cluster
    result = scan_dataframe(frame, work_dir=str(tmp_path / "work"))
    assert (tmp_path / "work" / "documents").is_dir()
    clusters = result.clusters.select("cluster_id", "origin").collect()
    assert [tuple(c) for c in clusters] == [(seed_report["clusters"][0]["cluster_id"], SEED_ORIGINAL)]
    assert result.skipped == {"duplicate_id": 1}
    with pytest.raises(DedupError, match="no 'body' column"):
        scan_dataframe(frame.withColumnRenamed("text", "content"), _fields(text="body"))
    result.release()


def _fields(**names):
    from dataclasses import replace

    from dedup.io import FieldMap, ReadOptions
    from dedup.story.result import ScanConfig

    return ScanConfig(read=ReadOptions(fields=replace(FieldMap(), **names)))


# -- connected components ----------------------------------------------------------------


def test_components_of_a_long_chain_match_scipy(spark, tmp_path):
    """A chain takes several large-star/small-star rounds, past the Parquet checkpoints."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components as scipy_components

    rng = random.Random(5)
    order = list(range(400))
    rng.shuffle(order)
    edges = [(order[k], order[k + 1]) for k in range(60)]  # one long chain, in shuffled numbering
    edges += [(order[200], order[k]) for k in range(201, 230)]  # a star
    edges += [(order[k], order[k + 1]) for k in range(300, 340, 2)]  # many pairs
    pairs = spark.createDataFrame(edges, "a long, b long")
    found = connected_components(pairs, checkpoint_dir=str(tmp_path))
    assert any(tmp_path.glob("components-*/*")), "no checkpoint was written"
    component = {row["doc_index"]: row["component"] for row in found.collect()}
    nodes = sorted({n for edge in edges for n in edge})
    local = {n: k for k, n in enumerate(nodes)}
    graph = coo_matrix(([1] * len(edges), ([local[a] for a, _ in edges], [local[b] for _, b in edges])), shape=(len(nodes),) * 2)
    _, labels = scipy_components(graph, directed=False)
    smallest: dict[int, int] = {}
    for node in nodes:
        smallest[labels[local[node]]] = min(smallest.get(labels[local[node]], node), node)
    assert component == {node: smallest[labels[local[node]]] for node in nodes}


# -- errors ------------------------------------------------------------------------------


def test_an_executor_error_becomes_its_message():
    text = (
        "An exception was thrown from the Python worker:\nTraceback (most recent call last):\n"
        '  File "work.py", line 3, in check_version\n'
        "dedup.errors.DedupError: the executors run dedup 0.0.1 and the driver dedup 0.1.0: install the same version"
    )
    assert spark_message(RuntimeError(text)) == "the executors run dedup 0.0.1 and the driver dedup 0.1.0: install the same version"
    assert spark_message(RuntimeError("Java heap space")) == "Spark failed: Java heap space"


def test_no_java_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "")
    with pytest.raises(DedupError, match="Java runtime"):
        spark_session("local[1]")
