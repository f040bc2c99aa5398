"""Score a clustering against labels: pair precision/recall, B-cubed, ARI, cross-group
merges and origin accuracy.

Predictions are a mapping doc id -> cluster id (documents absent from it are singletons)
and, optionally, each cluster's predicted origin (a doc id, or ``None`` when the scan left
it undetermined). :func:`predictions_from_report` reads them from a ``dedup scan --format
json`` report.

Labels come in two forms, one JSON object a line (:func:`load_labels`), and may be mixed:

* **pairs**: ``{"a": ID, "b": ID, "label": "positive" | "negative"}``, or COUNTER's
  ``{"a": ID, "b": ID, "reuse": "WD" | "PD" | "ND", "agency": ID}`` where wholly (WD) and
  partially (PD) derived pairs are positive and non-derived (ND) negative. An optional
  ``"source"`` (or COUNTER's ``"agency"``) names which of the two ids is the original.
* **groups**: ``{"type": "positive", "ids": [...], "lineage": optional}``, copies of one
  dispatch, and ``{"type": "hard_negative", "ids": [a, b]}``, two independent articles.
  Two positive groups with the same ``lineage`` may share a cluster; groups without one
  must not share a cluster with any other group.

The gold clustering over the labelled documents joins every positive group and every
positive pair (connected components); every other labelled document is a class of its
own. Everything is computed from contingency counts in Python ints, so a corpus of any
size neither loops over all pairs nor overflows.

This module is pure: it imports only the standard library and :mod:`dedup.errors`.
"""

from dedup.evaluate.labels import (
    GroupLabel,
    Labels,
    PairLabel,
    load_labels,
    parse_labels,
)
from dedup.evaluate.metrics import (
    ClassRate,
    Evaluation,
    adjusted_rand,
    bcubed,
    evaluate,
)
from dedup.evaluate.predictions import Predictions, predictions_from_report, read_report

__all__ = [
    "ClassRate",
    "Evaluation",
    "GroupLabel",
    "Labels",
    "PairLabel",
    "Predictions",
    "adjusted_rand",
    "bcubed",
    "evaluate",
    "load_labels",
    "parse_labels",
    "predictions_from_report",
    "read_report",
]
