"""The fuzz suite reports how many generated cases it ran, by entry point."""

from __future__ import annotations

from tests.fuzz.counting import CASES


def pytest_terminal_summary(terminalreporter) -> None:
    if CASES:
        detail = ", ".join(f"{kind} {count}" for kind, count in sorted(CASES.items()))
        terminalreporter.write_line(f"fuzz: {sum(CASES.values())} generated cases ({detail})")
