"""How many generated cases the fuzz suite ran, for the summary at the end of a test run."""

from __future__ import annotations

CASES: dict[str, int] = {}


def count_case(kind: str = "case") -> None:
    """Count one generated case (call it first thing in a fuzz test's body)."""
    CASES[kind] = CASES.get(kind, 0) + 1
