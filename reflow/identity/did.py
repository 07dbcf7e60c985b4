"""DIDs for agents' Ed25519 keys, in the two forms ReflowOS meets.

* ``did:key`` (W3C CCG did:key method): multibase base58btc (``z``) of the multicodec
  ``ed25519-pub`` prefix (varint 0xed, i.e. bytes ``ed 01``) followed by the 32 raw key bytes,
  which is why every Ed25519 did:key starts ``did:key:z6Mk``. Any DID tooling resolves it offline.
* ``did:dyne:<spec>:<base58 key>`` (Dyne's DID method, used by Zenflows and Zenroom tooling):
  the Zenroom ``eddsa_public_key`` text itself under a namespace such as ``reflow`` or
  ``sandbox.signroom``.

A record's ``author`` is the bare base58 key; these functions convert between the three so that
a DID from either ecosystem names the same agent.
"""

from __future__ import annotations

import re

from reflow.errors import RuleViolation
from reflow.ledger.keys import b58decode, b58encode

ED25519_MULTICODEC = b"\xed\x01"
_DID_KEY = "did:key:"
_DID_DYNE = "did:dyne:"
# Dyne's ABNF: idspec := *(ALPHA) *1("." ALPHA); read as one or two dot-separated words.
_DYNE_SPEC = re.compile(r"[A-Za-z]+(?:\.[A-Za-z]+)?")


def did_key(public_b58: str) -> str:
    """``did:key:z6Mk...`` for a base58 Ed25519 public key."""
    raw = _raw_public(public_b58)
    return _DID_KEY + "z" + b58encode(ED25519_MULTICODEC + raw)


def did_dyne(public_b58: str, spec: str = "reflow") -> str:
    """``did:dyne:<spec>:<public_b58>``, Zenflows' form of an agent's DID."""
    _raw_public(public_b58)
    if not _DYNE_SPEC.fullmatch(spec):
        raise RuleViolation(
            f"a did:dyne spec is one or two dot-separated words, not {spec!r}",
            field="did",
            rule="did:dyne",
        )
    return f"{_DID_DYNE}{spec}:{public_b58}"


def public_key_from_did(did: str) -> str:
    """The base58 public key named by a ``did:key``, a ``did:dyne`` or a bare base58 key."""
    if not isinstance(did, str) or not did:
        raise RuleViolation("a DID must be a non-empty string", field="did")
    if did.startswith(_DID_KEY):
        ident = did[len(_DID_KEY) :].split("#", 1)[0]
        if not ident.startswith("z"):
            raise RuleViolation(
                "only base58btc ('z') multibase did:key is supported", field="did", rule="did:key"
            )
        try:
            decoded = b58decode(ident[1:])
        except ValueError as exc:
            raise RuleViolation("did:key is not base58btc", field="did", rule="did:key") from exc
        if decoded[:2] != ED25519_MULTICODEC:
            raise RuleViolation(
                "did:key does not name an Ed25519 key (multicodec 0xed)",
                field="did",
                rule="did:key",
            )
        return b58encode(_check_length(decoded[2:]))
    if did.startswith(_DID_DYNE):
        spec, sep, key = did[len(_DID_DYNE) :].rpartition(":")
        if not sep or not _DYNE_SPEC.fullmatch(spec):
            raise RuleViolation(
                "did:dyne must read did:dyne:<spec>:<base58 key>", field="did", rule="did:dyne"
            )
        _raw_public(key)
        return key
    if did.startswith("did:"):
        raise RuleViolation(
            f"unsupported DID method {did.split(':', 2)[1]!r}", field="did", rule="did-method"
        )
    _raw_public(did)
    return did


def _raw_public(public_b58: str) -> bytes:
    if not isinstance(public_b58, str) or not public_b58:
        raise RuleViolation("an Ed25519 public key must be base58 text", field="did")
    try:
        raw = b58decode(public_b58)
    except ValueError as exc:
        raise RuleViolation("the public key is not base58", field="did") from exc
    _check_length(raw)
    if b58encode(raw) != public_b58:  # e.g. extra leading '1's encode the same number
        raise RuleViolation("the public key is not in canonical base58", field="did")
    return raw


def _check_length(raw: bytes) -> bytes:
    if len(raw) != 32:
        raise RuleViolation(f"an Ed25519 public key has 32 bytes, not {len(raw)}", field="did")
    return raw
