"""Ed25519 keys as ReflowOS and Zenroom write them.

Public keys travel as base58 (Zenroom's and Zenflows' ``eddsa_public_key`` form); they are the
``author`` of records and the ids of agents. Signatures travel as base64, which Zenflows' request
headers use too, and which is cheap on the ingest hot path. Verification goes through libsodium
(PyNaCl); a decoded verify key is cached per author because one author signs many records.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import lru_cache

import base58
import nacl.exceptions
import nacl.signing

from reflow.errors import SignatureError


def b58encode(raw: bytes) -> str:
    return base58.b58encode(raw).decode("ascii")


def b58decode(text: str) -> bytes:
    return base58.b58decode(text.encode("ascii"))


@dataclass(frozen=True)
class KeyPair:
    """An agent's or a node's signing key; ``public`` is what records name as author."""

    secret: bytes  # the 32-byte Ed25519 seed

    @classmethod
    def generate(cls) -> KeyPair:
        return cls(bytes(nacl.signing.SigningKey.generate()))

    @classmethod
    def from_seed_b58(cls, text: str) -> KeyPair:
        return cls(b58decode(text))

    @property
    def _signing_key(self) -> nacl.signing.SigningKey:
        return _signing_key(self.secret)

    @property
    def public(self) -> str:
        return b58encode(bytes(self._signing_key.verify_key))

    @property
    def secret_b58(self) -> str:
        return b58encode(self.secret)

    def sign(self, message: bytes) -> str:
        """Detached Ed25519 signature of ``message``, base64."""
        return base64.b64encode(self._signing_key.sign(message).signature).decode("ascii")

    def delegation_proof(self, kind: str) -> dict[str, str] | None:
        """What a ``kind`` record signed by this key carries to show the author let it sign:
        nothing, for the author's own key (see ``reflow.ledger.delegation.DelegatedKey``)."""
        return None


@lru_cache(maxsize=4096)
def _signing_key(seed: bytes) -> nacl.signing.SigningKey:
    return nacl.signing.SigningKey(seed)


@lru_cache(maxsize=65536)
def verify_key(public_b58: str) -> nacl.signing.VerifyKey:
    """Decode an author's public key once; bad keys raise SignatureError naming the field."""
    try:
        raw = b58decode(public_b58)
    except ValueError as exc:
        raise SignatureError("the public key is not base58", field="author") from exc
    if len(raw) != 32:
        raise SignatureError("an Ed25519 public key has 32 bytes", field="author")
    return nacl.signing.VerifyKey(raw)


def verify(public_b58: str, message: bytes, signature_b64: str) -> None:
    """Raise SignatureError unless ``signature_b64`` signs ``message`` for ``public_b58``."""
    try:
        sig = base64.b64decode(signature_b64, validate=True)
    except (ValueError, TypeError) as exc:
        raise SignatureError("the signature is not base64", field="sig") from exc
    if len(sig) != 64:
        raise SignatureError("an Ed25519 signature has 64 bytes", field="sig")
    try:
        verify_key(public_b58).verify(message, sig)
    except nacl.exceptions.BadSignatureError:
        raise SignatureError(
            "the signature does not match the record and its author", field="sig"
        ) from None
