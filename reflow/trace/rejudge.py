"""Judge a passport's records again by the VF rules, in memory, with no database.

The records behind a trace are a *partial* history: they do not include the other things done
with an input (the rest of the water, the box's other trips). Replaying them through the ledger's
record handlers, in causal order (each author's chain, the claimed breadcrumbs, creators before
users, corrections after what they correct), checks that each event was valid against the state
those records make. A refusal is reported as a warning, not a failure, because a valid history
can leave out an event that a later one depended on (e.g. a custody change of a container).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from reflow.errors import ReflowError
from reflow.ledger.changes import Changes
from reflow.ledger.context import BatchView, Context
from reflow.ledger.kinds import get_kind
from reflow.ledger.port import Equivocation
from reflow.ledger.records import Record
from reflow.trace.derive import Facts


class _Nothing:
    """A store that holds nothing: every read falls through to the records replayed so far."""

    def head(self, author: str) -> None:
        return None

    def hash_at(self, author: str, seq: int) -> None:
        return None

    def has_record(self, record_hash: str) -> bool:
        return False

    def resource(self, resource_id: str) -> None:
        return None

    def contents(self, container_id: str) -> list[Any]:
        return []

    def may_contain(self, container_id: str) -> bool:
        return True

    def process(self, process_id: str) -> None:
        return None

    def event(self, event_id: str) -> None:
        return None

    def events_on(self, process_id: str, resource_id: str, action: str) -> list[Any]:
        return []

    def object(self, object_id: str) -> None:
        return None

    def refresh(self) -> None:
        return None

    def commit(
        self,
        applied: Sequence[tuple[Record, Changes]],
        equivocations: Sequence[Equivocation],
        *,
        write_log: bool = True,
    ) -> None:
        return None


def _order(records: list[Record], facts: Facts) -> list[Record]:
    """Declarations and objects first, then events in an order every constraint agrees with."""
    by_hash = {r.hash: r for r in records}
    rec_of_event = {eid: by_hash[h] for eid, h in facts.record_of.items() if h in by_hash}
    before: dict[str, set[str]] = {r.hash: set() for r in records}
    chains: dict[str, list[Record]] = {}
    for r in records:
        chains.setdefault(r.author, []).append(r)
    for chain in chains.values():
        chain.sort(key=lambda r: r.seq)
        for a, b in pairwise(chain):
            before[b.hash].add(a.hash)
    for eid, rec in rec_of_event.items():
        link = facts.links[eid]
        needs = [link.previous_event, link.to_previous_event, facts.events[eid].get("corrects")]
        needs += [facts.created.get(x) for x in (link.res, link.to) if x]
        for other in needs:
            if other and other != eid and other in rec_of_event:
                before[rec.hash].add(rec_of_event[other].hash)
    rank = {"agent.declare": 0, "vf.create": 1, "vf.update": 2}
    ready = [(rank.get(r.kind, 3), r.hash) for r in records if not before[r.hash]]
    heapq.heapify(ready)
    after: dict[str, list[str]] = {}
    for h, deps in before.items():
        for d in deps:
            after.setdefault(d, []).append(h)
    out: list[Record] = []
    while ready:
        _, h = heapq.heappop(ready)
        out.append(by_hash[h])
        for nxt in after.get(h, ()):
            before[nxt].discard(h)
            if not before[nxt]:
                heapq.heappush(ready, (rank.get(by_hash[nxt].kind, 3), nxt))
    seen = {r.hash for r in out}
    return out + [r for r in records if r.hash not in seen]  # a cycle: judged last


def rejudge(records: list[Record], facts: Facts) -> list[str]:
    """Replay the records by the VF rules; returns a warning for each record refused."""
    view = BatchView(_Nothing())  # type: ignore[arg-type]
    pending = _order(records, facts)
    warnings: list[str] = []
    for _round in range(3):  # objects may refer to objects created later by other authors
        refused: list[tuple[Record, ReflowError]] = []
        for rec in pending:
            try:
                changes = get_kind(rec.kind).handler(Context(rec, view, frozenset({rec.author})))
            except ReflowError as exc:
                refused.append((rec, exc))
                continue
            view.add(changes)
        if not refused or len(refused) == len(pending):
            warnings = [f"record {r.hash} ({r.kind}) does not re-apply: {e}" for r, e in refused]
            break
        pending = [r for r, _ in refused]
        warnings = [f"record {r.hash} ({r.kind}) does not re-apply: {e}" for r, e in refused]
    return warnings
