"""Loading the compiled kernels ahead (dedup.match.kernels.warm) loads the versions a scan calls."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import numba
from benchmarks.corpus import generate
from dedup.document import Document
from dedup import batches
from dedup.match import kernels
from dedup.pipeline import scan_documents
from dedup.report import render_json
from dedup.story import cosines

def versions():
    return {name: [str(s) for s in f.signatures] for name, f in sorted(vars(kernels).items())
            if isinstance(f, numba.core.dispatcher.Dispatcher)}

assert not any(versions().values())  # nothing loaded at import
kernels.warm()
loaded = versions()
# every kernel called from outside (those they call are loaded within them)
assert all(loaded[name] for name in ("aligned_weight", "shared_bag_weight", "bounded_product")), loaded
calls = []
for module, name in ((batches, "aligned_shares"), (cosines.BoundedScores, "chunks")):
    original = getattr(module, name)
    setattr(module, name, lambda *a, _f=original, _n=name, **k: calls.append(_n) or _f(*a, **k))
cosines.BOUNDED_MIN_PRODUCTS = 0  # the bounded scorer for every cluster's diff
docs = [Document(a.doc_id, a.text, source=a.source, published=a.published) for a in generate(300, seed=3)]
render_json(scan_documents(docs))
assert {"aligned_shares", "chunks"} <= set(calls), calls
assert versions() == loaded, (loaded, versions())  # a scan's calls compiled nothing new
print("same versions")
"""


def test_warm_loads_the_versions_a_scan_calls():
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "same versions"
