"""Track, trace and passports: ``reflow trace|track`` and ``reflow passport export|verify``.

``passport verify`` works offline on the file alone and exits with a code that says what failed:
0 valid, 2 a signature, 3 a record's hash or chain position, 4 the tree or summary does not
follow from the records, 5 not a passport at all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from reflow.cli.node_commands import AsJson, DataDir, DbUrl, settings_from
from reflow.cli.output import fail
from reflow.errors import ReflowError
from reflow.node import Node
from reflow.trace.algorithms import FlowResult
from reflow.trace.passport import MALFORMED, export_passport, verify_passport
from reflow.trace.service import trace_item, track_item

console = Console()
passport_app = typer.Typer(no_args_is_help=True, help="Material passports: export and verify.")
Depth = Annotated[int | None, typer.Option("--depth", help="at most this many steps")]


def _show(result: FlowResult, as_json: bool, tree: bool) -> None:
    if as_json:
        out = result.tree() if tree else [f.as_dict() for f in result.flows]
        print(json.dumps(out))
        return
    for f in result.flows:
        role = f" [dim]({f.role})[/]" if f.role not in ("flow", "start") else ""
        console.print(f"{'  ' * f.depth}{f.node.kind} {f.node.id}{role}")


def register(app: typer.Typer) -> None:
    app.add_typer(passport_app, name="passport")

    @app.command(name="trace")
    def trace_cmd(
        item_id: str,
        depth: Depth = None,
        tree: Annotated[bool, typer.Option("--tree", help="nested tree (with --json)")] = False,
        data_dir: DataDir = None,
        db: DbUrl = None,
        as_json: AsJson = False,
    ) -> None:
        """Trace a resource, event or process back to where it came from."""
        node = Node.open(settings_from(data_dir, db))
        try:
            _show(trace_item(node.store, item_id, depth), as_json, tree)
        except ReflowError as exc:
            fail(exc, as_json)
        finally:
            node.close()

    @app.command(name="track")
    def track_cmd(
        item_id: str,
        depth: Depth = None,
        tree: Annotated[bool, typer.Option("--tree", help="nested tree (with --json)")] = False,
        data_dir: DataDir = None,
        db: DbUrl = None,
        as_json: AsJson = False,
    ) -> None:
        """Track a resource, event or process forward to wherever it went."""
        node = Node.open(settings_from(data_dir, db))
        try:
            _show(track_item(node.store, item_id, depth), as_json, tree)
        except ReflowError as exc:
            fail(exc, as_json)
        finally:
            node.close()

    @passport_app.command("export")
    def export_cmd(
        resource_id: str,
        output: Annotated[Path | None, typer.Option("-o", "--output", help="file")] = None,
        data_dir: DataDir = None,
        db: DbUrl = None,
        as_json: AsJson = False,
    ) -> None:
        """Write the signed passport of a resource (JSON-LD) to a file or standard output."""
        node = Node.open(settings_from(data_dir, db))
        try:
            doc = export_passport(node, resource_id)
        except ReflowError as exc:
            fail(exc, as_json)
        finally:
            node.close()
        text = json.dumps(doc, ensure_ascii=False, indent=2)
        if output is None:
            print(text)
            return
        output.write_text(text + "\n", encoding="utf-8")
        summary = {"file": str(output), "records": len(doc["proofs"]), **doc["summary"]["counts"]}
        if as_json:
            print(json.dumps(summary))
        else:
            console.print(f"passport of {resource_id} written to [bold]{escape(str(output))}[/] "
                          f"({summary['records']} signed records)")  # fmt: skip

    @passport_app.command("verify")
    def verify_cmd(path: Path, as_json: AsJson = False) -> None:
        """Check a passport offline: records, chains, tree and summary, node signature."""
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            out = {"ok": False, "code": MALFORMED, "problem": f"cannot read {path}: {exc}"}
            print(json.dumps(out)) if as_json else console.print(f"[red]{escape(out['problem'])}")
            raise typer.Exit(MALFORMED) from None
        result = verify_passport(doc)
        if as_json:
            print(json.dumps(result.as_dict()))
        elif result.ok:
            console.print(f"[green]valid[/]: {'; '.join(result.checks)}")
        else:
            console.print(
                f"[bold red]not valid[/] (code {result.code}): {escape(result.problem or '')}"
            )
            for label in ("field", "record"):
                if getattr(result, label):
                    console.print(f"  {label}: {escape(getattr(result, label))}")
        raise typer.Exit(result.code)
