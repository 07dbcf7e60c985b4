"""Browsing the market: open offers or requests, by what and near a point.

What the API's ``offers``/``requests`` lists call. The same indexes as matching serve it:
classification (a class and everything narrower), specification, and a latitude box around the
point before the exact distance.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, select

from reflow.errors import RuleViolation
from reflow.ledger.records import now
from reflow.market.matching import INTENT_COLUMNS, bounding_box, haversine_km, open_filter
from reflow.market.model import norm_time
from reflow.market.tables import intent_classes, intents, proposals
from reflow.market.taxonomy import load_taxonomy


def find(
    engine_or_store: Any,
    purpose: str,
    *,
    near: tuple[float, float, float] | None = None,
    classified: str | None = None,
    spec: str | None = None,
    at: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Open ``purpose`` (offer|request) intents; ``near`` = (lat, long, km); nearest first."""
    if purpose not in ("offer", "request"):
        raise RuleViolation("purpose is offer or request", field="purpose", rule="purpose")
    engine: Engine = getattr(engine_or_store, "engine", engine_or_store)
    when = norm_time(at or now()) or ""
    stmt = select(*INTENT_COLUMNS).join(proposals, proposals.c.id == intents.c.proposal)
    stmt = stmt.where(open_filter(when), intents.c.purpose == purpose)
    with engine.connect() as conn:
        if classified is not None:
            uris = load_taxonomy(engine, conn).descendants_or_self(classified)
            stmt = stmt.where(
                intents.c.id.in_(
                    select(intent_classes.c.intent).where(
                        intent_classes.c.uri.in_(uris), intent_classes.c.purpose == purpose
                    )
                )
            )
        if spec is not None:
            stmt = stmt.where(intents.c.spec == spec)
        if near is not None:
            lo_lat, hi_lat, lo_lon, hi_lon = bounding_box(*near)
            stmt = stmt.where(
                intents.c.lat.between(lo_lat, hi_lat), intents.c.long.between(lo_lon, hi_lon)
            )
        rows = conn.execute(stmt.order_by(intents.c.id)).all()
    out = []
    for r in rows:
        km = None
        if near is not None:
            km = haversine_km(near[0], near[1], r.lat, r.long)
            if km > near[2]:
                continue
        out.append(
            {
                "proposal": r.proposal, "intent": r.id, "agent": r.agent, "purpose": r.purpose,
                "action": r.action, "spec": r.spec, "classes": json.loads(r.classes),
                "available": r.available, "unit": r.unit, "location": r.location,
                "lat": r.lat, "long": r.long, "ends": r.ends,
                "distanceKm": None if km is None else round(km, 3),
            }
        )  # fmt: skip
    if near is not None:
        out.sort(key=lambda d: (d["distanceKm"], d["intent"]))
    return out[:limit]
