"""A digest carrying two stories is linked to both and merges neither."""

from __future__ import annotations

from benchmarks.corpus import generate
from dedup.document import Document
from dedup.pipeline import scan_documents
from dedup.report import to_json_dict


def digest_corpus() -> list[Document]:
    first, second = list(generate(2, seed=11, family_share=0.0))
    docs = [Document(f"a{k}", first.text, source=f"a-site-{k}") for k in range(3)]
    docs += [Document(f"b{k}", second.text, source=f"b-site-{k}") for k in range(3)]
    lede = lambda text: text.split("\n\n")[0]  # noqa: E731
    docs.append(Document("digest", lede(first.text) + "\n\n" + lede(second.text), source="digest-site"))
    return docs


def test_a_digest_is_linked_to_both_stories_without_merging_them():
    result = scan_documents(digest_corpus())
    groups = {frozenset(result.documents[m.index].doc_id for m in c.members) for c in result.clusters}
    assert frozenset({"a0", "a1", "a2"}) in groups or frozenset({"a0", "a1", "a2", "digest"}) in groups
    assert frozenset({"b0", "b1", "b2"}) in groups or frozenset({"b0", "b1", "b2", "digest"}) in groups
    assert not any({"a0", "b0"} <= g for g in groups)
    report = to_json_dict(result)
    linked = {c["cluster_id"]: {link["doc_id"] for link in c["linked"]} for c in report["clusters"]}
    holder = next(c for c in report["clusters"] if "digest" in {m["doc_id"] for m in c["members"]})
    other = next(c for c in report["clusters"] if c is not holder)
    assert "digest" in linked[other["cluster_id"]]
    link = next(x for x in other["linked"] if x["doc_id"] == "digest")
    assert link["cluster_id"] == holder["cluster_id"] and link["pairs"] == 3
