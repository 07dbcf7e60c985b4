"""ValueFlows JSON-LD: export a node's state, import it back (records) or import plain VF.

Export writes one JSON-LD document: an ``@graph`` of every VF object the node holds (agents,
specifications, places, processes, resources, events, proposals, intents, commitments, plans,
recipes, and the project's own kinds such as claims under ``reflow:``), and a
``reflow:records`` section with the signed log itself, in log order.

Import has two modes, and says which it used:

* ``records`` — the document carries ``reflow:records``: they are appended as they are (verified,
  judged, in order). Signatures cannot be re-made by anyone else, so replaying the signed log is
  the only way an import reproduces the original state — and it does: the importing node
  reaches the same state digest. The graph is then only a readable view of the same facts.
* ``vf`` — plain ValueFlows JSON-LD (e.g. the spec's examples): the graph is turned into new
  records signed by keys this node creates for the agents it finds (``reflow.interop.vf_import``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from reflow.errors import ConflictError, RuleViolation
from reflow.ledger.ledger import Ledger
from reflow.store.codec import dec_text
from reflow.store.sqlstore import SqlStore
from reflow.vf.types import VF_TYPES

VF = "https://w3id.org/valueflows/ont/vf#"
CONTEXT: dict[str, Any] = {
    "@vocab": VF,
    "vf": VF,
    "om2": "http://www.ontology-of-units-of-measure.org/resource/om-2/",
    "geo": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "reflow": "https://w3id.org/reflow/ns#",
    "lat": "geo:lat",
    "long": "geo:long",
    "note": "skos:note",
    "hasNumericalValue": "om2:hasNumericalValue",
    "hasUnit": {"@id": "om2:hasUnit", "@type": "@id"},
}
ID_PREFIX = "urn:reflow:"
EVENT_REFS = frozenset(
    {
        "provider",
        "receiver",
        "inputOf",
        "outputOf",
        "resourceInventoriedAs",
        "toResourceInventoriedAs",
        "resourceConformsTo",
        "atLocation",
        "toLocation",
        "corrects",
        "realizationOf",
        "fulfills",
        "satisfies",
        "settles",
        "triggeredBy",
        "exchangeOf",
    }
)
BATCH = 2000

Progress = Callable[[int], None]


def ref(value: str) -> dict[str, str]:
    return {"@id": ID_PREFIX + value}


def _refs_of(type_name: str) -> set[str]:
    vf_type = VF_TYPES.get(type_name)
    if vf_type is None:
        return set()
    return {name for name, f in vf_type.fields.items() if f.kind in ("ref", "refs")}


def _linked(data: dict[str, Any], refs: set[str] | frozenset[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in refs and isinstance(value, str):
            out[key] = ref(value)
        elif key in refs and isinstance(value, list):
            out[key] = [ref(v) for v in value if isinstance(v, str)]
        else:
            out[key] = value
    return out


def graph(store: SqlStore) -> Iterator[dict[str, Any]]:
    """Every object of the state as a JSON-LD node (streamed, table by table)."""
    from sqlalchemy import select

    from reflow.store.schema import events, resources, vf_objects

    with store.engine.connect() as conn:
        rows = conn.execute(
            select(vf_objects).where(vf_objects.c.deleted.is_(False)).order_by(vf_objects.c.id)
        )
        for r in rows:
            data = json.loads(r.data)
            vf_type = r.type if r.type in VF_TYPES else f"reflow:{r.type}"
            yield {
                "@id": ID_PREFIX + r.id,
                "@type": vf_type,
                **_linked(data, _refs_of(r.type)),
                "reflow:author": r.author,
            }
        for r in conn.execute(select(resources).order_by(resources.c.id)):
            yield _resource(r)
        for r in conn.execute(select(events).order_by(events.c.id)):
            body = json.loads(r.body)
            yield {"@id": ID_PREFIX + r.id, "@type": "EconomicEvent", **_linked(body, EVENT_REFS)}


def _resource(r: Any) -> dict[str, Any]:
    def measure(value: Any) -> dict[str, str] | None:
        if value is None:
            return None
        return {"hasNumericalValue": dec_text(Decimal(str(value))) or "0", "hasUnit": r.unit}

    node: dict[str, Any] = {"@id": ID_PREFIX + r.id, "@type": "EconomicResource"}
    fields = {
        "name": r.name,
        "note": r.note,
        "trackingIdentifier": r.tracking_identifier,
        "conformsTo": r.conforms_to and ref(r.conforms_to),
        "accountingQuantity": measure(r.accounting_quantity),
        "onhandQuantity": measure(r.onhand_quantity),
        "primaryAccountable": r.primary_accountable and ref(r.primary_accountable),
        "custodianOfResource": r.custodian and ref(r.custodian),
        "currentLocation": r.current_location and ref(r.current_location),
        "containedIn": r.contained_in and ref(r.contained_in),
        "stage": r.stage and ref(r.stage),
        "state": r.state,
        "classifiedAs": json.loads(r.classified_as or "[]") or None,
        "previousEvent": r.previous_event and ref(r.previous_event),
    }
    node.update({k: v for k, v in fields.items() if v is not None})
    return node


def export_document(store: SqlStore, network: str, *, with_records: bool = True) -> dict[str, Any]:
    """The whole document in memory (tests, small nodes); ``write_document`` streams it."""
    return json.loads("".join(write_document(store, network, with_records=with_records)))


def write_document(store: SqlStore, network: str, *, with_records: bool = True) -> Iterator[str]:
    """The export as text chunks, so a big node is written without holding it in memory."""
    yield "{\n"
    yield f'"@context": {json.dumps(CONTEXT)},\n'
    yield f'"@id": {json.dumps(f"urn:reflow:network:{network}")},\n'
    yield f'"reflow:network": {json.dumps(network)},\n'
    yield '"@graph": ['
    yield from _items(graph(store))
    yield "]"
    if with_records:
        yield ',\n"reflow:records": ['
        yield from _items(r.to_dict() for r in store.iter_records())
        yield "]"
    yield "\n}\n"


def _items(items: Iterator[dict[str, Any]]) -> Iterator[str]:
    first = True
    for item in items:
        yield ("\n" if first else ",\n") + json.dumps(item, ensure_ascii=False, sort_keys=True)
        first = False


def document_network(doc: Any) -> str | None:
    """The network a document's records belong to (None for plain VF)."""
    if isinstance(doc, dict) and isinstance(doc.get("reflow:records"), list):
        network = doc.get("reflow:network")
        if isinstance(network, str):
            return network
        recs = doc["reflow:records"]
        return str(recs[0]["network"]) if recs and isinstance(recs[0], dict) else None
    return None


def import_records(
    ledger: Ledger, doc: dict[str, Any], progress: Progress | None = None
) -> dict[str, Any]:
    """Append the document's signed records in order; every one must apply (or be known)."""
    recs = doc.get("reflow:records")
    if not isinstance(recs, list):
        raise RuleViolation(
            "the document has no reflow:records", field="reflow:records", rule="required"
        )
    counts = {"applied": 0, "duplicate": 0}
    for start in range(0, len(recs), BATCH):
        for receipt in ledger.append_many(recs[start : start + BATCH]):
            if receipt.status not in counts:
                raise ConflictError(
                    f"record {receipt.hash} was {receipt.status}: {receipt.error}",
                    field=f"reflow:records[{start}]",
                    rule="import-applies",
                )
            counts[receipt.status] += 1
        if progress is not None:
            progress(min(start + BATCH, len(recs)))
    return {"mode": "records", **counts}
