"""One record's judgement, in the order ``Ledger.append`` promises: network, signature, chain,
dependencies, declared author, the network's policies, then its kind's rules.

Apart from the ledger's class so that it is compiled (``setup.py``): every record a node takes
comes through here, and interpreted its bookkeeping cost a tenth of the time to judge one. The
ledger (``reflow.ledger.ledger``) keeps the batch: what was applied, the chains' heads so far,
the records' clocks, the cache of who acts for whom.
"""

from __future__ import annotations

from typing import Any

from reflow.errors import ChainError, ConflictError, ReflowError, RuleViolation
from reflow.ledger.changes import Changes
from reflow.ledger.context import BatchView, Context
from reflow.ledger.kinds import OBSERVERS, POLICIES, get_kind
from reflow.ledger.port import Equivocation
from reflow.ledger.receipts import Receipt
from reflow.ledger.records import Record, record_from_dict

# Kinds after which who-acts-for-whom is unchanged, so the ledger's cache of it stays: events
# change resources, and a created object gets a fresh id derived from its record, which no grant,
# membership or key binding the acting resolvers read can be. Any other kind clears the cache.
KEEPS_ACTING = frozenset({"vf.event", "vf.create"})


def judge_record(
    ledger: Any,
    item: Record | dict[str, Any],
    view: BatchView,
    heads: dict[str, tuple[int, str]],
    applied: list[tuple[Record, Changes]],
    evidence: list[Equivocation],
    seen: set[str],
    checked: bool = False,
) -> Receipt:
    """Judge one record for ``ledger`` (a ``Ledger``) against ``view``; an applied record's
    changes join ``view`` and ``applied``, its head ``heads`` and its hash ``seen``."""
    try:
        rec = item if isinstance(item, Record) else record_from_dict(item)
    except ReflowError as exc:
        return Receipt("", "rejected", exc)
    store = ledger.store
    clocks: dict[str, int] = ledger._clocks
    try:
        if rec.network != ledger.network:
            raise RuleViolation(
                f"the record belongs to network {rec.network}, this ledger to {ledger.network}",
                field="network",
                rule="network",
            )
        if ledger.verify and not checked:
            rec.verify_signature()
        status = check_chain(rec, store, heads, ledger._in_batch, evidence, seen)
        if status is not None:
            return status
        missing = [d for d in rec.deps if d not in seen and not store.has_record(d)]
        if missing:
            return Receipt(
                rec.hash, "missing-deps",
                ConflictError(f"depends on records this node lacks: {missing[0]}",
                              field="deps", rule="deps-first"),
            )  # fmt: skip
        kind = get_kind(rec.kind)
        clock = clock_of(rec, clocks, store)
        ctx = Context(rec, view, ledger._acting(view, rec.author), clock)
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
    # a handler may raise the clock (an event comes after its resource's creation)
    changes.clock = clocks[rec.hash] = max(clock, changes.clock)
    if rec.kind not in KEEPS_ACTING:
        ledger._acting_of.clear()  # it may have granted, revoked or rotated something
    view.add(changes)
    heads[rec.author] = (rec.seq, rec.hash)
    ledger._in_batch[(rec.author, rec.seq)] = rec.hash
    seen.add(rec.hash)
    applied.append((rec, changes))
    return Receipt(rec.hash, "applied", None, changes.created)


def clock_of(rec: Record, clocks: dict[str, int], store: Any) -> int:
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
    store: Any,
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
