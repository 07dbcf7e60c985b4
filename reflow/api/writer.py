"""Group commit for the API's writes: concurrent mutations share one transaction.

Every acknowledged record must be on disk, and a disk sync costs milliseconds, so one commit per
request caps a node at a few dozen writes a second. Here each mutation hands its record to one
writer thread and waits; the thread takes everything waiting (one record per author, so each
author's chain stays in order), signs, appends the batch with ``Ledger.append_many`` in one
transaction, and answers each request with its own receipt — only after the commit returned.
A refused record refuses only itself.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from reflow.ledger.keys import KeyPair
from reflow.ledger.ledger import Receipt
from reflow.ledger.records import Record
from reflow.node import Node

log = logging.getLogger(__name__)
MAX_BATCH = 64


@dataclass
class _Item:
    author: str
    key: KeyPair | None = None
    kind: str = ""
    body: dict[str, Any] = field(default_factory=dict)
    record: Record | None = None
    result: Future[Receipt] = field(default_factory=Future)


class GroupWriter:
    def __init__(self, node: Node, max_batch: int = MAX_BATCH) -> None:
        self.node = node
        self.max_batch = max_batch
        self.queue: queue.Queue[_Item | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def submit(self, key: KeyPair, kind: str, body: dict[str, Any]) -> Receipt:
        """Sign a record as ``key`` and append it; raises its error if refused."""
        return self._wait(_Item(key.public, key=key, kind=kind, body=body))

    def append(self, record: Record) -> Receipt:
        """Append a record signed elsewhere; raises its error if refused."""
        return self._wait(_Item(record.author, record=record))

    def _wait(self, item: _Item) -> Receipt:
        self._ensure_thread()
        self.queue.put(item)
        return item.result.result()

    def _ensure_thread(self) -> None:
        with self._start:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="api-writer", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self.queue.put(None)
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self.queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    nxt = self.queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self.queue.put(None)  # stop after this batch
                    break
                batch.append(nxt)
            self._write(batch)

    def _write(self, batch: list[_Item]) -> None:
        now: list[_Item] = []
        authors: set[str] = set()
        for item in batch:
            if item.author in authors:
                self.queue.put(item)  # the author's next record waits for the next batch
            else:
                authors.add(item.author)
                now.append(item)
        try:
            with self.node._lock:  # the node's one writer lock, shared with node.submit
                self.node.store.refresh()
                signed: list[tuple[_Item, Record]] = []
                for item in now:
                    try:
                        rec = item.record or self.node.sign(item.key, item.kind, item.body)  # type: ignore[arg-type]
                    except Exception as exc:  # a body that cannot be signed refuses itself
                        item.result.set_exception(exc)
                        continue
                    signed.append((item, rec))
                receipts = self.node.ledger.append_many([rec for _, rec in signed])
        except BaseException as exc:  # the batch failed as a whole: tell every waiting request
            log.exception("group commit failed")
            for item in now:
                if not item.result.done():
                    item.result.set_exception(exc)
            return
        for (item, _), receipt in zip(signed, receipts, strict=True):
            if receipt.error is not None:
                item.result.set_exception(receipt.error)
            else:
                item.result.set_result(receipt)
