"""What the drafting of a plan shares: the demand, the draft, and how numbers and times are
written in records (decimal strings, UTC to the second)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from reflow.plan.explode import Explosion, Planned, up
from reflow.store.codec import dec_text

LOCAL_KM = 0.5  # closer than this to the plan's place, an input needs no transport


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def q(value: Decimal, unit: str) -> dict[str, str]:
    return {"hasNumericalValue": dec_text(up(value)) or "0", "hasUnit": unit}


def km(x: float | None) -> str | None:
    return None if x is None else str(round(x, 3))


@dataclass(slots=True)
class Demand:
    spec: str
    quantity: Decimal
    unit: str
    due: datetime
    place: str | None
    receiver: str
    radius_km: float


@dataclass(slots=True)
class Draft:
    """The parts of a plan before they become a record body."""

    processes: list[dict[str, Any]] = field(default_factory=list)
    commitments: list[dict[str, Any]] = field(default_factory=list)
    unmet: list[dict[str, Any]] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)  # planned/leg id -> process key
    planned: set[str] = field(default_factory=set)  # the recipe processes the plan needs
    needed: set[tuple[str, str | None, str | None]] = field(default_factory=set)  # need keys


def first_consumer(ex: Explosion, consumers: list[tuple[str, Any]]) -> Planned | None:
    procs = [ex.processes[c] for c, _f in consumers]
    return min(procs, key=lambda p: (p.begins, p.id)) if procs else None
