"""Offers and requests of a plain VF document, published through the market service.

A VF ``Proposal`` nests or names its intents (``publishes`` the primary ones, ``reciprocal`` what
is asked or given in return). Each proposal becomes one ``market.publish`` signed by its
publisher — the provider of an offer's primary intent, the receiver of a request's. The market's
rules apply as to any proposal; documents often leave out what they require, so an intent
without a quantity is published for one unit (one hour of work, one item) and says so in its
note. A proposal the market refuses is reported (with its field and rule), not fatal: records
are atomic, so nothing of it was recorded.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Protocol

from reflow.errors import ReflowError
from reflow.ledger.keys import KeyPair
from reflow.node import Node

NESTED = ("publishes", "reciprocal", "lists", "hasInput", "hasOutput")
_OFFSET = re.compile(r"([+-])(\d):(\d\d)$")


class Importer(Protocol):
    node: Node
    keys: dict[str, KeyPair]

    def agent(self, uri: str, type_name: str = ..., name: str | None = ...) -> str: ...

    def spec(self, value: Any) -> str | None: ...


def flatten(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Nodes nested under a proposal (its intents, a list's proposals) as nodes of the graph."""
    out: list[dict[str, Any]] = []

    def visit(node: dict[str, Any]) -> None:
        out.append(node)
        for key in NESTED:
            values = node.get(key)
            for v in values if isinstance(values, list) else [values] if values else []:
                if isinstance(v, dict) and set(v) - {"@id"}:
                    visit(v)

    for item in items:
        visit(item)
    return out


def utc(value: Any) -> str | None:
    """An ISO time as UTC ``...Z`` (documents write offsets like ``-5:00``); None if unreadable."""
    if not isinstance(value, str):
        return None
    text = _OFFSET.sub(lambda m: f"{m[1]}0{m[2]}:{m[3]}", value.strip())
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ids(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value] if value else []
    return [str(v.get("@id")) if isinstance(v, dict) else str(v) for v in values]


def _intent(imp: Importer, n: dict[str, Any], role: str, measure: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"role": role, "action": str(n.get("action", "transfer"))}
    for side in ("provider", "receiver"):
        if n.get(side):
            body[side] = imp.agent(str(_ids(n[side])[0]))
    spec = imp.spec(n.get("resourceConformsTo"))
    if spec:
        body["resourceConformsTo"] = spec
    classes = _ids(n.get("resourceClassifiedAs"))
    if classes:
        body["resourceClassifiedAs"] = classes
    qfield = "effortQuantity" if body["action"] in ("work", "use") else "resourceQuantity"
    given = n.get(qfield) or n.get("resourceQuantity") or n.get("effortQuantity")
    notes = [str(n["note"])] if n.get("note") else []
    if given is None:
        unit = "om2:hour" if qfield == "effortQuantity" else "om2:one"
        given = {"hasNumericalValue": "1", "hasUnit": unit}
        notes.append("(quantity not given in the imported document: one unit assumed)")
    body[qfield] = measure(given, f"{n.get('@id')}.{qfield}")
    if n.get("name"):
        body["name"] = str(n["name"])
    if notes:
        body["note"] = " ".join(notes)
    for key in ("hasBeginning", "hasEnd"):
        if utc(n.get(key)):
            body[key] = utc(n[key])
    return body


def publish(
    imp: Importer, n: dict[str, Any], by_id: dict[str, dict[str, Any]], measure: Any
) -> tuple[str | None, dict[str, Any] | None]:
    """Publish one proposal; returns (proposal id, None) or (None, the refusal)."""
    from reflow.market import service as market

    pid = str(n.get("@id"))
    try:
        primary = [by_id[i] for i in _ids(n.get("publishes")) if i in by_id]
        if not primary:
            return None, {"@id": pid, "message": "the proposal publishes no intent it describes"}
        purpose = n.get("purpose") or ("offer" if primary[0].get("provider") else "request")
        intents = [_intent(imp, i, "primary", measure) for i in primary]
        intents += [_intent(imp, by_id[i], "reciprocal", measure)
                    for i in _ids(n.get("reciprocal")) if i in by_id]  # fmt: skip
        publisher = intents[0].get("provider" if purpose == "offer" else "receiver")
        proposal: dict[str, Any] = {"purpose": str(purpose)}
        for key in ("name", "note"):
            if n.get(key):
                proposal[key] = str(n[key])
        for key in ("hasBeginning", "hasEnd"):
            if utc(n.get(key)):
                proposal[key] = utc(n[key])
        if isinstance(n.get("unitBased"), bool):
            proposal["unitBased"] = n["unitBased"]
        if publisher is None:
            return None, {"@id": pid, "message": "no publisher on the publisher's side"}
        out = market.publish(imp.node, imp.keys[publisher], proposal, intents, stream=None)
        return str(out["proposal"]), None
    except ReflowError as err:
        return None, {"@id": pid, **err.as_dict()}
