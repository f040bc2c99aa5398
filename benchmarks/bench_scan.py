"""``dedup scan`` against datasketch, rensa and gaoya, each at its own best settings, in one run.

On one generated corpus (:mod:`benchmarks.corpus`, ``--kind news`` or ``web``) it times

* ``dedup scan --format csv --jobs N`` (the pairs table) and ``--format json`` (the full
  report), as the CLI runs, in a child process each;
* each peer of :mod:`benchmarks.peers` with its own plain tokenisation (lowercased word
  n-grams), its own LSH and its own threads, in a child process of its own, from opening
  the JSONL to its clusters.

Each peer is first swept over ``--thresholds`` x ``--num-perms`` (and gaoya's threads);
then, for each peer, the fastest setting whose clustered pair recall reaches dedup's is
run again alone, ``--repeat`` times, for its reported time and peak RSS (if no setting
reaches dedup's recall, its best-recall setting, and the record says so). The fastest
setting that reaches both dedup's recall and precision is run too when it differs.
Recall and precision are over all pairs inside each system's clusters (connected
components of its verified pairs), against the planted families.

    python -m benchmarks.bench_scan --kind news --articles 100000 --jobs 2

Writes ``benchmarks/results/scan-<kind>-<articles>.json`` and rewrites the tables of
``benchmarks/RESULTS.md`` above its notes.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.corpus import KINDS
from benchmarks.peers import SYSTEMS

RESULTS = Path(__file__).resolve().parent / "results"
RESULTS_MD = Path(__file__).resolve().parent / "RESULTS.md"
STAGES = ("read", "normalise", "signatures", "lsh", "verify", "cluster", "diff", "write")
TIME = "/usr/bin/time"  # GNU time: peak RSS of the child alone
SUMMARY = re.compile(r"(\d+) documents, (\d+) clusters, (\d+) singletons \(([^)]*)\)")


def load() -> float:
    """The 1-minute load average."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def wait_for_load(below: float, minutes: float) -> dict[str, Any]:
    """Poll the load every minute until it is under ``below`` or ``minutes`` have passed."""
    started = time.monotonic()
    while load() >= below and time.monotonic() - started < minutes * 60:
        print(f"load {load():.2f} >= {below}: waiting", file=sys.stderr)
        time.sleep(60)
    return {"below": below, "waited_s": round(time.monotonic() - started), "load_at_start": load()}


def write_corpus(path: Path, articles: int, seed: int, kind: str = "news") -> dict[str, str]:
    """Write the corpus as JSONL; return each id's family (the planted truth)."""
    family: dict[str, str] = {}
    with path.open("w", encoding="utf-8") as out:
        for article in KINDS[kind](articles, seed):
            out.write(article.to_json() + "\n")
            family[article.doc_id] = article.family
    return family


def score(clusters: list[list[str]], family: dict[str, str]) -> dict[str, float]:
    """Pair precision and recall of ``clusters`` (every pair inside each) against the families.

    Counted from the cluster x family contingency, so a giant cluster costs no memory.
    """
    def pairs(n: int) -> int:
        return n * (n - 1) // 2

    predicted = sum(pairs(len(c)) for c in clusters)
    hits = sum(pairs(n) for c in clusters for n in Counter(family[d] for d in c).values())
    true = sum(pairs(n) for n in Counter(family.values()).values())
    return {"predicted_pairs": predicted, "true_pairs": true,
            "precision": hits / predicted if predicted else 1.0, "recall": hits / true if true else 1.0}


def run_child(command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``command``; its wall time, CPU time, peak RSS (its own and its workers'), stderr.

    GNU time starts it, so the peak RSS is the child's alone: a child forked from this
    process would start its count from this process's own peak.
    """
    with tempfile.TemporaryDirectory(prefix="dedup-bench-child-") as folder:
        usage_file, error_file = Path(folder) / "usage", Path(folder) / "stderr"
        before = load()
        started = time.perf_counter()
        with error_file.open("w", encoding="utf-8") as errors:
            code = subprocess.call([TIME, "-f", "%U %S %M", "-o", str(usage_file), *command], stdout=subprocess.DEVNULL,
                                   stderr=errors, env={**os.environ, **(env or {})})
        seconds = time.perf_counter() - started
        stderr = error_file.read_text(encoding="utf-8")
        if code != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({code}):\n{stderr[-3000:]}")
        user, system, peak_kib = usage_file.read_text().split()[-3:]
    return {"wall_seconds": seconds, "cpu_seconds": float(user) + float(system),
            "peak_rss_mb": int(peak_kib) / 1024, "load": [before, load()], "stderr": stderr}


def csv_clusters(path: Path) -> list[list[str]]:
    members: dict[str, set[str]] = {}
    with path.open(encoding="utf-8", newline="") as table:
        for row in csv.DictReader(table):
            if not row["cluster_id"]:  # a scored pair left out of every cluster
                continue
            members.setdefault(row["cluster_id"], set()).update((row["first"], row["second"]))
    return [sorted(m) for m in members.values()]


def run_dedup(corpus: Path, report_format: str, jobs: int, folder: Path, family: dict[str, str]) -> dict[str, Any]:
    """``dedup scan`` as the CLI runs it; stage timings from its stderr summary."""
    output = folder / f"dedup.{report_format}"
    child = run_child([sys.executable, "-m", "dedup", "scan", str(corpus), "--format", report_format,
                       "--jobs", str(jobs), "-o", str(output)])
    summary = SUMMARY.search(child.pop("stderr"))
    if summary is None:
        raise RuntimeError("dedup scan printed no summary")
    documents = int(summary.group(1))
    stages = {name: float(s) for name, s in re.findall(r"(\w+) ([0-9.]+)s", summary.group(4))}
    record = {"system": "dedup", "format": report_format, "label": f"dedup scan --format {report_format} --jobs {jobs}",
              "documents": documents, "cores": jobs, **child, "seconds": child["wall_seconds"],
              "stats": {"documents": documents, "clusters": int(summary.group(2)), "singletons": int(summary.group(3))},
              "stages": {s: {"seconds": stages.get(s, 0.0), "docs_per_s": documents / max(stages.get(s, 0.0), 1e-9)} for s in STAGES}}
    if report_format == "csv":
        record.update(score(csv_clusters(output), family))
    else:
        report = json.loads(output.read_text(encoding="utf-8"))
        clusters = [[m["doc_id"] for m in c["members"]] for c in report["clusters"]]
        record.update(score(clusters, family))
    output.unlink()
    return _rates(record)


def _rates(record: dict[str, Any]) -> dict[str, Any]:
    record["docs_per_s"] = record["documents"] / record["seconds"]
    record["per_core_docs_per_s"] = record["docs_per_s"] / record["cores"]
    return record


def run_peer(settings: list[dict[str, Any]], corpus: Path, folder: Path, family: dict[str, str]) -> list[dict[str, Any]]:
    """One peer process over ``settings``; one scored record per setting."""
    spec, output = folder / "settings.json", folder / "peer.json"
    spec.write_text(json.dumps(settings), encoding="utf-8")
    threads = settings[0].get("threads", 1)
    child = run_child([sys.executable, "-m", "benchmarks.peers", str(spec), str(corpus), str(output)],
                      env={"RAYON_NUM_THREADS": str(threads)})
    child.pop("stderr")
    result = json.loads(output.read_text(encoding="utf-8"))
    records = []
    for run in result["runs"]:
        setting = run["setting"]
        alone = len(settings) == 1
        record = {"system": result["system"], "setting": setting, "label": label(setting, run["lsh"]), "lsh": run["lsh"],
                  "documents": result["documents"], "cores": threads,
                  # alone: the whole run; in a sweep: the shared signing plus this setting's index
                  "seconds": result["seconds"] if alone else result["prepare_seconds"] + run["index_seconds"],
                  "prepare_seconds": result["prepare_seconds"], "index_seconds": run["index_seconds"],
                  "peak_rss_mb": child["peak_rss_mb"] if alone else None,
                  "cpu_seconds": child["cpu_seconds"] if alone else None, "load": child["load"]}
        record.update(score(run["clusters"], family))
        records.append(_rates(record))
    return records


def label(setting: dict[str, Any], lsh: dict[str, int]) -> str:
    shape = f", {lsh['bands']}x{lsh['rows']}" if lsh else ""
    threads = f", {setting['threads']} threads" if setting["system"] == "gaoya" else ""
    return f"{setting['system']} (t={setting['threshold']}, {setting['num_perm']} perm{shape}, {setting['shingle']}-grams{threads})"


def sweep(system: str, args: argparse.Namespace, corpus: Path, folder: Path, family: dict[str, str]) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    for num_perm in args.num_perms:
        settings = [{"system": system, "threshold": t, "num_perm": num_perm, "shingle": args.shingle} for t in args.thresholds]
        if system == "gaoya":
            for setting in settings:
                runs += run_peer([{**setting, "threads": max(args.gaoya_threads)}], corpus, folder, family)
        else:
            runs += run_peer(settings, corpus, folder, family)
    return runs


def pick(runs: list[dict[str, Any]], dedup: dict[str, Any], precision_too: bool = False) -> tuple[dict[str, Any], bool]:
    """The fastest run reaching dedup's recall (and precision), else the best-recall run."""
    good = [r for r in runs if r["recall"] >= dedup["recall"] and (not precision_too or r["precision"] >= dedup["precision"])]
    if good:
        return max(good, key=lambda r: r["docs_per_s"]), True
    return max(runs, key=lambda r: (r["recall"], r["docs_per_s"])), False


def equal_quality_ratios(dedup: dict[str, Any], runs: list[dict[str, Any]], precision_too: bool = False) -> dict[str, dict[str, Any]]:
    """Per system, dedup's docs/s over that of its fastest run reaching dedup's recall (and precision).

    A system with no such run is compared with its best-recall run, and ``matches_dedup`` says so.
    """
    comparison = {}
    for system in sorted({r["system"] for r in runs}):
        chosen, matches = pick([r for r in runs if r["system"] == system], dedup, precision_too)
        comparison[system] = {"run": chosen["label"], "matches_dedup": matches, "ratio": dedup["docs_per_s"] / chosen["docs_per_s"]}
    return comparison


def best_of(repeats: list[dict[str, Any]]) -> dict[str, Any]:
    best = min(repeats, key=lambda r: r["seconds"])
    return {**best, "repeats_seconds": [r["seconds"] for r in repeats]}


def timed_peers(swept: list[dict[str, Any]], dedup: dict[str, Any], args: argparse.Namespace, corpus: Path,
                folder: Path, family: dict[str, str]) -> list[dict[str, Any]]:
    """Each peer's chosen settings, each run alone ``--repeat`` times (best kept), gaoya at each thread count."""
    final = []
    for system in sorted({r["system"] for r in swept}):
        runs = [r for r in swept if r["system"] == system]
        chosen = {json.dumps(pick(runs, dedup, precision_too)[0]["setting"], sort_keys=True) for precision_too in (False, True)}
        for setting in sorted(chosen):
            base = json.loads(setting)
            variants = [{**base, "threads": t} for t in args.gaoya_threads] if system == "gaoya" else [base]
            for variant in variants:
                final.append(best_of([run_peer([variant], corpus, folder, family)[0] for _ in range(args.repeat)]))
    return final


def installed_peers() -> list[str]:
    from importlib.util import find_spec

    return [system for system in SYSTEMS if find_spec(system) is not None]


def machine() -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    model = platform.processor() or ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    versions = {}
    for package in ("numpy", *SYSTEMS):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "not installed"
    return {"cpu": model, "cores": os.cpu_count(), "ram_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "python": platform.python_version(), **versions, "platform": platform.platform()}


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=sorted(KINDS), default="news", help="Generated corpus (benchmarks.corpus --kind).")
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=2, help="dedup scan --jobs.")
    parser.add_argument("--formats", "--format", default="csv,json", help="dedup report formats timed (csv = the pairs table).")
    parser.add_argument("--peers", default=",".join(installed_peers()), help="Peers to run, comma-separated (default: those installed).")
    parser.add_argument("--thresholds", default="0.1,0.2,0.3,0.4,0.5", help="Jaccard thresholds swept for every peer.")
    parser.add_argument("--num-perms", default="64,128", help="Signature lengths swept for every peer.")
    parser.add_argument("--shingle", type=int, default=5, help="Peers' word n-gram size.")
    parser.add_argument("--gaoya-threads", default="1,2", help="gaoya's thread counts (RAYON_NUM_THREADS).")
    parser.add_argument("--repeat", type=int, default=2, help="Runs of each timed setting; the fastest is kept.")
    parser.add_argument("--wait-load", type=float, default=0.0, help="Before timing, wait (polling each minute) for the 1-minute load to fall below this.")
    parser.add_argument("--wait-minutes", type=float, default=20.0)
    parser.add_argument("--skip-baselines", action="store_true", help="Time dedup alone.")
    parser.add_argument("--no-markdown", action="store_true", help="Do not rewrite RESULTS.md.")
    parser.add_argument("--output", type=Path, help="JSON results file (default benchmarks/results/scan-<kind>-<articles>.json).")
    args = parser.parse_args(argv)
    args.formats = [f for f in args.formats.split(",") if f]
    args.peers = [p for p in args.peers.split(",") if p]
    args.thresholds = [float(t) for t in args.thresholds.split(",")]
    args.num_perms = [int(n) for n in args.num_perms.split(",")]
    args.gaoya_threads = [int(n) for n in args.gaoya_threads.split(",")]
    if unknown := set(args.peers) - set(SYSTEMS):
        parser.error(f"--peers: unknown {sorted(unknown)}; known: {', '.join(SYSTEMS)}")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse(argv)
    record: dict[str, Any] = {
        "command": "python -m benchmarks.bench_scan " + " ".join(argv if argv is not None else sys.argv[1:]),
        "kind": args.kind, "articles": args.articles, "seed": args.seed, "jobs": args.jobs, "machine": machine(),
        "sweep_grid": {"thresholds": args.thresholds, "num_perms": args.num_perms, "shingle": args.shingle,
                       "gaoya_threads": args.gaoya_threads, "repeat": args.repeat},
    }
    with tempfile.TemporaryDirectory(prefix="dedup-bench-") as name:
        folder = Path(name)
        corpus = folder / "corpus.jsonl"
        family = write_corpus(corpus, args.articles, args.seed, args.kind)
        record["corpus_bytes"] = corpus.stat().st_size
        if args.wait_load:
            record["load_wait"] = wait_for_load(args.wait_load, args.wait_minutes)
        reports = {}
        for report_format in args.formats:
            repeats = 1 if report_format == "json" else args.repeat
            reports[report_format] = best_of([run_dedup(corpus, report_format, args.jobs, folder, family) for _ in range(repeats)])
        record["dedup_reports"] = reports
        record["dedup"] = reports.get("csv") or next(iter(reports.values()))
        if not args.skip_baselines:
            swept = [r for system in args.peers for r in sweep(system, args, corpus, folder, family)]
            record["sweep"] = swept
            record["baselines"] = timed_peers(swept, record["dedup"], args, corpus, folder, family)
            record["ratios"] = {b["label"]: record["dedup"]["docs_per_s"] / b["docs_per_s"] for b in record["baselines"]}
            record["equal_quality"] = {f: equal_quality_ratios(r, record["baselines"]) for f, r in reports.items()}
            record["equal_quality_and_precision"] = {f: equal_quality_ratios(r, record["baselines"], True) for f, r in reports.items()}
        record["load_at_end"] = load()
    RESULTS.mkdir(exist_ok=True)
    output = args.output or RESULTS / f"scan-{args.kind}-{args.articles}.json"
    output.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if not args.no_markdown:
        write_markdown()
    print(json.dumps({k: record[k] for k in ("kind", "articles", "equal_quality") if k in record}, indent=2))
    return record


def _row(run: dict[str, Any], system: dict[str, Any], ratio: str) -> str:
    rss = f"{system['peak_rss_mb']:,.0f}" if system.get("peak_rss_mb") else ""
    loads = "/".join(f"{x:.2f}" for x in system.get("load", []))
    return (f"| {run['kind']} | {run['articles']:,} | {system['label']} | {system['seconds']:,.1f} | {system['docs_per_s']:,.0f} | "
            f"{system['cores']} | {system['per_core_docs_per_s']:,.0f} | {rss} | {system['recall']:.4f} | {system['precision']:.4f} | "
            f"{ratio} | {loads} |")


def write_markdown() -> None:
    """Rewrite RESULTS.md's tables (above its notes) from the ``scan-<kind>-<articles>.json`` files in
    benchmarks/results, the names runs write by default; files renamed to keep an earlier run are left out."""
    canonical = re.compile(r"scan-[a-z]+-\d+\.json")
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(RESULTS.glob("scan-*.json")) if canonical.fullmatch(p.name)]
    runs = sorted((r for r in runs if "kind" in r), key=lambda r: (r["kind"] != "news", r["articles"]))
    header = ("| corpus | articles | system | seconds | docs/s | cores | docs/s per core | peak RSS MB | recall | precision | "
              "dedup csv ÷ system | load before/after |")
    rule = "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    lines = ["# Benchmark results", "",
             "Made by `benchmarks/bench_scan.py`; each row comes from a JSON file in `benchmarks/results/`",
             "(`scan-<corpus>-<articles>.json`). Times are wall-clock seconds on the machine below, best of",
             "the repeats; recall and precision are over all pairs inside each system's clusters against the",
             "planted families; RSS is peak resident memory of the system's own process (and its workers).",
             "", "## dedup scan, end to end and per stage (docs/s)", "",
             "| corpus | articles | format | jobs | seconds | docs/s | " + " | ".join(STAGES) + " | peak RSS MB | recall | precision |",
             "|---|---:|---|---:|---:|---:|" + "---:|" * len(STAGES) + "---:|---:|---:|"]
    for run in runs:
        for report_format, d in run["dedup_reports"].items():
            stages = " | ".join(f"{d['stages'][s]['docs_per_s']:,.0f}" for s in STAGES)
            lines.append(f"| {run['kind']} | {run['articles']:,} | {report_format} | {run['jobs']} | {d['seconds']:,.1f} | "
                         f"{d['docs_per_s']:,.0f} | {stages} | {d['peak_rss_mb']:,.0f} | {d['recall']:.4f} | {d['precision']:.4f} |")
    lines += ["", "## Against the baselines, each at its own best setting", "",
              "Each peer's fastest setting whose recall reaches dedup's (and, where it differs, its fastest",
              "reaching dedup's recall and precision), run alone; dedup's two reports above them.", "", header, rule]
    for run in (r for r in runs if "baselines" in r):
        csv_rate = run["dedup"]["docs_per_s"]
        for d in run["dedup_reports"].values():
            lines.append(_row(run, d, f"{csv_rate / d['docs_per_s']:.2f}"))
        for b in run["baselines"]:
            lines.append(_row(run, b, f"{run['ratios'][b['label']]:.2f}"))
    lines += ["", "## At equal quality", "",
              "dedup's docs/s over the fastest peer run reaching dedup's recall (left) and dedup's recall and",
              "precision (right); \"no\" marks a peer none of whose settings reaches it (its best-recall run is used).", "",
              "| corpus | articles | dedup report | peer | at equal recall: run | ratio | at equal recall and precision: run | ratio |",
              "|---|---:|---|---|---|---:|---|---:|"]
    for run in (r for r in runs if "equal_quality" in r):
        for report_format, peers in run["equal_quality"].items():
            both = run["equal_quality_and_precision"][report_format]
            for system, chosen in peers.items():
                other = both[system]
                lines.append(f"| {run['kind']} | {run['articles']:,} | {report_format} | {system} | {chosen['run']}"
                             f"{'' if chosen['matches_dedup'] else ' (no)'} | {chosen['ratio']:.2f} | {other['run']}"
                             f"{'' if other['matches_dedup'] else ' (no)'} | {other['ratio']:.2f} |")
    lines += ["", "## Commands", ""]
    lines += [f"- `{run['command']}`" for run in runs]
    if runs:
        m = runs[-1]["machine"]
        lines += ["", "## Machine", "",
                  f"{m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM; Python {m['python']}, numpy {m['numpy']}, "
                  f"datasketch {m['datasketch']}, rensa {m['rensa']}, gaoya {m['gaoya']} ({m['platform']})."]
    text = RESULTS_MD.read_text(encoding="utf-8") if RESULTS_MD.exists() else ""
    notes = text.split("<!-- notes -->", 1)[1] if "<!-- notes -->" in text else "\n"
    RESULTS_MD.write_text("\n".join(lines) + "\n\n<!-- notes -->" + notes, encoding="utf-8")


if __name__ == "__main__":
    main()
