"""News agencies and the ways texts name them, per script: data for :mod:`dedup.text.credits`.

A spelling of two to five characters without a space is matched in exactly the case
written here ("AP", "SPA" and "UNI" are words too; "dpa" is the agency's own lower
case); longer spellings ignore case. A name on its own is never a credit: only the forms
in :data:`CREDIT_FORMS` (and the bracket and sign-off rules of the credits module) make one.
"""

from __future__ import annotations

from typing import Literal

Script = Literal["latin", "arabic", "devanagari", "han", "japanese", "hangul", "cyrillic"]

AGENCIES: dict[str, dict[Script, tuple[str, ...]]] = {
    "AFP": {
        "latin": ("AFP", "Agence France-Presse", "Agence France Presse"),
        "arabic": ("أ ف ب", "أ.ف.ب", "ا ف ب", "فرانس برس", "فرانس پریس", "اے ایف پی"),
        "devanagari": ("एएफपी",),
        "han": ("法新社",),
        "japanese": ("AFP時事", "AFP＝時事", "AFP=時事"),
        "hangul": ("AFP통신", "AFP 통신"),
        "cyrillic": ("АФП", "Франс Пресс"),
    },
    "Reuters": {
        "latin": ("Reuters",),
        "arabic": ("رويترز", "رويتر", "رائٹرز", "رائیٹرز", "روئٹرز", "رائٹر"),
        "devanagari": ("रॉयटर्स", "रायटर्स", "रायटर"),
        "han": ("路透社",),
        "japanese": ("ロイター通信", "ロイター"),
        "hangul": ("로이터통신", "로이터"),
        "cyrillic": ("Рейтер", "Рейтерс"),
    },
    "AP": {
        "latin": ("AP", "Associated Press", "the Associated Press"),
        "arabic": ("أسوشيتد برس", "اسوشيتد برس", "ایسوسی ایٹڈ پریس", "اسوسی ایٹڈ پریس", "اے پی"),
        "devanagari": ("एसोसिएटेड प्रेस",),
        "han": ("美联社",),
        "japanese": ("AP通信",),
        "hangul": ("AP통신", "AP 통신"),
        "cyrillic": ("Ассошиэйтед Пресс",),
    },
    "dpa": {
        "latin": ("dpa", "DPA", "Deutsche Presse-Agentur", "Deutschen Presse-Agentur"),
        "arabic": ("د ب أ", "د.ب.أ"),
        "han": ("德新社",),
        "hangul": ("dpa통신",),
    },
    "ANSA": {"latin": ("ANSA",), "arabic": ("آنسا",), "han": ("安莎社",)},
    "EFE": {"latin": ("EFE",), "arabic": ("إفي", "ایفے"), "han": ("埃菲社",)},
    "Belga": {"latin": ("Belga", "BELGA")},
    "Lusa": {"latin": ("Lusa", "LUSA")},
    "Europa Press": {"latin": ("Europa Press",)},
    "ANP": {"latin": ("ANP",)},
    "APA": {"latin": ("APA",)},
    "Keystone-SDA": {"latin": ("Keystone-ATS", "Keystone-SDA", "ATS", "SDA")},
    "PAP": {"latin": ("PAP",)},
    "AGI": {"latin": ("AGI",)},
    "Adnkronos": {"latin": ("Adnkronos", "ADNKRONOS")},
    "Bloomberg": {"latin": ("Bloomberg",), "han": ("彭博社",), "japanese": ("ブルームバーグ",)},
    "AAP": {"latin": ("AAP", "Australian Associated Press")},
    "CP": {"latin": ("CP", "The Canadian Press", "Canadian Press")},
    "APP": {
        "latin": ("APP", "Associated Press of Pakistan"),
        "arabic": ("اے پی پی", "ا پ پ"),
    },
    "PPI": {"latin": ("PPI",), "arabic": ("پی پی آئی",)},
    "INP": {"latin": ("INP",), "arabic": ("آئی این پی",)},
    "NNI": {"latin": ("NNI",), "arabic": ("این این آئی",)},
    "INN": {"latin": ("INN",), "arabic": ("آئی این این",)},
    "Online": {"arabic": ("آن لائن",)},  # Online International News Network; "online" in English
    "Sana News": {"arabic": ("ثناء نیوز", "ثنا نیوز")},
    "PTI": {
        "latin": ("PTI", "Press Trust of India"),
        "devanagari": ("पीटीआई", "भाषा", "पीटीआई-भाषा"),  # "(भाषा)": PTI's Hindi service
        "han": ("印度报业托拉斯",),
    },
    "IANS": {"latin": ("IANS",), "devanagari": ("आईएएनएस",)},
    "UNI": {"latin": ("UNI", "United News of India"), "devanagari": ("यूएनआई", "यूनीवार्ता", "वार्ता")},
    "ANI": {"latin": ("ANI",), "devanagari": ("एएनआई",)},
    "Xinhua": {
        "latin": ("Xinhua", "XINHUA", "Xinhua News Agency"),
        "arabic": ("شينخوا", "شنہوا", "ژنہوا"),
        "devanagari": ("शिन्हुआ",),
        "han": ("新华社", "新華社"),
        "japanese": ("新華社",),
        "hangul": ("신화통신", "신화사"),
        "cyrillic": ("Синьхуа",),
    },
    "China News Service": {"latin": ("China News Service",), "han": ("中新社",)},
    "CNA": {"latin": ("Central News Agency",), "han": ("中央社",)},
    "KUNA": {"latin": ("KUNA",), "arabic": ("كونا",)},
    "SPA": {"latin": ("SPA", "Saudi Press Agency"), "arabic": ("واس",)},
    "WAM": {"latin": ("WAM",), "arabic": ("وام",)},
    "MENA": {"latin": ("MENA",), "arabic": ("أ ش أ", "أ.ش.أ")},
    "QNA": {"latin": ("QNA",), "arabic": ("قنا",)},
    "BNA": {"latin": ("BNA",)},
    "ONA": {"latin": ("ONA",), "arabic": ("العمانية",)},
    "Petra": {"latin": ("Petra", "PETRA"), "arabic": ("بترا",)},
    "SANA": {"latin": ("SANA",), "arabic": ("سانا",)},
    "NNA": {"latin": ("NNA",)},
    "MAP": {"latin": ("MAP",), "arabic": ("لاماب", "و م ع")},
    "APS": {"latin": ("APS",)},
    "TAP": {"latin": ("TAP",)},
    "IRNA": {"latin": ("IRNA",), "arabic": ("إرنا", "ارنا")},
    "Anadolu": {
        "latin": ("Anadolu", "Anadolu Agency", "Anadolu Ajansı", "AA"),
        "arabic": ("الأناضول", "الاناضول", "اناطولیہ"),
        "han": ("阿纳多卢通讯社", "阿纳多卢"),
    },
    "BERNAMA": {"latin": ("BERNAMA", "Bernama"), "han": ("马新社",)},
    "Antara": {"latin": ("Antara", "ANTARA"), "han": ("安塔拉",)},
    "Yonhap": {
        "latin": ("Yonhap", "YONHAP"),
        "han": ("韩联社",),
        "japanese": ("聯合ニュース", "聯合"),
        "hangul": ("연합뉴스",),
    },
    "Kyodo": {
        "latin": ("Kyodo", "KYODO"),
        "han": ("共同社",),
        "japanese": ("共同通信", "共同"),
        "hangul": ("교도통신",),
    },
    "Jiji": {"latin": ("Jiji", "Jiji Press"), "japanese": ("時事通信", "時事")},
    "TASS": {"latin": ("TASS", "Tass"), "han": ("塔斯社",), "japanese": ("タス通信",), "cyrillic": ("ТАСС",)},
    "RIA Novosti": {
        "latin": ("RIA Novosti", "RIA"),
        "han": ("俄新社",),
        "cyrillic": ("РИА Новости", "РИА"),
    },
    "Interfax": {"latin": ("Interfax",), "cyrillic": ("Интерфакс", "Интерфакса", "Интерфаксу")},
    "Sputnik": {"latin": ("Sputnik",), "han": ("俄罗斯卫星通讯社",), "cyrillic": ("Спутник",)},
    "Ukrinform": {"latin": ("Ukrinform",), "cyrillic": ("Укрінформ", "Укринформ")},
    "UNIAN": {"latin": ("UNIAN",), "cyrillic": ("УНІАН", "УНИАН")},
}

# Words before or after an agency's name that make it a credit, by kind (regular
# expression fragments, matched ignoring case: "before" must end where the name starts,
# "after" must start where it ends).
#   told: the agency did the reporting ("told Reuters", "a souligné à l'AFP");
#   with: a republisher credits the agency it took the story from ("avec AFP").
CREDIT_FORMS: dict[str, dict[str, tuple[str, ...]]] = {
    "told": {
        "before": (
            r"\btold\s+", r"\bin\s+an\s+interview\s+with\s+", r"\bà\s+l['’]\s*", r"\bà\s+", r"\ball['’]\s*",
            r"\bgegenüber\s+(?:der\s+|dem\s+)?", r"\bsagte\s+(?:der\s+|dem\s+)",
            r"\b(?:dijo|declaró|explicó|afirmó|indicó|aseguró|señaló)\s+a\s+(?:la\s+)?",
            r"\b(?:disse|declarou|afirmou|explicou)\s+(?:à|ao)\s+", r"\bha\s+detto\s+(?:all['’]\s*|ad\s+|a\s+)",
            r"\b(?:рассказал|заявил|сообщил|сказал|пояснил)[аи]?\s+",
            r"(?<![^\W\d_])لوكالة\s+", r"接受",
        ),
        "after": (
            r"\s*(?:کو|سے)\s+(?:بتایا|گفتگو|بات\s*چیت|انٹرویو)", r"\s*(?:को|से)\s+(?:बताया|कहा|बातचीत)",
            r"(?:记者)?(?:表示|说|透露|采访|专访)", r"(?:の)?(?:取材|インタビュー)に", r"に(?:語った|述べた|明らかにした)",
            r"(?:과의|와의|에)\s*(?:인터뷰|통화|말했다|밝혔다)", r"['’]?(?:ya|ye|na|ne)\s+(?:konuştu|açıklama)",
            r"\s+muhabirine",
        ),
    },
    "with": {
        "before": (
            r"\bavec\s+(?:l['’]\s*)?", r"\bwith\s+", r"\bmit\s+", r"\bcon\s+", r"\bsources?\s*:\s*",
            r"\bselon\s+l['’]\s*", r"\baccording\s+to\s+", r"\bd['’]après\s+l['’]\s*", r"\brapporte\s+l['’]\s*",
            r"\bsegún\s+(?:la\s+)?(?:agencia\s+)?", r"\bsegundo\s+a\s+(?:agência\s+)?", r"\bsecondo\s+l['’]\s*",
            r"\bberichtet(?:e)?\s+(?:die\s+)?(?:Nachrichtenagentur\s+)?", r"\bmeldet(?:e)?\s+(?:die\s+)?",
            r"\b(?:сообщает|передает|передаёт|пишет|по\s+данным|по\s+сообщению|со\s+ссылкой\s+на)\s+",
            r"بحوالہ\s*", r"(?:نقلا|نقلاً)\s+عن\s+(?:وكالة\s+)?", r"(?:وفقا|وفقاً|طبقا|طبقاً)\s+ل(?:وكالة\s+)?",
            r"(?:حسب|بحسب)\s+(?:وكالة\s+)?", r"(?:ذكرت|أفادت|أوردت)\s+(?:وكالة\s+)?", r"(?:据|援引|引述)",
        ),
        "after": (
            r"\s*(?:کی\s+(?:ایک\s+)?(?:رپورٹ|خبر)\s+)?کے\s+مطابق", r"\s*के\s+(?:अनुसार|मुताबिक)",
            r"\s*की\s+(?:खबर|रिपोर्ट)", r"(?:\d{1,2}日)?(?:报道|消息称)", r"(?:によると|が(?:報じた|伝えた)|の報道)",
            r"(?:통신)?(?:에\s*따르면|(?:은|는|이|가)\s*(?:보도|전했))", r"\s+zufolge",
            r"['’]?(?:nın|nin|ın|in)\s+haberine\s+göre",
        ),
    },
}

# Words in brackets beside a name that make them a picture's credit, not the text's.
PICTURE_WORDS: tuple[str, ...] = (
    "photo", "photos", "foto", "fotos", "image", "images", "picture", "pic", "bild", "video", "crédit photo",
    "via", "file", "getty", "pool", "shutterstock",
    "фото", "فوٹو", "تصویر", "صورة", "फोटो", "तस्वीर", "图", "摄", "写真", "사진",
)
# "By The Associated Press", "Par l'AFP", "Von dpa" at the start of a line.
BYLINE_WORDS: tuple[str, ...] = ("by", "par", "von", "por", "di", "door")
