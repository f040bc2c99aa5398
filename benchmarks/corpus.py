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

``--kind web`` (:func:`generate_web`) writes a harder corpus of long web pages instead.
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


FURNITURE_EN = """home world politics business tech science health sport culture opinion video podcasts weather travel
style food local obituaries puzzles newsletters subscribe sign in account log out search menu live latest most read
popular trending follow us share email print save cookies privacy policy terms of use contact advertise careers
about help accessibility sitemap archive corrections ethics standards app download edition today weekly daily
briefing alerts offers deals premium member digital print subscription manage settings""".split()
FURNITURE_FR = """accueil monde politique économie tech sciences santé sport culture idées vidéo podcasts météo voyage
style cuisine régions nécrologie jeux newsletters abonnez-vous connexion compte déconnexion recherche menu direct
dernières infos les plus lus tendances suivez-nous partager e-mail imprimer enregistrer cookies confidentialité
conditions contact publicité emploi à propos aide accessibilité plan du site archives rectificatifs déontologie
application télécharger édition aujourd'hui hebdomadaire quotidien briefing alertes offres premium abonné numérique
papier abonnement gérer paramètres""".split()
MORE_SYNONYMS_EN = {"police": "officers", "court": "tribunal", "workers": "employees", "prices": "costs", "talks": "negotiations", "attack": "strike", "report": "study", "plan": "scheme", "vote": "ballot", "region": "area", "investigation": "inquiry", "statement": "release"}
MORE_SYNONYMS_FR = {"police": "forces de l'ordre", "tribunal": "cour", "salariés": "employés", "prix": "tarifs", "enquête": "investigation", "attaque": "offensive", "rapport": "étude", "plan": "programme", "vote": "scrutin", "région": "territoire", "déclaration": "communiqué"}
WEB_REWRITES = REWRITES + ("rewrite",)


class _Outlet:
    """A site's page furniture: navigation, fixed widgets, a newsletter block and a footer."""

    def __init__(self, rng: random.Random, number: int, lang: str) -> None:
        words = FURNITURE_FR if lang == "fr" else FURNITURE_EN
        self.name, self.lang = f"{'site' if lang == 'en' else 'journal'}{number:03d}", lang
        self.nav = " | ".join(w.capitalize() for w in rng.sample(words, rng.randint(10, 18)))
        self.widgets = [" ".join(rng.choice(words) for _ in range(rng.randint(20, 60))) for _ in range(rng.randint(2, 4))]
        self.newsletter = " ".join(rng.choice(words) for _ in range(rng.randint(30, 70)))
        self.footer = " ".join(rng.choice(words) for _ in range(rng.randint(40, 100)))

    def page(self, headline: str, body: list[str], most_read: list[str], rng: random.Random) -> str:
        """A page: navigation, headline, body, a widget or two, the day's most-read headlines, newsletter, footer."""
        lines = [self.nav, headline, "\n\n".join(body)]
        lines += rng.sample(self.widgets, rng.randint(1, len(self.widgets)))
        lines += ["Most read" if self.lang == "en" else "Les plus lus", *most_read, self.newsletter, self.footer]
        return "\n".join(lines)


def _reword(paragraphs: list[str], rng: random.Random, lang: str) -> list[str]:
    """A rewrite: synonyms swapped in most sentences, sentences reordered inside each paragraph."""
    synonyms = {**(SYNONYMS_FR if lang == "fr" else SYNONYMS_EN), **(MORE_SYNONYMS_FR if lang == "fr" else MORE_SYNONYMS_EN)}
    out = []
    for p in paragraphs:
        sentences = p.split(". ")
        rng.shuffle(sentences)
        reworded = []
        for sentence in sentences:
            if rng.random() < 0.6:
                for word, other in synonyms.items():
                    if rng.random() < 0.7:
                        sentence = sentence.replace(word, other)
            reworded.append(sentence)
        out.append(". ".join(reworded))
    return out


def generate_web(articles: int, seed: int = 1, big_share: float = 0.002, digest_share: float = 0.08) -> Iterator[Article]:
    """Yield ``articles`` web pages (1-4k words), deterministically for a given ``seed``.

    Each page carries its outlet's furniture (navigation, widgets, newsletter block, footer
    and the day's most-read headlines) around the story. Families are as in
    :func:`generate`, plus heavier rewrites (synonyms swapped, sentences reordered) and, for
    ``big_share`` of the events, a wire story republished 100-250 times. Digest pages carry
    the opening paragraph or two of 4-8 recent stories; a digest belongs to no family (its
    family is its own id): it copies no story, so a pair joining it to one is a false
    positive, and so is every pair a digest bridges between two stories' clusters.
    """
    rng = random.Random(seed)
    outlets = {lang: [_Outlet(random.Random(rng.getrandbits(64)), n, lang) for n in range(1, 31)] for lang in ("en", "fr")}
    recent: dict[str, list[tuple[str, list[str]]]] = {"en": [], "fr": []}
    produced = event_number = 0
    while produced < articles:
        event_number += 1
        lang = "fr" if rng.random() < 0.5 else "en"
        event = _Event(random.Random(rng.getrandbits(64)), lang, event_number)
        style = rng.choice(["guillemets", "curly", "straight"]) if lang == "fr" else rng.choice(["curly", "straight"])
        headline = event._words(rng.randint(6, 10), topical=True).capitalize()
        dispatch = event.article(rng.randint(700, 3200), style)
        agency = rng.choice(["AFP", "Reuters", "AP"])
        family, day = f"f{event_number:07d}", f"2024-{1 + event_number % 12:02d}-{1 + event_number % 28:02d}"
        dispatch = [f"{event.place.upper()} ({agency}) - " + dispatch[0]] + dispatch[1:]
        most_read = [h for h, _ in recent[lang][-5:]]
        members: list[tuple[str, list[str]]] = [("original", dispatch)]
        copies = rng.randint(100, 250) if rng.random() < big_share else rng.randint(1, 6) if rng.random() < 0.9 else 0
        for _ in range(copies):
            kind = rng.choice(WEB_REWRITES)
            members.append((kind, _reword(dispatch, rng, lang) if kind == "rewrite" else _rewrite(kind, dispatch, event, rng)))
        for number, (kind, paragraphs) in enumerate(members):
            if produced >= articles:
                return
            outlet = rng.choice(outlets[lang])
            source = agency.lower() if kind == "original" else outlet.name
            text = "\n\n".join(paragraphs) if kind == "original" else outlet.page(headline, paragraphs, most_read, rng)
            yield Article(f"e{event_number:07d}-{number}", text, family, kind, source, day)
            produced += 1
        for number in range(2 if rng.random() < 0.6 else 0):
            if produced >= articles:
                return
            outlet = rng.choice(outlets[lang])
            own = event.article(rng.randint(600, 2500), rng.choice(["guillemets", "curly", "straight"]))
            title = event._words(rng.randint(6, 10), topical=True).capitalize()
            yield Article(f"e{event_number:07d}-i{number}", outlet.page(title, own, most_read, rng), f"{family}-i{number}",
                          "independent", outlet.name, day)
            produced += 1
        recent[lang] = (recent[lang] + [(headline, dispatch)])[-20:]
        if rng.random() < digest_share and len(recent[lang]) >= 8 and produced < articles:
            outlet = rng.choice(outlets[lang])
            stories = rng.sample(recent[lang], rng.randint(4, 8))
            body = [f"{h}. " + " ".join(paragraphs[: rng.randint(1, 2)]) for h, paragraphs in stories]
            title = "Morning briefing" if lang == "en" else "Le briefing du matin"
            doc_id = f"d{event_number:07d}"
            yield Article(doc_id, outlet.page(title, body, most_read, rng), doc_id, "digest", outlet.name, day)
            produced += 1


KINDS = {"news": generate, "web": generate_web}


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


def write_corpus(path: Path, articles: int, seed: int, kind: str = "news") -> int:
    opener = gzip.open if path.name.endswith(".gz") else open
    count = 0
    with opener(path, "wt", encoding="utf-8") as out:
        for article in KINDS[kind](articles, seed):
            out.write(article.to_json() + "\n")
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kind", choices=sorted(KINDS), default="news",
                        help="news: wire stories and their rewrites (the default); web: long pages with outlet furniture, "
                        "digests, big clusters and heavier rewrites.")
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    count = write_corpus(args.output, args.articles, args.seed, args.kind)
    print(f"wrote {count} articles to {args.output}")


if __name__ == "__main__":
    main()
