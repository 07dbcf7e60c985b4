"""``reflow bench api``: GraphQL resource reads against the plain JSON ceiling; signed writes."""

from __future__ import annotations

import json
from typing import Annotated

import typer


def register(bench_app: typer.Typer) -> None:
    @bench_app.command()
    def api(
        db: Annotated[
            str | None,
            typer.Option("--db", help="database URL (default: a fresh SQLite file)"),
        ] = None,
        resources: Annotated[int, typer.Option(help="resources in the store")] = 2000,
        agents: Annotated[int, typer.Option(help="agents owning them")] = 50,
        concurrency: Annotated[int, typer.Option(help="concurrent clients")] = 32,
        seconds: Annotated[float, typer.Option(help="seconds per measured phase")] = 10.0,
    ) -> None:
        """Serve a filled node on 127.0.0.1 and measure p50/p99 and throughput (JSON)."""
        from reflow.bench.api import run

        out = run(db, agents=agents, resources=resources, concurrency=concurrency,
                  seconds=seconds)  # fmt: skip
        print(json.dumps(out, indent=2))
