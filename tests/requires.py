"""Skip markers for tests that need an optional package; each reason says what to install."""

from __future__ import annotations

import importlib.util

import pytest


def needs(module: str, install: str = "pip install \".[test]\"") -> pytest.MarkDecorator:
    """Skip unless ``module`` imports; the reason names the command that installs it."""
    missing = importlib.util.find_spec(module) is None
    return pytest.mark.skipif(missing, reason=f"{module} is not installed ({install})")


needs_pyarrow = needs("pyarrow")
needs_trafilatura = needs("trafilatura")
needs_warcio = needs("warcio")
needs_feedparser = needs("feedparser")
needs_zstandard = needs("zstandard")
needs_pandas = needs("pandas")
