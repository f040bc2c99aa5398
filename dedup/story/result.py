"""What a scan is configured with and what it finds: the records every later stage reads.

``ScanConfig`` gathers every stage's parameters (and :meth:`ScanConfig.describe` is what
outputs record); ``ScanResult`` holds the documents, verified pairs and clusters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from dedup._version import __version__
from dedup.document import Document, Problem
from dedup.io import ReadOptions
from dedup.match.candidates import PREFILTER_SHARE
from dedup.match.fingerprint import FingerprintConfig
from dedup.match.lsh import LSHConfig
from dedup.match.verify import MatchConfig, PairScore
from dedup.story.cluster import ClusterConfig
from dedup.story.diff import DiffConfig, PassageDiff
from dedup.text.boilerplate import DEFAULT_RULES, BoilerplateRules
from dedup.text.furniture import FurnitureConfig
from dedup.text.segment import Segmentation

SCHEMA_VERSION = 3


@dataclass(frozen=True)
class ScanConfig:
    """Every parameter of a scan. :meth:`describe` is what outputs record."""

    fingerprint: FingerprintConfig = field(default_factory=FingerprintConfig)
    lsh: LSHConfig = field(default_factory=LSHConfig)
    match: MatchConfig = field(default_factory=MatchConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    diff: DiffConfig = field(default_factory=DiffConfig)
    boilerplate: BoilerplateRules = DEFAULT_RULES
    read: ReadOptions = field(default_factory=ReadOptions)
    furniture: FurnitureConfig = field(default_factory=FurnitureConfig)

    def describe(self) -> dict[str, object]:
        bands, rows = self.lsh.resolve(self.fingerprint.minhash.num_perm)
        return {
            "fingerprint": self.fingerprint.describe(),
            "lsh": {
                "threshold": self.lsh.threshold,
                "bands": bands,
                "rows": rows,
                "min_hits": self.lsh.min_hits,
                "max_bucket": self.lsh.max_bucket,
                "max_core": self.lsh.max_core,
                "prefilter_share": PREFILTER_SHARE,
                "rare_word_df": self.lsh.rare_word_df,
                "rare_word_share": self.lsh.rare_word_share,
            },
            "match": self.match.describe(),
            "cluster": self.cluster.describe(),
            "diff": self.diff.describe(),
            "boilerplate": {
                "builtin": True, "extra_patterns": list(self.boilerplate.extra),
                "learned_furniture": {**self.furniture.describe(), "lines": len(self.boilerplate.learned)},
            },
            "read": self._describe_read(),
        }

    def _describe_read(self) -> dict[str, object]:
        read: dict[str, object] = {
            "input_format": self.read.input_format,
            "on_error": self.read.on_error,
            "encoding": self.read.encoding,
            "max_chars": self.read.max_chars,
            "fields": vars(self.read.fields),
        }
        # recorded when used, so that the reports of runs that do not use it stay as they were
        if self.read.html_field is not None:
            read["html_field"] = self.read.html_field
        return read


@dataclass(frozen=True)
class Member:
    """A clustered document, its segmentation and the diff of its passages.

    A scan run without ``detail`` leaves ``segmentation`` None and ``passages`` empty.
    """

    index: int
    segmentation: Segmentation | None
    passages: tuple[PassageDiff, ...]


@dataclass(frozen=True)
class Cluster:
    cluster_id: str
    members: tuple[Member, ...]
    pairs: tuple[PairScore, ...]


@dataclass
class ScanResult:
    """What a scan found. Document indices refer to ``documents`` (sorted by id)."""

    documents: list[Document]
    config: ScanConfig
    clusters: list[Cluster]
    pairs: list[PairScore]
    problems: list[Problem]
    stats: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)
    # Set by a scan that leaves the passage diff to the report (``dedup.pipeline.scanning``
    # with ``defer``): maps clusters of this result to the same clusters with their passages,
    # in order, each with its members' texts and its provenance (``Provenance``); valid
    # while that scan's context is open.
    details: Callable[[Sequence[Cluster]], Iterator[tuple[Cluster, dict[int, str], Any]]] | None = field(
        default=None, compare=False, repr=False
    )
    # Set by the same scan: ``records(clusters, links, write)`` gives each cluster's record
    # text, which ``write(view, clusters, provenances, links)`` makes in the workers from the
    # same passages and provenance, and the provenance's summary, in order.
    records: Callable[..., Iterator[tuple[bytes, Any]]] | None = field(default=None, compare=False, repr=False)
    # True when worker processes make those records: the main process mostly waits for
    # them, and a report may make what follows the clusters meanwhile.
    records_in_workers: bool = field(default=False, compare=False, repr=False)

    @property
    def singletons(self) -> int:
        return len(self.documents) - sum(len(c.members) for c in self.clusters)


def cluster_id_of(doc_ids: Iterable[str]) -> str:
    """A stable id for a group of documents: a hash of its sorted member ids."""
    digest = hashlib.blake2b("\n".join(sorted(doc_ids)).encode("utf-8"), digest_size=6).hexdigest()
    return f"c-{digest}"



def tool_info() -> dict[str, str]:
    return {"name": "dedup", "version": __version__}
