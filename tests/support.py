"""Test support: sign records for test agents and build small worlds in one line each."""

from __future__ import annotations

from reflow.federation.deps import record_deps
from reflow.ledger.keys import KeyPair
from reflow.ledger.ledger import Ledger
from reflow.ledger.records import Record, sign_record

NETWORK = "test-network"


class Chain:
    """Signs records for test agents, keeping each author's seq and prev."""

    def __init__(self, network: str = NETWORK) -> None:
        self.network = network
        self.heads: dict[str, tuple[int, str | None]] = {}

    def sign(
        self, key: KeyPair, kind: str, body: dict[str, object], deps: tuple[str, ...] = ()
    ) -> Record:
        seq, prev = self.heads.get(key.public, (0, None))
        rec = sign_record(
            key, network=self.network, seq=seq + 1, prev=prev, kind=kind, body=body, deps=deps
        )  # type: ignore[arg-type]
        return rec

    def accepted(self, rec: Record) -> None:
        """Advance the author's chain (call after the ledger accepted ``rec``)."""
        self.heads[rec.author] = (rec.seq, rec.hash)


class World:
    """A small DSL over a ledger for tests: agents, specs, processes and events in one line each.

    Every call signs a real record and appends it through ``Ledger.append``; refusals raise.
    """

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.chain = Chain(ledger.network)
        self.keys: dict[str, KeyPair] = {}

    def submit(
        self, key: KeyPair, kind: str, body: dict[str, object], deps: tuple[str, ...] = ()
    ) -> dict[str, str]:
        # as a node does (Node.submit): name the other chains' records the body builds on, so
        # the record is ordered after them on every node (breadcrumbs follow these deps)
        deps = (*deps, *record_deps(self.ledger.store, key.public, body))  # type: ignore[arg-type]
        rec = self.chain.sign(key, kind, body, deps)
        receipt = self.ledger.append(rec)
        self.chain.accepted(rec)
        return receipt.created

    def agent(self, name: str, type_name: str = "Person") -> str:
        key = KeyPair.generate()
        self.keys[key.public] = key
        self.submit(key, "agent.declare", {"type": type_name, "data": {"name": name}})
        return key.public

    def create(self, by: str, type_name: str, **data: object) -> str:
        return self.submit(self.keys[by], "vf.create", {"type": type_name, "data": data})[type_name]

    def spec(self, by: str, name: str, **data: object) -> str:
        return self.create(by, "ResourceSpecification", name=name, **data)

    def place(self, by: str, name: str, lat: str = "52.37", long: str = "4.89") -> str:
        return self.create(by, "SpatialThing", name=name, lat=lat, long=long)

    def process(self, by: str, name: str, **data: object) -> str:
        return self.create(by, "Process", name=name, **data)

    def event(
        self, by: str, new: dict[str, object] | None = None, **event: object
    ) -> dict[str, str]:
        body: dict[str, object] = {"event": event}
        if new is not None:
            body["newInventoriedResource"] = new
        return self.submit(self.keys[by], "vf.event", body)


def qty(value: str | int, unit: str = "om2:kilogram") -> dict[str, str]:
    return {"hasNumericalValue": str(value), "hasUnit": unit}
