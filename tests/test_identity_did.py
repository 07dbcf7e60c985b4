"""DIDs name agents by their Ed25519 key: did:key (W3C) and did:dyne (Zenflows) agree."""

from __future__ import annotations

import pytest

from reflow.errors import RuleViolation
from reflow.identity.did import did_dyne, did_key, public_key_from_did
from reflow.ledger.keys import KeyPair

# The did:key spec's Ed25519 test vector (test-vectors/ed25519-x25519.json, the all-zero seed).
ZERO_SEED_PUBLIC = "4zvwRjXUKGfvwnParsHAS3HuSVzV5cA4McphgmoCtajS"
ZERO_SEED_DID = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"


def test_did_key_matches_the_spec_vector() -> None:
    assert KeyPair(bytes(32)).public == ZERO_SEED_PUBLIC
    assert did_key(ZERO_SEED_PUBLIC) == ZERO_SEED_DID
    assert public_key_from_did(ZERO_SEED_DID) == ZERO_SEED_PUBLIC


def test_did_key_matches_a_second_published_vector() -> None:
    did = "did:key:z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th"
    assert did_key("8HH5gYEeNc3z7PYXmd54d4x6qAfCNrqQqEB3nS7Zfu7K") == did


def test_did_key_round_trips_and_ignores_a_fragment() -> None:
    public = KeyPair.generate().public
    did = did_key(public)
    assert did.startswith("did:key:z6Mk")
    assert public_key_from_did(did) == public
    assert public_key_from_did(f"{did}#{did.removeprefix('did:key:')}") == public


def test_did_dyne_round_trips() -> None:
    public = KeyPair.generate().public
    assert did_dyne(public) == f"did:dyne:reflow:{public}"
    assert public_key_from_did(did_dyne(public)) == public
    assert public_key_from_did(did_dyne(public, "sandbox.signroom")) == public


def test_bare_base58_key_is_accepted() -> None:
    assert public_key_from_did(ZERO_SEED_PUBLIC) == ZERO_SEED_PUBLIC


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "did:web:example.org",
        "did:key:" + "u" + "7QEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # multibase base64url
        "did:key:z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc",  # X25519, not Ed25519
        "did:key:z6Mk0OIl",  # not base58
        "did:dyne:reflow",
        "did:dyne:re/flow:" + ZERO_SEED_PUBLIC,
        "did:dyne:reflow:" + ZERO_SEED_PUBLIC[:-2],
        "not a key",
        "1" + ZERO_SEED_PUBLIC,
    ],
)
def test_bad_input_is_a_rule_violation_naming_did(bad: str) -> None:
    with pytest.raises(RuleViolation) as err:
        public_key_from_did(bad)
    assert err.value.field == "did"


def test_did_builders_refuse_bad_keys_and_specs() -> None:
    with pytest.raises(RuleViolation):
        did_key("abc")
    with pytest.raises(RuleViolation):
        did_dyne(ZERO_SEED_PUBLIC, spec="has:colon")
