"""The replication loop of a running node: handshakes, periodic pulls, live streams, backoff.

For every peer in ``peers.json``: introduce ourselves (signed hello; the peer's key is pinned),
then pull (``Puller``) every ``interval`` seconds, and subscribe to its live stream so new
records arrive within a fraction of a second; a pull also runs whenever the stream delivers a
record that has to wait (a gap the stream cannot fill). A peer that fails is retried with
exponential backoff; a peer that misbehaves (forged, malformed, oversized or endless data) is
cut off with its reason and a much longer backoff. ``status()`` shows all of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from reflow.errors import ReflowError
from reflow.federation.client import TIMEOUT, PeerClient, PeerError, bounded_lines
from reflow.federation.inbox import Inbox
from reflow.federation.peers import PeerBook, check_hello, make_hello
from reflow.federation.sync import Puller, SyncReport
from reflow.node import Node

log = logging.getLogger(__name__)

BACKOFF_BASE = 0.5  # seconds after the first failure of an unreachable peer
BACKOFF_MAX = 15.0
CUTOFF_BASE = 10.0  # seconds after the first misbehaviour
CUTOFF_MAX = 900.0
STREAM_EVENT_LINES = 1000


@dataclass(slots=True)
class PeerState:
    url: str
    node_key: str | None = None
    greeted: bool = False
    failures: int = 0
    cutoffs: int = 0
    retry_at: float = 0.0
    reason: str | None = None
    last_sync: float | None = None
    last_report: dict[str, Any] | None = None
    streaming: bool = False
    cut_off: bool = False  # for misbehaving (until it next syncs well), not for being away

    def usable(self) -> bool:
        return time.monotonic() >= self.retry_at


class FederationService:
    def __init__(
        self,
        node: Node,
        *,
        interval: float = 2.0,
        http: httpx.AsyncClient | None = None,
        own_url: str = "",
        stream: bool = True,
    ) -> None:
        self.node = node
        self.interval = interval
        self.own_url = own_url
        self.use_stream = stream
        self.book = PeerBook(node.settings.data_dir)
        self.inbox = Inbox(node.ledger, node._lock)
        self._http = http
        self.states: dict[str, PeerState] = {}
        self._wake = asyncio.Event()
        self._streams: dict[str, asyncio.Task[None]] = {}
        self.puller: Puller | None = None

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False)
        return self._http

    def _puller(self) -> Puller:
        if self.puller is None:
            self.puller = Puller(self.node, self.inbox, self.http)
        return self.puller

    def state(self, url: str) -> PeerState:
        return self.states.setdefault(url, PeerState(url))

    def status(self) -> dict[str, dict[str, Any]]:
        return {u: asdict(s) for u, s in self.states.items()}

    # -- failures ----------------------------------------------------------------------------

    def _failed(self, st: PeerState, exc: PeerError) -> None:
        st.cut_off = exc.misbehaved
        if exc.misbehaved:
            st.cutoffs += 1
            delay = min(CUTOFF_BASE * 2 ** (st.cutoffs - 1), CUTOFF_MAX)
            st.reason = f"cut off: {exc.reason}"
            st.greeted = False
            log.warning("peer %s cut off for %.0f s: %s", st.url, delay, exc.reason)
            task = self._streams.pop(st.url, None)
            if task is not None:
                task.cancel()
        else:
            st.failures += 1
            delay = min(BACKOFF_BASE * 2 ** (st.failures - 1), BACKOFF_MAX)
            st.reason = exc.reason
        st.retry_at = time.monotonic() + delay

    def _succeeded(self, st: PeerState) -> None:
        st.failures = 0
        st.reason = None
        st.cut_off = False

    def heard_from(self, url: str) -> None:
        """``url`` greeted us, so it is reachable again: pull from it now instead of when its
        backoff ends (after a long partition that is up to ``BACKOFF_MAX`` later, while the
        peer has already pulled from us). A peer cut off for misbehaving stays cut off."""
        st = self.states.get(url)
        if st is None or st.cut_off or st.usable():
            return
        st.retry_at = 0.0
        self._wake.set()

    # -- one peer ----------------------------------------------------------------------------

    async def greet(self, st: PeerState) -> None:
        """The signed handshake: the peer proves its key and network, or is refused."""
        key = self.node.keystore.get(self.node.info.node_key)
        mine = make_hello(key, self.node.info.network, url=self.own_url)
        try:
            answer = await PeerClient(self.http, st.url).hello(mine)
        except PeerError as exc:
            if exc.status in (400, 403, 413):  # it refused us: another network, or broken
                raise PeerError(f"handshake refused: {exc.reason}", misbehaved=True) from None
            raise
        try:
            theirs = check_hello(answer, self.node.info.network, nonce=mine["nonce"])
            self.book.pin(st.url, theirs["node_key"])
        except ReflowError as exc:
            raise PeerError(f"handshake refused: {exc}", misbehaved=True) from None
        st.node_key, st.greeted = theirs["node_key"], True

    async def sync_peer(self, url: str) -> SyncReport | None:
        st = self.state(url)
        if not st.usable():
            return None
        try:
            if not st.greeted:
                await self.greet(st)
            report = await self._puller().sync(url)
        except PeerError as exc:
            self._failed(st, exc)
            return None
        self._succeeded(st)
        st.last_sync = time.time()
        st.last_report = report.as_dict()
        if self.use_stream and url not in self._streams:
            self._streams[url] = asyncio.create_task(self._subscribe(url))
        return report

    async def sync_all(self) -> list[SyncReport]:
        urls = [p.url for p in self.book.list() if p.url != self.own_url]
        reports = await asyncio.gather(*(self.sync_peer(u) for u in urls))
        return [r for r in reports if r is not None]

    # -- the live stream ---------------------------------------------------------------------

    async def _subscribe(self, url: str) -> None:
        st = self.state(url)
        after = -1
        try:
            while True:
                if not st.usable() or not st.greeted:
                    await asyncio.sleep(max(0.2, st.retry_at - time.monotonic()))
                    continue
                try:
                    after = await self._stream_once(url, after)
                except PeerError as exc:
                    self._failed(st, exc)
                finally:
                    st.streaming = False
        except asyncio.CancelledError:
            return

    async def _stream_once(self, url: str, after: int) -> int:
        params = {"after": str(after)} if after >= 0 else {}
        timeout = httpx.Timeout(30.0, connect=3.0)
        try:
            async with self.http.stream(
                "GET", url + "/fed/stream", params=params, timeout=timeout
            ) as resp:
                if resp.status_code != 200:
                    raise PeerError(f"/fed/stream: HTTP {resp.status_code}")
                self.state(url).streaming = True
                lines: list[bytes] = []
                async for line in bounded_lines(resp, max_lines=10**12):
                    if line.startswith(b"data: "):
                        lines.append(line[6:])
                        if len(lines) > STREAM_EVENT_LINES:
                            raise PeerError("/fed/stream: an event too large", misbehaved=True)
                    elif line.startswith(b"id: "):
                        if lines:
                            await self._deliver(url, lines)
                            lines = []
                        with contextlib.suppress(ValueError):
                            after = int(line[4:])
                if lines:  # an event cut short by the end of the stream
                    await self._deliver(url, lines)
        except httpx.HTTPError as exc:
            raise PeerError(f"/fed/stream: {type(exc).__name__}: {exc}") from None
        return after

    async def _deliver(self, url: str, lines: list[bytes]) -> None:
        from reflow.federation.client import parse_line

        records = [parse_line(x) for x in lines]
        out = await self.inbox.run(self.inbox.offer, records)
        if out.forged:
            h, err = out.forged[0]
            raise PeerError(f"streamed a forged or malformed record {h[:12]}: {err}",
                            misbehaved=True)  # fmt: skip
        if out.held or out.rejected or out.equivocations:
            self._wake.set()  # a pull fills the gap (and gossips evidence) sooner than later

    # -- the loop ----------------------------------------------------------------------------

    async def run(self) -> None:
        while True:
            self._wake.clear()  # before the round: a wake-up during it starts the next at once
            try:
                await self.sync_all()
            except Exception:  # keep replicating whatever one round did
                log.exception("replication round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[FederationService]:
        task = asyncio.create_task(self.run())
        try:
            yield self
        finally:
            task.cancel()
            for t in self._streams.values():
                t.cancel()
            await asyncio.gather(task, *self._streams.values(), return_exceptions=True)
            self._streams.clear()
            if self._http is not None:
                await self._http.aclose()
                self._http = None
