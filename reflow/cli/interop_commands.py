"""``reflow export``, ``reflow import`` (VF JSON-LD, CSV inventory) and ``reflow generate``.

``import`` creates the node when the data directory has none yet: for a document with signed
records it joins the records' network, so the import reproduces the exported state exactly.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from reflow.cli.ledger_commands import opened
from reflow.cli.node_commands import AsJson, DataDir, DbUrl
from reflow.cli.output import console, err_console, fail
from reflow.errors import ConflictError, ReflowError, RuleViolation
from reflow.interop import csv_inventory, jsonld, vf_import
from reflow.node import NODE_FILE, Node
from reflow.scenarios import synthetic
from reflow.settings import Settings


def _bar(label: str, total: int) -> Progress:
    columns = (TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn())
    return Progress(*columns, console=err_console, transient=True)


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export_cmd(
        data_dir: DataDir = None,
        db: DbUrl = None,
        fmt: Annotated[str, typer.Option("--format", help="jsonld")] = "jsonld",
        no_records: Annotated[
            bool, typer.Option("--no-records", help="the VF graph only, without the signed log")
        ] = False,
    ) -> None:
        """Write the node's state as ValueFlows JSON-LD to stdout (with its signed records)."""
        if fmt != "jsonld":
            fail(
                RuleViolation(
                    f"unknown format {fmt!r}; known: jsonld", field="format", rule="known-format"
                ),
                False,
            )
        with opened(data_dir, db, False) as node:
            for chunk in jsonld.write_document(
                node.store, node.info.network, with_records=not no_records
            ):
                sys.stdout.write(chunk)

    @app.command("import")
    def import_cmd(
        file: Annotated[Path, typer.Argument(help="a .jsonld/.json document or a .csv inventory")],
        data_dir: DataDir = None,
        db: DbUrl = None,
        skip_bad: Annotated[
            bool, typer.Option("--skip-bad", help="CSV: import the good rows, report the bad")
        ] = False,
        as_json: AsJson = False,
    ) -> None:
        """Import ValueFlows JSON-LD (signed records, or plain VF) or a CSV inventory."""
        settings = Settings.from_env(data_dir=data_dir, database_url=db)
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as err:
            fail(
                RuleViolation(f"cannot read {file}: {err.strerror}", field="file", rule="readable"),
                as_json,
            )
        if file.suffix.lower() == ".csv":
            out = _import_csv(settings, text, skip_bad, as_json)
        else:
            out = _import_jsonld(settings, text, as_json)
        if as_json:
            print(json.dumps(out))
        else:
            console.print(
                f"imported ({out['mode']}): "
                + ", ".join(f"{k} {v}" for k, v in out.items() if isinstance(v, int))
            )
            for e in out.get("errors", []):
                console.print(f"  skipped line {e['line']}, column {e['column']}: {e['reason']}")

    @app.command("generate")
    def generate_cmd(
        agents: Annotated[int, typer.Option(help="number of agents", min=2)] = 200,
        events: Annotated[int, typer.Option(help="number of records", min=1)] = 10_000,
        seed: Annotated[int, typer.Option(help="seed of the generator")] = 7,
        data_dir: DataDir = None,
        db: DbUrl = None,
        as_json: AsJson = False,
    ) -> None:
        """Generate a large synthetic city (streamed in batches) for benchmarks."""
        settings = Settings.from_env(data_dir=data_dir, database_url=db)
        try:
            node = Node.init(settings, network_name="reflow-synthetic")
        except ReflowError as err:
            fail(err, as_json)
        try:
            if as_json:
                out = synthetic.generate(node.ledger, agents=agents, events=events, seed=seed)
            else:
                with _bar("generating", events) as bar:
                    task = bar.add_task("", total=events)
                    out = synthetic.generate(
                        node.ledger,
                        agents=agents,
                        events=events,
                        seed=seed,
                        progress=lambda n: bar.update(task, completed=n),
                    )
        finally:
            node.close()
        if as_json:
            print(json.dumps(out.as_dict()))
        else:
            console.print(
                f"{out.applied} records applied ({out.rejected} refused) in {settings.data_dir}"
            )


def _open_for(settings: Settings, network: str | None) -> Node:
    if (settings.data_dir / NODE_FILE).exists():
        node = Node.open(settings)
        if network is not None and node.info.network != network:
            node.close()
            raise ConflictError(
                f"the records belong to network {network[:16]}…, this node to "
                f"{node.info.network[:16]}…; import them into an empty --data-dir",
                field="network",
                rule="same-network",
            )
        return node
    return Node.init(settings, network_name="reflow-import", network=network)


def _import_jsonld(settings: Settings, text: str, as_json: bool) -> dict[str, object]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        fail(
            RuleViolation(f"not JSON: {err.msg} (line {err.lineno})", field="file", rule="json"),
            as_json,
        )
    try:
        network = jsonld.document_network(doc)
        node = _open_for(settings, network)
        try:
            if network is not None:
                return jsonld.import_records(node.ledger, doc)
            return vf_import.import_vf(node, doc)
        finally:
            node.close()
    except ReflowError as err:
        fail(err, as_json)


def _import_csv(settings: Settings, text: str, skip_bad: bool, as_json: bool) -> dict[str, object]:
    try:
        node = _open_for(settings, None)
        try:
            report = csv_inventory.import_inventory(node, text, skip_bad=skip_bad)
        finally:
            node.close()
    except csv_inventory.CsvRowsError as err:
        if as_json:
            print(
                json.dumps({"error": {**err.as_dict(), "rows": [e.as_dict() for e in err.errors]}})
            )
        else:
            err_console.print(f"[bold red]refused:[/] {err.message}")
            for e in err.errors:
                err_console.print(f"  line {e.line}, column {e.column}: {e.reason}")
        raise typer.Exit(1) from None
    except ReflowError as err:
        fail(err, as_json)
    return {"mode": "csv", **report.as_dict()}
