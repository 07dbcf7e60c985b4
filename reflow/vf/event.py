"""An EconomicEvent as submitted: parsing and the field rules that need no state.

Field names follow VF 1.0 (camelCase, as in records, JSON-LD and GraphQL). Everything here is
checked before any state is read, so malformed input is refused with the field it concerns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Final, final

from reflow.errors import RuleViolation
from reflow.vf.actions import Action, get_action
from reflow.vf.fixed import Fixed
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


@final
class EventInput(Fixed):
    """A parsed, shape-checked event; what the rules judge."""

    def __init__(
        self,
        *,
        action: Action,
        provider: str,
        receiver: str,
        input_of: str | None,
        output_of: str | None,
        resource_inventoried_as: str | None,
        to_resource_inventoried_as: str | None,
        resource_conforms_to: str | None,
        resource_classified_as: tuple[str, ...],
        resource_quantity: Measure | None,
        effort_quantity: Measure | None,
        to_location: str | None,
        at_location: str | None,
        state: str | None,
        corrects: str | None,
        body: dict[str, Any],
    ) -> None:
        self.action: Final = action
        self.provider: Final = provider
        self.receiver: Final = receiver
        self.input_of: Final = input_of
        self.output_of: Final = output_of
        self.resource_inventoried_as: Final = resource_inventoried_as
        self.to_resource_inventoried_as: Final = to_resource_inventoried_as
        self.resource_conforms_to: Final = resource_conforms_to
        self.resource_classified_as: Final = resource_classified_as
        self.resource_quantity: Final = resource_quantity
        self.effort_quantity: Final = effort_quantity
        self.to_location: Final = to_location
        self.at_location: Final = at_location
        self.state: Final = state
        self.corrects: Final = corrects
        self.body: Final = body
        self._sealed = True

    def __repr__(self) -> str:
        return f"EventInput({self.action.id}, provider={self.provider!r}, body={self.body!r})"


@final
class NewResource(Fixed):
    """The ``newInventoriedResource`` that may come with a creating event."""

    def __init__(
        self,
        *,
        name: str | None = None,
        note: str | None = None,
        tracking_identifier: str | None = None,
        image: str | None = None,
        lot: str | None = None,
        current_location: str | None = None,
        classified_as: tuple[str, ...] = (),
    ) -> None:
        self.name: Final = name
        self.note: Final = note
        self.tracking_identifier: Final = tracking_identifier
        self.image: Final = image
        self.lot: Final = lot
        self.current_location: Final = current_location
        self.classified_as: Final = classified_as
        self._sealed = True

    def __repr__(self) -> str:
        return f"NewResource(name={self.name!r})"


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
        _check_time(v, key, where)
    return v


def _check_time(v: str, key: str, where: str) -> None:
    try:
        datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise RuleViolation(
            f"{key} must be an ISO 8601 date-time", field=f"{where}.{key}", rule="datetime"
        ) from None


# Event fields checked as one id or text, and those checked as a list of them.
_STRING_FIELDS = frozenset(
    {
        "action", "provider", "receiver", "inputOf", "outputOf", "resourceInventoriedAs",
        "toResourceInventoriedAs", "resourceConformsTo", "hasBeginning", "hasEnd",
        "hasPointInTime", "atLocation", "toLocation", "state", "note", "corrects",
        "realizationOf", "triggeredBy", "agreedIn", "image",
    }
)  # fmt: skip
_LIST_FIELDS = ("fulfills", "satisfies", "settles")
_TIME_FIELDS = ("hasBeginning", "hasEnd", "hasPointInTime")


def _required_from(get: Callable[[str], Any], key: str, where: str) -> str:
    v = get(key)
    if v is None:
        raise RuleViolation(f"{key} is required", field=f"{where}.{key}", rule="required")
    return v  # type: ignore[no-any-return]


def _time_from(get: Callable[[str], Any], key: str, where: str) -> str | None:
    v = get(key)
    if v is not None:
        _check_time(v, key, where)
    return v  # type: ignore[no-any-return]


def _strings_are_fine(body: dict[str, Any]) -> bool:
    """One pass over the fields: every string field holds non-empty text (the common case)."""
    for key, v in body.items():
        if v is not None and key in _STRING_FIELDS and (type(v) is not str or not v.strip()):
            return False
    return True


def parse_event(body: Any, where: str = "event") -> EventInput:
    """Check the shape of an event; every refusal names the field and the rule.

    Refusals come in a fixed order (unknown fields, action, provider, receiver, times,
    quantities, lists, the other references), so an event with several faults always gets the
    same first error. The string fields are checked in one pass first; only a body that fails
    it has each string field checked where it is read, to report the first fault in order.
    """
    if not isinstance(body, dict):
        raise RuleViolation("an event must be an object", field=where, rule="type")
    unknown = body.keys() - EVENT_FIELDS
    if unknown:
        raise RuleViolation(
            f"unknown field(s) {sorted(unknown)}",
            field=f"{where}.{sorted(unknown)[0]}",
            rule="known-fields",
        )
    get: Callable[[str], Any]
    if _strings_are_fine(body):
        get = body.get
    else:

        def checked(key: str) -> Any:
            return _str(body, key, where)

        get = checked

    action_id = get("action")
    if action_id is None:
        raise RuleViolation("action is required", field=f"{where}.action", rule="required")
    try:
        action = get_action(action_id)
    except RuleViolation as exc:  # get_action names "action"; here it is the event's field
        raise RuleViolation(exc.message, field=f"{where}.action", rule=exc.rule) from None
    provider, receiver = (_required_from(get, key, where) for key in ("provider", "receiver"))
    begin, end, point = (_time_from(get, key, where) for key in _TIME_FIELDS)
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
    for key in _LIST_FIELDS:
        if key in body:
            _str_list(body, key, where)
    ev = EventInput(
        action=action,
        provider=provider,
        receiver=receiver,
        input_of=get("inputOf"),
        output_of=get("outputOf"),
        resource_inventoried_as=get("resourceInventoriedAs"),
        to_resource_inventoried_as=get("toResourceInventoriedAs"),
        resource_conforms_to=get("resourceConformsTo"),
        resource_classified_as=_str_list(body, "resourceClassifiedAs", where),
        resource_quantity=resource_quantity,
        effort_quantity=effort_quantity,
        to_location=get("toLocation"),
        at_location=get("atLocation"),
        state=get("state"),
        corrects=get("corrects"),
        body=body,
    )
    for key in ("note", "realizationOf", "triggeredBy", "agreedIn", "image"):
        get(key)
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
