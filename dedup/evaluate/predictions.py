"""Predictions: each document's cluster and each cluster's origin, from a JSON report."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dedup.errors import IncompatibleDataError, InputError

# Report schema versions this module understands: 1 (no provenance) and 2 (provenance).
SUPPORTED_SCHEMA_VERSIONS = (1, 2, 3)


# -- predictions -------------------------------------------------------------------


@dataclass(frozen=True)
class Predictions:
    """A predicted clustering: ``clusters`` maps doc id -> cluster id (absent documents are
    singletons); ``origins`` maps cluster id -> origin doc id or ``None`` (undetermined), and
    is ``None`` as a whole when the predictions carry no origins."""

    clusters: Mapping[str, str]
    origins: Mapping[str, str | None] | None = None


def predictions_from_report(report: Mapping[str, Any], location: str = "<report>") -> Predictions:
    """Clusters and origins of a ``dedup scan --format json`` report (``docs/schema.md``).

    The origin is ``clusters[].provenance.origin.doc_id`` (``null`` when the original is
    probably not in the corpus: undetermined). Version 1 reports carry no provenance, so
    their predictions have no origins. Raises :class:`~dedup.errors.InputError` for
    something that is not a report, and :class:`~dedup.errors.IncompatibleDataError` for an
    unknown ``schema_version``.
    """
    if not isinstance(report, Mapping) or not isinstance(report.get("clusters"), list):
        raise InputError("not a dedup JSON report (no 'clusters' list); make one with dedup scan --format json",
                         location)
    version = report.get("schema_version")
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        raise IncompatibleDataError(
            f"{location}: report schema_version {version!r} is not one of {list(SUPPORTED_SCHEMA_VERSIONS)}"
        )
    clusters: dict[str, str] = {}
    origins: dict[str, str | None] = {}
    for number, cluster in enumerate(report["clusters"]):
        try:
            cluster_id = str(cluster["cluster_id"])
            member_ids = [str(m["doc_id"]) for m in cluster["members"]]
        except (KeyError, TypeError):
            raise InputError(f"cluster {number} has no cluster_id or members[].doc_id", location) from None
        for doc_id in member_ids:
            if doc_id in clusters:
                raise InputError(f"document {doc_id!r} is in two clusters ({clusters[doc_id]}, {cluster_id})",
                                 location)
            clusters[doc_id] = cluster_id
        provenance = cluster.get("provenance")
        if isinstance(provenance, Mapping):
            origin = provenance.get("origin") or {}
            origins[cluster_id] = origin.get("doc_id")
    has_origins = version >= 2 or bool(origins)
    return Predictions(clusters, origins if has_origins else None)


def read_report(path: str | Path) -> Predictions:
    """:func:`predictions_from_report` of a JSON report file."""
    location = str(path)
    try:
        with open(path, encoding="utf-8") as handle:
            report = json.load(handle)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON ({exc.msg} at column {exc.colno})", f"{location}:{exc.lineno}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", location) from None
    except OSError as exc:
        raise InputError(f"cannot read the report: {exc.strerror or exc}", location) from None
    return predictions_from_report(report, location)


