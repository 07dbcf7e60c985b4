"""Value commands: ``reflow value equation create|list``, ``distribute``, ``verify``, ``claims``,
``claim``.

Each command parses its flags, calls ``reflow.value.service`` and renders the answer (a Rich
table with the explanation of every share, or ``--json``). A refusal prints its field and rule
and exits with status 1.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from reflow.cli.ledger_commands import AsAgent, Passphrase, opened, read_body
from reflow.cli.node_commands import AsJson, DataDir, DbUrl
from reflow.cli.output import console
from reflow.errors import ReflowError
from reflow.node import Node
from reflow.recording import signing_key
from reflow.value import service
from reflow.value.distribute import Plan, Share
from reflow.vf.units import get_unit

value_app = typer.Typer(no_args_is_help=True, help="Value equations, distributions and claims.")
equation_app = typer.Typer(no_args_is_help=True, help="Value equations (data, not code).")
value_app.add_typer(equation_app, name="equation")


def _name(node: Node, agent: str) -> str:
    obj = node.store.object(agent)
    name = obj.data.get("name") if obj is not None else None
    return escape(str(name)) if name else agent[:12]


def _amount(value: str | Decimal, quantum: Decimal) -> str:
    return str(Decimal(value).quantize(quantum))


def equation_create(
    agent: AsAgent,
    file: Annotated[Path, typer.Option("--file", help="the equation as JSON")],
    passphrase: Passphrase = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Record a value equation, signed by the --as agent; it is checked before it is signed."""
    with opened(data_dir, db, as_json) as node:
        data = read_body(file, None) or {}
        service.check_equation(data)
        eid = service.create_equation(node, signing_key(node, agent, passphrase), data)
    if as_json:
        print(json.dumps({"id": eid}))
    else:
        console.print(f"value equation [bold]{eid}[/]")


def equation_list(data_dir: DataDir = None, db: DbUrl = None, as_json: AsJson = False) -> None:
    """The value equations this node knows."""
    with opened(data_dir, db, as_json) as node:
        rows = service.list_equations(node.store)
    if as_json:
        print(json.dumps(rows))
        return
    table = Table(title="Value equations")
    for col in ("id", "name", "scope", "currency", "buckets"):
        table.add_column(col, overflow="fold")
    for r in rows:
        buckets = ", ".join(f"{b['name']} {b['percent']}% of {b.get('of', 'total')}"
                            for b in r["buckets"])  # fmt: skip
        table.add_row(r["id"], escape(r["name"]), json.dumps(r.get("scope", "network")),
                      r["currency"], escape(buckets))  # fmt: skip
    console.print(table)


def _symbol(unit: str | None) -> str:
    try:
        return get_unit(unit).symbol if unit else ""
    except ReflowError:
        return unit or ""


def _why(line: dict[str, Any], node: Node) -> str:
    if line["rule"] == "fixed":
        return f"fixed share {line['weight']} of {line['bucketWeight']}"
    if line["rule"] == "unallocated":
        return "what no bucket takes stays with the receiver"
    parts = []
    for c in line["contributions"]:
        if c["kind"] == "cite":
            how = f"design worth {c['rate']}"
            how += f" × {c['share']}" if c["share"] != "1" else ""
        else:
            how = f"{c['amount']} {_symbol(c['unit'])} × {c['rate']}"
        if c["multiplier"] != "1":
            how += f" × {c['multiplier']}"
        parts.append(f"{c['kind']} {how} = {c['value']}")
    return f"{'; '.join(parts)} (value {line['weight']} of {line['bucketWeight']})"


def _print_plan(node: Node, plan: Plan, created: dict[str, str]) -> None:
    q = plan.equation.quantum
    unit = plan.unit.split(":")[-1]
    title = f"{plan.equation.name}: {_amount(plan.pot, q)} {unit} of income {plan.income[:12]}"
    table = Table(title=escape(title), show_lines=True)
    for col in ("beneficiary", "amount", "bucket", "rule", "why"):
        table.add_column(col, overflow="fold")
    shares: list[Share] = plan.shares
    for s in shares:
        lines = [x.as_dict() for x in s.lines]
        who = _name(node, s.agent) + (" (keeps)" if s.kept else "")
        for i, line in enumerate(lines):
            table.add_row(
                who if i == 0 else "",
                _amount(line["amount"], q),
                escape(line["bucket"]),
                line["rule"],
                escape(_why(line, node)),
            )
        if len(lines) > 1:
            table.add_row("", f"[bold]{_amount(s.amount, q)}[/]", "total", "", "")
    console.print(table)
    if created:
        n = sum(1 for k in created if k.startswith("Claim"))
        console.print(f"committed: {n} claim(s), distribution {created['ValueDistribution']}")
    else:
        console.print("dry run: nothing recorded")


def distribute_cmd(
    income: Annotated[str, typer.Option("--income", help="the income event (a payment)")],
    equation: Annotated[str, typer.Option("--equation", help="the value equation id")],
    product: Annotated[
        str | None, typer.Option("--product", help="the resource paid for (default: traced)")
    ] = None,
    agent: Annotated[
        str | None, typer.Option("--as", help="signer (default: the income's receiver)")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show the plan only")] = False,
    passphrase: Passphrase = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Share an income by an equation: one claim per beneficiary, each share explained."""
    with opened(data_dir, db, as_json) as node:
        key = None
        if not dry_run:
            signer = agent
            if signer is None:
                ev = node.store.event(income)
                signer = ev.receiver if ev is not None else ""
            key = signing_key(node, signer, passphrase)
        plan, created = service.distribute(
            node, key, income, equation, product=product, dry_run=dry_run
        )
        if as_json:
            print(json.dumps({**plan.as_dict(), "dryRun": dry_run, "created": created}))
        else:
            _print_plan(node, plan, created)


def _claims_table(node: Node, rows: list[service.ClaimStatus]) -> Table:
    table = Table(title="Claims")
    for col in ("claim", "owed by", "to", "amount", "settled", "remaining", "status"):
        table.add_column(col, overflow="fold")
    for c in rows:
        unit = c.unit.split(":")[-1]
        table.add_row(
            c.id, _name(node, c.provider), _name(node, c.receiver), f"{c.quantity} {unit}",
            str(c.settled), str(c.remaining), c.status,
        )  # fmt: skip
    return table


def claims_cmd(
    agent: Annotated[str | None, typer.Option("--agent", help="owed by or to this agent")] = None,
    income: Annotated[str | None, typer.Option("--income", help="of this income")] = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Claims and how far payments settled them (partial settlement counts)."""
    with opened(data_dir, db, as_json) as node:
        rows = service.claims(node.store, agent=agent, income=income)
        if as_json:
            print(json.dumps([c.as_dict() for c in rows]))
        else:
            console.print(_claims_table(node, rows))


def claim_cmd(
    claim: Annotated[str, typer.Argument(help="a claim id")],
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """One claim's status: amount, settled, remaining, the payments that settled it."""
    with opened(data_dir, db, as_json) as node:
        c = service.claim_status(node.store, claim)
        if as_json:
            print(json.dumps(c.as_dict()))
        else:
            console.print(_claims_table(node, [c]))


def verify_cmd(
    income: Annotated[str, typer.Option("--income", help="the distributed income")],
    equation: Annotated[str, typer.Option("--equation", help="the value equation id")],
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Recompute a committed distribution from this node's records; exit 1 if it differs."""
    with opened(data_dir, db, as_json) as node:
        out = service.verify_distribution(node.store, equation, income)
        if as_json:
            print(json.dumps(out))
        elif out["matches"]:
            console.print("the recorded shares are what the equation gives")
        else:
            table = Table(title="Shares that differ")
            for col in ("receiver", "recorded", "recomputed"):
                table.add_column(col, overflow="fold")
            for d in out["differences"]:
                table.add_row(_name(node, d["receiver"]), d["recorded"], d["recomputed"])
            console.print(table)
    if not out["matches"]:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    equation_app.command(name="create")(equation_create)
    equation_app.command(name="list")(equation_list)
    value_app.command(name="distribute")(distribute_cmd)
    value_app.command(name="claims")(claims_cmd)
    value_app.command(name="claim")(claim_cmd)
    value_app.command(name="verify")(verify_cmd)
    app.add_typer(value_app, name="value")
