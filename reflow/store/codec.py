"""Rows ⇄ the state objects the rules use. Decimals travel as exact text."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import orjson

from reflow.ledger.changes import Changes, VfObject
from reflow.ledger.records import Record
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
    """Compact JSON with sorted keys. Projections hold only what records carry (no floats), for
    which orjson writes the standard library's bytes, several times faster."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:  # a type orjson does not know, or nesting beyond its limit
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


RESOURCE_COLS = (
    "id", "conforms_to", "unit", "accounting_quantity", "onhand_quantity",
    "primary_accountable", "custodian", "current_location", "contained_in", "stage", "state",
    "previous_event", "name", "note", "tracking_identifier", "classified_as", "lot", "image",
    "created_by", "holder_event",
)  # fmt: skip


def resource_row(r: ResourceState) -> tuple[Any, ...]:
    """The row in ``RESOURCE_COLS`` order (a tuple: the ingest hot path writes many)."""
    return (
        r.id, r.conforms_to, r.unit, dec_text(r.accounting_quantity),
        dec_text(r.onhand_quantity), r.primary_accountable, r.custodian, r.current_location,
        r.contained_in, r.stage, r.state, r.previous_event, r.name, r.note,
        r.tracking_identifier, dumps(list(r.classified_as)) if r.classified_as else "[]",
        r.lot, r.image, r.created_by, r.holder_event,
    )  # fmt: skip


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
        created_by=m["created_by"], holder_event=m["holder_event"],
    )  # fmt: skip


EVENT_COLS = (
    "id", "record", "action", "provider", "receiver", "input_of", "output_of",
    "resource_inventoried_as", "to_resource_inventoried_as", "resource_conforms_to",
    "resource_quantity", "resource_unit", "effort_quantity", "effort_unit",
    "has_point_in_time", "has_beginning", "has_end", "at_location", "to_location",
    "previous_event", "to_previous_event", "corrects", "corrected_by", "author", "deltas",
    "body", "clock",
)  # fmt: skip


def event_row(e: EventState) -> tuple[Any, ...]:
    """The row in ``EVENT_COLS`` order."""
    b = e.body
    get = b.get
    return (
        e.id, e.record, e.action, e.provider, e.receiver, e.input_of, e.output_of,
        e.resource_inventoried_as, e.to_resource_inventoried_as, get("resourceConformsTo"),
        dec_text(e.resource_quantity), e.resource_unit, dec_text(e.effort_quantity),
        e.effort_unit, get("hasPointInTime"), get("hasBeginning"), get("hasEnd"),
        get("atLocation"), get("toLocation"), e.previous_event, e.to_previous_event,
        e.corrects, e.corrected_by, e.author,
        dumps([[d.resource, dec_text(d.accounting), dec_text(d.onhand)] for d in e.deltas]),
        dumps(b), e.clock,
    )  # fmt: skip


def event_rows(events: Iterable[EventState], positions: dict[str, int]) -> list[tuple[Any, ...]]:
    """The rows of ``events`` with each one's log position (``EVENT_COLS`` and ``pos``), or
    None for an event whose record is not in ``positions``."""
    return [(*event_row(e), positions.get(e.record or "")) for e in events]


def record_rows(applied: Sequence[tuple[Record, Changes]]) -> list[tuple[Any, ...]]:
    """The log's rows of the applied records (``RECORD_COLS``)."""
    return [
        (r.hash, r.network, r.author, r.seq, r.prev, r.kind, r.created, r.payload, r.sig,
         ch.clock)
        for r, ch in applied
    ]  # fmt: skip


RECORD_COLS = (
    "hash", "network", "author", "seq", "prev", "kind", "created", "payload", "sig", "clock",
)  # fmt: skip


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
        body=json.loads(m["body"]), clock=int(m["clock"]),
    )  # fmt: skip


OBJECT_COLS = ("id", "type", "author", "record", "created", "deleted", "data")


def object_row(o: VfObject) -> tuple[Any, ...]:
    return (o.id, o.type, o.author, o.record, o.created, o.deleted, dumps(o.data))


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
