"""An EconomicEvent as submitted: parsing and the field rules that need no state.

Field names follow VF 1.0 (camelCase, as in records, JSON-LD and GraphQL). Everything here is
checked before any state is read, so malformed input is refused with the field it concerns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reflow.errors import RuleViolation
from reflow.vf.actions import Action, get_action
from reflow.vf.measure import Measure

EVENT_FIELDS = frozenset(
    {
        "action", "provider", "receiver", "inputOf", "outputOf", "resourceInventoriedAs",
        "toResourceInventoriedAs", "resourceConformsTo", "resourceClassifiedAs",
        "resourceQuantity", "effortQuantity", "hasBeginning", "hasEnd", "hasPointInTime",
        "atLocation", "toLocation", "state", "note", "corrects", "realizationOf", "fulfills",
        "satisfies", "settles", "triggeredBy", "agreedIn", "inScopeOf", "image",
        "resourceMetadata", "exchangeOf",
    }
)  # fmt: skip

NEW_RESOURCE_FIELDS = frozenset(
    {
        "name", "note", "trackingIdentifier", "image", "lot", "currentLocation",
        "classifiedAs", "conformsTo", "stage", "state",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class EventInput:
    """A parsed, shape-checked event; what the rules judge."""

    action: Action
    provider: str
    receiver: str
    input_of: str | None
    output_of: str | None
    resource_inventoried_as: str | None
    to_resource_inventoried_as: str | None
    resource_conforms_to: str | None
    resource_classified_as: tuple[str, ...]
    resource_quantity: Measure | None
    effort_quantity: Measure | None
    to_location: str | None
    at_location: str | None
    state: str | None
    corrects: str | None
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class NewResource:
    """The ``newInventoriedResource`` that may come with a creating event."""

    name: str | None = None
    note: str | None = None
    tracking_identifier: str | None = None
    image: str | None = None
    lot: str | None = None
    current_location: str | None = None
    classified_as: tuple[str, ...] = ()


def _str(d: dict[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    v = d.get(key)
    if v is None:
        if required:
            raise RuleViolation(f"{key} is required", field=f"{where}.{key}", rule="required")
        return None
    if not isinstance(v, str) or not v.strip():
        raise RuleViolation(
            f"{key} must be a non-empty string", field=f"{where}.{key}", rule="type"
        )
    return v


def _required(d: dict[str, Any], key: str, where: str) -> str:
    v = _str(d, key, where, required=True)
    return v if v is not None else ""  # unreachable: _str raised for a missing value


def _str_list(d: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    v = d.get(key)
    if v is None:
        return ()
    if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
        raise RuleViolation(
            f"{key} must be a list of non-empty strings", field=f"{where}.{key}", rule="type"
        )
    return tuple(v)


def _time(d: dict[str, Any], key: str, where: str) -> str | None:
    v = _str(d, key, where)
    if v is not None:
        try:
            datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            raise RuleViolation(
                f"{key} must be an ISO 8601 date-time", field=f"{where}.{key}", rule="datetime"
            ) from None
    return v


def parse_event(body: Any, where: str = "event") -> EventInput:
    """Check the shape of an event; every refusal names the field and the rule."""
    if not isinstance(body, dict):
        raise RuleViolation("an event must be an object", field=where, rule="type")
    unknown = set(body) - EVENT_FIELDS
    if unknown:
        raise RuleViolation(
            f"unknown field(s) {sorted(unknown)}",
            field=f"{where}.{sorted(unknown)[0]}",
            rule="known-fields",
        )
    try:
        action = get_action(_required(body, "action", where))
    except RuleViolation as exc:  # get_action names "action"; here it is the event's field
        raise RuleViolation(exc.message, field=f"{where}.action", rule=exc.rule) from None
    provider = _required(body, "provider", where)
    receiver = _required(body, "receiver", where)
    begin = _time(body, "hasBeginning", where)
    end = _time(body, "hasEnd", where)
    point = _time(body, "hasPointInTime", where)
    if point is not None and (begin is not None or end is not None):
        raise RuleViolation(
            "give either hasPointInTime or hasBeginning/hasEnd, not both",
            field=f"{where}.hasPointInTime",
            rule="one-kind-of-time",
        )
    if begin and end and begin > end:
        raise RuleViolation(
            "hasEnd is before hasBeginning", field=f"{where}.hasEnd", rule="time-order"
        )
    rq = body.get("resourceQuantity")
    eq = body.get("effortQuantity")
    resource_quantity = Measure.from_vf(rq, f"{where}.resourceQuantity") if rq is not None else None
    effort_quantity = Measure.from_vf(eq, f"{where}.effortQuantity") if eq is not None else None
    for key in ("fulfills", "satisfies", "settles"):
        _str_list(body, key, where)
    ev = EventInput(
        action=action,
        provider=provider,
        receiver=receiver,
        input_of=_str(body, "inputOf", where),
        output_of=_str(body, "outputOf", where),
        resource_inventoried_as=_str(body, "resourceInventoriedAs", where),
        to_resource_inventoried_as=_str(body, "toResourceInventoriedAs", where),
        resource_conforms_to=_str(body, "resourceConformsTo", where),
        resource_classified_as=_str_list(body, "resourceClassifiedAs", where),
        resource_quantity=resource_quantity,
        effort_quantity=effort_quantity,
        to_location=_str(body, "toLocation", where),
        at_location=_str(body, "atLocation", where),
        state=_str(body, "state", where),
        corrects=_str(body, "corrects", where),
        body=body,
    )
    for key in ("note", "realizationOf", "triggeredBy", "agreedIn", "image"):
        _str(body, key, where)
    return ev


def parse_new_resource(body: Any, where: str = "newInventoriedResource") -> NewResource | None:
    if body is None:
        return None
    if not isinstance(body, dict):
        raise RuleViolation("newInventoriedResource must be an object", field=where, rule="type")
    unknown = set(body) - NEW_RESOURCE_FIELDS
    if unknown:
        raise RuleViolation(
            f"unknown field(s) {sorted(unknown)}",
            field=f"{where}.{sorted(unknown)[0]}",
            rule="known-fields",
        )
    return NewResource(
        name=_str(body, "name", where),
        note=_str(body, "note", where),
        tracking_identifier=_str(body, "trackingIdentifier", where),
        image=_str(body, "image", where),
        lot=_str(body, "lot", where),
        current_location=_str(body, "currentLocation", where),
        classified_as=_str_list(body, "classifiedAs", where),
    )
