import csv
import io
import json

import pytest

from dedup.cli import main
from tests.conftest import write_jsonl


def test_scan_text_report(runner, seeds_dir):
    result = runner.invoke(main, ["scan", str(seeds_dir), "-q"])
    assert result.exit_code == 0
    out = result.stdout
    assert "1 cluster holding 3 documents" in out
    assert "Le 22 mars, des hommes armés ont pénétré dans une salle de concert" in out
    assert "boilerplate: «Crédit: Lien source»" in out


def test_scan_json_to_file(runner, seeds_dir, tmp_path):
    target = tmp_path / "report.json"
    result = runner.invoke(main, ["scan", str(seeds_dir), "--format", "json", "-o", str(target), "-q"])
    assert result.exit_code == 0 and result.stdout == ""
    report = json.loads(target.read_text(encoding="utf-8"))
    assert report["summary"]["clusters"] == 1
    assert report["parameters"]["fingerprint"]["num_perm"] == 128


def test_scan_csv_has_one_row_per_verified_pair(runner, seeds_dir):
    result = runner.invoke(main, ["scan", str(seeds_dir), "--format", "csv", "-q"])
    assert result.stdout.startswith("cluster_id,first,second,same_story,")  # the header row comes first
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 3 and all(r["same_story"] == "true" for r in rows)
    assert {r["cluster_id"] for r in rows} == {rows[0]["cluster_id"]}


def test_scan_csv_to_a_file_writes_its_parameters_beside_it(runner, seeds_dir, tmp_path):
    output = tmp_path / "pairs.csv"
    result = runner.invoke(main, ["scan", str(seeds_dir), "--format", "csv", "-q", "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert output.read_text(encoding="utf-8") == runner.invoke(main, ["scan", str(seeds_dir), "-f", "csv", "-q"]).stdout
    meta = json.loads((tmp_path / "pairs.csv.json").read_text(encoding="utf-8"))
    assert meta["schema_version"] >= 1 and meta["table"] == "pairs"
    assert meta["parameters"]["fingerprint"]["num_perm"] == 128
    assert [c["name"] for c in meta["columns"]] == next(csv.reader(io.StringIO(output.read_text(encoding="utf-8"))))


def test_parameters_change_the_recorded_parameters(runner, seeds_dir):
    result = runner.invoke(main, ["scan", str(seeds_dir), "--format", "json", "-q", "--num-perm", "64", "--seed", "9",
                                  "--shingle-size", "4"])
    params = json.loads(result.stdout)["parameters"]["fingerprint"]
    assert (params["num_perm"], params["seed"], params["shingle_size"]) == (64, 9, 4)


def test_stdin_jsonl(runner, seeds_dir):
    lines = "".join(
        json.dumps({"guid": p.name, "body": p.read_text(encoding="utf-8")}) + "\n" for p in sorted(seeds_dir.iterdir())
    )
    result = runner.invoke(main, ["scan", "-", "--id-field", "guid", "--text-field", "body", "--format", "json", "-q"],
                           input=lines)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["clusters"][0]["size"] == 3


def test_skipped_records_are_summarised_on_stderr(runner, tmp_path):
    path = write_jsonl(tmp_path / "f.jsonl", [{"id": "a", "text": "Un texte."}])
    with path.open("a", encoding="utf-8") as out:
        out.write("{broken\n")
    result = runner.invoke(main, ["scan", str(path), "--format", "json"])
    assert result.exit_code == 0
    assert "skipped 1 record:" in result.stderr and "f.jsonl:2: malformed JSON" in result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["skipped"] == {"malformed": 1}
    assert report["skipped"][0]["location"].endswith("f.jsonl:2")


def test_on_error_fail_exits_1_without_traceback(runner, tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_text('{"id": "a", "text": "x"}\n{broken\n', encoding="utf-8")
    result = runner.invoke(main, ["scan", str(path), "--on-error", "fail"])
    assert result.exit_code == 1
    assert "f.jsonl:2: malformed JSON" in result.stderr and "Traceback" not in result.output


def test_missing_input_is_skipped_and_reported(runner, tmp_path, seeds_dir):
    result = runner.invoke(main, ["scan", str(tmp_path / "nope.txt"), str(seeds_dir)])
    assert result.exit_code == 0 and "nope.txt: no such file or folder" in result.stderr


def test_bad_boilerplate_pattern_is_a_clear_error(runner, seeds_dir, tmp_path):
    patterns = tmp_path / "bp.txt"
    patterns.write_text("(unclosed\n", encoding="utf-8")
    result = runner.invoke(main, ["scan", str(seeds_dir), "--boilerplate", str(patterns)])
    assert result.exit_code == 1 and "invalid boilerplate pattern" in result.stderr


def test_user_boilerplate_file_is_applied(runner, seeds_dir, tmp_path):
    patterns = tmp_path / "bp.txt"
    patterns.write_text("# site footer\nemmanuel macron a de son côté.*\n", encoding="utf-8")
    result = runner.invoke(main, ["scan", str(seeds_dir), "--boilerplate", str(patterns), "--format", "json", "-q"])
    report = json.loads(result.stdout)
    assert report["parameters"]["boilerplate"]["extra_patterns"] == ["emmanuel macron a de son côté.*"]
    rewrite = [m for m in report["clusters"][0]["members"] if m["doc_id"].startswith("001")][0]
    assert any(p["status"] == "boilerplate" and "baroques" in p["text"] for p in rewrite["passages"])


def test_inconsistent_lsh_options_are_usage_errors(runner, seeds_dir):
    result = runner.invoke(main, ["scan", str(seeds_dir), "--bands", "10"])
    assert result.exit_code == 1 and "did you forget --rows" in result.stderr
    result = runner.invoke(main, ["scan", str(seeds_dir), "--bands", "100", "--rows", "2"])
    assert result.exit_code == 1 and "exceeds num_perm" in result.stderr
    result = runner.invoke(main, ["scan", str(seeds_dir), "--num-perm", "3"])
    assert result.exit_code == 2


def test_unwritable_output_is_a_clear_error(runner, seeds_dir, tmp_path):
    result = runner.invoke(main, ["scan", str(seeds_dir), "-o", str(tmp_path / "no" / "dir" / "r.txt"), "-q"])
    assert result.exit_code == 1 and "cannot write" in result.stderr


def test_unknown_encoding_is_a_clear_error(runner, seeds_dir):
    result = runner.invoke(main, ["scan", str(seeds_dir), "--encoding", "klingon"])
    assert result.exit_code == 1 and "unknown encoding" in result.stderr


def test_version(runner):
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and "dedup" in result.stdout


def _commands(group, prefix=()):
    for name, command in sorted(group.commands.items()):
        yield prefix + (name,), command
        if hasattr(command, "commands"):
            yield from _commands(command, prefix + (name,))


@pytest.mark.parametrize("path", [p for p, _ in _commands(main)] + [()], ids=lambda p: " ".join(p) or "main")
def test_every_command_is_documented_with_an_example(runner, path):
    result = runner.invoke(main, [*path, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.stdout and "dedup" in result.stdout
