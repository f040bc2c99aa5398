"""JSON report encoding: the standard library's indenting encoder against dedup's, on one report.

Scans a generated corpus, builds its JSON report's dict once, then writes it both ways,
alternating, and keeps each one's best time; the two texts must be equal. Results go to
JSON beside a one-line summary.

    python -m benchmarks.bench_json --articles 20000 --jobs 2 -o benchmarks/results/json-20000.json
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

from benchmarks.corpus import write_corpus
from dedup import __version__
from dedup.pipeline import scan
from dedup.report import encode
from dedup.report.records import to_json_dict
from dedup.story.provenance import analyse


def best_of(runs: int, func) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("-o", "--output", type=Path, default=Path("bench_json.json"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_json_") as folder:
        corpus = Path(folder) / "corpus.jsonl"
        write_corpus(corpus, args.articles, args.seed)
        result = scan([corpus], jobs=args.jobs)
    started = time.perf_counter()
    provenances = analyse(result)
    analyse_s = time.perf_counter() - started
    started = time.perf_counter()
    report = to_json_dict(result, provenances)
    dict_s = time.perf_counter() - started

    def standard() -> str:
        return json.dumps(report, ensure_ascii=False, indent=2)

    timings = {"standard_library_s": 0.0, "dedup_encode_s": 0.0, "check_s": 0.0}
    for name, func in (("standard_library_s", standard), ("dedup_encode_s", lambda: encode.dumps(report)),
                       ("check_s", lambda: encode.plain(report))):
        timings[name] = round(best_of(args.runs, func), 3)
    text = encode.dumps(report)
    figures = {
        "tool": {"name": "dedup", "version": __version__}, "articles": args.articles, "seed": args.seed,
        "machine": platform.platform(), "python": platform.python_version(),
        "orjson": getattr(encode.orjson, "__version__", None), "orjson_used": encode._ORJSON_AGREES and encode.plain(report),
        "analyse_s": round(analyse_s, 3), "report_dict_s": round(dict_s, 3), **timings,
        "speedup": round(timings["standard_library_s"] / timings["dedup_encode_s"], 2),
        "characters": len(text), "identical": text == standard(),
    }
    args.output.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(figures))
    if not figures["identical"]:
        raise SystemExit("the two encoders wrote different texts")


if __name__ == "__main__":
    main()
