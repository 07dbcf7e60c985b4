"""What every resolver of one request sees: the node, who signed, and the request's loaders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import GraphQLResolveInfo

from reflow.api.auth import require_signer
from reflow.api.delegation import delegated_key
from reflow.api.loaders import Loaders
from reflow.api.writer import GroupWriter
from reflow.ledger.keys import KeyPair
from reflow.ledger.ledger import Receipt
from reflow.ledger.records import Record
from reflow.node import Node


@dataclass
class RequestContext:
    node: Node
    signer: str | None
    loaders: Loaders
    writer: GroupWriter | None = None
    # The request's exact bytes and the signer's signature of them: the proof a record
    # written under a delegation keeps.
    body: bytes = b""
    signature: str | None = None

    def signer_key(self) -> KeyPair:
        """The key mutations sign with: the signer's own, if this node holds it, else this
        node's key writing in the signer's chain under the signer's delegation."""
        signer = require_signer(self.signer)
        if self.node.keystore.has(signer):
            return self.node.keystore.get(signer)
        return delegated_key(self.node, signer, self.body, self.signature or "")

    def submit(self, key: KeyPair, kind: str, body: dict[str, Any]) -> Receipt:
        """Sign and append a record as ``key``; later reads of this request see it."""
        try:
            if self.writer is not None:
                return self.writer.submit(key, kind, body)
            return self.node.submit(key, kind, body)
        finally:
            self.loaders.reset()

    def append(self, record: Record) -> Receipt:
        """Append a record the client signed; later reads of this request see it."""
        try:
            if self.writer is not None:
                return self.writer.append(record)
            with self.node._lock:  # the node's one writer lock, shared with node.submit
                return self.node.ledger.append(record)
        finally:
            self.loaders.reset()


def ctx_of(info: GraphQLResolveInfo) -> RequestContext:
    ctx: RequestContext = info.context
    return ctx
