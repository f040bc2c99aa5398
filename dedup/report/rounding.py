"""Scores as the reports write them: rounded to four decimal places, as :func:`round` rounds.

A report holds a few scores for every verified pair, and a large cluster's record tens of
thousands of pairs: :func:`round_scores` rounds a whole column at once, to the same floats.
"""

from __future__ import annotations

import numpy as np

PLACES = 4
_SCALE = 10.0**PLACES
# Below this, multiplying by the scale misses the exact product by less than 2**-21 (half a
# unit in the last place): a product farther than that from a half rounds as the exact one.
_EXACT_BELOW = 2.0**32
_NEAR_HALF = 1e-6


def round_score(value: float) -> float:
    """``value`` rounded to :data:`PLACES` decimal places (a float, however it came)."""
    return round(float(value), PLACES)


def round_scores(values: np.ndarray) -> np.ndarray:
    """:func:`round_score` of each of ``values``, as float64: the same floats.

    ``rint(x * 10**4) / 10**4`` is what :func:`round` gives wherever ``x * 10**4`` is not within
    a hair of a half: the integer is then the one the exact product rounds to, and dividing
    two exact numbers rounds once, to the float nearest the decimal, which is the float
    :func:`round` reads back from its correctly rounded decimal. The few values near a half,
    and any too large or not finite, are rounded one by one.
    """
    values = np.ascontiguousarray(values, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # what overflows, or is not finite, is rounded one by one
        scaled = values * _SCALE
        rounded = np.rint(scaled) / _SCALE
        doubtful = ~(np.abs(scaled) < _EXACT_BELOW) | (np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) < _NEAR_HALF)
    # exact halves are common (7/32 is 0.21875): a list of them rounded, not a loop over indices
    where = np.flatnonzero(doubtful)
    rounded.reshape(-1)[where] = [round(value, PLACES) for value in values.reshape(-1)[where].tolist()]
    return rounded


# Fewer values than this are rounded one by one: numpy's calls would cost more than they
# save (a corpus of small stories has many clusters of a few pairs).
FEW_VALUES = 64


def rounded_rows(rows: list[tuple[float, ...]], width: int) -> list[list[float]]:
    """:func:`round_score` of every value of ``rows`` (tuples of ``width`` numbers), as lists."""
    if len(rows) * width < FEW_VALUES:
        return [[round(float(value), PLACES) for value in row] for row in rows]
    return round_scores(np.array(rows, dtype=np.float64).reshape(-1, width)).tolist()
