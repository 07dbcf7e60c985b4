"""Projection rows as the dictionaries GraphQL resolves fields from (VF camelCase).

Every object the API returns is a plain dict with ``__typename`` and the VF field names;
references stay ids here and are loaded (in batches) only if the query asks for them.
"""

from __future__ import annotations

import json
from typing import Any

from reflow.errors import ReflowError
from reflow.vf.actions import ACTIONS, Action
from reflow.vf.units import UNITS, Unit, get_unit


def measure(value: Any, unit: str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"hasNumericalValue": value, "hasUnit": unit}


def resource_node(row: Any) -> dict[str, Any]:
    m = row._mapping
    unit = m["unit"]
    return {
        "__typename": "EconomicResource",
        "id": m["id"],
        "name": m["name"],
        "note": m["note"],
        "image": m["image"],
        "classifiedAs": json.loads(m["classified_as"]),
        "conformsTo": m["conforms_to"],
        "trackingIdentifier": m["tracking_identifier"],
        "lot": m["lot"],
        "accountingQuantity": measure(m["accounting_quantity"], unit),
        "onhandQuantity": measure(m["onhand_quantity"], unit),
        "stage": m["stage"],
        "state": m["state"],
        "containedIn": m["contained_in"],
        "primaryAccountable": m["primary_accountable"],
        "custodian": m["custodian"],
        "currentLocation": m["current_location"],
        "createdBy": m["created_by"],
        "previous": m["previous_event"],
    }


_EVENT_BODY_FIELDS = (
    "resourceClassifiedAs", "note", "image", "state", "inScopeOf", "agreedIn", "realizationOf",
    "triggeredBy", "fulfills", "satisfies", "settles",
)  # fmt: skip


def event_node(row: Any) -> dict[str, Any]:
    m = row._mapping
    body = json.loads(m["body"])
    node = {
        "__typename": "EconomicEvent",
        "id": m["id"],
        "record": m["record"],
        "action": m["action"],
        "provider": m["provider"],
        "receiver": m["receiver"],
        "inputOf": m["input_of"],
        "outputOf": m["output_of"],
        "resourceInventoriedAs": m["resource_inventoried_as"],
        "toResourceInventoriedAs": m["to_resource_inventoried_as"],
        "resourceConformsTo": m["resource_conforms_to"],
        "resourceQuantity": measure(m["resource_quantity"], m["resource_unit"]),
        "effortQuantity": measure(m["effort_quantity"], m["effort_unit"]),
        "hasPointInTime": m["has_point_in_time"],
        "hasBeginning": m["has_beginning"],
        "hasEnd": m["has_end"],
        "atLocation": m["at_location"],
        "toLocation": m["to_location"],
        "corrects": m["corrects"],
        "correctedBy": m["corrected_by"],
        "previous": m["previous_event"],
        "toPrevious": m["to_previous_event"],
        "author": m["author"],
    }
    for key in _EVENT_BODY_FIELDS:
        node[key] = body.get(key)
    return node


def object_node(row: Any) -> dict[str, Any]:
    m = row._mapping
    data = json.loads(m["data"])
    return {
        **data,
        "__typename": m["type"],
        "id": m["id"],
        "_author": m["author"],
        "_created": m["created"],
        "_deleted": bool(m["deleted"]),
    }


def unit_node(ref: str | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    try:
        unit: Unit = get_unit(ref)
    except ReflowError:
        return {"id": ref, "label": ref, "symbol": ref, "classifiedAs": []}
    return {
        "id": unit.id,
        "label": unit.label,
        "symbol": unit.symbol,
        "classifiedAs": [unit.dimension],
    }


def all_units() -> list[dict[str, Any]]:
    return [n for n in (unit_node(u) for u in sorted(UNITS)) if n is not None]


def action_node(action: Action) -> dict[str, Any]:
    return {
        "id": action.id,
        "label": action.label,
        "resourceEffect": action.accounting_effect or "notApplicable",
        "onhandEffect": action.onhand_effect or "notApplicable",
        "inputOutput": action.input_output,
        "pairsWith": action.pairs_with,
        "createResource": action.create_resource,
        "eventQuantity": action.event_quantity,
        "locationEffect": action.location_effect,
        "containedEffect": action.contained_effect,
        "accountableEffect": action.accountable_effect,
        "stageEffect": action.stage_effect,
        "stateEffect": action.state_effect,
    }


def all_actions() -> list[dict[str, Any]]:
    return [action_node(a) for a in ACTIONS.values()]
