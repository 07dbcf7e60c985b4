"""The federation's HTTP side: what a node serves to its peers, under ``/fed/``.

``federation_routes(node)`` is a plain list of Starlette routes so ``reflow serve`` can mount
them next to the GraphQL API; ``federation_app(node)`` is a standalone app that also runs the
replication loop (``FederationService``) in its lifespan.

    POST /fed/hello          signed handshake (both sides prove their node key and network)
    GET  /fed/info           this node's key and network
    GET  /fed/heads          author -> {seq, hash} of every chain held
    GET  /fed/records        ?author=&after=&limit=  one chain's records, as JSON lines
    POST /fed/log            ?after=POS&limit=  {heads}: what the asker lacks, in this node's order
    GET  /fed/stream         ?after=POS  Server-Sent Events: new records as they are appended
    GET  /fed/equivocations  ?after=ID  evidence: both signed records of every equivocation
    GET  /fed/search         ?q=&type=resource|offer|request  this node's matches
    GET  /fed/peers          the peer list and each peer's replication status
    GET  /fed/digest         the state digest (to watch nodes converge)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from reflow.errors import ReflowError, RuleViolation
from reflow.federation import queries
from reflow.federation.peers import (
    NonceCache,
    PeerBook,
    check_hello,
    make_hello,
    normalise_url,
)
from reflow.store.digest import state_digest

if TYPE_CHECKING:
    from reflow.federation.service import FederationService
    from reflow.node import Node

MAX_HELLO_BYTES = 4096
MAX_HAVE_BYTES = 16 * 1024 * 1024  # the asker's heads: ~70 bytes per chain
STREAM_POLL = 0.2  # seconds between looks at the log for the live stream
STREAM_HEARTBEAT = 10.0
STREAM_MAX_SECONDS = 600.0  # a subscriber reconnects after this; keeps streams from living forever
SEARCH_TYPES = ("resource", "offer", "request")


def error(exc: ReflowError, status: int = 400) -> JSONResponse:
    return JSONResponse({"ok": False, "error": exc.as_dict()}, status_code=status)


def _int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise RuleViolation(f"{name} must be an integer", field=name, rule="query") from None
    if value < 0:
        raise RuleViolation(f"{name} must not be negative", field=name, rule="query")
    return value


def federation_routes(node: Node, service: FederationService | None = None) -> list[Route]:
    """The ``/fed/...`` routes for ``node``; ``service`` adds replication status to /fed/peers."""
    nonces = NonceCache()
    book = PeerBook(node.settings.data_dir)

    async def hello(request: Request) -> Response:
        raw = await request.body()
        if len(raw) > MAX_HELLO_BYTES:
            return error(RuleViolation("the hello is too large", field="hello"), 413)
        try:
            theirs = check_hello(json.loads(raw or b"null"), node.info.network)
        except ValueError:
            return error(RuleViolation("the hello is not JSON", field="hello"))
        except ReflowError as exc:
            return error(exc, 403)
        if not nonces.fresh(theirs["nonce"]):
            return error(RuleViolation("this hello was seen before", field="nonce",
                                       rule="replay"), 403)  # fmt: skip
        if theirs["url"]:
            with contextlib.suppress(ReflowError):
                book.add(theirs["url"], source="hello", node_key=theirs["node_key"])
                book.pin(theirs["url"], theirs["node_key"])
                if service is not None:  # it is back: no need to wait out its backoff
                    service.heard_from(normalise_url(theirs["url"]))
        key = node.keystore.get(node.info.node_key)
        return JSONResponse(make_hello(key, node.info.network, nonce=theirs["nonce"]))

    async def info(request: Request) -> Response:
        return JSONResponse(node.info.as_dict())

    async def heads(request: Request) -> Response:
        end, found = await run_in_threadpool(queries.heads_at, node.store)
        return JSONResponse({"node": node.info.node_key, "heads": found, "log_end": end})

    async def records(request: Request) -> Response:
        try:
            author = request.query_params.get("author") or ""
            if not author:
                raise RuleViolation("author is required", field="author", rule="query")
            after = _int(request, "after", 0)
            limit = _int(request, "limit", 1000)
        except ReflowError as exc:
            return error(exc)
        lines = queries.chain_lines(node.store, author, after, limit)
        return StreamingResponse(lines, media_type="application/x-ndjson")

    async def log(request: Request) -> Response:
        try:
            after = _int(request, "after", 0)
            limit = _int(request, "limit", 1000)
            have = await _have(request) if request.method == "POST" else None
        except ReflowError as exc:
            return error(exc)
        lines = queries.log_lines(node.store, after, limit, have)
        return StreamingResponse(lines, media_type="text/plain")

    async def stream(request: Request) -> Response:
        try:
            after = _int(request, "after", -1)
        except ReflowError as exc:
            return error(exc)
        return StreamingResponse(
            _events(request, node, after),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def equivocations(request: Request) -> Response:
        try:
            after = _int(request, "after", 0)
        except ReflowError as exc:
            return error(exc)
        items = await run_in_threadpool(queries.evidence, node.store, after)
        return JSONResponse({"equivocations": items})

    async def search(request: Request) -> Response:
        q = request.query_params.get("q", "")
        kind = request.query_params.get("type", "resource")
        try:
            if kind not in SEARCH_TYPES:
                raise RuleViolation(f"type is one of {', '.join(SEARCH_TYPES)}", field="type",
                                    rule="query")  # fmt: skip
            if len(q) > 200:
                raise RuleViolation("q has at most 200 characters", field="q", rule="query")
            limit = _int(request, "limit", queries.SEARCH_LIMIT)
        except ReflowError as exc:
            return error(exc)
        results = await run_in_threadpool(queries.search, node.store, q, kind, limit)
        return JSONResponse({"node": node.info.node_key, "results": results})

    async def peers(request: Request) -> Response:
        listed = [asdict(p) for p in book.list()]
        status = service.status() if service is not None else {}
        now = time.monotonic()
        for p in listed:
            st = status.get(p["url"])
            if st is not None and st.get("last_sync") is not None:
                st["last_sync_seconds_ago"] = round(now - st["last_sync"], 1)
            p["status"] = st
        return JSONResponse({"peers": listed})

    async def digest(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(state_digest, node.store))

    return [
        Route("/fed/hello", hello, methods=["POST"]),
        Route("/fed/info", info),
        Route("/fed/heads", heads),
        Route("/fed/records", records),
        Route("/fed/log", log, methods=["GET", "POST"]),
        Route("/fed/stream", stream),
        Route("/fed/equivocations", equivocations),
        Route("/fed/search", search),
        Route("/fed/peers", peers),
        Route("/fed/digest", digest),
    ]


async def _have(request: Request) -> dict[str, int]:
    """The asker's heads (author -> seq), sent with POST /fed/log; bounded in size."""
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_HAVE_BYTES:
            raise RuleViolation("the heads sent are too large", field="heads", rule="size")
    try:
        have = json.loads(raw or b"{}").get("heads", {})
    except (ValueError, AttributeError):
        raise RuleViolation("send {heads: {author: seq}}", field="heads", rule="shape") from None
    if not isinstance(have, dict) or not all(type(v) is int for v in have.values()):
        raise RuleViolation("heads map authors to seq numbers", field="heads", rule="shape")
    return have


async def _events(request: Request, node: Node, after: int) -> AsyncIterator[bytes]:
    """SSE: one event per batch of new records (one ``data:`` line per record, then ``id:``)."""
    pos = after if after >= 0 else await run_in_threadpool(queries.log_end, node.store)
    started = last_beat = time.monotonic()
    yield b": reflow federation stream\n\n"
    while time.monotonic() - started < STREAM_MAX_SECONDS:
        if await request.is_disconnected():
            return
        rows = await run_in_threadpool(queries.log_tail, node.store, pos, 500)
        if rows:
            pos = rows[-1][0]
            data = b"".join(b"data: " + line for _, line in rows)
            # data lines first, then the id: a subscriber applies the batch when it sees the id
            yield data + b"id: " + str(pos).encode() + b"\n\n"
            last_beat = time.monotonic()
            continue
        if time.monotonic() - last_beat > STREAM_HEARTBEAT:
            yield b": ping\n\n"
            last_beat = time.monotonic()
        await asyncio.sleep(STREAM_POLL)


def federation_app(
    node: Node, *, sync: bool = True, interval: float = 2.0, own_url: str = ""
) -> Starlette:
    """A standalone app: the ``/fed`` routes, and (``sync``) the replication loop."""
    from reflow.federation.service import FederationService

    service = FederationService(node, interval=interval, own_url=own_url) if sync else None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if service is None:
            yield
            return
        async with service.running():
            yield

    app = Starlette(routes=federation_routes(node, service), lifespan=lifespan)
    app.state.federation = service
    return app
