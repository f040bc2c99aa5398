"""Scores rounded a column at once are the floats :func:`round` gives one by one."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.report.rounding import round_score, round_scores


def _same(got: np.ndarray, values: list[float]) -> None:
    expected = [round(value, 4) for value in values]
    assert len(got) == len(expected)
    for value, mine, theirs in zip(values, got.tolist(), expected):
        # the same float, sign of zero and NaN included
        assert repr(mine) == repr(theirs), value


def test_halves_and_their_neighbours_round_as_round_does():
    halves = (np.arange(-2_000, 20_001) + 0.5) / 1e4  # exact ties (7/32 is one) and near ties
    values = np.concatenate([halves, np.nextafter(halves, 2.0), np.nextafter(halves, -2.0)])
    _same(round_scores(values), values.tolist())


def test_odd_values_round_as_round_does():
    values = [0.0, -0.0, 1.0, 5e-5, -5e-5, 1.5e-4, 0.21875, 1 / 3, 2 / 3, 1e300, -1e300, 4.2e9, 123456.78905,
              math.inf, -math.inf, math.nan, 2.0**32, 2.0**52 + 1, 1e-320]
    _same(round_scores(np.array(values)), values)
    assert round_scores(np.zeros((0, 6))).shape == (0, 6)
    assert round_scores(np.array([[0.123456, 0.5]])).tolist() == [[0.1235, 0.5]]  # the shape kept


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=50))
def test_any_floats_round_as_round_does(values):
    _same(round_scores(np.array(values, dtype=np.float64)), values)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.integers(min_value=-10**8, max_value=10**8), st.integers(min_value=-3, max_value=3))
def test_ties_and_the_floats_beside_them_round_as_round_does(tenth_thousandths, step):
    value = (tenth_thousandths + 0.5) / 1e4
    for _ in range(abs(step)):
        value = math.nextafter(value, math.copysign(math.inf, step))
    _same(round_scores(np.array([value])), [value])
    assert round_score(value) == round(value, 4)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.tuples(*[st.floats(min_value=-2.0, max_value=2.0)] * 3), max_size=40))
def test_rows_of_scores_round_alike_few_or_many(rows):
    from dedup.report import rounding

    expected = [[round(value, 4) for value in row] for row in rows]
    assert rounding.rounded_rows(rows, 3) == expected  # few one by one, many as a column
    assert rounding.round_scores(np.array(rows, dtype=np.float64).reshape(-1, 3)).tolist() == expected
