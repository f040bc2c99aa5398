"""The HTML report in headless Chromium: loads without console errors, shows the cluster,
its members and edges, highlights unique passages, and runs no script from document text.

CI installs Debian's ``chromium``; where it is missing these tests are skipped.
"""

import json
from pathlib import Path

import pytest

from dedup.pipeline import scan, scan_documents
from dedup.report.html import render_html
from dedup.story.provenance import analyse
from tests.cdp import Browser, find_chromium
from tests.conftest import SEED_ORIGINAL, SEED_REWRITE, SEED_TRIM
from tests.report.test_html import hostile_documents

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")


def load(tmp_path: Path, page: str, name: str = "report.html") -> Browser:
    path = tmp_path / name
    path.write_text(page, encoding="utf-8")
    browser = Browser(CHROMIUM)
    try:
        browser.open(path.as_uri())
    except Exception:
        browser.close()
        raise
    return browser


def test_seed_report_in_chromium(seeds_dir, tmp_path):
    result = scan([seeds_dir])
    with load(tmp_path, render_html(result, analyse(result))) as browser:
        facts = browser.evaluate(
            """JSON.stringify({
              title: document.title,
              members: [...document.querySelectorAll('tr.member')].map(r => r.dataset.doc),
              nodes: [...document.querySelectorAll('svg g.node')].map(g => g.dataset.doc),
              edges: [...document.querySelectorAll('svg line.edge')].map(l => l.dataset.source + ' -> ' + l.dataset.target),
              views: document.querySelectorAll('details.edge').length,
              unique: [...document.querySelectorAll('details.edge[open] .p.unique')].map(p => {
                  const s = getComputedStyle(p);
                  return [s.backgroundColor, s.borderLeftColor, p.getBoundingClientRect().height > 0];
              }),
              shared: [...document.querySelectorAll('details.edge[open] .p.shared')].map(p => getComputedStyle(p).backgroundColor),
            })"""
        )
        errors = browser.errors()
        browser.screenshot(tmp_path / "report.png")
    facts = json.loads(facts)
    assert errors == []
    assert facts["title"].startswith("dedup report")
    assert facts["members"] == sorted([SEED_ORIGINAL, SEED_TRIM, SEED_REWRITE])
    assert sorted(facts["nodes"]) == facts["members"]
    assert sorted(facts["edges"]) == [f"{SEED_ORIGINAL} -> {SEED_TRIM}", f"{SEED_ORIGINAL} -> {SEED_REWRITE}"]
    assert facts["views"] == 2
    # unique passages are drawn: tinted, with a coloured left border, and visible
    assert facts["unique"] and all(bg not in ("rgba(0, 0, 0, 0)", "transparent") and visible
                                   for bg, border, visible in facts["unique"])
    assert len({border for _, border, _ in facts["unique"]}) == 1
    # shared passages are coloured, and some colours repeat across the two columns
    assert len(set(facts["shared"])) < len(facts["shared"])
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_hostile_text_does_not_run(seeds_dir, tmp_path):
    result = scan_documents(hostile_documents(seeds_dir))
    with load(tmp_path, render_html(result, analyse(result))) as browser:
        pwned = browser.evaluate("String(window.__pwned)")
        shown = browser.evaluate("document.body.innerText.includes('<script>window.__pwned = 1</script>')")
    assert pwned == "undefined"
    assert shown is True  # the text is displayed, as text


def test_lazy_sections_render_when_opened(seeds_dir, tmp_path, monkeypatch):
    import dedup.report.html as html_report

    monkeypatch.setattr(html_report, "INLINE_CLUSTERS", 0)
    result = scan([seeds_dir])
    with load(tmp_path, render_html(result, analyse(result))) as browser:
        before = browser.evaluate("document.querySelectorAll('details.edge').length")
        browser.evaluate("document.querySelector('details.cluster').open = true")
        browser.evaluate("new Promise(r => setTimeout(r, 50))")
        after = browser.evaluate("document.querySelectorAll('details.cluster details.edge').length")
        errors = browser.errors()
    assert (before, after) == (0, 2)
    assert errors == []
