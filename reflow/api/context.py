"""What every resolver of one request sees: the node, who signed, and the request's loaders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import GraphQLResolveInfo

from reflow.api.auth import require_signer
from reflow.api.loaders import Loaders
from reflow.api.writer import GroupWriter
from reflow.errors import AuthorisationError, NotFound
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

    def signer_key(self) -> KeyPair:
        """The node-held key of the agent that signed the request (mutations sign with it)."""
        signer = require_signer(self.signer)
        try:
            return self.node.keystore.get(signer)
        except NotFound:
            raise AuthorisationError(
                "this node does not hold the signer's key: sign the record yourself and send "
                "it with submitRecord",
                field="zenflows-user",
                rule="node-held-key",
            ) from None

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
