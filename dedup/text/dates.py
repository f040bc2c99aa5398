"""Publication dates as feeds and archives write them, read into UTC time spans.

:func:`parse_date` reads, in this order:

1. ISO 8601, also partial: ``2024``, ``2024-04``, ``2024-04-03``, ``2024-04-03T08:00:00Z``;
2. RFC 2822, as RSS feeds write it: ``Wed, 03 Apr 2024 10:00:00 +0200``;
3. everything else through ``dateutil``'s parser, **day first** for numeric dates that do
   not start with a four-digit year (``01.12.14`` is 1 December 2014, ``03/04/2024`` is
   3 April), after month and weekday names of other languages have been put into English
   (:data:`MONTH_NAMES`, :data:`WEEKDAY_NAMES`: French, German, Spanish, Portuguese,
   Italian, Dutch, Turkish, Russian, Arabic, Urdu, Hindi) and ``2024年4月3日`` /
   ``2024년 4월 3일`` into ISO order. Digits of other scripts (``١٢``, ``۱۲``, ``१२``) count.

A date stands for the time span it names: ``2024-04`` is the whole of April, so it is
neither before nor after ``2024-04-03``; a day without a time is that whole day (UTC); a
time is one second. A date without a year, an impossible date (``31.09.14``) or text that
is no date gives ``None``; :func:`read_date` says why, for reports that list such dates.
"""

from __future__ import annotations

import email.utils
import re
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from dateutil import parser as dateutil_parser

# Month number -> names and abbreviations in other languages (English is dateutil's own).
# Lower case; a trailing dot on an abbreviation is ignored when reading.
MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: ("janvier", "janv", "januar", "jänner", "enero", "ene", "janeiro", "jan", "gennaio", "genn", "januari",
        "ocak", "января", "январь", "янв", "يناير", "كانون الثاني", "جانفي", "جنوری", "जनवरी"),
    2: ("février", "fevrier", "févr", "fevr", "februar", "feber", "febrero", "fevereiro", "fev", "febbraio", "februari",
        "şubat", "subat", "февраля", "февраль", "фев", "فبراير", "شباط", "فيفري", "فروری", "फ़रवरी", "फरवरी"),
    3: ("mars", "märz", "marz", "marzo", "março", "marco", "maart", "mart", "марта", "март", "мар", "مارس", "آذار",
        "مارچ", "मार्च"),
    4: ("avril", "avr", "april", "abril", "abr", "aprile", "nisan", "апреля", "апрель", "апр", "أبريل", "ابريل",
        "إبريل", "نيسان", "أفريل", "افريل", "اپریل", "अप्रैल"),
    5: ("mai", "mayo", "maio", "maggio", "mag", "mei", "mayıs", "mayis", "мая", "май", "مايو", "أيار", "ايار", "ماي",
        "مئی", "मई"),
    6: ("juin", "juni", "junio", "junho", "giugno", "giu", "haziran", "июня", "июнь", "يونيو", "يونيه", "حزيران",
        "جوان", "جون", "जून"),
    7: ("juillet", "juil", "juli", "julio", "julho", "luglio", "lug", "temmuz", "июля", "июль", "يوليو", "يوليه",
        "تموز", "جويلية", "جولائی", "जुलाई"),
    8: ("août", "aout", "august", "agosto", "ago", "augustus", "ağustos", "agustos", "августа", "август", "авг",
        "أغسطس", "اغسطس", "آب", "أوت", "اوت", "اگست", "अगस्त"),
    9: ("septembre", "sept", "september", "septiembre", "setembro", "set", "settembre", "sett", "eylül", "eylul",
        "сентября", "сентябрь", "сен", "سبتمبر", "أيلول", "ايلول", "ستمبر", "सितंबर", "सितम्बर"),
    10: ("octobre", "oktober", "octubre", "outubro", "out", "ottobre", "ott", "ekim", "октября", "октябрь", "окт",
         "أكتوبر", "اكتوبر", "تشرين الأول", "تشرين الاول", "اکتوبر", "अक्टूबर", "अक्तूबर"),
    11: ("novembre", "november", "noviembre", "novembro", "kasım", "kasim", "ноября", "ноябрь", "ноя", "نوفمبر",
         "تشرين الثاني", "نومبر", "नवंबर", "नवम्बर"),
    12: ("décembre", "decembre", "déc", "dezember", "dez", "diciembre", "dic", "dezembro", "dicembre", "december",
         "aralık", "aralik", "декабря", "декабрь", "дек", "ديسمبر", "كانون الأول", "كانون الاول", "دسمبر",
         "दिसंबर", "दिसम्बर"),
}
# Weekday names say nothing a date does not; they are dropped before parsing.
WEEKDAY_NAMES: tuple[str, ...] = (
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonnabend", "sonntag",
    "lunes", "martes", "miércoles", "miercoles", "jueves", "viernes", "sábado", "sabado", "domingo",
    "segunda-feira", "terça-feira", "terca-feira", "quarta-feira", "quinta-feira", "sexta-feira",
    "lunedì", "lunedi", "martedì", "martedi", "mercoledì", "mercoledi", "giovedì", "giovedi", "venerdì", "venerdi",
    "sabato", "domenica", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag",
    "pazartesi", "salı", "çarşamba", "perşembe", "cuma", "cumartesi", "pazar",
    "понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье",
    "الاثنين", "الإثنين", "الثلاثاء", "الأربعاء", "الاربعاء", "الخميس", "الجمعة", "السبت", "الأحد", "الاحد",
    "پیر", "منگل", "بدھ", "جمعرات", "جمعہ", "ہفتہ", "اتوار",
    "सोमवार", "मंगलवार", "बुधवार", "गुरुवार", "शुक्रवार", "शनिवार", "रविवार",
)
# Small words between the parts of a date ("3 de abril de 2024", "am 3. April", "le 3 avril
# à 10h"), dropped before parsing; "1er"/"یکم" are the first of the month.
FILLER_WORDS: tuple[str, ...] = ("de", "del", "do", "da", "le", "el", "à", "às", "a las", "um", "uhr", "den", "der",
                                 "vom", "il", "alle", "ore", "op", "om", "в", "г", "года", "بتاريخ")
FIRST_OF_MONTH: tuple[str, ...] = ("1er", "1ero", "1º", "1°", "یکم")

_MONTH_OF = {name: month for month, names in MONTH_NAMES.items() for name in names}
_ENGLISH_MONTH = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# A letter of any script, combining marks included (Devanagari vowel signs are not \w).
_LETTER = r"(?:[^\W\d_]|[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0900-\u0903\u093a-\u094f\u0962\u0963])"


def _names_pattern(names: list[str]) -> re.Pattern[str]:
    alternatives = sorted({n for n in names}, key=len, reverse=True)
    body = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in alternatives)
    return re.compile(rf"(?<!{_LETTER})(?:{body})(?!{_LETTER})\.?", re.IGNORECASE)


_MONTHS = _names_pattern(list(_MONTH_OF))
_DROPPED = _names_pattern(list(WEEKDAY_NAMES) + list(FILLER_WORDS))
_FIRST = _names_pattern(list(FIRST_OF_MONTH))
_GERMAN_AM = re.compile(r"(?<!\w)am\s+(?=\d)", re.IGNORECASE)  # "am 3. April"; "10 am" stays a time
# 2024年4月3日 10時30分 / 2024년 4월 3일
_CJK_DATE = re.compile(r"(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월](?:\s*(\d{1,2})\s*[日일])?")
_CJK_TIME = re.compile(r"(\d{1,2})\s*[時시]\s*(?:(\d{1,2})\s*[分분])?")
_PARTIAL_ISO = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
_YEAR_FIRST = re.compile(r"^\s*\d{4}\b")
# Two defaults that differ in every field: a field that comes out different was not in the text.
_DEFAULT_A = datetime(2001, 1, 1, 0, 0, 0)
_DEFAULT_B = datetime(2002, 2, 2, 1, 1, 1)


@dataclass(frozen=True)
class DateSpan:
    """The time span ``[start, end)`` (UTC) that a written date stands for."""

    start: datetime
    end: datetime

    def before(self, other: DateSpan) -> bool:
        """Whether all of this span lies before all of ``other``."""
        return self.end <= other.start


@dataclass(frozen=True)
class DateReading:
    """What became of one written date: its span, or why there is none."""

    text: str
    span: DateSpan | None
    problem: str | None


def parse_date(value: str | None) -> DateSpan | None:
    """The span a written date stands for, or ``None`` when it cannot be read.

    >>> parse_date("01.12.14").start.isoformat()
    '2014-12-01T00:00:00+00:00'
    >>> parse_date("3 de abril de 2024").start.date().isoformat()
    '2024-04-03'
    """
    return read_date(value).span if value else None


@lru_cache(maxsize=4096)
def read_date(value: str) -> DateReading:
    """:func:`parse_date` with the reason when a date cannot be read (cached: feeds repeat dates)."""
    text = " ".join(value.split())
    if not text:
        return DateReading(value, None, "empty")
    span = _iso_span(text) or _rfc2822_span(text)
    if span is not None:
        return DateReading(value, span, None)
    return _dateutil_reading(value, _to_english(text))


def _iso_span(text: str) -> DateSpan | None:
    partial = _PARTIAL_ISO.match(text)
    if partial:
        year, month, day = int(partial[1]), int(partial[2] or 1), int(partial[3] or 1)
        try:
            start = datetime(year, month, day, tzinfo=timezone.utc)
        except ValueError:
            return None
        if partial[3]:
            end = start + timedelta(days=1)
        elif partial[2]:
            end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=timezone.utc)
        else:
            end = datetime(year + 1, 1, 1, tzinfo=timezone.utc)
        return DateSpan(start, end)
    if not _YEAR_FIRST.match(text):
        return None
    try:
        return _moment(datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00")))
    except ValueError:
        return None


def _rfc2822_span(text: str) -> DateSpan | None:
    if ":" not in text or not any(c.isalpha() for c in text):
        return None  # RFC 2822 dates carry a month name and a time
    try:
        return _moment(email.utils.parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None


def _to_english(text: str) -> str:
    """Other scripts' digits, month and weekday names, CJK year/month/day marks put into English."""
    text = "".join(str(unicodedata.digit(c)) if c.isdigit() and not c.isascii() else c for c in text)
    text = _CJK_DATE.sub(lambda m: f"{m[1]}-{int(m[2]):02d}" + (f"-{int(m[3]):02d}" if m[3] else "") + " ", text)
    text = _CJK_TIME.sub(lambda m: f"{m[1]}:{m[2] or '00'} ", text)
    text = _FIRST.sub("1", text)
    text = _MONTHS.sub(lambda m: " " + _ENGLISH_MONTH[_MONTH_OF[" ".join(m[0].rstrip(".").lower().split())]] + " ", text)
    text = _GERMAN_AM.sub(" ", _DROPPED.sub(" ", text))
    text = text.replace("،", ",").replace("٫", ".")
    return " ".join(text.split())


def _dateutil_reading(value: str, text: str) -> DateReading:
    dayfirst = not _YEAR_FIRST.match(text)  # numeric dates are day first, unless year first (ISO order)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unknown zone names ("PKT") are read as UTC
            first = dateutil_parser.parse(text, default=_DEFAULT_A, dayfirst=dayfirst, yearfirst=not dayfirst)
            second = dateutil_parser.parse(text, default=_DEFAULT_B, dayfirst=dayfirst, yearfirst=not dayfirst)
    except (ValueError, OverflowError) as error:
        message = str(error).split(":")[0].strip().lower() or "not a date"
        if message.startswith("unknown string format"):
            message = "not a date"
        return DateReading(value, None, message)
    if first.year != second.year:
        return DateReading(value, None, "no year")
    if first.month != second.month:
        start = first.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = start.replace(year=start.year + 1)
    elif first.day != second.day:
        start = first.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = (start + timedelta(days=32)).replace(day=1)
    elif first.hour != second.hour:
        start = first.replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + timedelta(days=1)
    else:
        return DateReading(value, _moment(first), None)
    return DateReading(value, _zoned_span(start, end), None)


def _zoned_span(start: datetime, end: datetime) -> DateSpan:
    if start.tzinfo is None:
        return DateSpan(start.replace(tzinfo=timezone.utc), end.replace(tzinfo=timezone.utc))
    return DateSpan(start.astimezone(timezone.utc), end.astimezone(timezone.utc))


def _moment(moment: datetime) -> DateSpan:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)  # naive dates are taken as UTC
    moment = moment.astimezone(timezone.utc)
    return DateSpan(moment, moment + timedelta(seconds=1))
