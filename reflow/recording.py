"""Recording facts from a person at a terminal: agents, VF objects and economic events.

The command line hands over what was typed (flags, JSON text); this service turns it into record
bodies, signs them with the acting agent's key from the node's keystore and submits them through
``Node.submit`` — so a typed event is judged by exactly the rules that judge a replicated one, and
a refused one changes nothing. Every refusal names the field and the rule.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any

from reflow.errors import NotFound, RuleViolation, UnitError
from reflow.ledger.keys import KeyPair
from reflow.node import Node
from reflow.vf.types import AGENT_TYPES
from reflow.vf.units import canonical_unit_id


@dataclass(frozen=True, slots=True)
class EventFlags:
    """Event fields given one by one on the command line; ``None`` means "not given"."""

    action: str | None = None
    provider: str | None = None
    receiver: str | None = None
    resource: str | None = None
    to_resource: str | None = None
    spec: str | None = None
    quantity: str | None = None
    effort: str | None = None
    input_of: str | None = None
    output_of: str | None = None
    at_location: str | None = None
    to_location: str | None = None
    state: str | None = None
    note: str | None = None
    corrects: str | None = None
    # newInventoriedResource, for events that create a resource
    name: str | None = None
    tracking_id: str | None = None


# flag attribute -> VF event field it sets (quantities are parsed separately)
_EVENT_FIELD = {
    "action": "action",
    "provider": "provider",
    "receiver": "receiver",
    "resource": "resourceInventoriedAs",
    "to_resource": "toResourceInventoriedAs",
    "spec": "resourceConformsTo",
    "input_of": "inputOf",
    "output_of": "outputOf",
    "at_location": "atLocation",
    "to_location": "toLocation",
    "state": "state",
    "note": "note",
    "corrects": "corrects",
}
_NEW_FIELD = {"name": "name", "tracking_id": "trackingIdentifier"}


def parse_json(text: str, field: str) -> dict[str, Any]:
    """A JSON object typed or read from a file; decimals stay text (floats are refused later)."""
    try:
        value = json.loads(text, parse_float=str)
    except json.JSONDecodeError as exc:
        raise RuleViolation(
            f"{field} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            field=field,
            rule="json",
        ) from None
    if not isinstance(value, dict):
        raise RuleViolation(f"{field} must be a JSON object", field=field, rule="json")
    return value


def parse_quantity(text: str, field: str) -> dict[str, str]:
    """``"10 kg"`` or ``"2.5 om2:hour"`` -> a VF measure with the canonical unit id."""
    parts = text.strip().split(None, 1)
    if len(parts) != 2:
        raise RuleViolation(
            f"a quantity is a number and a unit, like '10 kg' or '2 h'; got {text!r}",
            field=field,
            rule="quantity-format",
        )
    value, unit = parts
    try:
        ok = Decimal(value).is_finite()
    except InvalidOperation:
        ok = False
    if not ok:
        raise RuleViolation(
            f"{value!r} is not a decimal number", field=f"{field}.hasNumericalValue", rule="type"
        )
    try:
        unit_id = canonical_unit_id(unit.strip())
    except UnitError as err:
        raise UnitError(err.message, field=f"{field}.hasUnit", rule=err.rule) from None
    return {"hasNumericalValue": value, "hasUnit": unit_id}


def event_body(agent: str, base: dict[str, Any] | None, flags: EventFlags) -> dict[str, Any]:
    """The ``vf.event`` body: ``base`` (a whole body or a bare event) with the flags on top.

    Provider and receiver default to the acting agent, the usual case for raise, produce, consume
    and work; a transfer names its receiver.
    """
    base = dict(base or {})
    if isinstance(base.get("event"), dict):
        event = dict(base["event"])
        new = dict(base.get("newInventoriedResource") or {})
        extra = sorted(set(base) - {"event", "newInventoriedResource"})
        if extra:
            raise RuleViolation(
                f"unknown field {extra[0]!r}", field=f"body.{extra[0]}", rule="known-fields"
            )
    else:
        event, new = base, {}
    for attr, key in _EVENT_FIELD.items():
        value = getattr(flags, attr)
        if value is not None:
            event[key] = value
    if flags.quantity is not None:
        event["resourceQuantity"] = parse_quantity(flags.quantity, "event.resourceQuantity")
    if flags.effort is not None:
        event["effortQuantity"] = parse_quantity(flags.effort, "event.effortQuantity")
    for attr, key in _NEW_FIELD.items():
        value = getattr(flags, attr)
        if value is not None:
            new[key] = value
    event.setdefault("provider", agent)
    event.setdefault("receiver", agent)
    body: dict[str, Any] = {"event": event}
    if new:
        body["newInventoriedResource"] = new
    return body


def flags_given(flags: EventFlags) -> bool:
    return any(getattr(flags, f.name) is not None for f in fields(flags))


def signing_key(node: Node, agent: str, passphrase: str | None = None) -> KeyPair:
    """The acting agent's key; only agents whose keys this node keeps can act from its CLI."""
    if not node.keystore.has(agent):
        raise NotFound(
            f"this node keeps no key for agent {agent!r}; see `reflow agent list`",
            field="as",
            rule="key-in-keystore",
        )
    return node.key(agent, passphrase)


def add_agent(
    node: Node,
    type_name: str,
    name: str,
    *,
    note: str | None = None,
    passphrase: str | None = None,
) -> dict[str, Any]:
    """Create a key in the node's keystore and declare the agent; its id is the public key."""
    if type_name not in AGENT_TYPES:
        raise RuleViolation(
            f"{type_name!r} is not an agent type; use one of {', '.join(sorted(AGENT_TYPES))}",
            field="type",
            rule="agent-type",
        )
    data: dict[str, Any] = {"name": name}
    if note:
        data["note"] = note
    key = node.new_agent(type_name, data, label=name, passphrase=passphrase)
    return {"id": key.public, "type": type_name, "name": name}


def record_event(
    node: Node, agent: str, body: dict[str, Any], passphrase: str | None = None
) -> dict[str, Any]:
    """Sign and submit a ``vf.event``; returns the record hash and the ids it created."""
    receipt = node.submit(signing_key(node, agent, passphrase), "vf.event", body)
    return {"record": receipt.hash, "status": receipt.status, "created": dict(receipt.created)}


def create_object(
    node: Node,
    agent: str,
    type_name: str,
    data: dict[str, Any],
    passphrase: str | None = None,
) -> dict[str, Any]:
    """Sign and submit a ``vf.create`` (place, specification, process…); returns its id."""
    body = {"type": type_name, "data": data}
    receipt = node.submit(signing_key(node, agent, passphrase), "vf.create", body)
    return {
        "record": receipt.hash,
        "status": receipt.status,
        "type": type_name,
        "id": receipt.created.get(type_name),
    }
