"""Who signed a request: Zenflows' headers or ReflowOS' own, checked against the raw body.

A request is signed by an Ed25519 key over its exact body bytes. Zenflows clients send
``zenflows-user`` (here: the agent's id, which is its public key) and ``zenflows-sign``;
ReflowOS clients send ``x-reflow-agent`` and ``x-reflow-signature``. Both mean the same.
Mutations need a signer; whether reads need one is the node's setting.
"""

from __future__ import annotations

from collections.abc import Mapping

from reflow.errors import ReflowError, SignatureError
from reflow.ledger.keys import KeyPair, verify

AGENT_HEADERS = ("x-reflow-agent", "zenflows-user")
SIGNATURE_HEADERS = ("x-reflow-signature", "zenflows-sign")


class Unauthenticated(SignatureError):
    """The request is not signed, or not by the key it names."""

    code = "UNAUTHENTICATED"


def _first(headers: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = headers.get(name)
        if value:
            return value.strip()
    return None


def request_signer(headers: Mapping[str, str], body: bytes) -> str | None:
    """The public key that signed ``body``, None if unsigned; raises if the signature is wrong."""
    agent = _first(headers, AGENT_HEADERS)
    signature = _first(headers, SIGNATURE_HEADERS)
    if agent is None and signature is None:
        return None
    if agent is None or signature is None:
        raise Unauthenticated(
            "a signed request names its agent and carries the signature of its body",
            field="zenflows-user" if agent is None else "zenflows-sign",
            rule="signed-request",
        )
    try:
        verify(agent, body, signature)
    except ReflowError as exc:
        raise Unauthenticated(
            f"the request's signature does not verify: {exc.message}",
            field="zenflows-sign",
            rule="signed-request",
        ) from None
    return agent


def request_signature(headers: Mapping[str, str]) -> str | None:
    """The signature the request carries (kept as proof by records written under a delegation)."""
    return _first(headers, SIGNATURE_HEADERS)


def sign_headers(key: KeyPair, body: bytes) -> dict[str, str]:
    """The headers that sign ``body`` as ``key`` (what ``reflow.client`` sends)."""
    return {"x-reflow-agent": key.public, "x-reflow-signature": key.sign(body)}


def require_signer(signer: str | None) -> str:
    if signer is None:
        raise Unauthenticated(
            "mutations must be signed (zenflows-user and zenflows-sign headers)",
            field="zenflows-sign",
            rule="signed-request",
        )
    return signer
