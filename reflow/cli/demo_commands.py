"""``reflow demo``: a node with the six pilot scenarios loaded, ready to look at, then served.

Safe to rerun: each scenario detects its own closing marker and loads nothing twice, so a second
run prints the same digest. ``--scenario textile`` loads one pilot; ``--scenario textile_basic``
the small textile loop that came first.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from reflow import inventory, scenarios
from reflow.cli.node_commands import AsJson, DataDir, DbUrl
from reflow.cli.output import console, fail, resources_table
from reflow.errors import ReflowError, RuleViolation
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

    Serves like ``reflow serve`` does: the API and the web pages under uvicorn, until interrupted.
    """
    create_app = find_create_app()
    if create_app is None:
        return False
    import uvicorn

    from reflow.web import web_routes

    node = Node.open(settings)
    console.print(f"serving [bold]http://{settings.host}:{settings.port}/api[/] (Ctrl+C stops)")
    try:
        app = create_app(node, extra_routes=web_routes(node))
        uvicorn.run(
            app, host=settings.host, port=settings.port, log_level="warning", access_log=False
        )
    finally:
        node.close()
    return True


ScenarioOpt = Annotated[
    list[str] | None,
    typer.Option("--scenario", help="a pilot to load (repeatable): "
                 + ", ".join([*scenarios.SCENARIOS, "pilots", "textile_basic"])
                 + "; default: the six pilots, then 'pilots' (their districts as one territory)"),
]  # fmt: skip


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        data_dir: DataDir = None,
        db: DbUrl = None,
        port: Annotated[int | None, typer.Option(help="port to serve on")] = None,
        scenario: ScenarioOpt = None,
        seed: Annotated[int, typer.Option(help="seed of the scenarios' keys")] = 0,
        no_serve: Annotated[
            bool, typer.Option("--no-serve", help="load the data, do not start the server")
        ] = False,
        nodes: Annotated[
            int, typer.Option(help="N > 1: start N replicating nodes on ports 8001… instead")
        ] = 1,
        as_json: AsJson = False,
    ) -> None:
        """Create a node with the six pilot scenarios (a living circular city); then serve it."""
        if nodes > 1:
            from reflow.federation.demo import run_demo_nodes

            run_demo_nodes(nodes, base_port=8001, say=print)
            return
        settings = Settings.from_env(data_dir=data_dir, database_url=db, port=port)
        names = scenario or [*scenarios.SCENARIOS, scenarios.PILOTS]
        known = {*scenarios.SCENARIOS, scenarios.PILOTS, "textile_basic"}
        unknown = [n for n in names if n not in known]
        if unknown:
            fail(RuleViolation(f"no scenario {unknown[0]!r}", field="scenario",
                               rule="known-scenario"), as_json)  # fmt: skip
        try:
            node = Node.init(settings, network_name="reflow-demo")
        except ReflowError as err:
            fail(err, as_json)
        try:
            results = _load_all(node, names, seed, quiet=as_json)
            resources = inventory.list_resources(node.store)
            digest = state_digest(node.store)["digest"]
        except ReflowError as err:
            fail(err, as_json)
        finally:
            node.close()
        base = f"http://{settings.host}:{settings.port}"
        if as_json:
            print(json.dumps(_summary(settings, results, digest, resources, base)))
        else:
            _print(results, resources, digest, settings, base)
        if no_serve:
            return
        # --- SERVE STEP (switches on by itself once reflow.api.app.create_app exists) ---
        if not serve(settings) and not as_json:
            console.print("no API server in this build yet (reflow.api.app); not serving")


def _summary(
    settings: Settings, results: dict[str, Any], digest: str, resources: Any, base: str
) -> dict[str, Any]:
    only = next(iter(results.values())) if len(results) == 1 else None
    agents = (
        dict(only.agents) if only is not None
        else {f"{n}:{role}": a for n, r in results.items() for role, a in r.agents.items()}
    )  # fmt: skip
    return {
        "dataDir": str(settings.data_dir),
        "alreadyLoaded": all(r.already_loaded for r in results.values()),
        "recordsAdded": sum(r.records for r in results.values()),
        "agents": agents,
        "digest": digest,
        "scenarios": {n: _one(r, base) for n, r in results.items()},
        "look": {"web": f"{base}/", "graphql": f"{base}/api"},
        "resources": resources,
    }


def _one(r: Any, base: str) -> dict[str, Any]:
    passport = getattr(r, "passport", None)
    return {
        "records": r.records, "alreadyLoaded": r.already_loaded, "passport": passport,
        "passportUrl": f"{base}/passport/{passport}" if passport else None,
    }  # fmt: skip


def _print(
    results: dict[str, Any], resources: Any, digest: str, settings: Settings, base: str
) -> None:
    if all(r.already_loaded for r in results.values()):
        console.print("the demo data is already loaded; nothing added")
    if "textile_basic" in results and len(results) == 1:
        console.print(resources_table(resources, "Demo inventory"))
    for name, r in results.items():
        state = "already loaded" if r.already_loaded else f"{r.records} records"
        city = scenarios.CITIES.get(name, "all six cities" if name == "pilots" else "Amsterdam")
        line = f"  [bold]{name}[/] ({city}): {state}"
        if getattr(r, "passport", None):
            what = getattr(scenarios.SCENARIOS.get(name), "PASSPORT", "a resource")
            line += f"\n    passport of {what}: {base}/passport/{r.passport}"
        console.print(line, soft_wrap=True)
    console.print(f"data in [bold]{settings.data_dir}[/]; state digest {digest}")
    console.print(f"look at: web page [bold]{base}/[/], GraphQL [bold]{base}/api[/] "
                  f"(playground {base}/play)")  # fmt: skip


def _load_all(node: Node, names: list[str], seed: int, *, quiet: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if quiet:
        for name in names:
            out[name] = _load_one(node, name, seed, None)
        return out
    columns = (
        TextColumn("[bold]loading the pilot scenarios"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("", total=len(names))
        for i, name in enumerate(names):

            def step(done: int, label: str, i: int = i) -> None:
                bar.update(task, completed=i, description=f"{label} ({done})")

            out[name] = _load_one(node, name, seed, step)
            bar.update(task, completed=i + 1)
    return out


def _load_one(node: Node, name: str, seed: int, progress: Any) -> Any:
    if name == "textile_basic":
        return textile_basic.load(node, progress)
    if name == scenarios.PILOTS:
        return scenarios.load_pilot_territory(node, seed=seed, progress=progress)
    return scenarios.load(node, name, seed=seed, progress=progress)
