"""One record's judgement, in the order ``Ledger.append`` promises: network, signature, chain,
dependencies, declared author, the network's policies, then its kind's rules.

Apart from the ledger's class so that it is compiled (``setup.py``): every record a node takes
comes through here, and interpreted its bookkeeping cost a tenth of the time to judge one. A
``Judgements`` holds what the records of one run (a batch, or every chunk of a pipelined stream)
learn from each other: the chains' heads so far, the records seen, their clocks, who acts for
whom. The ledger (``reflow.ledger.ledger``) starts one per run and commits what it applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from reflow.errors import ChainError, ConflictError, ReflowError, RuleViolation
from reflow.ledger.changes import Changes
from reflow.ledger.context import BatchView, Context
from reflow.ledger.kinds import OBSERVERS, POLICIES, get_kind
from reflow.ledger.port import Equivocation, LedgerStore
from reflow.ledger.receipts import Receipt
from reflow.ledger.records import Record, record_from_dict

# Kinds after which who-acts-for-whom is unchanged, so the ledger's cache of it stays: events
# change resources, and a created object gets a fresh id derived from its record, which no grant,
# membership or key binding the acting resolvers read can be. Any other kind clears the cache.
KEEPS_ACTING = frozenset({"vf.event", "vf.create"})


# Who else the signer may act as (organisations that granted it, the agent a rotated key signs
# for); governance and identity register these.
ActingResolver = Callable[[BatchView, str], Iterable[str]]
ACTING_RESOLVERS: list[ActingResolver] = []


class Judgements:
    """What the records of one run learn from each other while they are judged in order."""

    def __init__(self, store: LedgerStore, network: str, verify: bool) -> None:
        self.store = store
        self.network = network
        self.verify = verify
        self.heads: dict[str, tuple[int, str]] = {}  # author -> (seq, hash) applied in this run
        self.seen: set[str] = set()  # hashes applied in this run
        self.clocks: dict[str, int] = {}  # record hash -> its logical clock, for this run's
        self.in_batch: dict[tuple[str, int], str] = {}  # (author, seq) -> hash, this run's
        self._acting_view: BatchView | None = None
        self._acting_of: dict[str, frozenset[str]] = {}

    def acting(self, view: BatchView, author: str) -> frozenset[str]:
        """Who ``author`` may act as, read once per author while only ``KEEPS_ACTING`` kinds are
        applied: the resolvers read grants, memberships and keys, which those kinds do not
        change."""
        if view is not self._acting_view:
            self._acting_view, self._acting_of = view, {}
        found = self._acting_of.get(author)
        if found is None:
            acting = {author}
            for resolve in ACTING_RESOLVERS:
                acting.update(resolve(view, author))
            found = self._acting_of[author] = frozenset(acting)
        return found

    def next_view(self, before: BatchView, view: BatchView) -> None:
        """``view`` follows ``before`` in the same run (the next chunk of a stream): what was read
        of who acts for whom through ``before`` still holds."""
        if self._acting_view is before:
            self._acting_view = view

    def clock(self, rec: Record) -> int:
        return clock_of(rec, self.clocks, self.store)

    def applied(self, rec: Record, changes: Changes, clock: int) -> None:
        """Book an applied record's clock (a handler may have raised it: an event comes after its
        resource's creation) and forget who acts for whom if its kind may have changed that."""
        changes.clock = self.clocks[rec.hash] = max(clock, changes.clock)
        if rec.kind not in KEEPS_ACTING:
            self._acting_of.clear()  # it may have granted, revoked or rotated something

    def judge(
        self,
        item: Record | dict[str, Any],
        view: BatchView,
        applied: list[tuple[Record, Changes]],
        evidence: list[Equivocation],
        checked: bool = False,
    ) -> Receipt:
        """Judge one record against ``view``; an applied record's changes join ``view`` and
        ``applied``, an equivocation's evidence ``evidence``. ``checked``: its signature was
        verified already (the pipeline verifies a chunk at a time)."""
        try:
            rec = item if isinstance(item, Record) else record_from_dict(item)
        except ReflowError as exc:
            return Receipt("", "rejected", exc)
        store = self.store
        try:
            if rec.network != self.network:
                raise RuleViolation(
                    f"the record belongs to network {rec.network}, this ledger to {self.network}",
                    field="network",
                    rule="network",
                )
            if self.verify and not checked:
                rec.verify_signature()
            status = check_chain(rec, store, self.heads, self.in_batch, evidence, self.seen)
            if status is not None:
                return status
            seen = self.seen
            missing = [d for d in rec.deps if d not in seen and not store.has_record(d)]
            if missing:
                return Receipt(
                    rec.hash, "missing-deps",
                    ConflictError(f"depends on records this node lacks: {missing[0]}",
                                  field="deps", rule="deps-first"),
                )  # fmt: skip
            kind = get_kind(rec.kind)
            clock = clock_of(rec, self.clocks, store)
            ctx = Context(rec, view, self.acting(view, rec.author), clock)
            if (
                not kind.open_to_strangers
                and view.agent(rec.author) is None
                # a key bound to a declared agent (key rotation) signs for that agent
                and all(view.agent(a) is None for a in ctx.acting)
            ):
                raise RuleViolation(
                    "the author has not declared itself as an agent (agent.declare first)",
                    field="author",
                    rule="declared-author",
                )
            for _name, policy in POLICIES:
                policy(ctx)
            changes = kind.handler(ctx)
        except ReflowError as exc:
            return Receipt(rec.hash, "rejected", exc)
        for observe in OBSERVERS:
            observe(ctx, changes)
        self.applied(rec, changes, clock)
        view.add(changes)
        self.heads[rec.author] = (rec.seq, rec.hash)
        self.in_batch[(rec.author, rec.seq)] = rec.hash
        self.seen.add(rec.hash)
        applied.append((rec, changes))
        return Receipt(rec.hash, "applied", None, changes.created)


def clock_of(rec: Record, clocks: dict[str, int], store: LedgerStore) -> int:
    """One more than the clocks of the author's previous record and of the deps (a Lamport
    clock): it orders events that touch one resource the same way on every node."""
    latest = 0
    for h in (rec.prev, *rec.deps) if rec.prev else rec.deps:
        found = clocks.get(h)
        if found is None:
            found = store.clock(h) or 0
        if found > latest:
            latest = found
    return latest + 1


def check_chain(
    rec: Record,
    store: LedgerStore,
    heads: dict[str, tuple[int, str]],
    in_batch: dict[tuple[str, int], str],
    evidence: list[Equivocation],
    seen: set[str],
) -> Receipt | None:
    """None if ``rec`` continues its author's chain; else what it is (a duplicate, an
    equivocation, kept as evidence), or ``ChainError`` if it does not follow."""
    if rec.hash in seen:
        return Receipt(rec.hash, "duplicate")
    head = heads.get(rec.author) or store.head(rec.author)
    last_seq, last_hash = head if head else (0, None)
    if rec.seq <= last_seq:
        kept = store.hash_at(rec.author, rec.seq) or in_batch.get((rec.author, rec.seq))
        if kept == rec.hash:
            return Receipt(rec.hash, "duplicate")
        evidence.append(Equivocation(rec.author, rec.seq, kept or "", rec))
        return Receipt(
            rec.hash, "equivocation",
            ConflictError(
                f"author {rec.author} already signed another record at seq {rec.seq}",
                field="seq", rule="equivocation",
            ),
        )  # fmt: skip
    if rec.seq != last_seq + 1:
        raise ChainError(
            f"seq {rec.seq} does not follow the author's last record (seq {last_seq})",
            field="seq",
            rule="chain-continues",
        )
    if rec.prev != last_hash:
        raise ChainError(
            "prev is not the hash of the author's previous record",
            field="prev",
            rule="chain-continues",
        )
    return None
