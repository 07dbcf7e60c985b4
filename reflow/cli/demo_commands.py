"""``reflow demo``: a node with the textile scenario loaded, ready to look at (and to serve).

Safe to rerun: the scenario detects its own closing marker and loads nothing twice, so a second
run prints the same digest.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from reflow import inventory
from reflow.cli.node_commands import AsJson, DataDir, DbUrl
from reflow.cli.output import console, fail, resources_table
from reflow.errors import ReflowError
from reflow.node import Node
from reflow.scenarios import textile_basic
from reflow.settings import Settings
from reflow.store.digest import state_digest


def find_create_app() -> Any | None:
    """``reflow.api.app.create_app`` once the API exists; None until then."""
    if importlib.util.find_spec("reflow.api.app") is None:
        return None
    module = importlib.import_module("reflow.api.app")
    return getattr(module, "create_app", None)


def serve(settings: Settings) -> bool:
    """THE SERVE STEP of the demo: run the API on the demo node. False if there is no API yet.

    Serves like ``reflow serve`` does: ``create_app(node)`` under uvicorn, until interrupted.
    """
    create_app = find_create_app()
    if create_app is None:
        return False
    import uvicorn

    node = Node.open(settings)
    console.print(f"serving [bold]http://{settings.host}:{settings.port}/api[/] (Ctrl+C stops)")
    try:
        uvicorn.run(
            create_app(node), host=settings.host, port=settings.port, log_level="warning",
            access_log=False,
        )  # fmt: skip
    finally:
        node.close()
    return True


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        data_dir: DataDir = None,
        db: DbUrl = None,
        port: Annotated[int | None, typer.Option(help="port to serve on")] = None,
        no_serve: Annotated[
            bool, typer.Option("--no-serve", help="load the data, do not start the server")
        ] = False,
        as_json: AsJson = False,
    ) -> None:
        """Create a node with a small textile scenario in Amsterdam; then serve it if possible."""
        settings = Settings.from_env(data_dir=data_dir, database_url=db, port=port)
        try:
            node = Node.init(settings, network_name="reflow-demo")
        except ReflowError as err:
            fail(err, as_json)
        try:
            loaded = _load(node, quiet=as_json)
            resources = inventory.list_resources(node.store)
            digest = state_digest(node.store)["digest"]
        except ReflowError as err:
            fail(err, as_json)
        finally:
            node.close()
        if as_json:
            print(json.dumps({
                "dataDir": str(settings.data_dir), "alreadyLoaded": loaded.already_loaded,
                "recordsAdded": loaded.records, "agents": loaded.agents, "digest": digest,
                "resources": resources,
            }))  # fmt: skip
        else:
            if loaded.already_loaded:
                console.print("the demo data is already loaded; nothing added")
            console.print(resources_table(resources, "Demo inventory"))
            console.print(f"data in [bold]{settings.data_dir}[/]; state digest {digest}")
        if no_serve:
            return
        # --- SERVE STEP (switches on by itself once reflow.api.app.create_app exists) ---
        if not serve(settings) and not as_json:
            console.print("no API server in this build yet (reflow.api.app); not serving")


def _load(node: Node, *, quiet: bool) -> textile_basic.Loaded:
    if quiet or textile_basic.is_loaded(node):
        return textile_basic.load(node)
    columns = (
        TextColumn("[bold]loading textile scenario"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("", total=textile_basic.TOTAL_RECORDS)
        return textile_basic.load(
            node, lambda done, label: bar.update(task, completed=done, description=label)
        )
