"""Talking to one peer over HTTP, trusting nothing it sends.

Every call has a total deadline on top of httpx's connect/read timeouts (a peer that drips one
byte a second never trips a read timeout), every line has a size cap, and every answer a count
cap. Anything outside those bounds, or not the shape asked for, raises ``PeerError`` with the
reason; the caller cuts the peer off and applies nothing more from it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson

from reflow.ledger.records import MAX_RECORD_BYTES

MAX_LINE = MAX_RECORD_BYTES + 4096  # a record line: the payload plus its signature
MAX_JSON = 8 * 1024 * 1024  # heads, evidence, search answers
TIMEOUT = httpx.Timeout(10.0, connect=3.0)
CALL_DEADLINE = 30.0  # seconds for a small call
PULL_DEADLINE = 120.0  # seconds for one bounded pull of records


class PeerError(Exception):
    """The peer failed or misbehaved; ``reason`` says how (shown in status and logs)."""

    def __init__(self, reason: str, *, misbehaved: bool = False, status: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.misbehaved = misbehaved
        self.status = status  # the HTTP status, when the peer answered with an error


async def bounded_lines(
    response: httpx.Response, max_lines: int, max_line: int = MAX_LINE
) -> AsyncIterator[bytes]:
    """The response's non-empty lines; refuse an oversized line or more than ``max_lines``.

    Linear in the bytes received: each network chunk is split once, and a line that spans chunks
    is kept as pieces until its end arrives (a peer dripping a long line byte by byte costs one
    join, not a copy per byte).
    """
    pieces: list[bytes] = []  # the start of a line whose end has not arrived yet
    pending = 0
    count = 0
    async for chunk in response.aiter_bytes():
        if b"\n" not in chunk:
            pieces.append(chunk)
            pending += len(chunk)
            if pending > max_line:
                raise PeerError(f"a line longer than {max_line} bytes", misbehaved=True)
            continue
        if pieces:
            pieces.append(chunk)
            chunk = b"".join(pieces)
            pieces = []
        *lines, rest = chunk.split(b"\n")
        for line in lines:
            if len(line) > max_line:
                raise PeerError(f"a line of {len(line)} bytes (max {max_line})", misbehaved=True)
            if line.strip():
                count += 1
                if count > max_lines:
                    raise PeerError(f"more than the {max_lines} lines asked for", misbehaved=True)
                yield line
        pending = len(rest)
        if pending > max_line:
            raise PeerError(f"a line longer than {max_line} bytes", misbehaved=True)
        if rest:
            pieces.append(rest)
    last = b"".join(pieces)
    if last.strip():
        count += 1
        if count > max_lines:
            raise PeerError(f"more than the {max_lines} lines asked for", misbehaved=True)
        yield last


class PeerClient:
    """The federation endpoints of one peer."""

    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        self.http = http
        self.url = url.rstrip("/")
        self.log_end: int | None = None  # the peer's log position when it last gave its heads

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            async with asyncio.timeout(CALL_DEADLINE):
                async with self.http.stream(method, self.url + path, **kwargs) as resp:
                    if resp.status_code != 200:
                        body = (await resp.aread())[:300].decode(errors="replace")
                        raise PeerError(
                            f"{method} {path}: HTTP {resp.status_code} {body}",
                            status=resp.status_code,
                        )
                    parts: list[bytes] = []
                    size = 0
                    async for chunk in resp.aiter_bytes():
                        parts.append(chunk)
                        size += len(chunk)
                        if size > MAX_JSON:
                            raise PeerError(
                                f"{path}: answer over {MAX_JSON} bytes", misbehaved=True
                            )
                    raw = b"".join(parts)
        except TimeoutError:
            raise PeerError(f"{path}: no answer within {CALL_DEADLINE} s") from None
        except httpx.HTTPError as exc:
            raise PeerError(f"{path}: {type(exc).__name__}: {exc}") from None
        try:
            return orjson.loads(raw)
        except ValueError:
            raise PeerError(f"{path}: the answer is not JSON", misbehaved=True) from None

    async def hello(self, hello: dict[str, Any]) -> Any:
        return await self._json("POST", "/fed/hello", json=hello)

    async def heads(self) -> dict[str, tuple[int, str]]:
        raw = await self._json("GET", "/fed/heads")
        chains = raw.get("heads") if isinstance(raw, dict) else None
        end = raw.get("log_end") if isinstance(raw, dict) else None
        self.log_end = end if type(end) is int and end >= 0 else None
        if not isinstance(chains, dict):
            raise PeerError("/fed/heads: not {heads: {author: {seq, hash}}}", misbehaved=True)
        out: dict[str, tuple[int, str]] = {}
        for author, head in chains.items():
            if not (
                isinstance(head, dict)
                and type(head.get("seq")) is int
                and head["seq"] >= 1
                and isinstance(head.get("hash"), str)
            ):
                raise PeerError(f"/fed/heads: a bad head for {author!r}", misbehaved=True)
            out[author] = (head["seq"], head["hash"])
        return out

    async def chain(self, author: str, after: int, limit: int) -> AsyncIterator[dict[str, Any]]:
        """Records of ``author`` after ``after``, parsed as JSON objects (not yet verified)."""
        # The caller sets the deadline around the whole pull (a timeout inside a generator
        # would fire while the caller, not the generator, is suspended).
        params = {"author": author, "after": str(after), "limit": str(limit)}
        try:
            async with self.http.stream("GET", self.url + "/fed/records", params=params) as r:
                if r.status_code != 200:
                    raise PeerError(f"/fed/records: HTTP {r.status_code}")
                async for line in bounded_lines(r, limit):
                    yield parse_line(line)
        except httpx.HTTPError as exc:
            raise PeerError(f"/fed/records: {type(exc).__name__}: {exc}") from None

    async def log(
        self, after: int, limit: int, have: dict[str, int]
    ) -> AsyncIterator[tuple[int, dict[str, Any] | None]]:
        """(position, record) of what we lack from the peer's log after ``after``, in its order;
        the last item is (position read up to, None). The caller sets a deadline."""
        params = {"after": str(after), "limit": str(limit)}
        last = after
        try:
            async with self.http.stream(
                "POST",
                self.url + "/fed/log",
                params=params,
                content=orjson.dumps({"heads": have}),
                headers={"content-type": "application/json"},
            ) as r:
                if r.status_code != 200:
                    raise PeerError(f"/fed/log: HTTP {r.status_code}")
                async for line in bounded_lines(r, limit + 1, MAX_LINE + 24):
                    head, _, rest = line.partition(b" ")
                    try:
                        pos = int(head)
                    except ValueError:
                        raise PeerError("/fed/log: a line without its position",
                                        misbehaved=True) from None  # fmt: skip
                    if rest == b"end":
                        if pos < last:
                            raise PeerError("/fed/log: the end is before the records",
                                            misbehaved=True)  # fmt: skip
                        yield pos, None
                        return
                    if pos <= last:
                        raise PeerError("/fed/log: positions do not increase", misbehaved=True)
                    last = pos
                    yield pos, parse_line(rest)
        except httpx.HTTPError as exc:
            raise PeerError(f"/fed/log: {type(exc).__name__}: {exc}") from None

    async def equivocations(self, after: int = 0) -> list[dict[str, Any]]:
        raw = await self._json("GET", "/fed/equivocations", params={"after": str(after)})
        items = raw.get("equivocations") if isinstance(raw, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise PeerError("/fed/equivocations: not a list of evidence", misbehaved=True)
        return items

    async def search(self, q: str, kind: str, limit: int) -> list[dict[str, Any]]:
        raw = await self._json("GET", "/fed/search", params={"q": q, "type": kind,
                                                              "limit": str(limit)})  # fmt: skip
        results = raw.get("results") if isinstance(raw, dict) else None
        if not isinstance(results, list):
            raise PeerError("/fed/search: not {results: [...]}", misbehaved=True)
        return [r for r in results[:limit] if isinstance(r, dict)]


def parse_line(line: bytes) -> dict[str, Any]:
    """One record line as a JSON object (orjson: a few times the standard library's speed, and
    it refuses NaN, infinities and lone surrogates, which no record may hold anyway)."""
    try:
        value = orjson.loads(line)
    except ValueError:
        raise PeerError("a record line is not JSON", misbehaved=True) from None
    if not isinstance(value, dict):
        raise PeerError("a record line is not a JSON object", misbehaved=True)
    return value
