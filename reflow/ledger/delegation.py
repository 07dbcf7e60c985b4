"""Delegation: an agent lets a node's key write to the agent's own chain.

An agent that keeps its own key, but talks to a node the way Zenflows clients do (a signed
request, no signed record), cannot have the node sign records as itself. Instead it signs, once,
a ``delegation.grant`` record in its own chain: "records of these kinds in my chain may be signed
by this node key, until then". The node then writes each request's record in the agent's chain,
signed with the node key, and keeps the raw request and the agent's signature of it in the record
(``@delegation``, see ``reflow.ledger.records``) as proof that the agent asked for it.

* ``delegation.grant`` {key, kinds, expires?} — signed by the agent itself.
* ``delegation.revoke`` {grant} — signed by the agent itself; the grant's later use is refused.

Every node judges a delegated record alike, from the agent's chain alone: the grant is an earlier
record of the same chain, the revocation too, and the expiry is compared with the record's own
``created``. A delegate may not grant, revoke or rotate keys: it cannot extend its own power.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reflow.errors import AuthorisationError, ConflictError, RuleViolation, SignatureError
from reflow.ledger.changes import Changes, VfObject
from reflow.ledger.context import BatchView, Context
from reflow.ledger.keys import KeyPair, verify_key
from reflow.ledger.kinds import register_kind, register_policy
from reflow.ledger.records import DELEGATION, KIND_PATTERN, derive_id

GRANT_TYPE = "Delegation"  # type of the grants' objects (not a VF type)
# What a delegate may never write for an agent: more power for itself, or the agent's keys.
RESERVED_KINDS = frozenset({"delegation.grant", "delegation.revoke", "key.rotate", "key.revoke"})
GRANT_FIELDS = frozenset({"key", "kinds", "expires"})


@dataclass(frozen=True)
class DelegatedKey(KeyPair):
    """A node's key writing records in ``agent``'s chain under the agent's grants.

    ``public`` is the author the records name (the agent); ``sign`` signs with the node key
    (``secret``). Each record it signs carries the proof: the grant that covers the record's kind
    (the newest; the first given if none does, and the ledger says why it refuses), the node key
    and the request the agent signed.
    """

    agent: str = ""
    key: str = ""  # the node's public key (the delegate)
    grants: tuple[tuple[str, frozenset[str]], ...] = ()  # (grant record hash, kinds), newest first
    request: str = ""  # the raw request the agent signed (UTF-8)
    request_sig: str = ""  # the agent's base64 Ed25519 signature of it

    @property
    def public(self) -> str:
        return self.agent

    def delegation_proof(self, kind: str) -> dict[str, str]:
        if not self.grants:
            raise ValueError("a delegated key needs at least one grant")
        grant = next((g for g, kinds in self.grants if kind in kinds), self.grants[0][0])
        return {
            "grant": grant,
            "key": self.key,
            "request": self.request,
            "requestSig": self.request_sig,
        }


def grant_id(grant_hash: str) -> str:
    """The id of a grant's object: the id its record creates (the same on every node)."""
    return derive_id(grant_hash)


def get_grant(view: BatchView, grant_hash: str) -> VfObject | None:
    obj = view.object(grant_id(grant_hash))
    if obj is None or obj.type != GRANT_TYPE or obj.data.get("grant") != grant_hash:
        return None
    return obj


def parse_time(value: str, field: str) -> datetime:
    """An ISO 8601 date-time with its offset (naive times would mean different instants)."""
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RuleViolation(
            f"{value!r} is not an ISO 8601 date-time", field=field, rule="datetime"
        ) from None
    if when.tzinfo is None:
        raise RuleViolation(
            "a date-time needs its offset (e.g. 2030-01-01T00:00:00Z)", field=field, rule="datetime"
        )
    return when


def refusal(grant: VfObject, author: str, key: str, kind: str | None, at: str) -> str | None:
    """Why ``key`` may not write a ``kind`` record in ``author``'s chain at ``at``, or None.

    Shared by the ledger's policy and by a node choosing which grant to sign under, so a node
    never signs what every node would refuse. ``kind`` None asks about the grant alone.
    """
    if grant.author != author:
        return "the delegation was granted by another agent"
    if grant.data["key"] != key:
        return f"the delegation names the key {grant.data['key']}, not {key}"
    if grant.data.get("revokedBy"):
        return f"the delegation was revoked (record {grant.data['revokedBy']})"
    expires = grant.data.get("expires")
    if expires is not None and parse_time(at, "created") >= parse_time(expires, "expires"):
        return f"the delegation expired at {expires}"
    if kind is not None and kind not in grant.data["kinds"]:
        allowed = ", ".join(grant.data["kinds"])
        return f"the delegation does not cover {kind!r} records (only {allowed})"
    return None


_RULES = {
    "another agent": "delegation-own",
    "names the key": "delegation-key",
    "revoked": "delegation-revoked",
    "expired": "delegation-expired",
    "does not cover": "delegation-scope",
}


def refusal_error(reason: str, field: str) -> AuthorisationError:
    rule = next((r for words, r in _RULES.items() if words in reason), "delegation")
    return AuthorisationError(reason, field=field, rule=rule)


# -- the record kinds --------------------------------------------------------------------------


def grant_delegation(ctx: Context) -> Changes:
    body = ctx.record.body
    unknown = sorted(set(body) - GRANT_FIELDS)
    if unknown:
        raise RuleViolation(
            f"unknown field {unknown[0]!r}", field=f"body.{unknown[0]}", rule="known-fields"
        )
    key = body.get("key")
    if not isinstance(key, str):
        raise RuleViolation("the body needs 'key'", field="body.key", rule="required")
    try:
        verify_key(key)
    except SignatureError:
        raise RuleViolation(
            "key is not an Ed25519 public key (base58)", field="body.key", rule="key"
        ) from None
    if key == ctx.author:
        raise RuleViolation(
            "an agent signs its own records without a delegation", field="body.key", rule="key"
        )
    kinds = body.get("kinds")
    if not isinstance(kinds, list) or not kinds or not all(isinstance(k, str) for k in kinds):
        raise RuleViolation(
            "kinds must list the record kinds the key may write (e.g. ['vf.event'])",
            field="body.kinds",
            rule="delegation-scope",
        )
    for i, kind in enumerate(kinds):
        if not KIND_PATTERN.fullmatch(kind):
            raise RuleViolation(
                f"{kind!r} is not a record kind", field=f"body.kinds[{i}]", rule="delegation-scope"
            )
        if kind in RESERVED_KINDS:
            raise RuleViolation(
                f"{kind!r} records are signed by the agent itself, never delegated",
                field=f"body.kinds[{i}]",
                rule="delegation-scope",
            )
    data: dict[str, Any] = {"grant": ctx.record.hash, "key": key, "kinds": sorted(set(kinds))}
    expires = body.get("expires")
    if expires is not None:
        if not isinstance(expires, str):
            raise RuleViolation(
                "expires must be an ISO 8601 date-time", field="body.expires", rule="datetime"
            )
        if parse_time(expires, "body.expires") <= parse_time(ctx.record.created, "created"):
            raise RuleViolation(
                "the delegation would expire before it is granted",
                field="body.expires",
                rule="expires-later",
            )
        data["expires"] = expires
    obj = VfObject(GRANT_TYPE, ctx.id(), data, ctx.author, ctx.record.hash, ctx.record.created)
    return Changes(objects={obj.id: obj}, created={GRANT_TYPE: obj.id})


def revoke_delegation(ctx: Context) -> Changes:
    body = ctx.record.body
    target = body.get("grant")
    if not isinstance(target, str):
        raise RuleViolation(
            "the body needs 'grant' (the hash of the delegation record)",
            field="body.grant",
            rule="required",
        )
    grant = get_grant(ctx.view, target)
    if grant is None:
        raise AuthorisationError(
            f"no delegation {target}", field="body.grant", rule="delegation-exists"
        )
    if grant.author != ctx.author:
        raise AuthorisationError(
            "only the agent that granted a delegation may revoke it",
            field="body.grant",
            rule="delegation-own",
        )
    if grant.data.get("revokedBy"):
        raise ConflictError(
            "the delegation is already revoked", field="body.grant", rule="revoke-once"
        )
    data = {**grant.data, "revokedBy": ctx.record.hash}
    obj = VfObject(GRANT_TYPE, grant.id, data, grant.author, ctx.record.hash, grant.created)
    return Changes(objects={obj.id: obj})


def delegated_writes(ctx: Context) -> None:
    """A record signed by a delegate is accepted only under a live grant that covers it."""
    proof = ctx.record.delegation
    if proof is None:
        return
    where = f"body.{DELEGATION}"
    if ctx.record.kind in RESERVED_KINDS:
        raise AuthorisationError(
            f"{ctx.record.kind!r} records must be signed by the agent itself",
            field="kind",
            rule="delegation-scope",
        )
    grant = get_grant(ctx.view, proof["grant"])
    if grant is None:
        raise AuthorisationError(
            f"the author granted no delegation {proof['grant']}",
            field=f"{where}.grant",
            rule="delegation-exists",
        )
    reason = refusal(grant, ctx.author, proof["key"], ctx.record.kind, ctx.record.created)
    if reason is not None:
        raise refusal_error(reason, where)


register_kind("delegation.grant", grant_delegation, "let a node key write to the agent's chain")
register_kind("delegation.revoke", revoke_delegation, "end a delegation the agent granted")
register_policy("delegated-writes", delegated_writes)
