"""Ledger commands: agent add/list, event, create, resource show/list, log (and the demo).

Each command parses its arguments, calls a service (``reflow.recording`` to write,
``reflow.inventory`` to read) and renders the answer: a Rich table for people, ``--json`` for
programs. A refused record prints its field and rule, exits with status 1 and changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from reflow import inventory, recording
from reflow.cli import demo_commands
from reflow.cli.node_commands import AsJson, DataDir, DbUrl, settings_from
from reflow.cli.output import console, fail, named, qty, resources_table
from reflow.errors import ReflowError, RuleViolation
from reflow.node import Node

AsAgent = Annotated[str, typer.Option("--as", help="id of the acting agent (its key is kept here)")]
Passphrase = Annotated[
    str | None, typer.Option("--passphrase", help="unlocks the acting agent's sealed key")
]
Opt = Annotated[str | None, typer.Option()]


@contextmanager
def opened(data_dir: Path | None, db: str | None, as_json: bool) -> Iterator[Node]:
    """Open the node for one command, report ReflowErrors, always close the database."""
    node: Node | None = None
    try:
        node = Node.open(settings_from(data_dir, db))
        yield node
    except ReflowError as err:
        fail(err, as_json)
    finally:
        if node is not None:
            node.close()


def read_body(file: Path | None, json_body: str | None) -> dict[str, Any] | None:
    if file is not None and json_body is not None:
        raise RuleViolation(
            "give --file or --json-body, not both", field="--json-body", rule="one-source"
        )
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise RuleViolation(f"cannot read {file}: {exc}", field="--file", rule="file") from None
        return recording.parse_json(text, "--file")
    if json_body is not None:
        return recording.parse_json(json_body, "--json-body")
    return None


# -- rendering -----------------------------------------------------------------------------------


def print_created(out: dict[str, Any], title: str) -> None:
    table = Table(title=title, show_header=True)
    table.add_column("created")
    table.add_column("id", overflow="fold")
    for role, object_id in out["created"].items():
        table.add_row(role, object_id)
    console.print(table)
    console.print(f"record {out['record']}")


def print_resource(d: dict[str, Any]) -> None:
    facts = Table(show_header=False, title=f"Resource {d['id']}")
    facts.add_column("field", style="bold")
    facts.add_column("value", overflow="fold")
    loc = d["currentLocation"]
    where = ""
    if loc:
        where = named(loc) + (f" ({loc['lat']}, {loc['long']})" if "lat" in loc else "")
    rows = [
        ("name", escape(d["name"] or "")),
        ("tracking id", escape(d["trackingIdentifier"] or "")),
        ("conforms to", named(d["conformsTo"])),
        ("classified as", ", ".join(d["classifiedAs"])),
        ("accounting quantity", qty(d["accountingQuantity"])),
        ("onhand quantity", qty(d["onhandQuantity"])),
        ("primary accountable", named(d["primaryAccountable"])),
        ("custodian", named(d["custodian"])),
        ("location", where),
        ("stage", named(d["stage"])),
        ("state", escape(d["state"] or "")),
        ("contained in", named(d["containedIn"])),
        ("contains", ", ".join(f"{named(c)} {qty(c['accountingQuantity'])}"
                               for c in d["contains"])),
    ]  # fmt: skip
    for label, value in rows:
        facts.add_row(label, value)
    console.print(facts)
    hist = Table(title="History (oldest first)")
    for col in ("#", "event", "action", "quantity", "provider", "receiver", "process"):
        hist.add_column(col, overflow="fold")
    for e in d["history"]:
        hist.add_row(
            str(e["logPosition"] or ""),
            e["id"],
            e["action"],
            qty(e["resourceQuantity"]) or qty(e["effortQuantity"]),
            named(e["provider"]),
            named(e["receiver"]),
            named(e["inputOf"] or e["outputOf"]),
        )
    console.print(hist)


# -- commands ------------------------------------------------------------------------------------

agent_app = typer.Typer(no_args_is_help=True, help="Agents: persons, organisations, ecosystems.")
resource_app = typer.Typer(no_args_is_help=True, help="Economic resources: the inventory.")


@agent_app.command("add")
def agent_add(
    type_name: Annotated[
        str, typer.Option("--type", help="Person | Organization | EcologicalAgent")
    ],
    name: Annotated[str, typer.Option("--name", help="the agent's name")],
    note: Annotated[str | None, typer.Option("--note")] = None,
    passphrase: Passphrase = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Create a key in this node's keystore and declare the agent; prints its id."""
    with opened(data_dir, db, as_json) as node:
        out = recording.add_agent(node, type_name, name, note=note, passphrase=passphrase)
    if as_json:
        print(json.dumps(out))
    else:
        console.print(f"{escape(out['type'])} [bold]{escape(name)}[/] declared")
        print(out["id"])


@agent_app.command("list")
def agent_list(data_dir: DataDir = None, db: DbUrl = None, as_json: AsJson = False) -> None:
    """The declared agents, and whether this node keeps their keys."""
    with opened(data_dir, db, as_json) as node:
        rows = inventory.list_agents(node)
    if as_json:
        print(json.dumps(rows))
        return
    table = Table(title="Agents")
    for col in ("id", "type", "name", "key here"):
        table.add_column(col, overflow="fold")
    for a in rows:
        key = ("sealed" if a["sealed"] else "yes") if a["localKey"] else ""
        table.add_row(a["id"], a["type"], escape(a["name"] or ""), key)
    console.print(table)


def event_cmd(
    agent: AsAgent,
    file: Annotated[Path | None, typer.Option("--file", help="event JSON file")] = None,
    json_body: Annotated[
        str | None, typer.Option("--json-body", help="event JSON: {event, newInventoriedResource}")
    ] = None,
    action: Opt = None,
    provider: Annotated[str | None, typer.Option(help="default: the --as agent")] = None,
    receiver: Annotated[str | None, typer.Option(help="default: the --as agent")] = None,
    resource: Annotated[str | None, typer.Option(help="resourceInventoriedAs")] = None,
    to_resource: Annotated[str | None, typer.Option(help="toResourceInventoriedAs")] = None,
    spec: Annotated[str | None, typer.Option(help="resourceConformsTo")] = None,
    quantity: Annotated[str | None, typer.Option(help='resourceQuantity, e.g. "10 kg"')] = None,
    effort: Annotated[str | None, typer.Option(help='effortQuantity, e.g. "2 h"')] = None,
    input_of: Annotated[str | None, typer.Option(help="process id")] = None,
    output_of: Annotated[str | None, typer.Option(help="process id")] = None,
    at_location: Annotated[str | None, typer.Option(help="SpatialThing id")] = None,
    to_location: Annotated[str | None, typer.Option(help="SpatialThing id")] = None,
    state: Opt = None,
    note: Opt = None,
    corrects: Annotated[str | None, typer.Option(help="id of the event this one corrects")] = None,
    name: Annotated[str | None, typer.Option(help="name of a new resource")] = None,
    tracking_id: Annotated[
        str | None, typer.Option(help="trackingIdentifier of a new resource")
    ] = None,
    passphrase: Passphrase = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Record an economic event (from JSON and/or flags), signed by the --as agent."""
    flags = recording.EventFlags(
        action=action, provider=provider, receiver=receiver, resource=resource,
        to_resource=to_resource, spec=spec, quantity=quantity, effort=effort, input_of=input_of,
        output_of=output_of, at_location=at_location, to_location=to_location, state=state,
        note=note, corrects=corrects, name=name, tracking_id=tracking_id,
    )  # fmt: skip
    with opened(data_dir, db, as_json) as node:
        body = recording.event_body(agent, read_body(file, json_body), flags)
        out = recording.record_event(node, agent, body, passphrase)
    if as_json:
        print(json.dumps(out))
    else:
        print_created(out, f"{body['event'].get('action')} recorded")


def create_cmd(
    type_name: Annotated[str, typer.Argument(metavar="TYPE", help="VF type, e.g. SpatialThing")],
    agent: AsAgent,
    data: Annotated[str | None, typer.Option("--data", help="the object's fields as JSON")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="JSON file with the fields")] = None,
    passphrase: Passphrase = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Create a VF object (place, specification, process…) signed by the --as agent."""
    with opened(data_dir, db, as_json) as node:
        fields = read_body(file, data)
        if fields is None:
            raise RuleViolation("give the fields with --data or --file", field="--data",
                                rule="required")  # fmt: skip
        out = recording.create_object(node, agent, type_name, fields, passphrase)
    if as_json:
        print(json.dumps(out))
    else:
        console.print(f"{escape(type_name)} created")
        print(out["id"])


@resource_app.command("show")
def resource_show(
    resource_id: Annotated[str, typer.Argument(metavar="ID")],
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """One resource: quantities, holders, location, stage, state, contents and history."""
    with opened(data_dir, db, as_json) as node:
        detail = inventory.resource_detail(node.store, resource_id)
    if as_json:
        print(json.dumps(detail))
    else:
        print_resource(detail)


@resource_app.command("list")
def resource_list(
    holder: Annotated[str | None, typer.Option(help="only this agent's resources")] = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Every economic resource with its quantities, holders and location."""
    with opened(data_dir, db, as_json) as node:
        rows = inventory.list_resources(node.store, holder)
    if as_json:
        print(json.dumps(rows))
    else:
        console.print(resources_table(rows))


def log_cmd(
    author: Annotated[str | None, typer.Option(help="only this author's records")] = None,
    kind: Annotated[str | None, typer.Option(help="only this kind, e.g. vf.event")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="only the latest N")] = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """The records in this node's log, newest last."""
    with opened(data_dir, db, as_json) as node:
        rows = inventory.log_entries(node.store, author=author, kind=kind, limit=limit)
    if as_json:
        print(json.dumps(rows))
        return
    table = Table(title="Log")
    for col in ("#", "created", "author", "seq", "kind", "what", "hash"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            str(r["pos"]), r["created"][:19], escape(r["authorName"] or r["author"][:12]),
            str(r["seq"]), r["kind"], escape(r["summary"]), r["hash"][:16],
        )  # fmt: skip
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(agent_app, name="agent")
    app.add_typer(resource_app, name="resource")
    app.command("event")(event_cmd)
    app.command("create")(create_cmd)
    app.command("log")(log_cmd)
    demo_commands.register(app)
