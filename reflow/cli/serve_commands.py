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
    ) -> None:
        """Serve GraphQL at /api (GraphiQL at /play, SDL at /schema, /health, /metrics)."""
        import uvicorn

        from reflow.api.app import create_app
        from reflow.web import web_routes

        settings = settings_from(data_dir, db)
        node = Node.open(settings)
        bind_host = host or settings.host
        bind_port = port if port is not None else settings.port
        console.print(f"serving [bold]http://{bind_host}:{bind_port}/api[/] (network "
                      f"{node.info.network_name})")  # fmt: skip
        try:
            uvicorn.run(
                create_app(node, extra_routes=web_routes(node)), host=bind_host, port=bind_port,
                log_level=log_level, access_log=False,
            )  # fmt: skip
        finally:
            node.close()
