"""The report service's projection tables: the territory and one row per event with a place.

``report_event_places`` exists so that every indicator is a ``GROUP BY`` in SQL: each event is
placed once (its district, coordinates, material group and mass in kg are worked out then),
instead of being re-derived from JSON bodies at report time. Decimals are exact text like the
rest of the store; the queries ``CAST`` them.

The districts and the territory are written by the ``territory.define`` handler inside the
commit: projections of the log like any other (rebuilt, hashed by the state digest).

The rest is in ``DERIVED_TABLES`` (cleared by rebuild, NOT hashed by the state digest):
``report_event_inputs``, what an event's row takes from the state of the moment it is recorded,
written by the report's projector in the commit (a rebuild's replay writes it again); and the
*catch-up* projection ``report_event_places`` with ``report_position`` (``reflow.report.catchup``),
filled the first time someone asks for a report, not on the ingest hot path. They are caches
of the log: a node that never ran a report must have the same state digest as one that did,
and a node upgraded from ``report_0001`` (whose inputs come from its placed rows) the same as
one that ingested afresh, or nodes holding the same records would never agree.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from reflow.store import schema as store_schema
from reflow.store.sqlstore import SERVICE_TABLES

ID = String(64)
QTY = String(80)

districts = Table(
    "report_districts",
    store_schema.metadata,
    Column("id", ID, primary_key=True),
    Column("name", Text, nullable=False),
    Column("geometry", Text, nullable=False),  # GeoJSON geometry (canonical JSON text)
    Column("min_long", QTY, nullable=False),
    Column("min_lat", QTY, nullable=False),
    Column("max_long", QTY, nullable=False),
    Column("max_lat", QTY, nullable=False),
    Column("record", ID, nullable=False),  # the territory.define record that defined it
)

territory = Table(
    "report_territory",
    store_schema.metadata,
    Column("key", String(16), primary_key=True),  # always "current"
    Column("record", ID, nullable=False),
    Column("name", Text, nullable=False),
    Column("h3_resolution", Integer, nullable=False),
    Column("district_count", Integer, nullable=False),
)

event_places = Table(
    "report_event_places",
    store_schema.metadata,
    Column("event_id", ID, primary_key=True),
    Column("record", ID, nullable=False),
    Column("action", String(32), nullable=False),
    Column("provider", String(64), nullable=False),
    Column("receiver", String(64), nullable=False),
    Column("at", String(20), nullable=False),  # UTC, YYYY-MM-DDTHH:MM:SSZ
    Column("month", String(7), nullable=False),  # YYYY-MM of ``at``: monthly reports stream
    Column("input_of", ID),
    Column("output_of", ID),
    Column("resource", ID),
    Column("spec", ID),
    Column("material", String(200), nullable=False),
    Column("is_waste", Integer, nullable=False),
    Column("is_reuse", Integer, nullable=False),  # handed over/consumed after a ``use``
    Column("is_repair", Integer, nullable=False),
    # flags the flow accounts group by (kept as columns so the GROUP BY follows an index)
    Column("has_input", Integer, nullable=False),  # input_of is set
    Column("is_local", Integer, nullable=False),  # origin_district is set
    Column("has_distance", Integer, nullable=False),  # distance_km is set
    Column("has_mass", Integer, nullable=False),  # mass_kg is set
    Column("quantity", QTY),
    Column("unit", String(64)),
    Column("mass_kg", QTY),  # NULL when the quantity cannot be converted to kg
    Column("mass_reason", Text),  # why mass_kg is NULL
    Column("lat", QTY),
    Column("long", QTY),
    Column("district", ID),  # where the event lands (destination of a move/transfer)
    Column("place_reason", String(40)),  # why district is NULL: no-place | outside-territory
    Column("from_lat", QTY),
    Column("from_long", QTY),
    Column("from_district", ID),  # where a transfer/move comes from
    Column("origin_lat", QTY),
    Column("origin_long", QTY),
    Column("origin_district", ID),  # where the resource was first raised/produced
    Column("distance_km", QTY),  # haversine from the from-place to the place
)
# Covering indexes in the order the reports GROUP BY, so SQLite streams the aggregation
# (no sort, no table lookups): see ``flows`` and ``participation``.
FLOW_KEYS = ("district", "material", "action", "from_district", "is_waste", "is_reuse",
             "is_repair", "has_input", "is_local", "has_distance", "has_mass", "unit")  # fmt: skip
FROM_KEYS = ("from_district", "material", "action", "district", "has_mass", "unit")
_c = event_places.c
# then ``month``: a monthly (or yearly) report groups by it too and still streams
Index(
    "ix_report_places_flows", *(_c[k] for k in FLOW_KEYS), _c.month, _c.at, _c.mass_kg,
    _c.distance_km,
)  # fmt: skip
Index("ix_report_places_from", *(_c[k] for k in FROM_KEYS), _c.month, _c.at, _c.mass_kg)
Index("ix_report_places_prov", _c.district, _c.provider, _c.action, _c.at)
Index("ix_report_places_recv", _c.district, _c.receiver, _c.action, _c.at)
Index(
    "ix_report_places_spec",
    _c.spec,
    _c.action,
    _c.at,
    _c.district,
    _c.has_input,
    _c.is_reuse,
    _c.mass_kg,
    _c.output_of,
)
Index("ix_report_places_inputs", _c.input_of, _c.action, _c.is_waste, _c.is_reuse, _c.mass_kg)

# What an event's row takes from the state when it is recorded (``places.record_inputs``):
# written in the ledger's commit.
event_inputs = Table(
    "report_event_inputs",
    store_schema.metadata,
    Column("event_id", ID, primary_key=True),
    Column("lat", QTY),
    Column("long", QTY),
    Column("from_lat", QTY),  # NULL for a transfer: the report takes the previous event's place
    Column("from_long", QTY),
    Column("spec", ID),
    Column("material", String(200), nullable=False),
    Column("is_waste", Integer, nullable=False),
    Column("mass_kg", QTY),
    Column("mass_reason", Text),
)

position = Table(
    "report_position",
    store_schema.metadata,
    Column("key", String(16), primary_key=True),  # always "current"
    Column("pos", BigInteger, nullable=False),  # the last ``records.pos`` placed
    # the territory the rows were located in (``territory.record``); "" none, "-" invalidated
    Column("territory", String(80), nullable=False),
)

for _t in (districts, territory, event_inputs, event_places, position):
    SERVICE_TABLES[_t.name] = _t
for _t in (districts, territory):
    if _t not in store_schema.PROJECTION_TABLES:
        store_schema.PROJECTION_TABLES.append(_t)
for _t in (event_inputs, event_places, position):
    if _t not in store_schema.DERIVED_TABLES:
        store_schema.DERIVED_TABLES.append(_t)
