"""Zenroom's EdDSA and PyNaCl's Ed25519 must be interchangeable, both ways, over canonical JSON.

A record signed by a Zencode contract has to verify on the ingest hot path (PyNaCl), and a record
signed by PyNaCl has to verify in verify.zen; a tampered message must fail on both sides.
"""

from __future__ import annotations

import base64

import pytest

from reflow.errors import ReflowError, RuleViolation, SignatureError
from reflow.identity import zencode
from reflow.identity.zencode import ZencodeError
from reflow.identity.zenroom_compat import (
    keypair_from_zenroom_keyring,
    keyring_for,
    signature_from_zenroom,
    signature_to_zenroom,
    zencode_keygen,
    zencode_sign,
    zencode_verify,
)
from reflow.ledger.canonical import canonical_bytes
from reflow.ledger.keys import KeyPair, b58decode, verify

RECORD = {
    "network": "reflow-test",
    "seq": 1,
    "prev": None,
    "deps": [],
    "kind": "vf:createEconomicEvent",
    "body": {"action": "produce", "resourceQuantity": {"hasNumericalValue": "2.50"}},
    "note": 'Fahrrad-Rahmen — ünïcödé, emoji 🚲, a quote " and a NUL \u0000 escaped',
    "created": "2024-05-01T10:00:00Z",
}


def canonical_text(value: object) -> str:
    return canonical_bytes(value).decode("utf-8")


def test_zencode_keygen_prints_a_32_byte_seed_and_its_public_key() -> None:
    out = zencode.run_contract("keygen")
    assert len(b58decode(out["keyring"]["eddsa"])) == 32
    assert len(b58decode(out["eddsa_public_key"])) == 32
    assert KeyPair(b58decode(out["keyring"]["eddsa"])).public == out["eddsa_public_key"]


def test_zencode_keygen_key_signs_and_verifies_with_pynacl() -> None:
    keypair = zencode_keygen()
    message = canonical_bytes({**RECORD, "author": keypair.public})
    verify(keypair.public, message, keypair.sign(message))


def test_zencode_keygen_makes_different_keys() -> None:
    assert zencode_keygen().public != zencode_keygen().public


def test_pynacl_signed_canonical_json_verifies_in_verify_zen() -> None:
    keypair = KeyPair.generate()
    text = canonical_text({**RECORD, "author": keypair.public})
    sig = keypair.sign(text.encode())
    assert zencode_verify(keypair.public, text, sig)


def test_zencode_signed_canonical_json_verifies_with_pynacl() -> None:
    keypair = KeyPair.generate()
    text = canonical_text({**RECORD, "author": keypair.public})
    sig = zencode_sign(keypair, text)
    verify(keypair.public, text.encode(), sig)
    assert sig == keypair.sign(text.encode())  # Ed25519 is deterministic: the same bytes


def test_tampered_message_fails_in_verify_zen() -> None:
    keypair = KeyPair.generate()
    text = canonical_text(RECORD)
    sig = keypair.sign(text.encode())
    tampered = canonical_text({**RECORD, "seq": 2})
    assert not zencode_verify(keypair.public, tampered, sig)
    assert not zencode_verify(KeyPair.generate().public, text, sig)


def test_tampered_message_fails_with_pynacl() -> None:
    keypair = KeyPair.generate()
    sig = zencode_sign(keypair, canonical_text(RECORD))
    with pytest.raises(SignatureError):
        verify(keypair.public, canonical_bytes({**RECORD, "seq": 2}), sig)


def test_large_failing_verify_does_not_crash_the_process() -> None:
    # zenroom.zencode_exec's fixed 64 KiB log buffer segfaults on a failure dump this big.
    keypair = KeyPair.generate()
    text = canonical_text({"blob": "x" * 200_000})
    sig = keypair.sign(text.encode())
    assert zencode_verify(keypair.public, text, sig)
    assert not zencode_verify(keypair.public, text + " ", sig)


def test_texts_that_break_zenrooms_string_input_sign_exactly() -> None:
    # As a 'string', `say \"hi` is "malformed" JSON to Zenroom 3.17.1 and NUL truncates;
    # the contracts take base64, so every text is signed byte for byte.
    keypair = KeyPair.generate()
    for text in ('say \\"hi', 'x\\"', "before\x00after", "🚲\u2028"):
        sig = zencode_sign(keypair, text)
        assert sig == keypair.sign(text.encode())
        assert zencode_verify(keypair.public, text, sig)


def test_zenroom_string_input_bug_is_still_there() -> None:
    # Why sign.zen reads base64: if this starts passing, the workaround could be revisited.
    script = zencode.contract("sign").replace("'base64' named", "'string' named")
    keys = {"keyring": keyring_for(KeyPair.generate())["keyring"]}
    with pytest.raises(ZencodeError, match="malformed"):
        zencode.run(script, keys=keys, data={"message": 'say \\"hi'})


def test_empty_message_is_refused() -> None:
    with pytest.raises(RuleViolation) as err:
        zencode_sign(KeyPair.generate(), "")
    assert err.value.field == "message"


def test_signature_forms_round_trip() -> None:
    sig = KeyPair.generate().sign(b"hello")
    z = signature_to_zenroom(sig)
    assert len(b58decode(z)) == 64
    assert signature_from_zenroom(z) == sig
    with pytest.raises(SignatureError):
        signature_to_zenroom(base64.b64encode(b"short").decode())


def test_keyring_form_round_trips_and_checks_its_public_key() -> None:
    keypair = KeyPair.generate()
    ring = keyring_for(keypair)
    assert keypair_from_zenroom_keyring(ring) == keypair
    assert keypair_from_zenroom_keyring(ring["keyring"]) == keypair
    with pytest.raises(RuleViolation):
        keypair_from_zenroom_keyring({**ring, "eddsa_public_key": KeyPair.generate().public})


def test_malformed_verify_input_raises_rather_than_says_no() -> None:
    keypair = KeyPair.generate()
    with pytest.raises(SignatureError) as err:
        zencode_verify("not-a-key", "hello", keypair.sign(b"hello"))
    assert err.value.field == "author"


def test_zenroom_failure_carries_zenrooms_message() -> None:
    with pytest.raises(ZencodeError) as err:
        zencode.run_contract("verify", data={"message": "hello"})
    assert isinstance(err.value, ReflowError)
    assert err.value.exit_code == 2
    assert "Cannot find 'eddsa_public_key'" in err.value.message
    with pytest.raises(ZencodeError) as err:
        zencode.run("this is not zencode at all")
    assert err.value.exit_code == 3
    assert "Invalid Zencode line" in err.value.message
