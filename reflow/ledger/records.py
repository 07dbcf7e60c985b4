"""Records: the signed, append-only entries every fact enters the system as.

A record is ``{network, author, seq, prev, deps, kind, body, created}`` plus ``sig``. Its hash is
the sha256 of the canonical (RFC 8785) bytes of everything but ``sig``, and ``sig`` is the Ed25519
signature of those same bytes by ``author`` — bytes, not a digest, so a Zencode contract that
signs the canonical JSON string produces the very same signature. Objects a record creates are
named from its hash (``derive_id``), so every node names them alike without coordination.

A record written under a *delegation* (``reflow.ledger.delegation``) is signed by the node key
the author delegated to, not by the author; its body then carries ``@delegation``: the grant, the
signing key, and the author's signed request as proof of intent. ``Record.body`` is the body
without it (what the kind's rules judge) and ``Record.delegation`` the proof; ``to_dict`` puts
them back together, so the bytes signed and hashed are the ones sent.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any, Final, final

from reflow.errors import RuleViolation, SignatureError
from reflow.ledger.canonical import canonical_bytes
from reflow.ledger.keys import KeyPair, verify
from reflow.vf.fixed import Fixed

RECORD_FIELDS = ("network", "author", "seq", "prev", "deps", "kind", "body", "created")
_HEX64 = re.compile(r"[0-9a-f]{64}")
KIND_PATTERN = re.compile(r"[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)+")
MAX_RECORD_BYTES = 256 * 1024
DELEGATION = "@delegation"  # the body key of a delegated record's proof
DELEGATION_FIELDS = ("grant", "key", "request", "requestSig")
# A Record's attributes, in its constructor's order.
FIELDS = (*RECORD_FIELDS, "sig", "payload", "hash", "delegation")


@final
class Record(Fixed):
    """A shape-checked record: ``payload`` = canonical unsigned bytes, ``hash`` = their sha256.

    Immutable: a field, once set, cannot be assigned again. A plain class, not a frozen
    dataclass: compiled, its constructor is native code that sets the fields directly, where a
    frozen dataclass's sets each of its twelve through ``object.__setattr__`` (a node makes one
    for every record it receives: measured, a fifth of the time to parse one).
    """

    def __init__(
        self,
        network: str,
        author: str,
        seq: int,
        prev: str | None,
        deps: tuple[str, ...],
        kind: str,
        body: dict[str, Any],
        created: str,
        sig: str,
        payload: bytes,
        hash: str,
        delegation: dict[str, str] | None = None,
    ) -> None:
        self.network: Final = network
        self.author: Final = author
        self.seq: Final = seq
        self.prev: Final = prev
        self.deps: Final = deps
        self.kind: Final = kind
        self.body: Final = body
        self.created: Final = created
        self.sig: Final = sig
        self.payload: Final = payload
        self.hash: Final = hash
        # The proof of a record a delegated key signed for its author (None: the author signed).
        self.delegation: Final = delegation
        self._sealed = True

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        # the hash covers every field but the signature (the payload is what it hashes)
        return (self.hash, self.sig, self.payload) == (other.hash, other.sig, other.payload)

    def __hash__(self) -> int:
        return hash((self.hash, self.sig))

    def __repr__(self) -> str:
        return (
            f"Record(kind={self.kind!r}, author={self.author!r}, seq={self.seq}, "
            f"hash={self.hash!r})"
        )

    def replace(self, **changes: Any) -> Record:
        """A copy with some fields changed, as given: nothing is recomputed or checked (what a
        tampered or forged record looks like; ``record_from_dict`` makes real ones)."""
        fields = {name: getattr(self, name) for name in FIELDS}
        fields.update(changes)
        return Record(**fields)

    @property
    def signed_body(self) -> dict[str, Any]:
        """The body as signed: with the delegation's proof, if any."""
        if self.delegation is None:
            return self.body
        return {**self.body, DELEGATION: self.delegation}

    def to_dict(self) -> dict[str, Any]:
        return {
            "network": self.network, "author": self.author, "seq": self.seq, "prev": self.prev,
            "deps": list(self.deps), "kind": self.kind, "body": self.signed_body,
            "created": self.created, "sig": self.sig,
        }  # fmt: skip

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def verify_signature(self) -> None:
        """The author's signature; for a delegated record, the delegate's signature and the
        author's signature of the request it carries (whether the author granted that key
        this power is the ledger's question: it needs the chain's state)."""
        if self.delegation is None:
            verify(self.author, self.payload, self.sig)
            return
        verify(self.delegation["key"], self.payload, self.sig)
        try:
            verify(self.author, self.delegation["request"].encode(), self.delegation["requestSig"])
        except SignatureError as exc:
            raise SignatureError(
                f"the request kept as proof is not signed by the author: {exc.message}",
                field=f"body.{DELEGATION}.requestSig",
                rule="delegation-proof",
            ) from None


def _bad(message: str, field: str) -> RuleViolation:
    return RuleViolation(message, field=field, rule="record-shape")


def _unsigned(d: dict[str, Any]) -> dict[str, Any]:
    return {k: d[k] for k in RECORD_FIELDS}


def _check_shape(d: Any) -> None:
    if not isinstance(d, dict):
        raise _bad("a record must be a JSON object", "record")
    missing = [k for k in (*RECORD_FIELDS, "sig") if k not in d]
    if missing:
        raise _bad(f"the record has no {missing[0]!r}", missing[0])
    extra = sorted(set(d) - {*RECORD_FIELDS, "sig"})
    if extra:
        raise _bad(f"unknown record field {extra[0]!r}", extra[0])
    for key in ("network", "author", "kind", "created", "sig"):
        if not isinstance(d[key], str) or not d[key]:
            raise _bad(f"{key} must be a non-empty string", key)
    if type(d["seq"]) is not int or d["seq"] < 1:
        raise _bad("seq must be an integer counting from 1", "seq")
    prev = d["prev"]
    if d["seq"] == 1:
        if prev is not None:
            raise _bad("the first record of a chain has prev null", "prev")
    elif not isinstance(prev, str) or not _HEX64.fullmatch(prev):
        raise _bad("prev must be the hash of the author's previous record", "prev")
    deps = d["deps"]
    if not isinstance(deps, list) or not all(
        isinstance(x, str) and _HEX64.fullmatch(x) for x in deps
    ):
        raise _bad("deps must be a list of record hashes", "deps")
    if not KIND_PATTERN.fullmatch(d["kind"]):
        raise _bad("kind must look like 'area.operation' (e.g. 'vf.event')", "kind")
    if not isinstance(d["body"], dict):
        raise _bad("body must be an object", "body")
    if DELEGATION in d["body"]:
        _check_delegation(d["body"][DELEGATION])


def _check_delegation(proof: Any) -> None:
    where = f"body.{DELEGATION}"
    if not isinstance(proof, dict):
        raise _bad("a delegation's proof must be an object", where)
    for key in DELEGATION_FIELDS:
        if not isinstance(proof.get(key), str) or not proof[key]:
            raise _bad(f"the delegation's proof needs {key!r} (a string)", f"{where}.{key}")
    extra = sorted(set(proof) - set(DELEGATION_FIELDS))
    if extra:
        raise _bad(f"unknown field {extra[0]!r} in the delegation's proof", f"{where}.{extra[0]}")
    if not _HEX64.fullmatch(proof["grant"]):
        raise _bad("grant must be the hash of the delegation record", f"{where}.grant")


def _split(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str] | None]:
    """The body the rules judge, and the delegation's proof kept beside it."""
    if DELEGATION not in body:
        return body, None
    return {k: v for k, v in body.items() if k != DELEGATION}, body[DELEGATION]


def record_from_dict(d: Any) -> Record:
    """Check a record's shape and compute its canonical bytes and hash (signature not checked)."""
    _check_shape(d)
    payload = canonical_bytes(_unsigned(d))
    if len(payload) > MAX_RECORD_BYTES:
        raise _bad(f"a record may have at most {MAX_RECORD_BYTES} bytes", "body")
    body, delegation = _split(d["body"])
    return Record(
        network=d["network"], author=d["author"], seq=d["seq"], prev=d["prev"],
        deps=tuple(d["deps"]), kind=d["kind"], body=body, created=d["created"],
        sig=d["sig"], payload=payload, hash=hashlib.sha256(payload).hexdigest(),
        delegation=delegation,
    )  # fmt: skip


def record_from_json(text: str | bytes) -> Record:
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise _bad(f"not JSON: {exc}", "record") from None
    return record_from_dict(data)


def verified(d: Any) -> Record:
    """Parse and verify the signature: what a node does with anything it receives."""
    rec = record_from_dict(d)
    rec.verify_signature()
    return rec


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def sign_record(
    key: KeyPair,
    *,
    network: str,
    seq: int,
    prev: str | None,
    kind: str,
    body: dict[str, Any],
    deps: tuple[str, ...] | list[str] = (),
    created: str | None = None,
) -> Record:
    """Make and sign a record as ``key``'s author (a delegated key adds its proof)."""
    proof = key.delegation_proof(kind)
    sorted_deps = sorted(set(deps))
    created = created or now()
    unsigned = {
        "network": network, "author": key.public, "seq": seq, "prev": prev,
        "deps": sorted_deps, "kind": kind,
        "body": body if proof is None else {**body, DELEGATION: proof},
        "created": created,
    }  # fmt: skip
    payload = canonical_bytes(unsigned)
    if proof is not None:  # the request it keeps may be large: peers must accept the record
        _check_delegation(proof)
        if len(payload) > MAX_RECORD_BYTES:
            raise _bad(f"a record may have at most {MAX_RECORD_BYTES} bytes", "body")
    return Record(
        network=network, author=key.public, seq=seq, prev=prev, deps=tuple(sorted_deps),
        kind=kind, body=body, created=created, sig=key.sign(payload),
        payload=payload, hash=hashlib.sha256(payload).hexdigest(), delegation=proof,
    )  # fmt: skip


def derive_id(record_hash: str, role: str = "") -> str:
    """The id of an object a record creates: stable, the same on every node, short enough to read.

    ``role`` tells apart several objects one record creates (``event``, ``resource``, ``to``…).
    """
    if not role:
        return record_hash[:32]
    return hashlib.sha256(f"{record_hash}/{role}".encode()).hexdigest()[:32]


def check_hash(rec: Record, claimed: str) -> None:
    if rec.hash != claimed:
        raise SignatureError(
            f"the record's hash is {rec.hash}, not {claimed}", field="hash", rule="hash"
        )
