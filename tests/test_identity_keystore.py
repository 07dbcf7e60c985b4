"""The node's keystore keeps agents' keys safe on disk and readable by Zenroom as they are."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from reflow.errors import NotFound, RuleViolation, SignatureError
from reflow.identity import keystore as keystore_module
from reflow.identity.keystore import Keystore
from reflow.identity.zenroom_compat import zencode_sign
from reflow.ledger.keys import KeyPair, verify


@pytest.fixture
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its minimum so passphrase tests take milliseconds, not seconds."""
    monkeypatch.setattr(
        keystore_module, "OPSLIMIT", keystore_module.nacl.pwhash.argon2id.OPSLIMIT_MIN
    )
    monkeypatch.setattr(
        keystore_module, "MEMLIMIT", keystore_module.nacl.pwhash.argon2id.MEMLIMIT_MIN
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_are_0600_in_a_0700_directory(tmp_path: Path) -> None:
    store = Keystore(tmp_path / "keys")
    keypair = store.create("alice")
    assert mode(tmp_path / "keys") == 0o700
    assert mode(tmp_path / "keys" / f"{keypair.public}.json") == 0o600
    assert [p.name for p in (tmp_path / "keys").iterdir()] == [f"{keypair.public}.json"]


def test_round_trip_and_file_is_a_zenroom_keyring(tmp_path: Path) -> None:
    store = Keystore(tmp_path)
    keypair = store.create("alice")
    assert store.get(keypair.public) == keypair
    assert store.has(keypair.public)
    assert store.label(keypair.public) == "alice"
    doc = json.loads((tmp_path / f"{keypair.public}.json").read_text())
    assert doc["keyring"] == {"eddsa": keypair.secret_b58}
    assert doc["eddsa_public_key"] == keypair.public
    assert doc["created"].endswith("+00:00")


def test_list_is_sorted_public_keys(tmp_path: Path) -> None:
    store = Keystore(tmp_path)
    publics = [store.create().public for _ in range(3)]
    assert store.list() == sorted(publics)


def test_create_through_zencode_keygen(tmp_path: Path) -> None:
    store = Keystore(tmp_path)
    keypair = store.create("zen", zencode=True)
    assert store.get(keypair.public) == keypair
    text = '{"hello":"world"}'
    verify(keypair.public, text.encode(), zencode_sign(store.get(keypair.public), text))


def test_passphrase_seals_the_secret(tmp_path: Path, fast_kdf: None) -> None:
    store = Keystore(tmp_path)
    keypair = store.create("bob", passphrase="correct horse")
    raw = (tmp_path / f"{keypair.public}.json").read_text()
    assert keypair.secret_b58 not in raw
    assert "keyring" not in json.loads(raw)
    assert store.is_sealed(keypair.public)
    assert store.label(keypair.public) == "bob"
    assert store.get(keypair.public, "correct horse") == keypair


def test_wrong_or_missing_passphrase_is_a_signature_error(tmp_path: Path, fast_kdf: None) -> None:
    store = Keystore(tmp_path)
    keypair = store.create(passphrase="correct horse")
    for wrong in ("battery staple", None):
        with pytest.raises(SignatureError) as err:
            store.get(keypair.public, wrong)
        assert err.value.field == "passphrase"


def test_default_kdf_parameters_are_stored_and_used(tmp_path: Path) -> None:
    store = Keystore(tmp_path)
    keypair = store.create(passphrase="pw")
    sealed = json.loads((tmp_path / f"{keypair.public}.json").read_text())["sealed"]
    assert sealed["kdf"] == "argon2id13"
    assert sealed["opslimit"] == keystore_module.nacl.pwhash.argon2id.OPSLIMIT_MODERATE
    assert sealed["memlimit"] == keystore_module.nacl.pwhash.argon2id.MEMLIMIT_MODERATE
    assert store.get(keypair.public, "pw") == keypair


def test_import_and_export_keyring(tmp_path: Path, fast_kdf: None) -> None:
    keypair = KeyPair.generate()
    ring = {"keyring": {"eddsa": keypair.secret_b58}, "eddsa_public_key": keypair.public}
    store = Keystore(tmp_path)
    assert store.import_keyring({**ring, "label": "carol"}, passphrase="pw") == keypair
    exported = store.export_keyring(keypair.public, "pw")
    assert exported == {**ring, "label": "carol"}
    other = Keystore(tmp_path / "other")
    assert other.import_keyring(exported) == keypair
    assert other.get(keypair.public) == keypair


def test_import_refuses_a_mismatched_keyring(tmp_path: Path) -> None:
    ring = {
        "keyring": {"eddsa": KeyPair.generate().secret_b58},
        "eddsa_public_key": KeyPair.generate().public,
    }
    with pytest.raises(RuleViolation):
        Keystore(tmp_path).import_keyring(ring)


def test_absent_key_is_not_found(tmp_path: Path) -> None:
    store = Keystore(tmp_path)
    absent = KeyPair.generate().public
    assert not store.has(absent)
    for call in (store.get, store.label, store.export_keyring):
        with pytest.raises(NotFound):
            call(absent)


def test_path_like_public_keys_are_refused(tmp_path: Path) -> None:
    store = Keystore(tmp_path / "keys")
    assert not store.has("../escape")
    with pytest.raises(RuleViolation):
        store.get("../escape")


def test_add_replaces_atomically_and_leaves_no_temp_files(tmp_path: Path, fast_kdf: None) -> None:
    store = Keystore(tmp_path)
    keypair = store.create("plain")
    store.add(keypair, label="now sealed", passphrase="pw")
    assert store.get(keypair.public, "pw") == keypair
    assert store.label(keypair.public) == "now sealed"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{keypair.public}.json"]
