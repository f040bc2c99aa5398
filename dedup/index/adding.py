"""Adding fingerprinted batches, one transaction each, with what can overlap overlapped.

Batches come from :func:`dedup.index.prepare.prepare_batch`, made in worker processes
with ``--jobs``. Around each batch's transaction a store may work ahead:

- SQLite looks the next batch's band keys up in its large bucket table, in a thread
  (:meth:`~dedup.index.sqlite_store.SQLiteStore.look_ahead`);
- SQLite commits in a thread while the batch after next is read and handed to the
  workers (:meth:`~dedup.index.sqlite_store.SQLiteStore.writing` with ``later``).

A batch's assignments are yielded once its commit is done, and those of a committed
batch are yielded even when reading what follows it fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from dedup.index.batch import Batch
from dedup.index.furniture import learn_from_batch
from dedup.index.prepare import PreparedBatch
from dedup.index.records import Assignment

if TYPE_CHECKING:
    from dedup.index.core import StoryIndex


def add_batches(index: StoryIndex, results: Iterator[PreparedBatch]) -> Iterator[Assignment]:
    """Add each of ``results`` in its own transaction; yield its assignments once committed.

    Where reading fails (a bad record with ``--on-error fail``), the batches read before
    the failure are still added, and the failure is raised after them.
    """
    store = index.store
    ahead, later = hasattr(store, "look_ahead"), hasattr(store, "committed")
    failure: Exception | None = None
    prepared, following = next(results, None), next(results, None)
    while prepared is not None:
        if ahead:
            store.look_ahead([item.keys for item in following.articles] if following is not None else None)
        with store.writing(later=True) if later else store.writing() as transactions:  # type: ignore[call-arg]
            done = _add(index, transactions, prepared)
        after = None
        try:  # the batch after next is read while this one commits
            after = next(results, None) if following is not None and failure is None else None
        except Exception as exc:
            failure = exc
        except BaseException:  # an interrupt: the lines of the committed batch are still written
            if later:
                store.committed()
            yield from done
            raise
        if later:
            store.committed()
        yield from done
        prepared, following = following, after
    if failure is not None:
        raise failure


def _add(index: StoryIndex, transactions, prepared: PreparedBatch) -> list[Assignment]:
    if index.config.furniture.enabled and prepared.line_keys:  # dedup.index.furniture
        existing = transactions.begin().existing
        index.config, prepared = learn_from_batch(index.config, index.store, prepared, existing, index.bands, index.rows)
    if index.batched:
        return Batch(index, transactions.begin(), True, prepared.units).run(prepared.articles)
    return [index._settle_article(transactions.begin, item) for item in prepared.articles]
