"""``Ledger.append``: the one door every write goes through.

For each record, in order: its shape and canonical bytes, its signature, its chain (seq and prev
continue the author's chain; the same record again is a no-op; another record at a taken position
is an equivocation, kept as evidence and never applied), its dependencies, the network's policies,
then its kind's rules. A record that passes yields projection changes; a record that fails yields
nothing. A batch is committed in one transaction (group commit) and a record is acknowledged only
once that commit has returned, so an acknowledged record survives a crash.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from itertools import chain, islice
from typing import Any

from reflow.errors import (
    ReflowError,
    StaleStateError,
)
from reflow.ledger import (
    delegation,  # noqa: F401  (delegated records' kinds and policy)
    vf_kinds,  # noqa: F401  (registers the VF record kinds)
)
from reflow.ledger.batch_verify import verify_records
from reflow.ledger.changes import Changes
from reflow.ledger.context import BatchView, Context
from reflow.ledger.judging import Judgements
from reflow.ledger.kinds import OBSERVERS, get_kind
from reflow.ledger.port import Equivocation, LedgerStore
from reflow.ledger.receipts import Receipt
from reflow.ledger.records import Record, record_from_dict

log = logging.getLogger(__name__)
# Records per transaction in a long batch. A commit's cost follows the pages it dirties, and
# rows under random-keyed indexes share pages more often in a larger transaction (measured at
# 100k records: 2000 a chunk 5.8k records/s, 5000 6.6k/s); a chunk's state (~10 KiB a record
# while judged) bounds it. The first chunk of a batch is short: nothing can be judged before its
# signatures are checked.
CHUNK = 5000
FIRST_CHUNK = 500


_GC_LOCK = threading.Lock()
_gc_users = 0
_gc_was_enabled = True


@contextmanager
def _collector_at_rest() -> Iterator[None]:
    """Keep the automatic cyclic garbage collector off while pipelined batches run.

    Judging allocates many short-lived objects, all freed by reference counting (a receipt
    keeps no traceback, so a refused record leaves no cycle behind), and the ones that live
    on are long-lived: cache entries, receipts. Each collection of the young generations only
    walked them again (measured at 100k records, default thresholds: a fifth of ingest time;
    with thresholds of 100 000: 17 young and one middle collection, 1.1-1.5 s, a tenth).
    When the last batch ends the survivors go straight to the oldest generation (freezing
    and unfreezing moves whole generations without walking them), where the next full
    collection finds anything cyclic; unless someone else froze objects, whose freeze is
    theirs to undo: the collector then starts again from the young generation.
    """
    global _gc_users, _gc_was_enabled
    with _GC_LOCK:
        if _gc_users == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_users += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _gc_users -= 1
            if _gc_users == 0:
                if gc.get_freeze_count() == 0:
                    gc.freeze()
                    gc.unfreeze()
                if _gc_was_enabled:
                    gc.enable()


_SWITCH_LOCK = threading.Lock()
_switch_users = 0
_switch_saved = 0.0
# How soon a thread waiting for the GIL gets it during a pipelined batch. The verify and commit
# threads spend most of their time in C with the GIL released (libsodium, SQLite), but SQLite
# re-takes it after every row it writes; behind the judging thread each re-take waited the
# default 5 ms. Measured at 20k records: about 1.3x the ingest rate with 0.1 ms.
PIPELINE_SWITCH_INTERVAL = 0.0001


@contextmanager
def _quick_gil_handover() -> Iterator[None]:
    """Lower the interpreter's switch interval while any pipelined batch runs (process-wide,
    counted, so overlapping batches restore it only when the last one ends)."""
    global _switch_users, _switch_saved
    with _SWITCH_LOCK:
        if _switch_users == 0:
            _switch_saved = sys.getswitchinterval()
            sys.setswitchinterval(min(_switch_saved, PIPELINE_SWITCH_INTERVAL))
        _switch_users += 1
    try:
        yield
    finally:
        with _SWITCH_LOCK:
            _switch_users -= 1
            if _switch_users == 0:
                sys.setswitchinterval(_switch_saved)


def _chunks(items: Iterator[Any]) -> Iterator[list[Any]]:
    """``items`` in chunks of ``CHUNK``, the first one ``FIRST_CHUNK`` long."""
    size = min(FIRST_CHUNK, CHUNK)
    while chunk := list(islice(items, size)):
        yield chunk
        size = CHUNK


# Told about records that reached this node from elsewhere (replication, self-signed submissions)
# once they are applied: services announce them (e.g. the market's standing matches).
ArrivalListener = Callable[[Any, list[Any], list["Receipt"]], None]
ARRIVAL_LISTENERS: list[ArrivalListener] = []


def tell_arrivals(store: Any, records: list[Any], receipts: list[Receipt]) -> None:
    """Call every arrival listener; a listener's failure never undoes the append."""
    for listen in ARRIVAL_LISTENERS:
        try:
            listen(store, records, receipts)
        except Exception:  # a notification must not break ingest
            log.exception("arrival listener %r failed", listen)


class Ledger:
    """A node's ledger for one network, over a store that implements ``LedgerStore``."""

    def __init__(self, store: LedgerStore, network: str, *, verify: bool = True) -> None:
        self.store = store
        self.network = network
        self.verify = verify  # off only to replay a log this node verified before (rebuild)
        # One writer at a time: the API, replication and the CLI may share a ledger in one
        # process, and a batch's judgements rest on the state no one else changes meanwhile.
        self.lock = threading.RLock()
        self._run = Judgements(store, network, verify)  # the run of records being judged

    def append(self, record: Record | dict[str, Any]) -> Receipt:
        """Append one record; raise its error if it is refused (nothing is changed then)."""
        receipt = self.append_many([record])[0]
        if receipt.error is not None:
            raise receipt.error
        return receipt

    def append_many(
        self,
        records: Iterable[Record | dict[str, Any]],
        *,
        on_durable: Callable[[list[Receipt]], None] | None = None,
    ) -> list[Receipt]:
        """Append a batch in one transaction; each record is judged on its own.

        A long batch on a store that can commit from another thread goes through the ingest
        pipeline instead: chunks of ``CHUNK`` records, each its own transaction, with the
        signatures of the next chunk verified and the previous chunk committed while this one
        is judged (libsodium and the database release the GIL, so this uses the second core).
        ``records`` may then be any iterable, read a chunk at a time: a bulk import or a
        catch-up hands over one stream instead of blocks, and the pipeline never drains
        between blocks (measured: a drain per 10k-record block cost a sixth of the rate).
        Every receipt is returned only after every commit has returned; ``on_durable`` hears
        of them sooner, in order, as the commits holding them return (a long stream's caller
        can act on its first records while later ones are still judged).
        """
        it = iter(records)
        head = list(islice(it, CHUNK + 1))
        with self.lock:
            if len(head) > CHUNK and self.verify and getattr(self.store, "concurrent", False):
                self.store.refresh()
                with _collector_at_rest(), _quick_gil_handover():
                    return self._pipelined(chain(head, it), on_durable)
            items = head if len(head) <= CHUNK else [*head, *it]
            for attempt in range(3):
                self.store.refresh()
                try:
                    receipts = self._append_batch(items)
                except StaleStateError:
                    if attempt == 2:
                        raise
                    continue
                if on_durable is not None:
                    on_durable(receipts)
                return receipts
        raise AssertionError("unreachable")

    def replay(self, records: Iterable[Record]) -> list[tuple[str, ReflowError]]:
        """Re-apply records already in the log to rebuild projections (no chain, no log write).

        Returns the records that no longer apply, with the reason: the log holds them, so the
        rules they were accepted under are not the rules of this version. Rebuild reports them.
        """
        with self.lock:
            return self._replay(records)

    def _replay(self, records: Iterable[Record]) -> list[tuple[str, ReflowError]]:
        refused: list[tuple[str, ReflowError]] = []
        view = BatchView(self.store)
        applied: list[tuple[Record, Changes]] = []
        run = self._run = Judgements(self.store, self.network, self.verify)
        for rec in records:
            clock = run.clock(rec)
            ctx = Context(rec, view, run.acting(view, rec.author), clock)
            try:
                changes = get_kind(rec.kind).handler(ctx)
            except ReflowError as exc:
                log.error("record %s no longer applies on replay: %s", rec.hash, exc)
                refused.append((rec.hash, exc))
                continue
            for observe in OBSERVERS:
                observe(ctx, changes)
            run.applied(rec, changes, clock)
            view.add(changes)
            applied.append((rec, changes))
        self.store.commit(applied, (), write_log=False, merged=view.pending)
        return refused

    def _append_batch(self, items: list[Record | dict[str, Any]]) -> list[Receipt]:
        view = BatchView(self.store)
        applied: list[tuple[Record, Changes]] = []
        evidence: list[Equivocation] = []
        receipts: list[Receipt] = []
        self._run = Judgements(self.store, self.network, self.verify)
        for item in items:
            receipts.append(self._judge(item, view, applied, evidence))
        if applied or evidence:
            self.store.commit(applied, evidence, merged=view.pending)
        return receipts

    @staticmethod
    def _parse(chunk: list[Record | dict[str, Any]]) -> list[Record | Receipt]:
        out: list[Record | Receipt] = []
        for item in chunk:
            try:
                out.append(item if isinstance(item, Record) else record_from_dict(item))
            except ReflowError as exc:
                out.append(Receipt("", "rejected", exc))
        return out

    @staticmethod
    def _verify(parsed: list[Record | Receipt]) -> list[Record | Receipt]:
        """Check signatures; runs on a worker thread, the whole chunk in one call that releases
        the GIL (see ``batch_verify``)."""
        recs = [item for item in parsed if isinstance(item, Record)]
        errors = iter(verify_records(recs))
        out: list[Record | Receipt] = []
        for item in parsed:
            if isinstance(item, Record):
                error = next(errors)
                if error is not None:
                    item = Receipt(item.hash, "rejected", error)
            out.append(item)
        return out

    def _pipelined(
        self,
        items: Iterator[Record | dict[str, Any]],
        on_durable: Callable[[list[Receipt]], None] | None = None,
    ) -> list[Receipt]:
        run = self._run = Judgements(self.store, self.network, self.verify)
        receipts: list[Receipt] = []
        chunks = _chunks(items)
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="ingest") as pool:
            ready: Future[list[Record | Receipt]] | None = pool.submit(
                self._verify, self._parse(next(chunks))
            )
            committing: Future[None] | None = None
            previous: BatchView | None = None
            durable = judged = 0  # receipts told to on_durable; receipts of committed chunks
            while ready is not None:
                upcoming = next(chunks, None)
                next_parsed = self._parse(upcoming) if upcoming is not None else None
                prepared = ready.result()
                ready = pool.submit(self._verify, next_parsed) if next_parsed else None
                view = BatchView(self.store, parent=previous)
                if previous is not None:
                    run.next_view(previous, view)
                applied: list[tuple[Record, Changes]] = []
                evidence: list[Equivocation] = []
                for item in prepared:
                    if isinstance(item, Receipt):
                        receipts.append(item)
                    else:
                        receipts.append(self._judge(item, view, applied, evidence, checked=True))
                if committing is not None:
                    committing.result()  # the chunk before is in the store and its caches
                if on_durable is not None and durable < judged:
                    on_durable(receipts[durable:judged])
                    durable = judged
                view.parent = None
                committing = (
                    pool.submit(self.store.commit, applied, evidence, merged=view.pending)
                    if applied or evidence
                    else None
                )
                judged = len(receipts)
                previous = view
            if committing is not None:
                committing.result()
        if on_durable is not None and durable < len(receipts):
            on_durable(receipts[durable:])
        return receipts

    def _judge(
        self,
        item: Record | dict[str, Any],
        view: BatchView,
        applied: list[tuple[Record, Changes]],
        evidence: list[Equivocation],
        *,
        checked: bool = False,
    ) -> Receipt:
        return self._run.judge(item, view, applied, evidence, checked)
