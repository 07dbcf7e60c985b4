"""``reflow bench trace``: trace through the store against an in-memory DFS (figures as JSON)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from reflow.cli.bench_commands import bench_app


def trace_bench(
    nodes: Annotated[
        int, typer.Option(help="items in the lineage (events, processes, resources)")
    ] = 10_000,
    db: Annotated[
        str | None, typer.Option("--db", help="database URL (default: temp SQLite)")
    ] = None,
    runs: Annotated[int, typer.Option(help="timed runs (best and median reported)")] = 5,
) -> None:
    """Build a lineage of NODES items, trace it through the store (cold and warm trace index),
    compare with a plain DFS over the same edges."""
    from reflow.bench.trace import run
    from reflow.store.database import database_url

    with tempfile.TemporaryDirectory(prefix="reflow-bench-") as tmp:
        url = database_url(db, Path(tmp)) if db else f"sqlite:///{Path(tmp) / 'trace.sqlite'}"
        out = run(url, nodes, runs)
    print(json.dumps(out, indent=2))


def register(app: typer.Typer) -> None:
    """Adds ``trace`` to the ``bench`` group (which bench_commands adds to ``app``)."""
    del app
    bench_app.command(name="trace")(trace_bench)
