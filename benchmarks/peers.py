"""The other MinHash deduplicators, each run the way its own documentation runs it.

Each peer reads the JSONL itself, tokenises the text its own plain way (lowercased,
split into words, word n-gram shingles; none of dedup's normaliser), signs each
document, indexes the signatures in its own LSH, keeps the candidates whose estimated
Jaccard reaches the threshold and clusters them as connected components:

* datasketch: ``MinHash.update_batch`` + ``MinHashLSH`` (its own band optimiser);
* rensa: ``RMinHash.update`` + ``RMinHashLSH`` (bands given: the divisor of
  ``num_perm`` whose S-curve midpoint is nearest below the threshold);
* gaoya: ``MinHashStringIndex`` with its own word analyzer, ``par_bulk_insert_docs`` and
  ``par_bulk_query`` as its README does (bands from its own S-curve, Rust threads;
  ``RAYON_NUM_THREADS`` sets how many).

Run as a child process (of GNU time, in :mod:`benchmarks.bench_scan`) so that its peak
RSS is its own::

    python -m benchmarks.peers SETTINGS.json CORPUS.jsonl OUT.json

``SETTINGS.json`` holds a list of settings of one system and one ``num_perm``; the
documents are signed once and each threshold is then indexed and clustered in turn
(``prepare_seconds`` + each setting's ``index_seconds`` is its end-to-end time). With one
setting, ``seconds`` is the whole run from opening the file to the clusters.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TOKEN = re.compile(r"\w+")
SYSTEMS = ("datasketch", "rensa", "gaoya")


def read_records(path: Path) -> Iterator[tuple[str, str]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            yield str(record["id"]), record["text"]


def word_shingles(text: str, size: int) -> list[str]:
    """Lowercased word ``size``-grams (a shorter text is one shingle)."""
    words = TOKEN.findall(text.lower())
    if len(words) <= size:
        return [" ".join(words)] if words else []
    return list({" ".join(words[k : k + size]) for k in range(len(words) - size + 1)})


def components(edges: list[tuple[int, int]], count: int) -> list[list[int]]:
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


def rensa_bands(num_perm: int, threshold: float) -> int:
    """The band count (a divisor of ``num_perm``) whose midpoint (1/b)^(1/r) is nearest at or below ``threshold``."""
    divisors = [b for b in range(1, num_perm + 1) if num_perm % b == 0]
    below = [b for b in divisors if (1 / b) ** (b / num_perm) <= threshold]
    return min(below, key=lambda b: threshold - (1 / b) ** (b / num_perm)) if below else num_perm


def _verified_edges(lsh: Any, sketches: list[Any], threshold: float) -> list[tuple[int, int]]:
    for k, sketch in enumerate(sketches):
        lsh.insert(k, sketch)
    edges = []
    for k, sketch in enumerate(sketches):
        for other in lsh.query(sketch):
            if other > k and sketch.jaccard(sketches[other]) >= threshold:
                edges.append((k, other))
    return edges


def sign(system: str, path: Path, num_perm: int, shingle: int) -> tuple[list[str], list[Any]]:
    ids, sketches = [], []
    if system == "datasketch":
        from datasketch import MinHash

        for doc_id, text in read_records(path):
            sketch = MinHash(num_perm=num_perm, seed=1)
            sketch.update_batch([g.encode("utf-8") for g in word_shingles(text, shingle)])
            ids.append(doc_id)
            sketches.append(sketch)
    else:
        from rensa import RMinHash

        for doc_id, text in read_records(path):
            sketch = RMinHash(num_perm=num_perm, seed=1)
            sketch.update(word_shingles(text, shingle))
            ids.append(doc_id)
            sketches.append(sketch)
    return ids, sketches


def index_and_cluster(system: str, sketches: list[Any], setting: dict[str, Any]) -> tuple[list[list[int]], dict[str, int]]:
    threshold, num_perm = setting["threshold"], setting["num_perm"]
    if system == "datasketch":
        from datasketch import MinHashLSH

        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        shape = {"bands": lsh.b, "rows": lsh.r}
    else:
        from rensa import RMinHashLSH

        bands = rensa_bands(num_perm, threshold)
        lsh = RMinHashLSH(threshold=threshold, num_perm=num_perm, num_bands=bands)
        shape = {"bands": bands, "rows": num_perm // bands}
    return components(_verified_edges(lsh, sketches, threshold), len(sketches)), shape


def run_gaoya(path: Path, setting: dict[str, Any]) -> tuple[list[str], list[list[int]], dict[str, int]]:
    import gaoya

    ids, texts = [], []
    for doc_id, text in read_records(path):
        ids.append(doc_id)
        texts.append(text)
    index = gaoya.minhash.MinHashStringIndex(
        hash_size=32, jaccard_threshold=setting["threshold"], num_bands=None, band_size=None,
        num_hashes=setting["num_perm"], analyzer="word", lowercase=True,
        ngram_range=(setting["shingle"], setting["shingle"]), id_container="vec",
    )
    numbers = list(range(len(ids)))
    index.par_bulk_insert_docs(numbers, texts)
    edges = [(k, other) for k, found in enumerate(index.par_bulk_query(texts)) for other in found if other > k]
    shape = re.search(r"bands = (\d+), rows_per_band = (\d+)", repr(index))
    lsh = {"bands": int(shape.group(1)), "rows": int(shape.group(2))} if shape else {}
    return ids, components(edges, len(ids)), lsh


def run(settings: list[dict[str, Any]], path: Path) -> dict[str, Any]:
    """Run one system at each of ``settings`` (same system and ``num_perm``) on the JSONL at ``path``."""
    system = settings[0]["system"]
    started = time.perf_counter()
    runs = []
    if system == "gaoya":
        if len(settings) != 1:
            raise ValueError("gaoya signs inside its index: one setting per process")
        ids, groups, lsh = run_gaoya(path, settings[0])
        prepared = started
        runs.append({"setting": settings[0], "index_seconds": time.perf_counter() - started, "lsh": lsh, "groups": groups})
    else:
        if len({(s["num_perm"], s["shingle"]) for s in settings}) != 1:
            raise ValueError("one num_perm and shingle size per process: the documents are signed once")
        ids, sketches = sign(system, path, settings[0]["num_perm"], settings[0]["shingle"])
        prepared = time.perf_counter()
        for setting in settings:
            began = time.perf_counter()
            groups, lsh = index_and_cluster(system, sketches, setting)
            runs.append({"setting": setting, "index_seconds": time.perf_counter() - began, "lsh": lsh, "groups": groups})
    seconds = time.perf_counter() - started
    return {
        "system": system, "documents": len(ids), "seconds": seconds, "prepare_seconds": prepared - started,
        "runs": [{**r, "clusters": [[ids[k] for k in g] for g in r.pop("groups")]} for r in runs],
    }


def main(argv: list[str] | None = None) -> None:
    settings_file, corpus, output = (Path(a) for a in (argv if argv is not None else sys.argv[1:]))
    settings = json.loads(settings_file.read_text(encoding="utf-8"))
    if settings[0]["system"] == "gaoya":
        os.environ.setdefault("RAYON_NUM_THREADS", str(settings[0].get("threads", 1)))
    result = run(settings, corpus)
    output.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
