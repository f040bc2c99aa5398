"""Output files appear whole or not at all, and their partial files never outlive the run."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dedup.cli import main
from dedup.io import outputs
from dedup.io.outputs import PARTIAL_SUFFIX, check_writable, remove_abandoned_partials, replacing
from tests.unprivileged import open_folder, run_unprivileged


def partials(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(PARTIAL_SUFFIX))


def test_the_file_appears_when_the_block_ends(tmp_path):
    target = tmp_path / "report.json"
    with replacing(str(target)) as out:
        out.write(b"{}")
        assert not target.exists() and len(partials(tmp_path)) == 1  # written beside it, hidden
        assert partials(tmp_path)[0].startswith(".report.json.")
    assert target.read_bytes() == b"{}" and partials(tmp_path) == []


@pytest.mark.parametrize("stop", [RuntimeError("worker failed"), KeyboardInterrupt()])
def test_a_run_that_stops_leaves_the_file_before_and_no_partial(tmp_path, stop):
    target = tmp_path / "report.json"
    target.write_bytes(b"the report before")
    with pytest.raises(type(stop)):
        with replacing(str(target)) as out:
            out.write(b'{"clusters": [')
            raise stop
    assert target.read_bytes() == b"the report before" and partials(tmp_path) == []


def test_a_new_file_gets_the_umask_mode_and_a_replaced_one_keeps_its_own(tmp_path):
    mask = os.umask(0o027)
    try:
        with replacing(str(tmp_path / "new.txt"), "w", encoding="utf-8") as out:
            out.write("é")
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640
    assert (tmp_path / "new.txt").read_bytes() == "é".encode()
    kept = tmp_path / "kept.txt"
    kept.write_text("old")
    kept.chmod(0o604)
    with replacing(str(kept)) as out:
        out.write(b"new")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o604 and kept.read_text() == "new"


def test_a_link_keeps_pointing_at_the_new_file(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    with replacing(str(link)) as out:
        out.write(b"new")
    assert link.is_symlink() and real.read_text() == "new" and link.read_text() == "new"


def test_a_device_is_written_in_place(tmp_path):
    with replacing(os.devnull) as out:
        out.write(b"nothing")
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_a_missing_folder_or_a_folder_is_named_in_the_error(tmp_path):
    missing = str(tmp_path / "no" / "r.json")
    with pytest.raises(FileNotFoundError) as found:
        with replacing(missing):
            pass
    assert found.value.filename == missing
    for check in (check_writable, lambda p: replacing(p).__enter__()):
        with pytest.raises(IsADirectoryError):
            check(str(tmp_path))
    with pytest.raises(FileNotFoundError):
        check_writable(missing)
    check_writable(str(tmp_path / "r.json"))  # a new file in a folder that exists


def test_a_read_only_file_is_not_replaced():
    with open_folder() as folder:
        folder.chmod(0o777)  # the folder may be written: only the file itself is read-only
        kept = folder / "kept.json"
        kept.write_text("keep me")
        kept.chmod(0o444)

        def attempt() -> tuple[str, str]:
            outcomes = []
            for check in (check_writable, lambda p: replacing(p).__enter__()):
                try:
                    check(str(kept))
                    outcomes.append("written")
                except PermissionError as exc:
                    outcomes.append(f"refused {exc.filename}")
            return tuple(outcomes)

        assert run_unprivileged(attempt) == (f"refused {kept}",) * 2
        assert kept.read_text() == "keep me" and partials(folder) == []


def test_partials_of_processes_that_are_gone_are_removed(tmp_path):
    gone = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True).stdout)
    mine = outputs._owner_tag()
    host = mine.rsplit("-", 1)[1]
    other_host = "0" * len(host) if host != "0" * len(host) else "1" * len(host)
    made = {
        "dead": f".r.json.{gone}-0-{host}.abc{PARTIAL_SUFFIX}",
        "alive": f".r.json.{mine}.def{PARTIAL_SUFFIX}",
        "elsewhere": f".r.json.{gone}-0-{other_host}.ghi{PARTIAL_SUFFIX}",
        "another file's": f".s.json.{gone}-0-{host}.jkl{PARTIAL_SUFFIX}",
    }
    for name in made.values():
        (tmp_path / name).write_text("article text")
    with replacing(str(tmp_path / "r.json")) as out:
        out.write(b"{}")
    assert partials(tmp_path) == sorted(v for k, v in made.items() if k != "dead")
    assert remove_abandoned_partials(str(tmp_path / "r.json")) == []


# -- the commands -----------------------------------------------------------------------


def test_an_interrupted_report_leaves_the_report_before(runner, seeds_dir, tmp_path, monkeypatch):
    target = tmp_path / "report.json"
    before = runner.invoke(main, ["scan", str(seeds_dir), "--format", "json", "-o", str(target), "-q"])
    assert before.exit_code == 0
    written = target.read_bytes()
    import dedup.cli.scan as scan_cli

    real = scan_cli.iter_render

    def stopped_midway(*args, **kwargs):
        pieces = real(*args, **kwargs)
        yield next(pieces)  # the head of the report is written, then the run stops
        raise KeyboardInterrupt

    monkeypatch.setattr(scan_cli, "iter_render", stopped_midway)
    result = runner.invoke(main, ["scan", str(seeds_dir), "--format", "json", "-o", str(target), "-q"])
    assert result.exit_code != 0
    assert target.read_bytes() == written and json.loads(written)["summary"]["clusters"] == 1
    assert partials(tmp_path) == []


def test_an_interrupted_table_leaves_the_table_and_sidecar_before(runner, seeds_dir, tmp_path, monkeypatch):
    target = tmp_path / "pairs.csv"
    assert runner.invoke(main, ["scan", str(seeds_dir), "--format", "csv", "-o", str(target), "-q"]).exit_code == 0
    table, sidecar = target.read_bytes(), (tmp_path / "pairs.csv.json").read_bytes()
    import dedup.report.tables as tables

    def failing(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tables, "table_metadata", failing)
    result = runner.invoke(main, ["scan", str(seeds_dir), "--format", "csv", "-o", str(target), "-q"])
    assert result.exit_code == 1 and "No space left on device" in result.stderr
    assert target.read_bytes() == table and (tmp_path / "pairs.csv.json").read_bytes() == sidecar
    assert partials(tmp_path) == []


def test_an_unwritable_output_stops_before_the_work(runner, seeds_dir, tmp_path):
    missing = tmp_path / "no" / "r.json"
    result = runner.invoke(main, ["scan", str(seeds_dir), "--format", "json", "-o", str(missing)])
    assert result.exit_code == 1 and f"cannot write {missing}" in result.stderr
    assert "documents" not in result.stderr  # no scan ran: no summary
    index = tmp_path / "stories.db"
    result = runner.invoke(main, ["index", "add", str(index), str(seeds_dir), "-o", str(missing), "-q"])
    assert result.exit_code == 1 and "cannot write" in result.stderr
    assert not index.exists()  # the index was never made
