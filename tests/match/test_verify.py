"""The pair decision: evidence that fits the length of the text, and batched scoring equal to the loop."""

import dataclasses
import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from dedup.match.fingerprint import FingerprintConfig, content_text, fingerprint
from dedup.match.verify import (
    MatchConfig,
    PartialScores,
    ScoreColumns,
    build_unit_sets,
    build_units,
    merge_partial_scores,
    score_pair_batch,
    score_pairs,
)
from tests.conftest import SEEDS

AGENCY = (
    "The central bank raised its benchmark interest rate by half a percentage point on Thursday, the largest increase "
    "in more than two decades, as policymakers moved to curb inflation that has reached its highest level since 1991. "
    "The decision, announced after a two-day meeting in Frankfurt, lifts the deposit rate to 3.5 percent and was backed "
    "by all but two members of the governing council. "
    'Finance Minister Anna Berg said on Monday: "We will not raise taxes on families this year, whatever the pressure '
    'from our coalition partners," as the cabinet met in Oslo. '
    "Markets had priced in a smaller move, and the euro rose nearly one percent against the dollar within minutes of "
    "the announcement. Bank president Maria Lindqvist told a news conference that further increases were likely in the "
    "coming months. Consumer prices rose 8.1 percent in the year to May, according to figures published last week by "
    "the statistics office. Energy costs accounted for almost half of the increase, while food prices climbed at the "
    "fastest pace on record. Several governments have introduced subsidies to shield households from rising bills, a "
    "policy the bank has criticised as adding to inflation. Economists at three large lenders said they now expected "
    "the deposit rate to reach 4 percent by the end of the year. The next rate decision is due on September 14."
)
# An RSS lede: both sentences lightly edited, so neither keeps half of its 5-grams.
EDITED_LEDE = (
    "The central bank raised its key interest rate by half a point on Thursday, the biggest rise in more than two decades, "
    "as policymakers moved to curb inflation now at its highest level since 1991. The move, unveiled after two days of talks "
    "in Frankfurt, lifts the deposit rate to 3.5 percent and had the backing of all but two of the council's members."
)
# The same edits through a longer article: scattered shared phrases, no shared sentence.
EDITED_ARTICLE = EDITED_LEDE + (
    " Markets had expected a smaller step, and the euro gained almost one percent on the dollar within minutes."
    " Bank president Maria Lindqvist told reporters that more increases were probable over the coming months."
    " Consumer prices climbed 8.1 percent in the twelve months to May, the statistics office said last week."
)
INDEPENDENT_LEDE = (
    "Borrowing costs will rise again after rate setters in Frankfurt agreed a fresh half-point increase on Thursday. "
    "Economists had expected a smaller move, given signs that growth is slowing across the region."
)
QUOTE_LEDE = (
    'Finance Minister Anna Berg said on Monday: "We will not raise taxes on families this year, whatever the pressure '
    'from our coalition partners," as the cabinet met in Oslo.'
)
QUOTE_ELSEWHERE = (
    'Speaking to reporters, Berg insisted: "We will not raise taxes on families this year, whatever the pressure from '
    'our coalition partners."'
)


def decide(texts, pairs, config=None):
    config = config or MatchConfig()
    fingerprint_config = FingerprintConfig()
    prints = fingerprint([content_text(t) for t in texts], fingerprint_config)
    units = build_units(texts, fingerprint_config)
    return score_pairs(np.array(pairs, dtype=np.int64).reshape(-1, 2), prints, lambda i: units[i], config)


def test_a_two_sentence_lede_is_judged_by_what_it_shares():
    lede, independent = decide([AGENCY, EDITED_LEDE, INDEPENDENT_LEDE], [(0, 1), (0, 2)])
    assert lede.shared_passages == 0 and lede.containment_second_in_first > 0.25
    assert lede.same_story
    assert not independent.same_story


def test_a_long_article_still_needs_a_shared_sentence():
    (score,) = decide([AGENCY, EDITED_ARTICLE], [(0, 1)])
    # as much as a three-sentence lede would need, but spread over five sentences
    assert score.containment > 0.5 / 3 and score.shared_passages == 0
    assert not score.same_story


def test_quote_removal_does_not_put_a_short_lede_below_the_floor():
    copied, quoted = decide([AGENCY, QUOTE_LEDE, QUOTE_ELSEWHERE], [(0, 1), (0, 2)])
    assert copied.shared_shingles < MatchConfig().min_shared_shingles
    assert copied.same_story
    assert not quoted.same_story  # sharing the statement alone is no evidence


def test_whole_text_evidence_asks_for_a_units_share_of_the_text():
    config = MatchConfig()
    units = np.array([0, 1, 1, 2, 2, 3, 3, 4])
    containment = np.array([0.5, 0.5, 0.49, 0.25, 0.24, 0.17, 0.16, 0.9])
    assert config.whole_text_evidence(containment, units).tolist() == [True, True, False, True, False, True, False, False]
    assert config.shingle_floor(np.array([1, 5, 15, 16, 100])).tolist() == [1, 3, 8, 8, 8]
    assert not MatchConfig(few_units=0).whole_text_evidence(np.array([1.0]), np.array([1])).any()


def _corpus():
    texts = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    texts += [AGENCY, EDITED_LEDE, EDITED_ARTICLE, INDEPENDENT_LEDE, QUOTE_LEDE, QUOTE_ELSEWHERE]
    fixtures = Path(__file__).resolve().parent.parent / "fixtures" / "scripts"
    for path in sorted(fixtures.glob("*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]
    return texts


@pytest.mark.parametrize("products", [None, True, False])
@pytest.mark.parametrize("budget", [1 << 22, 64, 1])
def test_batched_scores_equal_the_loop_in_chunks_of_any_size(budget, products):
    texts = _corpus()
    config = FingerprintConfig()
    prints = fingerprint([content_text(t) for t in texts], config)
    pairs = np.array(list(itertools.combinations(range(len(texts)), 2)), dtype=np.int64)
    calls = []

    def units_for(rows):
        calls.append(rows)
        unit_row = np.full(len(texts), -1, dtype=np.int64)
        unit_row[rows] = np.arange(len(rows))
        return build_unit_sets([texts[r] for r in rows.tolist()], config), unit_row

    columns = score_pair_batch(
        pairs, prints.shingles, prints.offsets, prints.signatures, units_for, MatchConfig(), budget, products
    )
    units = build_units(texts, config)
    assert columns.scores() == score_pairs(pairs, prints, lambda i: units[i], MatchConfig())
    assert len(calls) == 1
    assert sum(columns.same_story) >= 4 * 3 + 3 + 2  # the copies in four scripts, the seeds, the ledes


@pytest.mark.parametrize("products", [True, False])
def test_parts_that_split_the_documents_merge_to_the_batchs_scores(products):
    texts = _corpus()
    config = FingerprintConfig()
    prints = fingerprint([content_text(t) for t in texts], config)
    pairs = np.array(list(itertools.combinations(range(len(texts)), 2)), dtype=np.int64)[::-1].copy()

    def units_for(rows):
        unit_row = np.full(len(texts), -1, dtype=np.int64)
        unit_row[rows] = np.arange(len(rows))
        return build_unit_sets([texts[r] for r in rows.tolist()], config), unit_row

    def scored(unit_docs=None):
        return score_pair_batch(pairs, prints.shingles, prints.offsets, prints.signatures, units_for, MatchConfig(),
                                products=products, unit_docs=unit_docs)

    whole = scored()
    assert whole.same_story.sum() >= 4 * 3 + 3 + 2 and whole.counts[:, 1:].min() == 0
    rng = np.random.default_rng(3)
    for count in (1, 2, 3, len(texts)):
        owner = rng.integers(0, count, size=len(texts))
        parts = [scored(owner == k) for k in range(count)]
        assert all(isinstance(p, PartialScores) for p in parts)
        assert merge_partial_scores(parts, MatchConfig()).scores() == whole.scores()
        if count > 1:  # a part alone misses the other parts' sentence evidence
            assert any(p.columns.counts[:, 1:].sum() < whole.counts[:, 1:].sum() for p in parts)

def test_score_columns_of_scores_give_them_back_and_take_renumbers():
    texts = _corpus()
    config = FingerprintConfig()
    prints = fingerprint([content_text(t) for t in texts], config)
    units = build_units(texts, config)
    pairs = np.array(list(itertools.combinations(range(len(texts)), 2)), dtype=np.int64)
    scores = score_pairs(pairs, prints, lambda i: units[i], MatchConfig())
    scores = [dataclasses.replace(s, aligned_first=0.25, aligned_second=1 / 3) if k % 5 == 0 else s
              for k, s in enumerate(scores)]
    columns = ScoreColumns.of(scores)
    assert columns.scores() == scores
    assert ScoreColumns.of([]).scores() == []
    rows = np.array([7, 2, 11], dtype=np.int64)
    local = np.array([[0, 1], [0, 2], [1, 2]], dtype=np.int64)
    taken = columns.take(rows, local).scores()
    assert taken == [scores[r].renumbered(a, b) for r, (a, b) in zip(rows.tolist(), local.tolist())]
