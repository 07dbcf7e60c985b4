"""Federated search: ask every peer at once, with a deadline, and say where each result is.

A slow or dead peer costs at most ``timeout`` seconds and shows up in ``errors``; it never
hides the answers of the others. Results keep the node they came from (its URL and node key).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from reflow.federation import queries
from reflow.federation.client import PeerClient, PeerError
from reflow.node import Node


async def search_peers(
    urls: list[str],
    q: str,
    kind: str = "resource",
    *,
    timeout: float = 3.0,
    limit: int = queries.SEARCH_LIMIT,
    http: httpx.AsyncClient | None = None,
) -> dict[str, Any]:
    """``{"results": [{..., "node": url}], "errors": {url: reason}}`` from all ``urls``."""
    own = http is None
    client = http or httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=min(timeout, 2.0)))

    async def one(url: str) -> tuple[str, list[dict[str, Any]] | str]:
        try:
            async with asyncio.timeout(timeout):
                return url, await PeerClient(client, url).search(q, kind, limit)
        except TimeoutError:
            return url, f"no answer within {timeout} s"
        except PeerError as exc:
            return url, exc.reason

    try:
        answers = await asyncio.gather(*(one(u) for u in urls))
    finally:
        if own:
            await client.aclose()
    results: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for url, got in answers:
        if isinstance(got, str):
            errors[url] = got
        else:
            results.extend({**r, "node": url} for r in got)
    return {"results": results, "errors": errors}


async def federated_search(
    node: Node, urls: list[str], q: str, kind: str = "resource", **kwargs: Any
) -> dict[str, Any]:
    """This node's own matches (``node`` = "local") and every peer's."""
    local = await asyncio.to_thread(queries.search, node.store, q, kind)
    remote = await search_peers(urls, q, kind, **kwargs)
    remote["results"] = [{**r, "node": "local"} for r in local] + remote["results"]
    return remote
