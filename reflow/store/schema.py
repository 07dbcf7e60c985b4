"""The tables: the log (the truth) and the projections computed from it.

Quantities are stored as exact decimal text, never as floating point: SQLite has no exact
numeric type, and a state digest must not depend on the backend. JSON documents are stored as
canonical text for the same reason. Services that own projections of their own add their tables
to ``metadata`` and name them in ``PROJECTION_TABLES`` so rebuild and digest include them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

ID = String(64)
QTY = String(80)  # exact decimal text

records = Table(
    "records",
    metadata,
    Column(
        "pos", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("hash", String(64), nullable=False, unique=True),
    Column("network", String(128), nullable=False),
    Column("author", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("prev", String(64)),
    Column("kind", String(64), nullable=False),
    Column("created", String(40), nullable=False),
    Column("payload", LargeBinary, nullable=False),  # canonical unsigned bytes
    Column("sig", String(100), nullable=False),
    # logical clock: 1 + the clocks of the author's previous record and of the deps
    Column("clock", BigInteger, nullable=False, server_default="0"),
    UniqueConstraint("author", "seq", name="uq_records_author_seq"),
)
Index("ix_records_kind", records.c.kind)

equivocations = Table(
    "equivocations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("author", String(64), nullable=False, index=True),
    Column("seq", BigInteger, nullable=False),
    Column("kept", String(64), nullable=False),
    Column("other", String(64), nullable=False),
    Column("record", Text, nullable=False),  # the other record, as JSON, as evidence
    Column("detected", String(40), nullable=False),
    UniqueConstraint("author", "seq", "other", name="uq_equivocation"),
)

resources = Table(
    "economic_resources",
    metadata,
    Column("id", ID, primary_key=True),
    Column("conforms_to", ID, index=True),
    Column("unit", String(64)),
    Column("accounting_quantity", QTY, nullable=False),
    Column("onhand_quantity", QTY, nullable=False),
    Column("primary_accountable", String(64), index=True),
    Column("custodian", String(64), index=True),
    Column("current_location", ID, index=True),
    Column("contained_in", ID, index=True),
    Column("stage", ID),
    Column("state", String(200)),
    Column("previous_event", ID),
    Column("name", Text),
    Column("note", Text),
    Column("tracking_identifier", String(200), index=True),
    Column("classified_as", Text, nullable=False),  # JSON list
    Column("lot", ID),
    Column("image", Text),
    Column("created_by", ID),
    Column("holder_event", ID),  # the event that gave it its present holders
)

events = Table(
    "economic_events",
    metadata,
    Column("id", ID, primary_key=True),
    Column("record", String(64), nullable=False),
    Column("action", String(32), nullable=False, index=True),
    Column("provider", String(64), nullable=False, index=True),
    Column("receiver", String(64), nullable=False, index=True),
    Column("input_of", ID, index=True),
    Column("output_of", ID, index=True),
    Column("resource_inventoried_as", ID, index=True),
    Column("to_resource_inventoried_as", ID, index=True),
    Column("resource_conforms_to", ID, index=True),
    Column("resource_quantity", QTY),
    Column("resource_unit", String(64)),
    Column("effort_quantity", QTY),
    Column("effort_unit", String(64)),
    Column("has_point_in_time", String(40)),
    Column("has_beginning", String(40)),
    Column("has_end", String(40)),
    Column("at_location", ID),
    Column("to_location", ID),
    Column("previous_event", ID),
    Column("to_previous_event", ID),
    Column("corrects", ID),
    Column("corrected_by", ID),
    Column("author", String(64), nullable=False),
    Column("deltas", Text, nullable=False),  # JSON [[resource, accounting, onhand], ...]
    Column("body", Text, nullable=False),  # the event as recorded (JSON)
    Column("clock", BigInteger, nullable=False, server_default="0"),  # its record's clock
    # the log position of its record on this node (arrival order, so not in the state digest):
    # catch-ups read "the events of the records after p" by it, an index that only grows at its
    # end, where one on ``record`` took a random page for every ingested event
    Column("pos", BigInteger, index=True),
)

vf_objects = Table(
    "vf_objects",
    metadata,
    Column("id", ID, primary_key=True),
    Column("type", String(40), nullable=False, index=True),
    Column("author", String(64), nullable=False, index=True),
    Column("record", String(64), nullable=False),
    Column("created", String(40), nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("data", Text, nullable=False),  # JSON
)

# Small facts about the store itself, one row each. ``projection_generation`` counts how often
# rebuild rewrote the projections: their rows can change while the log does not grow, so a
# cache of projection rows (the trace index) compares it as well as the log's last position.
store_meta = Table(
    "store_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)
PROJECTION_GENERATION = "projection_generation"

# Projections: dropped and recomputed by rebuild, hashed by the state digest (in this order).
PROJECTION_TABLES: list[Table] = [resources, events, vf_objects]
# Columns of projections that hold where this node keeps a row, not the state: not hashed.
NODE_LOCAL_COLUMNS: frozenset[tuple[str, str]] = frozenset({("economic_events", "pos")})
# Caches a service derives from the log (some lazily, e.g. on the first report): cleared by
# rebuild (whose replay refills what projectors write), NOT hashed by the state digest, because
# a node that has not computed them yet holds the same state as one that has.
DERIVED_TABLES: list[Table] = []
