import gzip
import io
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.errors import InputError
from dedup.io import FieldMap, InputReader, ReadOptions
from dedup.io.records import first_surrogate
from tests.conftest import write_jsonl
from tests.unprivileged import open_folder, run_unprivileged


def read(inputs, **options):
    reader = InputReader(ReadOptions(**options))
    docs = list(reader.read(inputs))
    return docs, reader.problems


def test_folder_is_read_recursively_with_relative_ids(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_text("Un texte.", encoding="utf-8")
    (tmp_path / "two.txt").write_text("Deux.", encoding="utf-8")
    (tmp_path / "three.txt.gz").write_bytes(gzip.compress("Trois.".encode()))
    (tmp_path / "ignored.bin").write_bytes(b"\x00\x01")
    docs, problems = read([tmp_path])
    assert [d.doc_id for d in docs] == ["a/one.txt", "three.txt", "two.txt"]
    assert docs[1].text == "Trois." and problems == []


def test_jsonl_with_optional_fields_and_gzip(tmp_path):
    records = [{"id": 1, "text": "Bonjour.", "title": "T", "source": "afp", "url": "u", "published": "2024-04-03"}]
    path = write_jsonl(tmp_path / "feed.jsonl", records)
    gz = tmp_path / "feed2.jsonl.gz"
    gz.write_bytes(gzip.compress(b'{"id": "x", "text": "Salut."}\n'))
    docs, problems = read([path, gz])
    assert [(d.doc_id, d.source, d.published) for d in docs] == [("1", "afp", "2024-04-03"), ("x", None, None)]
    assert docs[0].location == f"{path}:1"


def test_field_names_can_be_remapped(tmp_path):
    path = write_jsonl(tmp_path / "f.jsonl", [{"guid": "g1", "body": "Corps."}])
    docs, _ = read([path], fields=FieldMap(id="guid", text="body"))
    assert docs[0].doc_id == "g1" and docs[0].text == "Corps."


def test_csv_with_header_and_bad_rows(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text('id,text,source\n1,"Un, deux.",afp\n2,"trop",de,colonnes\n3,Trois.,x\n', encoding="utf-8")
    docs, problems = read([path])
    assert [d.doc_id for d in docs] == ["1", "3"]
    assert docs[0].text == "Un, deux."
    assert [(p.location, p.kind) for p in problems] == [(f"{path}:3", "malformed")]


def test_stdin_jsonl(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"id": "s", "text": "Depuis stdin."}\n')))
    docs, _ = read(["-"])
    assert docs[0].doc_id == "s" and docs[0].location == "<stdin>:1"


def test_every_bad_record_is_reported_and_nothing_else_is_lost(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(
        b'{"id": "ok1", "text": "Premier."}\n'
        b'{"id": "broken", "text": \n'
        b'[1, 2]\n'
        b'{"text": "sans id"}\n'
        b'{"id": "empty", "text": "   "}\n'
        b'{"id": "ok1", "text": "doublon"}\n'
        b'{"id": "latin", "text": "caf\xe9"}\n'
        b'{"id": "big", "text": "' + b"x" * 50 + b'"}\n'
        b'{"id": "ok2", "text": "Second."}\n'
    )
    (tmp_path / "latin1.txt").write_bytes("café".encode("latin-1"))
    docs, problems = read([path, tmp_path / "latin1.txt", tmp_path / "missing.txt"], max_chars=40)
    assert [d.doc_id for d in docs] == ["ok1", "ok2"]
    kinds = [(p.location.rsplit("/", 1)[-1], p.kind) for p in problems]
    assert kinds == [
        ("bad.jsonl:2", "malformed"),
        ("bad.jsonl:3", "malformed"),
        ("bad.jsonl:4", "missing_field"),
        ("bad.jsonl:5", "empty"),
        ("bad.jsonl:6", "duplicate_id"),
        ("bad.jsonl:7", "encoding"),
        ("bad.jsonl:8", "too_large"),
        ("latin1.txt", "encoding"),
        ("missing.txt", "unreadable"),
    ]
    assert "first seen at" in problems[4].message and "bad.jsonl:1" in problems[4].message


def test_deeply_nested_json_line_is_malformed_not_a_crash(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_bytes(
        b'{"id": "a", "text": "Premier."}\n' + b"[" * 200_000 + b"\n" + b'{"id": "b", "text": "\xef\xbb\xbfSecond."}\n'
    )
    docs, problems = read([path])
    assert [d.doc_id for d in docs] == ["a", "b"]
    assert [(p.location.rsplit("/", 1)[-1], p.kind) for p in problems] == [("deep.jsonl:2", "malformed")]
    assert "nested too deeply" in problems[0].message


@pytest.mark.parametrize("options", [{}, {"fields": FieldMap(id="meta.key", title="meta.head")}])
def test_integers_beyond_64_bits_read_as_integers(tmp_path, options):
    """orjson parses the lines it can, but reads an integer past 64 bits as a float: where a
    field dedup reads holds a float, the line is parsed again by the standard library."""
    path = tmp_path / "ints.jsonl"
    path.write_bytes(
        b'{"id": 123456789012345678901234567890, "text": "Un.", "title": 99999999999999999999999, '
        b'"meta": {"key": 18446744073709551616, "head": 2.5}}\n'
    )
    docs, problems = read([path], **options)
    assert problems == []
    if options:
        assert [(d.doc_id, d.title) for d in docs] == [("18446744073709551616", "2.5")]
    else:
        assert [(d.doc_id, d.title) for d in docs] == [("123456789012345678901234567890", "99999999999999999999999")]


def test_byte_order_marks_are_dropped_and_bad_bytes_located(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"id": "a", "text": "Premier."}\n\xef\xbb\xbf{"id": "b", "text": "caf\xe9"}\n')
    docs, problems = read([path])
    assert [d.doc_id for d in docs] == ["a"]
    assert problems[0].location.endswith("bom.jsonl:2") and "at byte 24" in problems[0].message  # as the utf-8-sig codec counts: after the mark


def test_other_encodings_can_be_chosen(tmp_path):
    (tmp_path / "latin1.txt").write_bytes("Un café noir.".encode("latin-1"))
    docs, problems = read([tmp_path / "latin1.txt"], encoding="latin-1")
    assert docs[0].text == "Un café noir." and problems == []


def test_fail_mode_stops_at_the_first_problem(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "text": "x"}\nnot json\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.jsonl:2: malformed JSON"):
        read([path], on_error="fail")


def test_unreadable_file_is_reported_and_the_rest_is_read():
    with open_folder() as folder:
        secret = folder / "secret.txt"
        secret.write_text("x", encoding="utf-8")
        secret.chmod(0)
        (folder / "fine.txt").write_text("Lisible.", encoding="utf-8")
        docs, problems = run_unprivileged(lambda: read([folder]))
    assert [d.doc_id for d in docs] == ["fine.txt"]
    assert problems[0].kind == "unreadable" and "Permission denied" in problems[0].message


def test_corrupt_gzip_is_reported(tmp_path):
    path = tmp_path / "feed.jsonl.gz"
    path.write_bytes(b"not gzip at all")
    docs, problems = read([path])
    assert docs == [] and problems[0].kind == "unreadable"


@pytest.mark.parametrize(
    "name, content",
    [
        ("feed.jsonl", b'{"id": "a", "text": "Un."}\nnot json\n{"id": "a", "text": "Deux."}\n{"id": "b", "text": ""}\n'),
        ("feed.jsonl.gz", gzip.compress(b'{"id": "c", "text": "Trois.", "source": "afp"}\n')),
        ("rows.tsv", "id\ttext\nd\tQuatre.\ne\n".encode()),
        ("note.txt.gz", gzip.compress("Cinq.".encode())),
        ("broken.txt.gz", b"not gzip at all"),
        ("latin.txt", "Café".encode("latin-1")),
    ],
)
def test_a_copy_of_a_file_reads_as_the_file(tmp_path, name, content):
    """read_file on a copy, named by the original's location (as the Spark scan reads the
    files it fetched), gives the documents and problems of the original."""
    original = tmp_path / "in" / name
    original.parent.mkdir()
    original.write_bytes(content)
    copy = tmp_path / "copy" / name
    copy.parent.mkdir()
    copy.write_bytes(content)
    expected_docs, expected_problems = read([original])
    reader = InputReader(ReadOptions())
    docs = list(reader.read_file(copy, name, location=str(original)))
    assert docs == expected_docs and reader.problems == expected_problems


@given(st.text(alphabet=st.one_of(st.characters(), st.integers(0xD800, 0xDFFF).map(chr)), max_size=40))
@settings(max_examples=300, deadline=None)
def test_first_surrogate_is_the_first_code_point_in_the_surrogate_range(text):
    expected = next((k for k, char in enumerate(text) if 0xD800 <= ord(char) <= 0xDFFF), None)
    assert first_surrogate(text) == expected
    assert first_surrogate("é" + text) == (None if expected is None else expected + 1)  # not ASCII
