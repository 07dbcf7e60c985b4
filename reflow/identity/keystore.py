"""The node's local keystore: the Ed25519 keys of the agents this node signs for.

One JSON file per key, ``<public_b58>.json``, in Zenroom's keyring form so that the same file can
be handed to ``zenroom -k`` or a Zencode contract as it is::

    {"keyring": {"eddsa": "<base58 seed>"}, "eddsa_public_key": "<base58>",
     "label": "...", "created": "2024-01-01T00:00:00+00:00"}

With a passphrase the seed never touches the disk in clear: ``keyring`` is replaced by
``sealed`` (Argon2id key derivation + XSalsa20-Poly1305 ``SecretBox``), and the KDF parameters are
stored with it so files stay readable if the defaults change. Files are 0600 in a 0700 directory
and written atomically (temp file, fsync, ``os.replace``) so a crash never leaves half a key.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils

from reflow.errors import NotFound, RuleViolation, SignatureError
from reflow.identity.zenroom_compat import keypair_from_zenroom_keyring, zencode_keygen
from reflow.ledger.keys import KeyPair, b58decode

# "moderate": ~0.1-0.5 s and 256 MiB per unlock — a node unlocks keys rarely, an attacker often.
OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_MODERATE
MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_MODERATE
KDF_NAME = "argon2id13"
BOX_NAME = "xsalsa20poly1305"


class Keystore:
    """Agents' keys kept by this node, one sealed-or-plain Zenroom keyring file per key."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.directory, 0o700)

    # -- creating and adding ------------------------------------------------------------------

    def create(
        self, label: str | None = None, passphrase: str | None = None, *, zencode: bool = False
    ) -> KeyPair:
        """A new key, stored. PyNaCl by default (microseconds); ``zencode`` runs keygen.zen."""
        keypair = zencode_keygen() if zencode else KeyPair.generate()
        self.add(keypair, label=label, passphrase=passphrase)
        return keypair

    def add(
        self, keypair: KeyPair, label: str | None = None, passphrase: str | None = None
    ) -> None:
        """Store ``keypair``; replacing a stored key is allowed (e.g. to add a passphrase)."""
        doc: dict[str, Any] = {"eddsa_public_key": keypair.public}
        if passphrase is None:
            doc["keyring"] = {"eddsa": keypair.secret_b58}
        else:
            doc["sealed"] = _seal(keypair.secret, passphrase)
        doc["label"] = label
        doc["created"] = datetime.now(UTC).isoformat(timespec="seconds")
        self._write(keypair.public, doc)

    def import_keyring(self, data: dict[str, Any], passphrase: str | None = None) -> KeyPair:
        """Store a key given in Zenroom's keyring form (as keygen.zen or Zenflows print it)."""
        keypair = keypair_from_zenroom_keyring(data)
        label = data.get("label")
        self.add(keypair, label=label if isinstance(label, str) else None, passphrase=passphrase)
        return keypair

    # -- reading ------------------------------------------------------------------------------

    def get(self, public_b58: str, passphrase: str | None = None) -> KeyPair:
        """The stored key; NotFound if absent, SignatureError(field="passphrase") if locked."""
        doc = self._read(public_b58)
        if "sealed" in doc:
            if passphrase is None:
                raise SignatureError(
                    "this key is sealed with a passphrase", field="passphrase", rule="keystore"
                )
            keypair = KeyPair(_unseal(doc["sealed"], passphrase))
        else:
            keypair = keypair_from_zenroom_keyring({"keyring": doc.get("keyring")})
        if keypair.public != doc.get("eddsa_public_key") or keypair.public != public_b58:
            raise SignatureError(
                "the stored secret does not belong to its public key", field="keyring"
            )
        return keypair

    def export_keyring(self, public_b58: str, passphrase: str | None = None) -> dict[str, Any]:
        """The key in Zenroom's keyring form, unsealed, for a contract or another node."""
        keypair = self.get(public_b58, passphrase)
        return {
            "keyring": {"eddsa": keypair.secret_b58},
            "eddsa_public_key": keypair.public,
            "label": self.label(public_b58),
        }

    def has(self, public_b58: str) -> bool:
        """Is this public key kept here?"""
        try:
            return self._path(public_b58).is_file()
        except RuleViolation:
            return False

    def list(self) -> list[str]:
        """The public keys kept here, sorted."""
        return sorted(p.stem for p in self.directory.glob("*.json") if not p.name.startswith("."))

    def label(self, public_b58: str) -> str | None:
        """The human label given to the key, if any (readable without the passphrase)."""
        label = self._read(public_b58).get("label")
        return label if isinstance(label, str) else None

    def is_sealed(self, public_b58: str) -> bool:
        """Does reading this key need a passphrase?"""
        return "sealed" in self._read(public_b58)

    # -- files --------------------------------------------------------------------------------

    def _path(self, public_b58: str) -> Path:
        # The public key becomes a file name: only accept real keys, never "../x" or the like.
        try:
            ok = len(b58decode(public_b58)) == 32
        except ValueError:
            ok = False
        if not ok:
            raise RuleViolation("not a base58 Ed25519 public key", field="public")
        return self.directory / f"{public_b58}.json"

    def _read(self, public_b58: str) -> dict[str, Any]:
        path = self._path(public_b58)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise NotFound(f"no key {public_b58} in the keystore", field="public") from None
        doc = json.loads(text)
        if not isinstance(doc, dict):
            raise RuleViolation(f"{path.name} is not a keyring object", field="keyring")
        return doc

    def _write(self, public_b58: str, doc: dict[str, Any]) -> None:
        path = self._path(public_b58)
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=self.directory)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=2, sort_keys=True)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        _fsync_dir(self.directory)


def _seal(secret: bytes, passphrase: str) -> dict[str, Any]:
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    key = _derive(passphrase, salt, OPSLIMIT, MEMLIMIT)
    box = nacl.secret.SecretBox(key).encrypt(secret)
    return {
        "kdf": KDF_NAME,
        "opslimit": OPSLIMIT,
        "memlimit": MEMLIMIT,
        "salt": _b64(salt),
        "cipher": BOX_NAME,
        "nonce": _b64(box.nonce),
        "ciphertext": _b64(box.ciphertext),
    }


def _unseal(sealed: dict[str, Any], passphrase: str) -> bytes:
    if sealed.get("kdf") != KDF_NAME or sealed.get("cipher") != BOX_NAME:
        raise RuleViolation("unknown key sealing scheme", field="sealed")
    try:
        salt = base64.b64decode(sealed["salt"], validate=True)
        nonce = base64.b64decode(sealed["nonce"], validate=True)
        ciphertext = base64.b64decode(sealed["ciphertext"], validate=True)
        opslimit, memlimit = int(sealed["opslimit"]), int(sealed["memlimit"])
    except (KeyError, TypeError, ValueError) as exc:
        raise RuleViolation("the sealed key is damaged", field="sealed") from exc
    key = _derive(passphrase, salt, opslimit, memlimit)
    try:
        return nacl.secret.SecretBox(key).decrypt(ciphertext, nonce)
    except nacl.exceptions.CryptoError:
        raise SignatureError(
            "wrong passphrase for this key", field="passphrase", rule="keystore"
        ) from None


def _derive(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    return nacl.pwhash.argon2id.kdf(
        nacl.secret.SecretBox.KEY_SIZE,
        passphrase.encode("utf-8"),
        salt,
        opslimit=opslimit,
        memlimit=memlimit,
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
