"""The fast JSON encoder writes exactly what the standard library writes."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.corpus import generate
from dedup.document import Document
from dedup.pipeline import scan, scan_documents
from dedup.report import encode, to_json_dict
from dedup.report.encode import dumps, dumps_utf8, dumps_utf8_nested, joined, lines_utf8, utf8_pieces

needs_orjson = pytest.mark.skipif(not encode._ORJSON_AGREES, reason="orjson is not installed, or writes otherwise")


def stdlib(value: object, indent: bool = True) -> str:
    if indent:
        return json.dumps(value, ensure_ascii=False, indent=2)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def assert_same(value: object) -> None:
    for indent in (True, False):
        expected = stdlib(value, indent)
        assert dumps(value, indent=indent) == expected
        # inside another value, and as the UTF-8 bytes a worker sends back
        nested = expected.replace("\n", "\n    ")
        assert dumps(value, indent=indent, nested=4) == nested
        try:
            utf8 = nested.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: no UTF-8 holds it, and no report file
            with pytest.raises(UnicodeEncodeError):
                dumps_utf8(value, indent=indent, nested=4)
        else:
            assert dumps_utf8(value, indent=indent, nested=4) == utf8
    # a worker's record: orjson's text of the value inside lists, viewed between their brackets
    for nested in (2, 3, 4, 6):
        expected = stdlib(value, True).replace("\n", "\n" + " " * nested)
        try:
            utf8 = expected.encode("utf-8")
        except UnicodeEncodeError:
            with pytest.raises(UnicodeEncodeError):
                dumps_utf8_nested(value, nested)
        else:
            assert bytes(dumps_utf8_nested(value, nested)) == utf8


@needs_orjson
def test_seed_report_is_written_by_orjson_and_identical(seeds_dir):
    report = to_json_dict(scan([seeds_dir]))
    assert encode.plain(report)  # so orjson, not the fallback, wrote it
    assert_same(report)


@needs_orjson
def test_generated_corpus_report_is_identical():
    docs = [Document(a.doc_id, a.text, source=a.source, published=a.published) for a in generate(400, seed=3)]
    report = to_json_dict(scan_documents(docs))
    assert len(report["clusters"]) > 20 and report["outlets"] is not None
    assert encode.plain(report)
    assert_same(report)


@pytest.mark.parametrize(
    "value",
    [
        1e-05, 1e-4, 9.99e-05, 1e16, 1e15, 9999999999999998.0, 1.5e300, 5e-324, -0.0, 0.0, -1e-7,
        float("nan"), float("inf"), -float("inf"), [0.5, float("nan")], {"a": {"b": [1e-9]}},
        2**64, -(2**63) - 1, 2**63 - 1, {1: "int key"}, {None: 1, True: 2, 1.5: 3},
        "\ud800 lone surrogate", "\x00\x01\x1f\x7f\b\f\n\r\t\"\\/", "\u2028\u2029", "مرحبا بالعالم 😀 עברית \u200f",
        [], {}, [[]], [{}], {"a": [], "b": {}}, (1, (2, 3)), True, False, None, "", 0, -1,
    ],
    ids=repr,
)
def test_values_where_the_encoders_may_differ(value):
    assert_same(value)


def test_types_the_standard_library_refuses_are_refused():
    import dataclasses

    @dataclasses.dataclass
    class Point:
        x: int

    for value in (Point(1), {"p": Point(1)}, {1, 2}, b"bytes"):
        with pytest.raises(TypeError):
            dumps(value)


def test_float_subclasses_and_numpy_scalars_are_written_as_the_standard_library_does():
    import numpy as np

    class Score(float):
        pass

    assert_same({"a": Score(0.25), "b": Score(float("nan")), "c": np.float64(1e-5), "d": np.float64(0.5)})
    assert not encode.plain({"c": np.float64(0.5)})


def test_orjson_boundary_check_finds_the_floats_it_spells_otherwise():
    assert encode.plain([0.0, 1e-4, 0.5, 9999999999999998.0])
    for value in (1e-05, 1e16, float("nan"), float("inf"), math.nextafter(1e-4, 0.0)):
        assert not encode.plain({"x": [value]})


report_floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=0.0, max_value=1.0).map(lambda x: round(x, 4)),
    st.floats(min_value=-1e20, max_value=1e20),
    st.sampled_from([1e-5, 1e-4, 0.0001, 1e16, 1e15, 0.1, 1 / 3]),
)
report_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),  # any character that can be written, controls included
        st.sampled_from("\x00\x1f\x7f\n\t\"\\/«»’ שלום مرحبا 😀👍🏽\u200f\u2028"),
    ),
    max_size=40,
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), report_floats, report_text)
values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(report_text, children, max_size=5)),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(values)
def test_any_report_like_value_is_written_identically(value):
    assert_same(value)


@settings(max_examples=200, deadline=None)
@given(st.lists(values, max_size=6))
def test_many_values_are_written_as_lines_as_each_alone(many):
    expected = "".join(stdlib(value, indent=False) + "\n" for value in many)
    try:
        utf8 = expected.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 holds it
        with pytest.raises(UnicodeEncodeError):
            lines_utf8(many)
    else:
        assert lines_utf8(many) == utf8


def test_lines_of_values_one_of_which_orjson_spells_otherwise():
    many = [{"score": 0.5}, {"score": 1e-05}, {"ids": ["a", "é"]}, {"n": float("nan")}]
    assert lines_utf8(many) == "".join(stdlib(value, indent=False) + "\n" for value in many).encode("utf-8")
    assert lines_utf8([]) == b""


def test_report_pieces_join_as_text_and_as_utf8():
    pieces = ["{\n  \"a\": ", memoryview("«é» 😀".encode()), ",\n  \"b\": 1\n}\n"]
    text = joined(pieces)
    assert text == '{\n  "a": «é» 😀,\n  "b": 1\n}\n'
    assert b"".join(utf8_pieces(pieces)) == text.encode("utf-8")
    with pytest.raises(UnicodeEncodeError):  # as a text file in UTF-8 refuses it
        list(utf8_pieces(["\ud800"]))


def _as_dicts(value: object) -> object:
    """``value`` with every :class:`~dedup.report.encode.Plain` record a plain dict (walked by plain())."""
    if isinstance(value, dict):
        return {key: _as_dicts(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_dicts(item) for item in value]
    return value


def _plain_records(value: object) -> list[encode.Plain]:
    if type(value) is encode.Plain:
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return [record for item in items for record in _plain_records(item)]


@needs_orjson
@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=6, max_size=6), st.text(), st.booleans(),
       st.integers(min_value=0, max_value=10**7))
def test_pair_records_hold_only_what_plain_finds_plain(scores, name, same, count):
    # a Plain record is taken as plain unwalked: its maker must put nothing else in it
    from dedup.match.verify import PairScore
    from dedup.report.elements import pair_record

    class View:
        documents = [Document(name, ""), Document(name + "\u00e9", "")]

    record = pair_record(View(), PairScore(0, 1, *scores[:4], count, count, count, same, *scores[4:]))
    assert type(record) is encode.Plain and encode.plain(_as_dicts(record))
    assert_same(record)


@needs_orjson
def test_a_clusters_plain_records_are_plain_when_walked(seeds_dir):
    from dedup.report.elements import cluster_record

    from dedup.story.provenance import analyse

    generated = scan_documents([Document(a.doc_id, a.text) for a in generate(300, seed=7)])
    siblings = 0
    for result in (scan([seeds_dir]), generated):
        provenances = {p.cluster_id: p for p in analyse(result)}
        for cluster in result.clusters:
            provenance = provenances[cluster.cluster_id]
            siblings += len(provenance.siblings)
            for shared in (False, True):
                record = cluster_record(result, cluster, provenance, shared=shared)
                found = _plain_records(record)
                # the pairs, the sibling pairs and every passage (with its counterparts)
                assert len(found) >= (
                    len(cluster.pairs) + len(provenance.siblings) + sum(len(m.passages) for m in cluster.members)
                )
                assert all(encode.plain(_as_dicts(plain)) for plain in found)
                assert_same(record)
                assert dumps(record) == dumps(_as_dicts(record))
    assert siblings > 10
