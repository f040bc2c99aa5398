"""Detection quality of ``dedup scan`` (default settings) on real labelled news.

Two development sets, built outside the repository by ``../shared/realdata/build.py``
(its README beside it) under ``--data`` (default ``/tmp/dedup-realdata``):

* ``counter-dev/``: COUNTER, Urdu agency stories and newspaper rewrites, pairs labelled
  wholly derived (WD), partially derived (PD) or non-derived (ND), the agency story named.
* ``asprout-en/``: English web pages of one news week, positive groups (copies of one
  dispatch, some sharing a ``lineage``) and hard negatives.

Each set is scanned by the CLI exactly as a user would (``python -m dedup scan DOCS
--format json -o REPORT --on-error skip`` plus the field names of the set) and scored
with :mod:`dedup.evaluate`. COUNTER runs twice: with its own ids (``0001``, ``0001p``: the
agency story sorts first) and with every id replaced by an opaque hash and the documents
reordered by it, so origin accuracy cannot come from id or file order. Wall time and peak
RSS of each scan process are recorded.

    python -m benchmarks.realdata

Writes ``benchmarks/results/realdata.json`` (figures only, never texts) and prints a
markdown table. Without the data it says so and exits 0. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from dedup import __version__
from dedup.evaluate import Evaluation, evaluate, load_labels, read_report

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = Path("/tmp/dedup-realdata")
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results" / "realdata.json"
DEFAULT_SALT = "dedup-realdata-1"
# (set folder, documents file, labels file, the field holding a published date)
SETS = {
    "counter-dev": ("documents.jsonl", "pairs.jsonl", "date"),
    "asprout-en": ("documents.jsonl", "labels.jsonl", "scraped_at"),
}


def opaque(doc_id: str, salt: str) -> str:
    """An id that keeps no trace of the original's order: 16 hex digits of sha256(salt + id)."""
    return hashlib.sha256((salt + doc_id).encode("utf-8")).hexdigest()[:16]


def write_hashed_copy(documents: Path, labels: Path, salt: str, folder: Path) -> tuple[Path, Path]:
    """Documents and pair labels with every id hashed, documents sorted by the new id."""
    records = [json.loads(line) for line in documents.read_text(encoding="utf-8").splitlines() if line.strip()]
    for record in records:
        record["id"] = opaque(record["id"], salt)
    records.sort(key=lambda r: r["id"])
    hashed_documents = folder / "documents.jsonl"
    hashed_documents.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    out = []
    for line in labels.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        label = json.loads(line)
        for key in ("a", "b", "agency", "source"):
            if isinstance(label.get(key), str):
                label[key] = opaque(label[key], salt)
        if isinstance(label.get("ids"), list):
            label["ids"] = [opaque(i, salt) for i in label["ids"]]
        out.append(json.dumps(label, ensure_ascii=False) + "\n")
    hashed_labels = folder / "labels.jsonl"
    hashed_labels.write_text("".join(out), encoding="utf-8")
    return hashed_documents, hashed_labels


def run_scan(documents: Path, published_field: str, report: Path) -> dict[str, Any]:
    """Run the CLI scan in a child process; its wall time and peak RSS (that process alone)."""
    command = [sys.executable, "-m", "dedup", "scan", str(documents), "--format", "json", "-o", str(report),
               "--on-error", "skip", "--source-field", "source", "--published-field", published_field, "-q"]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
    if process.returncode:
        raise SystemExit(f"scan failed ({process.returncode}): {stderr.strip()[-2000:]}")
    summary = json.loads(report.read_text(encoding="utf-8"))["summary"]
    return {
        "command": " ".join(["python", *command[1:4], f"{documents.parent.name}/{documents.name}", *command[5:7],
                             "-o", "REPORT.json", *command[9:]]),
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux reports kB
        "summary": {k: summary[k] for k in ("documents", "verified_pairs", "clusters", "clustered_documents",
                                            "singletons", "skipped")},
    }


def score(report: Path, labels: Path) -> Evaluation:
    return evaluate(read_report(report), load_labels(labels))


def _rate(evaluation: Evaluation, label: str) -> dict[str, Any]:
    rate = evaluation.class_rate(label)
    return {"pairs": rate.pairs, "grouped": rate.grouped, "rate": rate.rate} if rate else {}


def run_set(name: str, data: Path, salt: str, work: Path) -> list[dict[str, Any]]:
    documents_name, labels_name, published_field = SETS[name]
    documents, labels = data / name / documents_name, data / name / labels_name
    variants = [("corpus ids", documents, labels)]
    if name == "counter-dev":
        folder = work / f"{name}-hashed"
        folder.mkdir()
        variants.append(("hashed ids", *write_hashed_copy(documents, labels, salt, folder)))
    runs = []
    for variant, docs, labs in variants:
        report = work / f"{name}-{variant.replace(' ', '-')}.json"
        print(f"scanning {name} ({variant})...", file=sys.stderr)
        scan = run_scan(docs, published_field, report)
        evaluation = score(report, labs)
        runs.append({"set": name, "ids": variant, "scan": scan, "scores": evaluation.to_dict(),
                     "headline": headline(name, evaluation)})
        report.unlink()
    return runs


def headline(name: str, e: Evaluation) -> dict[str, Any]:
    """The figures each set is read by."""
    if name == "counter-dev":
        return {
            "WD grouped": _rate(e, "WD"), "PD grouped": _rate(e, "PD"), "ND grouped": _rate(e, "ND"),
            "origin": {"pairs": e.origin_pairs, "correct": e.origin_correct, "undetermined": e.origin_undetermined,
                       "accuracy": e.origin_accuracy},
        }
    return {
        "positive pair recall": e.pair_recall,
        "hard negatives grouped": _rate(e, "hard_negative"),
        "cross-lineage merges": {"pairs": e.cross_group_pairs, "merged": e.cross_group_merged,
                                 "fraction": e.cross_group_merged_fraction},
        "largest cluster": e.largest_cluster_size,
        "bcubed": {"precision": e.bcubed_precision, "recall": e.bcubed_recall, "f1": e.bcubed_f1},
    }


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _grouped(rate: dict[str, Any]) -> str:
    return f"{rate['grouped']}/{rate['pairs']} ({_fmt(rate['rate'])})" if rate else "n/a"


def markdown(runs: list[dict[str, Any]]) -> str:
    lines = []
    counter = [r for r in runs if r["set"] == "counter-dev"]
    if counter:
        lines += [("| COUNTER (Urdu, 300 pairs) | WD grouped | PD grouped | ND grouped | origin = agency (grouped WD/PD) "
                  "| undetermined | scan s | peak RSS MB |"), "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for r in counter:
            h, origin = r["headline"], r["headline"]["origin"]
            lines.append(f"| {r['ids']} | {_grouped(h['WD grouped'])} | {_grouped(h['PD grouped'])} | "
                         f"{_grouped(h['ND grouped'])} | {origin['correct']}/{origin['pairs']} "
                         f"({_fmt(origin['accuracy'])}) | {origin['undetermined']} | {r['scan']['seconds']:.1f} | "
                         f"{r['scan']['peak_rss_mb']:.0f} |")
    asprout = [r for r in runs if r["set"] == "asprout-en"]
    if asprout:
        if lines:
            lines.append("")
        lines += [("| asprout (English pages) | positive-pair recall | hard negatives grouped | cross-lineage merges "
                  "| largest cluster | B-cubed P / R / F1 | scan s | peak RSS MB |"),
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for r in asprout:
            h = r["headline"]
            cross, b = h["cross-lineage merges"], h["bcubed"]
            lines.append(f"| {r['ids']} | {_fmt(h['positive pair recall'])} | {_grouped(h['hard negatives grouped'])} "
                         f"| {cross['merged']}/{cross['pairs']} ({_fmt(cross['fraction'])}) | "
                         f"{h['largest cluster']} | {_fmt(b['precision'])} / {_fmt(b['recall'])} / {_fmt(b['f1'])} | "
                         f"{r['scan']['seconds']:.1f} | {r['scan']['peak_rss_mb']:.0f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Folder holding the built sets.")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON results file.")
    parser.add_argument("--salt", default=DEFAULT_SALT, help="Salt of the opaque ids.")
    parser.add_argument("--sets", nargs="+", choices=sorted(SETS), default=sorted(SETS))
    args = parser.parse_args(argv)
    present = [name for name in args.sets if all((args.data / name / f).exists() for f in SETS[name][:2])]
    if not present:
        print(f"skipped: no labelled sets under {args.data} (build them with ../shared/realdata/build.py)",
              file=sys.stderr)
        return 0
    for name in sorted(set(args.sets) - set(present)):
        print(f"skipped {name}: not under {args.data}", file=sys.stderr)
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="dedup-realdata-") as tmp:
        for name in sorted(present, reverse=True):  # COUNTER first
            runs.extend(run_set(name, args.data, args.salt, Path(tmp)))
    results = {
        "benchmark": "realdata",
        "dedup_version": __version__,
        "command": "python -m benchmarks.realdata" + (f" --data {args.data}" if args.data != DEFAULT_DATA else ""),
        "salt": args.salt,
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()},
        "runs": runs,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(markdown(runs), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
