"""The shared store: a Redis server, for several worker processes adding at once.

Assignment is optimistic: before reading a key the transaction ``WATCH``es it (the new
article's id, its band buckets, its candidates, their components), computes the plan
from what it read, and writes everything in one ``MULTI``/``EXEC``. If another worker
changed any watched key in between, ``EXEC`` fails and the article is redone against
the new state. Two articles that share a bucket therefore never miss each other, and a
component is never re-clustered from a stale view. ``EXEC`` is all-or-nothing, so a
worker killed at any point loses at most the article it was writing.

Every value read back is a fixed-layout byte string (signatures, shingle sets), JSON, or
plain text; nothing is pickled. Keys are ``dedup:<index name>:...``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from dedup.errors import DedupError
from dedup.index.store import (
    ArticleRow,
    ComponentState,
    Conflict,
    EdgeRecord,
    MergeRecord,
    PruneBy,
    StoredArticle,
    WritePlan,
    shingles_from,
    signature_from,
)

try:  # the redis client is an optional dependency (extra "redis")
    import redis
except ImportError:  # pragma: no cover - exercised only without the extra
    redis = None  # type: ignore[assignment]

CHUNK = 1000


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("utf-8")


class RedisTransaction:
    """One article's watched reads and its ``MULTI``/``EXEC``."""

    def __init__(self, store: RedisStore, watch: bool) -> None:
        self.store = store
        self.client = store.client
        self.watch = watch
        self.pipe = store.client.pipeline(transaction=True)
        self.key = store.key

    def _watch(self, keys: list[str]) -> None:
        if self.watch and keys:
            self.pipe.watch(*keys)

    def existing(self, doc_id: str) -> str | None:
        key = self.key("a", doc_id)
        self._watch([key])
        return _text(self.client.hget(key, "story"))

    def buckets(self, keys: Sequence[int]) -> list[list[str]]:
        names = [self.key("b", f"{k:016x}") for k in keys]
        self._watch(names)
        reader = self.client.pipeline(transaction=False)
        for name in names:
            reader.smembers(name)
        return [sorted(m.decode("utf-8") for m in members) for members in reader.execute()]

    def articles(self, doc_ids: Sequence[str]) -> dict[str, StoredArticle]:
        names = [self.key("a", d) for d in doc_ids]
        self._watch(names)
        reader = self.client.pipeline(transaction=False)
        for name in names:
            reader.hmget(name, "seq", "sig", "sh", "comp", "story")
        out = {}
        for doc_id, (seq, sig, sh, comp, story) in zip(doc_ids, reader.execute()):
            if seq is not None:
                out[doc_id] = StoredArticle(doc_id, int(seq), signature_from(sig), shingles_from(sh), comp.decode(), story.decode())
        return out

    def components(self, comps: Iterable[str]) -> ComponentState:
        comps = sorted(set(comps))
        names = [self.key("c", c) for c in comps]
        self._watch(names)
        reader = self.client.pipeline(transaction=False)
        for name in names:
            reader.get(name)
        members: dict[str, tuple[int, str]] = {}
        comp_of: dict[str, str] = {}
        ids: list[str] = []
        for comp, raw in zip(comps, reader.execute()):
            if raw is None:
                # The component was merged away after we read a candidate's comp field:
                # the watched candidate changed too, so EXEC will fail and we redo.
                continue
            for doc_id in json.loads(raw)["members"]:
                comp_of[doc_id] = comp
                ids.append(doc_id)
        for doc_id in ids:
            reader.hmget(self.key("a", doc_id), "seq", "story")
            reader.hgetall(self.key("e", doc_id))
        replies = reader.execute()
        edges: dict[tuple[str, str], EdgeRecord] = {}
        for k, doc_id in enumerate(ids):
            seq, story = replies[2 * k]
            if seq is None:
                continue
            members[doc_id] = (int(seq), story.decode())
            for raw in replies[2 * k + 1].values():
                edge = EdgeRecord.from_json(raw)
                if edge.same_story:
                    edges[(edge.first, edge.second)] = edge
        return ComponentState(members, [edges[k] for k in sorted(edges)], comp_of)

    def texts(self, doc_ids: Sequence[str]) -> dict[str, str]:
        # Texts never change once stored, so they need no watch.
        reader = self.client.pipeline(transaction=False)
        for doc_id in doc_ids:
            reader.hget(self.key("a", doc_id), "text")
        return {d: t.decode("utf-8") for d, t in zip(doc_ids, reader.execute()) if t is not None}

    def edges_of(self, doc_id: str) -> list[EdgeRecord]:
        name = self.key("e", doc_id)
        self._watch([name])
        edges = [EdgeRecord.from_json(raw) for raw in self.client.hgetall(name).values()]
        return sorted(edges, key=lambda e: (e.first, e.second))

    def next_seq(self) -> int:
        # Numbers taken by a redone article are skipped; order is all they are for.
        return int(self.client.incr(self.key("seq")))

    def apply(self, plan: WritePlan) -> None:
        removed_edges = self._removed_edge_counts(plan)
        pipe = self.pipe
        pipe.multi()
        a = plan.article
        if a is not None:
            fields: dict[str, Any] = {
                "seq": a.seq, "text": a.text, "ingested": repr(a.ingested), "location": a.location,
                "sig": a.signature, "sh": a.shingles, "cand": a.candidates, "content": int(a.has_content),
            }
            for name in ("title", "source", "url", "published"):
                if getattr(a, name) is not None:
                    fields[name] = getattr(a, name)
            pipe.hset(self.key("a", a.doc_id), mapping=fields)
            pipe.zadd(self.key("order"), {a.doc_id: a.seq})
            pipe.zadd(self.key("ingested"), {a.doc_id: a.ingested})
            if a.published_ts is not None:
                pipe.zadd(self.key("published"), {a.doc_id: a.published_ts})
            for k in plan.bucket_adds:
                pipe.sadd(self.key("b", f"{k:016x}"), a.doc_id)
        if plan.newly_oversized:
            pipe.incrby(self.key("oversized"), plan.newly_oversized)
        for doc_id, keys in plan.removed.items():
            for k in keys:
                pipe.srem(self.key("b", f"{k:016x}"), doc_id)
            for other in plan.removed_neighbours.get(doc_id, []):
                pipe.hdel(self.key("e", other), doc_id)
            pipe.delete(self.key("a", doc_id), self.key("e", doc_id))
            for name in ("order", "ingested", "published"):
                pipe.zrem(self.key(name), doc_id)
        for e in plan.edges:
            record = e.to_json()
            pipe.hset(self.key("e", e.first), e.second, record)
            pipe.hset(self.key("e", e.second), e.first, record)
        total = len(plan.edges) - removed_edges[0]
        same = sum(e.same_story for e in plan.edges) - removed_edges[1]
        if total:
            pipe.incrby(self.key("n_edges"), total)
        if same:
            pipe.incrby(self.key("n_same"), same)
        for doc_id, (comp, story) in plan.membership.items():
            pipe.hset(self.key("a", doc_id), mapping={"comp": comp, "story": story})
        for comp in plan.dropped_comps:
            pipe.delete(self.key("c", comp))
            pipe.hdel(self.key("refused"), comp)
        for comp, (members, refused) in plan.comps.items():
            pipe.set(self.key("c", comp), json.dumps({"members": sorted(members)}))
            if refused:
                pipe.hset(self.key("refused"), comp, refused)
            else:
                pipe.hdel(self.key("refused"), comp)
        for story, size in plan.story_sizes.items():
            if size:
                pipe.hset(self.key("stories"), story, size)
            else:
                pipe.hdel(self.key("stories"), story)
        for merge in plan.merges:
            pipe.rpush(self.key("merges"), merge.to_json())
        try:
            pipe.execute()
        except redis.WatchError as exc:
            raise Conflict() from exc
        finally:
            pipe.reset()

    def _removed_edge_counts(self, plan: WritePlan) -> tuple[int, int]:
        """(pairs, same-story pairs) that go with the removed articles, each counted once."""
        if not plan.removed:
            return 0, 0
        seen: dict[tuple[str, str], bool] = {}
        for doc_id in plan.removed:
            for raw in self.client.hgetall(self.key("e", doc_id)).values():
                edge = EdgeRecord.from_json(raw)
                seen[(edge.first, edge.second)] = edge.same_story
        return len(seen), sum(seen.values())

    def release(self) -> None:
        self.pipe.reset()


class _Transactions:
    def __init__(self, store: RedisStore, watch: bool) -> None:
        self.store, self.watch = store, watch
        self.current: RedisTransaction | None = None

    def begin(self) -> RedisTransaction:
        self.release()
        self.current = RedisTransaction(self.store, self.watch)
        return self.current

    def release(self) -> None:
        if self.current is not None:
            self.current.release()
            self.current = None


class RedisStore:
    """An index held in Redis under ``dedup:<name>:``."""

    kind = "redis"

    def __init__(self, url: str, name: str) -> None:
        if redis is None:
            raise DedupError("the Redis store needs the redis package: pip install 'dedup[redis]'")
        if not name or any(c in name for c in " \n{}"):
            raise DedupError(f"invalid index name {name!r} for Redis: use letters, digits, '-', '_', '.' or '/'")
        self.url = url
        self.prefix = f"dedup:{name}:"
        try:
            self.client = redis.Redis.from_url(url, socket_timeout=60)
            self.client.ping()
        except (ValueError, redis.RedisError) as exc:
            raise DedupError(f"cannot use Redis at {url}: {exc}") from exc

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    @contextmanager
    def _session(self, watch: bool) -> Iterator[_Transactions]:
        transactions = _Transactions(self, watch)
        try:
            yield transactions
        except redis.RedisError as exc:
            raise DedupError(f"Redis at {self.url}: {exc}") from exc
        finally:
            transactions.release()

    def writing(self):
        return self._session(watch=True)

    def reading(self):
        return self._session(watch=False)

    def read_meta(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self._call(self.client.hgetall, self.key("meta")).items()}

    def init_meta(self, meta: dict[str, str]) -> dict[str, str]:
        # HSETNX: the first writer's parameters win; the caller then checks its own against them.
        for field, value in sorted(meta.items()):
            self._call(self.client.hsetnx, self.key("meta"), field, value)
        return self.read_meta()

    def set_meta(self, key: str, value: str) -> None:
        self._call(self.client.hset, self.key("meta"), key, value)

    def count_furniture(
        self, pages: dict[str, int], lines: dict[tuple[str, int], int]
    ) -> tuple[dict[str, int], dict[tuple[str, int], int]]:
        """Add pages per outlet and pages per (outlet, short-line key); the new totals of those
        (HINCRBY, atomic per count; writers adding at once each see a total that includes theirs)."""
        writer = self.client.pipeline(transaction=True)
        for outlet, n in sorted(pages.items()):
            writer.hincrby(self.key("furniture-pages"), outlet, n)
        for (outlet, key), n in sorted(lines.items()):
            writer.hincrby(self.key("furniture-lines", outlet), str(key), n)
        totals = [int(v) for v in self._call(writer.execute)]
        return (dict(zip(sorted(pages), totals[: len(pages)])), dict(zip(sorted(lines), totals[len(pages) :])))

    def learned_furniture(self) -> set[int]:
        """The short-line keys learned as furniture so far."""
        return {int(k) for k in self._call(self.client.smembers, self.key("furniture-learned"))}

    def add_learned_furniture(self, keys: Iterable[int]) -> None:
        """Remember ``keys`` as furniture."""
        if keys:
            self._call(self.client.sadd, self.key("furniture-learned"), *[str(k) for k in sorted(keys)])

    def _call(self, func, *args):
        try:
            return func(*args)
        except redis.RedisError as exc:
            raise DedupError(f"Redis at {self.url}: {exc}") from exc

    def _ids(self) -> list[str]:
        return [d.decode() for d in self._call(self.client.zrange, self.key("order"), 0, -1)]

    def articles_before(self, by: PruneBy, cutoff: float) -> list[tuple[str, str]]:
        ids = sorted(d.decode() for d in self._call(self.client.zrangebyscore, self.key(by), "-inf", f"({cutoff!r}"))
        reader = self.client.pipeline(transaction=False)
        for doc_id in ids:
            reader.hget(self.key("a", doc_id), "comp")
        return [(d, c.decode()) for d, c in zip(ids, self._call(reader.execute)) if c is not None]

    def all_articles(self) -> Iterator[ArticleRow]:
        ids = sorted(self._ids())
        fields = ("seq", "text", "title", "source", "url", "published", "location", "comp", "story", "cand", "content")
        for start in range(0, len(ids), CHUNK):
            part = ids[start : start + CHUNK]
            reader = self.client.pipeline(transaction=False)
            for doc_id in part:
                reader.hmget(self.key("a", doc_id), *fields)
            for doc_id, values in zip(part, self._call(reader.execute)):
                if values[0] is None:
                    continue
                seq, text, title, source, url, published, location, comp, story, cand, content = values
                yield ArticleRow(doc_id, int(seq), text.decode(), _text(title), _text(source), _text(url),
                                 _text(published), location.decode(), comp.decode(), story.decode(), int(cand),
                                 content == b"1")

    def all_edges(self) -> Iterator[EdgeRecord]:
        ids = sorted(self._ids())
        for start in range(0, len(ids), CHUNK):
            part = ids[start : start + CHUNK]
            reader = self.client.pipeline(transaction=False)
            for doc_id in part:
                reader.hgetall(self.key("e", doc_id))
            for doc_id, edges in zip(part, self._call(reader.execute)):
                records = [EdgeRecord.from_json(raw) for raw in edges.values()]
                yield from sorted((e for e in records if e.first == doc_id), key=lambda e: e.second)

    def merges(self) -> list[MergeRecord]:
        return [MergeRecord(**json.loads(raw)) for raw in self._call(self.client.lrange, self.key("merges"), 0, -1)]

    def counts(self) -> dict[str, int]:
        sizes = [int(v) for v in self._call(self.client.hvals, self.key("stories"))]
        articles = self._call(self.client.zcard, self.key("order"))

        def number(name: str) -> int:
            return int(self._call(self.client.get, self.key(name)) or 0)

        return {
            "articles": articles,
            "stories": len(sizes),
            "multi_article_stories": sum(1 for s in sizes if s > 1),
            "edges": number("n_edges"),
            "same_story_edges": number("n_same"),
            "oversized_buckets": number("oversized"),
            "without_published": articles - self._call(self.client.zcard, self.key("published")),
        }

    def refused_merges(self) -> int:
        return sum(int(v) for v in self._call(self.client.hvals, self.key("refused")))

    def check(self) -> list[str]:
        problems = []
        rows = list(self.all_articles())
        comps: dict[str, list[str]] = {}
        for r in rows:
            comps.setdefault(r.comp, []).append(r.doc_id)
        reader = self.client.pipeline(transaction=False)
        names = sorted(comps)
        for comp in names:
            reader.get(self.key("c", comp))
        for comp, raw in zip(names, self._call(reader.execute)):
            held = sorted(json.loads(raw)["members"]) if raw else []
            if held != sorted(comps[comp]):
                problems.append(f"component {comp} lists {held}, articles say {sorted(comps[comp])}")
        sizes = {k.decode(): int(v) for k, v in self._call(self.client.hgetall, self.key("stories")).items()}
        actual: dict[str, int] = {}
        for r in rows:
            actual[r.story] = actual.get(r.story, 0) + 1
        if sizes != actual:
            problems.append("story sizes disagree with the articles' stories")
        if len(rows) != self._call(self.client.zcard, self.key("order")):
            problems.append("the article list names articles that are not stored")
        return problems

    def close(self) -> None:
        self.client.close()
