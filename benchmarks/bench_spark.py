"""``dedup spark scan`` on a local Spark session against ``dedup scan --jobs``, in one run.

On one generated corpus (:mod:`benchmarks.corpus`) both commands run as separate
processes, each writing its full report (``--format json``: clusters, passage diff,
provenance), with the same number of cores (``local[2]`` and ``--jobs 2`` by default). The
benchmark records each one's wall time and peak memory (the sum of the resident memory of
its whole process tree: the driver JVM and Python workers, or the main process and its
workers, sampled every 0.2 s), checks that both found the same clusters (full reports),
cluster ids, members (roles, parents, singletons), pairs and statistics, and keeps
Spark's time per stage.

From those per-stage times it projects the cluster that scans 100 million articles in an
hour: each stage's core-seconds per article (wall time x cores / articles), scaled to 100M
and divided by 3,600 s. With two corpus sizes (``--articles 20000 100000``) the projection
uses the marginal cost between them, which leaves out the fixed cost of starting Spark
jobs that a small run pays per stage.

    python -m benchmarks.bench_spark --articles 20000 100000

Writes ``benchmarks/results/spark-<articles>.json`` and the Spark section of ``RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.corpus import generate

RESULTS = Path(__file__).resolve().parent / "results"
RESULTS_MD = Path(__file__).resolve().parent / "RESULTS.md"
BEGIN, END = "<!-- spark -->", "<!-- /spark -->"
TARGET_ARTICLES = 100_000_000
TARGET_SECONDS = 3_600
# Share of a core's time a large cluster gets to spend in the stages themselves: shuffles over
# the network, stragglers and scheduling take the rest (a common planning figure, not measured here).
CLUSTER_EFFICIENCY = 0.6


def write_corpus(path: Path, articles: int, seed: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for article in generate(articles, seed):
            out.write(article.to_json() + "\n")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(parent, []).append(int(entry))
    return tree


def tree_rss_mb(root: int) -> float:
    """Resident memory of ``root`` and all its descendants, in MB."""
    tree, total, pending = _children(), 0, [root]
    while pending:
        pid = pending.pop()
        pending.extend(tree.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm", encoding="utf-8") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    return total / 2**20


def timed(command: list[str]) -> dict[str, Any]:
    """Run ``command``; its wall time, peak process-tree memory and stderr."""
    started = time.perf_counter()
    # both commands run the dedup of this checkout, installed or not
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=root)
    peak = [0.0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], tree_rss_mb(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr[-3000:]}")
    return {"seconds": seconds, "peak_rss_mb": peak[0], "stdout": stdout, "stderr": stderr}


def spark_child(corpus: str, output: str, master: str, partitions: int, driver_memory: str) -> None:
    """In its own process: the Spark scan through the library, its timings and counts to stdout."""
    from dedup.spark import scan_paths, write_result
    from dedup.spark.session import spark_session

    spark = spark_session(
        master,
        {"spark.sql.shuffle.partitions": str(partitions), "spark.driver.memory": driver_memory,
         "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false", "spark.log.level": "ERROR"},
        app_name="dedup bench",
    )
    result = scan_paths(spark, [corpus], report=True)
    started = time.perf_counter()
    write_result(result, output, report_json=True)
    result.timings["write"] = time.perf_counter() - started
    print(json.dumps({"timings": result.timings, "stats": result.stats, "spark": spark.version}))
    spark.stop()


def compare_outputs(report_path: Path, spark_dir: Path) -> dict[str, bool]:
    """Whether the Spark tables and ``dedup scan``'s JSON report say the same."""
    import pandas as pd

    report = json.loads(report_path.read_text(encoding="utf-8"))
    lines = [json.loads(line) for p in sorted((spark_dir / "clusters").glob("part-*")) for line in p.read_text().splitlines()]
    members = pd.read_parquet(spark_dir / "members")
    pairs = pd.read_parquet(spark_dir / "pairs")
    summary = json.loads((spark_dir / "summary.json").read_text(encoding="utf-8"))
    expected_pairs = [(p["first"], p["second"], p["same_story"], p["jaccard"]) for p in report["pairs"]]
    found_pairs = [(a, b, bool(s), float(j)) for a, b, s, j in
                   zip(pairs["first"], pairs["second"], pairs["same_story"], pairs["jaccard"])]
    roles = {
        (c["cluster_id"], m["doc_id"], m["role"], m["parent"])
        for c in report["clusters"] for m in c["provenance"]["members"]
    }
    clustered = members[members["role"] != "singleton"]
    found_roles = {
        (c, d, r, None if pd.isna(p) else p)
        for c, d, r, p in zip(clustered["cluster_id"], clustered["doc_id"], clustered["role"], clustered["parent"])
    }
    return {
        "clusters": lines == report["clusters"],
        "cluster_ids": [c["cluster_id"] for c in lines] == [c["cluster_id"] for c in report["clusters"]],
        "members": found_roles == roles and int((members["role"] == "singleton").sum()) == report["summary"]["singletons"],
        "pairs": found_pairs == expected_pairs,
        "summary": summary["summary"] == report["summary"] and summary["parameters"] == report["parameters"],
    }


def run_size(articles: int, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="dedup-bench-spark-") as folder:
        work = Path(folder)
        corpus = work / "corpus.jsonl"
        write_corpus(corpus, articles, args.seed)
        report = work / "scan.json"
        local = timed([sys.executable, "-m", "dedup", "scan", str(corpus), "--jobs", str(args.jobs),
                       "--format", "json", "-o", str(report), "-q"])
        spark_dir = work / "spark"
        spark = timed([sys.executable, "-m", "benchmarks.bench_spark", "--child", str(corpus), str(spark_dir),
                       "--master", args.master, "--shuffle-partitions", str(args.shuffle_partitions),
                       "--driver-memory", args.driver_memory])
        child = json.loads(spark["stdout"].strip().splitlines()[-1])
        same = compare_outputs(report, spark_dir)
    return {
        "articles": articles,
        "seed": args.seed,
        "cores": args.jobs,
        "dedup_scan": {"command": f"dedup scan corpus.jsonl --jobs {args.jobs} --format json -o scan.json",
                       "seconds": local["seconds"], "peak_rss_mb": local["peak_rss_mb"]},
        "spark": {"command": f"dedup spark scan corpus.jsonl --output out/ --master '{args.master}' --format json",
                  "master": args.master, "shuffle_partitions": args.shuffle_partitions,
                  "driver_memory": args.driver_memory, "version": child["spark"],
                  "seconds": spark["seconds"], "peak_rss_mb": spark["peak_rss_mb"], "stages": child["timings"]},
        "stats": child["stats"],
        "identical": same,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
    }


def projection(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Cores (and 16-core machines) for 100M articles in an hour, from the measured per-stage costs."""
    runs = sorted(runs, key=lambda r: r["articles"])
    small, large = runs[0], runs[-1]
    cores = large["cores"]
    per_article: dict[str, float] = {}
    for stage, seconds in large["spark"]["stages"].items():
        if len(runs) > 1:
            extra = seconds - small["spark"]["stages"].get(stage, 0.0)
            per_article[stage] = max(extra, 0.0) * cores / (large["articles"] - small["articles"])
        else:
            per_article[stage] = seconds * cores / large["articles"]
    core_seconds = sum(per_article.values()) * TARGET_ARTICLES
    needed = core_seconds / TARGET_SECONDS / CLUSTER_EFFICIENCY
    return {
        "basis": f"{small['articles']:,} -> {large['articles']:,} articles (marginal)" if len(runs) > 1
        else f"{large['articles']:,} articles",
        "core_ms_per_article": {s: round(v * 1000, 3) for s, v in per_article.items()},
        "core_hours": round(core_seconds / 3600, 1),
        "efficiency": CLUSTER_EFFICIENCY,
        "cores": math.ceil(needed),
        "machines_16_cores": math.ceil(needed / 16),
    }


def write_markdown(runs: list[dict[str, Any]], plan: dict[str, Any]) -> None:
    lines = [
        BEGIN,
        "## dedup spark scan (local Spark) against dedup scan --jobs",
        "",
        "Made by `benchmarks/bench_spark.py`: both write the full report (`--format json`) of the same",
        "generated corpus with the same cores; peak RSS is the whole process tree (JVM and Python workers).",
        "",
        "| articles | cores | dedup scan s | dedup scan peak MB | spark s | spark peak MB | spark ÷ scan (time) | same clusters, ids, members, pairs, summary |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        same = "yes" if all(run["identical"].values()) else "NO: " + ", ".join(k for k, v in run["identical"].items() if not v)
        lines.append(
            f"| {run['articles']:,} | {run['cores']} | {run['dedup_scan']['seconds']:.0f} | {run['dedup_scan']['peak_rss_mb']:,.0f} "
            f"| {run['spark']['seconds']:.0f} | {run['spark']['peak_rss_mb']:,.0f} "
            f"| {run['spark']['seconds'] / run['dedup_scan']['seconds']:.1f} | {same} |"
        )
    stages = list(runs[-1]["spark"]["stages"])
    lines += ["", "Spark's time per stage (s):", "", "| articles | " + " | ".join(stages) + " |",
              "|---:|" + "---:|" * len(stages)]
    for run in runs:
        lines.append(f"| {run['articles']:,} | " + " | ".join(f"{run['spark']['stages'].get(s, 0.0):.1f}" for s in stages) + " |")
    lines += [
        "",
        f"**Projection: 100M articles in an hour.** From {plan['basis']}, core-milliseconds per article:",
        ", ".join(f"{s} {v}" for s, v in plan["core_ms_per_article"].items()) + ".",
        f"That is {plan['core_hours']:,} core-hours for 100M articles; at {plan['efficiency']:.0%} of each core spent in",
        f"the stages, an hour needs **{plan['cores']:,} cores ({plan['machines_16_cores']:,} machines of 16 cores)**.",
        "",
        "Commands: `python -m benchmarks.bench_spark --articles " + " ".join(str(r["articles"]) for r in runs) + "`",
        END,
    ]
    text = RESULTS_MD.read_text(encoding="utf-8") if RESULTS_MD.exists() else ""
    block = "\n".join(lines)
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    RESULTS_MD.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[20_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=2, help="dedup scan --jobs, and the cores of local[N]")
    parser.add_argument("--master", default=None, help="default: local[JOBS]")
    parser.add_argument("--shuffle-partitions", type=int, default=4)
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--no-markdown", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("CORPUS", "OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.master = args.master or f"local[{args.jobs}]"
    if args.child:
        spark_child(*args.child, args.master, args.shuffle_partitions, args.driver_memory)
        return {}
    RESULTS.mkdir(exist_ok=True)
    runs = []
    for articles in args.articles:
        run = run_size(articles, args)
        (RESULTS / f"spark-{articles}.json").write_text(json.dumps(run, indent=2) + "\n", encoding="utf-8")
        print(json.dumps({k: run[k] for k in ("articles", "dedup_scan", "identical")}, indent=1), flush=True)
        runs.append(run)
    plan = projection(runs)
    print(json.dumps(plan, indent=1))
    if not args.no_markdown:
        write_markdown(runs, plan)
    return {"runs": runs, "projection": plan}


if __name__ == "__main__":
    main()
