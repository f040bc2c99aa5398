"""Wire credits in every script: the agency table, the forms that make a credit, and what is no credit."""

import pytest

from dedup.text.agencies import AGENCIES
from dedup.text.credits import agency_name, find_credits, find_dateline


def credits_of(text):
    return [(c.agency, c.kind) for c in find_credits(text)]


@pytest.mark.parametrize(
    "text, agency, kind",
    [("PARIS (AFP) - Le ministre", "AFP", "dateline"), ("a-t-il dit à l'AFP.", "AFP", "told"),
     ("By The Associated Press\nWASHINGTON", "AP", "byline"), ("He left. — Reuters", "Reuters", "byline"),
     ("Le texte (avec AFP)", "AFP", "with"), ("told Reuters on Monday", "Reuters", "told"),
     ("BERLIN (dpa) - Die", "dpa", "dateline"), ("ha detto all'ANSA", "ANSA", "told"),
     ("según dijo a EFE", "EFE", "told"), ("Source: Belga", "Belga", "with"),
     ("told the Associated Press", "AP", "told"), ("according to Xinhua News Agency", "Xinhua", "with"),
     ("New Delhi, Dec 1 (PTI) The government said", "PTI", "dateline"),
     ("KUWAIT, April 3 (KUNA) -- The cabinet", "KUNA", "dateline"),
     ("ANKARA (AA) - Turkish officials", "Anadolu", "dateline"),
     ("рассказал ТАСС", "TASS", "told"), ("сообщает РИА Новости", "RIA Novosti", "with")],
)
def test_latin_and_cyrillic_forms(text, agency, kind):
    assert credits_of(text) == [(agency, kind)]


@pytest.mark.parametrize(
    "text, agency, kind",
    [
        # Urdu
        ("ڈھاکہ ۔ یکم دسمبر (اے پی پی) بنگلہ دیش نے سیریز جیت لی", "APP", "dateline"),
        ("اسلام آباد (آئی این پی) وفاقی حکومت نے", "INP", "dateline"),
        ("واشنگٹن (این این آئی) امریکی محکمہ خارجہ نے", "NNI", "dateline"),
        ("غیر ملکی خبر رساں ادارے رائٹرز کے مطابق", "Reuters", "with"),
        ("انہوں نے اے پی پی کو بتایا کہ", "APP", "told"),
        ("لاہور (مانیٹرنگ ڈیسک ، اے پی پی) حکومت نے", "APP", "with"),
        ("نئی دہلی (اے ایف پی/اسپورٹس ڈیسک) بھارت نے", "AFP", "with"),
        # Arabic
        ("القاهرة (أ ش أ) - قال وزير", "MENA", "dateline"), ("قال لرويترز إن", "Reuters", "told"),
        ("نقلا عن وكالة رويترز", "Reuters", "with"), ("الرياض (واس) - أعلنت", "SPA", "dateline"),
        # Hindi
        ("नयी दिल्ली, एक दिसंबर (भाषा) सरकार ने कहा", "PTI", "dateline"),
        ("समाचार एजेंसी पीटीआई के अनुसार", "PTI", "with"), ("उन्होंने आईएएनएस को बताया", "IANS", "told"),
        # Chinese
        ("新华社北京3月5日电（记者 张三）国务院", "Xinhua", "dateline"), ("据法新社报道，", "AFP", "with"),
        ("据路透社报道", "Reuters", "with"), ("美联社消息称", "AP", "with"),
        # Japanese, Korean
        ("【ワシントン共同】米政府は", "Kyodo", "dateline"), ("（AFP時事）米国の", "AFP", "dateline"),
        ("ロイター通信によると", "Reuters", "with"), ("연합뉴스에 따르면", "Yonhap", "with"),
    ],
)
def test_credits_in_every_script(text, agency, kind):
    assert credits_of(text) == [(agency, kind)]


@pytest.mark.parametrize(
    "text",
    ["The map showed a rapid approach, apparently.", "(Photo: AFP) The minister", "Carl Bernstein (AP)\nBy Brian Free",
     "(Jason Lee/Reuters)\nThe summit", "photo released by the Syrian Arab News Agency (SANA) on Monday",
     "Reuters has offices in many cities.", "اے پی پی ایک خبر رساں ادارہ ہے", "他说新华社是通讯社",
     "the spa town and uni campus", "AFPX (AFPX) - no"],
)
def test_no_credit(text):
    assert find_credits(text) == []


def test_two_agencies_in_one_bracket_both_count():
    assert credits_of("واشنگٹن (آن لائن/ این این آئی) امریکی فوج") == [("Online", "with"), ("NNI", "with")]


@pytest.mark.parametrize("agency, spelling", [(a, s) for a, scripts in AGENCIES.items() for ss in scripts.values() for s in ss])
def test_every_spelling_of_the_table_is_found(agency, spelling):
    assert agency_name(spelling) == agency
    assert credits_of(f"CITY ({spelling}) - text of the dispatch") == [(agency, "dateline")]


def test_credit_offsets_point_into_the_text():
    text = "Intro line.\nلاہور (اے پی پی) حکومت نے اعلان کیا"
    (credit,) = find_credits(text)
    assert text[credit.start : credit.end] == credit.text == "(اے پی پی)"
    assert find_credits(text, 0, 11) == []  # outside the range searched


def test_dateline():
    dateline = find_dateline("MOSCOU, 3 avril (AFP) - Le ministre")
    assert (dateline.place, dateline.agency) == ("MOSCOU", "AFP")
    assert find_dateline("PARIS - Le ministre").agency is None
