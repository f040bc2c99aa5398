"""Deterministic generator of news-like corpora with planted rewrite families.

Each *event* has its own people, places, figures and official quotes. Each event gets
an agency dispatch (several paragraphs, 300-900 words, French or English), which sites
republish as a family of rewrites: verbatim reposts with boilerplate, trims, reordered
paragraphs, re-quoted versions, versions with added background, and paraphrases. Each
event also gets articles written independently by other newsrooms: they share the
event's names, figures, stock phrases and quotes, but not its narrative. Those are the
hard negatives. Ground truth is the ``family`` field: articles with the same family are
copies of one dispatch; independent articles have a family of their own.

    python -m benchmarks.corpus --articles 10000 --seed 7 -o corpus.jsonl
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FR_FUNCTION = "le la les un une des du de et à au aux en dans sur pour par avec sans sous entre vers qui que dont où mais ou donc car ne pas plus très aussi déjà encore".split()
EN_FUNCTION = "the a an of to in on for with by from at as and but or that which who whose while after before over under about into than not also already still".split()
FR_CONTENT = """gouvernement ministre président accord sommet crise sécurité frontière élection parlement budget réforme
enquête police tribunal procès victimes blessés secours incendie séisme inondation tempête récolte prix marché
entreprise usine salariés grève syndicat négociation sanctions exportations importations croissance inflation
banque taux dette déficit hôpital médecins patients vaccin école élèves université chercheurs climat émissions
énergie pétrole gaz électricité réseau transport train aéroport vols passagers port navire armée soldats drone
missile attaque cessez-le-feu réfugiés camp aide humanitaire convoi ambassade diplomate délégation déclaration
communiqué porte-parole conférence rapport chiffres hausse baisse record région ville capitale quartier village
habitants manifestants rassemblement cortège opposition majorité coalition vote scrutin candidat campagne sondage
tribune juge avocat plainte détention libération otages négociateurs médiation rencontre entretien visite voyage
annonce décision mesure projet plan programme stratégie fonds investissement contrat livraison commande production""".split()
EN_CONTENT = """government minister president agreement summit crisis security border election parliament budget reform
investigation police court trial victims injured rescue fire earthquake flood storm harvest prices market company
factory workers strike union negotiation sanctions exports imports growth inflation bank rates debt deficit
hospital doctors patients vaccine school pupils university researchers climate emissions energy oil gas power
grid transport train airport flights passengers port ship army soldiers drone missile attack ceasefire refugees
camp aid humanitarian convoy embassy diplomat delegation statement spokesman conference report figures rise fall
record region city capital district village residents protesters rally march opposition majority coalition vote
ballot candidate campaign poll judge lawyer complaint detention release hostages negotiators mediation meeting
talks visit trip announcement decision measure project plan programme strategy fund investment contract delivery
order production""".split()
FR_VERBS = "a annoncé a déclaré a indiqué a précisé a affirmé a démenti a rappelé a souligné a estimé a dénoncé a confirmé a reconnu".split(" a ")
EN_VERBS = "said announced stated explained confirmed denied warned stressed estimated condemned acknowledged added".split()
FR_STOCK = [
    "selon un communiqué officiel", "a indiqué une source proche du dossier", "d'après les premiers éléments de l'enquête",
    "dans un contexte de fortes tensions", "a-t-on appris auprès des autorités", "le bilan pourrait encore s'alourdir",
]
EN_STOCK = [
    "according to an official statement", "a source close to the matter said", "according to preliminary findings",
    "amid heightened tensions", "officials told reporters", "the toll could still rise",
]
FIRST = "Jean Marie Pierre Sophie Ahmed Li Ana Lucas Olga Karim Elena Tomás Yuki Amara Viktor Ines Paul Nadia".split()
LAST = "Martin Dubois Okafor Nakamura Petrov García Rossi Haddad Novak Silva Lindqvist Moreau Kowalski Mendes Brun".split()
PLACES = "Lyon Marseille Kyiv Dakar Quito Oslo Tunis Manille Lima Abidjan Riga Porto Bilbao Gdansk Hanoi Nairobi".split()
BOILERPLATE_FR = ["Crédit: Lien source", "Les commentaires sont fermés.", "Partager sur Facebook", "Abonnez-vous à notre newsletter", "© 2024 Tous droits réservés"]
BOILERPLATE_EN = ["Share this article", "Comments are closed.", "Sign up for our newsletter today", "© 2024 All rights reserved", "Read more: latest headlines"]
SYNONYMS_FR = {"a annoncé": "a fait savoir", "a déclaré": "a affirmé", "hausse": "augmentation", "baisse": "recul", "gouvernement": "exécutif", "ministre": "responsable", "habitants": "riverains", "entreprise": "société", "rencontre": "réunion", "ville": "commune"}
SYNONYMS_EN = {"said": "stated", "announced": "revealed", "rise": "increase", "fall": "drop", "government": "administration", "minister": "official", "residents": "locals", "company": "firm", "meeting": "session", "city": "town"}

REWRITES = ("verbatim", "trim", "reorder", "requote", "background", "paraphrase")


@dataclass(frozen=True)
class Article:
    doc_id: str
    text: str
    family: str
    kind: str
    source: str
    published: str

    def to_json(self) -> str:
        return json.dumps(
            {"id": self.doc_id, "text": self.text, "family": self.family, "kind": self.kind,
             "source": self.source, "published": self.published},
            ensure_ascii=False,
        )


class _Event:
    def __init__(self, rng: random.Random, lang: str, number: int) -> None:
        self.rng, self.lang, self.number = rng, lang, number
        self.people = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(3)]
        self.place = rng.choice(PLACES)
        self.figures = [str(rng.randint(3, 900)) for _ in range(3)]
        content = FR_CONTENT if lang == "fr" else EN_CONTENT
        self.topic = rng.sample(content, 25)
        self.quotes = [self._words(rng.randint(7, 14), topical=True) for _ in range(3)]

    def _words(self, count: int, topical: bool = False) -> str:
        rng = self.rng
        function = FR_FUNCTION if self.lang == "fr" else EN_FUNCTION
        content = FR_CONTENT if self.lang == "fr" else EN_CONTENT
        words = []
        for _ in range(count):
            if rng.random() < 0.4:
                words.append(rng.choice(function))
            else:
                words.append(rng.choice(self.topic if topical and rng.random() < 0.5 else content))
        return " ".join(words)

    def quote(self, k: int, style: str) -> str:
        open_, close = ("« ", " »") if style == "guillemets" else ("\u201c", "\u201d") if style == "curly" else ('"', '"')
        return f"{open_}{self.quotes[k]}{close}"

    def sentence(self, style: str) -> str:
        rng = self.rng
        parts = [self._words(rng.randint(6, 14), topical=True)]
        roll = rng.random()
        if roll < 0.25:
            verb = rng.choice(FR_VERBS if self.lang == "fr" else EN_VERBS).strip()
            if self.lang == "fr" and not verb.startswith("a "):
                verb = "a " + verb
            parts.append(f"{rng.choice(self.people)} {verb} que {self.quote(rng.randrange(3), style)}"
                         if self.lang == "fr" else f"{rng.choice(self.people)} {verb} that {self.quote(rng.randrange(3), style)}")
        elif roll < 0.45:
            parts.append(rng.choice(FR_STOCK if self.lang == "fr" else EN_STOCK))
        elif roll < 0.6:
            parts.append(f"{rng.choice(self.figures)} {self._words(2)} {self.place}")
        parts.append(self._words(rng.randint(4, 10), topical=True))
        text = ", ".join(parts)
        return text[0].upper() + text[1:] + "."

    def paragraph(self, style: str) -> str:
        return " ".join(self.sentence(style) for _ in range(self.rng.randint(2, 4)))

    def article(self, words: int, style: str) -> list[str]:
        paragraphs: list[str] = []
        while sum(len(p.split()) for p in paragraphs) < words:
            paragraphs.append(self.paragraph(style))
        return paragraphs


def _paraphrase(sentence: str, rng: random.Random, lang: str) -> str:
    synonyms = SYNONYMS_FR if lang == "fr" else SYNONYMS_EN
    for word, other in synonyms.items():
        sentence = sentence.replace(word, other)
    words = sentence.split()
    # swap a few neighbouring words and drop one: most 5-grams of the sentence change
    for _ in range(max(1, len(words) // 6)):
        k = rng.randrange(max(1, len(words) - 1))
        words[k], words[k + 1 if k + 1 < len(words) else k] = words[k + 1 if k + 1 < len(words) else k], words[k]
    if len(words) > 8:
        del words[rng.randrange(1, len(words) - 1)]
    return " ".join(words)


def _rewrite(kind: str, paragraphs: list[str], event: _Event, rng: random.Random) -> list[str]:
    lang = event.lang
    if kind == "verbatim":
        return list(paragraphs)
    if kind == "trim":
        keep = max(2, int(len(paragraphs) * rng.uniform(0.4, 0.7)))
        return paragraphs[:keep]
    if kind == "reorder":
        body = paragraphs[1:]
        rng.shuffle(body)
        return paragraphs[:1] + body
    if kind == "requote":
        swapped = []
        for p in paragraphs:
            p = p.replace("« ", "\u201c").replace(" »", "\u201d") if "« " in p else p.replace('"', "«", 1)
            swapped.append(p.replace("«", "« ").replace("« \u201c", "\u201c"))
        return swapped
    if kind == "background":
        extra = event.article(rng.randint(120, 250), "straight")
        return paragraphs[: max(3, len(paragraphs) * 2 // 3)] + extra
    if kind == "paraphrase":
        out = []
        for p in paragraphs:
            sentences = p.split(". ")
            out.append(". ".join(_paraphrase(s, rng, lang) if rng.random() < 0.35 else s for s in sentences))
        return out[: max(3, len(out) * 3 // 4)]
    raise ValueError(kind)


def generate(articles: int, seed: int = 1, family_share: float = 0.45, independent_per_event: int = 2) -> Iterator[Article]:
    """Yield ``articles`` articles, deterministically for a given ``seed``."""
    rng = random.Random(seed)
    produced = 0
    event_number = 0
    while produced < articles:
        event_number += 1
        lang = "fr" if rng.random() < 0.5 else "en"
        event = _Event(random.Random(rng.getrandbits(64)), lang, event_number)
        style = rng.choice(["guillemets", "curly", "straight"]) if lang == "fr" else rng.choice(["curly", "straight"])
        dispatch = event.article(rng.randint(300, 900), style)
        agency = rng.choice(["AFP", "Reuters", "AP"])
        family = f"f{event_number:07d}"
        dateline = f"{event.place.upper()} ({agency}) - "
        day = f"2024-{1 + event_number % 12:02d}-{1 + event_number % 28:02d}"
        members: list[tuple[str, list[str]]] = [("original", [dateline + dispatch[0]] + dispatch[1:])]
        if rng.random() < family_share * 2:
            for _ in range(rng.randint(1, 5)):
                kind = rng.choice(REWRITES)
                members.append((kind, _rewrite(kind, dispatch, event, rng)))
        boiler = BOILERPLATE_FR if lang == "fr" else BOILERPLATE_EN
        for number, (kind, paragraphs) in enumerate(members):
            if produced >= articles:
                return
            text = "\n\n".join(paragraphs)
            if kind != "original" and rng.random() < 0.6:
                text += "\n" + "\n".join(rng.sample(boiler, rng.randint(1, 3)))
            source = agency.lower() if kind == "original" else f"site{rng.randint(1, 40):02d}"
            yield Article(f"e{event_number:07d}-{number}", text, family, kind, source, day)
            produced += 1
        for number in range(independent_per_event if rng.random() < 0.6 else 0):
            if produced >= articles:
                return
            own = event.article(rng.randint(300, 700), rng.choice(["guillemets", "curly", "straight"]))
            yield Article(f"e{event_number:07d}-i{number}", "\n\n".join(own), f"{family}-i{number}",
                          "independent", f"outlet{rng.randint(1, 20):02d}", day)
            produced += 1


def true_pairs(articles: list[Article]) -> set[tuple[str, str]]:
    """Every pair of ids (sorted) that belong to one family."""
    by_family: dict[str, list[str]] = {}
    for article in articles:
        by_family.setdefault(article.family, []).append(article.doc_id)
    pairs = set()
    for ids in by_family.values():
        ids.sort()
        pairs.update((a, b) for i, a in enumerate(ids) for b in ids[i + 1 :])
    return pairs


def write_corpus(path: Path, articles: int, seed: int) -> int:
    opener = gzip.open if path.name.endswith(".gz") else open
    count = 0
    with opener(path, "wt", encoding="utf-8") as out:
        for article in generate(articles, seed):
            out.write(article.to_json() + "\n")
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    count = write_corpus(args.output, args.articles, args.seed)
    print(f"wrote {count} articles to {args.output}")


if __name__ == "__main__":
    main()
