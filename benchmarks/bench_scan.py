"""End-to-end benchmark of ``dedup scan`` against datasketch and rensa, in one run.

On one generated corpus (see :mod:`benchmarks.corpus`) it measures every stage of
``dedup scan`` (read, normalise, signatures, LSH, verify, cluster, diff, write) in docs/s,
with peak RSS, and the same job done by

* datasketch: ``MinHash.update_batch`` + ``MinHashLSH``, and
* rensa: ``RMinHash`` + ``RMinHashLSH``, at each band count of ``--rensa-bands``,

at the same shingles (word 5-grams of the same normalised content text), ``num_perm``
and LSH threshold. A baseline pair is an LSH candidate whose estimated Jaccard reaches
``--baseline-jaccard``; clusters are the connected components of those pairs. Every
system's pairs (all pairs inside its clusters) are scored for precision and recall
against the planted families, and each system is compared at equal quality: by its
fastest run that reaches dedup's precision and recall. Baselines may run on the first
``--baseline-articles`` articles; dedup then runs on that subsample too, so docs/s
compare at equal size.

    python -m benchmarks.bench_scan --articles 100000 --jobs 2

Writes ``benchmarks/results/scan-<articles>.json`` and rewrites the table in
``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import re
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.corpus import generate
from dedup.match.fingerprint import content_text
from dedup.pipeline import scan
from dedup.report import render
from dedup.story.result import ScanConfig, ScanResult

RESULTS = Path(__file__).resolve().parent / "results"
RESULTS_MD = Path(__file__).resolve().parent / "RESULTS.md"
STAGES = ("read", "normalise", "signatures", "lsh", "verify", "cluster", "diff", "write")
WORD = re.compile(r"[0-9A-Za-z_\x80-\U0010ffff]+")


def peak_rss_mb() -> float:
    """Peak resident memory of this process and of its finished children (workers), in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024  # Linux reports KiB


def write_corpus(path: Path, articles: int, seed: int) -> dict[str, str]:
    """Write the corpus as JSONL; return each id's family (the planted truth)."""
    family: dict[str, str] = {}
    with path.open("w", encoding="utf-8") as out:
        for article in generate(articles, seed):
            out.write(article.to_json() + "\n")
            family[article.doc_id] = article.family
    return family


def truth_pairs(family: dict[str, str], ids: set[str] | None = None) -> set[tuple[str, str]]:
    groups: dict[str, list[str]] = {}
    for doc_id, fam in family.items():
        if ids is None or doc_id in ids:
            groups.setdefault(fam, []).append(doc_id)
    return {pair for members in groups.values() for pair in itertools.combinations(sorted(members), 2)}


def score(predicted: set[tuple[str, str]], truth: set[tuple[str, str]]) -> dict[str, float]:
    hits = len(predicted & truth)
    return {
        "predicted_pairs": len(predicted),
        "true_pairs": len(truth),
        "precision": hits / len(predicted) if predicted else 1.0,
        "recall": hits / len(truth) if truth else 1.0,
    }


def run_dedup(path: Path, jobs: int, report_format: str) -> tuple[ScanResult, dict[str, object]]:
    config = ScanConfig()
    started = time.perf_counter()
    # as the CLI does: the CSV pairs table needs no passage diff
    result = scan([path], config, jobs=jobs, detail=report_format != "csv")
    written = time.perf_counter()
    with open(os.devnull, "w", encoding="utf-8") as sink:
        sink.write(render(result, report_format))  # type: ignore[arg-type]
    total = time.perf_counter() - started
    timings = dict(result.timings)
    timings["write"] = time.perf_counter() - written
    docs = len(result.documents)
    return result, {
        "documents": docs,
        "seconds": total,
        "docs_per_s": docs / total,
        "stages": {s: {"seconds": timings.get(s, 0.0), "docs_per_s": docs / max(timings.get(s, 0.0), 1e-9)} for s in STAGES},
        "stats": result.stats,
    }


def cluster_pairs_of(result: ScanResult) -> set[tuple[str, str]]:
    pairs = set()
    for cluster in result.clusters:
        ids = sorted(result.documents[m.index].doc_id for m in cluster.members)
        pairs.update(itertools.combinations(ids, 2))
    return pairs


def _components(edges: list[tuple[int, int]], count: int) -> list[list[int]]:
    parent = list(range(count))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for x in range(count):
        groups.setdefault(find(x), []).append(x)
    return [g for g in groups.values() if len(g) > 1]


def baseline_shingles(path: Path, limit: int) -> tuple[list[str], list[list[bytes]]]:
    """Ids and word 5-gram shingles of the same normalised content text dedup fingerprints."""
    ids, shingles = [], []
    with path.open(encoding="utf-8") as lines:
        for line in itertools.islice(lines, limit):
            record = json.loads(line)
            grams: set[bytes] = set()
            for text_line in content_text(record["text"]).split("\n"):
                words = WORD.findall(text_line)
                if len(words) < 5:
                    if words:
                        grams.add(" ".join(words).encode("utf-8"))
                    continue
                grams.update(" ".join(words[k : k + 5]).encode("utf-8") for k in range(len(words) - 4))
            ids.append(record["id"])
            shingles.append(sorted(grams))
    return ids, shingles


def run_datasketch(ids: list[str], shingles: list[list[bytes]], threshold: float, accept: float, num_perm: int) -> dict[str, object]:
    from datasketch import MinHash, MinHashLSH

    started = time.perf_counter()
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    sketches = []
    for k, grams in enumerate(shingles):
        sketch = MinHash(num_perm=num_perm, seed=1)
        sketch.update_batch(grams)
        sketches.append(sketch)
    signed = time.perf_counter()
    edges = _lsh_edges(lsh, sketches, accept)
    done = time.perf_counter()
    return _baseline_summary("datasketch", ids, edges, started, signed, done, {"bands": lsh.b, "rows": lsh.r})


def _lsh_edges(lsh: Any, sketches: list[Any], accept: float) -> list[tuple[int, int]]:
    """Index every sketch, query each, and keep pairs whose estimated Jaccard reaches ``accept``.

    datasketch's and rensa's LSH classes share this insert/query interface.
    """
    for k, sketch in enumerate(sketches):
        lsh.insert(k, sketch)
    edges = []
    for k, sketch in enumerate(sketches):
        for other in lsh.query(sketch):
            if other > k and sketch.jaccard(sketches[other]) >= accept:
                edges.append((k, other))
    return edges


def run_rensa(ids: list[str], texts: list[list[str]], threshold: float, accept: float, num_perm: int, bands: int) -> dict[str, object]:
    """rensa's pipeline on shingles given as strings (rensa hashes ``str``, not ``bytes``)."""
    from rensa import RMinHash, RMinHashLSH

    started = time.perf_counter()
    sketches = []
    for grams in texts:
        sketch = RMinHash(num_perm=num_perm, seed=1)
        sketch.update(grams)
        sketches.append(sketch)
    signed = time.perf_counter()
    lsh = RMinHashLSH(threshold=threshold, num_perm=num_perm, num_bands=bands)
    edges = _lsh_edges(lsh, sketches, accept)
    done = time.perf_counter()
    return _baseline_summary("rensa", ids, edges, started, signed, done, {"bands": bands, "rows": num_perm // bands})


def _baseline_summary(name: str, ids: list[str], edges: list[tuple[int, int]], started: float, signed: float, done: float, lsh: dict[str, int]) -> dict[str, object]:
    pairs = set()
    for group in _components(edges, len(ids)):
        pairs.update(itertools.combinations(sorted(ids[k] for k in group), 2))
    return {
        "system": name,
        "documents": len(ids),
        "signature_seconds": signed - started,
        "lsh_seconds": done - signed,
        "seconds": done - started,
        "docs_per_s": len(ids) / (done - started),
        "lsh": lsh,
        "predicted": pairs,
    }


def rensa_band_counts(requested: str, num_perm: int) -> list[int]:
    """The band counts to run rensa at: those requested that divide ``num_perm`` (rensa needs that)."""
    counts = sorted({int(part) for part in requested.split(",") if part.strip()})
    usable = [b for b in counts if 0 < b <= num_perm and num_perm % b == 0]
    if not usable:
        raise SystemExit(f"--rensa-bands: none of {requested!r} divides num_perm={num_perm}")
    return usable


def equal_quality_ratios(dedup: dict[str, Any], baselines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per system, dedup's docs/s ratio to its fastest run that is at least as good as dedup.

    "At least as good" means pair precision and recall both at least dedup's. A system
    with no such run is compared with its best-recall run, and ``matches_dedup`` says so.
    """
    comparison: dict[str, dict[str, Any]] = {}
    for system in sorted({b["system"] for b in baselines}):
        runs = [b for b in baselines if b["system"] == system]
        good = [b for b in runs if b["precision"] >= dedup["precision"] and b["recall"] >= dedup["recall"]]
        chosen = max(good, key=lambda b: b["docs_per_s"]) if good else max(runs, key=lambda b: (b["recall"], b["docs_per_s"]))
        comparison[system] = {
            "run": chosen["label"],
            "matches_dedup": bool(good),
            "ratio": dedup["docs_per_s"] / chosen["docs_per_s"],
        }
    return comparison


def _add_preparation(baseline: dict[str, object], seconds: float) -> None:
    baseline["prepare_seconds"] = seconds
    baseline["seconds"] = float(baseline["seconds"]) + seconds  # type: ignore[arg-type]
    baseline["docs_per_s"] = int(baseline["documents"]) / float(baseline["seconds"])  # type: ignore[arg-type]


def machine() -> dict[str, object]:
    model = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import datasketch

    try:
        from importlib.metadata import version

        rensa_version = version("rensa")
    except Exception:  # noqa: BLE001 - rensa is optional
        rensa_version = "not installed"
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "ram_gib": round(memory, 1),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "datasketch": datasketch.__version__,
        "rensa": rensa_version,
        "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--format", default="json", choices=["json", "csv", "text"], help="Report format written (to /dev/null).")
    parser.add_argument("--baseline-articles", type=int, default=100_000, help="Baselines run on at most this many articles.")
    parser.add_argument("--baseline-jaccard", type=float, default=0.1, help="Estimated Jaccard a baseline candidate needs.")
    parser.add_argument(
        "--rensa-bands", default="32,64,128",
        help="Comma-separated LSH band counts to run rensa at (each must divide num_perm). The fastest run "
        "that reaches dedup's precision and recall is the equal-quality comparison.",
    )
    parser.add_argument("--skip-baselines", action="store_true")
    parser.add_argument("--no-markdown", action="store_true", help="Do not rewrite RESULTS.md.")
    parser.add_argument("--output", type=Path, help="JSON results file (default benchmarks/results/scan-<articles>.json).")
    args = parser.parse_args(argv)

    config = ScanConfig()
    record: dict[str, object] = {"command": "python -m benchmarks.bench_scan " + " ".join(argv if argv is not None else sys.argv[1:]),
                                 "articles": args.articles, "seed": args.seed, "jobs": args.jobs, "format": args.format,
                                 "machine": machine(), "parameters": config.describe()}
    with tempfile.TemporaryDirectory(prefix="dedup-bench-") as folder:
        corpus = Path(folder) / "corpus.jsonl"
        started = time.perf_counter()
        family = write_corpus(corpus, args.articles, args.seed)
        record["corpus_seconds"] = time.perf_counter() - started
        record["corpus_bytes"] = corpus.stat().st_size

        result, dedup = run_dedup(corpus, args.jobs, args.format)
        dedup["peak_rss_mb"] = peak_rss_mb()
        dedup.update(score(cluster_pairs_of(result), truth_pairs(family)))
        del result
        record["dedup"] = dedup

        if not args.skip_baselines:
            sample = min(args.articles, args.baseline_articles)
            if sample < args.articles:
                subset = Path(folder) / "subset.jsonl"
                with corpus.open(encoding="utf-8") as source, subset.open("w", encoding="utf-8") as out:
                    out.writelines(itertools.islice(source, sample))
                sub_result, sub_dedup = run_dedup(subset, args.jobs, args.format)
                sub_ids = {d.doc_id for d in sub_result.documents}
                sub_dedup.update(score(cluster_pairs_of(sub_result), truth_pairs(family, sub_ids)))
                del sub_result
                record["dedup_at_baseline_size"] = sub_dedup
            else:
                subset, sub_dedup = corpus, dedup
            shingled = time.perf_counter()
            ids, shingles = baseline_shingles(subset, sample)
            # Both baselines start from raw JSONL too: reading, normalising and shingling count.
            prepare = time.perf_counter() - shingled
            truth = truth_pairs(family, set(ids))
            num_perm = config.fingerprint.minhash.num_perm
            threshold = config.lsh.threshold
            baselines = []
            ds = run_datasketch(ids, shingles, threshold, args.baseline_jaccard, num_perm)
            _add_preparation(ds, prepare)
            ds.update(score(ds.pop("predicted"), truth))  # type: ignore[arg-type]
            baselines.append(ds)
            try:
                texts = [[g.decode("utf-8") for g in grams] for grams in shingles]  # once for every band count
                for bands in rensa_band_counts(args.rensa_bands, num_perm):
                    rs = run_rensa(ids, texts, threshold, args.baseline_jaccard, num_perm, bands)
                    _add_preparation(rs, prepare)
                    rs.update(score(rs.pop("predicted"), truth))  # type: ignore[arg-type]
                    baselines.append(rs)
            except ImportError:
                print("rensa is not installed (pip install '.[bench]'): skipped", file=sys.stderr)
            record["baselines"] = baselines
            record["baseline_articles"] = sample
            for b in baselines:
                b["label"] = f"{b['system']} (LSH {b['lsh']['bands']}x{b['lsh']['rows']})"  # type: ignore[index]
            record["ratios"] = {b["label"]: sub_dedup["docs_per_s"] / b["docs_per_s"] for b in baselines}  # type: ignore[operator]
            record["equal_quality"] = equal_quality_ratios(sub_dedup, baselines)
            # The baselines stop at candidate pairs; dedup's stages up to the same point:
            stages = sub_dedup["stages"]  # type: ignore[index]
            upto_lsh = sum(stages[s]["seconds"] for s in ("read", "normalise", "signatures", "lsh"))
            record["candidate_stage_ratios"] = {
                b["label"]: (sub_dedup["documents"] / upto_lsh) / b["docs_per_s"] for b in baselines  # type: ignore[operator]
            }

    RESULTS.mkdir(exist_ok=True)
    output = args.output or RESULTS / f"scan-{args.articles}.json"
    output.write_text(json.dumps(record, indent=2, ensure_ascii=False, default=float) + "\n", encoding="utf-8")
    if not args.no_markdown:
        write_markdown()
    print(json.dumps({k: record[k] for k in ("articles", "dedup") if k in record}, indent=2, default=float))
    return record


def write_markdown() -> None:
    """Rewrite RESULTS.md from every JSON file in benchmarks/results."""
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(RESULTS.glob("scan-*.json"))]
    runs.sort(key=lambda r: r["articles"])
    lines = [
        "# Benchmark results",
        "",
        "Made by `benchmarks/bench_scan.py`; each row comes from the JSON file in `benchmarks/results/`",
        "named after the corpus size. Figures are wall-clock docs/s on the machine below, P/R is pair",
        "precision/recall against the planted families, RSS is peak resident memory.",
        "",
        "## dedup scan, end to end and per stage (docs/s)",
        "",
        "| articles | jobs | format | end to end | " + " | ".join(STAGES) + " | peak RSS MB | precision | recall |",
        "|---:|---:|---|---:|" + "---:|" * len(STAGES) + "---:|---:|---:|",
    ]
    for run in runs:
        d = run["dedup"]
        stages = " | ".join(f"{d['stages'][s]['docs_per_s']:,.0f}" for s in STAGES)
        lines.append(
            f"| {run['articles']:,} | {run['jobs']} | {run['format']} | {d['docs_per_s']:,.0f} | {stages} | "
            f"{d['peak_rss_mb']:,.0f} | {d['precision']:.4f} | {d['recall']:.4f} |"
        )
    lines += ["", "## Against the baselines, at equal corpus size", "",
              "| run | articles | system | docs/s | dedup ÷ system (docs/s) | precision | recall |", "|---|---:|---|---:|---:|---:|---:|"]
    for run in runs:
        if "baselines" not in run:
            continue
        own = run.get("dedup_at_baseline_size", run["dedup"])
        size = run["baseline_articles"]
        label = f"{run['articles']:,}-article run"
        lines.append(f"| {label} | {size:,} | dedup scan (jobs {run['jobs']}) | {own['docs_per_s']:,.0f} | 1.0 | {own['precision']:.4f} | {own['recall']:.4f} |")
        for b in run["baselines"]:
            lines.append(
                f"| {label} | {size:,} | {b['label']} | {b['docs_per_s']:,.0f} | {run['ratios'][b['label']]:.2f} | "
                f"{b['precision']:.4f} | {b['recall']:.4f} |"
            )
        for system, ratio in run.get("candidate_stage_ratios", {}).items():
            lines.append(f"| {label} | {size:,} | dedup read→LSH only ÷ {system} | | {ratio:.2f} | | |")
    lines += ["", "## At equal quality", "",
              "Each system's fastest run whose pair precision and recall both reach dedup's; where none does, its",
              "best-recall run, marked \"no\".", "",
              "| run | articles | system | compared run | its precision | its recall | dedup's recall | reaches dedup's P and R | dedup ÷ system (docs/s) |",
              "|---|---:|---|---|---:|---:|---:|---|---:|"]
    for run in runs:
        own = run.get("dedup_at_baseline_size", run["dedup"])
        for system, chosen in run.get("equal_quality", {}).items():
            compared = next(b for b in run["baselines"] if b.get("label") == chosen["run"])
            lines.append(
                f"| {run['articles']:,}-article run | {run['baseline_articles']:,} | {system} | {chosen['run']} | "
                f"{compared['precision']:.6f} | {compared['recall']:.6f} | {own['recall']:.6f} | "
                f"{'yes' if chosen['matches_dedup'] else 'no'} | {chosen['ratio']:.2f} |"
            )
    lines += ["", "## Commands", ""]
    for run in runs:
        lines.append(f"- `{run['command']}`")
    if runs:
        m = runs[-1]["machine"]
        lines += ["", "## Machine", "",
                  f"{m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM; Python {m['python']}, numpy {m['numpy']}, "
                  f"datasketch {m['datasketch']}, rensa {m['rensa']} ({m['platform']})."]
    notes = RESULTS_MD.read_text(encoding="utf-8").split("<!-- notes -->", 1)[1] if RESULTS_MD.exists() and "<!-- notes -->" in RESULTS_MD.read_text(encoding="utf-8") else "\n"
    RESULTS_MD.write_text("\n".join(lines) + "\n\n<!-- notes -->" + notes, encoding="utf-8")


if __name__ == "__main__":
    main()
