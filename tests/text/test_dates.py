"""Publication dates: the formats feeds and archives use, read into UTC spans, or the reason they cannot be."""

from datetime import datetime, timezone

import pytest

from dedup.text.dates import parse_date, read_date


def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "text, start, end",
    [
        ("2024-04-03T08:00:00Z", utc(2024, 4, 3, 8), utc(2024, 4, 3, 8, 0, 1)),
        ("2014-12-01 08:00:00+05:00", utc(2014, 12, 1, 3), utc(2014, 12, 1, 3, 0, 1)),
        ("2024-04-03", utc(2024, 4, 3), utc(2024, 4, 4)),
        ("2024/04/03", utc(2024, 4, 3), utc(2024, 4, 4)),  # year first: never day first
        ("2024-04", utc(2024, 4, 1), utc(2024, 5, 1)),
        ("2024", utc(2024, 1, 1), utc(2025, 1, 1)),
        ("Wed, 03 Apr 2024 10:00:00 +0200", utc(2024, 4, 3, 8), utc(2024, 4, 3, 8, 0, 1)),
        ("01.12.14", utc(2014, 12, 1), utc(2014, 12, 2)),  # dd.mm.yy
        ("03/04/2024", utc(2024, 4, 3), utc(2024, 4, 4)),  # dd/mm/yyyy
        ("03.04.2024 14:05", utc(2024, 4, 3, 14, 5), utc(2024, 4, 3, 14, 5, 1)),
        ("April 3, 2024", utc(2024, 4, 3), utc(2024, 4, 4)),
        ("Apr 2024", utc(2024, 4, 1), utc(2024, 5, 1)),
    ],
)
def test_formats_and_spans(text, start, end):
    span = parse_date(text)
    assert (span.start, span.end) == (start, end)


@pytest.mark.parametrize(
    "text",
    [
        "le mercredi 3 avril 2024", "3 avril 2024", "Mittwoch, 3. April 2024",
        "am 3. April 2024 um 10:30 Uhr", "miércoles 3 de abril de 2024", "quarta-feira, 3 de abril de 2024",
        "3 aprile 2024", "3 april 2024", "3 апреля 2024 г.", "3 أبريل 2024", "الأربعاء 3 نيسان 2024",
        "3 اپریل 2024", "۳ اپریل ۲۰۲۴", "3 अप्रैल 2024", "2024年4月3日", "2024년 4월 3일",
    ],
)
def test_month_names_of_other_languages(text):
    assert parse_date(text).start.date() == utc(2024, 4, 3).date()


def test_first_of_the_month_and_levantine_names():
    assert parse_date("1er avril 2024").start == utc(2024, 4, 1)
    assert parse_date("یکم دسمبر 2014").start == utc(2014, 12, 1)
    assert parse_date("3 تشرين الأول 2024").start == utc(2024, 10, 3)


def test_spans_order_dates():
    month, day = parse_date("2024-04"), parse_date("2024-04-03")
    assert month.start <= day.start and day.end <= month.end
    assert not month.before(day) and not day.before(month)  # April neither precedes nor follows 3 April
    assert parse_date("01.12.14").before(parse_date("02.12.14"))


@pytest.mark.parametrize(
    "text, problem",
    [("31.09.14", "day is out of range for month"), ("3 avril", "no year"), ("yesterday", "not a date"),
     ("10:00", "no year"), ("   ", "empty")],
)
def test_unreadable_dates_say_why(text, problem):
    reading = read_date(text)
    assert reading.span is None and reading.problem == problem
    assert parse_date(text) is None


def test_nothing_is_no_date():
    assert parse_date(None) is None and parse_date("") is None
