"""What the ledger needs from storage; ``reflow.store`` implements it.

The ledger is an inner layer: it names the operations it needs and the store (an outer layer)
provides them, so the rules and the chain checks never import SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from reflow.ledger.changes import Changes, VfObject
from reflow.ledger.records import Record
from reflow.vf.state import EventState, ProcessState, ResourceState


class Equivocation:
    """Evidence that an author signed two different records at one position of its chain."""

    __slots__ = ("author", "kept", "other", "seq")

    def __init__(self, author: str, seq: int, kept: str, other: Record) -> None:
        self.author, self.seq, self.kept, self.other = author, seq, kept, other


class LedgerStore(Protocol):
    def head(self, author: str) -> tuple[int, str] | None:
        """(seq, hash) of the author's last record, or None."""
        ...

    def hash_at(self, author: str, seq: int) -> str | None: ...

    def has_record(self, record_hash: str) -> bool: ...

    def clock(self, record_hash: str) -> int | None:
        """The logical clock stored with a record, or None if the record is not here."""
        ...

    def resource(self, resource_id: str) -> ResourceState | None: ...

    def contents(self, container_id: str) -> list[ResourceState]: ...

    def may_contain(self, container_id: str) -> bool:
        """False only when the resource certainly holds nothing (lets callers skip a query)."""
        ...

    def process(self, process_id: str) -> ProcessState | None: ...

    def event(self, event_id: str) -> EventState | None: ...

    def events_on(self, process_id: str, resource_id: str, action: str) -> list[EventState]: ...

    def object(self, object_id: str) -> VfObject | None: ...

    def refresh(self) -> None:
        """Forget cached state if another writer appended since (called before each batch)."""
        ...

    def commit(
        self,
        applied: Sequence[tuple[Record, Changes]],
        equivocations: Sequence[Equivocation],
        *,
        write_log: bool = True,
        merged: Changes | None = None,
    ) -> None:
        """Write the records, their projection changes and the evidence in one transaction.

        With ``write_log=False`` only the projections are written (rebuild replays the log).
        ``merged``, when given, is the applied changes already merged (a batch's view holds
        them so), which the store would otherwise merge again.
        Raises ``StaleStateError`` if another writer appended since ``refresh``.
        """
        ...
