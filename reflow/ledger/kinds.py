"""The registry of record kinds: each kind names a handler that judges and applies a record.

Kinds are stable, versioned names stored in records (``vf.event``, ``agent.declare``…), never
Python import paths, so a record signed today still means the same after code moves. Outer
services (market, plan, value, governance) register their own kinds here; a node refuses a
record of a kind it does not know.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reflow.errors import RuleViolation

if TYPE_CHECKING:
    from reflow.ledger.changes import Changes
    from reflow.ledger.context import Context

Handler = Callable[["Context"], "Changes"]
# A policy sees every record before its handler: network rules (membership, roles) live here.
Policy = Callable[["Context"], None]
# An observer sees what a record's handler changed, as the record is judged, and may add rows of
# its service's tables to those changes (``changes.rows``): facts of the moment a record was
# judged, the same on every node and however the records were batched, written in the record's
# transaction. It must not refuse anything (policies and handlers do that).
Observer = Callable[["Context", "Changes"], None]


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    handler: Handler
    doc: str
    # Whether an author that has not declared itself as an agent may sign it (only the
    # declaration itself and network bootstrap records).
    open_to_strangers: bool = False


KINDS: dict[str, Kind] = {}
POLICIES: list[tuple[str, Policy]] = []
OBSERVERS: list[Observer] = []


def register_kind(
    name: str, handler: Handler, doc: str, *, open_to_strangers: bool = False
) -> None:
    existing = KINDS.get(name)
    if existing is not None and existing.handler is not handler:
        raise ValueError(f"record kind {name!r} is registered twice")
    KINDS[name] = Kind(name, handler, doc, open_to_strangers)


def register_policy(name: str, policy: Policy) -> None:
    if all(n != name for n, _ in POLICIES):
        POLICIES.append((name, policy))


def register_observer(observer: Observer) -> None:
    if observer not in OBSERVERS:
        OBSERVERS.append(observer)


def get_kind(name: str) -> Kind:
    kind = KINDS.get(name)
    if kind is None:
        raise RuleViolation(f"unknown record kind {name!r}", field="kind", rule="known-kind")
    return kind
