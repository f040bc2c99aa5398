"""Fuzzing the commands end to end, in-process with click's CliRunner, in every output format.

Properties of every run: no traceback (the only exception a command ends with is
``SystemExit``); the exit code is the documented one (0 when some document was read, 1
when none was, never 2 for valid options); every good record is processed (the JSON
report counts exactly the good records, ``index add`` prints one line per good record);
every bad record is reported with its file and line (in the JSON report's ``skipped`` list
with its kind, and on stderr); nothing printed for a terminal (the text report, stderr)
holds a raw control character or bidi override; the HTML page holds no script but its own.
"""

from __future__ import annotations

import atexit
import csv
import io
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from dedup.cli import main
from tests.fuzz.counting import count_case
from tests.fuzz.strategies import (
    MAX_CHARS,
    Case,
    compress,
    csv_case,
    document_text,
    fuzz_settings,
    ids,
    jsonl_case,
)

FOLDER = Path(tempfile.mkdtemp(prefix="dedup-fuzz-cli-"))
atexit.register(shutil.rmtree, FOLDER, True)
FORMATS = st.sampled_from(["text", "json", "csv", "html"])
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
RUNNER = CliRunner()


def invoke(args: list[str], stdin: bytes | None = None):
    result = RUNNER.invoke(main, args, input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1), (result.exit_code, result.output)
    assert not UNSAFE.search(result.stderr), result.stderr
    return result


def stored(case: Case, packing=("plain", 0.0)) -> Path:
    suffix, data = compress(case.data, *packing)
    path = FOLDER / (case.name + suffix)
    path.write_bytes(data)
    return path


def check_report(result, report_format: str, path: Path, case: Case) -> None:
    """The report holds every good record and names every bad one, in its format's way."""
    expected_bad = {(f"{path}:{n}", kind) for n, kind in case.bad.items()}
    good_lines = {f"{path}:{n}" for n in case.good}
    if report_format == "json":
        report = json.loads(result.stdout)
        assert report["summary"]["documents"] == len(case.good)
        found = {(p["location"], p["kind"]) for p in report["skipped"]}
        assert expected_bad <= found
        assert all(kind == "empty" and location in good_lines for location, kind in found - expected_bad)
    else:
        for location, _ in expected_bad:
            assert f"  {location}: " in result.stderr
    if report_format == "text":
        assert not UNSAFE.search(result.stdout)
    elif report_format == "csv":
        rows = list(csv.reader(io.StringIO(result.stdout, newline=""), strict=True))
        assert rows[0][:3] == ["cluster_id", "first", "second"] and all(len(r) == len(rows[0]) for r in rows)
    elif report_format == "html":
        page = result.stdout
        assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
        assert page.count("<script") == 1 and page.count("</script>") == 1


@fuzz_settings(400)
@given(case=jsonl_case(), report_format=FORMATS, codec=st.sampled_from(["plain", "gzip", "bz2", "xz"]))
def test_scan_of_a_jsonl_feed_in_every_format(case, report_format, codec):
    count_case("scan")
    path = stored(case, (codec, 0.0))
    result = invoke(["scan", str(path), "-f", report_format, "--max-chars", str(MAX_CHARS)])
    assert result.exit_code == (0 if case.good else 1)
    if case.good:
        check_report(result, report_format, path, case)
    else:
        assert "nothing to scan" in result.stderr and result.stdout == ""


@fuzz_settings(100)
@given(case=csv_case(), report_format=FORMATS)
def test_scan_of_a_csv_file_in_every_format(case, report_format):
    count_case("scan")
    path = stored(case)
    result = invoke(["scan", str(path), "-f", report_format, "--max-chars", str(MAX_CHARS)])
    assert result.exit_code == (0 if case.good else 1)
    if case.good:
        check_report(result, report_format, path, case)


@fuzz_settings(150)
@given(data=st.binary(max_size=800), report_format=FORMATS,
       encoding=st.sampled_from(["utf-8", "utf-16", "latin-1", "utf-32"]))
def test_scan_of_random_bytes_on_stdin(data, report_format, encoding):
    count_case("scan")
    result = invoke(["scan", "-", "-f", report_format, "--encoding", encoding], stdin=data)
    if result.exit_code == 1:
        assert "nothing to scan" in result.stderr


file_names = ids.map(lambda name: name.replace("/", "∕").replace("\x00", "␀") + ".txt")


@fuzz_settings(100)
@given(files=st.lists(st.tuples(file_names, document_text), max_size=5, unique_by=lambda f: f[0]),
       extras=st.sets(st.sampled_from(["fifo", "dangling"])), report_format=FORMATS)
def test_scan_of_a_folder_with_hostile_file_names(files, extras, report_format):
    count_case("scan")
    folder = Path(tempfile.mkdtemp(dir=FOLDER))
    try:
        for name, text in files:
            (folder / name).write_text(text, encoding="utf-8")
        if "fifo" in extras:
            os.mkfifo(folder / "pipe.txt")
        if "dangling" in extras:
            (folder / "gone.txt").symlink_to(folder / "nowhere")
        result = invoke(["scan", str(folder), "-f", report_format])
        assert result.exit_code == (0 if files else 1)
        if "fifo" in extras:
            assert "pipe.txt: not a regular file (a FIFO)" in result.stderr
        if "dangling" in extras:
            assert "gone.txt: a symbolic link to nothing" in result.stderr
        if report_format == "json" and files:
            assert json.loads(result.stdout)["summary"]["documents"] == len(files)
        if report_format == "text":
            assert not UNSAFE.search(result.stdout)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@fuzz_settings(200)
@given(case=jsonl_case(), report_format=FORMATS)
def test_compare_in_every_format(case, report_format):
    count_case("compare")
    path = stored(case)
    result = invoke(["compare", str(path), "-f", report_format, "--max-chars", str(MAX_CHARS)])
    assert result.exit_code == (0 if len(case.good) >= 2 else 1)
    if len(case.good) >= 2:
        check_report(result, report_format, path, case)
    else:
        assert "compare needs at least two readable documents" in result.stderr


@fuzz_settings(150)
@given(case=jsonl_case())
def test_index_add(case):
    count_case("index add")
    path = stored(case)
    index = FOLDER / "fuzz.db"
    try:
        result = invoke(["index", "add", str(index), str(path), "--max-chars", str(MAX_CHARS)])
        assert result.exit_code == (0 if case.good else 1)
        if case.good:
            lines = [json.loads(line) for line in result.stdout.split("\n") if line]  # NEL and LS stay inside
            assert [line["id"] for line in lines] == [case.good[n] for n in sorted(case.good)]
            for n in case.bad:
                assert f"  {path}:{n}: " in result.stderr
        else:
            assert "nothing to add" in result.stderr and not index.exists()
    finally:
        for leftover in FOLDER.glob("fuzz.db*"):
            leftover.unlink()
