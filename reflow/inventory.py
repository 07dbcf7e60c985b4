"""The inventory as people read it: agents, resources with their holders and history, the log.

Reads only. It joins the projections into plain dicts with VF field names (camelCase), so the
command line, and later the API and web pages, show the same thing the same way. Decimals are
written as exact text, never floats.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from reflow.errors import NotFound
from reflow.node import Node
from reflow.store.codec import dec_text
from reflow.store.queries import all_resources, record_positions, select_records
from reflow.store.sqlstore import SqlStore
from reflow.vf.state import EventState, ResourceState
from reflow.vf.types import AGENT_TYPES


def measure(value: Decimal | None, unit: str | None) -> dict[str, str] | None:
    """A VF measure dict, or None when there is no quantity."""
    if value is None:
        return None
    return {"hasNumericalValue": dec_text(value) or "0", "hasUnit": unit or "om2:one"}


def name_of(store: SqlStore, object_id: str | None) -> str | None:
    """The ``name`` of any VF object (agent, place, specification…), if it has one."""
    if object_id is None:
        return None
    obj = store.object(object_id)
    if obj is None:
        return None
    name = obj.data.get("name") or obj.data.get("batchLotCode")
    return name if isinstance(name, str) else None


def ref(store: SqlStore, object_id: str | None) -> dict[str, Any] | None:
    """``{"id", "name"}`` so a reader sees who or what an id is without a second look-up."""
    if object_id is None:
        return None
    return {"id": object_id, "name": name_of(store, object_id)}


# -- agents ------------------------------------------------------------------------------------


def list_agents(node: Node) -> list[dict[str, Any]]:
    """Every declared agent, with whether this node keeps its key (and so can act for it)."""
    out = []
    for type_name in sorted(AGENT_TYPES):
        for obj in node.store.objects_of_type(type_name):
            local = node.keystore.has(obj.id)
            out.append(
                {
                    "id": obj.id,
                    "type": obj.type,
                    "name": obj.data.get("name"),
                    "note": obj.data.get("note"),
                    "created": obj.created,
                    "localKey": local,
                    "sealed": local and node.keystore.is_sealed(obj.id),
                }
            )
    return sorted(out, key=lambda a: (a["created"], a["id"]))


# -- resources ---------------------------------------------------------------------------------


def resource_summary(store: SqlStore, r: ResourceState) -> dict[str, Any]:
    """The fields of a resource a list shows."""
    return {
        "id": r.id,
        "name": r.name,
        "trackingIdentifier": r.tracking_identifier,
        "conformsTo": ref(store, r.conforms_to),
        "accountingQuantity": measure(r.accounting_quantity, r.unit),
        "onhandQuantity": measure(r.onhand_quantity, r.unit),
        "primaryAccountable": ref(store, r.primary_accountable),
        "custodian": ref(store, r.custodian),
        "currentLocation": ref(store, r.current_location),
        "containedIn": r.contained_in,
        "stage": ref(store, r.stage),
        "state": r.state,
    }


def list_resources(store: SqlStore, holder: str | None = None) -> list[dict[str, Any]]:
    """Every resource (or those ``holder`` is accountable for or keeps), in id order."""
    return [
        resource_summary(store, r)
        for r in all_resources(store)
        if holder is None or holder in (r.primary_accountable, r.custodian)
    ]


def _place(store: SqlStore, place_id: str | None) -> dict[str, Any] | None:
    if place_id is None:
        return None
    obj = store.object(place_id)
    data = obj.data if obj is not None else {}
    out: dict[str, Any] = {"id": place_id, "name": data.get("name")}
    for key in ("lat", "long", "mappableAddress"):
        if key in data:
            out[key] = data[key]
    return out


def event_summary(
    store: SqlStore, e: EventState, pos: int | None, created: str | None
) -> dict[str, Any]:
    """One event of a resource's history: what happened, between whom, how much."""
    return {
        "id": e.id,
        "action": e.action,
        "provider": ref(store, e.provider),
        "receiver": ref(store, e.receiver),
        "resourceInventoriedAs": e.resource_inventoried_as,
        "toResourceInventoriedAs": e.to_resource_inventoried_as,
        "resourceQuantity": measure(e.resource_quantity, e.resource_unit),
        "effortQuantity": measure(e.effort_quantity, e.effort_unit),
        "inputOf": ref(store, e.input_of),
        "outputOf": ref(store, e.output_of),
        "toLocation": e.body.get("toLocation"),
        "state": e.body.get("state"),
        "note": e.body.get("note"),
        "corrects": e.corrects,
        "correctedBy": e.corrected_by,
        "record": e.record,
        "logPosition": pos,
        "created": created,
    }


def history(store: SqlStore, resource_id: str) -> list[dict[str, Any]]:
    """The events that acted on a resource (either side), in the order this node logged them."""
    evs = store.events_of_resource(resource_id)
    where = record_positions(store, (e.record for e in evs if e.record))
    rows = []
    for e in evs:
        pos, created = where.get(e.record or "", (None, None))
        rows.append(event_summary(store, e, pos, created))
    return sorted(rows, key=lambda r: (r["logPosition"] or 0, r["id"]))


def resource_detail(store: SqlStore, resource_id: str) -> dict[str, Any]:
    """Everything known about one resource, with its contents and its event history."""
    r = store.resource(resource_id)
    if r is None:
        raise NotFound(f"no economic resource {resource_id!r}", field="id")
    out = resource_summary(store, r)
    out.update(
        {
            "note": r.note,
            "classifiedAs": list(r.classified_as),
            "lot": r.lot,
            "image": r.image,
            "unit": r.unit,
            "currentLocation": _place(store, r.current_location),
            "containedIn": None
            if r.contained_in is None
            else {"id": r.contained_in, "name": _resource_name(store, r.contained_in)},
            "contains": [
                {
                    "id": c.id,
                    "name": c.name,
                    "accountingQuantity": measure(c.accounting_quantity, c.unit),
                }
                for c in store.contents(r.id)
            ],
            "previousEvent": r.previous_event,
            "createdBy": r.created_by,
            "history": history(store, r.id),
        }
    )
    return out


def _resource_name(store: SqlStore, resource_id: str) -> str | None:
    r = store.resource(resource_id)
    return r.name if r is not None else None


# -- the log -----------------------------------------------------------------------------------


def _summary(store: SqlStore, kind: str, body: dict[str, Any]) -> str:
    """A one-line reading of a record's body for people scanning the log."""
    if kind in ("agent.declare", "vf.create"):
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        return f"{body.get('type')} {data.get('name') or ''}".strip()
    if kind in ("vf.update", "vf.delete"):
        return f"{body.get('id')} {name_of(store, body.get('id')) or ''}".strip()
    if kind == "vf.event" and isinstance(body.get("event"), dict):
        ev = body["event"]
        parts = [str(ev.get("action"))]
        for key in ("resourceQuantity", "effortQuantity"):
            q = ev.get(key)
            if isinstance(q, dict):
                parts.append(f"{q.get('hasNumericalValue')} {q.get('hasUnit')}")
        if ev.get("provider") != ev.get("receiver"):
            parts.append(
                f"{name_of(store, ev.get('provider')) or ev.get('provider')} → "
                f"{name_of(store, ev.get('receiver')) or ev.get('receiver')}"
            )
        return " ".join(parts)
    return ""


def log_entries(
    store: SqlStore,
    *,
    author: str | None = None,
    kind: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The latest records (all, or one author's, or one kind's), newest last."""
    out = []
    for item in select_records(store, author=author, kind=kind, limit=limit):
        rec = item.record
        out.append(
            {
                "pos": item.pos,
                "hash": rec.hash,
                "author": rec.author,
                "authorName": name_of(store, rec.author),
                "seq": rec.seq,
                "prev": rec.prev,
                "deps": list(rec.deps),
                "kind": rec.kind,
                "created": rec.created,
                "summary": _summary(store, rec.kind, rec.body),
                "body": rec.body,
            }
        )
    return out
