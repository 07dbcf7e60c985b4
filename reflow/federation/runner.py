"""The ASGI app a replicating node serves: the API (if installed) plus ``/fed``, plus the loop.

``reflow serve`` belongs to the API; until it runs the federation itself, ``reflow node-serve``
uses ``build_app``. The replication loop is tied to the ASGI lifespan by a thin wrapper so that
the API app's own lifespan (if it has one) still runs.
"""

from __future__ import annotations

import importlib
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from reflow.federation.http import federation_app, federation_routes
from reflow.federation.service import FederationService
from reflow.node import Node


class WithFederation:
    """Runs ``service`` for as long as the wrapped app's lifespan lasts."""

    def __init__(self, app: ASGIApp, service: FederationService) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            async with self.service.running():
                await self.app(scope, receive, send)
            return
        await self.app(scope, receive, send)


def build_app(
    node: Node,
    *,
    sync: bool = True,
    interval: float = 2.0,
    own_url: str = "",
    extra_routes: tuple[Any, ...] | list[Any] = (),
) -> Any:
    """The API with ``/fed`` (and ``extra_routes``, e.g. the web pages), replicating if ``sync``."""
    try:
        create_app = importlib.import_module("reflow.api.app").create_app
    except (ImportError, AttributeError):
        create_app = None
    if create_app is None:
        return federation_app(node, sync=sync, interval=interval, own_url=own_url)
    service = FederationService(node, interval=interval, own_url=own_url)
    routes = [*extra_routes, *federation_routes(node, service)]
    api = create_app(node, extra_routes=routes)
    return WithFederation(api, service) if sync else api


def serve(
    node: Node,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    sync: bool = True,
    interval: float = 2.0,
) -> None:
    """Run a replicating node until interrupted (what ``reflow node-serve`` does)."""
    import uvicorn

    from reflow.federation.peers import PeerBook

    for url in node.settings.peers:  # REFLOW_PEERS
        PeerBook(node.settings.data_dir).add(url)
    app = build_app(node, sync=sync, interval=interval, own_url=f"http://{host}:{port}")
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=2)


def main(argv: list[str] | None = None) -> None:
    """``python -m reflow.federation.runner``: the server alone, for tests, demo and bench."""
    import argparse
    from pathlib import Path

    from reflow.settings import Settings

    p = argparse.ArgumentParser(prog="reflow-node")
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument("--db", default=None)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--sync-interval", type=float, default=2.0)
    p.add_argument("--no-sync", action="store_true")
    args = p.parse_args(argv)
    node = Node.open(Settings.from_env(data_dir=args.data_dir, database_url=args.db))
    try:
        serve(node, host=args.host, port=args.port, sync=not args.no_sync,
              interval=args.sync_interval)  # fmt: skip
    finally:
        node.close()


if __name__ == "__main__":
    main()
