"""Exact scores of chosen document pairs, as a scan verifies them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dedup.document import Document
from dedup.match.fingerprint import content_text, fingerprint
from dedup.match.verify import PairScore, Units, build_units, score_pairs
from dedup.story.result import ScanConfig


def score_document_pairs(
    documents: Sequence[Document], pairs: Sequence[tuple[int, int]], config: ScanConfig = ScanConfig()
) -> list[PairScore]:
    """Exact scores of chosen ``pairs`` of ``documents`` (indices), as a scan verifies them.

    Provenance needs both containments of every pair inside a cluster, also of pairs that
    LSH never proposed because each was linked through a third document.
    """
    involved = sorted({i for pair in pairs for i in pair})
    if not involved:
        return []
    position = {index: k for k, index in enumerate(involved)}
    subset = [documents[i] for i in involved]
    contents = [content_text(d.text, config.boilerplate, config.fingerprint.ignore_quotes) for d in subset]
    prints = fingerprint(contents, config.fingerprint)

    def units_of(k: int) -> Units:
        text = subset[k].text
        return build_units([text], config.fingerprint, config.boilerplate)[0]

    local = np.array([(position[a], position[b]) for a, b in pairs], dtype=np.int64).reshape(-1, 2)
    scores = score_pairs(local, prints, units_of, config.match)
    return [s.renumbered(involved[s.first], involved[s.second]) for s in scores]


