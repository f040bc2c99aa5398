"""Hostile input and failure: one regression test (or a few) per reproduction.

The numbers in the test names follow the list of reproductions: lone surrogates (1),
the HTML report's passage groups (2), concurrent adds of one id (3), decompression bombs
(4), memory on long near-copies (5), folders holding links, FIFOs and unreadable
subfolders (6), UTF-16 and UTF-32 JSONL (7), index commands on a mistyped path (8), a
scan that reads nothing (9), broken CSV quoting (10), ids of the wrong type (11),
control characters on the terminal (12), temporary spool folders (13), verification
memory with character shingles (14), and the small ones (15).
"""

from __future__ import annotations

import colorsys
import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from benchmarks.corpus import generate
from dedup import batches, packing, spools
from dedup.cli import main
from dedup.cli import index as index_cli
from dedup.cli.console import StderrProgress, say
from dedup.document import Document
from dedup.index import open_index
from dedup.io import InputReader, ReadOptions
from dedup.match import verify
from dedup.match.fingerprint import FingerprintConfig, fingerprint
from dedup.match.shingle import ShingleConfig
from dedup.pipeline import scan
from dedup.report.html import passage_groups, shared_hue
from dedup.story import cosines, diff
from dedup.story.result import ScanConfig
from dedup.text.segment import segment
from tests.conftest import SEED_ORIGINAL, SEED_TRIM, write_jsonl
from tests.redis_fixture import redis_url, unique_name  # noqa: F401  (fixture)
from tests.unprivileged import open_folder, run_unprivileged

ROOT = Path(__file__).resolve().parent.parent
SENTENCES = [
    "Le ministre a annoncé mardi un plan de reconstruction des écoles du nord du pays.",
    "Les travaux commenceront au printemps et dureront trois ans selon le gouvernement.",
    "Les syndicats ont salué une décision attendue depuis de longues années par les familles.",
    "Le budget total atteint quatre cents millions d'euros répartis sur cinq régions.",
]
STORY = " ".join(SENTENCES)


def read(inputs, **options):
    reader = InputReader(ReadOptions(**options))
    return list(reader.read(inputs)), reader.problems


def names(problems):
    return [(p.location.rsplit("/", 1)[-1], p.kind) for p in problems]


def run_dedup(*args, timeout=120, env=None, cwd=ROOT):
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "dedup", *args], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=timeout)


# -- 1. lone surrogates -----------------------------------------------------------------------


@pytest.mark.parametrize("report_format", ["text", "json", "csv", "html"])
def test_1_lone_surrogates_are_refused_by_the_reader_with_their_line(runner, report_format):
    feed = (
        '{"id": "a", "text": "one two three \\ud800 four five six"}\n'
        '{"id": "b\\udfff", "text": "' + STORY + '"}\n'
        '{"id": "c", "text": "' + STORY + '", "title": "T\\udc80"}\n'
        '{"id": "d", "text": "' + STORY + '"}\n'
        '{"id": "e", "text": "' + STORY + ' \\ud83d\\ude00"}\n'  # a whole pair is fine
    )
    result = runner.invoke(main, ["scan", "-", "-f", report_format], input=feed)
    assert result.exit_code == 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for line, field in ((1, "text"), (2, "id"), (3, "title")):
        assert f"<stdin>:{line}: the {field} holds a lone surrogate" in result.stderr
    assert "2 documents, 1 cluster" in result.stderr


def test_1_index_add_refuses_lone_surrogates_too(runner, tmp_path):
    feed = write_jsonl(tmp_path / "f.jsonl", [{"id": "a", "text": STORY}, {"id": "b", "text": STORY}])
    with feed.open("a", encoding="utf-8") as out:
        out.write('{"id": "c\\ud800", "text": "x"}\n')
    result = runner.invoke(main, ["index", "add", str(tmp_path / "i.db"), str(feed)])
    assert result.exit_code == 0, result.output
    assert "f.jsonl:3: the id holds a lone surrogate" in result.stderr
    assert len(result.stdout.splitlines()) == 2


# -- 2. HTML report: boilerplate before a shared passage --------------------------------------


@pytest.fixture()
def boilerplate_first(tmp_path, seeds_dir):
    """Seeds 002 and 000 with the same boilerplate line, then the same new sentence, appended."""
    folder = tmp_path / "pair"
    folder.mkdir()
    for name in (SEED_ORIGINAL, SEED_TRIM):
        text = (seeds_dir / name).read_text(encoding="utf-8")
        (folder / name).write_text(
            text + "\n\nLes commentaires sont fermés.\n\nUne phrase ajoutée à la fin des deux versions de cette "
            "dépêche, partagée mot pour mot entre elles.\n", encoding="utf-8")
    return folder


def test_2_html_report_with_boilerplate_before_a_shared_passage(runner, boilerplate_first, tmp_path):
    for command in (["scan", str(boilerplate_first)],
                    ["compare", *(str(p) for p in sorted(boilerplate_first.iterdir()))]):
        target = tmp_path / "r.html"
        result = runner.invoke(main, [*command, "--format", "html", "-o", str(target), "-q"])
        assert result.exit_code == 0, result.output
        assert "Une phrase ajoutée" in target.read_text(encoding="utf-8")


def test_2_counterparts_share_their_colour_group(boilerplate_first):
    result = scan([boilerplate_first])
    [cluster] = result.clusters
    groups = passage_groups(cluster)
    links = 0
    for position, member in enumerate(cluster.members):
        for k, passage in enumerate(member.passages):
            for counterpart in passage.counterparts:
                for p in counterpart.passages:
                    assert cluster.members[counterpart.member].passages[p].status == "shared"
                    assert groups[(position, k)] == groups[(counterpart.member, p)]
                    links += 1
    assert links > 10


# -- 3. concurrent adds of the same ids --------------------------------------------------------


def _add_process(index, store, corpus):
    command = [sys.executable, "-m", "dedup", "index", "add", index, str(corpus), "-q", "-o", os.devnull,
               "--batch-size", "1"]
    if store:
        command += ["--store", store]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_3_two_processes_adding_the_same_ids_at_once(kind, tmp_path, request):
    store = request.getfixturevalue("redis_url") if kind == "redis" else None
    index_name = unique_name() if store else str(tmp_path / "shared.db")
    articles = list(generate(60, seed=13))
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(a.to_json() + "\n" for a in articles), encoding="utf-8")
    adders = [_add_process(index_name, store, corpus) for _ in range(2)]
    for adder in adders:
        _, err = adder.communicate(timeout=300)
        assert adder.returncode == 0, err.decode()
        assert b"Traceback" not in err
    with open_index(index_name, store) as index:
        assert index.stats()["articles"] == len(articles)
        assert index.check() == []


def test_3_verification_with_a_candidate_of_the_same_id_does_not_compare_arrays(tmp_path):
    docs = [Document("a", STORY), Document("b", STORY + " Une phrase de plus pour la version b.")]
    with open_index(str(tmp_path / "i.db")) as index:
        list(index.add(docs))
        item = index.prepare([docs[0]])[0]
        with index.store.reading() as transactions:
            txn = transactions.begin()
            stored = txn.articles(["a", "b"])
            edges = index._verify(txn, item, [stored["a"], stored["b"]])
    assert any({e.first, e.second} == {"a", "b"} for e in edges)


# -- 4. decompression bombs --------------------------------------------------------------------


def _gzip_of(*pieces: bytes, repeat: int = 64) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1) as archive:
        for piece in pieces:
            archive.write(piece)
            if piece.startswith(b"BOMB"):
                block = b"a" * (1 << 20)
                for _ in range(repeat):
                    archive.write(block)
    return out.getvalue()


def _peak_while(func):
    tracemalloc.start()
    try:
        value = func()
        return value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_4_bombs_are_reported_without_being_decompressed_and_the_run_goes_on(tmp_path):
    (tmp_path / "bomb.txt.gz").write_bytes(_gzip_of(b"BOMB"))
    (tmp_path / "bomb.jsonl.gz").write_bytes(
        _gzip_of(b'{"id": "before", "text": "avant"}\n', b'BOMB{"id": "x", "text": "', b'"}\n{"id": "after", "text": "apres"}\n'))
    (tmp_path / "bomb.csv.gz").write_bytes(
        _gzip_of(b'id,text\nbefore2,avant\nx,"', b"BOMB", b'"\nafter2,apres\n'))
    (tmp_path / "ok.txt").write_text("Un texte ordinaire.", encoding="utf-8")
    inputs = [tmp_path / n for n in ("bomb.txt.gz", "bomb.jsonl.gz", "bomb.csv.gz", "ok.txt")]
    (docs, problems), peak = _peak_while(lambda: read(inputs, max_chars=1000))
    assert [d.doc_id for d in docs] == ["before", "after", "before2", "after2", "ok.txt"]
    assert names(problems) == [("bomb.txt.gz", "too_large"), ("bomb.jsonl.gz:2", "too_large"),
                               ("bomb.csv.gz:3", "too_large")]
    assert "--max-chars" in problems[0].message and "lines 3-3" in problems[2].message
    assert peak < 16 << 20, f"reading 3 x 64 MB bombs took {peak >> 20} MB"


def test_4_decompression_is_one_table_by_suffix():
    from dedup.io import compression

    assert compression.codec_of("feed.JSONL.GZ") == ".gz" and compression.codec_of("feed.jsonl") is None
    assert compression.strip_compression("a.txt.gz") == "a.txt"


# -- 5. memory on two long near-copies -----------------------------------------------------------


def _long_pair(chars: int) -> list[str]:
    paragraphs = [p for a in generate(400, seed=3) for p in a.text.split("\n\n")]
    text, k = "", 0
    while len(text) < chars:
        # numbered, so that no two paragraphs of one text are the same (the diff scores
        # each distinct paragraph once, and the generated families repeat theirs)
        text += f"{paragraphs[k % len(paragraphs)]} Note {k}.\n\n"
        k += 1
    copy = "\n\n".join(p for n, p in enumerate(text.split("\n\n")) if n % 10 != 3)
    return [text, copy]


def test_5_passage_diff_memory_is_bounded_and_the_result_the_same(monkeypatch):
    texts = _long_pair(600_000)
    passages = [segment(t).passages for t in texts]
    monkeypatch.setattr(cosines, "COSINE_BLOCK", 1 << 40)  # one block: what the diff did before
    whole, whole_peak = _peak_while(lambda: diff.diff_cluster(texts, passages))
    monkeypatch.setattr(cosines, "COSINE_BLOCK", 1 << 14)
    blocks, block_peak = _peak_while(lambda: diff.diff_cluster(texts, passages))
    assert blocks == whole
    assert block_peak * 3 < whole_peak, (block_peak >> 20, whole_peak >> 20)


# -- 6. folders with links, FIFOs and unreadable subfolders --------------------------------------


def test_6_dangling_link_fifo_and_unreadable_subfolder_are_reported():
    with open_folder() as folder:
        (folder / "a.txt").write_text("Un texte lisible.", encoding="utf-8")
        (folder / "dangling.txt").symlink_to(folder / "nowhere.txt")
        os.mkfifo(folder / "pipe.txt")
        locked = folder / "locked"
        locked.mkdir()
        (locked / "hidden.txt").write_text("Caché.", encoding="utf-8")
        locked.chmod(0)
        docs, problems = run_unprivileged(lambda: read([folder]))
    assert [d.doc_id for d in docs] == ["a.txt"]
    messages = {p.location.rsplit("/", 1)[-1]: p.message for p in problems}
    assert messages["dangling.txt"] == "a symbolic link to nothing"
    assert messages["pipe.txt"].startswith("not a regular file (a FIFO)")
    assert messages["locked"].startswith("cannot read the folder: Permission denied")
    assert {p.kind for p in problems} == {"unreadable"}


def test_6_a_fifo_argument_does_not_block(tmp_path):
    fifo = tmp_path / "feed.jsonl"
    os.mkfifo(fifo)
    result = run_dedup("scan", str(fifo), timeout=60)
    assert result.returncode == 1
    assert "feed.jsonl: not a regular file (a FIFO); give - to read standard input" in result.stderr


# -- 7. UTF-16 and UTF-32 JSONL --------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-32-le"])
def test_7_jsonl_in_utf16_and_utf32(tmp_path, encoding):
    records = [{"id": "u1", "text": "Première ligne, 中文 et عربى."}, {"id": "u2", "text": "Deuxième 😀."}]
    path = tmp_path / "f.jsonl"
    path.write_bytes("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode(encoding))
    docs, problems = read([path], encoding=encoding)
    assert [(d.doc_id, d.text) for d in docs] == [(r["id"], r["text"]) for r in records] and problems == []


def test_7_a_badly_encoded_utf16_line_costs_only_itself(tmp_path):
    lines = ['{"id": "a", "text": "Un."}\n', '{"id": "b", "text": "X"}\n', '{"id": "c", "text": "Trois."}\n']
    raw = [line.encode("utf-16-le") for line in lines]
    raw[1] = raw[1].replace("X".encode("utf-16-le"), b"\x00\xd8")  # a lone high surrogate
    path = tmp_path / "f.jsonl"
    path.write_bytes(b"".join(raw))
    docs, problems = read([path], encoding="utf-16-le")
    assert [d.doc_id for d in docs] == ["a", "c"]
    assert names(problems) == [("f.jsonl:2", "encoding")] and "not valid utf-16-le" in problems[0].message


# -- 8. index commands on a mistyped path -------------------------------------------------------


@pytest.mark.parametrize("command", [["stats"], ["export"], ["prune", "--older-than", "7d"], ["query", "x.jsonl"]])
def test_8_index_commands_on_a_missing_path_create_nothing(runner, tmp_path, command):
    target = tmp_path / "typo.db"
    result = runner.invoke(main, ["index", command[0], str(target), *command[1:]])
    assert result.exit_code == 1 and "no index there yet" in result.stderr
    assert not target.exists()


# -- 9. a scan that reads nothing ------------------------------------------------------------------


def test_9_scan_of_a_missing_file_exits_1_naming_it(runner, tmp_path):
    result = runner.invoke(main, ["scan", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 1 and result.stdout == ""
    assert "nothing to scan: no document could be read; " in result.stderr
    assert "nope.jsonl: no such file or folder" in result.stderr
    (tmp_path / "empty.jsonl").write_text("", encoding="utf-8")
    result = runner.invoke(main, ["scan", str(tmp_path / "empty.jsonl"), "-q"])
    assert result.exit_code == 1 and "the inputs hold no documents" in result.stderr
    result = runner.invoke(main, ["index", "add", str(tmp_path / "new.db"), str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 1 and "nothing to add" in result.stderr and not (tmp_path / "new.db").exists()


# -- 10. broken CSV quoting ---------------------------------------------------------------------------


def test_10_an_unterminated_quote_is_reported_where_it_opened(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('id,text\n1,"Sentence one. Sentence two\n2,Another sentence\n3,"Third, with comma"\n4,Fourth\n',
                    encoding="utf-8")
    docs, problems = read([path])
    assert [(d.doc_id, d.text) for d in docs] == [("2", "Another sentence"), ("3", "Third, with comma"), ("4", "Fourth")]
    assert names(problems) == [("q.csv:2", "malformed")]
    assert "the quote opened at line 2 is never closed" in problems[0].message


def test_10_a_stray_quote_inside_a_quoted_field_turns_no_fragment_into_a_document(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('id,text\n1,"First paragraph.\nSecond with "quote" inside.\nThird, paragraph."\n2,"Next"\n3,Last\n',
                    encoding="utf-8")
    docs, problems = read([path])
    assert [d.doc_id for d in docs] == ["2", "3"]
    assert names(problems) == [("q.csv:2", "malformed")] and "lines 2-4" in problems[0].message


def test_10_well_formed_multiline_fields_are_read_as_before(tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text('id,text\r\n1,"Un, ""deux"".\r\nTrois."\r\n\r\n2,Quatre\r\n', encoding="utf-8")
    docs, problems = read([path])
    assert [(d.doc_id, d.text, d.location.rsplit("/", 1)[-1]) for d in docs] == [
        ("1", 'Un, "deux".\r\nTrois.', "ok.csv:2"), ("2", "Quatre", "ok.csv:5")]
    assert problems == []


# -- 11. ids of the wrong type ------------------------------------------------------------------------


def test_11_ids_are_strings_or_integers(tmp_path):
    path = write_jsonl(tmp_path / "ids.jsonl", [
        {"id": "s", "text": "x"}, {"id": 42, "text": "x"}, {"id": ["a", "b"], "text": "x"}, {"id": {"k": 1}, "text": "x"},
        {"id": 1.0, "text": "x"}, {"id": True, "text": "x"}, {"id": -7, "text": "x"},
    ])
    docs, problems = read([path])
    assert [d.doc_id for d in docs] == ["s", "42", "-7"]
    assert names(problems) == [(f"ids.jsonl:{n}", "malformed") for n in (3, 4, 5, 6)]
    assert [p.message.rsplit(" ", 1)[-1] for p in problems] == ["list", "dict", "float", "boolean"]


# -- 12. control characters on the terminal ------------------------------------------------------------


def test_12_the_text_report_and_stderr_escape_control_characters(runner, tmp_path):
    evil = "a\x1b]0;HACKED\x07\u202e"
    path = write_jsonl(tmp_path / "f.jsonl", [
        {"id": evil, "text": STORY + "\n\nCette version ajoute une phrase entière qui ne figure nulle part ailleurs "
         "\x1b[2J dans tout le corpus.", "source": "s\x9b31m"},
        {"id": "b", "text": STORY},
        {"id": evil, "text": "doublon"},
    ])
    result = runner.invoke(main, ["scan", str(path)])
    assert result.exit_code == 0, result.output
    for stream in (result.stdout, result.stderr):
        assert not any(c in stream for c in "\x1b\x07\x9b\u202e")
    assert "a\\x1b]0;HACKED\\x07\\u202e" in result.stdout and "\\x1b[2J" in result.stdout
    assert "duplicate id 'a\\x1b]0;HACKED\\x07\\u202e'" in result.stderr
    usage = runner.invoke(main, ["scan", "--format", "\x1b]0;X\x07", "x"])
    assert usage.exit_code == 2 and "\x1b" not in usage.stderr and "\\x1b]0;X\\x07" in usage.stderr


# -- 13. temporary spool folders ------------------------------------------------------------------------


def _spools(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("dedup-spool-"))


@pytest.fixture()
def private_tmp(tmp_path, monkeypatch):
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr("tempfile.tempdir", None)  # read TMPDIR again
    return folder


def test_13_spool_folders_are_private_and_removed_on_an_interrupt(private_tmp, seeds_dir):
    seen = []

    def progress(stage, done, total):
        seen.extend((p.name[:12], p.stat().st_mode & 0o777, (p / "owner").exists()) for p in private_tmp.iterdir())
        raise KeyboardInterrupt  # what Ctrl-C does, mid-run

    with pytest.raises(KeyboardInterrupt):
        scan([seeds_dir], progress=progress)
    assert seen == [("dedup-spool-", 0o700, True)] * 3  # texts, shingle sets, word sets
    assert _spools(private_tmp) == []


def test_13_folders_of_dead_processes_are_removed_and_others_kept(private_tmp):
    dead_pid = subprocess.Popen(["true"])
    dead_pid.wait()  # reaped: its pid names no process now
    for name, owner in (("dedup-spool-dead", f"{dead_pid.pid} 1 {os.uname().nodename}"),
                        ("dedup-spool-live", f"{os.getpid()} {spools.process_started(os.getpid())} {os.uname().nodename}"),
                        ("dedup-spool-other", f"{dead_pid.pid} 1 another-machine"),
                        ("dedup-spool-new", None)):
        (private_tmp / name).mkdir()
        if owner:
            (private_tmp / name / "owner").write_text(owner, encoding="utf-8")
    removed = spools.remove_abandoned_spools()
    assert [Path(p).name for p in removed] == ["dedup-spool-dead"]
    assert _spools(private_tmp) == ["dedup-spool-live", "dedup-spool-new", "dedup-spool-other"]


@pytest.fixture(scope="module")
def mid_size_corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "corpus.jsonl"
    path.write_text("".join(a.to_json() + "\n" for a in generate(6000, seed=5)), encoding="utf-8")
    return path


def _started_scan(corpus: Path, tmp: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp)}
    process = subprocess.Popen([sys.executable, "-m", "dedup", "scan", str(corpus), "-f", "json", "-o", os.devnull,
                                *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(_spools(tmp)) < 2:  # mid-run: both spools made, texts being written
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    assert process.poll() is None, "the scan finished before it could be stopped"
    return process


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_13_a_scan_stopped_by_sigterm_leaves_no_spool(mid_size_corpus, tmp_path, jobs):
    process = _started_scan(mid_size_corpus, tmp_path, "--jobs", jobs)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 1 and "stopped: SIGTERM received" in err and "Traceback" not in err
    assert _spools(tmp_path) == []


def test_13_spools_of_a_sigkilled_scan_are_removed_by_the_next_run(mid_size_corpus, tmp_path, seeds_dir):
    process = _started_scan(mid_size_corpus, tmp_path)
    process.kill()
    process.communicate(timeout=60)
    assert len(_spools(tmp_path)) == 3
    result = run_dedup("scan", str(seeds_dir), "-q", env={"TMPDIR": str(tmp_path)})
    assert result.returncode == 0 and _spools(tmp_path) == []


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_13_a_full_disk_is_a_clear_error_and_leaves_no_spool_nor_report(mid_size_corpus, tmp_path, jobs):
    # a file size limit makes every write past it fail as a full disk does (Python ignores SIGXFSZ)
    import resource

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, resource.RLIM_INFINITY))

    spools, report = tmp_path / "tmp", tmp_path / "report.json"
    spools.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(spools)}
    done = subprocess.run([sys.executable, "-m", "dedup", "scan", str(mid_size_corpus), "-f", "json", "-o",
                           str(report), "--jobs", jobs], cwd=ROOT, env=env, capture_output=True, text=True,
                          preexec_fn=limited, timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"cannot write the run's temporary files in {spools}: File too large" in done.stderr
    assert _spools(spools) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["tmp"]


def test_13_a_full_disk_stops_index_add_with_the_committed_batches_kept(mid_size_corpus, tmp_path):
    import resource

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4 << 20, resource.RLIM_INFINITY))

    index, lines = tmp_path / "stories.db", tmp_path / "lines.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "dedup", "index", "add", str(index), str(mid_size_corpus),
                           "--batch-size", "200", "-o", str(lines), "-q"], cwd=ROOT, env=env, capture_output=True,
                          text=True, preexec_fn=limited, timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"{index}: cannot write the index" in done.stderr and "the ones before it are kept" in done.stderr
    taken = [json.loads(line)["id"] for line in lines.read_text(encoding="utf-8").splitlines()]
    assert 0 < len(taken) < 6000 and len(taken) % 200 == 0  # whole batches, each line committed
    with open_index(str(index)) as story_index:
        assert story_index.stats()["articles"] == len(taken)
        assert story_index.check() == []


# -- 14. verification memory with character shingles ------------------------------------------------------


def _char_batch(count: int):
    texts = [a.text[:1500] for a in generate(count, seed=9)]
    config = FingerprintConfig(shingle=ShingleConfig("char", 5))
    prints = fingerprint(texts, config)
    pairs = np.array([(i, j) for i in range(count) for j in range(i + 1, count)], dtype=np.int64)

    def units_for(rows):
        unit_row = np.full(count, -1, dtype=np.int64)
        unit_row[rows] = np.arange(len(rows))
        return verify.build_unit_sets([texts[r] for r in rows.tolist()], config), unit_row

    return lambda budget, products=False: verify.score_pair_batch(
        pairs, prints.shingles, prints.offsets, prints.signatures, units_for, verify.MatchConfig(),
        lookup_budget=budget, products=products,
    )


def test_14_verification_looks_shingles_up_in_bounded_chunks(monkeypatch):
    from dedup.match import overlap

    run = _char_batch(60)
    run(1 << 15, products=None)  # imports what the products use, which a first call would count
    run(1 << 40)  # loads the compiled look-ups
    compiled, compiled_peak = _peak_while(lambda: run(1 << 40))  # one chunk, looked up by the kernels
    monkeypatch.setattr(overlap, "KERNEL_LOOKUPS", 1 << 62)  # look-ups by numpy, a chunk at a time
    monkeypatch.setattr(overlap, "LOADED_KERNEL_LOOKUPS", 1 << 62)
    whole, whole_peak = _peak_while(lambda: run(1 << 40))  # one chunk: what verification did before
    chunked, chunk_peak = _peak_while(lambda: run(1 << 15))
    # every pair of the batch: dense enough that, left to choose, verification multiplies
    multiplied, product_peak = _peak_while(lambda: run(1 << 15, products=None))
    for name in ("pairs", "values", "counts", "same_story"):
        assert np.array_equal(getattr(whole, name), getattr(chunked, name))
        assert np.array_equal(getattr(whole, name), getattr(multiplied, name))
        assert np.array_equal(getattr(whole, name), getattr(compiled, name))
    assert chunk_peak * 4 < whole_peak, (chunk_peak >> 20, whole_peak >> 20)
    assert product_peak * 4 < whole_peak, (product_peak >> 20, whole_peak >> 20)
    # the kernels hold no look-up per shingle: a whole batch costs them what a chunk costs numpy
    assert compiled_peak < 2 * chunk_peak, (compiled_peak >> 20, chunk_peak >> 20)


def test_14_verification_batches_are_bounded_by_the_shingles_of_their_documents():
    pairs = np.array([(0, 1), (0, 2), (1, 2), (3, 4), (5, 6)], dtype=np.int64)
    sizes = np.array([900, 900, 900, 10, 10, 10, 10])
    by_count = list(packing.pair_batches(pairs, 2_000, True, max_cost=batches.VERIFY_SHINGLES))
    by_shingles = list(packing.pair_batches(pairs, 2_000, True, sizes, max_cost=1_000))
    assert len(by_count) == 1
    assert [b.tolist() for _, b in by_shingles] == [[[0, 1]], [[0, 2]], [[1, 2]], [[3, 4], [5, 6]]]
    assert sorted(tuple(p) for _, b in by_shingles for p in b.tolist()) == sorted(map(tuple, pairs.tolist()))


# -- 15. the small ones --------------------------------------------------------------------------------------


def test_15_quiet_silences_the_oversized_bucket_warning(runner, tmp_path):
    # each page pads the story with three times its length of its own: no near-copies to pair
    pages = [STORY + " " + " ".join(f"mot{k}x{i}" for i in range(150)) for k in range(3)]
    path = write_jsonl(tmp_path / "f.jsonl", [{"id": f"d{k}", "text": text} for k, text in enumerate(pages)])
    loud = runner.invoke(main, ["scan", str(path), "--max-bucket", "2"])
    assert loud.exit_code == 0 and "LSH buckets held more than 2 documents (3 documents in all)" in loud.stderr
    quiet = runner.invoke(main, ["scan", str(path), "--max-bucket", "2", "-q"])
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_15_near_copies_over_max_core_are_named_in_a_warning_and_counted(runner, tmp_path):
    path = write_jsonl(tmp_path / "f.jsonl", [{"id": f"d{k}", "text": STORY} for k in range(12)])
    out = tmp_path / "r.json"
    result = runner.invoke(main, ["scan", str(path), "--max-bucket", "5", "--max-core", "10", "--format", "json", "-o", str(out)])
    assert result.exit_code == 0
    assert "12 documents are near-copies of one text, more than --max-core (10)" in result.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["summary"]["near_copies_over_max_core"] == 12 and report["summary"]["clusters"] == 0
    assert report["parameters"]["lsh"]["max_core"] == 10
    paired = runner.invoke(main, ["scan", str(path), "--max-bucket", "5", "--format", "json", "-o", str(out)])
    assert paired.exit_code == 0 and "near-copies" not in paired.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["summary"]["clusters"] == 1


def test_15_progress_shows_no_rate_on_a_stage_first_line_and_messages_start_a_new_line(capsys):
    progress = StderrProgress(True, interval=0.0, min_items=1)
    progress("verify", 2_000, 450_000)
    first = capsys.readouterr().err
    assert first.startswith("\rverify: 2,000/450,000 pairs") and "/s" not in first
    time.sleep(0.05)
    progress("verify", 4_000, 450_000)
    rate = float(capsys.readouterr().err.split(", ")[1].split()[0].replace(",", ""))
    assert 0 < rate < 1_000_000
    say("WARNING something")
    assert capsys.readouterr().err == "\nWARNING something\n"


def test_15_compare_names_the_missing_file(runner, tmp_path, seeds_dir):
    result = runner.invoke(main, ["compare", str(tmp_path / "nope.txt"), str(seeds_dir / SEED_TRIM)])
    assert result.exit_code == 1 and "nope.txt: no such file or folder" in result.stderr


def test_15_counts_are_singular_for_one(runner, seeds_dir, tmp_path):
    result = runner.invoke(main, ["scan", str(seeds_dir)])
    assert "3 documents, 1 cluster, 0 singletons" in result.stderr
    path = write_jsonl(tmp_path / "f.jsonl", [{"id": "a", "text": STORY}])
    with path.open("a", encoding="utf-8") as out:
        out.write("{broken\n")
    result = runner.invoke(main, ["index", "add", str(tmp_path / "i.db"), str(path)])
    assert "skipped 1 record:" in result.stderr
    assert "added 1 article; the index holds 1 article in 1 story" in result.stderr


def test_15_index_add_shows_progress(runner, tmp_path, monkeypatch):
    monkeypatch.setattr(index_cli, "ADD_PROGRESS_FROM", 3)
    path = write_jsonl(tmp_path / "f.jsonl", [{"id": f"d{k}", "text": f"{STORY} {k}"} for k in range(5)])
    result = runner.invoke(main, ["index", "add", str(tmp_path / "i.db"), str(path)])
    assert result.exit_code == 0 and "\radd: 5 docs" in result.stderr


def test_15_two_folders_with_files_of_the_same_name(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for folder in ("fa", "fb"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "story.txt").write_text(STORY, encoding="utf-8")
    result = runner.invoke(main, ["scan", "fa/", "fb/", "-f", "json", "-q"])
    report = json.loads(result.stdout)
    assert report["skipped"] == []
    assert [m["doc_id"] for m in report["clusters"][0]["members"]] == ["fa/story.txt", "fb/story.txt"]
    alone = json.loads(runner.invoke(main, ["scan", "fa/", "-f", "json", "-q"]).stdout)
    assert alone["summary"]["documents"] == 1 and alone["skipped"] == []


def _hue_distance_from_unique(hue: float) -> float:
    """Degrees around the colour wheel between ``hue`` and the hue of the unique-passage colours."""
    unique_hue = colorsys.rgb_to_hls(0xFD / 255, 0xEC / 255, 0xEA / 255)[0] * 360  # #fdecea, about 6 degrees
    gap = abs(hue - unique_hue) % 360
    return min(gap, 360 - gap)


def test_15_shared_passage_colours_stay_away_from_the_unique_colour():
    hues = [shared_hue(group) for group in range(2_000)]
    assert all(45 <= h <= 290 for h in hues)
    assert min(_hue_distance_from_unique(h) for h in hues) > 35
    old = [(group * 137.508) % 360 for group in range(2_000)]
    assert min(_hue_distance_from_unique(h) for h in old) < 5  # the old palette came that close


def test_15_scan_config_default_max_chars_is_what_the_readers_use():
    assert ScanConfig().read.max_chars == 2_000_000
