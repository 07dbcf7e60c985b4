"""The material passport: a signed JSON-LD document anyone can check without the issuing node.

``export_passport`` traces a resource, gathers every signed record behind the trace, computes the
document's statements from those records (``reflow.trace.derive``) and signs the canonical bytes
of the whole document with the node's key. ``verify_passport`` needs nothing but the document:
it checks each record's hash and signature and the chain positions between records of one author,
recomputes every statement from the records and compares, then checks the node's signature. It
reports the first failure, naming the record or the field, with an exit code that says which kind.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reflow.errors import NotFound, ReflowError
from reflow.ledger.canonical import canonical_bytes
from reflow.ledger.keys import verify
from reflow.ledger.records import RECORD_FIELDS, Record, now, record_from_dict
from reflow.store import codec
from reflow.trace.algorithms import trace
from reflow.trace.derive import derive, read_facts, walk
from reflow.trace.graph import RESOURCE, Node
from reflow.trace.index import current_graph
from reflow.trace.proofs import collect
from reflow.trace.rejudge import rejudge

if TYPE_CHECKING:
    from reflow.node import Node as ReflowNode

FORMAT = "reflow-passport/1"
OK, BAD_SIGNATURE, BAD_RECORD, TREE_MISMATCH, MALFORMED = 0, 2, 3, 4, 5

# A small JSON-LD context for the terms a passport uses (VF 1.0, OM2 units, WGS84 positions).
CONTEXT: dict[str, Any] = {
    "vf": "https://w3id.org/valueflows/ont/vf#",
    "om2": "http://www.ontology-of-units-of-measure.org/resource/om-2/",
    "geo": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "reflow": "https://reflowos.dyne.org/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "name": "vf:name",
    "note": "vf:note",
    "action": {"@id": "vf:action", "@type": "@vocab"},
    "provider": {"@id": "vf:provider", "@type": "@id"},
    "receiver": {"@id": "vf:receiver", "@type": "@id"},
    "inputOf": {"@id": "vf:inputOf", "@type": "@id"},
    "outputOf": {"@id": "vf:outputOf", "@type": "@id"},
    "resourceInventoriedAs": {"@id": "vf:resourceInventoriedAs", "@type": "@id"},
    "toResourceInventoriedAs": {"@id": "vf:toResourceInventoriedAs", "@type": "@id"},
    "resourceConformsTo": {"@id": "vf:resourceConformsTo", "@type": "@id"},
    "conformsTo": {"@id": "vf:conformsTo", "@type": "@id"},
    "resourceQuantity": "vf:resourceQuantity",
    "effortQuantity": "vf:effortQuantity",
    "accountingQuantity": "vf:accountingQuantity",
    "onhandQuantity": "vf:onhandQuantity",
    "hasNumericalValue": "om2:hasNumericalValue",
    "hasUnit": {"@id": "om2:hasUnit", "@type": "@id"},
    "hasPointInTime": {"@id": "vf:hasPointInTime", "@type": "xsd:dateTime"},
    "hasBeginning": {"@id": "vf:hasBeginning", "@type": "xsd:dateTime"},
    "hasEnd": {"@id": "vf:hasEnd", "@type": "xsd:dateTime"},
    "atLocation": {"@id": "vf:atLocation", "@type": "@id"},
    "toLocation": {"@id": "vf:toLocation", "@type": "@id"},
    "currentLocation": {"@id": "vf:currentLocation", "@type": "@id"},
    "primaryAccountable": {"@id": "vf:primaryAccountable", "@type": "@id"},
    "previousEvent": {"@id": "vf:previousEvent", "@type": "@id"},
    "trackingIdentifier": "vf:trackingIdentifier",
    "lat": "geo:lat",
    "long": "geo:long",
    "mappableAddress": "vf:mappableAddress",
    "basedOn": {"@id": "vf:basedOn", "@type": "@id"},
    "corrects": {"@id": "vf:corrects", "@type": "@id"},
    "summary": "reflow:summary",
    "proofs": "reflow:proofs",
}


@dataclass
class VerifyResult:
    """The verdict: ``code`` 0 when every check passed, else what failed and where."""

    code: int = OK
    problem: str | None = None
    field: str | None = None
    record: str | None = None
    checks: list[str] = dataclasses.field(default_factory=list)
    # Records the VF rules refuse when replayed alone (a partial history): reported, not fatal.
    warnings: list[str] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.code == OK

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": self.ok, "code": self.code, "checks": self.checks}
        if self.warnings:
            out["warnings"] = self.warnings
        for key in ("problem", "field", "record"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


class _Fail(Exception):
    def __init__(
        self, code: int, problem: str, field: str | None = None, record: str | None = None
    ) -> None:
        super().__init__(problem)
        self.result = VerifyResult(code, problem, field, record)


# -- export ----------------------------------------------------------------------------------


def export_passport(node: ReflowNode, resource_id: str) -> dict[str, Any]:
    """The signed passport of ``resource_id`` as this node knows it."""
    store = node.store
    res = store.resource(resource_id)
    if res is None:
        raise NotFound(f"no economic resource {resource_id!r}", field="resource")
    # Walked from the breadcrumb the passport claims, over the store's trace index (brought up
    # to date after the resource was read, so it holds every event up to that breadcrumb).
    with current_graph(store) as graph:
        result = trace(graph, Node(RESOURCE, resource_id), None, {resource_id: res.previous_event})
        behind = {n.id for n in result.nodes if n.kind == "EconomicEvent"} | result.walked
        links = [graph.events[eid] for eid in sorted(behind)]
    crumbs = {e.id: [e.previous_event, e.to_previous_event, e.corrected_by] for e in links}
    touched = {n.id for n in result.nodes if n.kind == RESOURCE}
    for link in links:
        touched.update(x for x in (link.res, link.to) if x)
    records = collect(store, behind, touched)
    claims = {"head": res.previous_event, "breadcrumbs": crumbs}
    facts = read_facts(records, crumbs)
    derived = derive(facts, walk(facts, resource_id, res.previous_event))
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "reflow:MaterialPassport",
        "@id": f"urn:reflow:passport:{node.info.network[:16]}:{resource_id}",
        "summary": derived["summary"],
        "format": FORMAT,
        "network": node.info.network,
        "issuer": node.info.node_key,
        "issued": now(),
        "resource": _resource_state(res),
        "trace": derived["trace"],
        "graph": derived["graph"],
        "claims": claims,
        "proofs": [{**r.to_dict(), "hash": r.hash} for r in records],
    }
    key = node.keystore.get(node.info.node_key)
    doc["signature"] = {
        "type": "Ed25519Signature2020",
        "signer": node.info.node_key,
        "value": key.sign(canonical_bytes(doc)),
    }
    return doc


def _resource_state(res: Any) -> dict[str, Any]:
    """The resource now, as the issuing node states it (covered by the node's signature)."""
    qty = lambda v: {"hasNumericalValue": v, "hasUnit": res.unit}  # noqa: E731
    doc = {
        "@id": res.id, "@type": "vf:EconomicResource", "name": res.name,
        "trackingIdentifier": res.tracking_identifier, "conformsTo": res.conforms_to,
        "accountingQuantity": qty(codec.dec_text(res.accounting_quantity)),
        "onhandQuantity": qty(codec.dec_text(res.onhand_quantity)),
        "primaryAccountable": res.primary_accountable, "custodian": res.custodian,
        "currentLocation": res.current_location, "containedIn": res.contained_in,
        "stage": res.stage, "state": res.state, "previousEvent": res.previous_event,
    }  # fmt: skip
    return {k: v for k, v in doc.items() if v is not None}


# -- verify ----------------------------------------------------------------------------------


def verify_passport(doc: Any) -> VerifyResult:
    """Check a passport offline; the first failure is named (record hash or field)."""
    checks: list[str] = []
    warnings: list[str] = []
    try:
        _verify(doc, checks, warnings)
    except _Fail as failed:
        failed.result.checks = checks
        failed.result.warnings = warnings
        return failed.result
    return VerifyResult(OK, None, None, None, checks, warnings)


def _verify(doc: Any, checks: list[str], warnings: list[str]) -> None:
    _shape(doc)
    checks.append("shape")
    recs = _records(doc)
    checks.append(f"{len(recs)} records: hashes and signatures")
    _chains(recs)
    checks.append("chain positions")
    rid = doc["resource"]["@id"]
    claims = doc["claims"]
    if doc["resource"].get("previousEvent") != claims["head"]:
        raise _Fail(TREE_MISMATCH, "the resource's previousEvent is not the claimed head",
                    "resource.previousEvent")  # fmt: skip
    try:
        facts = read_facts(recs, claims["breadcrumbs"])
        _claims_consistent(facts, recs, claims["breadcrumbs"])
        derived = derive(facts, walk(facts, rid, claims["head"]))
    except ReflowError as exc:
        raise _Fail(TREE_MISMATCH, f"the records do not yield the tree: {exc}", "trace") from None
    for section in ("trace", "graph", "summary"):
        where = _first_difference(derived[section], doc[section], section)
        if where is not None:
            raise _Fail(TREE_MISMATCH, f"{where} does not follow from the records", where)
    checks.append("trace, graph and summary follow from the records")
    warnings.extend(rejudge(recs, facts))
    events = sum(1 for r in recs if r.kind == "vf.event")
    checks.append(f"VF rules: {events - len(warnings)} of {events} events re-judged in order")
    unsigned = {k: v for k, v in doc.items() if k != "signature"}
    sig = doc["signature"]
    if sig.get("signer") != doc["issuer"]:
        raise _Fail(BAD_SIGNATURE, "the signature is not by the issuer", "signature.signer")
    try:
        verify(doc["issuer"], canonical_bytes(unsigned), sig["value"])
    except ReflowError:
        raise _Fail(BAD_SIGNATURE, "the node's signature does not match the document",
                    "signature.value") from None  # fmt: skip
    checks.append("node signature")


def _shape(doc: Any) -> None:
    if not isinstance(doc, dict):
        raise _Fail(MALFORMED, "a passport is a JSON object", "$")
    needs = {"@context": dict, "network": str, "issuer": str, "resource": dict, "trace": dict,
             "graph": dict, "summary": dict, "claims": dict, "proofs": list,
             "signature": dict}  # fmt: skip
    for key, kind in needs.items():
        if not isinstance(doc.get(key), kind):
            raise _Fail(MALFORMED, f"{key} is missing or not a {kind.__name__}", key)
    if doc.get("format") != FORMAT:
        raise _Fail(MALFORMED, f"unknown format {doc.get('format')!r}", "format")
    if not isinstance(doc["resource"].get("@id"), str):
        raise _Fail(MALFORMED, "resource.@id is missing", "resource.@id")
    claims = doc["claims"]
    if not isinstance(claims.get("breadcrumbs"), dict) or "head" not in claims:
        raise _Fail(MALFORMED, "claims need head and breadcrumbs", "claims")
    for eid, crumb in claims["breadcrumbs"].items():
        if not (isinstance(crumb, list) and len(crumb) == 3):
            raise _Fail(MALFORMED, "a breadcrumb is [previous, toPrevious, correctedBy]",
                        f"claims.breadcrumbs.{eid}")  # fmt: skip
    if not isinstance(doc["signature"].get("value"), str):
        raise _Fail(MALFORMED, "signature.value is missing", "signature.value")


def _records(doc: dict[str, Any]) -> list[Record]:
    out: list[Record] = []
    seen: set[str] = set()
    for i, proof in enumerate(doc["proofs"]):
        claimed = proof.get("hash") if isinstance(proof, dict) else None
        name = claimed if isinstance(claimed, str) else f"proofs[{i}]"
        if not isinstance(proof, dict):
            raise _Fail(MALFORMED, "a proof is a record object", f"proofs[{i}]")
        try:
            rec = record_from_dict({k: proof.get(k) for k in (*RECORD_FIELDS, "sig")})
        except ReflowError as exc:
            raise _Fail(BAD_RECORD, f"record {name} is not a valid record: {exc}",
                        f"proofs[{i}].{exc.field or 'record'}", name) from None  # fmt: skip
        if rec.hash != claimed:
            raise _Fail(BAD_RECORD, f"record {name}: its content does not match its hash; "
                        f"it hashes to {rec.hash}", f"proofs[{i}]", name)  # fmt: skip
        if rec.network != doc["network"]:
            raise _Fail(BAD_RECORD, f"record {name} belongs to another network",
                        f"proofs[{i}].network", name)  # fmt: skip
        try:
            rec.verify_signature()
        except ReflowError:
            raise _Fail(BAD_SIGNATURE, f"record {name}: the author's signature does not match",
                        f"proofs[{i}].sig", name) from None  # fmt: skip
        if rec.hash not in seen:
            seen.add(rec.hash)
            out.append(rec)
    return out


def _chains(recs: list[Record]) -> None:
    """Records of one author must fit one chain: one record per seq, prev links where adjacent."""
    at: dict[tuple[str, int], Record] = {}
    for rec in recs:
        other = at.setdefault((rec.author, rec.seq), rec)
        if other.hash != rec.hash:
            raise _Fail(BAD_RECORD, f"records {other.hash} and {rec.hash} take the same chain "
                        "position (equivocation)", "proofs.seq", rec.hash)  # fmt: skip
    for (author, seq), rec in at.items():
        if seq == 1 and rec.prev is not None:
            raise _Fail(BAD_RECORD, f"record {rec.hash} is first in its chain but has a prev",
                        "proofs.prev", rec.hash)  # fmt: skip
        before = at.get((author, seq - 1))
        if before is not None and rec.prev != before.hash:
            raise _Fail(BAD_RECORD, f"record {rec.hash} does not follow {before.hash} in its "
                        "author's chain", "proofs.prev", rec.hash)  # fmt: skip


def _claims_consistent(facts: Any, recs: list[Record], crumbs: dict[str, list[Any]]) -> None:
    """Breadcrumbs must link events on the same resource, older to newer in one author's chain."""
    by_hash = {r.hash: r for r in recs}
    for eid, (prev, to_prev, corrected_by) in crumbs.items():
        link = facts.links.get(eid)
        if link is None:
            raise _Fail(TREE_MISMATCH, f"claimed event {eid} has no record",
                        f"claims.breadcrumbs.{eid}")  # fmt: skip
        for crumb, rid, key in ((prev, link.res, "previousEvent"), (to_prev, link.to, "to")):
            if crumb is None:
                continue
            before = facts.links.get(crumb)
            where = f"claims.breadcrumbs.{eid}.{key}"
            if before is None or rid not in (before.res, before.to):
                raise _Fail(TREE_MISMATCH, f"breadcrumb {crumb} is not an event on {rid}", where)
            a, b = by_hash[facts.record_of[crumb]], by_hash[facts.record_of[eid]]
            if a.author == b.author and a.seq >= b.seq:
                raise _Fail(TREE_MISMATCH, f"breadcrumb {crumb} comes after {eid}", where)
        if corrected_by is not None:
            fixer = facts.events.get(corrected_by)
            if fixer is None or fixer.get("corrects") != eid:
                raise _Fail(TREE_MISMATCH, f"{corrected_by} does not correct {eid}",
                            f"claims.breadcrumbs.{eid}")  # fmt: skip


def _first_difference(want: Any, got: Any, path: str) -> str | None:
    """The path of the first place where ``got`` differs from ``want`` (None if equal)."""
    if isinstance(want, dict) and isinstance(got, dict):
        for key in sorted(set(want) | set(got)):
            if key not in want or key not in got:
                return f"{path}.{key}"
            where = _first_difference(want[key], got[key], f"{path}.{key}")
            if where is not None:
                return where
        return None
    if isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            return f"{path}[{min(len(want), len(got))}]"
        for i, (w, g) in enumerate(zip(want, got, strict=True)):
            where = _first_difference(w, g, f"{path}[{i}]")
            if where is not None:
                return where
        return None
    return None if want == got and type(want) is type(got) else path
