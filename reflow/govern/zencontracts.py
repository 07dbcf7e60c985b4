"""The network's Zencode contracts: stewards' approvals and contracts attached to record kinds.

Membership approvals, removals and new network contracts need k of the stewards' signatures.
Each signature is checked by ``contracts/approve.zen`` — the text a steward can read to know
exactly what their signature allows — run once per signature (~7 ms each; these records are
rare). Any signature that does not hold rejects the record: a forged approval is never silently
dropped.

A network may also attach a Zencode contract to a record kind with a condition (checked here, in
exact decimal arithmetic, so Zenroom runs only when the condition holds). When it holds, the
contract runs on every node with the same inputs, so every node reaches the same verdict; a
contract that fails rejects the record with the attachment's message and Zenroom's reason.
"""

from __future__ import annotations

import base64
import hashlib
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from reflow.errors import ReflowError, RuleViolation, SignatureError, UnitError
from reflow.govern import state
from reflow.identity.rotation import agent_of
from reflow.identity.zencode import execute, failure_message
from reflow.identity.zenroom_compat import signature_to_zenroom
from reflow.ledger.canonical import canonical_bytes
from reflow.ledger.context import Context
from reflow.vf.measure import Measure
from reflow.vf.units import convert

APPROVAL_PURPOSE = "reflow approval"
COSIGN_PURPOSE = "reflow cosign"


@cache
def contract_text(name: str) -> str:
    """The text of ``reflow/govern/contracts/<name>.zen``."""
    path = resources.files("reflow.govern").joinpath("contracts", f"{name}.zen")
    if not name.replace("-", "_").isidentifier() or not path.is_file():
        raise ReflowError(f"no network contract named {name!r}", field="contract")
    return path.read_text(encoding="utf-8")


def approval_document(network: str, action: str, subject: str, role: str = "") -> bytes:
    """What a steward signs to approve ``action`` (a record kind) about ``subject``."""
    return canonical_bytes(
        {
            "purpose": APPROVAL_PURPOSE,
            "network": network,
            "action": action,
            "subject": subject,
            "role": role,
        }
    )


def check_approvals(ctx: Context, document: bytes, approvals: Any, where: str) -> set[str]:
    """Stewards who consent: the signer if a steward, plus every approval (all must verify)."""
    stewards = state.stewards(ctx.view, ctx.record.network)
    consenting: set[str] = set()
    signer = agent_of(ctx.view, ctx.author)
    if signer in stewards:
        consenting.add(signer)
    if approvals is None:
        approvals = []
    if not isinstance(approvals, list):
        raise RuleViolation("approvals must be a list", field=where, rule="approvals")
    message = base64.b64encode(document).decode("ascii")
    for i, item in enumerate(approvals):
        field = f"{where}[{i}]"
        if not isinstance(item, dict) or not {"steward", "signature"} <= set(item):
            raise RuleViolation(
                "an approval is {steward, signature}", field=field, rule="approvals"
            )
        try:
            zsig = signature_to_zenroom(str(item["signature"]))
        except SignatureError:
            raise SignatureError(
                "the approval's signature is malformed", field=field, rule="steward-approval"
            ) from None
        run = execute(
            contract_text("approve"),
            data={
                "stewards": stewards,
                "steward": str(item["steward"]),
                "eddsa_signature": zsig,
                "approval": message,
            },
        )
        if run.exit_code != 0:
            raise SignatureError(
                f"approval {i} does not hold: {failure_message(run)}",
                field=field,
                rule="steward-approval",
            )
        consenting.add(str(item["steward"]))
    return consenting


def require_quorum(ctx: Context, consenting: set[str], where: str) -> None:
    net = state.genesis_of(ctx.view, ctx.record.network)
    k = int(net.data.get("k", 1)) if net is not None else 1
    if len(consenting) < k:
        raise RuleViolation(
            f"{len(consenting)} of the stewards approved; the network needs {k}",
            field=where,
            rule="k-of-n-stewards",
        )


# -- contracts attached to record kinds ---------------------------------------------------------


def check_condition(condition: Any, where: str) -> dict[str, Any]:
    """Validate an attachment's condition: {action?: [...], quantityOver?: measure}."""
    if not isinstance(condition, dict):
        raise RuleViolation("a condition is an object", field=where, rule="contract-condition")
    unknown = sorted(set(condition) - {"action", "quantityOver"})
    if unknown:
        raise RuleViolation(
            f"unknown condition {unknown[0]!r}", field=f"{where}.{unknown[0]}",
            rule="contract-condition",
        )  # fmt: skip
    actions = condition.get("action")
    if actions is not None and not (
        isinstance(actions, list) and all(isinstance(a, str) for a in actions)
    ):
        raise RuleViolation(
            "action is a list of action ids", field=f"{where}.action", rule="contract-condition"
        )
    if condition.get("quantityOver") is not None:
        Measure.from_vf(condition["quantityOver"], f"{where}.quantityOver")
    return condition


def condition_holds(condition: dict[str, Any], body: dict[str, Any]) -> bool:
    event = body.get("event")
    if not isinstance(event, dict):
        return not condition  # conditions speak of events; other kinds match only "always"
    actions = condition.get("action")
    if actions is not None and event.get("action") not in actions:
        return False
    over = condition.get("quantityOver")
    if over is not None:
        try:
            limit = Measure.from_vf(over, "condition.quantityOver")
            qty = Measure.from_vf(event.get("resourceQuantity"), "event.resourceQuantity")
            value: Decimal = convert(qty.value, qty.unit, limit.unit)
        except (RuleViolation, UnitError):
            return False  # no comparable quantity: the condition does not speak of it
        return value > limit.value
    return True


def cosign_document(network: str, author: str, seq: int, kind: str, body: dict[str, Any]) -> bytes:
    """What a steward signs to co-sign the record an author is about to make."""
    return canonical_bytes(
        {
            "purpose": COSIGN_PURPOSE,
            "network": network,
            "author": author,
            "seq": seq,
            "kind": kind,
            "bodyHash": body_hash(body),
        }
    )


def body_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(body)).hexdigest()


def run_attached(ctx: Context, net_data: dict[str, Any]) -> None:
    """Run the contracts the network attached to this record's kind whose condition holds."""
    rec = ctx.record
    for att in net_data.get("contracts", ()):
        if att["kind"] != rec.kind or not condition_holds(att["condition"], rec.body):
            continue
        data: dict[str, Any] = {"stewards": list(net_data.get("stewards", []))}
        co = state.cosign(ctx.view, rec.author, rec.seq)
        if co is not None and co.data["bodyHash"] == body_hash(rec.body):
            data["cosigner"] = co.data["cosigner"]
            data["eddsa_signature"] = signature_to_zenroom(co.data["signature"])
        doc = cosign_document(rec.network, rec.author, rec.seq, rec.kind, rec.body)
        data["cosigned"] = base64.b64encode(doc).decode("ascii")
        run = execute(att["zencode"], data=data)
        if run.exit_code != 0:
            raise RuleViolation(
                f"{att['message']} ({failure_message(run)})",
                field="body",
                rule=f"contract:{att['name']}",
            )
