"""``reflow serve``: the node's GraphQL API and HTTP endpoints under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from reflow.cli.node_commands import DataDir, DbUrl, settings_from
from reflow.node import Node

console = Console()


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        data_dir: DataDir = None,
        db: DbUrl = None,
        host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
        port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
        log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "warning",
        peer: Annotated[
            list[str] | None,
            typer.Option("--peer", help="URL of a peer to replicate with (repeatable)"),
        ] = None,
        sync_interval: Annotated[float, typer.Option(help="seconds between pulls")] = 2.0,
        no_sync: Annotated[bool, typer.Option("--no-sync", help="do not replicate")] = False,
    ) -> None:
        """Serve the node: web pages at /, GraphQL at /api (/play, /schema, /health, /metrics),
        passports, and /fed — replicating with its peers (peers.json, REFLOW_PEERS, --peer)."""
        import uvicorn

        from reflow.api.serve import freeze_startup_objects
        from reflow.federation.peers import PeerBook
        from reflow.federation.runner import build_app
        from reflow.web import web_routes

        settings = settings_from(data_dir, db)
        node = Node.open(settings)
        bind_host = host or settings.host
        bind_port = port if port is not None else settings.port
        book = PeerBook(settings.data_dir)
        for url in [*settings.peers, *(peer or [])]:
            book.add(url)
        app = build_app(
            node, sync=not no_sync, interval=sync_interval,
            own_url=f"http://{bind_host}:{bind_port}", extra_routes=web_routes(node),
        )  # fmt: skip
        console.print(f"serving [bold]http://{bind_host}:{bind_port}/[/] (network "
                      f"{node.info.network_name}; {len(book.list())} peer(s))")  # fmt: skip
        freeze_startup_objects()
        try:
            uvicorn.run(app, host=bind_host, port=bind_port, log_level=log_level,
                        access_log=False, timeout_graceful_shutdown=2)  # fmt: skip
        finally:
            node.close()
