"""Exact scores of chosen document pairs, as a scan verifies them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dedup.document import Document
from dedup.match.fingerprint import content_text, fingerprint
from dedup.match.verify import PairScore, UnitSets, score_pair_batch, unit_sets_of_rows
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

    def units_for(rows: np.ndarray) -> tuple[UnitSets, np.ndarray]:
        texts = [subset[k].text for k in rows.tolist()]
        return unit_sets_of_rows(texts, rows, len(subset), config.fingerprint, config.boilerplate)

    local = np.array([(position[a], position[b]) for a, b in pairs], dtype=np.int64).reshape(-1, 2)
    columns = score_pair_batch(local, prints.shingles, prints.offsets, prints.signatures, units_for, config.match)
    return [s.renumbered(involved[s.first], involved[s.second]) for s in columns.scores()]
