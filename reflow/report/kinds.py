"""The report service's record kind: ``territory.define``, and its projector.

A territory is a fact of the network like any other, so it enters as a signed record and every
node places events the same way. Body::

    {"name": "Amsterdam", "districts": <GeoJSON FeatureCollection, coordinates as decimal strings>}
    {"name": "Amsterdam", "h3Resolution": 8}          # no polygons: H3 cells as districts

The latest ``territory.define`` in log order is the territory; loading one invalidates the
placed events, which the next report re-locates (``reflow.report.catchup``).
"""

from __future__ import annotations

from typing import Any

from reflow.errors import RuleViolation
from reflow.ledger.changes import Changes
from reflow.ledger.context import Context
from reflow.ledger.kinds import register_kind, register_observer
from reflow.report import tables
from reflow.report.catchup import project
from reflow.report.places import note_inputs
from reflow.report.territory import DEFAULT_H3_RESOLUTION, dumps, parse_feature_collection
from reflow.store.sqlstore import BATCH_PROJECTORS


def define_territory(ctx: Context) -> Changes:
    body: dict[str, Any] = ctx.record.body
    unknown = sorted(set(body) - {"name", "districts", "h3Resolution"})
    if unknown:
        raise RuleViolation(
            f"unknown field {unknown[0]!r}", field=f"body.{unknown[0]}", rule="known-fields"
        )
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RuleViolation("a territory needs a name", field="body.name", rule="required")
    res = body.get("h3Resolution", DEFAULT_H3_RESOLUTION)
    if not isinstance(res, int) or isinstance(res, bool) or not 0 <= res <= 15:
        raise RuleViolation(
            "h3Resolution is an integer from 0 to 15", field="body.h3Resolution", rule="range"
        )
    districts = (
        parse_feature_collection(body["districts"], "body.districts") if "districts" in body else []
    )
    rows: list[tuple[str, dict[str, Any]]] = [
        (
            tables.districts.name,
            {
                "id": d.id,
                "name": d.name,
                "geometry": dumps(d.geometry),
                "min_long": repr(d.bbox[0]),
                "min_lat": repr(d.bbox[1]),
                "max_long": repr(d.bbox[2]),
                "max_lat": repr(d.bbox[3]),
                "record": ctx.record.hash,
            },
        )
        for d in districts
    ]
    rows.append(
        (
            tables.territory.name,
            {
                "key": "current",
                "record": ctx.record.hash,
                "name": name,
                "h3_resolution": res,
                "district_count": len(districts),
            },
        )
    )
    return Changes(rows=rows, created={"territory": ctx.record.hash})


register_kind(
    "territory.define",
    define_territory,
    "define the territory's districts (GeoJSON polygons) or its H3 resolution",
)
if project not in BATCH_PROJECTORS:
    BATCH_PROJECTORS.append(project)
register_observer(note_inputs)
