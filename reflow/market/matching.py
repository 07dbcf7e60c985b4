"""Matching: for a request the offers that can satisfy it, for an offer the requests it meets.

A candidate must pass every rule — the same kind of thing (a specification, or a classification
that is the same as or narrower than what the request asks for, see ``taxonomy``), the same kind
of flow (a skill answers a skill), enough quantity (what is available reaches the other side's
minimum), overlapping time windows, and a distance within the request's radius — and never be
expired, fully taken, withdrawn, private to others or the asker's own. Candidates come from
indexes (specification, classification URI, latitude box), never from a scan; the exact checks
then run on the few rows left. Each match carries its score and the reasons, one per rule.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, and_, or_, select

from reflow.errors import NotFound, UnitError
from reflow.ledger.records import now
from reflow.market.model import norm_time
from reflow.market.tables import intent_classes, intents, proposals
from reflow.market.taxonomy import Taxonomy, load_taxonomy
from reflow.store.codec import dec_text
from reflow.vf.units import convert, get_unit

EARTH_KM = 6371.0088
WEIGHTS = {"what": 0.5, "quantity": 0.3, "distance": 0.2}


@dataclass(frozen=True, slots=True)
class Match:
    """One proposal that matches the one asked about, with why."""

    proposal: str
    intent: str
    agent: str
    purpose: str
    score: float
    available: str | None
    unit: str | None
    distance_km: float | None
    reasons: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "proposal": self.proposal,
            "intent": self.intent,
            "agent": self.agent,
            "purpose": self.purpose,
            "score": round(self.score, 4),
            "available": self.available,
            "unit": self.unit,
            "distanceKm": None if self.distance_km is None else round(self.distance_km, 3),
            "reasons": self.reasons,
        }


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lon: float, km: float) -> tuple[float, float, float, float]:
    """A lat/long box that contains the circle (a cheap index range before haversine)."""
    dlat = math.degrees(km / EARTH_KM)
    dlon = math.degrees(km / (EARTH_KM * max(math.cos(math.radians(lat)), 1e-6)))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


INTENT_COLUMNS = [*intents.c, proposals.c.radius_km]


def open_filter(at: str) -> Any:
    """Open primary intents of proposals not yet ended (a withdrawal marks them withdrawn)."""
    return and_(
        intents.c.status == "open",
        intents.c.role == "primary",
        or_(intents.c.ends.is_(None), intents.c.ends >= at),
    )


def _primaries(conn: Connection, proposal_id: str) -> list[Any]:
    rows = list(
        conn.execute(
            select(*INTENT_COLUMNS)
            .join(proposals, proposals.c.id == intents.c.proposal)
            .where(intents.c.proposal == proposal_id, intents.c.role == "primary")
        ).all()
    )
    if not rows:
        raise NotFound(f"no proposal {proposal_id!r}", field="proposal")
    return rows


def _candidates(conn: Connection, me: Any, tax: Taxonomy, at: str) -> list[Any]:
    """Two index-driven queries — by specification, by classification — merged by id.

    Each is kept simple on purpose so that the planner takes its index (spec, purpose, status,
    lat) or (uri, purpose, lat) and never scans the intents.
    """
    other = "offer" if me.purpose == "request" else "request"
    related: set[str] = set()
    for uri in json.loads(me.classes):
        related.update(
            tax.descendants_or_self(uri) if me.purpose == "request" else tax.ancestors_or_self(uri)
        )
    box = None
    if me.purpose == "request" and me.radius_km and me.lat is not None:
        box = bounding_box(me.lat, me.long, float(me.radius_km))
    rest = (open_filter(at), intents.c.is_work == me.is_work, intents.c.agent != me.agent)
    base = select(*INTENT_COLUMNS).join(proposals, proposals.c.id == intents.c.proposal)
    stmts = []
    if me.spec:
        by_spec = base.where(
            intents.c.spec == me.spec, intents.c.purpose == other, intents.c.status == "open"
        )
        if box is not None:
            by_spec = by_spec.where(
                intents.c.lat.between(box[0], box[1]), intents.c.long.between(box[2], box[3])
            )
        stmts.append(by_spec.where(*rest))
    if related:
        by_class = (
            select(*INTENT_COLUMNS)
            .select_from(intent_classes)
            .join(intents, intents.c.id == intent_classes.c.intent)
            .join(proposals, proposals.c.id == intents.c.proposal)
            .where(intent_classes.c.uri.in_(sorted(related)), intent_classes.c.purpose == other)
        )
        if box is not None:
            by_class = by_class.where(
                intent_classes.c.lat.between(box[0], box[1]),
                intent_classes.c.long.between(box[2], box[3]),
            )
        stmts.append(by_class.where(*rest))
    found: dict[str, Any] = {}
    for stmt in stmts:
        for row in conn.execute(stmt):
            found.setdefault(row.id, row)
    return list(found.values())


def _what(me: Any, cand: Any, tax: Taxonomy) -> tuple[float, str] | None:
    req, off = (me, cand) if me.purpose == "request" else (cand, me)
    if req.spec and req.spec == off.spec:
        return 1.0, f"same specification {req.spec}"
    best: tuple[float, str] | None = None
    for asked in json.loads(req.classes):
        for given in json.loads(off.classes):
            steps = tax.steps_down(given, asked)
            if steps is None:
                continue
            score = 0.9 if steps == 0 else max(0.5, 0.85 - 0.05 * (steps - 1))
            text = (
                f"classified as {tax.label(given)}"
                if steps == 0
                else f"{tax.label(given)} is a kind of {tax.label(asked)}"
            )
            if best is None or score > best[0]:
                best = (score, text)
    return best


def _in(value: str | None, unit: str | None, to: str | None) -> Decimal | None:
    if value is None or unit is None or to is None:
        return None
    try:
        return convert(Decimal(value), unit, to)
    except UnitError:
        return None


def _symbol(unit: str) -> str:
    try:
        return get_unit(unit).symbol or unit
    except UnitError:
        return unit


def _quantity(me: Any, cand: Any) -> tuple[float, str] | None:
    req, off = (me, cand) if me.purpose == "request" else (cand, me)
    if off.available is None or req.available is None:
        return None
    offered = _in(off.available, off.unit, req.unit)
    if offered is None:
        return None  # different dimensions: kilograms never meet hours
    asked = Decimal(req.available)
    req_min = _in(req.minimum, req.unit, req.unit) or Decimal(0)
    off_min = _in(off.minimum, off.unit, req.unit) or Decimal(0)
    if offered <= 0 or offered < req_min or off_min > asked:
        return None
    cover = min(Decimal(1), offered / asked) if asked > 0 else Decimal(1)
    kind = "skill hours" if me.is_work else "quantity"
    sym = _symbol(req.unit)
    text = (
        f"{kind}: {dec_text(offered)} {sym} available for {dec_text(asked)} {sym} asked "
        f"({int(cover * 100)}% covered)"
    )
    return float(cover), text


def _overlap(a: Any, b: Any) -> bool:
    return (a.begins is None or b.ends is None or a.begins <= b.ends) and (
        b.begins is None or a.ends is None or b.begins <= a.ends
    )


def _distance(me: Any, cand: Any) -> tuple[float, str, float | None] | None:
    req, off = (me, cand) if me.purpose == "request" else (cand, me)
    have = req.lat is not None and off.lat is not None
    km = haversine_km(req.lat, req.long, off.lat, off.long) if have else None
    if req.radius_km:
        radius = float(req.radius_km)
        if km is None or km > radius:
            return None
        return 1 - km / radius, f"{km:.1f} km away, within {req.radius_km} km", km
    if km is None:
        return 0.5, "no distance limit asked", None
    return 1 / (1 + km / 10), f"{km:.1f} km away (no limit asked)", km


def _private_ok(me: Any, cand: Any) -> bool:
    theirs, mine = json.loads(cand.proposed_to), json.loads(me.proposed_to)
    return (not theirs or me.agent in theirs) and (not mine or cand.agent in mine)


def matches(
    engine_or_store: Any,
    proposal_id: str,
    *,
    at: str | None = None,
    limit: int = 20,
    taxonomy: Taxonomy | None = None,
) -> list[Match]:
    """The ranked matches of a proposal (empty if it is withdrawn, expired or fully taken)."""
    engine: Engine = getattr(engine_or_store, "engine", engine_or_store)
    when = norm_time(at or now()) or ""
    found: dict[str, Match] = {}
    with engine.connect() as conn:  # one connection, a handful of round trips
        tax = taxonomy or load_taxonomy(engine, conn)
        for me in _primaries(conn, proposal_id):
            if me.status != "open" or (me.ends is not None and me.ends < when):
                continue  # withdrawn, fully taken or expired: it matches nothing
            for cand in _candidates(conn, me, tax, when):
                m = _judge(me, cand, tax)
                if m is None:
                    continue
                if cand.proposal not in found or m.score > found[cand.proposal].score:
                    found[cand.proposal] = m
    return sorted(found.values(), key=lambda m: (-m.score, m.proposal))[:limit]


def _judge(me: Any, cand: Any, tax: Taxonomy) -> Match | None:
    if not _private_ok(me, cand) or not _overlap(me, cand):
        return None
    what, qty, dist = _what(me, cand, tax), _quantity(me, cand), _distance(me, cand)
    if what is None or qty is None or dist is None:
        return None
    score = WEIGHTS["what"] * what[0] + WEIGHTS["quantity"] * qty[0] + WEIGHTS["distance"] * dist[0]
    reasons = {
        "what": what[1],
        "quantity": qty[1],
        "distance": dist[1],
        "time": "time windows overlap",
    }
    return Match(
        cand.proposal, cand.id, cand.agent, cand.purpose, score,
        cand.available, cand.unit, dist[2], reasons,
    )  # fmt: skip


def matches_for(engine_or_store: Any, proposal_id: str, **kwargs: Any) -> list[Match]:
    """Standing matches of a proposal: what matches it now (same rules as ``matches``)."""
    return matches(engine_or_store, proposal_id, **kwargs)


def open_proposals(
    engine_or_store: Any, agent: str, *, at: str | None = None
) -> list[dict[str, Any]]:
    """An agent's proposals still on the market (``Agent.proposals``)."""
    return open_proposals_of(engine_or_store, [agent], at=at).get(agent, [])


def open_proposals_of(
    engine_or_store: Any, agents: list[str], *, at: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The open proposals of each of ``agents``, in one query (a list of agents' proposals)."""
    engine: Engine = getattr(engine_or_store, "engine", engine_or_store)
    when = norm_time(at or now()) or ""
    stmt = (
        select(proposals)
        .where(
            proposals.c.agent.in_(agents),
            proposals.c.id.in_(select(intents.c.proposal).where(open_filter(when))),
        )
        .order_by(proposals.c.created, proposals.c.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r.agent, []).append(
            {**dict(r._mapping), "proposed_to": json.loads(r.proposed_to)}
        )
    return out
