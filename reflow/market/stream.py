"""Standing matches as a stream: who should hear that a new proposal matches theirs.

An in-process publish/subscribe hub over asyncio queues. The web page (server-sent events) or a
federation link subscribes, optionally for one agent, and receives a ``MatchFound`` whenever a
newly published proposal matches one of that agent's open proposals. Publishing may happen on
any thread (the CLI and the services are synchronous); delivery is handed to each subscriber's
event loop. A slow subscriber loses notices rather than holding up the market.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from reflow.ledger.ledger import ARRIVAL_LISTENERS
from reflow.market.matching import matches
from reflow.market.tables import acceptances


@dataclass(frozen=True, slots=True)
class MatchFound:
    """A new proposal (``matched``) matches the open proposal ``proposal`` of ``agent``."""

    agent: str
    proposal: str
    matched: str
    score: float
    reasons: dict[str, str] = field(default_factory=dict)
    name: str = "market.match-found"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "agent": self.agent,
            "proposal": self.proposal,
            "matched": self.matched,
            "score": round(self.score, 4),
            "reasons": self.reasons,
        }


@dataclass(frozen=True, slots=True)
class AcceptanceNews:
    """An acceptance ``agent`` should hear of: a new one to answer (the publisher hears
    ``pending``), or the publisher's answer (the acceptor hears ``confirmed``/``declined``)."""

    agent: str
    acceptance: str
    proposal: str
    status: str
    agreement: str | None = None
    name: str = "market.acceptance"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "agent": self.agent,
            "acceptance": self.acceptance,
            "proposal": self.proposal,
            "status": self.status,
            "agreement": self.agreement,
        }


Notice = MatchFound | AcceptanceNews


class Subscription:
    """What a subscriber reads from: ``async for notice in sub`` or ``await sub.get()``."""

    def __init__(self, hub: MatchStream, agent: str | None, maxsize: int) -> None:
        self.hub = hub
        self.agent = agent
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[Notice] = asyncio.Queue(maxsize)
        self.dropped = 0

    async def get(self) -> Notice:
        return await self.queue.get()

    def __aiter__(self) -> AsyncIterator[Notice]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[Notice]:
        while True:
            yield await self.queue.get()

    def close(self) -> None:
        self.hub.unsubscribe(self)

    def _offer(self, notice: Notice) -> None:
        try:
            self.queue.put_nowait(notice)
        except asyncio.QueueFull:
            self.dropped += 1


class MatchStream:
    def __init__(self) -> None:
        self._subs: list[Subscription] = []
        self._lock = threading.Lock()

    def subscribe(self, agent: str | None = None, *, maxsize: int = 1000) -> Subscription:
        """Call from inside a running event loop; ``agent=None`` hears every notice."""
        sub = Subscription(self, agent, maxsize)
        with self._lock:
            self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock, contextlib.suppress(ValueError):
            self._subs.remove(sub)

    @property
    def listening(self) -> bool:
        """Whether anyone is subscribed (announcing costs a match query; skip it otherwise)."""
        return bool(self._subs)

    def publish(self, notice: Notice) -> None:
        with self._lock:
            subs = [s for s in self._subs if s.agent in (None, notice.agent)]
        for sub in subs:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is sub.loop:
                sub._offer(notice)
            elif not sub.loop.is_closed():
                sub.loop.call_soon_threadsafe(sub._offer, notice)


STREAM = MatchStream()


def announce(store: Any, proposal_id: str, stream: MatchStream = STREAM) -> list[MatchFound]:
    """Tell the agents whose open proposals match a newly published one."""
    notices = [
        MatchFound(m.agent, m.proposal, proposal_id, m.score, m.reasons)
        for m in matches(store, proposal_id, limit=1000)
    ]
    for notice in notices:
        stream.publish(notice)
    return notices


def announce_acceptance(
    store: Any, acceptance_id: str, stream: MatchStream = STREAM
) -> list[AcceptanceNews]:
    """A pending acceptance goes to the publisher, a decided one to the acceptor."""
    with store.engine.connect() as conn:
        row = conn.execute(select(acceptances).where(acceptances.c.id == acceptance_id)).first()
    if row is None:
        return []
    who = row.publisher if row.status == "pending" else row.acceptor
    notice = AcceptanceNews(who, row.id, row.proposal, row.status, row.agreement)
    stream.publish(notice)
    return [notice]


def announce_applied(
    store: Any, records: Iterable[Any], receipts: Iterable[Any], stream: MatchStream = STREAM
) -> list[Notice]:
    """After ``Ledger.append_many`` (replication): announce the proposals it just applied, and
    the acceptances and the publishers' answers to them."""
    out: list[Notice] = []
    told: set[str] = set()  # an acceptance and its answer in one batch: the answer, once
    for rec, receipt in zip(records, receipts, strict=True):
        kind = rec.kind if hasattr(rec, "kind") else rec.get("kind")
        if receipt.status != "applied":
            continue
        if kind == "market.publish":
            out.extend(announce(store, receipt.created["Proposal"], stream))
        elif kind in ("market.accept", "market.confirm", "market.decline"):
            aid = receipt.created["Acceptance"]
            if aid not in told:
                told.add(aid)
                out.extend(announce_acceptance(store, aid, stream))
    return out


def announce_arrivals(store: Any, records: list[Any], receipts: list[Any]) -> None:
    """Arrival listener: replicated proposals and answers reach this node's subscribers too."""
    if STREAM.listening:
        announce_applied(store, records, receipts, STREAM)


if announce_arrivals not in ARRIVAL_LISTENERS:
    ARRIVAL_LISTENERS.append(announce_arrivals)
