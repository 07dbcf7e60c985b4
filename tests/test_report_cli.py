"""The report commands end to end on a node directory: territory in, every format out.

Exports are checked for their documented columns and units (kg); the Sankey comes out as
Plotly data, as a self-contained HTML page (plotly.min.js inline, no CDN) and as a PNG.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import h3
import pytest
from report_world import DISTRICTS, TEXTILE, City, build
from support import World
from typer.testing import CliRunner

from reflow.cli import app
from reflow.node import Node
from reflow.settings import Settings

runner = CliRunner()


@pytest.fixture
def city_dir(tmp_path: Path) -> tuple[Path, City]:
    data = tmp_path / "node"
    node = Node.init(Settings.from_env({}, data_dir=data), network_name="test")
    city = build(World(node.ledger), territory=False)
    node.close()
    (tmp_path / "districts.geojson").write_text(json.dumps(_floats(DISTRICTS)))
    return data, city


def _floats(doc: object) -> object:
    """The test districts as a GIS tool writes them: coordinates as JSON numbers."""
    if isinstance(doc, dict):
        return {k: _floats(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_floats(v) for v in doc]
    if isinstance(doc, str) and doc.replace(".", "").isdigit():
        return float(doc)
    return doc


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _load(data: Path) -> None:
    _run("territory", "load", str(data.parent / "districts.geojson"), "--data-dir", str(data))


def test_territory_load_then_flows_as_csv_json_and_geojson(city_dir: tuple[Path, City]) -> None:
    data, _ = city_dir
    _load(data)
    d = str(data)
    rows = list(csv.DictReader(io.StringIO(_run("report", "flows", "--data-dir", d,
                                                "--format", "csv"))))  # fmt: skip
    a = next(r for r in rows if r["district"] == "A" and r["material"] == TEXTILE)
    assert float(a["inflow_kg"]) == pytest.approx(180.6)
    assert {"stock_change_kg", "reuse_rate", "distance_per_kg_km", "unconverted"} <= set(a)
    js = json.loads(_run("report", "flows", "--data-dir", d, "--district", "B", "--from",
                         "2026-03-01", "--to", "2026-03-31", "--format", "json"))  # fmt: skip
    assert [r["recycling_kg"] for r in js] == [5.0]
    geo = json.loads(_run("report", "flows", "--data-dir", d, "--all-materials",
                          "--format", "geojson"))  # fmt: skip
    by_id = {f["id"]: f for f in geo["features"]}
    assert by_id["A"]["geometry"]["type"] == "Polygon"
    assert by_id["B"]["properties"]["waste_kg"] == 20.0
    assert by_id[None]["geometry"] is None  # the buttons: no place


def test_circularity_participation_and_explain(city_dir: tuple[Path, City]) -> None:
    data, city = city_dir
    _load(data)
    d = str(data)
    table = _run("report", "circularity", "--data-dir", d)
    assert "cushion" in table and "0.55" in table and "F(X) = 0.9/X" in table
    assert "180.6" in _run("report", "flows", "--data-dir", d, "--district", "A")
    mci = json.loads(_run("report", "circularity", "--data-dir", d, "--format", "json"))
    assert {r["name"]: r["MCI"] for r in mci}["cushion filling"] == pytest.approx(0.55)
    part = json.loads(_run("report", "participation", "--data-dir", d, "--format", "json"))
    assert {r["district"]: r["active_agents"] for r in part} == {"A": 6, "B": 2, None: 1}
    out = json.loads(_run("report", "explain", "recycling", "--district", "B",
                          "--data-dir", d, "--json"))  # fmt: skip
    assert out["events"] == [city.ids["recycle"]]


def test_sankey_as_plotly_data_html_and_png(city_dir: tuple[Path, City], tmp_path: Path) -> None:
    data, _ = city_dir
    _load(data)
    d = str(data)
    sk = json.loads(_run("report", "sankey", "--data-dir", d))
    labels = sk["node"]["label"]
    link = sk["link"]
    ends = zip(link["source"], link["target"], link["value"], strict=True)
    links = {(labels[s], labels[t]): v for s, t, v in ends}
    assert links[("from A", "shred")] == 100.0
    assert links[("shred", "felt panel")] == 80.0
    assert links[("felt panel", "to A")] == 80.0
    html, png = tmp_path / "flows.html", tmp_path / "flows.png"
    _run("report", "sankey", "--data-dir", d, "--html", str(html), "--png", str(png))
    page = html.read_text()
    assert '<script src="http' not in page and "shred" in page
    assert len(page) > 1_000_000  # plotly.min.js is inlined
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_h3_cells_as_districts(city_dir: tuple[Path, City]) -> None:
    data, _ = city_dir
    d = str(data)
    assert json.loads(_run("territory", "h3", "6", "--data-dir", d, "--json"))["h3Resolution"] == 6
    rows = json.loads(_run("report", "flows", "--data-dir", d, "--all-materials", "--format",
                           "json"))  # fmt: skip
    cells = {r["district"] for r in rows}
    assert h3.latlng_to_cell(52.35, 4.85, 6) in cells and None in cells
    bad = runner.invoke(app, ["territory", "h3", "16", "--data-dir", d, "--json"])
    assert bad.exit_code == 1 and json.loads(bad.output)["error"]["field"] == "body.h3Resolution"


def test_bad_format_and_bad_file_are_refused(city_dir: tuple[Path, City], tmp_path: Path) -> None:
    data, _ = city_dir
    bad = runner.invoke(app, ["report", "flows", "--data-dir", str(data), "--format", "xls"])
    assert bad.exit_code == 1 and "format" in bad.output
    (tmp_path / "x.geojson").write_text("{not json")
    bad = runner.invoke(app, ["territory", "load", str(tmp_path / "x.geojson"),
                              "--data-dir", str(data), "--json"])  # fmt: skip
    assert bad.exit_code == 1 and json.loads(bad.output)["error"]["field"] == "file"


def test_bench_report_prints_json_and_says_how_rows_were_made() -> None:
    out = json.loads(_run("bench", "report", "--events", "3000", "--districts", "4"))
    assert "executemany" in out["setup"]
    assert out["events"] == 3000 and out["seconds"]["flows_rows"] > 0
    assert set(out["seconds"]) >= {"flows", "circularity", "participation", "sankey"}
