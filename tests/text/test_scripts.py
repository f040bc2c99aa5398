"""Sentence ends and word tokens in every script."""

import itertools
import json
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.match.shingle import ShingleConfig, shingle_hashes
from dedup.text import scripts
from dedup.text.boilerplate import BoilerplateRules
from dedup.text.normalize import normalize_text, words
from dedup.text.segment import segment, sentence_units, split_sentences, split_sentences_within

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "scripts"
LANGUAGES = ("ur", "hi", "zh", "ja")


def fixture(language: str) -> dict[str, str]:
    lines = (FIXTURES / f"{language}.jsonl").read_text(encoding="utf-8").splitlines()
    return {record["id"].split("-", 1)[1]: record["text"] for record in map(json.loads, lines)}


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


# Sentence units of each fixture article. The agency article has ten sentences; the Urdu
# dateline "اسلام آباد ۔" ends at its stop, and the Hindi one has a question inside its last line.
EXPECTED_UNITS = {
    "ur": {"agency": 11, "trimmed": 5, "independent": 8},
    "hi": {"agency": 11, "trimmed": 5, "independent": 8},
    "zh": {"agency": 10, "trimmed": 5, "independent": 8},
    "ja": {"agency": 10, "trimmed": 5, "independent": 8},
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_fixture_articles_are_cut_into_their_sentences(language):
    texts = fixture(language)
    for name, expected in EXPECTED_UNITS[language].items():
        units = [texts[name][s:e] for s, e in sentence_units(texts[name])]
        assert len(units) == expected, (name, units)
        assert all(unit[-1] in scripts.SENTENCE_TERMINALS + "」”" for unit in units[1:]), units
    # the trimmed copy keeps sentences of the agency article whole
    agency_units = {texts["agency"][s:e] for s, e in sentence_units(texts["agency"])}
    trimmed_units = [texts["trimmed"][s:e] for s, e in sentence_units(texts["trimmed"])]
    assert sum(unit in agency_units for unit in trimmed_units) >= 4


@pytest.mark.parametrize(
    "text, expected",
    [
        # Urdu: ۔ and ؟ end sentences with no capital after them, glued or not; ، does not
        ("بارش ہوئی۔ لوگ گھروں میں رہے، دفاتر بند رہے۔کیا کل بھی بارش ہو گی؟ ماہرین نے کہا",
         ["بارش ہوئی۔", "لوگ گھروں میں رہے، دفاتر بند رہے۔", "کیا کل بھی بارش ہو گی؟", "ماہرین نے کہا"]),
        # a Latin stop in a caseless script: before a letter, glued or not; a decimal stays whole
        ("ہدف 24.3 اوورز میں حاصل کیا. اس کے بعد جشن ہوا.پھر", ["ہدف 24.3 اوورز میں حاصل کیا.", "اس کے بعد جشن ہوا.", "پھر"]),
        # Arabic
        ("قال الوزير إن الاجتماع كان مثمرا. وأضاف أن المحادثات ستستمر؟ نعم؛ بالتأكيد",
         ["قال الوزير إن الاجتماع كان مثمرا.", "وأضاف أن المحادثات ستستمر؟", "نعم؛", "بالتأكيد"]),
        # Devanagari
        ("बारिश हुई। लोग घरों में रहे॥ क्या कल भी बारिश होगी? शायद", ["बारिश हुई।", "लोग घरों में रहे॥", "क्या कल भी बारिश होगी?", "शायद"]),
        # Chinese: no space after the stop; closing quotes and brackets stay with their sentence
        ("他说：“我们会努力。”记者问：会怎样？他回答！完（新华社）。再见",
         ["他说：“我们会努力。”", "记者问：会怎样？", "他回答！", "完（新华社）。", "再见"]),
        ("首相は「全力で取り組む」と述べた。政府は５日、対策を発表した。", ["首相は「全力で取り組む」と述べた。", "政府は５日、対策を発表した。"]),
        # fullwidth stop between digits is a decimal point
        ("震度５．８を観測した。以上", ["震度５．８を観測した。", "以上"]),
        # Thai: a space between Thai letters ends a sentence; around a number it does not
        ("รัฐบาลประกาศมาตรการใหม่ นายกรัฐมนตรีกล่าวว่ามีผู้ได้รับผลกระทบ 5 คน", ["รัฐบาลประกาศมาตรการใหม่", "นายกรัฐมนตรีกล่าวว่ามีผู้ได้รับผลกระทบ 5 คน"]),
        # Ethiopic, Armenian, Myanmar, Khmer, Tibetan
        ("ኢትዮጵያ ዛሬ አዲስ ፖሊሲ አወጣች። ሚኒስትሩ ተናገሩ፧ እሺ", ["ኢትዮጵያ ዛሬ አዲስ ፖሊሲ አወጣች።", "ሚኒስትሩ ተናገሩ፧", "እሺ"]),
        ("Կառավարությունը հայտարարեց։ Նախարարը ասաց։", ["Կառավարությունը հայտարարեց։", "Նախարարը ասաց։"]),
        ("မိုးရွာသည်။ လူများ အိမ်တွင် နေကြသည်။", ["မိုးရွာသည်။", "လူများ အိမ်တွင် နေကြသည်။"]),
        ("ភ្លៀងធ្លាក់ខ្លាំង។ ប្រជាជនស្នាក់នៅផ្ទះ។", ["ភ្លៀងធ្លាក់ខ្លាំង។", "ប្រជាជនស្នាក់នៅផ្ទះ។"]),
        ("བོད་ལ་ཆར་པ་བབས། མི་རྣམས་ཁྱིམ་དུ་བསྡད།", ["བོད་ལ་ཆར་པ་བབས།", "མི་རྣམས་ཁྱིམ་དུ་བསྡད།"]),
        # cased scripts keep their rules: no cut before a lowercase word or after an abbreviation
        ("Le taux est de 6.1 pour cent. il a dit. M. Lecornu", ["Le taux est de 6.1 pour cent. il a dit.", "M. Lecornu"]),
    ],
)
def test_sentences_end_in_every_script(text, expected):
    assert sentences(text) == expected


def test_a_caseless_paragraph_is_split_into_sentences_and_headings_need_no_stop_of_latin():
    text = "بارش ہوئی۔ لوگ گھروں میں رہے۔\nدفاتر بند رہے۔\nسڑکیں خالی رہیں۔"
    assert [p.kind for p in segment(text).passages] == ["text", "text", "text"]
    chinese = "国务院今天发布通知。" * 80  # one long paragraph without spaces
    assert len(segment(chinese).passages) == 80


def test_mixed_script_tokens():
    text = normalize_text("新华社北京电 Xinhua said: 国务院 2024年 approved हिन्दी कहानी, وزیراعظم نے کہا ภาษาไทย")
    assert words(text) == [
        "新", "华", "社", "北", "京", "电", "xinhua", "said", "国", "务", "院", "2024", "年", "approved",
        "हिन्दी", "कहानी", "وزيراعظم", "نے", "كها", "ภ", "า", "ษ", "า", "ไ", "ท", "ย",
    ]  # Arabic-script letter variants folded by normalize_text (yeh, keheh, heh goal)
    # punctuation of any script separates words; marks stay inside them
    assert words("دیا،زمبابوے ہوئی۔آخری") == ["دیا", "زمبابوے", "ہوئی", "آخری"]
    assert words("किया।उन्होंने") == ["किया", "उन्होंने"]


def test_character_shingles_of_spaceless_runs_match_across_mixed_documents():
    chinese = "国家航天局宣布风云五号气象卫星成功发射"
    english = "The agency said the launch went well"
    first = normalize_text(f"{english} {chinese}")
    second = normalize_text(f"报道称 {chinese} according to officials")
    a, _ = shingle_hashes([first], ShingleConfig())
    b, _ = shingle_hashes([second], ShingleConfig())
    assert len(np.intersect1d(a, b)) == len(chinese) - 4  # every 5-character shingle of the run


def test_class_table_agrees_with_the_character_rule():
    codes = np.arange(0x20000)
    table = scripts.classes_of(codes)
    sample = np.concatenate((np.arange(0, 0x20000, 7), [0x0E01, 0x0E31, 0x3042, 0x4E2D, 0x0915, 0x093F, 0x0627, 0x064E]))
    assert [int(table[c]) for c in sample] == [scripts.classify(chr(c)) for c in sample]
    astral = np.array([0x20000, 0x2A6D6, 0x1F600, 0xE0101], dtype=np.int64)
    assert scripts.classes_of(astral).tolist() == [scripts.SPACELESS, scripts.SPACELESS, scripts.SEPARATOR, scripts.MARK]


def test_terminals_are_unicode_sentence_terminals():
    regex = pytest.importorskip("regex")
    sterm = {chr(c) for c in range(0x20000) if regex.match(r"\p{Sentence_Terminal}", chr(c))}
    table = set(scripts.SENTENCE_TERMINALS)
    # Every table entry is a terminal (or one of the few added on purpose) ...
    assert table - set(scripts.STERM_ADDED) <= sterm
    # ... and none is missing. The table, regex and this Python's unicodedata may each
    # follow a different Unicode version: compare on what unicodedata assigns.
    assigned = {c for c in sterm | table if unicodedata.category(c) != "Cn"}
    expected = (sterm & assigned) - set(scripts.STERM_LEFT_OUT) | set(scripts.STERM_ADDED)
    assert table & assigned == expected


# Pieces from many scripts: stops, marks, spaces, digits, quotes, line breaks.
_PIECES = [
    "ہے", "۔", "؟", "،", " ", "  ", "\n", "\n\n", "ًٍ", "کیا", ".", "!", "?", "24.3", "भारत", "।", "॥", "िन्", "中国", "。",
    "！", "“", "”", "「", "」", "（", "）", "東京", "ภาษา", "ไทย", "่", "ኢትዮ", "።", "Հայ", "։", "မြန်", "။", "Le", "M.",
    "U.S.", "Путин", "5", "٫", "\u200c", "(", ")", "\"", "'", "www.", "x.fr/a", "Partager", "date 2024-04 ",
]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=50).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_sentence_units_match_segmentation_in_any_script(text):
    passages = segment(text).passages
    expected = split_sentences_within(text, [(p.start, p.end) for p in passages if p.kind == "text"])
    assert sentence_units(text) == expected
    rules = BoilerplateRules(extra=(r"ہے.*",))
    passages = segment(text, rules).passages
    assert sentence_units(text, rules) == split_sentences_within(text, [(p.start, p.end) for p in passages if p.kind == "text"])


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_sentence_spans_cover_the_text(text):
    spans = split_sentences(text)
    assert spans == sorted(spans)
    assert all(s < e <= s2 for (s, e), (s2, _) in itertools.pairwise(spans))
    covered = set()
    for start, end in spans:
        assert text[start:end] == text[start:end].strip()
        covered.update(range(start, end))
    assert all(text[k].isspace() for k in range(len(text)) if k not in covered)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_the_shingler_cuts_the_words_that_words_gives(text):
    normalized = "\n".join(normalize_text(line) for line in text.split("\n"))
    tokens = [words(line) for line in normalized.split("\n")]
    expected, _ = shingle_hashes(["\n".join(" ".join(t) for t in tokens)], ShingleConfig(size=1))
    found, _ = shingle_hashes([normalized], ShingleConfig(size=1))
    assert found.tolist() == expected.tolist()
    assert words(normalized) == words(normalized)  # and tokenising is a function of the text alone
    assert len(found) == sum(len(t) for t in tokens)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("اأإآبتثيىكکہه\u0640\u064b\u064e\u0651\u0652\u0653\u0654\u0655\u0670 ")), max_size=20))
def test_normalising_arabic_script_twice_changes_nothing(text):
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert not any(unicodedata.category(c) == "Mn" and c not in "\u0653\u0654\u0655" for c in once)


_SPACED = st.lists(
    st.sampled_from(["é", "œ", "€", "’", "«", "ß", "Путин", "Αθήνα", "وزیراعظم", "،", "۔", "שלום", "한국", "😀", "𝐀", "x", " ", "\n", "5"]),
    max_size=30,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(_SPACED, min_size=1, max_size=4))
def test_byte_and_character_word_bounds_agree(texts):
    """Batches without marks or spaceless letters take the byte path; it cuts what the character path cuts."""
    from dedup.match.shingle import _char_bounds, _concat, word_bounds

    buffer, _ = _concat(texts)
    fast, slow = word_bounds(texts, buffer), _char_bounds(texts, buffer)
    assert fast[0].tolist() == slow[0].tolist() and fast[1].tolist() == slow[1].tolist()
