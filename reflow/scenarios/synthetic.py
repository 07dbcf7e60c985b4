"""A large synthetic city for benchmarks: ``reflow generate --agents N --events M --seed S``.

It reuses the ingest benchmark's workload (agents raising stock, running processes, transferring
and moving what they hold), signed for this node's network, and streams it: records are made a
batch at a time and handed to ``Ledger.append_many``, so memory stays bounded by the batch and by
the workload's small model of who holds what — never by the number of records. The invalid
records the benchmark mixes in on purpose are left out: a generated city is all valid.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from reflow.bench.ingest import Workload, _Agent
from reflow.ledger.ledger import Ledger
from reflow.ledger.records import sign_record

BATCH = 2000
Progress = Callable[[int], None]


class CityWorkload(Workload):
    """The benchmark's workload, signed for ``network``, drained a batch at a time."""

    def __init__(self, agents: int, seed: int, network: str) -> None:
        super().__init__(agents, seed)
        self.network = network
        self.out: list[dict[str, Any]] = []

    def _sign(self, a: _Agent, kind: str, body: dict[str, Any]) -> str:
        rec = sign_record(
            a.key,
            network=self.network,
            seq=a.seq + 1,
            prev=a.prev,
            kind=kind,
            body=body,
            created="2026-01-01T00:00:00Z",
        )
        a.seq, a.prev = rec.seq, rec.hash
        self.out.append(rec.to_dict())
        return rec.hash

    def batches(self, events: int, size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
        """``events`` records in batches of about ``size``; the first holds the set-up."""
        self.setup()
        made = 0
        while made < events:
            while len(self.out) < size and made + len(self.out) < events:
                self.step()
                self.records.clear()  # the deliberately invalid records: not for a city
            batch, self.out = self.out[: events - made], []
            for agent in self.agents:  # what is used up is forgotten: memory follows live stock
                agent.held = {rid: q for rid, q in agent.held.items() if q > 0}
            made += len(batch)
            yield batch


@dataclass
class Generated:
    records: int = 0
    applied: int = 0
    rejected: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"records": self.records, "applied": self.applied, "rejected": self.rejected}


def generate(
    ledger: Ledger, *, agents: int, events: int, seed: int, progress: Progress | None = None
) -> Generated:
    """Append a synthetic city of ``events`` records by ``agents`` agents to ``ledger``."""
    out = Generated()
    for batch in CityWorkload(agents, seed, ledger.network).batches(events):
        for receipt in ledger.append_many(batch):
            out.records += 1
            if receipt.status == "applied":
                out.applied += 1
            else:
                out.rejected += 1
        # The store keeps recent resources and events in memory (up to its cache limit); a
        # generated city is written once and not read back, so it is let go batch by batch.
        clear = getattr(ledger.store, "clear_cache", None)
        if clear is not None:
            clear()
        if progress is not None:
            progress(out.records)
    return out
