"""Planning commands: ``reflow plan`` (from a demand), ``plan show|list|progress|replan``,
``plan accept|refuse`` (a provider's answer) and ``reflow recipe define|show``.

Each command parses its flags, calls ``reflow.plan.service`` and renders a Rich table (or
``--json``). A refusal prints its field and rule and exits with status 1.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from reflow.cli.ledger_commands import AsAgent, Passphrase, opened
from reflow.cli.node_commands import AsJson, DataDir, DbUrl
from reflow.cli.output import console, qty, show_rows
from reflow.errors import RuleViolation
from reflow.plan import service
from reflow.recording import parse_quantity, signing_key

plan_app = typer.Typer(help="Plan supply chains from recipes (and follow the plans).")
recipe_app = typer.Typer(no_args_is_help=True, help="Recipes: define and read them.")


def parse_due(text: str) -> datetime:
    """An ISO 8601 date-time, or ``+10d`` / ``+36h`` from now."""
    m = re.fullmatch(r"\+(\d+)([dh])", text.strip())
    if m:
        n = int(m.group(1))
        return datetime.now(UTC) + (timedelta(days=n) if m.group(2) == "d" else timedelta(hours=n))
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RuleViolation(
            "--due is an ISO date-time or +Nd / +Nh", field="--due", rule="type"
        ) from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _short(x: str | None) -> str:
    return escape((x or "")[:10])


def _schedule(out: dict[str, Any]) -> None:
    table = Table(title=f"Plan {out['id']}")
    for col in ("process", "begins", "ends", "who", "what", "critical"):
        table.add_column(col, overflow="fold")
    for p in out["processes"]:
        drivers = set(p.get("drivers", []))
        who = sorted({c["provider"][:10] for c in p["commitments"] if c["role"] == "work"})
        who += [f"{d[:10]} drives" for d in sorted(drivers)]
        what = [
            f"{c['action']} {qty({'hasNumericalValue': c['quantity'], 'hasUnit': c['unit']})}"
            for c in p["commitments"]
            if c["role"] in ("input", "output", "work")
        ]
        table.add_row(
            escape(p["name"]),
            p["begins"][:16],
            p["ends"][:16],
            escape(", ".join(who)),
            escape("; ".join(what)),
            "●" if p["critical"] else "",
        )
    console.print(table)
    s = out["summary"]
    if s:
        console.print(
            f"solver {s['solver']['status']} objective {s['solver']['objective']} · "
            f"late by {s['lateByHours']} h · {escape(s['why'])}"
        )
        for u in s.get("unmet", []):
            console.print(
                f"[yellow]unmet[/] {u['what']} {_short(u.get('spec'))} {u['quantity']} "
                f"{escape(u['unit'])}: {escape(u['why'])}"
            )
        if s.get("requests"):
            console.print(f"requested on the market: {', '.join(s['requests'])}")
        for c in s.get("recipeChoices", []):
            console.print(f"[cyan]recipe[/] {escape(c['chosen']['name'])}: {escape(c['why'])}")


@plan_app.callback(invoke_without_command=True)
def plan_cmd(
    ctx: typer.Context,
    agent: Annotated[str | None, typer.Option("--as", help="the coordinator planning")] = None,
    spec: Annotated[str | None, typer.Option(help="ResourceSpecification id to supply")] = None,
    quantity: Annotated[str | None, typer.Option(help='e.g. "50 each", "200 kg"')] = None,
    due: Annotated[str | None, typer.Option(help="ISO date-time, or +10d / +36h")] = None,
    place: Annotated[str | None, typer.Option(help="SpatialThing id of the delivery")] = None,
    receiver: Annotated[str | None, typer.Option(help="agent receiving (default: --as)")] = None,
    radius: Annotated[float, typer.Option(help="km within which inventory counts")] = 50.0,
    publish: Annotated[bool, typer.Option(help="publish unmet needs as requests")] = True,
    passphrase: Passphrase = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Plan the supply of --quantity of --spec by --due: a schedule, who does what, and why."""
    if ctx.invoked_subcommand is not None:
        return
    if not (agent and spec and quantity and due):
        console.print("reflow plan --as AGENT --spec SPEC --quantity Q --due WHEN [--place P]")
        raise typer.Exit(2)
    with opened(data_dir, db, as_json) as node:
        key = signing_key(node, agent, passphrase)
        out = service.plan_from_demand(
            node,
            key,
            spec,
            parse_quantity(quantity, "--quantity"),
            parse_due(due),
            place,
            receiver,
            radius_km=radius,
            publish=publish,
        )
        shown = service.show(node.store, out["plan"])
    if as_json:
        print(json.dumps({**out, "processes": shown["processes"], "loose": shown["loose"]}))
    else:
        _schedule(shown)
        console.print(f"phases (s): {out['phases']}")


@plan_app.command("show")
def show_cmd(
    plan: str, data_dir: DataDir = None, db: DbUrl = None, as_json: AsJson = False
) -> None:
    """The plan: its schedule, commitments and the explanation of each provider."""
    with opened(data_dir, db, as_json) as node:
        out = service.show(node.store, plan)
    if as_json:
        print(json.dumps(out))
        return
    _schedule(out)
    table = Table(title="Commitments")
    for col in ("role", "action", "provider", "quantity", "due", "why"):
        table.add_column(col, overflow="fold")
    for c in [c for p in out["processes"] for c in p["commitments"]] + out["loose"]:
        why = c["explanation"]
        text = why.get("why", "")
        if why.get("distanceKm"):
            text += f" ({why['distanceKm']} km; {len(why.get('alternatives', []))} alternatives)"
        table.add_row(
            c["role"],
            c["action"],
            _short(c["provider"]),
            qty({"hasNumericalValue": c["quantity"], "hasUnit": c["unit"]}),
            c["due"][:16],
            escape(text),
        )
    console.print(table)


@plan_app.command("list")
def list_cmd(
    author: Annotated[str | None, typer.Option("--by", help="only the plans of this agent")] = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """The plans recorded, latest first."""
    with opened(data_dir, db, as_json) as node:
        out = service.plans_of(node.store, author)
    show_rows(out, as_json, "Plans", ("id", "spec", "quantity", "due", "by"), lambda p: (
        p["id"], _short(p["spec"]), qty({"hasNumericalValue": p["quantity"], "hasUnit": p["unit"]}),
        p["due"][:16], _short(p["author"]),
    ))  # fmt: skip


@plan_app.command("progress")
def progress_cmd(
    plan: str, data_dir: DataDir = None, db: DbUrl = None, as_json: AsJson = False
) -> None:
    """Per process: done, late, at risk or on track, with the reasons."""
    with opened(data_dir, db, as_json) as node:
        out = service.progress(node.store, plan)
    if as_json:
        print(json.dumps(out))
        return
    table = Table(title=f"Plan {plan}: {out['status']}")
    for col in ("process", "ends", "status", "fulfilled", "answers", "reasons"):
        table.add_column(col, overflow="fold")
    for p in out["processes"]:
        cs = p["commitments"]
        done = sum(1 for c in cs if c["complete"])
        table.add_row(
            escape(p["name"]),
            p["ends"][:16],
            p["status"],
            f"{done}/{len(cs)}",
            _answers([c for c in cs if c["answeredBy"] != "plan"]),
            escape("; ".join(p["reasons"])),
        )
    console.print(table)
    for p in out["processes"]:
        if p["drivers"]:
            who = ", ".join(_short(d) for d in p["drivers"])
            console.print(f"{escape(p['name'])}: driven by {who}")
    for c in out["cancelled"]:
        console.print(
            f"[yellow]cancelled[/] {c['action']} by {_short(c['provider'])}, fulfilled "
            f"{c['fulfilled']}/{c['quantity']} {escape(c['unit'])} all the same"
        )
    said = out["answers"]
    console.print(
        f"providers' answers: {said['accepted']} accepted, {said['refused']} refused, "
        f"{said['pending']} pending"
    )


def _answers(cs: list[dict[str, Any]]) -> str:
    counts = {a: sum(1 for c in cs if c["answer"] == a) for a in ("accepted", "refused", "pending")}
    return ", ".join(f"{n} {a}" for a, n in counts.items() if n)


@plan_app.command("accept")
def accept_cmd(
    commitment: str,
    agent: AsAgent,
    note: Annotated[str | None, typer.Option(help="a note for the planner")] = None,
    passphrase: Passphrase = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Accept a commitment a plan gives you (signed: the plan counts on you)."""
    with opened(data_dir, db, as_json) as node:
        out = service.accept(node, signing_key(node, agent, passphrase), commitment, note)
    if as_json:
        print(json.dumps(out))
    else:
        console.print(f"accepted {out['commitment']} of plan {out['plan']}")


@plan_app.command("refuse")
def refuse_cmd(
    commitment: str,
    agent: AsAgent,
    reason: Annotated[str | None, typer.Option(help="why (the planner sees it)")] = None,
    passphrase: Passphrase = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Refuse a commitment a plan gives you; the planner's next replan gives it to someone
    else or asks the market for it."""
    with opened(data_dir, db, as_json) as node:
        out = service.refuse(node, signing_key(node, agent, passphrase), commitment, reason)
    if as_json:
        print(json.dumps(out))
    else:
        console.print(f"refused {out['commitment']} of plan {out['plan']}")


@plan_app.command("replan")
def replan_cmd(
    plan: str,
    agent: AsAgent,
    passphrase: Passphrase = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Keep what is done, cancel the rest and plan it again against the network as it is."""
    with opened(data_dir, db, as_json) as node:
        out = service.replan(node, signing_key(node, agent, passphrase), plan)
        shown = service.show(node.store, plan)
    if as_json:
        print(json.dumps(out))
    else:
        console.print(
            f"cancelled {out['cancelled']}, kept {out['kept']}, reduced to the part done "
            f"{out['reduced']} (refusals: {out['refusals']})"
        )
        _schedule(shown)


@recipe_app.command("define")
def recipe_define(
    file: Annotated[Path, typer.Option("--file", help="JSON {recipe, processes, flows}")],
    agent: AsAgent,
    passphrase: Passphrase = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Define a whole recipe from a JSON file; flows name their process by its key."""
    body = json.loads(file.read_text())
    with opened(data_dir, db, as_json) as node:
        out = service.define_recipe(node, signing_key(node, agent, passphrase), body)
    if as_json:
        print(json.dumps(out))
    else:
        console.print(f"recipe defined with {len(out['created']) - 1} parts")
        print(out["recipe"])


@recipe_app.command("show")
def recipe_show(
    recipe: str, data_dir: DataDir = None, db: DbUrl = None, as_json: AsJson = False
) -> None:
    """A recipe: its processes with durations, and their input and output flows."""
    with opened(data_dir, db, as_json) as node:
        out = service.recipe(node.store, recipe)
    if as_json:
        print(json.dumps(out))
        return
    table = Table(title=f"Recipe {escape(out['name'])} → {_short(out['primaryOutput'])}")
    for col in ("process", "duration", "in/out", "action", "what", "quantity"):
        table.add_column(col, overflow="fold")
    for p in out["processes"]:
        for f in p["flows"]:
            side = "in" if f.get("recipeInputOf") else "out"
            table.add_row(
                escape(p["name"]),
                qty(p.get("hasDuration")),
                side,
                f["action"],
                _short(f.get("resourceConformsTo") or ",".join(f.get("resourceClassifiedAs", []))),
                qty(f.get("resourceQuantity") or f.get("effortQuantity")),
            )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(plan_app, name="plan")
    app.add_typer(recipe_app, name="recipe")
