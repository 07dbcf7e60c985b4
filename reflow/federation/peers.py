"""Peers: the nodes this node replicates with, and the signed handshake that introduces them.

The list lives in ``peers.json`` in the node's data directory, so ``reflow peer add`` and a
running server share it without a database table (peers are local configuration, not network
facts: they are never signed into the log and never part of the state digest).

The handshake is ``{node_key, network, nonce, ts, url}`` signed by the node key over its
canonical bytes. A node accepts a hello only if the signature holds, the network is its own and
the timestamp is within ``MAX_SKEW`` seconds; it answers with its own signed hello that echoes
the caller's nonce, so a recorded answer cannot be replayed to a later caller. A peer's node key
is pinned at the first successful handshake; a different key at the same URL is refused.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from reflow.errors import ConflictError, RuleViolation, SignatureError
from reflow.ledger.canonical import canonical_bytes
from reflow.ledger.keys import KeyPair, verify

PEERS_FILE = "peers.json"
MAX_SKEW = 120.0  # seconds a hello's timestamp may differ from our clock
MAX_PEERS = 64  # peers learned from hellos; keeps a flood of strangers from growing the list
HELLO_FIELDS = ("node_key", "network", "nonce", "ts", "url")


@dataclass(slots=True)
class Peer:
    url: str
    node_key: str | None = None  # pinned at the first successful handshake
    added: float = field(default_factory=time.time)
    source: str = "manual"  # manual | hello (it introduced itself)


def normalise_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise RuleViolation("a peer URL starts with http:// or https://", field="url", rule="url")
    return url


class PeerBook:
    """``peers.json``: read on every use so a running server sees ``reflow peer add`` at once."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / PEERS_FILE

    def list(self) -> list[Peer]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except ValueError as exc:
            raise RuleViolation(f"{self.path} is not JSON: {exc}", field="peers.json") from None
        return [Peer(**{k: p[k] for k in ("url", "node_key", "added", "source") if k in p})
                for p in raw.get("peers", [])]  # fmt: skip

    def get(self, url: str) -> Peer | None:
        url = normalise_url(url)
        return next((p for p in self.list() if p.url == url), None)

    def add(self, url: str, *, source: str = "manual", node_key: str | None = None) -> Peer:
        """Add (or keep) a peer; safe to repeat."""
        url = normalise_url(url)
        peers = self.list()
        for p in peers:
            if p.url == url:
                return p
        if source != "manual" and sum(p.source != "manual" for p in peers) >= MAX_PEERS:
            raise ConflictError("too many learned peers", field="url", rule="max-peers")
        peer = Peer(url=url, node_key=node_key, source=source)
        peers.append(peer)
        self._write(peers)
        return peer

    def remove(self, url: str) -> bool:
        url = normalise_url(url)
        peers = self.list()
        kept = [p for p in peers if p.url != url]
        self._write(kept)
        return len(kept) != len(peers)

    def pin(self, url: str, node_key: str) -> None:
        """Remember the key a peer proved it holds; refuse a different key later."""
        peers = self.list()
        for p in peers:
            if p.url == normalise_url(url):
                if p.node_key and p.node_key != node_key:
                    raise SignatureError(
                        f"peer {url} now presents another node key", field="node_key", rule="pin"
                    )
                if p.node_key != node_key:
                    p.node_key = node_key
                    self._write(peers)
                return

    def _write(self, peers: list[Peer]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"peers": [asdict(p) for p in peers]}, indent=2))
        os.replace(tmp, self.path)


# -- the handshake ------------------------------------------------------------------------------


def make_hello(
    key: KeyPair, network: str, url: str = "", nonce: str | None = None
) -> dict[str, Any]:
    body = {
        "node_key": key.public,
        "network": network,
        "nonce": nonce or secrets.token_hex(16),
        "ts": int(time.time()),
        "url": url,
    }
    return {**body, "sig": key.sign(canonical_bytes(body))}


def check_hello(
    hello: Any, network: str, *, nonce: str | None = None, now: float | None = None
) -> dict[str, Any]:
    """Verify a hello (ours to a peer, or its answer); return it, or raise naming the field."""
    if not isinstance(hello, dict) or set(hello) != {*HELLO_FIELDS, "sig"}:
        raise RuleViolation("a hello has node_key, network, nonce, ts, url and sig", field="hello")
    for k in ("node_key", "network", "nonce", "url", "sig"):
        if not isinstance(hello[k], str):
            raise RuleViolation(f"{k} must be a string", field=k, rule="hello-shape")
    if type(hello["ts"]) is not int:
        raise RuleViolation("ts must be an integer (unix seconds)", field="ts", rule="hello-shape")
    body = {k: hello[k] for k in HELLO_FIELDS}
    verify(hello["node_key"], canonical_bytes(body), hello["sig"])
    if hello["network"] != network:
        raise RuleViolation(
            f"the peer belongs to network {hello['network']}, not {network}",
            field="network",
            rule="same-network",
        )
    skew = abs((now if now is not None else time.time()) - hello["ts"])
    if skew > MAX_SKEW:
        raise SignatureError(
            f"the hello is {skew:.0f} s off our clock (stale or replayed)", field="ts", rule="fresh"
        )
    if nonce is not None and hello["nonce"] != nonce:
        raise SignatureError("the answer does not echo our nonce", field="nonce", rule="fresh")
    return hello


class NonceCache:
    """Nonces seen within the freshness window: a hello is accepted once."""

    def __init__(self, cap: int = 10_000) -> None:
        self.cap = cap
        self.seen: dict[str, float] = {}

    def fresh(self, nonce: str) -> bool:
        now = time.time()
        if len(self.seen) >= self.cap:
            self.seen = {n: t for n, t in self.seen.items() if now - t < 2 * MAX_SKEW}
            if len(self.seen) >= self.cap:
                return False
        if nonce in self.seen:
            return False
        self.seen[nonce] = now
        return True
