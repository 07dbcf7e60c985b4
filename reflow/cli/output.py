"""What the commands print: Rich tables for people, and the one way refusals are reported."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from reflow.errors import NotFound, ReflowError, UnitError
from reflow.vf.units import get_unit

console = Console()
err_console = Console(stderr=True)


def error_dict(err: ReflowError) -> dict[str, str]:
    """The error as the API reports it; a NotFound always breaks the rule "must-exist"."""
    out = err.as_dict()
    if "rule" not in out and isinstance(err, NotFound):
        out["rule"] = "must-exist"
    return out


def fail(err: ReflowError, as_json: bool) -> NoReturn:
    """Report a refusal the same way everywhere: message, field, rule, code; exit status 1."""
    out = error_dict(err)
    if as_json:
        print(json.dumps({"error": out}))
    else:
        err_console.print(f"[bold red]refused:[/] {escape(out['message'])}")
        for label in ("field", "rule", "code"):
            if out.get(label):
                err_console.print(f"  {label}: {escape(out[label])}")
    raise typer.Exit(1)


def qty(m: dict[str, str] | None) -> str:
    if not m:
        return ""
    try:
        unit = "each" if m["hasUnit"] == "om2:one" else get_unit(m["hasUnit"]).symbol
    except UnitError:
        unit = m["hasUnit"]
    return f"{m['hasNumericalValue']} {unit}"


def named(r: dict[str, Any] | None) -> str:
    if not r:
        return ""
    return escape(r.get("name") or r["id"][:12])


def show_rows(
    rows: list[dict[str, Any]],
    as_json: bool,
    title: str,
    columns: tuple[str, ...],
    cells: Callable[[dict[str, Any]], tuple[str, ...]],
) -> None:
    """A read command's answer: the rows as JSON with ``--json``, else a Rich table of ``cells``."""
    if as_json:
        print(json.dumps(rows))
        return
    table = Table(title=title)
    for col in columns:
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(*cells(r))
    console.print(table)


def resources_table(rows: list[dict[str, Any]], title: str = "Economic resources") -> Table:
    table = Table(title=title)
    for col in ("id", "name", "spec", "accounting", "onhand", "accountable", "custodian"):
        table.add_column(col, overflow="fold")
    table.add_column("location")
    for r in rows:
        table.add_row(
            r["id"],
            escape(r["name"] or ""),
            named(r["conformsTo"]),
            qty(r["accountingQuantity"]),
            qty(r["onhandQuantity"]),
            named(r["primaryAccountable"]),
            named(r["custodian"]),
            named(r["currentLocation"]),
        )
    return table
