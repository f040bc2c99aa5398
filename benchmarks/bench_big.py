"""The full JSON report on hard shapes: one cluster of 300 long pages, two 2M-character copies, one dispatch on 300 sites.

``cluster300``: 300 web pages of 2,000-5,000 words, each carrying one shared wire story
(trimmed, with a few words changed) among text of its own (navigation lines, related
links, background paragraphs), plus 100 unrelated pages. ``twocopies``: two near-copies
of one text of about 2,000,000 characters (a few words changed, a few paragraphs
dropped). ``syndicated``: one wire story republished by 300 sites, each page adding its
furniture and related links and rewording at most one sentence, plus a copy trimmed to
half, 10 pages that pad it with three times its length of their own, and 100 unrelated
pages: every band's LSH bucket of the story holds more than ``max_bucket`` (200)
documents. Each case is written as ``.txt`` files to a temporary folder and timed end to
end, as a user runs it, with ``/usr/bin/time``:

    python -m dedup scan DIR --format json -o OUT --max-chars N

The stage timings come from the summary line the command prints on stderr (the report
holds none). Results go to JSON beside a one-line summary per run; the load average is
recorded with each run, since other work may share the machine.

    python -m benchmarks.bench_big --runs 3 -o benchmarks/results/big.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.corpus import _Event, _paraphrase
from dedup import __version__

CASES = ("cluster300", "twocopies", "syndicated")
FURNITURE = ["Home", "World", "Business", "Sport", "Culture", "Opinion", "Subscribe", "Log in", "Search", "Menu"]


def _edited(paragraphs: list[str], rng: random.Random, lang: str, edits: int) -> list[str]:
    """``paragraphs`` with a few sentences reworded (words changed, swapped or dropped)."""
    out = list(paragraphs)
    for _ in range(edits):
        k = rng.randrange(len(out))
        sentences = out[k].split(". ")
        s = rng.randrange(len(sentences))
        sentences[s] = _paraphrase(sentences[s], rng, lang)
        out[k] = ". ".join(sentences)
    return out


def cluster_pages(pages: int = 300, unrelated: int = 100, seed: int = 11) -> list[tuple[str, str]]:
    """``(name, text)`` of ``pages`` pages sharing one wire story, then ``unrelated`` pages."""
    rng = random.Random(seed)
    wire = _Event(random.Random(rng.getrandbits(64)), "en", 1)
    story = wire.article(700, "curly")
    documents: list[tuple[str, str]] = []
    for number in range(pages):
        own = _Event(random.Random(rng.getrandbits(64)), "en", 1000 + number)
        keep = max(4, int(len(story) * rng.uniform(0.7, 1.0)))  # trims from the end
        copy = _edited(story[:keep], rng, "en", rng.randint(1, 4))
        top = [" | ".join(rng.sample(FURNITURE, 6)), f"Site {number:03d} - {own.place} edition"]
        related = [f"Related: {own._words(rng.randint(5, 10)).capitalize()}" for _ in range(rng.randint(5, 15))]
        background = own.article(rng.randint(1_300, 4_200), "straight")
        cut = rng.randint(1, max(1, len(background) - 1))
        body = background[:cut] + copy + background[cut:]
        documents.append((f"page{number:03d}", "\n\n".join(top + body + related)))
    for number in range(unrelated):
        own = _Event(random.Random(rng.getrandbits(64)), rng.choice(["en", "fr"]), 5000 + number)
        documents.append((f"other{number:03d}", "\n\n".join(own.article(rng.randint(2_000, 5_000), "straight"))))
    return documents


def two_copies(chars: int = 2_000_000, seed: int = 12) -> list[tuple[str, str]]:
    """Two near-copies of one text of about ``chars`` characters."""
    rng = random.Random(seed)
    paragraphs: list[str] = []
    size = 0
    while size < chars:
        event = _Event(random.Random(rng.getrandbits(64)), "en", len(paragraphs))
        for paragraph in event.article(rng.randint(300, 900), "straight"):
            paragraphs.append(paragraph)
            size += len(paragraph) + 2
    first = "\n\n".join(paragraphs)[:chars]
    second_paragraphs = _edited(paragraphs, rng, "en", len(paragraphs) // 50)
    for _ in range(len(paragraphs) // 200):  # a few paragraphs dropped
        del second_paragraphs[rng.randrange(len(second_paragraphs))]
    second = "\n\n".join(second_paragraphs)[:chars]
    return [("copy-a", first), ("copy-b", second)]


def syndicated_pages(sites: int = 300, padded: int = 10, unrelated: int = 100, seed: int = 13) -> list[tuple[str, str]]:
    """``(name, text)`` of one wire story on ``sites`` sites, a trimmed copy, ``padded`` padded ones, and unrelated pages."""
    rng = random.Random(seed)
    story = _Event(random.Random(rng.getrandbits(64)), "en", 1).article(700, "curly")
    documents: list[tuple[str, str]] = []
    for number in range(sites):
        own = _Event(random.Random(rng.getrandbits(64)), "en", 1000 + number)
        top = [" | ".join(rng.sample(FURNITURE, 6)), f"Site {number:03d} - {own.place} edition"]
        related = [f"Related: {own._words(rng.randint(5, 10)).capitalize()}" for _ in range(rng.randint(2, 6))]
        documents.append((f"site{number:03d}", "\n\n".join(top + _edited(story, rng, "en", rng.randint(0, 1)) + related)))
    documents.append(("trimmed", "\n\n".join(story[: len(story) // 2])))
    for number in range(padded):
        own = _Event(random.Random(rng.getrandbits(64)), "en", 3000 + number)
        documents.append((f"padded{number:02d}", "\n\n".join(story + own.article(2_100, "straight"))))
    for number in range(unrelated):
        own = _Event(random.Random(rng.getrandbits(64)), rng.choice(["en", "fr"]), 5000 + number)
        documents.append((f"other{number:03d}", "\n\n".join(own.article(rng.randint(500, 1_500), "straight"))))
    return documents


def write_case(case: str, folder: Path) -> int:
    makers = {"cluster300": cluster_pages, "twocopies": two_copies, "syndicated": syndicated_pages}
    documents = makers[case]()
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in documents:
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return max(len(text) for _, text in documents)


def run_scan(folder: Path, output: Path, max_chars: int, jobs: int, source: Path) -> dict[str, object]:
    """One timed ``dedup scan``: wall seconds, peak RSS, stage timings, load average before."""
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    command = [sys.executable, "-m", "dedup", "scan", str(folder), "--format", "json", "-o", str(output),
               "--max-chars", str(max_chars), "--jobs", str(jobs)]
    completed = subprocess.run(
        ["/usr/bin/time", "-f", "TIME %e %M", *command], capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": str(source)}, cwd=source,
    )
    if completed.returncode != 0:
        raise SystemExit(f"scan failed:\n{completed.stderr}")
    wall, rss = re.findall(r"TIME ([\d.]+) (\d+)", completed.stderr)[-1]
    summary = re.search(r"\(([^()]*\d\.\d\ds[^()]*)\)\s*$", completed.stderr.split("TIME")[0].strip())
    stages = {name: float(seconds) for name, seconds in re.findall(r"(\w+) ([\d.]+)s", summary.group(1))} if summary else {}
    report = json.loads(output.read_text(encoding="utf-8"))
    sizes = sorted((len(c["members"]) for c in report.get("clusters", [])), reverse=True)
    return {"wall_s": float(wall), "peak_rss_mb": int(rss) / 1024, "stages_s": stages, "loadavg": load,
            "cluster_sizes": sizes[:5], "report_bytes": output.stat().st_size}


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--source", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="checkout of dedup to time (default: this one), to compare two versions")
    parser.add_argument("--keep", type=Path, help="write the inputs and reports here instead of a temporary folder")
    parser.add_argument("-o", "--output", type=Path, default=Path("bench_big.json"))
    args = parser.parse_args(argv)
    record: dict[str, object] = {"version": __version__, "source": str(args.source), "python": platform.python_version(),
                                 "cpus": os.cpu_count(), "jobs": args.jobs, "cases": {}}
    with tempfile.TemporaryDirectory(prefix="bench_big_") as temporary:
        root = args.keep or Path(temporary)
        for case in args.cases:
            folder = root / case
            longest = write_case(case, folder)
            max_chars = max(2_000_000, longest + 1)
            runs = [run_scan(folder, root / f"{case}.json", max_chars, args.jobs, args.source.resolve()) for _ in range(args.runs)]
            record["cases"][case] = {"max_chars": max_chars, "longest": longest, "runs": runs}  # type: ignore[index]
            best = min(runs, key=lambda r: r["wall_s"])
            print(f"{case}: best of {len(runs)} {best['wall_s']:.2f} s, peak {max(r['peak_rss_mb'] for r in runs):.0f} MB, "
                  f"clusters {best['cluster_sizes']}, stages {best['stages_s']}, load {best['loadavg']}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record


if __name__ == "__main__":
    main()
