"""Key rotation and revocation: an agent keeps its id while the keys that sign for it change.

An agent's id is the public key it declared itself with, and ids never change (they name the
agent in every event, resource and proposal). So a rotation does not rename the agent: it binds a
*new key* to the agent, and from then on records signed by the new key act for the agent (the
ledger's ``ACTING_RESOLVERS``, in ``reflow.ledger.judging``), while the new key keeps its own
chain of records.

* ``key.rotate`` {new_key, sig_by_new} — signed by the current key (the agent's own key or a key
  bound to it). ``sig_by_new`` is the new key's signature of the rotation document (proof that
  whoever announces the key holds it). Decision: the old key is *retired* by its rotation — its
  records after the rotation record (seq > the rotation's seq) are rejected, as a rotation is most
  often made because a key is at risk. Its earlier records stay valid.
* ``key.revoke`` {key, reason, fromSeq?} — signed by any key of the same agent (the key itself
  included). Records of the revoked key at ``fromSeq`` or later are rejected everywhere; without
  ``fromSeq`` a self-revocation retires the key after the revoking record, and a revocation by
  another key refuses every record of that key judged from then on.

The status of every key is kept twice: as a row of ``identity_keys`` for queries, and as a small
``KeyStatus`` object in the store's object cache, which is what the ledger reads on every record
(one dictionary lookup on the hot path; misses are cached too).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

from sqlalchemy import BigInteger, Column, String, Table, Text

from reflow.errors import AuthorisationError, ConflictError, RuleViolation, SignatureError
from reflow.ledger.canonical import canonical_bytes
from reflow.ledger.changes import Changes, VfObject
from reflow.ledger.context import BatchView, Context
from reflow.ledger.judging import ACTING_RESOLVERS
from reflow.ledger.keys import verify, verify_key
from reflow.ledger.kinds import register_kind, register_policy
from reflow.store.schema import PROJECTION_TABLES, metadata
from reflow.store.sqlstore import SERVICE_TABLES

KEY_STATUS = "KeyStatus"  # type of the index objects (not a VF type)
ROTATION_PURPOSE = "reflow key rotation"

identity_keys = Table(
    "identity_keys",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("agent", String(64), nullable=False, index=True),
    Column("status", String(16), nullable=False),  # active | rotated | revoked
    Column("since", String(64), nullable=False),  # hash of the record that set the status
    Column("until_seq", BigInteger),  # records of the key at this seq or later are refused
    Column("replaced_by", String(64)),
    Column("reason", Text),
)
if "identity_keys" not in SERVICE_TABLES:
    SERVICE_TABLES["identity_keys"] = identity_keys
    PROJECTION_TABLES.append(identity_keys)


@lru_cache(maxsize=65536)
def key_index_id(key: str) -> str:
    """The id of the ``KeyStatus`` object of ``key`` (derived, so every node agrees)."""
    return hashlib.sha256(f"reflow:key/{key}".encode()).hexdigest()[:32]


def key_status(view: BatchView, key: str) -> VfObject | None:
    obj = view.object(key_index_id(key))
    return obj if obj is not None and obj.type == KEY_STATUS else None


def agent_of(view: BatchView, key: str) -> str:
    """The agent a key signs for: the agent it was bound to by a rotation, else itself."""
    obj = key_status(view, key)
    return str(obj.data["agent"]) if obj is not None else key


def rotation_document(network: str, agent: str, old_key: str, new_key: str) -> bytes:
    """The bytes the new key signs to prove it is held by whoever announces it."""
    return canonical_bytes(
        {
            "purpose": ROTATION_PURPOSE,
            "network": network,
            "agent": agent,
            "old_key": old_key,
            "new_key": new_key,
        }
    )


def _status(
    ctx: Context,
    key: str,
    agent: str,
    status: str,
    *,
    until_seq: int | None = None,
    replaced_by: str | None = None,
    reason: str | None = None,
) -> Changes:
    data: dict[str, Any] = {"key": key, "agent": agent, "status": status}
    if until_seq is not None:
        data["untilSeq"] = until_seq
    if replaced_by is not None:
        data["replacedBy"] = replaced_by
    if reason is not None:
        data["reason"] = reason
    old = key_status(ctx.view, key)
    oid = key_index_id(key)
    created = old.created if old is not None else ctx.record.created
    obj = VfObject(KEY_STATUS, oid, data, ctx.author, ctx.record.hash, created)
    row = {
        "key": key,
        "agent": agent,
        "status": status,
        "since": ctx.record.hash,
        "until_seq": until_seq,
        "replaced_by": replaced_by,
        "reason": reason,
    }
    return Changes(objects={oid: obj}, rows=[("identity_keys", row)])


def _key_field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise RuleViolation(f"the body needs {name!r}", field=f"body.{name}", rule="required")
    try:
        verify_key(value)
    except SignatureError:
        raise RuleViolation(
            f"{name} is not an Ed25519 public key (base58)", field=f"body.{name}", rule="key"
        ) from None
    return value


def rotate_key(ctx: Context) -> Changes:
    body = ctx.record.body
    new_key = _key_field(body, "new_key")
    proof = body.get("sig_by_new")
    if not isinstance(proof, str):
        raise RuleViolation(
            "the body needs 'sig_by_new'", field="body.sig_by_new", rule="proof-of-possession"
        )
    agent = agent_of(ctx.view, ctx.author)
    if ctx.view.agent(agent) is None:
        raise RuleViolation(
            "only a declared agent's key can be rotated", field="author", rule="declared-author"
        )
    if new_key == ctx.author or key_status(ctx.view, new_key) is not None:
        raise ConflictError(
            "the new key is already in use", field="body.new_key", rule="new-key-unused"
        )
    if ctx.view.object(new_key) is not None:
        raise ConflictError(
            "the new key is already the id of an agent or object",
            field="body.new_key",
            rule="new-key-unused",
        )
    try:
        verify(new_key, rotation_document(ctx.record.network, agent, ctx.author, new_key), proof)
    except SignatureError:
        raise SignatureError(
            "sig_by_new is not the new key's signature of the rotation document",
            field="body.sig_by_new",
            rule="proof-of-possession",
        ) from None
    changes = _status(ctx, new_key, agent, "active")
    changes.merge(
        _status(
            ctx, ctx.author, agent, "rotated", until_seq=ctx.record.seq + 1, replaced_by=new_key
        )
    )
    changes.created["key"] = new_key
    return changes


def revoke_key(ctx: Context) -> Changes:
    body = ctx.record.body
    key = _key_field(body, "key")
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise RuleViolation("reason must be text", field="body.reason", rule="type")
    agent = agent_of(ctx.view, key)
    if agent_of(ctx.view, ctx.author) != agent:
        raise AuthorisationError(
            "only a key of the same agent may revoke a key",
            field="body.key",
            rule="own-key-revokes",
        )
    old = key_status(ctx.view, key)
    if old is not None and old.data["status"] == "revoked":
        raise ConflictError("the key is already revoked", field="body.key", rule="revoke-once")
    from_seq = body.get("fromSeq")
    if from_seq is None:
        from_seq = ctx.record.seq + 1 if key == ctx.author else 1
    elif type(from_seq) is not int or from_seq < 1:
        raise RuleViolation("fromSeq counts from 1", field="body.fromSeq", rule="type")
    if key == ctx.author and from_seq <= ctx.record.seq:
        raise RuleViolation(
            "a key cannot revoke the record that revokes it",
            field="body.fromSeq",
            rule="revoke-later",
        )
    return _status(ctx, key, agent, "revoked", until_seq=from_seq, reason=reason)


def key_policy(ctx: Context) -> None:
    """A rotated or revoked key's records after its retirement are refused on every network."""
    obj = key_status(ctx.view, ctx.author)
    if obj is None or obj.data["status"] == "active":
        return
    until = obj.data.get("untilSeq")
    if until is not None and ctx.record.seq < int(until):
        return
    if obj.data["status"] == "revoked":
        raise AuthorisationError(
            f"the key {ctx.author} was revoked", field="author", rule="key-revoked"
        )
    raise AuthorisationError(
        f"the key {ctx.author} was rotated to {obj.data.get('replacedBy')}; sign with the new key",
        field="author",
        rule="key-rotated",
    )


def acting_for_key(view: BatchView, author: str) -> list[str]:
    """A key bound to an agent by a rotation acts for that agent (status is the policy's job)."""
    agent = agent_of(view, author)
    return [agent] if agent != author else []


register_kind("key.rotate", rotate_key, "bind a new key to the agent and retire the signing key")
register_kind("key.revoke", revoke_key, "revoke one of the agent's keys")
register_policy("identity.key-status", key_policy)
if acting_for_key not in ACTING_RESOLVERS:
    ACTING_RESOLVERS.append(acting_for_key)
