"""What Spark executors run for fingerprints, band keys, furniture and verification.

Every function here hands a batch to the library's own work units: the scan's
:func:`~dedup.batches.fingerprint_batch`, :func:`~dedup.match.lsh.band_keys`,
:func:`~dedup.match.candidates.prefilter_signatures` and :func:`~dedup.verifying.verify_batch`
(reading is in :mod:`dedup.spark.records`, the stories in :mod:`dedup.spark.stories`).
So both engines run one algorithm; only who moves the data differs.

Nothing here imports Spark: these are plain functions of pandas frames, which Spark calls
through ``mapInPandas`` and ``applyInPandas``. Signatures travel as little-endian uint32
bytes and shingle sets as sorted little-endian uint64 bytes, one binary cell per document.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd

from dedup._version import __version__
from dedup.batches import AlignTask, FingerprintResult, FingerprintTask, align_batch, fingerprint_batch
from dedup.document import Document
from dedup.errors import DedupError
from dedup.match.candidates import prefilter_signatures
from dedup.match.cores import split_oversized
from dedup.match.lsh import band_keys
from dedup.match.words import WordWeights, rare_words, slots
from dedup.story.result import ScanConfig
from dedup.text.furniture import outlet_of
from dedup.verifying import VerifyTask, verify_batch

SCORE_COLUMNS = (
    "minhash_jaccard", "jaccard", "containment_first_in_second", "containment_second_in_first",
    "shared_shingles", "shared_passages_first", "shared_passages_second", "same_story",
)
SCORE_KEYS = ("a", "b", *SCORE_COLUMNS)
# the aligned shares of words told in order (dedup.match.words), kept beside the scores
ALIGNED_COLUMNS = ("aligned_first", "aligned_second")


def check_version(expected: str) -> None:
    """Refuse to work when this executor runs another dedup than the driver."""
    if __version__ != expected:
        raise DedupError(
            f"the executors run dedup {__version__} and the driver dedup {expected}: "
            "install the same version on every node"
        )


def _uint_matrix(cells: Iterable[bytes], dtype: str, width: int) -> np.ndarray:
    data = b"".join(cells)
    return np.frombuffer(data, dtype=dtype).astype(dtype[1:]).reshape(-1, width)


def _print_frame(doc_index: np.ndarray, texts: list[str], done: FingerprintResult) -> dict[str, object]:
    signatures = np.ascontiguousarray(done.signatures, dtype="<u4")
    shingles = np.ascontiguousarray(done.shingles, dtype="<u8")
    offsets = done.offsets.tolist()
    words = np.ascontiguousarray(done.word_sets, dtype="<u8")
    bounds = done.word_offsets.tolist()
    return {
        "doc_index": doc_index,
        "size": np.diff(done.offsets).astype(np.int64),
        "signature": [row.tobytes() for row in signatures],
        "shingles": [shingles[offsets[k] : offsets[k + 1]].tobytes() for k in range(len(texts))],
        "text": texts,
        "words": [words[bounds[k] : bounds[k + 1]].tobytes() for k in range(len(texts))],
    }


def fingerprint_documents(batches: Iterable[pd.DataFrame], config: ScanConfig, version: str) -> Iterator[pd.DataFrame]:
    """``doc_index, text, source, url`` -> ``doc_index, size, signature, shingles, text, outlet, line_keys``.

    The scan's fingerprint work unit. The text comes along so that verification finds all
    it needs about a document in one row; the outlet and the keys of the short content
    lines are what furniture learning counts.
    """
    check_version(version)
    for batch in batches:
        texts = batch["text"].tolist()
        done = fingerprint_batch(FingerprintTask(texts, config))
        frame = _print_frame(batch["doc_index"].to_numpy(dtype=np.int64), texts, done)
        keys = np.ascontiguousarray(done.line_keys, dtype="<u8")
        bounds = done.line_offsets.tolist()
        frame["outlet"] = [
            outlet_of(Document("", "", source=source, url=url)) for source, url in zip(batch["source"], batch["url"])
        ]
        frame["line_keys"] = [keys[bounds[k] : bounds[k + 1]].tobytes() for k in range(len(texts))]
        yield pd.DataFrame(frame)


def outlet_lines(batches: Iterable[pd.DataFrame], version: str) -> Iterator[pd.DataFrame]:
    """``outlet, line_keys`` -> one ``outlet, key`` row per distinct short line of each document."""
    check_version(version)
    for batch in batches:
        outlets, keys = [], []
        for outlet, cell in zip(batch["outlet"], batch["line_keys"]):
            unique = np.unique(np.frombuffer(cell, dtype="<u8"))
            outlets.extend([outlet] * len(unique))
            keys.append(unique)
        values = np.concatenate(keys) if keys else np.zeros(0, dtype=np.uint64)
        yield pd.DataFrame({"outlet": outlets, "key": values.astype(np.uint64).view(np.int64)})


def refingerprint_furniture(
    batches: Iterable[pd.DataFrame], config: ScanConfig, version: str
) -> Iterator[pd.DataFrame]:
    """Fingerprint again, with ``config``'s learned furniture, the documents that carry a learned line.

    Columns in: those of :func:`fingerprint_documents`; out: the same less the outlet and
    line keys, plus ``refingerprinted``. Other documents pass unchanged, as in ``dedup scan``.
    """
    check_version(version)
    learned = np.fromiter(sorted(config.boilerplate.learned), dtype=np.uint64)
    for batch in batches:
        carries = np.array(
            [bool(np.isin(np.frombuffer(cell, dtype="<u8"), learned).any()) for cell in batch["line_keys"]], dtype=bool
        )
        out = batch.drop(columns=["outlet", "line_keys"]).reset_index(drop=True)
        out["refingerprinted"] = carries
        chosen = np.flatnonzero(carries)
        if len(chosen):
            texts = out["text"].iloc[chosen].tolist()
            done = fingerprint_batch(FingerprintTask(texts, config))
            again = _print_frame(out["doc_index"].to_numpy(np.int64)[chosen], texts, done)
            for column in ("size", "signature", "shingles", "words"):
                values = out[column].tolist()
                for position, value in zip(chosen.tolist(), list(again[column])):
                    values[position] = value
                out[column] = values
        yield out


def document_band_keys(
    batches: Iterable[pd.DataFrame], num_perm: int, bands: int, rows: int, version: str
) -> Iterator[pd.DataFrame]:
    """``doc_index, signature`` -> one ``key, doc_index`` row per band (the scan's own band keys)."""
    check_version(version)
    for batch in batches:
        signatures = _uint_matrix(batch["signature"], "<u4", num_perm)
        keys = band_keys(signatures, bands, rows)  # (documents, bands) uint64
        yield pd.DataFrame(
            {
                "key": keys.view(np.int64).ravel(),
                "doc_index": np.repeat(batch["doc_index"].to_numpy(dtype=np.int64), bands),
            }
        )


def split_bucket(
    bucket: pd.DataFrame, num_perm: int, max_bucket: int, max_core: int, version: str
) -> pd.DataFrame:
    """One oversized bucket, ``key, doc_index, signature`` -> ``key, doc_index, part, large``
    (:func:`dedup.match.cores.split_oversized`): ``part`` is the number (from 1) of the
    core a document is in, 0 for the rest when it is paired, -1 when it is left out;
    ``large`` marks the documents of cores larger than ``max_core`` (in the rest)."""
    check_version(version)
    members = bucket["doc_index"].to_numpy(dtype=np.int64)
    order = np.argsort(members)
    members = members[order]
    signatures = _uint_matrix(bucket["signature"].iloc[order], "<u4", num_perm)
    local = np.arange(len(members), dtype=np.int64)
    split = split_oversized(local, signatures, max_bucket, max_core)
    part = np.full(len(members), 0 if len(split.rest) <= max_bucket else -1, dtype=np.int64)
    for number, core in enumerate(split.cores, start=1):
        part[core] = number
    large = np.zeros(len(members), dtype=bool)
    for core in split.too_large:
        large[core] = True
    key = int(bucket["key"].iloc[0]) if len(bucket) else 0
    return pd.DataFrame({"key": np.full(len(members), key, dtype=np.int64), "doc_index": members, "part": part, "large": large})


def prefilter_pairs(
    batches: Iterable[pd.DataFrame], num_perm: int, min_containment: float, version: str
) -> Iterator[pd.DataFrame]:
    """``a, b, signature_a, signature_b, size_a, size_b`` -> the ``a, b`` that pass the scan's prefilter."""
    check_version(version)
    for batch in batches:
        count = len(batch)
        signatures = np.concatenate(
            [_uint_matrix(batch["signature_a"], "<u4", num_perm), _uint_matrix(batch["signature_b"], "<u4", num_perm)]
        )
        sizes = np.concatenate([batch["size_a"].to_numpy(np.int64), batch["size_b"].to_numpy(np.int64)])
        rows = np.arange(count, dtype=np.int64)
        kept = prefilter_signatures(np.stack([rows, rows + count], axis=1), signatures, sizes, min_containment)[:, 0]
        yield pd.DataFrame(
            {"a": batch["a"].to_numpy(np.int64)[kept], "b": batch["b"].to_numpy(np.int64)[kept]}
        )


def word_slot_counts(batches: Iterable[pd.DataFrame], version: str) -> Iterator[pd.DataFrame]:
    """``words`` -> ``slot, documents``: in how many of the batch's documents each slot of the
    word weight table occurs (:class:`dedup.match.words.CorpusWords` counts the same)."""
    check_version(version)
    for batch in batches:
        values = np.frombuffer(b"".join(batch["words"]), dtype="<u8").astype(np.uint64)
        found, counts = np.unique(slots(values), return_counts=True)
        yield pd.DataFrame({"slot": found.astype(np.int64), "documents": counts.astype(np.int64)})


def document_rare_words(
    batches: Iterable[pd.DataFrame], weights: WordWeights, max_df: int, version: str
) -> Iterator[pd.DataFrame]:
    """``doc_index, words`` -> ``word, doc_index, weight, total``: each rare word of a document
    (:func:`dedup.match.words.rare_words`) with its weight and the document's total weight."""
    check_version(version)
    for batch in batches:
        lengths = np.fromiter((len(cell) // 8 for cell in batch["words"]), dtype=np.int64, count=len(batch))
        offsets = np.zeros(len(batch) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        values = np.frombuffer(b"".join(batch["words"]), dtype="<u8").astype(np.uint64)
        found, owner, totals = rare_words(values, offsets, weights, max_df)
        keep = totals[owner] > 0
        found, owner = found[keep], owner[keep]
        yield pd.DataFrame({
            "word": found.view(np.int64), "doc_index": batch["doc_index"].to_numpy(np.int64)[owner],
            "weight": weights.of(found), "total": totals[owner].astype(np.int64),
        })


def align_pairs(
    batches: Iterable[pd.DataFrame], config: ScanConfig, weights: WordWeights, version: str
) -> Iterator[pd.DataFrame]:
    """``a, b, text_a, text_b`` -> ``a, b, aligned_first, aligned_second, copy``: the scan's
    :func:`~dedup.batches.align_batch`, and whether the shares make the pair a copy."""
    check_version(version)
    for batch in batches:
        sides = [batch[[side, f"text_{side}"]].set_axis(["doc", "text"], axis=1) for side in ("a", "b")]
        docs = pd.concat(sides, ignore_index=True).drop_duplicates("doc").sort_values("doc")
        indices = docs["doc"].to_numpy(np.int64)
        first, second = batch["a"].to_numpy(np.int64), batch["b"].to_numpy(np.int64)
        local = np.stack([np.searchsorted(indices, first), np.searchsorted(indices, second)], axis=1)
        measured = align_batch(AlignTask(indices, docs["text"].tolist(), local, config, weights))
        yield pd.DataFrame({
            "a": first, "b": second, "aligned_first": measured[:, 0], "aligned_second": measured[:, 1],
            "copy": np.asarray(config.match.aligned_same(measured[:, 0], measured[:, 1], measured[:, 2]), dtype=bool),
        })


def verify_pairs(batches: Iterable[pd.DataFrame], config: ScanConfig, version: str) -> Iterator[pd.DataFrame]:
    """Pairs joined with both documents' signature, shingle set and text -> their exact scores.

    Columns in: ``a, b`` and ``signature_x, shingles_x, text_x`` for x in a, b. The batch's
    documents become one :class:`VerifyTask`, scored by the scan's own :func:`verify_batch`.
    """
    check_version(version)
    num_perm = config.fingerprint.minhash.num_perm
    for batch in batches:
        sides = [
            batch[[side, f"signature_{side}", f"shingles_{side}", f"text_{side}"]].set_axis(
                ["doc", "signature", "shingles", "text"], axis=1
            )
            for side in ("a", "b")
        ]
        docs = pd.concat(sides, ignore_index=True).drop_duplicates("doc").sort_values("doc")
        indices = docs["doc"].to_numpy(np.int64)
        lengths = np.fromiter((len(cell) // 8 for cell in docs["shingles"]), dtype=np.int64, count=len(docs))
        offsets = np.zeros(len(docs) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        values = np.frombuffer(b"".join(docs["shingles"]), dtype="<u8").astype(np.uint64)
        pairs = np.stack(
            [np.searchsorted(indices, batch["a"].to_numpy(np.int64)), np.searchsorted(indices, batch["b"].to_numpy(np.int64))],
            axis=1,
        )
        task = VerifyTask(
            indices, docs["text"].tolist(), (values, offsets), pairs,
            _uint_matrix(docs["signature"], "<u4", num_perm), config,
        )
        columns = verify_batch(task)
        yield pd.DataFrame(
            {
                "a": columns.pairs[:, 0],
                "b": columns.pairs[:, 1],
                "minhash_jaccard": columns.values[:, 0],
                "jaccard": columns.values[:, 1],
                "containment_first_in_second": columns.values[:, 2],
                "containment_second_in_first": columns.values[:, 3],
                "shared_shingles": columns.counts[:, 0],
                "shared_passages_first": columns.counts[:, 1],
                "shared_passages_second": columns.counts[:, 2],
                "same_story": columns.same_story,
                "aligned_first": columns.values[:, 4],
                "aligned_second": columns.values[:, 5],
            }
        )
