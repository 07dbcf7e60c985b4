"""Exports of the reports: CSV, JSON, GeoJSON (for GIS tools) and a Sankey of material flows.

Columns (every mass in kg, every rate a fraction 0–1, distances in km):

=======================  ==================================================================
column                   meaning
=======================  ==================================================================
district                 district id (GeoJSON feature id, or H3 cell); empty: no place
material                 material group (classification URI), ``*`` for all
period                   ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or ``from/to`` of the window
inflow_kg … recycling_kg the flows of ``reflow.report.flows`` (kg)
stock_change_kg          inflow + production − outflow − consumption (kg)
reuse_rate …             rates (fraction); empty when the denominator is 0
distance_per_kg_km       mass-weighted mean distance of transfers/moves arriving (km)
unconverted              ``flow:unit:events`` for flows whose quantity has no mass
active_agents …          participation (counts); gini, top10_share (fraction)
spec, M, V, W, LFI, MCI  circularity: masses in kg, indices without unit
=======================  ==================================================================

GeoJSON: one Feature per district (``id`` = district, geometry from the territory; ``null``
geometry for events without a place), the row's figures as ``properties``.
"""

from __future__ import annotations

import csv
import io
import json
import warnings
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Float, cast, func, select

from reflow.report.catchup import catch_up
from reflow.report.places import TRANSFER_LIKE
from reflow.report.scope import C, Scope, kg, time_filter
from reflow.report.territory import Territory
from reflow.store.schema import vf_objects


def flat(row: dict[str, Any]) -> dict[str, Any]:
    """A row with nested parts written as text (``events`` dropped, ``unconverted`` joined)."""
    out: dict[str, Any] = {}
    for k, v in row.items():
        if k == "events" or k == "formula":
            continue
        if k == "unconverted":
            out[k] = ";".join(f"{u['flow']}:{u['unit']}:{u['events']}" for u in v)
        elif k == "agents_per_role":
            out[k] = ";".join(f"{role}={n}" for role, n in v.items())
        elif k == "value":
            for part in ("unit", "receivers", "total", "top10_share", "gini"):
                out[f"value_{part}"] = "|".join(str(x[part]) for x in v)
        else:
            out[k] = v
    return out


def to_csv(rows: list[dict[str, Any]]) -> str:
    flats = [flat(r) for r in rows]
    cols: list[str] = []
    for r in flats:
        cols += [k for k in r if k not in cols]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    writer.writeheader()
    for r in flats:
        writer.writerow({k: "" if v is None else v for k, v in r.items()})
    return buf.getvalue()


def to_geojson(rows: list[dict[str, Any]], territory: Territory) -> dict[str, Any]:
    features = []
    for r in rows:
        d = r.get("district")
        features.append({
            "type": "Feature",
            "id": d,
            "geometry": territory.geometry_of(d) if d else None,
            "properties": flat(r),
        })  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


# -- Sankey ------------------------------------------------------------------------------


def _keep_top(
    links: list[tuple[str, str, float]], prefix: str, top: int
) -> list[tuple[str, str, float]]:
    """Keep the ``top`` nodes of a kind by mass through them; merge the rest into "other …"
    (a diagram of thousands of processes says nothing). Works on aggregated links only."""
    through: dict[str, float] = {}
    for a, b, v in links:
        for n in (a, b):
            if n.startswith(prefix):
                through[n] = through.get(n, 0.0) + v
    if len(through) <= top:
        return links
    kept = set(sorted(through, key=lambda n: (-through[n], n))[:top])
    other = f"other {prefix.rstrip(':')}es" if prefix == "process:" else "other products"

    def rename(n: str) -> str:
        return n if not n.startswith(prefix) or n in kept else other

    merged: dict[tuple[str, str], float] = {}
    for a, b, v in links:
        key = (rename(a), rename(b))
        merged[key] = merged.get(key, 0.0) + v
    return [(a, b, v) for (a, b), v in merged.items()]


def sankey_data(engine: Engine, scope: Scope, top_processes: int = 40) -> dict[str, Any]:
    """Plotly Sankey data: origin district → process → product → destination district (kg).

    The ``top_processes`` processes and products with the most mass are shown by name, the
    others as "other processes" / "other products"."""
    catch_up(engine)  # place the events recorded since the last report
    conds = time_filter(scope)
    if scope.district is not None:
        conds.append(C.district == scope.district)
    inputs = (
        select(C.origin_district, C.input_of, func.sum(kg()))
        .where(C.action == "consume", C.input_of.is_not(None), C.mass_kg.is_not(None), *conds)
        .group_by(C.origin_district, C.input_of)
    )
    outputs = (
        select(C.output_of, C.spec, func.sum(kg()))
        .where(C.action == "produce", C.mass_kg.is_not(None), *conds)
        .group_by(C.output_of, C.spec)
    )
    produced = select(C.spec).where(C.action == "produce").distinct()
    shipped = (
        select(C.spec, C.district, func.sum(cast(C.mass_kg, Float)))
        .where(C.action.in_(TRANSFER_LIKE), C.spec.in_(produced), C.mass_kg.is_not(None), *conds)
        .group_by(C.spec, C.district)
    )
    links: list[tuple[str, str, float]] = []
    with engine.connect() as conn:
        for origin, proc, mass in conn.execute(inputs):
            links.append((f"from {origin or 'outside'}", f"process:{proc}", float(mass)))
        for proc, spec, mass in conn.execute(outputs):
            links.append((f"process:{proc}", f"product:{spec}", float(mass)))
        for spec, district, mass in conn.execute(shipped):
            links.append((f"product:{spec}", f"to {district or 'outside'}", float(mass)))
        links = _keep_top(links, "process:", top_processes)
        links = _keep_top(links, "product:", top_processes)
        ids = {x.split(":", 1)[1] for a, b, _ in links for x in (a, b) if ":" in x}
        names = {
            r.id: json.loads(r.data).get("name", r.id)
            for r in conn.execute(select(vf_objects.c.id, vf_objects.c.data).where(
                vf_objects.c.id.in_(sorted(ids))))
        }  # fmt: skip
    index: dict[str, int] = {}
    for a, b, _ in links:
        for n in (a, b):
            index.setdefault(n, len(index))
    nodes = list(index)

    def label(node: str) -> str:
        return str(names.get(node.split(":", 1)[1], node)) if ":" in node else node

    return {
        "type": "sankey",
        "valueformat": ".3f",
        "valuesuffix": " kg",
        "node": {"label": [label(n) for n in nodes], "customdata": nodes},
        "link": {
            "source": [index[a] for a, _, _ in links],
            "target": [index[b] for _, b, _ in links],
            "value": [round(v, 6) for _, _, v in links],
        },
    }


def _figure(data: dict[str, Any], title: str) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure(go.Sankey(**{k: v for k, v in data.items() if k != "type"}))
    fig.update_layout(title_text=title, font_size=12)
    return fig


def write_html(data: dict[str, Any], path: Path, title: str = "Material flows") -> Path:
    """A self-contained page: plotly.min.js from the ``plotly`` package inlined (no CDN)."""
    _figure(data, title).write_html(str(path), include_plotlyjs=True, full_html=True)
    return path


def write_image(data: dict[str, Any], path: Path, title: str = "Material flows") -> Path:
    """PNG or SVG (by suffix) through kaleido 0.2.1, whose wheel ships its own headless Chromium,
    so it works offline (kaleido ≥ 1 needs a Chrome installed separately)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # plotly deprecates kaleido < 1
        fmt = path.suffix.lstrip(".") or "png"
        path.write_bytes(_figure(data, title).to_image(format=fmt, width=1000, height=600))
    return path
