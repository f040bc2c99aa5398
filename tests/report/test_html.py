"""The HTML report: structure, escaping of hostile text, lazy sections, and the CLI around it."""

import json
import re

import pytest

import dedup.report.html as html_report
from dedup.cli import main
from dedup.document import Document
from dedup.pipeline import scan, scan_documents
from dedup.report.html import render_html, word_diff
from dedup.story.provenance import analyse
from tests.conftest import SEED_ORIGINAL, SEED_REWRITE, SEED_TRIM, write_jsonl

HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> & "quotes" </details>'


def hostile_documents(seeds_dir):
    trim = (seeds_dir / SEED_TRIM).read_text(encoding="utf-8")
    original = (seeds_dir / SEED_ORIGINAL).read_text(encoding="utf-8")
    return [
        Document('evil-<script>"a"', original + "\n" + HOSTILE + "\n", source="<b>Outlet</b>"),
        Document("evil-b</title>", HOSTILE + "\n" + trim, source="Plain & Simple"),
    ]


@pytest.fixture(scope="module")
def seed_html(seeds_dir):
    result = scan([seeds_dir])
    return render_html(result, analyse(result))


def test_page_holds_members_edges_and_marks(seed_html):
    for doc_id in (SEED_ORIGINAL, SEED_TRIM, SEED_REWRITE):
        assert f'data-doc="{doc_id}"' in seed_html
    assert seed_html.count('<details class="edge"') == 2
    assert f'data-source="{SEED_ORIGINAL}" data-target="{SEED_TRIM}"' in seed_html
    assert 'class="p unique' in seed_html and "<svg" in seed_html and "<ins>" in seed_html
    assert "credit removed: «à l&#x27;AFP» (AFP)" in seed_html


def test_page_is_self_contained(seed_html):
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", seed_html)
    assert "default-src &#x27;none&#x27;" in seed_html
    assert seed_html.count("<script>") == 1


def test_hostile_text_is_escaped(seeds_dir):
    result = scan_documents(hostile_documents(seeds_dir))
    assert len(result.clusters) == 1
    page = render_html(result, analyse(result))
    assert page.count("<script") == 1  # only the page's own script
    assert "<img src=x" not in page and "</details> &" not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
    assert "&lt;b&gt;Outlet&lt;/b&gt;" in page and 'evil-&lt;script&gt;&quot;a&quot;' in page
    assert "<title>dedup report" in page and "evil-b</title>" not in page


def test_large_reports_render_sections_lazily(seeds_dir, monkeypatch):
    monkeypatch.setattr(html_report, "INLINE_CLUSTERS", 0)
    result = scan([seeds_dir])
    page = render_html(result, analyse(result))
    assert 'data-lazy="t-cl-' in page and "<template id=\"t-cl-" in page
    section = page.split('<details class="cluster"', 1)[1].split("</details>", 1)[0]
    assert "side by side" not in section.lower()  # the body waits in its template


def test_word_diff_marks_changes_and_ignores_typography():
    assert word_diff("l'aval de ses superviseurs", "l’approbation des Occidentaux").count("<ins>") == 1
    assert "<ins>" not in word_diff("« dit-il »", '" dit-il "')
    assert word_diff("a <b>", "a <c>") == "a <del>&lt;b&gt;</del> <ins>&lt;c&gt;</ins>"


def test_report_is_deterministic(seeds_dir):
    first, second = (render_html(r, analyse(r)) for r in (scan([seeds_dir]), scan([seeds_dir])))
    assert first == second


# -- CLI ---------------------------------------------------------------------------------


def test_scan_html_to_file(runner, seeds_dir, tmp_path):
    target = tmp_path / "report.html"
    result = runner.invoke(main, ["scan", str(seeds_dir), "--format", "html", "-o", str(target), "-q"])
    assert result.exit_code == 0 and result.stdout == ""
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_compare_text_and_json(runner, seeds_dir):
    files = [str(seeds_dir / SEED_TRIM), str(seeds_dir / SEED_ORIGINAL)]
    text = runner.invoke(main, ["compare", *files, "-q"])
    assert text.exit_code == 0, text.output
    assert f"{SEED_ORIGINAL} -> {SEED_TRIM}" in text.stdout
    report = json.loads(runner.invoke(main, ["compare", *files, "-q", "--format", "json"]).stdout)
    assert report["summary"]["verified_pairs"] == 1
    assert report["clusters"][0]["provenance"]["origin"]["doc_id"] == SEED_ORIGINAL


def test_compare_verifies_pairs_lsh_would_miss(runner, tmp_path):
    # Tiny texts give LSH too few shingles to agree on two bands; compare checks every pair.
    base = "Le conseil municipal a voté mardi soir le budget de la ville pour l'année prochaine après un long débat."
    path = write_jsonl(tmp_path / "two.jsonl", [{"id": "a", "text": base}, {"id": "b", "text": base + " Fin."}])
    report = json.loads(runner.invoke(main, ["compare", str(path), "-q", "--format", "json"]).stdout)
    assert report["summary"]["candidate_pairs"] == 1 and report["summary"]["verified_pairs"] == 1


def test_compare_html(runner, seeds_dir):
    result = runner.invoke(main, ["compare", str(seeds_dir / SEED_REWRITE), str(seeds_dir / SEED_ORIGINAL),
                                  "-q", "--format", "html"])
    assert result.exit_code == 0 and "<svg" in result.stdout


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["compare", "SEED"], 1, "at least two readable documents"),
        (["compare", "SEED", "/nonexistent/file.txt"], 1, ""),
        (["compare", "SEED", "SEED2", "--format", "pdf"], 2, "Invalid value"),
        (["compare", "SEED", "SEED2", "--table", "edges"], 2, "--table applies to --format csv and parquet only"),
        (["scan", "SEEDS", "--format", "html", "--table", "outlets"], 2, "--table applies to --format csv and parquet only"),
    ],
)
def test_error_paths(runner, seeds_dir, args, code, message):
    mapping = {"SEED": str(seeds_dir / SEED_ORIGINAL), "SEED2": str(seeds_dir / SEED_TRIM), "SEEDS": str(seeds_dir)}
    result = runner.invoke(main, [mapping.get(a, a) for a in args])
    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, (TypeError, KeyError))


def test_missing_file_is_a_clean_error(runner, seeds_dir):
    result = runner.invoke(main, ["compare", str(seeds_dir / SEED_ORIGINAL), "/nonexistent/file.txt", "-q",
                                  "--on-error", "fail"])
    assert result.exit_code == 1 and result.output.startswith("Error:")


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_help_has_an_example(runner, command):
    result = runner.invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "Example" in result.output and f"dedup {command}" in result.output
