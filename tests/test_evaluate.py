import doctest
import json
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score

import dedup.evaluate
from dedup.cli import main
from dedup.errors import IncompatibleDataError, InputError, LabelError
from dedup.evaluate import (
    Labels,
    Predictions,
    adjusted_rand,
    bcubed,
    evaluate,
    load_labels,
    parse_labels,
    predictions_from_report,
    read_report,
)
from tests.conftest import SEED_ORIGINAL, SEED_REWRITE, SEED_TRIM, write_jsonl

# Pairs form. Predicted clusters c1 = {a, b, c} (origin a), c2 = {d, e} (origin
# undetermined), c3 = {g, h}; f is in no cluster. Gold components: {a, b, c, f} (joined by
# the positive pairs), {d, e}, {g}, {h}.
PAIR_LABELS = [
    {"a": "a", "b": "b", "label": "positive", "source": "a"},  # grouped, origin right
    {"a": "a", "b": "c", "label": "positive", "source": "c"},  # grouped, origin wrong
    {"a": "d", "b": "e", "label": "positive", "source": "d"},  # grouped, origin undetermined
    {"a": "b", "b": "f", "label": "positive"},  # missed
    {"a": "c", "b": "d", "label": "negative"},  # kept apart
    {"a": "g", "b": "h", "label": "negative"},  # wrongly grouped
]
PAIR_PREDICTIONS = Predictions(
    {"a": "c1", "b": "c1", "c": "c1", "d": "c2", "e": "c2", "g": "c3", "h": "c3"},
    {"c1": "a", "c2": None, "c3": "g"},
)

# Groups form. G1 = {p1, p2, p3} and G2 = {q1, q2} share lineage L; G3 = {r1, r2} has none.
# Predicted X = {p1, p2, q1, r1}, Y = {p3, s1}; q2, r2 and t1 are alone.
GROUP_LABELS = [
    {"type": "positive", "group_id": "G1", "ids": ["p1", "p2", "p3"], "lineage": "L"},
    {"type": "positive", "group_id": "G2", "ids": ["q1", "q2"], "lineage": "L"},
    {"type": "positive", "group_id": "G3", "ids": ["r1", "r2"], "lineage": None},
    {"type": "hard_negative", "ids": ["p3", "s1"]},  # wrongly grouped
    {"type": "hard_negative", "ids": ["r1", "t1"]},  # kept apart
]
GROUP_PREDICTIONS = Predictions({"p1": "X", "p2": "X", "q1": "X", "r1": "X", "p3": "Y", "s1": "Y"})


def lines(records):
    return [json.dumps(r) for r in records]


def test_pair_labels_hand_computed():
    e = evaluate(PAIR_PREDICTIONS, parse_labels(lines(PAIR_LABELS)))
    assert (e.documents, e.positive_pairs, e.negative_pairs) == (8, 4, 2)
    assert (e.true_positives, e.false_positives) == (3, 1)
    assert e.pair_precision == e.pair_recall == e.pair_f1 == 0.75
    assert {c.label: (c.grouped, c.pairs) for c in e.classes} == {"positive": (3, 4), "negative": (1, 2)}
    # B-cubed precision: 6 documents fully precise, g and h at 1/2 -> 7/8; recall: a, b, c
    # at 3/4, f at 1/4, d, e, g, h at 1 -> 6.5/8
    assert e.bcubed_precision == pytest.approx(7 / 8)
    assert e.bcubed_recall == pytest.approx(13 / 16)
    assert e.bcubed_f1 == pytest.approx(91 / 108)
    # ARI: index 4, gold pairs 7, predicted pairs 5, 28 pairs -> (4 - 1.25) / (6 - 1.25)
    assert e.ari == pytest.approx(11 / 19)
    assert (e.predicted_clusters, e.largest_cluster_size, e.largest_cluster_id) == (3, 3, "c1")
    assert (e.origin_pairs, e.origin_correct, e.origin_undetermined) == (3, 1, 1)
    assert e.origin_accuracy == pytest.approx(1 / 3)
    assert e.cross_group_pairs == 0 and e.cross_group_merged_fraction is None


def test_group_labels_hand_computed():
    e = evaluate(GROUP_PREDICTIONS, parse_labels(lines(GROUP_LABELS)))
    assert (e.documents, e.positive_pairs, e.negative_pairs) == (9, 5, 2)
    assert (e.true_positives, e.false_positives) == (1, 1)  # p1~p2; p3~s1
    assert e.pair_precision == 0.5 and e.pair_recall == pytest.approx(0.2)
    assert e.pair_f1 == pytest.approx(2 / 7)
    assert e.class_rate("positive").rate == pytest.approx(0.2)
    assert (e.class_rate("hard_negative").grouped, e.class_rate("hard_negative").pairs) == (1, 2)
    # different-lineage pairs: G1 x G3 (6) + G2 x G3 (4); X merges p1, p2 and q1 with r1 (3)
    assert (e.cross_group_pairs, e.cross_group_merged) == (10, 3)
    assert e.cross_group_merged_fraction == pytest.approx(0.3)
    # B-cubed: precision (1/2 + 1/2 + 1/4 + 1/4 + 1/2 + 1/2 + 1 + 1 + 1) / 9,
    # recall (2/3 + 2/3 + 1/3 + 4 * 1/2 + 1 + 1) / 9
    assert e.bcubed_precision == pytest.approx(11 / 18)
    assert e.bcubed_recall == pytest.approx(17 / 27)
    assert e.bcubed_f1 == pytest.approx(374 / 603)
    # ARI: index 1, gold pairs 5, predicted pairs 7, 36 pairs -> (1 - 35/36) / (6 - 35/36)
    assert e.ari == pytest.approx(1 / 181)
    assert (e.largest_cluster_size, e.largest_cluster_id) == (4, "X")
    assert e.origin_pairs == 0 and e.origin_accuracy is None


def test_same_lineage_merges_are_not_cross_group_merges():
    labels = parse_labels(lines(GROUP_LABELS[:2]))
    e = evaluate(Predictions({"p1": "X", "p2": "X", "p3": "X", "q1": "X", "q2": "X"}), labels)
    assert (e.cross_group_pairs, e.cross_group_merged) == (0, 0)
    assert e.pair_recall == 1.0


def test_counter_pairs_and_their_classes():
    labels = parse_labels(lines([
        {"a": "0001", "b": "0001p", "reuse": "WD", "agency": "0001"},
        {"a": "0003", "b": "0003p", "reuse": "PD", "agency": "0003"},
        {"a": "0005", "b": "0005p", "reuse": "ND", "agency": "0005"},
    ]))
    assert [(p.label, p.positive, p.source) for p in labels.pairs] == [
        ("WD", True, "0001"), ("PD", True, "0003"), ("ND", False, "0005")]
    predictions = Predictions({"0001": "k1", "0001p": "k1", "0005": "k2", "0005p": "k2"}, {"k1": "0001p", "k2": "0005"})
    e = evaluate(predictions, labels)
    assert {c.label: c.rate for c in e.classes} == {"WD": 1.0, "PD": 0.0, "ND": 1.0}
    # only grouped positive pairs count for the origin: the WD pair, whose origin is wrong
    assert (e.origin_pairs, e.origin_correct, e.origin_undetermined, e.origin_accuracy) == (1, 0, 0, 0.0)


def test_predictions_without_origins_leave_origin_unmeasured():
    e = evaluate(Predictions(PAIR_PREDICTIONS.clusters), parse_labels(lines(PAIR_LABELS)))
    assert e.origin_pairs == 0 and e.origin_accuracy is None
    assert any("origin" in note for note in e.notes)


def test_empty_input():
    e = evaluate(Predictions({}), Labels())
    assert e.documents == e.positive_pairs == e.negative_pairs == e.largest_cluster_size == 0
    for value in (e.pair_precision, e.pair_recall, e.pair_f1, e.bcubed_precision, e.bcubed_recall, e.bcubed_f1,
                  e.ari, e.cross_group_merged_fraction, e.origin_accuracy, e.largest_cluster_id):
        assert value is None
    assert e.classes == ()
    json.dumps(e.to_dict())  # None becomes null
    assert bcubed([], []) == (None, None, None) and adjusted_rand([], []) is None


def test_documents_absent_from_the_predictions_are_singletons():
    labels = parse_labels(lines([{"type": "positive", "ids": ["x", "y", "z"]}]))
    e = evaluate(Predictions({}), labels)
    assert e.pair_recall == 0.0 and e.bcubed_precision == 1.0 and e.bcubed_recall == pytest.approx(1 / 3)
    assert e.pair_precision is None  # nothing predicted positive


def test_to_dict_is_json_and_complete():
    d = evaluate(PAIR_PREDICTIONS, parse_labels(lines(PAIR_LABELS))).to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["pairs"]["precision"] == 0.75 and d["classes"]["negative"] == {"pairs": 2, "grouped": 1, "rate": 0.5}
    assert d["origin"] == {"pairs": 3, "correct": 1, "undetermined": 1, "accuracy": pytest.approx(1 / 3)}
    assert d["clusters"] == {"predicted": 3, "largest_size": 3, "largest_id": "c1"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "JSON object"),
        ('{"x": 1}', "neither a pair"),
        ('{"a": "x", "b": "y"}', "needs 'label'"),
        ('{"a": "x", "b": "x", "label": "positive"}', "two different ids"),
        ('{"a": "x", "b": 3, "label": "positive"}', "'b' must be a non-empty string"),
        ('{"a": "x", "b": "y", "label": "maybe"}', "'label' must be"),
        ('{"a": "x", "b": "y", "reuse": "XD"}', "WD, PD or ND"),
        ('{"a": "x", "b": "y", "label": "positive", "source": "z"}', "must be one of the pair's ids"),
        ('{"type": "positive", "ids": []}', "non-empty list"),
        ('{"type": "positive", "ids": ["x", "x"]}', "lists an id twice"),
        ('{"type": "hard_negative", "ids": ["x", "y", "z"]}', "exactly two ids"),
        ('{"type": "duplicate", "ids": ["x", "y"]}', "'type' must be"),
        ('{"type": "positive", "ids": ["x", "y"], "lineage": 3}', "'lineage' must be"),
        ('{"type": "positive", "ids": ["q", "z"]}', "two positive groups (lines 1 and 3)"),
        ('{"a": "y", "b": "x", "label": "negative"}', "lies inside the positive group on line 1"),
        ('{"a": "z", "b": "w", "label": "positive"}\n{"a": "w", "b": "z", "label": "negative"}',
         "already labelled on line 3"),
    ],
)
def test_malformed_label_lines_name_file_and_line(tmp_path, text, message):
    path = tmp_path / "labels.jsonl"
    path.write_text('{"type": "positive", "ids": ["x", "y", "z"]}\n\n' + text + "\n", encoding="utf-8")
    with pytest.raises(LabelError) as caught:
        load_labels(path)
    assert message in str(caught.value)
    last_line = 3 + text.count("\n")
    assert str(caught.value).startswith(f"{path}:{last_line}: ")
    assert caught.value.location == f"{path}:{last_line}"


def test_label_file_without_labels_or_unreadable(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(LabelError, match="no labels"):
        load_labels(empty)
    with pytest.raises(LabelError, match="cannot read"):
        load_labels(tmp_path / "missing.jsonl")
    assert isinstance(LabelError("x"), InputError)


def test_labels_loaded_from_a_file(tmp_path):
    path = write_jsonl(tmp_path / "labels.jsonl", PAIR_LABELS + GROUP_LABELS)
    labels = load_labels(path)
    assert (len(labels.pairs), len(labels.groups)) == (8, 3)
    assert labels.groups[0].name == "G1" and labels.groups[0].lineage == "L" and labels.groups[0].line == 7


def test_predictions_from_the_seed_report(seed_report):
    predictions = predictions_from_report(seed_report)
    assert set(predictions.clusters) == {SEED_ORIGINAL, SEED_TRIM, SEED_REWRITE}
    (cluster_id,) = set(predictions.clusters.values())
    assert predictions.origins == {cluster_id: SEED_ORIGINAL}


def test_report_errors(tmp_path, seed_report):
    with pytest.raises(InputError, match="not a dedup JSON report"):
        predictions_from_report({"pairs": []})
    with pytest.raises(IncompatibleDataError, match="schema_version 99"):
        predictions_from_report({**seed_report, "schema_version": 99})
    broken = tmp_path / "report.json"
    broken.write_text('{"clusters": [\n}', encoding="utf-8")
    with pytest.raises(InputError, match=f"{broken}:2: not JSON"):
        read_report(broken)
    one = {"schema_version": 1, "clusters": [{"cluster_id": "c", "members": [{"doc_id": "x"}, {"doc_id": "y"}]}]}
    assert predictions_from_report(one) == Predictions({"x": "c", "y": "c"}, None)


def test_doctests():
    assert doctest.testmod(dedup.evaluate).failed == 0


labelings = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(labelings)
def test_ari_equals_scikit_learn(pairs):
    gold, predicted = [g for g, _ in pairs], [k for _, k in pairs]
    assert adjusted_rand(gold, predicted) == pytest.approx(adjusted_rand_score(gold, predicted), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(labelings)
def test_bcubed_equals_the_per_item_definition(pairs):
    gold, predicted = [g for g, _ in pairs], [k for _, k in pairs]
    n = len(pairs)
    same_both = [sum(1 for j in range(n) if gold[i] == gold[j] and predicted[i] == predicted[j]) for i in range(n)]
    precision = sum(Fraction(s, predicted.count(predicted[i])) for i, s in enumerate(same_both)) / n
    recall = sum(Fraction(s, gold.count(gold[i])) for i, s in enumerate(same_both)) / n
    got = bcubed(gold, predicted)
    assert got[0] == pytest.approx(float(precision)) and got[1] == pytest.approx(float(recall))
    assert 0 < got[2] <= 1
    # symmetric: swapping the labelings swaps precision and recall
    assert bcubed(predicted, gold)[:2] == pytest.approx(got[1::-1])


# -- CLI ---------------------------------------------------------------------------


def seed_labels(tmp_path, source=SEED_ORIGINAL):
    return write_jsonl(tmp_path / "labels.jsonl", [
        {"a": SEED_TRIM, "b": SEED_ORIGINAL, "label": "positive", "source": SEED_ORIGINAL},
        {"a": SEED_REWRITE, "b": SEED_ORIGINAL, "label": "positive", "source": source},
    ])


def test_cli_scores_a_json_report(runner, seeds_dir, tmp_path):
    report = tmp_path / "report.json"
    assert runner.invoke(main, ["scan", str(seeds_dir), "--format", "json", "-o", str(report), "-q"]).exit_code == 0
    result = runner.invoke(main, ["eval", str(seed_labels(tmp_path)), str(report), "--format", "json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert scores["pairs"]["recall"] == 1.0 and scores["bcubed"]["f1"] == 1.0 and scores["ari"] == 1.0
    assert scores["origin"] == {"pairs": 2, "correct": 2, "undetermined": 0, "accuracy": 1.0}
    assert scores["clusters"]["largest_size"] == 3


def test_cli_scans_and_prints_a_summary(runner, seeds_dir, tmp_path):
    labels = seed_labels(tmp_path, source=SEED_REWRITE)  # wrong on purpose for the second pair
    result = runner.invoke(main, ["eval", str(labels), str(seeds_dir), "--scan", "-q"])
    assert result.exit_code == 0, result.output
    assert "precision 1.0000, recall 1.0000" in result.stdout
    assert "origin: right for 1 of 2 grouped pairs" in result.stdout
    assert "holds 3 documents" in result.stdout


def test_cli_groups_form_counts_cross_group_merges(runner, seeds_dir, tmp_path):
    labels = write_jsonl(tmp_path / "groups.jsonl", [
        {"type": "positive", "ids": [SEED_ORIGINAL, SEED_TRIM]},
        {"type": "positive", "ids": [SEED_REWRITE]},
    ])
    result = runner.invoke(main, ["eval", str(labels), str(seeds_dir), "--scan", "--format", "json", "-q"])
    scores = json.loads(result.stdout)
    assert scores["cross_group"] == {"pairs": 2, "merged": 2, "merged_fraction": 1.0}
    assert scores["bcubed"]["recall"] == 1.0 and scores["bcubed"]["precision"] == pytest.approx(5 / 9)


def test_cli_warns_about_labelled_documents_missing_from_the_scan(runner, seeds_dir, tmp_path):
    labels = write_jsonl(tmp_path / "labels.jsonl", [{"a": SEED_TRIM, "b": "elsewhere.txt", "label": "negative"}])
    result = runner.invoke(main, ["eval", str(labels), str(seeds_dir), "--scan"])
    assert result.exit_code == 0
    assert "1 of 2 labelled documents are not in the scan" in result.stderr


def test_cli_errors_are_friendly(runner, seeds_dir, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"a": "x", "b": "y", "label": "positive"}\n{"a": "x"}\n', encoding="utf-8")
    result = runner.invoke(main, ["eval", str(bad), str(seeds_dir), "--scan"])
    assert result.exit_code == 1 and f"{bad}:2:" in result.stderr and "Traceback" not in result.output
    labels = seed_labels(tmp_path)
    result = runner.invoke(main, ["eval", str(labels), str(seeds_dir)])
    assert result.exit_code == 1 and "add --scan" in result.stderr
    result = runner.invoke(main, ["eval", str(labels), "a.json", "b.json"])
    assert result.exit_code == 2 and "one REPORT.json" in result.stderr
    result = runner.invoke(main, ["eval", str(labels), "report.json", "--num-perm", "64"])
    assert result.exit_code == 2 and "--num-perm applies with --scan only" in result.stderr


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_cli_scan_scores_what_the_json_report_of_the_same_scan_scores(runner, tmp_path, jobs):
    # with --scan, provenance is analysed in the workers and only its summary comes back
    from benchmarks.corpus import generate

    articles = list(generate(500, seed=6))
    corpus = write_jsonl(tmp_path / "corpus.jsonl", [json.loads(a.to_json()) for a in articles])
    originals = {a.family: a.doc_id for a in articles if a.kind == "original"}
    pairs = [{"a": originals[a.family], "b": a.doc_id, "label": "positive", "source": originals[a.family]}
             for a in articles if a.kind not in ("original", "independent") and a.family in originals]
    labels = write_jsonl(tmp_path / "pairs.jsonl", pairs)
    report = tmp_path / "report.json"
    assert runner.invoke(main, ["scan", str(corpus), "--format", "json", "-o", str(report), "-q"]).exit_code == 0
    from_report = runner.invoke(main, ["eval", str(labels), str(report), "--format", "json", "-q"])
    scanned = runner.invoke(main, ["eval", str(labels), str(corpus), "--scan", "--jobs", jobs, "--format", "json", "-q"])
    assert scanned.exit_code == 0 and from_report.exit_code == 0, scanned.output
    assert json.loads(scanned.stdout) == json.loads(from_report.stdout)
    scores = json.loads(scanned.stdout)
    assert scores["clusters"]["largest_size"] >= 3 and scores["origin"]["pairs"] >= 50
