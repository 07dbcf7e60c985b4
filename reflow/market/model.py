"""The pieces of a proposal the market reasons about, shared by record kinds and matching.

Everything here is a pure function of VF objects (proposals, intents, places, specifications),
so the handler that writes a projection row and the matcher that reads it agree on what an
intent's quantity, place, time window and classes are.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from reflow.ledger.changes import VfObject
from reflow.store.codec import dec_text
from reflow.vf.measure import Measure

Lookup = Callable[[str], VfObject | None]


def norm_time(value: str | None) -> str | None:
    """UTC, fixed width, so that times compare as strings in SQL (naive times are UTC)."""
    if value is None:
        return None
    t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def is_work(data: dict[str, Any]) -> bool:
    return data.get("action") == "work"


def quantity_field(data: dict[str, Any]) -> str:
    """Skills are measured by effort (hours), resources by resource quantity."""
    return "effortQuantity" if is_work(data) else "resourceQuantity"


def measure(data: dict[str, Any], key: str) -> Measure | None:
    raw = data.get(key)
    return Measure.from_vf(raw, key) if raw is not None else None


def available(data: dict[str, Any]) -> Measure | None:
    """What is still on offer (or still needed): availableQuantity, else the whole quantity."""
    return measure(data, "availableQuantity") or measure(data, quantity_field(data))


def publisher(view_object: Lookup, proposal: VfObject) -> str:
    """Who stands behind a proposal: the provider of an offer, the receiver of a request."""
    side = "provider" if proposal.data.get("purpose") == "offer" else "receiver"
    for intent_id in proposal.data.get("publishes", []):
        intent = view_object(intent_id)
        if intent is not None and intent.data.get(side):
            return str(intent.data[side])
    return proposal.author


def location_of(
    view_object: Lookup, intent: dict[str, Any], proposal: dict[str, Any]
) -> tuple[str | None, float | None, float | None]:
    place_id = intent.get("atLocation") or proposal.get("eligibleLocation")
    if not place_id:
        return None, None, None
    place = view_object(place_id)
    if place is None or place.data.get("lat") is None or place.data.get("long") is None:
        return place_id, None, None
    return place_id, float(Decimal(place.data["lat"])), float(Decimal(place.data["long"]))


def match_classes(view_object: Lookup, intent: dict[str, Any], purpose: str) -> list[str]:
    """The URIs an intent matches on.

    An offer *is* what its intent and its specification are classified as. A request *asks for*
    what its intent names; its specification's classes count only when the specification is
    ``substitutable`` (any resource of those classes will do).
    """
    out = list(intent.get("resourceClassifiedAs") or [])
    spec_id = intent.get("resourceConformsTo")
    spec = view_object(spec_id) if spec_id else None
    if spec is not None and (purpose == "offer" or spec.data.get("substitutable")):
        out.extend(spec.data.get("resourceClassifiedAs") or [])
    return sorted(set(out))


def proposal_row(proposal: VfObject, agent: str, radius_km: str | None) -> dict[str, Any]:
    d = proposal.data
    return {
        "id": proposal.id,
        "agent": agent,
        "purpose": d["purpose"],
        "name": d.get("name"),
        "unit_based": bool(d.get("unitBased")),
        "begins": norm_time(d.get("hasBeginning")),
        "ends": norm_time(d.get("hasEnd")),
        "radius_km": radius_km,
        "location": d.get("eligibleLocation"),
        "proposed_to": json.dumps(sorted(d.get("proposedTo") or [])),
        "record": proposal.record,
        "created": proposal.created,
    }


def intent_rows(
    view_object: Lookup,
    intent: VfObject,
    proposal: VfObject,
    agent: str,
    role: str,
    *,
    withdrawn: bool = False,
) -> list[tuple[str, dict[str, Any]]]:
    """The ``market_intents`` row of an intent and, for primary intents, its class rows."""
    d, p = intent.data, proposal.data
    purpose = p["purpose"]
    avail = available(d)
    minimum = measure(d, "minimumQuantity")
    place, lat, long = location_of(view_object, d, p)
    classes = match_classes(view_object, d, purpose)
    if withdrawn:
        status = "withdrawn"
    elif avail is not None and avail.value <= 0:
        status = "taken"
    else:
        status = "open"
    row = {
        "id": intent.id,
        "proposal": proposal.id,
        "role": role,
        "purpose": purpose,
        "agent": agent,
        "action": d["action"],
        "provider": d.get("provider"),
        "receiver": d.get("receiver"),
        "spec": d.get("resourceConformsTo"),
        "classes": json.dumps(classes),
        "is_work": is_work(d),
        "available": dec_text(avail.value) if avail else None,
        "minimum": dec_text(minimum.value) if minimum else None,
        "unit": avail.unit if avail else None,
        "location": place,
        "lat": lat,
        "long": long,
        "begins": norm_time(d.get("hasBeginning") or p.get("hasBeginning")),
        "ends": norm_time(d.get("hasEnd") or p.get("hasEnd")),
        "proposed_to": json.dumps(sorted(p.get("proposedTo") or [])),
        "status": status,
    }
    out: list[tuple[str, dict[str, Any]]] = [("market_intents", row)]
    if role == "primary":
        out.extend(
            ("market_intent_classes",
             {"intent": intent.id, "uri": u, "purpose": purpose, "lat": lat, "long": long})
            for u in classes
        )  # fmt: skip
    return out
