"""Fuzzing the readers in-process: every good record read, every bad one reported at its line.

Generated files go through :class:`dedup.io.InputReader` exactly as a scan reads them.
Properties: no exception escapes; the documents read are exactly the good records, in
order, with their ids; each bad record is reported once, with its file and line and the
kind of problem it is; random bytes, any compression, broken quoting and deep nesting
give problems that name their file, never a traceback; no document read ever holds a
lone surrogate or more than ``max_chars`` characters.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from dedup.io import InputReader, ReadOptions
from dedup.io.records import first_surrogate
from tests.fuzz.counting import count_case
from tests.fuzz.strategies import (
    MAX_CHARS,
    Case,
    broken_csv,
    compress,
    compressions,
    csv_case,
    fuzz_settings,
    good_text,
    ids,
    jsonl_case,
)


# Lines where orjson and the standard library's parser part ways: integers beyond 64 bits
# (a float for orjson) in the fields dedup reads and in others, a byte order mark, NaN,
# infinities, bad bytes, lone and paired surrogates, raw control characters, repeated keys.
JSONL_EDGES = [
    b'{"id": 123456789012345678901234567890, "text": "big id"}',
    b'{"id": 18446744073709551616, "text": "one past u64"}', b'{"id": -9223372036854775809, "text": "below i64"}',
    b'{"id": 18446744073709551615, "text": "u64 max"}', b'{"id": "p", "text": "t", "published": 1e400}',
    b'{"id": "t", "text": "t", "title": 99999999999999999999999}', b'{"id": "f", "text": "t", "title": 1.5}',
    b'{"id": "m", "text": "t", "meta": 99999999999999999999999}', b'\xef\xbb\xbf{"id": "bom", "text": "t"}',
    b'{"id": "nan", "text": "t", "title": NaN}', b'{"id": "x", "text": "caf\xe9"}', b'{"id": "s", "text": "\\ud800"}',
    b'{"id": "pair", "text": "\\ud83d\\ude00"}', b'{"id": "c", "text": "a\x01b"}', b'{"id": "k", "text": "a", "text": "b"}',
    b'{"id": "z", "text": "\\u0000 nul"}', b'{"id": "w", "text": "t"}  \r', b'{"id": "e", "text": "t"} extra',
]

FOLDER = Path(tempfile.mkdtemp(prefix="dedup-fuzz-"))  # one folder for the module's files
atexit.register(shutil.rmtree, FOLDER, True)


def read_case(case: Case, suffix: str = "", data: bytes | None = None, **options):
    path = FOLDER / (case.name + suffix)
    path.write_bytes(case.data if data is None else data)
    reader = InputReader(ReadOptions(max_chars=MAX_CHARS, **options))
    docs = list(reader.read([path]))
    return docs, reader.problems, str(path)


def check_sound(docs, problems, path: str) -> None:
    """What holds for any input: documents are valid text within the limit; problems name the file."""
    for doc in docs:
        assert doc.doc_id and doc.text.strip() and len(doc.text) <= MAX_CHARS
        assert first_surrogate(doc.doc_id + doc.text + (doc.title or "")) is None
        assert doc.location == path or doc.location.startswith(path + ":")
    for problem in problems:
        assert problem.location == path or problem.location.startswith(path + ":"), problem
        assert problem.message


def check_exact(case: Case, docs, problems, path: str) -> None:
    """Every good record read, in order, and every bad one reported at its line as its kind."""
    check_sound(docs, problems, path)
    assert [(d.location, d.doc_id) for d in docs] == [(f"{path}:{n}", i) for n, i in sorted(case.good.items())]
    assert sorted((p.location, p.kind) for p in problems) == sorted(
        (f"{path}:{n}", kind) for n, kind in case.bad.items()
    )


@fuzz_settings(300)
@given(case=jsonl_case(), packing=compressions.filter(lambda c: not c[0].startswith("truncated")))
def test_jsonl_good_records_read_and_bad_ones_reported(case, packing):
    count_case("readers")
    suffix, data = compress(case.data, *packing)
    check_exact(case, *read_case(case, suffix, data))


def read_both_ways(path: Path, **options):
    """What the reader makes of ``path`` with orjson parsing the UTF-8 lines it can, then with
    the standard library's parser for every line: documents and problems, all they hold."""
    from unittest import mock

    from dedup.io import jsonl

    def read() -> tuple[list, list]:
        reader = InputReader(ReadOptions(max_chars=MAX_CHARS, **options))
        return [vars(doc) for doc in reader.read([path])], list(reader.problems)

    quick = read()
    with mock.patch.object(jsonl, "orjson", None):
        return quick, read()


@fuzz_settings(200)
@given(case=jsonl_case(), extra=st.lists(st.sampled_from(JSONL_EDGES), max_size=4))
def test_orjson_reads_every_jsonl_line_as_the_standard_parser_does(case, extra):
    count_case("readers")
    path = FOLDER / "both.jsonl"
    path.write_bytes(case.data + b"\n".join(extra))
    quick, general = read_both_ways(path)
    assert quick == general


@fuzz_settings(200)
@given(case=csv_case(), packing=compressions.filter(lambda c: not c[0].startswith("truncated")))
def test_csv_good_rows_read_and_bad_ones_reported(case, packing):
    count_case("readers")
    suffix, data = compress(case.data, *packing)
    check_exact(case, *read_case(case, suffix, data))


@fuzz_settings(150)
@given(data=broken_csv())
def test_broken_csv_quoting_is_reported_never_raised(data):
    count_case("readers")
    docs, problems, path = read_case(Case("broken.csv", data))
    check_sound(docs, problems, path)
    text = data.decode("utf-8")
    for doc in docs:  # nothing read comes from outside the file's own fields
        assert doc.doc_id in text and doc.text.replace('"', "") in text.replace('"', "")


@fuzz_settings(300)
@given(data=st.binary(max_size=600), name=st.sampled_from(["f.txt", "f.jsonl", "f.csv", "f.tsv", "f.md"]),
       packing=compressions, encoding=st.sampled_from(["utf-8", "utf-16", "latin-1", "utf-32-le", "gb18030"]))
def test_random_bytes_in_any_format_compression_and_encoding(data, name, packing, encoding):
    count_case("readers")
    suffix, stored = compress(data, *packing)
    docs, problems, path = read_case(Case(name, data), suffix, stored, encoding=encoding)
    check_sound(docs, problems, path)
    if packing[0].startswith("truncated"):
        assert any("cannot read" in p.message for p in problems), problems


@fuzz_settings(150)
@given(case=jsonl_case(), cut=st.floats(0.05, 0.95), codec=st.sampled_from(["gzip", "bz2", "xz"]))
def test_a_truncated_archive_keeps_the_records_before_the_cut(case, cut, codec):
    count_case("readers")
    suffix, data = compress(case.data, "truncated-" + codec, cut)
    docs, problems, path = read_case(case, suffix, data)
    check_sound(docs, problems, path)
    good = [(f"{path}:{n}", i) for n, i in sorted(case.good.items())]
    assert [(d.location, d.doc_id) for d in docs] == good[: len(docs)]  # a prefix of the good records
    assert any("cannot read" in p.message for p in problems), problems


@fuzz_settings(150)
@given(records=st.lists(st.tuples(ids, good_text), min_size=1, max_size=6, unique_by=lambda r: r[0]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"]),
       ending=st.sampled_from(["\n", "\r\n"]))
def test_any_unicode_text_survives_every_unicode_encoding(records, encoding, ending):
    count_case("readers")
    lines = [json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in records]
    case = Case("u.jsonl", ending.join(lines).encode(encoding))
    docs, problems, path = read_case(case, encoding=encoding)
    check_sound(docs, problems, path)
    assert [(d.doc_id, d.text) for d in docs] == [(i, t) for i, t in records] and problems == []


@fuzz_settings(100)
@given(depth=st.integers(1, 150_000), shape=st.sampled_from(["array", "object", "field"]))
def test_deeply_nested_json_is_a_malformed_record(depth, shape):
    count_case("readers")
    nested = {"array": "[" * depth + "]" * depth, "object": '{"a":' * depth + "1" + "}" * depth,
              "field": '{"id": "x", "text": "t", "m": ' + "[" * depth + "]" * depth + "}"}[shape]
    docs, problems, path = read_case(Case("deep.jsonl", (nested + '\n{"id": "ok", "text": "fin"}\n').encode()))
    check_sound(docs, problems, path)
    try:  # what the line is, as far as Python's own parser can tell
        json.loads(nested)
        expected = {"array": "malformed", "object": "missing_field", "field": None}[shape]
    except RecursionError:
        expected = "malformed"
    assert [d.doc_id for d in docs] == (["x", "ok"] if expected is None else ["ok"])
    assert [(p.location, p.kind) for p in problems] == ([] if expected is None else [(f"{path}:1", expected)])
