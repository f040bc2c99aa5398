"""Labels: pairs and groups of documents, read from JSON lines with clear errors."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dedup.errors import LabelError

REUSE_CLASSES = {"WD": True, "PD": True, "ND": False}
PAIR_LABELS = {"positive": True, "negative": False, "hard_negative": False}


# -- labels ------------------------------------------------------------------------


@dataclass(frozen=True)
class PairLabel:
    """One labelled pair. ``label`` is its class (``positive``, ``negative``,
    ``hard_negative``, ``WD``, ``PD``, ``ND``); ``source`` the id of the original, if known."""

    first: str
    second: str
    positive: bool
    label: str
    source: str | None = None
    line: int = 0

    @property
    def key(self) -> tuple[str, str]:
        return (self.first, self.second) if self.first <= self.second else (self.second, self.first)


@dataclass(frozen=True)
class GroupLabel:
    """A positive group: copies of one dispatch. ``lineage`` names a family of dispatches
    whose groups may share a cluster; ``None`` means the group stands alone."""

    ids: tuple[str, ...]
    lineage: str | None = None
    name: str | None = None
    line: int = 0

    @property
    def title(self) -> str:
        return self.name or f"group on line {self.line}"


@dataclass(frozen=True)
class Labels:
    """Labelled pairs (hard negatives included) and positive groups, checked for contradictions.

    Raises :class:`~dedup.errors.LabelError` when a document is in two positive groups, a
    pair is labelled twice, or a pair lies inside one positive group (it would be counted
    twice, or contradict the group).
    """

    pairs: tuple[PairLabel, ...] = ()
    groups: tuple[GroupLabel, ...] = ()
    location: str = ""

    def __post_init__(self) -> None:
        group_of: dict[str, GroupLabel] = {}
        for group in self.groups:
            for doc_id in group.ids:
                if doc_id in group_of:
                    raise LabelError(
                        f"document {doc_id!r} is in two positive groups (lines {group_of[doc_id].line} and "
                        f"{group.line}); merge them, or give both the same lineage and list it once",
                        self._where(group.line),
                    )
                group_of[doc_id] = group
        seen: dict[tuple[str, str], PairLabel] = {}
        for pair in self.pairs:
            if pair.key in seen:
                raise LabelError(f"pair {pair.first!r}, {pair.second!r} is already labelled on line "
                                 f"{seen[pair.key].line}", self._where(pair.line))
            seen[pair.key] = pair
            group = group_of.get(pair.first)
            if group is not None and group_of.get(pair.second) is group:
                raise LabelError(f"pair {pair.first!r}, {pair.second!r} lies inside the positive group on line "
                                 f"{group.line}", self._where(pair.line))

    def _where(self, line: int) -> str:
        return f"{self.location}:{line}" if self.location and line else self.location

    @property
    def documents(self) -> list[str]:
        """Every labelled document id, sorted."""
        ids = {i for p in self.pairs for i in (p.first, p.second)} | {i for g in self.groups for i in g.ids}
        return sorted(ids)

    def __len__(self) -> int:
        return len(self.pairs) + len(self.groups)


def _text_id(value: Any, what: str, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise LabelError(f"{what} must be a non-empty string (a document id), not {value!r}", where)
    return value


def _pair_label(record: dict[str, Any], where: str, line: int) -> PairLabel:
    first = _text_id(record.get("a"), "'a'", where)
    second = _text_id(record.get("b"), "'b'", where)
    if first == second:
        raise LabelError(f"a pair needs two different ids, got {first!r} twice", where)
    if "reuse" in record:
        label = record["reuse"]
        if label not in REUSE_CLASSES:
            raise LabelError(f"'reuse' must be WD, PD or ND, not {label!r}", where)
        positive = REUSE_CLASSES[label]
    elif "label" in record:
        raw = record["label"]
        if isinstance(raw, bool):
            label = "positive" if raw else "negative"
        elif isinstance(raw, str) and raw.lower() in PAIR_LABELS:
            label = raw.lower()
        else:
            raise LabelError(f"'label' must be positive, negative or hard_negative, not {raw!r}", where)
        positive = PAIR_LABELS[label]
    else:
        raise LabelError("a pair needs 'label' (positive/negative) or 'reuse' (WD/PD/ND)", where)
    source = record.get("source", record.get("agency"))
    if source is not None and source not in (first, second):
        raise LabelError(f"the source {source!r} must be one of the pair's ids ({first!r}, {second!r})", where)
    return PairLabel(first, second, positive, label, source, line)


def _group_label(record: dict[str, Any], where: str, line: int) -> PairLabel | GroupLabel:
    kind = record["type"]
    ids = record.get("ids")
    if not isinstance(ids, list) or not ids:
        raise LabelError("a group needs 'ids', a non-empty list of document ids", where)
    members = tuple(_text_id(i, "every id", where) for i in ids)
    if len(set(members)) != len(members):
        raise LabelError(f"a group lists an id twice: {sorted(i for i, n in Counter(members).items() if n > 1)}", where)
    name = record.get("group_id", record.get("pair_id"))
    if kind == "positive":
        lineage = record.get("lineage")
        if lineage is not None and not isinstance(lineage, str):
            raise LabelError(f"'lineage' must be a string or null, not {lineage!r}", where)
        return GroupLabel(members, lineage, name if isinstance(name, str) else None, line)
    if kind == "hard_negative":
        if len(members) != 2:
            raise LabelError(f"a hard_negative names exactly two ids, not {len(members)}", where)
        return PairLabel(members[0], members[1], False, "hard_negative", None, line)
    raise LabelError(f"'type' must be 'positive' or 'hard_negative', not {kind!r}", where)


def parse_labels(lines: Iterable[str], location: str = "<labels>") -> Labels:
    """Labels from JSONL lines (blank lines are skipped); ``location`` names the source in errors.

    Raises :class:`~dedup.errors.LabelError` naming ``location:line`` on the first malformed
    line. An input without labels gives empty :class:`Labels`.
    """
    pairs: list[PairLabel] = []
    groups: list[GroupLabel] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        where = f"{location}:{number}"
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LabelError(f"not JSON ({exc.msg} at column {exc.colno})", where) from None
        if not isinstance(record, dict):
            raise LabelError(f"a label is a JSON object, not {type(record).__name__}", where)
        if "type" in record:
            parsed = _group_label(record, where, number)
        elif "a" in record or "b" in record:
            parsed = _pair_label(record, where, number)
        else:
            raise LabelError('neither a pair {"a", "b", "label"} nor a group {"type", "ids"}', where)
        if isinstance(parsed, GroupLabel):
            groups.append(parsed)
        else:
            pairs.append(parsed)
    return Labels(tuple(pairs), tuple(groups), location)


def load_labels(path: str | Path) -> Labels:
    """Read a JSONL label file. Raises :class:`~dedup.errors.LabelError` (file and line) on a
    malformed or contradictory label, and when the file holds no label at all."""
    location = str(path)
    try:
        with open(path, encoding="utf-8") as handle:
            labels = parse_labels(handle, location)
    except UnicodeDecodeError as exc:
        raise LabelError(f"not UTF-8 text ({exc.reason})", location) from None
    except OSError as exc:
        raise LabelError(f"cannot read the labels: {exc.strerror or exc}", location) from None
    if not len(labels):
        raise LabelError("no labels: expected JSONL pairs or groups", location)
    return labels


