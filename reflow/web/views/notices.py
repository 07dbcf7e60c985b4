"""``GET /market/stream``: the market's standing matches and acceptance news as Server-Sent Events.

A page (or any client: ``curl -N``) subscribes for one agent, or for everyone without ``agent``,
and hears each notice as it happens — including those caused by records that arrived from other
nodes. ``limit=N`` ends the stream after N notices (a script can wait for "the next match").
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from reflow.market.stream import STREAM
from reflow.web.render import Web

KEEP_ALIVE_SECONDS = 15.0


async def stream(request: Request) -> Response:
    agent = request.query_params.get("agent") or None
    try:
        limit = int(request.query_params.get("limit", "0"))
    except ValueError:
        return Response("limit must be a whole number", status_code=400)
    sub = STREAM.subscribe(agent)

    async def events() -> AsyncIterator[str]:
        sent = 0
        try:
            yield ": listening\n\n"
            while not limit or sent < limit:
                try:
                    notice = await asyncio.wait_for(sub.get(), KEEP_ALIVE_SECONDS)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": keep-alive\n\n"
                    continue
                data = notice.as_dict()
                yield f"event: {type(notice).__name__}\ndata: {json.dumps(data)}\n\n"
                sent += 1
        finally:
            sub.close()

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"cache-control": "no-cache"}
    )


def routes(web: Web) -> list[BaseRoute]:
    return [Route("/market/stream", stream, methods=["GET"])]
