"""Page furniture learned by the index as it adds articles.

:func:`dedup.text.furniture.learn_furniture`'s rule over every article added so far: a
short line on at least ``min_documents`` pages of one outlet and on ``min_share`` of them
is furniture. The store keeps the counts (pages per outlet, pages per outlet and line) and
the lines learned. Articles already in the index, or repeated in a batch, are not counted
again. A learned line stays learned, and articles indexed before it was learned keep
their fingerprints: an outlet's first pages may match through their furniture until the
line reaches the rule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace

from dedup.document import Document
from dedup.index.prepare import PreparedBatch, prepare_documents
from dedup.index.store import Store
from dedup.match.fingerprint import content_and_line_keys
from dedup.story.result import ScanConfig
from dedup.text.furniture import outlet_of


def learn_from_batch(
    config: ScanConfig, store: Store, prepared: PreparedBatch, existing: Callable[[str], str | None],
    bands: int, rows: int,
) -> tuple[ScanConfig, PreparedBatch]:
    """Count a batch's short lines, learn the furniture they make, and fingerprint again the
    batch's articles that carry a line learned since the batch was fingerprinted (by this
    batch, or by an earlier one while workers were ahead), so that ``--jobs`` changes nothing.

    ``existing(doc_id)`` tells an article already indexed. Returns the configuration with
    the learned lines and the batch as the index should add it.
    """
    rule = config.furniture
    pages: Counter[str] = Counter()
    lines: Counter[tuple[str, int]] = Counter()
    seen: set[str] = set()
    for article, keys in zip(prepared.articles, prepared.line_keys):
        doc = article.doc
        outlet = outlet_of(doc)
        if outlet is not None and doc.doc_id not in seen and existing(doc.doc_id) is None:
            pages[outlet] += 1
            lines.update((outlet, key) for key in keys.tolist())
        seen.add(doc.doc_id)
    if pages:
        page_totals, line_totals = store.count_furniture(dict(pages), dict(lines))
        learned = {
            key for (outlet, key), count in line_totals.items()
            if count >= rule.min_documents and count >= rule.min_share * page_totals[outlet]
        } - config.boilerplate.learned
        if learned:
            store.add_learned_furniture(learned)
            config = replace(config, boilerplate=config.boilerplate.with_learned(learned))
    since = config.boilerplate.learned - prepared.config.boilerplate.learned
    carriers = [k for k, keys in enumerate(prepared.line_keys) if since and not since.isdisjoint(keys.tolist())]
    if not carriers:
        return config, prepared
    articles = list(prepared.articles)
    for k, article in zip(carriers, prepare_documents([articles[k].doc for k in carriers], config, bands, rows)):
        articles[k] = article
    # units made under the older rules are dropped: the batch makes its own
    return config, PreparedBatch(articles, None, prepared.line_keys, config)


def furniture_carriers(config: ScanConfig, documents: Sequence[Document]) -> int:
    """How many of ``documents`` carry a line learned as furniture."""
    learned = config.boilerplate.learned
    if not learned:
        return 0
    plain = replace(config.boilerplate, learned=frozenset())
    ignore = config.fingerprint.ignore_quotes
    return sum(1 for d in documents if not learned.isdisjoint(content_and_line_keys(d.text, plain, ignore)[1]))
