"""Import plain ValueFlows JSON-LD (no signed records) as new records signed on this node.

A plain VF document names agents by URI and carries no signatures, so nothing of it can be
replayed as it was. Each agent it mentions (typed nodes, and every provider, receiver or
accountable URI) gets a new key in this node's keystore and an ``agent.declare``; specifications,
places and processes are created by an "importer" organisation; each economic resource is raised
by its holder with the quantity the document gives for it first (its state before the events
that follow), then the document's events are recorded in order, each signed by its provider.
Snapshots of the same resource later in the graph (VF examples show resources "after") are not
imported: the events produce that state. Proposals (with their nested intents) are published
through the market (``reflow.interop.vf_proposals``); the ones it refuses are reported.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal, InvalidOperation
from typing import Any

from reflow.errors import ReflowError, RuleViolation
from reflow.interop import vf_proposals
from reflow.ledger.keys import KeyPair
from reflow.node import Node
from reflow.vf.units import canonical_unit_id

AGENT_TYPES = {"Person", "Organization", "EcologicalAgent", "Agent"}
OM2 = "http://www.ontology-of-units-of-measure.org/resource/om-2/"
PREFIXES = ("vf:", "https://w3id.org/valueflows/ont/vf#", "http://w3id.org/valueflows/ont/vf#")
ALIASES = {
    "skos:note": "note",
    "om2:hasUnit": "hasUnit",
    "om2:hasNumericalValue": "hasNumericalValue",
    "involves": "resourceInventoriedAs",
    "geo:lat": "lat",
    "geo:long": "long",
    "resourceConformsTo@resource": "conformsTo",
}
EVENT_FIELDS = (
    "action",
    "provider",
    "receiver",
    "inputOf",
    "outputOf",
    "resourceInventoriedAs",
    "toResourceInventoriedAs",
    "resourceConformsTo",
    "resourceClassifiedAs",
    "resourceQuantity",
    "effortQuantity",
    "hasPointInTime",
    "hasBeginning",
    "hasEnd",
    "atLocation",
    "toLocation",
    "state",
    "note",
)


def _key(name: str) -> str:
    for prefix in PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return ALIASES.get(name, name)


def _uri(value: Any) -> Any:
    return value.get("@id") if isinstance(value, dict) and "@id" in value else value


def _normal(node: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in node.items():
        if isinstance(v, dict) and "@id" not in v:
            v = _normal(v)
        out[_key(k)] = v
    return out


def _measure(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise RuleViolation(
            "a quantity is an object with hasNumericalValue and hasUnit",
            field=where,
            rule="measure",
        )
    unit = _uri(value.get("hasUnit"))
    if isinstance(unit, str) and unit.startswith(OM2):
        unit = "om2:" + unit[len(OM2) :]
    with contextlib.suppress(ReflowError):  # else left as written: the rules name it
        unit = canonical_unit_id(str(unit))
    try:
        number = Decimal(str(value.get("hasNumericalValue")))
    except InvalidOperation:
        raise RuleViolation(
            "hasNumericalValue is not a number", field=where, rule="measure"
        ) from None
    return {"hasNumericalValue": format(number, "f"), "hasUnit": str(unit)}


def _types(node: dict[str, Any]) -> set[str]:
    t = node.get("@type", [])
    return {_key(x) for x in ([t] if isinstance(t, str) else t)}


def _uris(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [str(_uri(v)) for v in values if v]


class _Importer:
    def __init__(self, node: Node, items: list[dict[str, Any]]) -> None:
        self.node = node
        self.items = items
        self.keys: dict[str, KeyPair] = {}
        self.agents: dict[str, str] = {}  # document URI -> agent id
        self.ids: dict[str, str] = {}  # document @id -> object, resource or event id
        self.spec_of_uri: dict[str, str] = {}
        self.records = 0

    def submit(self, key: KeyPair, kind: str, body: dict[str, Any]) -> dict[str, str]:
        self.records += 1
        return self.node.submit(key, kind, body).created

    def agent(self, uri: str, type_name: str = "Organization", name: str | None = None) -> str:
        if uri not in self.agents:
            agent_type = (
                type_name
                if type_name in {"Person", "Organization", "EcologicalAgent"}
                else "Organization"
            )
            key = self.node.keystore.create(label=f"vf-import:{uri}")
            self.submit(key, "agent.declare", {"type": agent_type, "data": {"name": name or uri}})
            self.keys[key.public], self.agents[uri] = key, key.public
        return self.agents[uri]

    @property
    def importer(self) -> KeyPair:
        return self.keys[self.agent("urn:reflow:vf-importer", "Organization", "VF importer")]

    def create(self, type_name: str, data: dict[str, Any]) -> str:
        return self.submit(self.importer, "vf.create", {"type": type_name, "data": data})[type_name]

    def spec(self, value: Any) -> str | None:
        """A ResourceSpecification id for a document reference (creating one for an outside URI)."""
        uri = _uri(value)
        if not isinstance(uri, str):
            return None
        if uri in self.ids:
            return self.ids[uri]
        if uri not in self.spec_of_uri:
            name = uri.rstrip("/").rsplit("/", 1)[-1] or uri
            self.spec_of_uri[uri] = self.create(
                "ResourceSpecification", {"name": name, "resourceClassifiedAs": [uri]}
            )
        return self.spec_of_uri[uri]

    def holder(self, rid: str) -> str:
        """Who holds a resource the document lists: its accountable agent, or whoever first
        gives it in an event (the receiver of a produce), or the importer."""
        for item in self.items:
            n = _normal(item)
            if "EconomicEvent" not in _types(n):
                continue
            if _uri(n.get("resourceInventoriedAs")) == rid:
                side = "receiver" if n.get("action") == "produce" else "provider"
                return self.agent(str(_uri(n.get(side))))
        return self.importer.public

    def run(self) -> dict[str, Any]:
        nodes = [_normal(i) for i in vf_proposals.flatten(self.items)]
        seen: set[str] = set()
        first = []
        for n in nodes:
            nid = str(n.get("@id", ""))
            if nid and nid in seen:
                continue  # a later snapshot of the same thing (e.g. a resource "after")
            seen.add(nid)
            first.append(n)
        for n in first:
            types = _types(n)
            if types & AGENT_TYPES:
                self.ids[n["@id"]] = self.agent(
                    n["@id"], next(iter(types & AGENT_TYPES)), n.get("name")
                )
        order = ("SpatialThing", "ResourceSpecification", "ProcessSpecification", "Process")
        for type_name in order:
            for n in first:
                if type_name in _types(n):
                    self.ids[n["@id"]] = self.create(type_name, self._object(type_name, n))
        skipped: list[str] = []
        by_id = {str(n["@id"]): n for n in first if "@id" in n}
        proposals: dict[str, str] = {}
        refused: list[dict[str, Any]] = []
        for n in first:
            types = _types(n)
            if "EconomicResource" in types:
                self._resource(n)
            elif "EconomicEvent" in types:
                self._event(n)
            elif "Proposal" in types:
                pid, refusal = vf_proposals.publish(self, n, by_id, _measure)
                if pid is not None:
                    proposals[str(n.get("@id"))] = pid
                    self.records += 1
                if refusal is not None:
                    refused.append(refusal)
            elif not types & (AGENT_TYPES | set(order) | {"Intent", "ProposalList"}):
                skipped.append(str(n.get("@id")))
        resources = {k: v for k, v in self.ids.items() if self.node.store.resource(v)}
        return {
            "mode": "vf",
            "records": self.records,
            "agents": dict(self.agents),
            "resources": resources,
            "proposals": proposals,
            "refused": refused,
            "skipped": skipped,
        }

    def _object(self, type_name: str, n: dict[str, Any]) -> dict[str, Any]:
        name = n.get("name") or str(n.get("@id", type_name)).rsplit("/", 1)[-1]
        data: dict[str, Any] = {"name": str(name)}
        if n.get("note"):
            data["note"] = str(n["note"])
        if type_name == "SpatialThing":
            for k in ("lat", "long"):
                if k in n:
                    data[k] = format(Decimal(str(n[k])), "f")
            if n.get("mappableAddress"):
                data["mappableAddress"] = str(n["mappableAddress"])
        if type_name == "ResourceSpecification":
            classes = _uris(n.get("resourceClassifiedAs") or n.get("classifiedAs") or [])
            classes += _uris(n.get("conformsTo") or [])
            if classes:
                data["resourceClassifiedAs"] = classes
            for k in ("defaultUnitOfResource", "defaultUnitOfEffort"):
                if isinstance(_uri(n.get(k)), str):
                    data[k] = _uri(n[k])
            if isinstance(n.get("substitutable"), bool):
                data["substitutable"] = n["substitutable"]
        if type_name == "Process" and isinstance(n.get("finished"), bool):
            data["finished"] = n["finished"]
        return data

    def _resource(self, n: dict[str, Any]) -> None:
        rid = str(n["@id"])
        accountable = _uri(n.get("primaryAccountable"))
        holder = self.agent(str(accountable)) if accountable else self.holder(rid)
        classes = _uris(n.get("classifiedAs") or [])
        spec = self.spec(n.get("conformsTo") or n.get("resourceConformsTo")) or (
            self.spec(classes[0]) if classes else None
        )
        quantity = n.get("accountingQuantity") or {"hasNumericalValue": 1, "hasUnit": "om2:one"}
        new: dict[str, Any] = {"name": str(n.get("name") or rid.rsplit(":", 1)[-1])}
        for k in ("trackingIdentifier", "note"):
            if n.get(k):
                new[k] = str(n[k])
        if classes:
            new["classifiedAs"] = classes
        if (
            isinstance(_uri(n.get("currentLocation")), str)
            and _uri(n["currentLocation"]) in self.ids
        ):
            new["currentLocation"] = self.ids[_uri(n["currentLocation"])]
        event: dict[str, Any] = {
            "action": "raise",
            "provider": holder,
            "receiver": holder,
            "resourceQuantity": _measure(quantity, f"{rid}.accountingQuantity"),
        }
        if spec:
            event["resourceConformsTo"] = spec
        created = self.submit(
            self.keys[holder], "vf.event", {"event": event, "newInventoriedResource": new}
        )
        self.ids[rid] = created["EconomicResource"]

    def _event(self, n: dict[str, Any]) -> None:
        eid = str(n.get("@id", ""))
        event: dict[str, Any] = {}
        for k in EVENT_FIELDS:
            if k not in n or n[k] in (None, ""):
                continue
            v = n[k]
            if k in ("provider", "receiver"):
                v = self.agent(str(_uri(v)))
            elif k in ("resourceQuantity", "effortQuantity"):
                v = _measure(v, f"{eid}.{k}")
            elif k == "resourceConformsTo":
                v = self.spec(v)
            elif k == "resourceClassifiedAs":
                v = _uris(v)
            elif (
                isinstance(_uri(v), str)
                and k not in ("action", "note", "state")
                and not k.startswith("has")
            ):
                v = self.ids.get(str(_uri(v)), _uri(v))
            event[k] = v
        body: dict[str, Any] = {"event": event}
        action = event.get("action")
        if action in ("produce", "raise") and "resourceInventoriedAs" not in event:
            body["newInventoriedResource"] = {"name": str(n.get("name") or eid.rsplit(":", 1)[-1])}
        signer = event.get("provider") or self.importer.public
        created = self.submit(self.keys[signer], "vf.event", body)
        if eid:
            self.ids[eid] = created["EconomicEvent"]


def import_vf(node: Node, doc: Any) -> dict[str, Any]:
    """Import a plain VF JSON-LD document (a ``@graph``, a list, or one node)."""
    if isinstance(doc, dict) and isinstance(doc.get("@graph"), list):
        items = doc["@graph"]
    elif isinstance(doc, list):
        items = doc
    elif isinstance(doc, dict):
        items = [doc]
    else:
        raise RuleViolation(
            "a JSON-LD document is an object or a list", field="document", rule="json-ld"
        )
    return _Importer(node, [i for i in items if isinstance(i, dict)]).run()
