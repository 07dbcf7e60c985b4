"""Market commands: offer, request, matches, accept, confirm, decline, acceptances, withdraw,
proposals, agreement.

Each command parses its flags, calls ``reflow.market.service`` and renders the answer (a Rich
table, or ``--json``). A refusal prints its field and rule and exits with status 1.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from reflow.cli.ledger_commands import AsAgent, Passphrase, opened
from reflow.cli.node_commands import AsJson, DataDir, DbUrl
from reflow.cli.output import console, show_rows
from reflow.market import service
from reflow.recording import parse_quantity, signing_key


def _publisher(purpose: str) -> Callable[..., None]:
    def command(
        agent: AsAgent,
        quantity: Annotated[str, typer.Option(help='e.g. "40 kg", or "10 h" with --skill')],
        spec: Annotated[str | None, typer.Option(help="ResourceSpecification id")] = None,
        classified: Annotated[
            list[str] | None, typer.Option("--class", help="resourceClassifiedAs URI (repeat)")
        ] = None,
        skill: Annotated[bool, typer.Option(help="a skill: work measured in hours")] = False,
        minimum: Annotated[str | None, typer.Option("--min", help="minimumQuantity")] = None,
        name: Annotated[str | None, typer.Option(help="the proposal's name")] = None,
        note: Annotated[str | None, typer.Option()] = None,
        at: Annotated[str | None, typer.Option("--at", help="SpatialThing id")] = None,
        radius: Annotated[str | None, typer.Option(help="km (requests)")] = None,
        begins: Annotated[str | None, typer.Option("--from", help="hasBeginning")] = None,
        ends: Annotated[str | None, typer.Option("--until", help="hasEnd")] = None,
        to: Annotated[
            list[str] | None, typer.Option("--to", help="proposedTo agent (private; repeat)")
        ] = None,
        in_return: Annotated[
            str | None, typer.Option("--in-return", help='reciprocal, e.g. "10 EUR"')
        ] = None,
        unit_based: Annotated[bool, typer.Option(help="quantities are per unit")] = False,
        passphrase: Passphrase = None,
        data_dir: DataDir = None,
        db: DbUrl = None,
        as_json: AsJson = False,
    ) -> None:
        with opened(data_dir, db, as_json) as node:
            key = signing_key(node, agent, passphrase)
            extra: dict[str, Any] = {"atLocation": at} if at else {}
            minimum_q = parse_quantity(minimum, "--min") if minimum else None
            intents = [
                service.intent(
                    purpose, agent, parse_quantity(quantity, "--quantity"), spec=spec,
                    classes=classified, minimum=minimum_q, skill=skill, **extra,
                )
            ]  # fmt: skip
            if in_return:
                intents.append(
                    service.intent(
                        purpose, agent, parse_quantity(in_return, "--in-return"),
                        role="reciprocal",
                    )
                )  # fmt: skip
            proposal: dict[str, Any] = {"purpose": purpose}
            for k, v in (("name", name), ("note", note), ("hasBeginning", begins),
                         ("hasEnd", ends), ("proposedTo", to)):  # fmt: skip
                if v:
                    proposal[k] = v
            if unit_based:
                proposal["unitBased"] = True
            out = service.publish(node, key, proposal, intents, radius_km=radius)
            found = service.matches(node.store, out["proposal"])
        out["matches"] = [m.as_dict() for m in found]
        if as_json:
            print(json.dumps(out))
            return
        console.print(f"published {purpose} [bold]{out['proposal']}[/]")
        _print_matches(out["matches"])

    article = "an" if purpose == "offer" else "a"
    command.__doc__ = f"Publish {article} {purpose}: what, how much, where, when; and its matches."
    return command


def _print_matches(rows: list[dict[str, Any]]) -> None:
    if not rows:
        console.print("no matches yet")
        return
    table = Table(title="Matches")
    for col in ("proposal", "agent", "score", "available", "km", "why"):
        table.add_column(col, overflow="fold")
    for m in rows:
        why = "; ".join(m["reasons"].values())
        km = "" if m["distanceKm"] is None else f"{m['distanceKm']:.1f}"
        table.add_row(
            m["proposal"], m["agent"][:12], f"{m['score']:.2f}",
            f"{m['available']} {m['unit']}", km, escape(why),
        )  # fmt: skip
    console.print(table)


def matches_cmd(
    proposal: Annotated[str, typer.Argument(help="a proposal id")],
    limit: Annotated[int, typer.Option(min=1)] = 20,
    at: Annotated[str | None, typer.Option(help="judge at this time (default: now)")] = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """The proposals that match this one, best first, each with the reasons."""
    with opened(data_dir, db, as_json) as node:
        rows = [m.as_dict() for m in service.matches(node.store, proposal, limit=limit, at=at)]
    if as_json:
        print(json.dumps({"proposal": proposal, "matches": rows}))
    else:
        _print_matches(rows)


def accept_cmd(
    proposal: Annotated[str, typer.Argument(help="the proposal to accept")],
    agent: AsAgent,
    quantity: Annotated[str, typer.Option(help='how much, e.g. "25 kg"')],
    own: Annotated[str | None, typer.Option(help="your own matching proposal")] = None,
    note: Annotated[str | None, typer.Option()] = None,
    passphrase: Passphrase = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Accept a proposal: confirmed at once if this node holds the publisher's key, else pending."""
    with opened(data_dir, db, as_json) as node:
        key = signing_key(node, agent, passphrase)
        out = service.accept(
            node, key, proposal, parse_quantity(quantity, "--quantity"), own=own, note=note
        )
        _show_decision(node, out, as_json)


def _show_decision(node: Any, out: dict[str, Any], as_json: bool) -> None:
    head = {"acceptance": out["acceptance"], "status": out["status"]}
    if out["status"] != "confirmed":
        if as_json:
            print(json.dumps({**head, "agreement": None}))
        else:
            console.print(f"acceptance [bold]{out['acceptance']}[/] is {out['status']}")
        return
    status = {**head, **service.agreement_status(node.store, out["agreement"])}
    if as_json:
        print(json.dumps(status))
        return
    console.print(f"acceptance [bold]{out['acceptance']}[/] is confirmed")
    _print_agreement(status)


def confirm_cmd(
    acceptance: Annotated[str, typer.Argument(help="an acceptance of your proposal")],
    agent: AsAgent,
    passphrase: Passphrase = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Confirm an acceptance of your proposal: the agreement, and the quantity taken."""
    with opened(data_dir, db, as_json) as node:
        out = service.confirm(node, signing_key(node, agent, passphrase), acceptance)
        _show_decision(node, out, as_json)


def decline_cmd(
    acceptance: Annotated[str, typer.Argument(help="an acceptance of your proposal")],
    agent: AsAgent,
    reason: Annotated[str | None, typer.Option(help="why, for the acceptor")] = None,
    passphrase: Passphrase = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Decline an acceptance of your proposal: nothing is taken."""
    with opened(data_dir, db, as_json) as node:
        out = service.decline(node, signing_key(node, agent, passphrase), acceptance, reason)
        _show_decision(node, out, as_json)


def acceptances_cmd(
    agent: Annotated[str, typer.Argument(help="a publisher's agent id")],
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """The acceptances of an agent's proposals waiting for its answer."""
    with opened(data_dir, db, as_json) as node:
        rows = service.pending_acceptances(node.store, agent)
    show_rows(rows, as_json, "Pending acceptances", ("acceptance", "proposal", "acceptor",
              "quantity"), lambda r: (r["id"], r["proposal"], r["acceptor"][:12],
                                      f"{r['quantity']} {r['unit']}"))  # fmt: skip


def _print_agreement(status: dict[str, Any]) -> None:
    done = "complete" if status["complete"] else "open"
    table = Table(title=f"Agreement {status['agreement']} ({done})")
    for col in ("commitment", "action", "provider", "receiver", "quantity", "fulfilled"):
        table.add_column(col, overflow="fold")
    for c in status["commitments"]:
        table.add_row(
            c["id"], c["action"], c["provider"][:12], c["receiver"][:12],
            f"{c['quantity']} {c['unit']}", c["fulfilled"],
        )  # fmt: skip
    console.print(table)


def agreement_cmd(
    agreement: Annotated[str, typer.Argument(help="an agreement id")],
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """An agreement's commitments and how far events have fulfilled them."""
    with opened(data_dir, db, as_json) as node:
        status = service.agreement_status(node.store, agreement)
    if as_json:
        print(json.dumps(status))
    else:
        _print_agreement(status)


def withdraw_cmd(
    proposal: Annotated[str, typer.Argument(help="your proposal")],
    agent: AsAgent,
    passphrase: Passphrase = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Take one of your proposals off the market."""
    with opened(data_dir, db, as_json) as node:
        out = service.withdraw(node, signing_key(node, agent, passphrase), proposal)
    if as_json:
        print(json.dumps(out))
    else:
        console.print(f"withdrew {proposal}")


def proposals_cmd(
    agent: Annotated[str, typer.Argument(help="an agent id")],
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """An agent's proposals still on the market."""
    with opened(data_dir, db, as_json) as node:
        rows = service.open_proposals(node.store, agent)
    show_rows(rows, as_json, "Open proposals", ("id", "purpose", "name", "until"),
              lambda r: (r["id"], r["purpose"], escape(r["name"] or ""), r["ends"] or ""))


def bench_match(
    intents: Annotated[int, typer.Option(help="open intents in the store")] = 100_000,
    queries: Annotated[int, typer.Option(help="match queries to time")] = 300,
    agents: Annotated[int, typer.Option(help="agents publishing")] = 500,
    db: Annotated[
        str | None, typer.Option("--db", help="database URL (default: a fresh SQLite file)")
    ] = None,
    seed: Annotated[int, typer.Option(help="workload seed")] = 7,
) -> None:
    """Publish N signed proposals over a city, then time match queries (p50/p95 as JSON)."""
    from reflow.bench.match import run
    from reflow.cli.bench_commands import _progress
    from reflow.store.database import database_url

    with tempfile.TemporaryDirectory(prefix="reflow-bench-match-") as tmp:
        url = database_url(db, Path(tmp)) if db else f"sqlite:///{Path(tmp) / 'match.sqlite'}"
        tasks: dict[str, Any] = {}
        with _progress() as bar:

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done)

            out = run(url, intents, agents=agents, queries=queries, seed=seed, progress=progress)
    print(json.dumps(out, indent=2))


def register(app: typer.Typer) -> None:
    from reflow.cli.bench_commands import bench_app

    bench_app.command(name="match")(bench_match)
    app.command(name="offer")(_publisher("offer"))
    app.command(name="request")(_publisher("request"))
    app.command(name="matches")(matches_cmd)
    app.command(name="accept")(accept_cmd)
    app.command(name="confirm")(confirm_cmd)
    app.command(name="decline")(decline_cmd)
    app.command(name="acceptances")(acceptances_cmd)
    app.command(name="withdraw")(withdraw_cmd)
    app.command(name="proposals")(proposals_cmd)
    app.command(name="agreement")(agreement_cmd)
