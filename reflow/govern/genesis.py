"""A network's genesis and the contracts it attaches to record kinds.

* ``network.genesis`` {name, description, membership: {policy, k, stewards}, roles, units,
  classificationSchemes, valueEquation?, contracts?} — the network id is the sha256 of the
  canonical genesis *body* (not of the record, which itself carries the id), so a genesis can name
  its own network and no other: the ledger accepts one only if its body hashes to the network.
  The founder's key signs it (seq 1 of the founder's chain) and becomes a steward.
* ``network.contract`` {name, kind, condition, message, zencode, approvals} — attach a Zencode
  contract to a record kind later, with the consent of k stewards.
* ``network.cosign`` {subject: {author, seq, kind, bodyHash}, cosigner, signature} — a steward's
  co-signature of a record to come, read by contracts such as ``cosign.zen``; the record that
  needs it lists this one in its ``deps``, so every node has it before judging.
"""

from __future__ import annotations

import hashlib
from typing import Any

from reflow.errors import AuthorisationError, ConflictError, RuleViolation
from reflow.govern import state
from reflow.govern.zencontracts import (
    approval_document,
    check_approvals,
    check_condition,
    contract_text,
    require_quorum,
)
from reflow.identity.rotation import agent_of
from reflow.ledger.canonical import canonical_bytes
from reflow.ledger.changes import Changes
from reflow.ledger.context import Context
from reflow.ledger.keys import verify_key

# What each role may record (fnmatch patterns of record kinds); a genesis may override them.
DEFAULT_ROLES: dict[str, dict[str, list[str]]] = {
    "steward": {"may": ["*"]},
    "member": {"may": ["*"], "not": ["network.contract"]},
    "observer": {"may": ["agent.declare", "key.*", "member.join", "member.leave"]},
}
GENESIS_FIELDS = {
    "name", "description", "membership", "roles", "units", "classificationSchemes",
    "valueEquation", "contracts",
}  # fmt: skip


def network_id_of(genesis_body: dict[str, Any]) -> str:
    """The network id: sha256 of the canonical genesis body."""
    return hashlib.sha256(canonical_bytes(genesis_body)).hexdigest()


def _bad(message: str, field: str, rule: str = "genesis") -> RuleViolation:
    return RuleViolation(message, field=field, rule=rule)


def check_attachment(att: Any, where: str) -> dict[str, Any]:
    """An attached contract: {name, kind, condition, message, zencode}."""
    if not isinstance(att, dict):
        raise _bad("a contract attachment is an object", where, "contract")
    for key in ("name", "kind", "message", "zencode"):
        if not isinstance(att.get(key), str) or not att[key]:
            raise _bad(f"the contract needs {key!r} (text)", f"{where}.{key}", "contract")
    return {
        "name": att["name"],
        "kind": att["kind"],
        "condition": check_condition(att.get("condition", {}), f"{where}.condition"),
        "message": att["message"],
        "zencode": att["zencode"],
    }


def _check_keys(keys: Any, where: str) -> list[str]:
    if not isinstance(keys, list):
        raise _bad("stewards is a list of public keys", where)
    for i, key in enumerate(keys):
        try:
            verify_key(key)
        except Exception:
            raise _bad("not an Ed25519 public key", f"{where}[{i}]") from None
    return [str(k) for k in keys]


def check_genesis(body: dict[str, Any], founder: str) -> dict[str, Any]:
    """Validate a genesis body; returns the network's settings as the ``Network`` object holds."""
    unknown = sorted(set(body) - GENESIS_FIELDS)
    if unknown:
        raise _bad(f"unknown genesis field {unknown[0]!r}", f"body.{unknown[0]}")
    if not isinstance(body.get("name"), str) or not body["name"]:
        raise _bad("a network has a name", "body.name")
    ms = body.get("membership", {"policy": "open"})
    if not isinstance(ms, dict):
        raise _bad("membership is an object", "body.membership")
    policy = ms.get("policy", "open")
    if policy not in state.POLICIES:
        raise _bad(f"policy is one of {', '.join(state.POLICIES)}", "body.membership.policy")
    stewards = sorted({*_check_keys(ms.get("stewards", []), "body.membership.stewards"), founder})
    k = ms.get("k", 1)
    if type(k) is not int or not 1 <= k <= len(stewards):
        raise _bad(f"k must be between 1 and the {len(stewards)} stewards", "body.membership.k")
    roles = body.get("roles", DEFAULT_ROLES)
    if not isinstance(roles, dict) or not set(state.ROLES) <= set(roles):
        raise _bad("roles must define steward, member and observer", "body.roles")
    contracts = [
        check_attachment(att, f"body.contracts[{i}]")
        for i, att in enumerate(body.get("contracts", []))
    ]
    return {
        "name": body["name"],
        "description": body.get("description", ""),
        "policy": policy,
        "k": k,
        "stewards": stewards,
        "founder": founder,
        "roles": roles,
        "contracts": contracts,
    }


def genesis(ctx: Context) -> Changes:
    rec = ctx.record
    if network_id_of(rec.body) != rec.network:
        raise RuleViolation(
            "the network id must be the sha256 of the canonical genesis body",
            field="network",
            rule="genesis-names-network",
        )
    if state.genesis_of(ctx.view, rec.network) is not None:
        raise ConflictError(
            "this network already has its genesis", field="kind", rule="one-genesis"
        )
    data = check_genesis(rec.body, ctx.author)
    oid = state.index_id(state.NETWORK, rec.network)
    changes = Changes(objects={oid: state.index_object(ctx, state.NETWORK, oid, data)})
    changes.rows.append(
        ("govern_networks", {
            "id": rec.network, "name": data["name"], "description": data["description"],
            "founder": ctx.author, "policy": data["policy"], "k": str(data["k"]),
            "record": rec.hash, "genesis": state.dumps(rec.body),
        })
    )  # fmt: skip
    for steward in data["stewards"]:
        state.put_member(ctx, changes, steward, "steward", "active", "genesis")
    for i, att in enumerate(data["contracts"]):
        changes.rows.append(_contract_row(ctx, ctx.id(f"contract{i}"), att))
    changes.created["Network"] = rec.network
    return changes


def _contract_row(ctx: Context, cid: str, att: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return (
        "govern_contracts",
        {
            "id": cid, "name": att["name"], "kind": att["kind"],
            "condition": state.dumps(att["condition"]), "message": att["message"],
            "zencode": att["zencode"], "record": ctx.record.hash,
        },
    )  # fmt: skip


def _governed(ctx: Context) -> Any:
    net = state.genesis_of(ctx.view, ctx.record.network)
    if net is None:
        raise RuleViolation(
            "this network has no genesis, so no stewards", field="network", rule="governed"
        )
    return net


def attach_contract(ctx: Context) -> Changes:
    net = _governed(ctx)
    body = ctx.record.body
    att = check_attachment({k: v for k, v in body.items() if k != "approvals"}, "body")
    doc = approval_document(
        ctx.record.network, "network.contract", hashlib.sha256(canonical_bytes(att)).hexdigest()
    )
    require_quorum(ctx, check_approvals(ctx, doc, body.get("approvals"), "body.approvals"), "body")
    data = {**net.data, "contracts": [*net.data.get("contracts", []), att]}
    changes = Changes(objects={net.id: state.index_object(ctx, state.NETWORK, net.id, data)})
    changes.rows.append(_contract_row(ctx, ctx.id("contract"), att))
    changes.created["contract"] = ctx.id("contract")
    return changes


def record_cosign(ctx: Context) -> Changes:
    body = ctx.record.body
    subject = body.get("subject")
    if not isinstance(subject, dict) or not {"author", "seq", "kind", "bodyHash"} <= set(subject):
        raise RuleViolation(
            "subject is {author, seq, kind, bodyHash}", field="body.subject", rule="required"
        )
    for key in ("cosigner", "signature"):
        if not isinstance(body.get(key), str):
            raise RuleViolation(f"the body needs {key!r}", field=f"body.{key}", rule="required")
    author, seq = str(subject["author"]), subject["seq"]
    if type(seq) is not int:
        raise RuleViolation("seq is an integer", field="body.subject.seq", rule="type")
    signer = agent_of(ctx.view, ctx.author)
    if signer != agent_of(ctx.view, author) and signer not in state.stewards(
        ctx.view, ctx.record.network
    ):
        raise AuthorisationError(
            "only the record's author or a steward may publish its co-signature",
            field="body.subject.author",
            rule="cosign-publisher",
        )
    oid = state.index_id(state.COSIGN, author, str(seq))
    data = {
        "author": author, "seq": seq, "kind": subject["kind"], "bodyHash": subject["bodyHash"],
        "cosigner": body["cosigner"], "signature": body["signature"],
    }  # fmt: skip
    return Changes(objects={oid: state.index_object(ctx, state.COSIGN, oid, data)})


def packaged_attachment(
    name: str, kind: str, condition: dict[str, Any], message: str
) -> dict[str, Any]:
    """An attachment of one of the contracts shipped in ``reflow/govern/contracts``.

    The contract's full text goes into the record, so every node runs the very same contract
    whatever version of ReflowOS it runs.
    """
    return {
        "name": name,
        "kind": kind,
        "condition": condition,
        "message": message,
        "zencode": contract_text(name),
    }
