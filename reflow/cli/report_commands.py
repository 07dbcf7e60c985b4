"""``reflow territory …`` and ``reflow report …``: districts in, indicators out.

Reports read the node's projections only; the one write is ``territory load`` (a signed
``territory.define`` record). Formats: a Rich table, CSV, JSON or GeoJSON (``--format``); the
Sankey as Plotly JSON, a self-contained HTML page, or a PNG/SVG image.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from reflow.cli.bench_commands import bench_app
from reflow.cli.output import console, fail
from reflow.errors import ReflowError, RuleViolation
from reflow.node import Node
from reflow.settings import Settings

territory_app = typer.Typer(no_args_is_help=True, help="The territory: districts for reports.")
report_app = typer.Typer(no_args_is_help=True, help="Territory indicators for policy.")

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="node directory")]
DbUrl = Annotated[str | None, typer.Option("--db", help="database URL (default: SQLite)")]
AsJson = Annotated[bool, typer.Option("--json", help="machine-readable output")]
District = Annotated[str | None, typer.Option("--district", help="district id (default: all)")]
From = Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD (inclusive)")]
To = Annotated[str | None, typer.Option("--to", help="last day, YYYY-MM-DD (inclusive)")]
Period = Annotated[str, typer.Option("--period", help="group by: all, year, month, day")]
Material = Annotated[str | None, typer.Option("--material", help="material group URI")]
Format = Annotated[str, typer.Option("--format", help="table, csv, json or geojson")]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="write to this file")]
FORMATS = ("table", "csv", "json", "geojson")


def _node(data_dir: Path | None, db: str | None) -> Node:
    return Node.open(Settings.from_env(data_dir=data_dir, database_url=db))


@territory_app.command("load")
def load(
    file: Annotated[Path, typer.Argument(help="GeoJSON FeatureCollection of district polygons")],
    name: Annotated[str | None, typer.Option(help="territory name")] = None,
    as_agent: Annotated[
        str | None, typer.Option("--as", help="signing agent (default: node)")
    ] = None,
    h3_resolution: Annotated[int, typer.Option(help="H3 resolution where no polygon")] = 8,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Store districts (a signed territory.define record); every event is placed again."""
    from reflow.report.territory import for_record, parse_feature_collection

    node = _node(data_dir, db)
    try:
        doc = for_record(json.loads(file.read_text()))
        districts = parse_feature_collection(doc, "file")
        body = {"name": name or file.stem, "districts": doc, "h3Resolution": h3_resolution}
        key = node.key(as_agent or node.info.node_key)
        if as_agent is None and node.store.object(key.public) is None:
            # the node signs for itself: it declares itself as an organisation first
            node.submit(key, "agent.declare", {"type": "Organization", "data": {"name": "node"}})
        receipt = node.submit(key, "territory.define", body)
    except ReflowError as exc:
        fail(exc, as_json)
    except (OSError, ValueError) as exc:
        fail(RuleViolation(f"cannot read {file}: {exc}", field="file", rule="geojson"), as_json)
    finally:
        node.close()
    out = {"record": receipt.hash, "districts": [d.id for d in districts]}
    if as_json:
        print(json.dumps(out))
    else:
        console.print(f"territory loaded: {len(districts)} districts ({receipt.hash[:12]}…)")


@territory_app.command("h3")
def use_h3(
    resolution: Annotated[int, typer.Argument(help="H3 resolution, 0 (coarse) to 15")],
    name: Annotated[str, typer.Option(help="territory name")] = "H3 cells",
    as_agent: Annotated[str | None, typer.Option("--as", help="signing agent (node)")] = None,
    data_dir: DataDir = None,
    db: DbUrl = None,
    as_json: AsJson = False,
) -> None:
    """Use H3 cells at RESOLUTION as districts (no polygons); every event is placed again."""
    node = _node(data_dir, db)
    try:
        key = node.key(as_agent or node.info.node_key)
        if as_agent is None and node.store.object(key.public) is None:
            node.submit(key, "agent.declare", {"type": "Organization", "data": {"name": "node"}})
        receipt = node.submit(key, "territory.define", {"name": name, "h3Resolution": resolution})
    except ReflowError as exc:
        fail(exc, as_json)
    finally:
        node.close()
    if as_json:
        print(json.dumps({"record": receipt.hash, "h3Resolution": resolution}))
    else:
        console.print(f"districts are now H3 cells at resolution {resolution}")


def _scope(district: str | None, material: str | None, start: str | None, end: str | None,
           period: str) -> Any:  # fmt: skip
    from reflow.report.scope import Scope

    return Scope.make(district, material, start, end, period)


def _emit(rows: list[dict[str, Any]], fmt: str, node: Node, output: Path | None,
          columns: tuple[str, ...], title: str, *, long: int = 0) -> None:  # fmt: skip
    """Write rows in ``fmt``; a table with ``long`` > 0 lists one figure per line after the
    first ``long`` (key) columns, which stays readable in a narrow terminal."""
    from reflow.report.export import flat, to_csv, to_geojson

    if fmt not in FORMATS:
        raise RuleViolation(f"--format is one of {', '.join(FORMATS)}", field="format")
    if fmt == "table":
        table = Table(title=title)
        shown = (*columns[:long], "indicator", "value") if long else columns
        for col in shown:
            table.add_column(col, overflow="fold")
        for r in rows:
            f = flat(r)
            cells = ["" if f.get(c) is None else str(f.get(c)) for c in columns]
            if not long:
                table.add_row(*cells)
                continue
            for col, cell in zip(columns[long:], cells[long:], strict=True):
                table.add_row(*cells[:long], col, cell)
            table.add_section()
        console.print(table)
        return
    if fmt == "csv":
        text = to_csv(rows)
    elif fmt == "json":
        text = json.dumps(rows, indent=2, ensure_ascii=False)
    else:
        from reflow.report.places import current_territory

        with node.store.engine.connect() as conn:
            terr = current_territory(conn)
        text = json.dumps(to_geojson(rows, terr), indent=2, ensure_ascii=False)
    if output:
        output.write_text(text)
    else:
        print(text, end="" if text.endswith("\n") else "\n")


@report_app.command()
def flows(
    district: District = None, start: From = None, end: To = None, period: Period = "all",
    material: Material = None,
    all_materials: Annotated[bool, typer.Option(help="one row per district")] = False,
    fmt: Format = "table", output: Output = None, data_dir: DataDir = None, db: DbUrl = None,
) -> None:  # fmt: skip
    """Material flow accounts (kg) and rates per district, material group and period."""
    from reflow.report.flows import flow_accounts

    node = _node(data_dir, db)
    try:
        rows = flow_accounts(
            node.store.engine, _scope(district, material, start, end, period),
            by_material=not all_materials,
        )  # fmt: skip
        cols = ("district", "material", "period", "inflow_kg", "outflow_kg", "production_kg",
                "consumption_kg", "stock_change_kg", "waste_kg", "reuse_kg", "repair_kg",
                "recycling_kg", "reuse_rate", "repair_rate", "recycling_rate",
                "local_sourcing_share", "distance_per_kg_km", "unconverted")  # fmt: skip
        _emit(rows, fmt, node, output, cols, "Material flows (kg)", long=3)
    except ReflowError as exc:
        fail(exc, fmt == "json")
    finally:
        node.close()


@report_app.command()
def circularity(
    district: District = None, start: From = None, end: To = None,
    e_f: Annotated[float, typer.Option("--e-f", help="efficiency of recycling feedstock")] = 1.0,
    e_c: Annotated[float, typer.Option("--e-c", help="efficiency of recycling the product")] = 1.0,
    utility: Annotated[list[str] | None, typer.Option(help="SPEC=X utility of a spec")] = None,
    fmt: Format = "table", output: Output = None, data_dir: DataDir = None, db: DbUrl = None,
) -> None:  # fmt: skip
    """Material Circularity Indicator per product specification, with its inputs."""
    from reflow.report.circularity import FORMULA
    from reflow.report.circularity import circularity as mci_rows

    node = _node(data_dir, db)
    try:
        xs = {}
        for item in utility or []:
            spec, _, x = item.partition("=")
            try:
                xs[spec] = float(x)
            except ValueError:
                raise RuleViolation(f"--utility {item!r}: write SPEC=X", field="utility") from None
        rows = mci_rows(
            node.store.engine, _scope(district, None, start, end, "all"), e_f=e_f, e_c=e_c,
            utility=xs,
        )  # fmt: skip
        cols = ("name", "M", "F_R", "F_U", "C_R", "C_U", "X", "V", "W", "LFI", "MCI")
        _emit(rows, fmt, node, output, cols, "Material Circularity Indicator")
        if fmt == "table":
            console.print(FORMULA)
    except ReflowError as exc:
        fail(exc, fmt == "json")
    finally:
        node.close()


@report_app.command()
def participation(
    district: District = None, start: From = None, end: To = None,
    fmt: Format = "table", output: Output = None, data_dir: DataDir = None, db: DbUrl = None,
) -> None:  # fmt: skip
    """Active and new agents, agents per role, value spread (top 10 % share, Gini)."""
    from reflow.report.participation import participation as part_rows

    node = _node(data_dir, db)
    try:
        rows = part_rows(node.store.engine, _scope(district, None, start, end, "all"))
        cols = ("district", "period", "active_agents", "new_agents", "value_unit",
                "value_top10_share", "value_gini", "agents_per_role")  # fmt: skip
        _emit(rows, fmt, node, output, cols, "Participation", long=2)
    except ReflowError as exc:
        fail(exc, fmt == "json")
    finally:
        node.close()


@report_app.command()
def explain(
    indicator: Annotated[str, typer.Argument(help="e.g. inflow, recycling_rate, mci")],
    district: Annotated[str | None, typer.Option(help="district (none: no place)")] = None,
    material: Annotated[str | None, typer.Option(help="material group (spec id for mci)")] = None,
    period: Annotated[str | None, typer.Option(help="period label, e.g. 2026-03")] = None,
    start: From = None, end: To = None, data_dir: DataDir = None, db: DbUrl = None,
    as_json: AsJson = False,
) -> None:  # fmt: skip
    """List the events behind a figure."""
    from reflow.report.explain import explain as explain_ids
    from reflow.report.scope import Scope

    node = _node(data_dir, db)
    try:
        scope = Scope.make(None, None, start, end)
        ids = explain_ids(node.store.engine, indicator, district, material, period, scope=scope)
    except ReflowError as exc:
        fail(exc, as_json)
    finally:
        node.close()
    if as_json:
        print(json.dumps({"indicator": indicator, "district": district, "events": ids}))
    else:
        for i in ids:
            console.print(i)


@report_app.command()
def sankey(
    district: District = None, start: From = None, end: To = None,
    html: Annotated[Path | None, typer.Option(help="write a self-contained HTML page")] = None,
    png: Annotated[Path | None, typer.Option(help="write an image (.png or .svg)")] = None,
    data_dir: DataDir = None, db: DbUrl = None,
) -> None:  # fmt: skip
    """Material flows origin → process → product → destination, as Plotly data (JSON)."""
    from reflow.report.export import sankey_data, write_html, write_image

    node = _node(data_dir, db)
    try:
        data = sankey_data(node.store.engine, _scope(district, None, start, end, "all"))
    except ReflowError as exc:
        fail(exc, True)
    finally:
        node.close()
    if html:
        write_html(data, html)
    if png:
        write_image(data, png)
    if not html and not png:
        print(json.dumps(data, indent=2, ensure_ascii=False))


@bench_app.command("report")
def bench_report(
    events: Annotated[int, typer.Option(help="event rows to generate in bulk")] = 1_000_000,
    records: Annotated[int, typer.Option(help="also time this many real signed records")] = 0,
    districts: Annotated[int, typer.Option(help="districts in the city")] = 20,
    db: Annotated[str | None, typer.Option("--db", help="database URL (temp SQLite)")] = None,
) -> None:  # fmt: skip
    """Time every report on a city of N districts over a year; prints JSON."""
    from reflow.bench.report import run

    print(json.dumps(run(events, districts=districts, records=records, url=db), indent=2))


def register(app: typer.Typer) -> None:
    app.add_typer(territory_app, name="territory")
    app.add_typer(report_app, name="report")
