"""Rows ⇄ the state objects the rules use. Decimals travel as exact text."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from reflow.ledger.changes import VfObject
from reflow.vf.state import Delta, EventState, ResourceState


def dec_text(value: Decimal | None) -> str | None:
    """Exact decimal text without exponent or trailing zeros ("1500", "2.5", "0")."""
    if value is None:
        return None
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def resource_row(r: ResourceState) -> dict[str, Any]:
    row = r.as_row()
    row["accounting_quantity"] = dec_text(r.accounting_quantity)
    row["onhand_quantity"] = dec_text(r.onhand_quantity)
    row["classified_as"] = dumps(list(r.classified_as))
    return row


def resource_from_row(row: Any) -> ResourceState:
    m = row._mapping
    return ResourceState(
        id=m["id"], conforms_to=m["conforms_to"], unit=m["unit"],
        accounting_quantity=Decimal(m["accounting_quantity"]),
        onhand_quantity=Decimal(m["onhand_quantity"]),
        primary_accountable=m["primary_accountable"], custodian=m["custodian"],
        current_location=m["current_location"], contained_in=m["contained_in"],
        stage=m["stage"], state=m["state"], previous_event=m["previous_event"], name=m["name"],
        note=m["note"], tracking_identifier=m["tracking_identifier"],
        classified_as=tuple(json.loads(m["classified_as"])), lot=m["lot"], image=m["image"],
        created_by=m["created_by"],
    )  # fmt: skip


def event_row(e: EventState) -> dict[str, Any]:
    b = e.body
    return {
        "id": e.id, "record": e.record, "action": e.action, "provider": e.provider,
        "receiver": e.receiver, "input_of": e.input_of, "output_of": e.output_of,
        "resource_inventoried_as": e.resource_inventoried_as,
        "to_resource_inventoried_as": e.to_resource_inventoried_as,
        "resource_conforms_to": b.get("resourceConformsTo"),
        "resource_quantity": dec_text(e.resource_quantity), "resource_unit": e.resource_unit,
        "effort_quantity": dec_text(e.effort_quantity), "effort_unit": e.effort_unit,
        "has_point_in_time": b.get("hasPointInTime"), "has_beginning": b.get("hasBeginning"),
        "has_end": b.get("hasEnd"), "at_location": b.get("atLocation"),
        "to_location": b.get("toLocation"), "previous_event": e.previous_event,
        "to_previous_event": e.to_previous_event, "corrects": e.corrects,
        "corrected_by": e.corrected_by, "author": e.author,
        "deltas": dumps([[d.resource, dec_text(d.accounting), dec_text(d.onhand)]
                         for d in e.deltas]),
        "body": dumps(b),
    }  # fmt: skip


def event_from_row(row: Any) -> EventState:
    m = row._mapping
    rq, eq = m["resource_quantity"], m["effort_quantity"]
    return EventState(
        id=m["id"], action=m["action"], provider=m["provider"], receiver=m["receiver"],
        input_of=m["input_of"], output_of=m["output_of"],
        resource_inventoried_as=m["resource_inventoried_as"],
        to_resource_inventoried_as=m["to_resource_inventoried_as"],
        resource_quantity=Decimal(rq) if rq is not None else None,
        resource_unit=m["resource_unit"],
        effort_quantity=Decimal(eq) if eq is not None else None, effort_unit=m["effort_unit"],
        previous_event=m["previous_event"], to_previous_event=m["to_previous_event"],
        corrects=m["corrects"], corrected_by=m["corrected_by"], author=m["author"],
        record=m["record"],
        deltas=tuple(Delta(r, Decimal(a), Decimal(o)) for r, a, o in json.loads(m["deltas"])),
        body=json.loads(m["body"]),
    )  # fmt: skip


def object_row(o: VfObject) -> dict[str, Any]:
    return {
        "id": o.id,
        "type": o.type,
        "author": o.author,
        "record": o.record,
        "created": o.created,
        "deleted": o.deleted,
        "data": dumps(o.data),
    }


def object_from_row(row: Any) -> VfObject:
    m = row._mapping
    return VfObject(
        m["type"],
        m["id"],
        json.loads(m["data"]),
        m["author"],
        m["record"],
        m["created"],
        bool(m["deleted"]),
    )
