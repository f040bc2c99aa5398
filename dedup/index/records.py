"""What the index hands back: matches, assignments, prepared articles and prune reports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

import numpy as np

from dedup.document import Document
from dedup.index.store import EdgeRecord, MergeRecord

Status = Literal["new_story", "joined", "merged", "exists"]


def parse_time(value: str | None) -> float | None:
    """Epoch seconds of an ISO 8601 date or date-time (UTC when no zone is given), or None."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


@dataclass(frozen=True)
class Match:
    """A verified pair between the article and an indexed one."""

    doc_id: str
    story: str
    score: EdgeRecord

    def to_dict(self, article: str) -> dict[str, object]:
        s = self.score
        forward = s.first == article
        return {
            "id": self.doc_id,
            "story": self.story,
            "same_story": s.same_story,
            "minhash_jaccard": round(s.minhash_jaccard, 4),
            "jaccard": round(s.jaccard, 4),
            # containment of the article in the match, and of the match in the article
            "containment_in_match": round(s.containment_first_in_second if forward else s.containment_second_in_first, 4),
            "containment_of_match": round(s.containment_second_in_first if forward else s.containment_first_in_second, 4),
            "shared_shingles": s.shared_shingles,
            "shared_passages": max(s.shared_passages_first, s.shared_passages_second),
        }


@dataclass(frozen=True)
class Assignment:
    """Where an article went: its story, why, and the merges it caused."""

    doc_id: str
    story: str
    status: Status
    matches: tuple[Match, ...]
    merges: tuple[MergeRecord, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.doc_id,
            "story": self.story,
            "status": self.status,
            "matches": [m.to_dict(self.doc_id) for m in self.matches],
            "merged": [{"from": m.old, "into": m.into, "kind": m.kind} for m in self.merges],
        }


@dataclass(frozen=True)
class Prepared:
    """An article fingerprinted and ready to be matched."""

    doc: Document
    signature: np.ndarray
    shingles: np.ndarray
    keys: np.ndarray  # uint64 band keys; empty when the article has no content
    published_ts: float | None


@dataclass(frozen=True)
class PruneReport:
    removed: int
    kept_without_time: int
    merges: tuple[MergeRecord, ...]


def sort_matches(matches: Iterable[Match]) -> tuple[Match, ...]:
    def key(m: Match) -> tuple:
        s = m.score
        return (not s.same_story, -max(s.containment_first_in_second, s.containment_second_in_first), -s.jaccard, m.doc_id)

    return tuple(sorted(matches, key=key))
