"""The market's projection tables, computed from ``market.*`` records (and fulfilling events).

Matching must not scan: the columns a match query filters on are indexed — the specification,
each classification (one row per intent and URI, so a subtree of a taxonomy is an ``IN`` over
an index) and the latitude, so a radius becomes a bounding box on an index before the exact
haversine distance is computed on the few candidates left. Quantities stay exact decimal text;
times are normalised to UTC text of fixed width so that they compare as strings.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Index, String, Table, Text

from reflow.store import schema, sqlstore
from reflow.store.schema import ID, QTY, metadata

proposals = Table(
    "market_proposals",
    metadata,
    Column("id", ID, primary_key=True),
    Column("agent", String(64), nullable=False, index=True),  # the publisher
    Column("purpose", String(16), nullable=False),
    Column("name", Text),
    Column("unit_based", Boolean, nullable=False),
    Column("begins", String(40)),
    Column("ends", String(40)),
    Column("radius_km", QTY),
    Column("location", ID),
    Column("proposed_to", Text, nullable=False),  # JSON list of agent ids
    Column("record", String(64), nullable=False),
    Column("created", String(40), nullable=False),
)

intents = Table(
    "market_intents",
    metadata,
    Column("id", ID, primary_key=True),
    Column("proposal", ID, nullable=False, index=True),
    Column("role", String(16), nullable=False),  # primary | reciprocal
    Column("purpose", String(16), nullable=False),
    Column("agent", String(64), nullable=False),  # the proposal's publisher
    Column("action", String(32), nullable=False),
    Column("provider", String(64)),
    Column("receiver", String(64)),
    Column("spec", ID),
    Column("classes", Text, nullable=False),  # JSON list of the URIs it matches on
    Column("is_work", Boolean, nullable=False),
    Column("available", QTY),
    Column("minimum", QTY),
    Column("unit", String(64)),
    Column("location", ID),
    Column("lat", Float),
    Column("long", Float),
    Column("begins", String(40)),
    Column("ends", String(40)),
    Column("proposed_to", Text, nullable=False),
    Column("status", String(16), nullable=False),  # open | taken | withdrawn
)
Index("ix_market_intents_spec", intents.c.spec, intents.c.purpose, intents.c.status, intents.c.lat)

intent_classes = Table(
    "market_intent_classes",
    metadata,
    Column("intent", ID, primary_key=True),
    Column("uri", String(300), primary_key=True),
    Column("purpose", String(16), nullable=False),
    Column("lat", Float),
    Column("long", Float),
)
Index(
    "ix_market_intent_classes_uri",
    intent_classes.c.uri,
    intent_classes.c.purpose,
    intent_classes.c.lat,
)

# A proposal's publication never changes; its withdrawal is a fact of its own.
withdrawals = Table(
    "market_withdrawals",
    metadata,
    Column("proposal", ID, primary_key=True),
    Column("record", String(64), nullable=False),
    Column("created", String(40), nullable=False),
)

agreements = Table(
    "market_agreements",
    metadata,
    Column("id", ID, primary_key=True),
    Column("proposal", ID, nullable=False, index=True),  # the proposal accepted
    Column("own", ID),  # the acceptor's own matching proposal, if any
    Column("accepted_by", String(64), nullable=False, index=True),
    Column("record", String(64), nullable=False),
    Column("created", String(40), nullable=False),
)

commitments = Table(
    "market_commitments",
    metadata,
    Column("id", ID, primary_key=True),
    Column("agreement", ID, nullable=False, index=True),
    Column("reciprocal", Boolean, nullable=False),
    Column("action", String(32), nullable=False),
    Column("provider", String(64), nullable=False),
    Column("receiver", String(64), nullable=False),
    Column("spec", ID),
    Column("quantity", QTY, nullable=False),
    Column("unit", String(64), nullable=False),
    Column("satisfies", Text, nullable=False),  # JSON list of intent ids
)

fulfilments = Table(
    "market_fulfilments",
    metadata,
    Column("event", ID, primary_key=True),
    Column("commitment", ID, primary_key=True),
    Column("quantity", QTY, nullable=False),  # in the commitment's unit
    Column("unit", String(64), nullable=False),
)
Index("ix_market_fulfilments_commitment", fulfilments.c.commitment)

# An acceptance offer (``market.accept``, the acceptor's chain) and the publisher's verdict on it
# (``market.confirm`` / ``market.decline``, the publisher's chain). The row is inserted by the
# first and updated only by the second, which lists the first in its deps: one writer per field.
acceptances = Table(
    "market_acceptances",
    metadata,
    Column("id", ID, primary_key=True),
    Column("proposal", ID, nullable=False, index=True),  # the proposal accepted
    Column("own", ID),  # the acceptor's own answering proposal, if any (its quantity reserved)
    Column("acceptor", String(64), nullable=False, index=True),
    Column("publisher", String(64), nullable=False, index=True),
    Column("quantity", QTY, nullable=False),  # in the unit of the accepted intent
    Column("unit", String(64), nullable=False),
    Column("own_quantity", QTY),  # what was reserved of the own intent, in its unit
    Column("note", Text),
    Column("status", String(16), nullable=False),  # pending | confirmed | declined
    Column("record", String(64), nullable=False),  # the market.accept record
    Column("decided", String(64)),  # the market.confirm / market.decline record
    Column("agreement", ID),
    Column("reason", Text),
    Column("created", String(40), nullable=False),
)

# The acceptor gives its own intent's reserved quantity back (``market.release``) once the
# acceptance was declined or the proposal withdrawn: a fact of the acceptor's chain, kept apart
# from the row the publisher's chain writes.
releases = Table(
    "market_releases",
    metadata,
    Column("acceptance", ID, primary_key=True),
    Column("record", String(64), nullable=False),
    Column("created", String(40), nullable=False),
)

concepts = Table(
    "market_concepts",
    metadata,
    Column("uri", String(300), primary_key=True),
    Column("broader", String(300), index=True),
    Column("label", Text),
    Column("scheme", String(300)),
)

TABLES = (
    proposals, intents, intent_classes, withdrawals, agreements, commitments, fulfilments,
    concepts, acceptances, releases,
)  # fmt: skip

for _t in TABLES:
    if _t.name not in sqlstore.SERVICE_TABLES:
        sqlstore.SERVICE_TABLES[_t.name] = _t
        schema.PROJECTION_TABLES.append(_t)
