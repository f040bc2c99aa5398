"""Boilerplate lines and leading metadata.

Republishing sites add credit lines, share and subscribe prompts and copyright footers.
They are kept out of fingerprints and out of the diff, and listed in reports as
boilerplate. The built-in list covers English, French, German, Spanish, Italian and
Portuguese; users add their own regular expressions as ``BoilerplateRules(extra=...)``
(``--boilerplate FILE`` on the command line, one pattern per line).

A pattern must match a whole line, after :func:`dedup.text.normalize.normalize_text`, so it is
written in lower case with straight quotes and apostrophes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from dedup.errors import InputError, ParameterError
from dedup.text.normalize import normalize_text

# Lines longer than this are never boilerplate: a real paragraph may mention copyright.
MAX_BOILERPLATE_CHARS = 160

BUILTIN_PATTERNS: tuple[str, ...] = (
    # credit and source lines
    r"(credit|credits|crédit|crédits|source|sources|quelle|fuente|fonte)\s*:.*",
    r"(lien source|source link|link to source|voir la source)",
    r"(photo|image|illustration|foto)\s*(credit)?\s*:.*",
    # comments
    r"(les )?commentaires (sont )?(fermés|désactivés)\.?",
    r"comments (are )?(closed|disabled)\.?",
    r"(die )?kommentare sind (geschlossen|deaktiviert)\.?",
    r"(los )?comentarios (están )?cerrados\.?",
    r"(i )?commenti sono chiusi\.?",
    r"(leave a|add a|post a|laisser un|ajouter un) (comment|commentaire).*",
    # share and follow
    r"(share|partager|partagez|teilen|compartir|condividi|compartilhar)( (this|cet|cette|ce|on|sur|en|su|auf|no|article|artikel|artículo|articolo|artigo|story|post)\b.*)?[:.!]?",
    r"(partager|share|teilen|compartir)( sur| on| auf| en)? (facebook|twitter|x|linkedin|whatsapp|email|e-mail).*",
    r"(follow us|suivez-nous|folgen sie uns|síguenos|seguici|siga-nos)\b.*",
    r"(tweet|pin it|email this|imprimer|print)( this( article)?)?\.?",
    # subscriptions and newsletters
    r".*\b(subscribe|abonnez-vous|abonnieren|suscríbete|suscribete|abbonati|assine)\b.{0,100}",
    r".*\b(sign up for|inscrivez-vous à|inscrivez-vous a|melden sie sich)\b.*\bnewsletter\b.*",
    r".*\bnewsletter\b.{0,60}",
    # copyright footers
    r"(©|\(c\)|copyright)\s*.*",
    r".*\b(all rights reserved|tous droits réservés|alle rechte vorbehalten|todos los derechos reservados|tutti i diritti riservati)\b.*",
    # navigation and advertising
    r"(read more|lire (aussi|la suite|plus)|à lire aussi|a lire aussi|voir aussi|see also|related|mehr zum thema|leer más|leggi anche|leia mais)\b.*",
    r"(advertisement|publicité|anzeige|publicidad|pubblicità|publicidade)\.?",
    r"(click here|cliquez ici|hier klicken|haga clic aquí)\b.*",
)


def line_key(normalized: str) -> int:
    """A stable 64-bit key of a normalised line (the same in every process and on every machine)."""
    digest = hashlib.blake2b(normalized.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


@dataclass(frozen=True)
class BoilerplateRules:
    """The built-in whole-line boilerplate patterns plus the user's ``extra`` ones.

    ``learned`` holds the keys (:func:`line_key`) of lines a scan found recurring across
    an outlet's pages: page furniture nobody listed (see :mod:`dedup.text.furniture`).
    """

    extra: tuple[str, ...] = ()
    learned: frozenset[int] = frozenset()
    _compiled: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        compiled = []
        for pattern in BUILTIN_PATTERNS + self.extra:
            try:
                compiled.append(re.compile(pattern))
            except re.error as exc:
                raise ParameterError(f"invalid boilerplate pattern {pattern!r}: {exc}") from exc
        object.__setattr__(self, "_compiled", tuple(compiled))

    def is_boilerplate(self, line: str) -> bool:
        """Whether a raw line (any case or typography) is boilerplate."""
        return len(line) <= MAX_BOILERPLATE_CHARS and self.matches_normalized(normalize_text(line))

    def matches_normalized(self, norm: str) -> bool:
        """Whether an already normalised line matches a pattern or was learned (its length is not checked)."""
        if not norm:
            return False
        if self.learned and line_key(norm) in self.learned:
            return True
        return any(p.fullmatch(norm) for p in self._compiled)

    def with_learned(self, keys: Iterable[int]) -> BoilerplateRules:
        """These rules plus the learned furniture lines ``keys``."""
        return replace(self, learned=self.learned | frozenset(int(k) for k in keys))


DEFAULT_RULES = BoilerplateRules()


def load_patterns(path: str | Path) -> tuple[str, ...]:
    """Read one pattern per line from ``path``; blank lines and ``#`` comments are skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read boilerplate patterns: {exc}", str(path)) from exc
    return tuple(
        line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    )


# Leading metadata: a scraper often prefixes the body with "date 2024-04" or puts
# "Published: 3 April 2024" on the first line. Keys are recognised in several languages.
_META_KEYS = {
    "date": "date",
    "published": "published",
    "publié le": "published",
    "publié": "published",
    "mis à jour": "updated",
    "mis à jour le": "updated",
    "updated": "updated",
    "veröffentlicht": "published",
    "publicado": "published",
    "pubblicato": "published",
    "author": "author",
    "auteur": "author",
    "by": "author",
    "par": "author",
}
_DATE = r"\d{4}-\d{2}(?:-\d{2})?(?:[t ]\d{2}:\d{2}(?::\d{2})?(?:z|[+-]\d{2}:?\d{2})?)?"
_META_PREFIX = re.compile(
    r"\s*(?P<key>date|published|updated|publié le|mis à jour le)\s*:?\s*(?P<value>" + _DATE + r")\s+",
    re.IGNORECASE,
)
_META_LINE = re.compile(
    r"\s*(?P<key>" + "|".join(sorted(map(re.escape, _META_KEYS), key=len, reverse=True)) + r")\s*:\s*(?P<value>.{1,80}?)\s*",
    re.IGNORECASE,
)


def split_leading_metadata(text: str) -> tuple[dict[str, str], int]:
    """Find metadata at the very start of ``text``.

    Returns the metadata and the offset where the body starts. Whole lines of the form
    ``Key: value`` and a ``date 2024-04`` prefix before the first sentence both count.

    >>> split_leading_metadata(" date 2024-04 Le ministre a parlé.")
    ({'date': '2024-04'}, 14)
    """
    metadata: dict[str, str] = {}
    offset = 0
    while offset < len(text):
        line_end = text.find("\n", offset)
        line_end = len(text) if line_end < 0 else line_end
        line = text[offset:line_end]
        whole = _META_LINE.fullmatch(line)
        if whole and _META_KEYS[whole["key"].lower()] not in metadata:
            metadata[_META_KEYS[whole["key"].lower()]] = whole["value"]
            offset = line_end + 1
            continue
        prefix = _META_PREFIX.match(text, offset, line_end)
        if prefix and _META_KEYS[prefix["key"].lower()] not in metadata:
            metadata[_META_KEYS[prefix["key"].lower()]] = prefix["value"]
            offset = prefix.end()
            continue
        break
    return metadata, min(offset, len(text))
