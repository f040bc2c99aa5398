"""Measure the pair signals the "same story copy" decision could use.

For every pair of articles about one event, copies of one dispatch (positives) and
independently written articles (hard negatives), it computes:

* ``jaccard5``: word 5-gram Jaccard, the usual near-duplicate measure;
* ``containment_all``: containment of the smaller article in the larger, quotes kept;
* ``containment_narrative``: the same with quoted speech left out (dedup's fingerprint);
* ``tfidf_cosine``: TF-IDF cosine of the whole articles (a topic measure);
* ``shared_passages``: sentences shared near-verbatim (narrative only).

and the precision and recall of several decision rules on those pairs. Corpora: the
seeds with the hand-written independent articles (tests/fixtures/independent), and a
generated corpus (benchmarks/corpus.py).

    python -m benchmarks.signals --articles 3000 -o benchmarks/results/signals.json
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from benchmarks.corpus import generate
from dedup.match.fingerprint import FingerprintConfig, content_text, fingerprint
from dedup.match.verify import MatchConfig, build_units, score_pairs
from dedup.text.normalize import normalize_text

ROOT = Path(__file__).resolve().parent.parent

Rule = Callable[[dict[str, float]], bool]
RULES: dict[str, Rule] = {
    "jaccard5 >= 0.5 (usual LSH level)": lambda s: s["jaccard5"] >= 0.5,
    "jaccard5 >= 0.1": lambda s: s["jaccard5"] >= 0.1,
    "jaccard5 >= 0.05": lambda s: s["jaccard5"] >= 0.05,
    "containment_all >= 0.12": lambda s: s["containment_all"] >= 0.12,
    "tfidf_cosine >= 0.5": lambda s: s["tfidf_cosine"] >= 0.5,
    "containment_narrative >= 0.12": lambda s: s["containment_narrative"] >= 0.12,
    "dedup default (narrative containment >= 0.12, >= 8 shingles, >= 1 shared sentence)": lambda s: s["dedup"] >= 1,
}


def pair_signals(texts: Sequence[str], pairs: Sequence[tuple[int, int]]) -> list[dict[str, float]]:
    config = FingerprintConfig()
    narrative = fingerprint([content_text(t) for t in texts], config)
    full = fingerprint([content_text(t, ignore_quotes=False) for t in texts], config)
    units = build_units(texts, config)
    decisions = score_pairs(np.array(pairs, dtype=np.int64).reshape(-1, 2), narrative, lambda i: units[i], MatchConfig())
    tfidf = TfidfVectorizer(preprocessor=normalize_text, sublinear_tf=True).fit_transform(texts)
    rows = []
    for (a, b), decision in zip(pairs, decisions):
        sets_full = full.shingle_set(a), full.shingle_set(b)
        shared_full = len(np.intersect1d(*sets_full, assume_unique=True))
        rows.append(
            {
                "jaccard5": shared_full / max(1, len(sets_full[0]) + len(sets_full[1]) - shared_full),
                "containment_all": shared_full / max(1, min(map(len, sets_full))),
                "containment_narrative": decision.containment,
                "tfidf_cosine": float((tfidf[a] @ tfidf[b].T).toarray()[0, 0]),
                "shared_passages": decision.shared_passages,
                "dedup": int(decision.same_story),
            }
        )
    return rows


def evaluate(rows: list[dict[str, float]], labels: list[bool]) -> dict[str, object]:
    positives = [r for r, y in zip(rows, labels) if y]
    negatives = [r for r, y in zip(rows, labels) if not y]
    summary: dict[str, object] = {"positive_pairs": len(positives), "negative_pairs": len(negatives), "signals": {}, "rules": {}}
    for name in ("jaccard5", "containment_all", "containment_narrative", "tfidf_cosine", "shared_passages"):
        pos = np.array([r[name] for r in positives]) if positives else np.zeros(1)
        neg = np.array([r[name] for r in negatives]) if negatives else np.zeros(1)
        summary["signals"][name] = {  # type: ignore[index]
            "positives_min": round(float(pos.min()), 4),
            "positives_p05": round(float(np.percentile(pos, 5)), 4),
            "positives_median": round(float(np.median(pos)), 4),
            "negatives_max": round(float(neg.max()), 4),
            "negatives_p99": round(float(np.percentile(neg, 99)), 4),
        }
    for name, rule in RULES.items():
        predicted = [rule(r) for r in rows]
        tp = sum(p and y for p, y in zip(predicted, labels))
        summary["rules"][name] = {  # type: ignore[index]
            "precision": round(tp / max(1, sum(predicted)), 4),
            "recall": round(tp / max(1, sum(labels)), 4),
        }
    return summary


def fixtures_corpus() -> tuple[list[str], list[tuple[int, int]], list[bool]]:
    files = sorted((ROOT / "seeds").iterdir()) + sorted((ROOT / "tests" / "fixtures" / "independent").glob("*/*.txt"))
    texts = [p.read_text(encoding="utf-8") for p in files]
    is_seed = [p.parent.name == "seeds" for p in files]
    same_event = [p.parent.name in ("seeds", "fr") for p in files]
    pairs, labels = [], []
    for a, b in itertools.combinations(range(len(files)), 2):
        if same_event[a] == same_event[b]:
            pairs.append((a, b))
            labels.append(is_seed[a] and is_seed[b])
    return texts, pairs, labels


def generated_corpus(articles: int, seed: int) -> tuple[list[str], list[tuple[int, int]], list[bool]]:
    items = list(generate(articles, seed))
    texts = [a.text for a in items]
    by_event: dict[str, list[int]] = {}
    for k, article in enumerate(items):
        by_event.setdefault(article.doc_id.split("-")[0], []).append(k)
    pairs, labels = [], []
    for members in by_event.values():
        for a, b in itertools.combinations(members, 2):
            pairs.append((a, b))
            labels.append(items[a].family == items[b].family)
    return texts, pairs, labels


def main() -> None:
    parser = argparse.ArgumentParser(description="Measure pair decision signals")
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "benchmarks" / "results" / "signals.json")
    args = parser.parse_args()
    report = {}
    for name, (texts, pairs, labels) in {
        "seeds_and_independent_fixtures": fixtures_corpus(),
        f"generated_{args.articles}_seed{args.seed}": generated_corpus(args.articles, args.seed),
    }.items():
        report[name] = evaluate(pair_signals(texts, pairs), labels)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for name, summary in report.items():
        print(f"## {name}: {summary['positive_pairs']} copy pairs, {summary['negative_pairs']} same-event independent pairs")
        print("| rule | precision | recall |\n|---|---|---|")
        for rule, scores in summary["rules"].items():
            print(f"| {rule} | {scores['precision']:.3f} | {scores['recall']:.3f} |")
        print("| signal | copies: min | copies: 5th pct | copies: median | independent: max | independent: 99th pct |")
        print("|---|---|---|---|---|---|")
        for signal, stats in summary["signals"].items():
            print(f"| {signal} | {stats['positives_min']} | {stats['positives_p05']} | {stats['positives_median']} | "
                  f"{stats['negatives_max']} | {stats['negatives_p99']} |")
        print()


if __name__ == "__main__":
    main()
