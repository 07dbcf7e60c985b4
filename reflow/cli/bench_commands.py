"""``reflow bench …``: benchmarks run on demand; each prints its figures as JSON.

Other areas add their own benchmark commands to ``bench_app`` (one ``register`` each).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks (figures printed as JSON).")
err = Console(stderr=True)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


@bench_app.command()
def ingest(
    events: Annotated[int, typer.Option(help="records to append")] = 100_000,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="database URL (default: a fresh SQLite file in a temporary directory)"
        ),
    ] = None,
    agents: Annotated[int, typer.Option(help="agents in the workload")] = 200,
    seed: Annotated[int, typer.Option(help="workload seed")] = 7,
) -> None:
    """Append a realistic mixed workload of signed records; compare with raw Ed25519 verify."""
    from reflow.bench.ingest import run
    from reflow.store.database import database_url

    with tempfile.TemporaryDirectory(prefix="reflow-bench-") as tmp:
        url = database_url(db, Path(tmp)) if db else f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        tasks: dict[str, TaskID] = {}
        with _progress() as bar:

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done)

            out = run(url, events, agents=agents, seed=seed, progress=progress)
    print(json.dumps(out, indent=2))


def register(app: typer.Typer) -> None:
    app.add_typer(bench_app, name="bench")
