"""Pulling what a peer has and this node lacks: heads, then bounded batches, then evidence.

One round with a peer: first stream its log from where the last round stopped, sending our heads
so that the peer sends only what we lack, in its own order (dependencies first: the fast path
for catching up, and cheap after a partition). Then ask its heads
(author -> seq, hash); for each chain where it is still ahead,
stream the missing records in requests of at most ``per_request`` and hand them to the inbox in
batches of ``batch`` as they arrive (memory stays bounded however long the backlog). Chains
that wait on other chains are revisited while any chain makes progress, so a backlog in any
order converges in one round. Where the peer holds a different record at a seq we hold (a
fork), the peer's record is offered too, and the ledger stores the pair as evidence. Finally
the peer's evidence of equivocations is pulled and offered the same way.

The database work runs in a worker thread under the node's write lock, so the event loop keeps
serving peers while this node catches up.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from reflow.errors import ChainError
from reflow.federation.client import PULL_DEADLINE, PeerClient, PeerError
from reflow.federation.equivocation import flags_of
from reflow.federation.inbox import Inbox, Outcome
from reflow.federation.queries import heads
from reflow.ledger.ledger import CHUNK
from reflow.node import Node

CURSORS_FILE = "fed_cursors.json"
MAX_STRIKES = 3  # refused records a peer may forward before it is cut off
# Records handed to the inbox at once: several of the ledger's pipeline chunks, so a long
# catch-up takes its ingest pipeline, which fills and drains once a batch. Measured at 100k
# records (5000-record chunks, B's records/s and peak RSS): 2 chunks 6.6-7.2k/s, 415 MiB;
# 4 chunks 8.3-8.4k/s, 437 MiB; 8 chunks 8.5k/s, 469 MiB.
BATCH = 4 * CHUNK
QUEUE_BATCHES = 1  # batches read ahead of the one being applied
# Batches judged as one stream (one pipeline) before the node's write lock is let go, and how
# long the stream waits for the next batch before it ends there: the node's own writes wait
# for the lock at most about this long.
STREAM_BATCHES = 5
STREAM_WAIT = 1.0


class _Late(Exception):
    """The next batch did not come in time: the stream ends, the lock is let go."""

_Batch = tuple[list[dict[str, Any]], int | None]


@dataclass(slots=True)
class SyncReport:
    peer: str
    applied: int = 0
    duplicate: int = 0
    held: int = 0
    equivocations: int = 0
    rejected: int = 0
    chains: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Puller:
    def __init__(
        self,
        node: Node,
        inbox: Inbox,
        http: httpx.AsyncClient,
        *,
        batch: int = BATCH,
        per_request: int = 5000,
    ) -> None:
        self.node = node
        self.inbox = inbox
        self.http = http
        self.batch = batch
        self.per_request = per_request
        self.strikes: dict[str, int] = {}
        self.evidence_cursor: dict[str, int] = {}
        # peer URL -> last position of its log pulled; kept in the data dir across restarts so
        # a restarted node does not stream a peer's whole log again
        self.cursor_file = node.settings.data_dir / CURSORS_FILE
        self.cursors: dict[str, int] = _load_cursors(self.cursor_file)

    # -- database work, off the event loop -------------------------------------------------

    async def _offer(self, records: list[dict[str, Any]]) -> Outcome:
        return await self.inbox.run(self.inbox.offer, records)

    async def _offer_to_the_end(self, records: list[dict[str, Any]]) -> Outcome:
        """``_offer``, waited for even if this task is cancelled (the service stopping): the
        worker thread cannot be cancelled, and the node must not close under its commit."""
        work = asyncio.ensure_future(self._offer(records))
        try:
            return await asyncio.shield(work)
        finally:
            if not work.done():
                with contextlib.suppress(Exception):
                    await work

    def _heads_locked(self, authors: list[str]) -> dict[str, tuple[int, str | None]]:
        store = self.node.store
        with self.inbox.lock:
            store.refresh()
            out: dict[str, tuple[int, str | None]] = {}
            for a in authors:
                head = store.head(a)
                out[a] = head if head else (0, None)
            return out

    def _all_heads(self) -> dict[str, int]:
        return {a: h["seq"] for a, h in heads(self.node.store).items()}

    def _hash_at(self, author: str, seq: int) -> str | None:
        with self.inbox.lock:
            return self.node.store.hash_at(author, seq)

    # -- one round ---------------------------------------------------------------------------

    async def sync(self, url: str) -> SyncReport:
        """Pull everything ``url`` has that this node lacks; raise PeerError to cut it off."""
        started = time.monotonic()
        peer = PeerClient(self.http, url)
        report = SyncReport(peer=url)
        await self._pull_log(peer, report)
        theirs = await peer.heads()
        flags = await self.inbox.run(flags_of, self.node.store)
        mine = await self.inbox.run(self._heads_locked, sorted(theirs))
        todo: dict[str, tuple[int, str]] = {}
        for author, (seq, hsh) in theirs.items():
            if author in flags and seq > flags[author]:
                seq = flags[author]  # an equivocator's later records are held: don't fetch them
            if seq > mine[author][0]:
                todo[author] = (seq, hsh)
            elif seq == theirs[author][0] and hsh != (
                mine[author][1]  # level heads, the usual case: no query
                if seq == mine[author][0]
                else await self.inbox.run(self._hash_at, author, seq)
            ):
                await self._probe_fork(peer, author, seq, report)  # same seq, another record
        report.chains = len(todo)
        while todo:
            progress = False
            for author in sorted(todo):
                target = todo[author][0]
                moved, finished = await self._pull_chain(peer, author, target, report)
                progress = progress or moved
                if finished:
                    del todo[author]
            if not progress:
                break
        await self._pull_evidence(peer, report)
        report.seconds = round(time.monotonic() - started, 3)
        return report

    async def _pull_log(self, peer: PeerClient, report: SyncReport) -> None:
        """Stream the peer's log from where we left it, in its order (dependencies first).

        Fetching and applying overlap: one task reads requests of ``per_request`` records back
        to back and queues them in batches of ``batch``, while the inbox's worker thread judges
        the batches as one stream (``Inbox.offer_stream``: one ingest pipeline, not one per
        batch). The queue holds at most ``QUEUE_BATCHES``, so at most that many batches, plus
        the ones in the pipeline and the one being read, are in memory, however long the
        backlog. The cursor moves past a request's end only once its records are committed.
        A stream ends after ``STREAM_BATCHES`` batches, or when the next batch is not there
        within ``STREAM_WAIT`` seconds: the node's write lock is then free for its own writes.
        """
        cursor = self.cursors.get(peer.url, 0)
        have = await self.inbox.run(self._all_heads)
        queue: asyncio.Queue[_Batch | BaseException | None] = asyncio.Queue(QUEUE_BATCHES)
        reader = asyncio.create_task(self._read_log(peer, cursor, have, queue))
        try:
            late: concurrent.futures.Future[_Batch | BaseException | None] | None = None
            while True:
                item = await (asyncio.wrap_future(late) if late is not None else queue.get())
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                ended, late = await self._apply_stream(peer, item, queue, report)
                if ended:
                    return
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    async def _apply_stream(
        self,
        peer: PeerClient,
        first: _Batch,
        queue: asyncio.Queue[_Batch | BaseException | None],
        report: SyncReport,
    ) -> tuple[bool, concurrent.futures.Future[_Batch | BaseException | None] | None]:
        """Judge ``first`` and the batches that follow it as one stream. Returns whether the
        log has ended (its end marker was taken from the queue) and, when the stream ended
        because the next batch was late, the pending read of it (to await, not to drop)."""
        loop = asyncio.get_running_loop()
        stop = threading.Event()
        ended = False
        late: concurrent.futures.Future[_Batch | BaseException | None] | None = None
        read_tos: deque[int | None] = deque()

        def take() -> _Batch | BaseException | None:
            """The next batch, as the worker thread waits for it (raises ``_Late``)."""
            nonlocal late
            got = asyncio.run_coroutine_threadsafe(queue.get(), loop)
            deadline = time.monotonic() + STREAM_WAIT
            while not stop.is_set() and time.monotonic() < deadline:
                with contextlib.suppress(concurrent.futures.TimeoutError):
                    return got.result(timeout=0.05)
            late = got
            raise _Late

        def batches() -> Iterator[list[dict[str, Any]]]:
            nonlocal ended
            item: _Batch | BaseException | None = first
            for count in range(1, STREAM_BATCHES + 1):
                if item is None:
                    ended = True
                    return
                if isinstance(item, BaseException):
                    raise item
                records, read_to = item
                read_tos.append(read_to)
                yield records
                if count == STREAM_BATCHES:
                    return  # the next batch stays in the queue for the next stream
                try:
                    item = take()
                except _Late:
                    return

        def done(out: Outcome) -> None:
            self._account(peer.url, out, report)
            read_to = read_tos.popleft()
            if read_to is not None and read_to != self.cursors.get(peer.url, 0):
                self.cursors[peer.url] = read_to
                _save_cursors(self.cursor_file, self.cursors)

        work = asyncio.ensure_future(self.inbox.run(self.inbox.offer_stream, batches(), done))
        try:
            retried = await asyncio.shield(work)
        finally:
            if not work.done():  # cancelled (the service stopping): let the commit finish
                stop.set()
                with contextlib.suppress(Exception):
                    await work
        self._account(peer.url, retried, report)
        return ended, late

    async def _read_log(
        self,
        peer: PeerClient,
        cursor: int,
        have: dict[str, int],
        queue: asyncio.Queue[_Batch | BaseException | None],
    ) -> None:
        """Fill ``queue`` with batches and end it with None (or with the error that stopped
        the reading). A batch may span requests; it carries the end of the last request it
        completes (or None), which the cursor may move to once the batch is judged."""
        chunk: list[dict[str, Any]] = []
        read_to: int | None = None
        try:
            while True:
                count, last = 0, cursor
                try:
                    async with asyncio.timeout(PULL_DEADLINE):
                        async for pos, rec in peer.log(cursor, self.per_request, have):
                            last = pos
                            if rec is None:  # the end marker: read up to here
                                break
                            if len(chunk) >= self.batch:  # full, and more is coming
                                await queue.put((chunk, read_to))
                                chunk, read_to = [], None
                            chunk.append(rec)
                            count += 1
                except TimeoutError:
                    raise PeerError(f"/fed/log: not done within {PULL_DEADLINE} s (endless?)",
                                    misbehaved=True) from None  # fmt: skip
                cursor = read_to = last
                done = count < self.per_request  # a short answer: the end of the log
                if done or len(chunk) >= self.batch:
                    await queue.put((chunk, read_to))
                    chunk, read_to = [], None
                if done:
                    await queue.put(None)
                    return
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # handed to the applying side, which raises it
            await queue.put(exc)

    async def _pull_chain(
        self, peer: PeerClient, author: str, target: int, report: SyncReport
    ) -> tuple[bool, bool]:
        """Pull one chain up to ``target``; (did anything apply, is the chain done)."""
        start = (await self.inbox.run(self._heads_locked, [author]))[author][0]
        if start >= target:
            return False, True
        moved = False
        pending: list[dict[str, Any]] = []
        out = Outcome()
        try:
            async with asyncio.timeout(PULL_DEADLINE):
                expect = start + 1
                async for rec in peer.chain(author, start, min(self.per_request, target - start)):
                    if rec.get("author") != author or rec.get("seq") != expect:
                        raise PeerError(f"/fed/records: asked for {author[:8]} seq {expect}, "
                                        f"got another record", misbehaved=True)  # fmt: skip
                    expect += 1
                    pending.append(rec)
                    if len(pending) >= self.batch:
                        out = await self._offer(pending)
                        pending = []
                        moved |= self._account(peer.url, out, report)
                        if out.held or out.rejected:
                            break  # the rest of this chain would wait too: stop reading it
                if pending:
                    out = await self._offer(pending)
                    moved |= self._account(peer.url, out, report)
                if _forks(out):
                    head = (await self.inbox.run(self._heads_locked, [author]))[author][0]
                    await self._probe_fork(peer, author, head, report)
        except TimeoutError:
            raise PeerError(f"/fed/records: not done within {PULL_DEADLINE} s (endless?)",
                            misbehaved=True) from None  # fmt: skip
        blocked = bool(out.held or out.rejected)
        now = (await self.inbox.run(self._heads_locked, [author]))[author][0]
        return moved, now >= target or (blocked and not moved)

    def _account(self, url: str, out: Outcome, report: SyncReport) -> bool:
        report.applied += out.applied
        report.duplicate += out.duplicate
        report.held += out.held
        report.equivocations += out.equivocations
        if out.forged:
            h, err = out.forged[0]
            raise PeerError(f"sent a forged or malformed record {h[:12]}: {err}", misbehaved=True)
        bad = [
            (h, e)
            for h, e in out.rejected
            if e.rule != "equivocating-author" and not isinstance(e, ChainError)
        ]
        report.rejected += len(bad)
        if bad:
            self.strikes[url] = self.strikes.get(url, 0) + len(bad)
            if self.strikes[url] >= MAX_STRIKES:
                h, err = bad[0]
                raise PeerError(f"forwarded records our rules refuse ({h[:12]}: {err})",
                                misbehaved=True)  # fmt: skip
        return out.applied > 0

    async def _probe_fork(
        self, peer: PeerClient, author: str, seq: int, report: SyncReport
    ) -> None:
        """Fetch the peer's record at ``seq``; if it differs from ours the ledger keeps both."""
        if seq < 1:
            return
        async with asyncio.timeout(PULL_DEADLINE):
            got = [r async for r in peer.chain(author, seq - 1, 1)]
        if got:
            out = await self._offer(got)
            self._account(peer.url, out, report)

    async def _pull_evidence(self, peer: PeerClient, report: SyncReport) -> None:
        after = self.evidence_cursor.get(peer.url, 0)
        items = await peer.equivocations(after)
        for item in items:
            pair = [item.get("kept"), item.get("other")]
            if not all(isinstance(r, dict) for r in pair):
                raise PeerError("/fed/equivocations: evidence without its two records",
                                misbehaved=True)  # fmt: skip
            out = await self._offer(pair)  # type: ignore[arg-type]
            self._account(peer.url, out, report)
            if type(item.get("id")) is int:
                after = max(after, item["id"])
        self.evidence_cursor[peer.url] = after


def _forks(out: Outcome) -> bool:
    return any(isinstance(e, ChainError) and e.field == "prev" for _, e in out.rejected)


def _load_cursors(path: Path) -> dict[str, int]:
    try:
        raw = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return {k: v for k, v in raw.items() if isinstance(k, str) and type(v) is int}


def _save_cursors(path: Path, cursors: dict[str, int]) -> None:
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(cursors))
    os.replace(tmp, path)
