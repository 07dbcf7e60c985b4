"""Zenroom's EdDSA and ReflowOS's PyNaCl keys are the same Ed25519; this module converts forms.

What Zenroom 3.17.1 writes (checked against PyNaCl in ``tests/test_identity_zenroom.py``):

* ``keyring.eddsa``: the 32-byte Ed25519 *seed* (RFC 8032 private key), base58 — the very bytes
  of ``KeyPair.secret``, not libsodium's 64-byte seed‖public form;
* ``eddsa_public_key``: the 32-byte public key, base58 — the same text as ``KeyPair.public``;
* ``eddsa_signature``: the 64-byte RFC 8032 signature, base58 (ReflowOS carries base64);
* the signed message: Zenroom signs the bytes of the ``message`` octet exactly. Given as a
  ``'string'`` in ``data`` those are its UTF-8 bytes, so ``message.encode()`` is what PyNaCl must
  verify. (A dictionary would be signed in Zenroom's own serialisation, so records always go in as
  their canonical JSON *text*.)

Zenroom 3.17.1's JSON reader refuses some data whose strings contain a backslash-quote ``\\"``
("JSON has malformed beginning or end": ``say \\"hi`` fails, ``say \\"hi\\"`` passes) — and
canonical JSON of any record with a quote inside a string value contains such a sequence. It
also cuts a ``'string'`` at a NUL and signs only the prefix. So the contracts take the message as
``'base64'``: the octet is then the decoded bytes, the same UTF-8 bytes of the text, and nothing in
the transport can alter them. The empty message is still refused (Zenroom rejects empty octets).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from reflow.errors import RuleViolation, SignatureError
from reflow.identity.zencode import ZencodeError, run_contract
from reflow.ledger.keys import KeyPair, b58decode, b58encode, verify_key

_NOT_AUTHENTIC = "is not authentic"


def keypair_from_zenroom_keyring(keyring: dict[str, Any]) -> KeyPair:
    """Accept Zenroom's output form (``{"keyring": {"eddsa": ...}, ...}``) or the bare keyring.

    If an ``eddsa_public_key`` is present it must belong to the secret, so a keyring whose halves
    were mixed up is refused instead of silently signing as someone else.
    """
    inner = keyring.get("keyring", keyring)
    secret_b58 = inner.get("eddsa") if isinstance(inner, dict) else None
    if not isinstance(secret_b58, str):
        raise RuleViolation("a Zenroom keyring needs keyring.eddsa (base58)", field="keyring")
    try:
        secret = b58decode(secret_b58)
    except ValueError as exc:
        raise RuleViolation("keyring.eddsa is not base58", field="keyring") from exc
    if len(secret) != 32:
        raise RuleViolation(
            f"keyring.eddsa must be a 32-byte Ed25519 seed, not {len(secret)} bytes",
            field="keyring",
        )
    keypair = KeyPair(secret)
    public = keyring.get("eddsa_public_key")
    if public is not None and public != keypair.public:
        raise RuleViolation(
            "eddsa_public_key does not belong to keyring.eddsa", field="eddsa_public_key"
        )
    return keypair


def keyring_for(keypair: KeyPair) -> dict[str, Any]:
    """The form Zenroom's keygen prints and its contracts read: keyring plus public key."""
    return {"keyring": {"eddsa": keypair.secret_b58}, "eddsa_public_key": keypair.public}


def signature_to_zenroom(sig_b64: str) -> str:
    """A ReflowOS (base64) signature as Zenroom's base58 ``eddsa_signature``."""
    try:
        raw = base64.b64decode(sig_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("the signature is not base64", field="sig") from exc
    if len(raw) != 64:
        raise SignatureError("an Ed25519 signature has 64 bytes", field="sig")
    return b58encode(raw)


def signature_from_zenroom(sig: str) -> str:
    """Zenroom's base58 ``eddsa_signature`` as ReflowOS's base64."""
    try:
        raw = b58decode(sig)
    except ValueError as exc:
        raise SignatureError("the Zenroom signature is not base58", field="sig") from exc
    if len(raw) != 64:
        raise SignatureError("an Ed25519 signature has 64 bytes", field="sig")
    return base64.b64encode(raw).decode("ascii")


def zencode_keygen() -> KeyPair:
    """A new key made by ``keygen.zen`` (Zenroom's RNG); checked against its printed public key."""
    out = run_contract("keygen")
    return keypair_from_zenroom_keyring(out)


def zencode_sign(keypair: KeyPair, message: str) -> str:
    """Sign ``message`` (canonical JSON text, say) with ``sign.zen``; base64 signature."""
    _check_message(message)
    out = run_contract(
        "sign",
        keys={"keyring": keyring_for(keypair)["keyring"]},
        data={"message": _b64_text(message)},
    )
    return signature_from_zenroom(out["eddsa_signature"])


def zencode_verify(public_b58: str, message: str, sig_b64: str) -> bool:
    """Does ``verify.zen`` accept ``sig_b64`` over ``message`` by ``public_b58``?

    False only for a signature that does not match; malformed keys or signatures raise
    (SignatureError / ZencodeError), because those are input errors rather than a "no".
    """
    _check_message(message)
    verify_key(public_b58)  # a malformed key is a SignatureError naming "author", as in ledger
    try:
        out = run_contract(
            "verify",
            data={
                "message": _b64_text(message),
                "eddsa_public_key": public_b58,
                "eddsa_signature": signature_to_zenroom(sig_b64),
            },
        )
    except ZencodeError as exc:
        if _NOT_AUTHENTIC in exc.message:
            return False
        raise
    return out.get("output") == ["signature_verified"]


def _check_message(message: str) -> None:
    if not isinstance(message, str):
        raise RuleViolation("Zencode signs text: pass canonical JSON as a str", field="message")
    if message == "":
        raise RuleViolation("Zenroom refuses to sign an empty message", field="message")


def _b64_text(message: str) -> str:
    return base64.b64encode(message.encode("utf-8")).decode("ascii")
