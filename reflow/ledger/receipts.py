"""What became of a record offered to the ledger: applied, a duplicate, or refused and why."""

from __future__ import annotations

from typing import Any, Literal

from reflow.errors import ReflowError

Status = Literal["applied", "duplicate", "rejected", "equivocation", "missing-deps"]


class Receipt:
    """What became of one record. (A plain class: compiled, its constructor is native, and the
    ledger makes one for every record it is offered.)"""

    def __init__(
        self,
        hash: str,
        status: Status,
        error: ReflowError | None = None,
        created: dict[str, str] | None = None,
    ) -> None:
        self.hash = hash
        self.status: Status = status
        self.error = error
        self.created: dict[str, str] = {} if created is None else created
        if error is not None:
            _forget_traceback(error)

    def __repr__(self) -> str:
        return f"Receipt({self.hash!r}, {self.status!r}, {self.error!r})"

    @property
    def ok(self) -> bool:
        return self.status in ("applied", "duplicate")

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"hash": self.hash, "status": self.status}
        if self.error is not None:
            out["error"] = self.error.as_dict()
        if self.created:
            out["created"] = self.created
        return out


def _forget_traceback(error: BaseException) -> None:
    """Only the error's content is news to the caller: its traceback would keep the judging
    frames, and through them the batch's whole pending state, alive with the receipt."""
    chained: BaseException | None = error
    seen: set[int] = set()
    while chained is not None and id(chained) not in seen:
        seen.add(id(chained))
        chained.__traceback__ = None
        chained = chained.__cause__ or chained.__context__
