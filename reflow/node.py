"""A node: its settings, database, ledger, keystore and identity, opened together.

Services receive a ``Node`` and use ``node.store`` to read and ``node.submit`` (or
``node.ledger.append`` for records signed elsewhere) to write, so every write passes through
``Ledger.append``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from reflow.errors import NotFound
from reflow.federation.deps import record_deps
from reflow.identity.keystore import Keystore
from reflow.ledger.canonical import canonical_bytes
from reflow.ledger.keys import KeyPair
from reflow.ledger.ledger import Ledger, Receipt
from reflow.ledger.records import Record, now, sign_record
from reflow.plugins import load_plugins
from reflow.settings import Settings
from reflow.store.database import database_url
from reflow.store.sqlstore import SqlStore

NODE_FILE = "node.json"


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """What ``reflow init`` wrote: the network this node belongs to and the node's own key."""

    network: str
    network_name: str
    node_key: str  # public key of the node (its keystore holds the secret)

    def as_dict(self) -> dict[str, str]:
        return {
            "network": self.network,
            "network_name": self.network_name,
            "node_key": self.node_key,
        }


def network_id(document: dict[str, Any]) -> str:
    """A network is named by the hash of its founding document."""
    import hashlib

    return hashlib.sha256(canonical_bytes(document)).hexdigest()


class Node:
    def __init__(self, settings: Settings, store: SqlStore, info: NodeInfo) -> None:
        self.settings = settings
        self.store = store
        self.info = info
        self.ledger = Ledger(store, info.network)
        self.keystore = Keystore(settings.data_dir / "keys")
        self._lock = self.ledger.lock  # signing takes the next seq: one writer at a time

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def init(
        cls, settings: Settings, network_name: str = "reflow-city", network: str | None = None
    ) -> Node:
        """Create (or reopen) a node in ``settings.data_dir``; safe to run twice."""
        path = settings.data_dir / NODE_FILE
        if path.exists():
            return cls.open(settings)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        keystore = Keystore(settings.data_dir / "keys")
        node_key = keystore.create(label="node")
        if network is None:
            network = network_id(
                {"name": network_name, "founder": node_key.public, "created": now()}
            )
        info = NodeInfo(network, network_name, node_key.public)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(info.as_dict(), indent=2))
        os.replace(tmp, path)
        return cls.open(settings)

    @classmethod
    def open(cls, settings: Settings) -> Node:
        path = settings.data_dir / NODE_FILE
        if not path.exists():
            raise NotFound(
                f"no node in {settings.data_dir}; run `reflow init`", field="REFLOW_DATA_DIR"
            )
        raw = json.loads(path.read_text())
        info = NodeInfo(raw["network"], raw.get("network_name", ""), raw["node_key"])
        url = database_url(settings.database_url, settings.data_dir)
        load_plugins()
        return cls(settings, SqlStore.open(url), info)

    def close(self) -> None:
        self.store.close()

    # -- writing -----------------------------------------------------------------------------

    def key(self, agent: str, passphrase: str | None = None) -> KeyPair:
        return self.keystore.get(agent, passphrase)

    def next_position(self, author: str) -> tuple[int, str | None]:
        head = self.store.head(author)
        return (head[0] + 1, head[1]) if head else (1, None)

    def sign(
        self, key: KeyPair, kind: str, body: dict[str, Any], deps: tuple[str, ...] | list[str] = ()
    ) -> Record:
        seq, prev = self.next_position(key.public)
        # Name the other chains' records this one builds on, so peers apply it after them.
        deps = (*deps, *record_deps(self.store, key.public, body))
        return sign_record(
            key, network=self.info.network, seq=seq, prev=prev, kind=kind, body=body, deps=deps
        )

    def submit(
        self, key: KeyPair, kind: str, body: dict[str, Any], deps: tuple[str, ...] | list[str] = ()
    ) -> Receipt:
        """Sign a record with a key this process holds and append it; raises if refused."""
        with self._lock:
            self.store.refresh()
            return self.ledger.append(self.sign(key, kind, body, deps))

    def new_agent(
        self,
        type_name: str,
        data: dict[str, Any],
        *,
        label: str | None = None,
        passphrase: str | None = None,
    ) -> KeyPair:
        """Make a key in the node's keystore and declare the agent under it."""
        key = self.keystore.create(label=label or data.get("name"), passphrase=passphrase)
        self.submit(key, "agent.declare", {"type": type_name, "data": data})
        return key
