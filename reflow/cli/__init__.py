"""The ``reflow`` command: parses arguments, calls a service, renders with Rich.

Each command group lives in its own module and is added here, in one visible list.
"""

from __future__ import annotations

import typer

from reflow.cli import (  # noqa: F401  (bench_plan registers on import)
    bench_api,
    bench_commands,
    bench_plan,
    bench_trace,
    federation_commands,
    govern_commands,
    interop_commands,
    ledger_commands,
    market_commands,
    node_commands,
    passport_commands,
    plan_commands,
    report_commands,
    serve_commands,
    value_commands,
)

app = typer.Typer(no_args_is_help=True, help="ReflowOS: a peer-to-peer economic network.")

# Command modules register their commands on ``app`` (one line each).
node_commands.register(app)
ledger_commands.register(app)
federation_commands.register(app)
serve_commands.register(app)
market_commands.register(app)
bench_commands.register(app)
bench_api.register(bench_commands.bench_app)
govern_commands.register(app)
report_commands.register(app)
passport_commands.register(app)
bench_trace.register(app)
plan_commands.register(app)
value_commands.register(app)
interop_commands.register(app)


def main() -> None:
    app()
