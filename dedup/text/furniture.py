"""Page furniture learned from the corpus: lines that recur across many pages of one outlet.

Scraped pages carry weather and login widgets, subscription prompts, "most read" lists and
newsletter blocks that no fixed list can know. A line is furniture when it appears in at
least ``min_documents`` pages of one outlet *and* in at least ``min_share`` of that
outlet's pages: a wire story an outlet ran two or three times (write-thrus, an op-ed
scraped twice) stays well under half of its pages, while a widget sits on nearly all of
them. Only short lines (at most ``MAX_BOILERPLATE_CHARS``) are considered, as for the
built-in rules. The outlet is a document's ``source``, else the host of its ``url``;
documents with neither teach nothing.

Learned lines become boilerplate everywhere in the scan (fingerprints, verification,
segmentation, the diff), through :meth:`BoilerplateRules.with_learned`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np

from dedup.document import Document


@dataclass(frozen=True)
class FurnitureConfig:
    """When a recurring line counts as furniture; ``enabled`` False learns nothing."""

    enabled: bool = True
    min_documents: int = 4
    min_share: float = 0.5

    def describe(self) -> dict[str, object]:
        return {"enabled": self.enabled, "min_documents": self.min_documents, "min_share": self.min_share}


def outlet_of(doc: Document) -> str | None:
    """The outlet a document comes from: its ``source``, else its URL's host, else None."""
    if doc.source:
        return doc.source.strip().lower() or None
    if doc.url:
        try:
            host = urlsplit(doc.url.strip()).hostname
        except ValueError:
            return None
        return host.removeprefix("www.") if host else None
    return None


def learn_furniture(
    outlets: Sequence[str | None], keys: np.ndarray, offsets: np.ndarray, config: FurnitureConfig = FurnitureConfig()
) -> np.ndarray:
    """The line keys that are furniture of some outlet, sorted.

    ``keys[offsets[i]:offsets[i + 1]]`` are the short content-line keys of document ``i``
    (any order, repeats allowed) and ``outlets[i]`` its outlet.
    """
    if not config.enabled or len(keys) == 0:
        return np.zeros(0, dtype=np.uint64)
    names = sorted({o for o in outlets if o is not None})
    outlet_number = {name: k for k, name in enumerate(names)}
    doc_outlet = np.array([outlet_number.get(o, -1) if o is not None else -1 for o in outlets], dtype=np.int64)
    owner = np.repeat(np.arange(len(outlets), dtype=np.int64), np.diff(offsets))
    keep = doc_outlet[owner] >= 0
    owner, line = owner[keep], keys[keep].astype(np.uint64)
    if len(line) == 0:
        return np.zeros(0, dtype=np.uint64)
    # each (document, line) once, then count documents per (outlet, line)
    pairs = np.unique(np.stack([owner.astype(np.uint64), line], axis=1), axis=0)
    per_outlet = np.stack([doc_outlet[pairs[:, 0].astype(np.int64)].astype(np.uint64), pairs[:, 1]], axis=1)
    counted, counts = np.unique(per_outlet, axis=0, return_counts=True)
    outlet_docs = np.bincount(doc_outlet[doc_outlet >= 0], minlength=len(names))
    needed = np.maximum(config.min_documents, np.ceil(config.min_share * outlet_docs[counted[:, 0].astype(np.int64)]))
    return np.unique(counted[counts >= needed, 1])
