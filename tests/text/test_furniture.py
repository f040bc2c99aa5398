"""Page furniture learned from the corpus: lines recurring across an outlet's pages."""

from __future__ import annotations

import numpy as np

from benchmarks.corpus import generate
from dedup.document import Document
from dedup.pipeline import scan_documents
from dedup.story.result import ScanConfig
from dedup.text.boilerplate import line_key
from dedup.text.furniture import FurnitureConfig, learn_furniture, outlet_of
from dedup.text.normalize import normalize_text

WIDGETS = [
    "Your weather is set to Houston. You can change the location at any time today.",
    "Sign in to your account or register now to keep reading our local reporting for free.",
    "Most read stories across the region this week, picked by our editors for you.",
    "Get the morning briefing in your inbox every weekday with the stories that matter.",
    "Unlimited digital access for one dollar for the first four weeks, cancel any time.",
]


def pages() -> list[Document]:
    articles = list(generate(6, seed=5, family_share=0.0))
    site = [
        Document(f"site-{k}", a.text + "\n\n" + "\n".join(WIDGETS), source="example.com")
        for k, a in enumerate(articles)
    ]
    copy = Document("copy-0", articles[0].text, source="other.org")
    return site + [copy]


def grouped(result) -> set[frozenset[str]]:
    return {frozenset(result.documents[m.index].doc_id for m in c.members) for c in result.clusters}


def test_widgets_learned_and_unrelated_pages_no_longer_grouped():
    documents = pages()
    without = scan_documents(documents, ScanConfig(furniture=FurnitureConfig(enabled=False)))
    # the widgets alone make unrelated pages of the site look like copies of each other
    assert any(len(g) > 2 for g in grouped(without))
    learned = scan_documents(documents, ScanConfig())
    assert grouped(learned) == {frozenset({"site-0", "copy-0"})}
    keys = learned.config.boilerplate.learned
    assert {line_key(normalize_text(w)) for w in WIDGETS} <= keys
    assert learned.stats["learned_furniture_lines"] == len(keys) and learned.stats["documents_with_furniture"] == 6
    # the learned lines are listed as boilerplate in the passage diff
    member = next(m for c in learned.clusters for m in c.members if learned.documents[m.index].doc_id == "site-0")
    kinds = {documents[0].text[d.passage.start : d.passage.end].strip(): d.status for d in member.passages}
    assert all(kinds.get(w) == "boilerplate" for w in WIDGETS)


def test_a_story_an_outlet_ran_twice_is_not_furniture():
    articles = list(generate(8, seed=7, family_share=0.0))
    documents = [Document(f"p{k}", a.text, source="example.com") for k, a in enumerate(articles)]
    documents.append(Document("p0-again", articles[0].text, source="example.com"))
    result = scan_documents(documents, ScanConfig())
    assert result.stats["learned_furniture_lines"] == 0
    assert grouped(result) == {frozenset({"p0", "p0-again"})}


def test_learning_needs_enough_pages_and_half_of_the_outlet():
    # outlet a: 5 pages, line 1 in all of them, line 2 in two; outlet b: 2 pages with line 7
    outlets = ["a"] * 5 + ["b"] * 2 + [None]
    keys = np.array([1, 2, 1, 2, 1, 1, 1, 7, 7, 1], dtype=np.uint64)
    offsets = np.array([0, 2, 4, 5, 6, 7, 8, 9, 10])
    assert learn_furniture(outlets, keys, offsets).tolist() == [1]
    assert learn_furniture(outlets, keys, offsets, FurnitureConfig(min_documents=2, min_share=0.4)).tolist() == [1, 2, 7]
    assert learn_furniture(outlets, keys, offsets, FurnitureConfig(enabled=False)).tolist() == []


def test_the_outlet_is_the_source_else_the_url_host():
    assert outlet_of(Document("a", "x", source=" Example.com ")) == "example.com"
    assert outlet_of(Document("a", "x", url="https://www.example.com/2024/story")) == "example.com"
    assert outlet_of(Document("a", "x")) is None
    assert outlet_of(Document("a", "x", url="http://[bad")) is None


def test_the_index_learns_furniture_as_it_adds(tmp_path):
    from dedup.index import open_index

    documents = pages()
    scanned = scan_documents(documents, ScanConfig())
    # one batch: the index learns what scan learns, and finds the same stories
    with open_index(str(tmp_path / "one.db")) as index:
        list(index.add(documents))
        exported = index.export()
    assert grouped(exported) == grouped(scanned) == {frozenset({"site-0", "copy-0"})}
    assert exported.config.boilerplate.learned == scanned.config.boilerplate.learned
    assert exported.stats["learned_furniture_lines"] == len(WIDGETS) and exported.stats["documents_with_furniture"] == 6
    # reopened, the index keeps what it learned; re-adding the pages counts nothing twice
    with open_index(str(tmp_path / "one.db")) as index:
        assert index.config.boilerplate.learned == scanned.config.boilerplate.learned
        assert [a.status for a in index.add(documents[:2])] == ["exists", "exists"]
        assert grouped(index.export()) == grouped(scanned)
    # one article at a time: the widgets are learned on the fourth page of the site, and
    # the pages added after that stay apart
    with open_index(str(tmp_path / "each.db")) as index:
        list(index.add(documents, batch_size=1))
        exported = index.export()
    assert exported.config.boilerplate.learned == scanned.config.boilerplate.learned
    together = next(g for g in grouped(exported) if "site-0" in g)
    assert not together & {"site-4", "site-5"}
    assert not any(g & {"site-4", "site-5"} for g in grouped(exported))


def test_workers_learn_the_same_furniture_as_the_index_alone(tmp_path):
    """Batches fingerprinted by workers come back through the pool; an index fed by them
    learns the same lines, from the same articles, as one that fingerprints them itself."""
    from dedup.index import open_index
    from dedup.report import to_json_dict

    documents = pages()
    documents = documents[-1:] + documents[:-1]  # the copy, without the widgets, shares the first batch
    outputs = []
    for jobs in (1, 2):
        with open_index(str(tmp_path / f"jobs-{jobs}.db")) as index:
            lines = [a.to_dict() for a in index.add(documents, batch_size=3, jobs=jobs)]
            exported = index.export()
            outputs.append((lines, to_json_dict(exported), sorted(exported.config.boilerplate.learned)))
    assert outputs[0] == outputs[1]
    assert len(outputs[1][2]) == len(WIDGETS)


def test_an_index_without_furniture_learning_learns_nothing(tmp_path):
    from dedup.index import open_index

    with open_index(str(tmp_path / "plain.db"), config=ScanConfig(furniture=FurnitureConfig(enabled=False))) as index:
        list(index.add(pages()))
        exported = index.export()
    assert exported.stats["learned_furniture_lines"] == 0
    assert any(len(g) > 2 for g in grouped(exported))
