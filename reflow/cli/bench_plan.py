"""``reflow bench plan``: plan from a demand over a 4-level recipe tree, 10 000 resources and
500 people with skills and hours; prints the time of each phase and the solver's status."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from reflow.cli.bench_commands import bench_app, err


@bench_app.command("plan")
def bench_plan(
    resources: Annotated[int, typer.Option(help="inventoried resources")] = 10_000,
    agents: Annotated[int, typer.Option(help="people offering skills")] = 500,
    skills: Annotated[int, typer.Option(help="distinct skills")] = 20,
    quantity: Annotated[int, typer.Option(help="units of the top product demanded")] = 40,
    seconds: Annotated[float, typer.Option(help="CP-SAT time limit (both models)")] = 2.0,
    seed: Annotated[int, typer.Option(help="workload seed")] = 7,
    db: Annotated[str | None, typer.Option("--db", help="database URL (default: SQLite)")] = None,
) -> None:
    """Time planning (read, explode+net, schedule, assign, draft, record); target ≤ 5 s."""
    from reflow.bench.plan import run

    err.print("setting up (signed records through the ledger)…")
    out = run(
        resources=resources,
        agents=agents,
        skills=skills,
        quantity=quantity,
        seed=seed,
        seconds=seconds,
        db=db,
    )
    print(json.dumps(out, indent=2))
