"""Node commands: init, digest, rebuild."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from reflow.errors import ReflowError
from reflow.node import Node
from reflow.settings import Settings
from reflow.store.digest import state_digest
from reflow.store.queries import count_records
from reflow.store.rebuild import rebuild

console = Console()

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="node directory")]
DbUrl = Annotated[str | None, typer.Option("--db", help="database URL (default: SQLite)")]
AsJson = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def settings_from(data_dir: Path | None, db: str | None) -> Settings:
    return Settings.from_env(data_dir=data_dir, database_url=db)


def register(app: typer.Typer) -> None:
    @app.command()
    def init(
        data_dir: DataDir = None,
        db: DbUrl = None,
        network: Annotated[str, typer.Option(help="network name")] = "reflow-city",
        as_json: AsJson = False,
    ) -> None:
        """Create a node (database, node key, network) in the data directory; safe to rerun."""
        node = Node.init(settings_from(data_dir, db), network_name=network)
        out = node.info.as_dict()
        node.close()
        if as_json:
            print(json.dumps(out))
        else:
            console.print(
                f"node ready in [bold]{node.settings.data_dir}[/]: network "
                f"{out['network_name']} ({out['network'][:16]}…)"
            )

    @app.command()
    def digest(data_dir: DataDir = None, db: DbUrl = None, as_json: AsJson = False) -> None:
        """Print the state digest: equal on every node that holds the same records."""
        node = Node.open(settings_from(data_dir, db))
        out = state_digest(node.store)
        node.close()
        if as_json:
            print(json.dumps(out))
        else:
            console.print(out["digest"])

    @app.command(name="rebuild")
    def rebuild_cmd(data_dir: DataDir = None, db: DbUrl = None, as_json: AsJson = False) -> None:
        """Drop the projections and recompute them from the log."""
        node = Node.open(settings_from(data_dir, db))
        before = state_digest(node.store)["digest"]
        refused: list[tuple[str, ReflowError]] = []
        if as_json:
            n = rebuild(node.store, node.info.network, refused=refused)
        else:
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task("replaying the log", total=count_records(node.store))
                n = rebuild(
                    node.store,
                    node.info.network,
                    lambda done: bar.update(task, completed=done),
                    refused,
                )
        after = state_digest(node.store)["digest"]
        node.close()
        out = {
            "records": n,
            "digest_before": before,
            "digest_after": after,
            "same": before == after,
            "refused": [{"hash": h, **err.as_dict()} for h, err in refused],
        }
        if as_json:
            print(json.dumps(out))
        else:
            console.print(
                f"replayed {n} records; digest {after} "
                f"({'unchanged' if before == after else 'CHANGED'})"
            )
            for h, err in refused[:20]:
                console.print(f"[red]no longer applies[/red] {h}: {err.message} ({err.field})")
            if len(refused) > 20:
                console.print(f"… and {len(refused) - 20} more (--json lists them all)")
        if refused:
            # the log holds records this version's rules refuse: the state is not the one
            # they were accepted into, and the operator must know
            raise typer.Exit(1)
