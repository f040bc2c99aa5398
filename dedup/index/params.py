"""The parameters an index is made with, and how they are compared with a later run's."""

from __future__ import annotations

import functools
import json

import numpy as np

from dedup.errors import IncompatibleDataError
from dedup.index.store import FORMAT_VERSION, READABLE_VERSIONS, Store
from dedup.match.fingerprint import FingerprintConfig
from dedup.match.lsh import LSHConfig
from dedup.match.minhash import MinHashConfig
from dedup.match.shingle import ShingleConfig
from dedup.match.verify import MatchConfig
from dedup.story.cluster import ClusterConfig
from dedup.story.result import ScanConfig
from dedup.text.boilerplate import BoilerplateRules
from dedup.text.normalize import FOLDED_CHARACTERS, NormalizeConfig, normalize_text
from dedup.text.scripts import CHAR_CLASS, SPACELESS

# The rules that turn text into words, and so into shingles. Shingles made under other
# rules do not compare with this dedup's. Rules 1 (indexes without "text_rules") took a
# run of letters of a spaceless script (Chinese, Japanese, Thai...) for one word, kept
# optional Arabic and Hebrew marks, and did not fold letter variants and digits; rules 2
# are dedup.text.normalize and dedup.text.scripts as they are now. Raise it whenever a
# change to them changes the shingles of some text.
TEXT_RULES = 2
# The index judges pairs by shingles and passages only: the evidence of words told in order
# needs the word weights of a whole corpus, which an index does not keep. Its parameters
# leave those thresholds out, and its configuration turns that evidence off.
INDEX_UNUSED_MATCH = ("min_aligned", "min_aligned_other", "min_aligned_order")

@functools.cache
def rules_1_differ() -> np.ndarray:
    """Which code points below U+20000 have other words under rules 1 than under rules 2.

    Letters of spaceless scripts; the marks and letter variants normalisation now removes
    or folds (:data:`~dedup.text.normalize.FOLDED_CHARACTERS`); and the characters whose
    compatibility form holds one (Hebrew and Arabic presentation forms). Made once per
    process, in about a second, when an index made under rules 1 is opened.
    """
    table = CHAR_CLASS == SPACELESS
    rules_1 = NormalizeConfig(strip_optional_marks=False, fold_letter_variants=False)
    for code in range(0x80, len(table)):
        if not table[code]:
            text = f"\u0628{chr(code)}\u0628"  # between two letters that fold and compose with nothing
            table[code] = bool(FOLDED_CHARACTERS.search(text)) or normalize_text(text) != normalize_text(text, rules_1)
    return table


def text_rules_of(params: dict) -> int:
    """The text rules an index's stored ``params`` were made under."""
    return int(params.get("text_rules", 1))


def words_differ_under(rules: int, text: str) -> bool:
    """Whether ``text`` has other shingles under text ``rules`` than under :data:`TEXT_RULES`.

    Vectorised over the text's code points: an index made under older rules is checked
    article by article, once.
    """
    if rules == TEXT_RULES:
        return False
    if rules != 1:
        return True
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    differ = rules_1_differ()
    high = codes >= len(differ)
    if high.any():  # CJK extensions B and later are spaceless; other high planes are not
        if ((codes >= 0x20000) & (codes <= 0x3FFFF)).any():
            return True
        codes = codes[~high]
    return bool(differ[codes].any())


def settle_text_rules(store: Store, rules: int) -> None:
    """Bring an index made under older text ``rules`` up to date, or refuse it.

    Under older rules, only some texts have other shingles (:func:`words_differ_under`).
    An index holding none of them is marked as made under today's rules (once) and used
    as it is. One holding some is refused for adding and querying, since those articles
    would no longer match their own copies; reading it (export, stats, check, prune) is not
    affected.
    """
    differing = [row.doc_id for row in store.all_articles() if words_differ_under(rules, row.text)]
    if differing:
        raise IncompatibleDataError(
            f"the index was made by an earlier dedup (text rules {rules}; this dedup uses {TEXT_RULES}), "
            f"which made other words of {len(differing)} of its articles (the first is {differing[0]!r}): "
            "text in a script written without spaces, with Arabic or Hebrew marks, with Arabic-script "
            "letter variants or non-ASCII digits. They would no longer match their copies: rebuild the "
            "index with `dedup index add NEW_INDEX FEED...` (`dedup index export` still reads this one)"
        )
    stored = json.loads(store.read_meta()["params"])
    store.set_meta("params", json.dumps({**stored, "text_rules": TEXT_RULES}, sort_keys=True))


def index_params(config: ScanConfig) -> dict[str, object]:
    """The parameters an index is made with; every later use must match them."""
    bands, rows = config.lsh.resolve(config.fingerprint.minhash.num_perm)
    fp = config.fingerprint
    return {
        "text_rules": TEXT_RULES,
        "fingerprint": {
            "shingle_kind": fp.shingle.kind, "shingle_size": fp.shingle.size, "num_perm": fp.minhash.num_perm,
            "seed": fp.minhash.seed, "ignore_quotes": fp.ignore_quotes,
        },
        "lsh": {"bands": bands, "rows": rows, "min_hits": config.lsh.min_hits, "max_bucket": config.lsh.max_bucket,
                "threshold": config.lsh.threshold},
        "match": {k: v for k, v in config.match.describe().items() if k not in INDEX_UNUSED_MATCH},
        "cluster": config.cluster.describe(),
        "boilerplate_extra": list(config.boilerplate.extra),
    }


def config_from_params(params: dict, base: ScanConfig | None = None) -> ScanConfig:
    """The :class:`ScanConfig` an index was made with (reading options come from ``base``)."""
    base = base or ScanConfig()
    fp, lsh = params["fingerprint"], params["lsh"]
    return ScanConfig(
        fingerprint=FingerprintConfig(
            shingle=ShingleConfig(fp["shingle_kind"], fp["shingle_size"]),
            minhash=MinHashConfig(fp["num_perm"], fp["seed"]),
            ignore_quotes=fp["ignore_quotes"],
        ),
        lsh=LSHConfig(threshold=lsh["threshold"], bands=lsh["bands"], rows=lsh["rows"], min_hits=lsh["min_hits"],
                      max_bucket=lsh["max_bucket"]),
        match=MatchConfig(**params["match"], min_aligned=0.0),
        cluster=ClusterConfig(**params["cluster"]),
        diff=base.diff,
        boilerplate=BoilerplateRules(tuple(params["boilerplate_extra"])),
        read=base.read,
    )


def check_meta(meta: dict[str, str], config: ScanConfig | None) -> None:
    """Refuse an index of another format, or made with other parameters than ``config``'s."""
    version = meta.get("format_version")
    if version not in READABLE_VERSIONS:
        raise IncompatibleDataError(
            f"the index has format version {version}, this dedup reads version {FORMAT_VERSION}: "
            "rebuild it with `dedup index add` into a new index"
        )
    if config is not None:
        # the text rules are settled on their own, before the first add or query
        diff = differences(json.loads(meta["params"]), index_params(config), skip=("text_rules",))
        if diff:
            raise IncompatibleDataError(
                "the index was made with other parameters: " + "; ".join(diff)
                + " (leave those options out to use the index's own)"
            )


def differences(stored: dict, wanted: dict, prefix: str = "", skip: tuple[str, ...] = ()) -> list[str]:
    """Dotted names of the parameters that differ, with both values (top-level ``skip`` keys aside)."""
    out = []
    for key in sorted((set(stored) | set(wanted)) - set(skip)):
        a, b = stored.get(key), wanted.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += differences(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key} is {a!r} in the index, {b!r} here")
    return out
