"""What a store keeps and the small interface the index drives it through.

A store holds, per article: its metadata and text, its signature (raw little-endian
uint32 bytes), its exact shingle set (raw little-endian uint64 bytes), the LSH band keys
it was filed under, its *component* (articles connected by verified same-story pairs)
and its *story*. It also holds every verified pair as JSON, and a log of story merges.
Nothing is pickled: whatever is read back is bytes of a fixed layout or JSON.

The index works one article at a time inside a :class:`Transaction`, or a batch at a
time inside a :class:`BatchTransaction` where the store offers one. Every read a
transaction makes is part of its snapshot; :meth:`Transaction.apply` writes the plan
atomically, or raises :class:`Conflict` when another writer changed what was read (the
index then redoes the article).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from typing import Literal, Protocol

import numpy as np

from dedup.index.buckets import BucketRows
from dedup.match.verify import PairScore

# Bump when the stored layout changes; an index of another version is refused.
# 2: SQLite files file new bucket entries in a second table (see sqlite_store); version 1
# files are read, and SQLite marks them 2 when it opens them. Words of non-Latin scripts
# were also redefined in version 2 (letters of spaceless scripts are words of their own,
# optional Arabic and Hebrew marks removed): rebuild a version 1 index of such texts.
# 3: SQLite files file new bucket entries as runs of blobs (see sqlite_buckets); files of
# versions 1 and 2 are read, and marked 3 once their entries are moved to the large table.
FORMAT_VERSION = 3
READABLE_VERSIONS = ("1", "2", "3")

PruneBy = Literal["published", "ingested"]


class Conflict(Exception):
    """Another writer changed data this transaction read; redo the article."""


def signature_bytes(signature: np.ndarray) -> bytes:
    return np.ascontiguousarray(signature, dtype="<u4").tobytes()


def signature_from(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype="<u4").astype(np.uint32)


def shingles_bytes(shingles: np.ndarray) -> bytes:
    return np.ascontiguousarray(shingles, dtype="<u8").tobytes()


def shingles_from(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype="<u8").astype(np.uint64)


@dataclass(frozen=True)
class EdgeRecord:
    """A verified pair, by article id, oriented so that ``first < second``."""

    first: str
    second: str
    minhash_jaccard: float
    jaccard: float
    containment_first_in_second: float
    containment_second_in_first: float
    shared_shingles: int
    shared_passages_first: int
    shared_passages_second: int
    same_story: bool

    @classmethod
    def from_score(cls, score: PairScore, first: str, second: str) -> EdgeRecord:
        return cls(first, second, score.minhash_jaccard, score.jaccard, score.containment_first_in_second,
                   score.containment_second_in_first, score.shared_shingles, score.shared_passages_first,
                   score.shared_passages_second, score.same_story)

    def to_score(self, first: int, second: int) -> PairScore:
        """The pair as a :class:`PairScore` between corpus positions ``first < second``."""
        return PairScore(first, second, self.minhash_jaccard, self.jaccard, self.containment_first_in_second,
                         self.containment_second_in_first, self.shared_shingles, self.shared_passages_first,
                         self.shared_passages_second, self.same_story)

    def to_json(self) -> str:
        # the fields by hand: asdict() deep-copies, and was a tenth of a batch's write
        return json.dumps(
            {"containment_first_in_second": self.containment_first_in_second,
             "containment_second_in_first": self.containment_second_in_first, "first": self.first,
             "jaccard": self.jaccard, "minhash_jaccard": self.minhash_jaccard, "same_story": self.same_story,
             "second": self.second, "shared_passages_first": self.shared_passages_first,
             "shared_passages_second": self.shared_passages_second, "shared_shingles": self.shared_shingles},
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> EdgeRecord:
        return cls(**json.loads(text))

    def other(self, doc_id: str) -> str:
        return self.second if doc_id == self.first else self.first


@dataclass(frozen=True)
class StoredArticle:
    """The part of an indexed article that matching needs."""

    doc_id: str
    seq: int
    signature: np.ndarray
    shingles: np.ndarray
    comp: str
    story: str


@dataclass(frozen=True)
class ArticleRow:
    """An indexed article as exported."""

    doc_id: str
    seq: int
    text: str
    title: str | None
    source: str | None
    url: str | None
    published: str | None
    location: str
    comp: str
    story: str
    candidates: int
    has_content: bool


@dataclass(frozen=True)
class NewArticle:
    """Everything stored for an article when it is added."""

    doc_id: str
    seq: int
    text: str
    title: str | None
    source: str | None
    url: str | None
    published: str | None
    published_ts: float | None
    ingested: float
    location: str
    signature: bytes
    shingles: bytes
    candidates: int
    has_content: bool


@dataclass(frozen=True)
class ComponentState:
    """Members (id -> (seq, story)) of some components, and every pair among them."""

    members: dict[str, tuple[int, str]]
    edges: list[EdgeRecord]
    comp_of: dict[str, str]


@dataclass(frozen=True)
class MergeRecord:
    """A story id that stopped being used: merged into ``into``, or split off as ``into``."""

    old: str
    into: str
    kind: Literal["merge", "split"]
    article: str | None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@dataclass
class WritePlan:
    """What one transaction writes. Membership covers every member whose comp or story changed."""

    article: NewArticle | None = None
    bucket_adds: list[int] = field(default_factory=list)
    newly_oversized: int = 0
    edges: list[EdgeRecord] = field(default_factory=list)
    removed: dict[str, list[int]] = field(default_factory=dict)  # pruned id -> its band keys
    removed_neighbours: dict[str, list[str]] = field(default_factory=dict)
    comps: dict[str, tuple[list[str], int]] = field(default_factory=dict)  # comp -> (members, refused)
    dropped_comps: list[str] = field(default_factory=list)
    membership: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (comp, story)
    story_sizes: dict[str, int] = field(default_factory=dict)  # 0 means the story is gone
    merges: list[MergeRecord] = field(default_factory=list)


@dataclass
class BatchPlan:
    """What adding a batch of articles writes at once (see :mod:`dedup.index.batch`).

    ``articles`` carry each new article's final ``(comp, story)``; ``membership`` covers the
    already indexed articles whose comp or story the batch changed; ``comps`` maps every
    component the batch touched to ``(members, refused)``, or to None when it is gone.
    """

    articles: list[tuple[NewArticle, str, str]] = field(default_factory=list)
    bucket_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))  # filed band keys
    bucket_seqs: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # and their articles
    newly_oversized: int = 0
    edges: list[EdgeRecord] = field(default_factory=list)
    membership: dict[str, tuple[str, str]] = field(default_factory=dict)
    comps: dict[str, tuple[list[str], int] | None] = field(default_factory=dict)
    story_sizes: dict[str, int] = field(default_factory=dict)
    merges: list[MergeRecord] = field(default_factory=list)
    last_seq: int = 0


class Transaction(Protocol):
    """One consistent read-then-write unit of work."""

    def existing(self, doc_id: str) -> str | None:
        """The story of ``doc_id`` if it is indexed."""

    def buckets(self, keys: Sequence[int]) -> list[list[str]]:
        """Article ids filed under each band key (at most ``max_bucket + 1`` each)."""

    def articles(self, doc_ids: Sequence[str]) -> dict[str, StoredArticle]:
        ...

    def components(self, comps: Iterable[str]) -> ComponentState:
        ...

    def texts(self, doc_ids: Sequence[str]) -> dict[str, str]:
        ...

    def edges_of(self, doc_id: str) -> list[EdgeRecord]:
        ...

    def next_seq(self) -> int:
        ...

    def apply(self, plan: WritePlan) -> None:
        ...


class BatchTransaction(Transaction, Protocol):
    """A transaction that also reads and writes for a whole batch of articles at once.

    A store whose transactions are batch transactions (SQLite: one writer holds the file
    for the batch) lets :mod:`dedup.index.batch` add a batch with a few queries and one
    write; the others (Redis: optimistic, article by article) add one article at a time.
    """

    def existing_many(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The story of each of ``doc_ids`` that is indexed."""

    def bucket_rows(self, keys: np.ndarray) -> BucketRows:
        """The articles filed under any of the band ``keys`` (uint64)."""

    def articles_by_seq(self, seqs: Sequence[int]) -> dict[int, StoredArticle]:
        """:meth:`articles`, by sequence number."""

    def last_seq(self) -> int:
        """The last sequence number handed out (0 for none)."""

    def apply_batch(self, plan: BatchPlan) -> None:
        ...


class Store(Protocol):
    """A persistent index backend."""

    kind: str
    max_bucket: int

    def read_meta(self) -> dict[str, str]:
        ...

    def init_meta(self, meta: dict[str, str]) -> dict[str, str]:
        """Write ``meta`` unless the store already has some; return what it holds."""

    def set_meta(self, key: str, value: str) -> None:
        """Replace one metadata value (the parameters, when an index is brought up to date)."""
        ...

    def count_furniture(
        self, pages: dict[str, int], lines: dict[tuple[str, int], int]
    ) -> tuple[dict[str, int], dict[tuple[str, int], int]]:
        """Add pages per outlet and per (outlet, short-line key); return the new totals of those."""
        ...

    def learned_furniture(self) -> set[int]:
        """The short-line keys learned as furniture so far."""
        ...

    def add_learned_furniture(self, keys: Iterable[int]) -> None:
        """Remember ``keys`` as furniture lines."""
        ...

    def writing(self) -> AbstractContextManager[Transactions]:
        ...

    def reading(self) -> AbstractContextManager[Transactions]:
        ...

    def articles_before(self, by: PruneBy, cutoff: float) -> list[tuple[str, str]]:
        """``(doc_id, comp)`` of articles older than ``cutoff`` (epoch seconds)."""

    def all_articles(self) -> Iterator[ArticleRow]:
        ...

    def all_edges(self) -> Iterator[EdgeRecord]:
        ...

    def merges(self) -> list[MergeRecord]:
        ...

    def counts(self) -> dict[str, int]:
        ...

    def refused_merges(self) -> int:
        ...

    def check(self) -> list[str]:
        """Backend-level consistency problems."""

    def close(self) -> None:
        ...


class Transactions(Protocol):
    def begin(self) -> Transaction:
        ...
