"""What live plans already hold: inventory they reserved, and the time of people and vehicles
their commitments book. Read from the plan projections for every planning run.

A commitment holds something while it is live: not cancelled, and not refused by its provider
(a refusal frees what it held even before the planner re-plans). A commitment a revision reduced
to the part done holds only that part. Times are UTC text of fixed width in the tables.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select

from reflow.errors import UnitError
from reflow.market.tables import fulfilments
from reflow.plan.recipes import HOUR
from reflow.plan.tables import (
    answers,
    cancellations,
    commitments,
    processes,
    reductions,
    reservations,
)
from reflow.vf.units import convert

Span = tuple[datetime, datetime]


def parse_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def bookings(
    conn: Any, agents: set[str], exclude: frozenset[str], since: datetime | None
) -> dict[str, list[Span]]:
    """The blocks of time live work and trips (``use`` of a vehicle: its driver's time) of every
    plan book each agent for.

    A commitment recorded without a block (before blocks were recorded) books the stretch of
    its hours that ends at its due time (work) or begins at it (a trip: due when it starts).
    """
    if not agents:
        return {}
    q = select(
        commitments.c.id, commitments.c.provider, commitments.c.begins, commitments.c.ends,
        commitments.c.due, commitments.c.quantity, commitments.c.unit, commitments.c.role,
    ).where(
        commitments.c.role.in_(("work", "use")),
        commitments.c.provider.in_(sorted(agents)),
        live(commitments.c.id, exclude),
    )  # fmt: skip
    if since is not None:
        stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        q = q.where(or_(commitments.c.due >= stamp, commitments.c.ends >= stamp))
    out: dict[str, list[Span]] = {}
    done = reduced(conn)
    for r in conn.execute(q.order_by(commitments.c.provider, commitments.c.id)):
        try:
            hours = convert(done.get(r.id, Decimal(r.quantity)), r.unit, HOUR)
        except UnitError:
            continue
        begins, ends = parse_time(r.begins), parse_time(r.ends)
        if begins is None or ends is None:
            due = parse_time(r.due)
            assert due is not None
            if r.role == "use":
                begins, ends = due, due + timedelta(hours=float(hours))
            else:
                begins, ends = due - timedelta(hours=float(hours)), due
        elif r.id in done:  # the part done: the start of the block
            ends = min(ends, begins + timedelta(hours=float(hours)))
        out.setdefault(r.provider, []).append((begins, ends))
    return out


def trips(conn: Any, vehicle_ids: list[str], exclude: frozenset[str]) -> dict[str, list[Span]]:
    """When live plans already use each vehicle: the trips their ``use`` commitments book (or,
    for one recorded without its block, the window of its transport process)."""
    out: dict[str, list[Span]] = {}
    if not vehicle_ids:
        return out
    rows = conn.execute(
        select(
            commitments.c.resource,
            func.coalesce(commitments.c.begins, processes.c.begins).label("begins"),
            func.coalesce(commitments.c.ends, processes.c.ends).label("ends"),
        )
        .join(processes, processes.c.id == commitments.c.process)
        .where(
            commitments.c.role == "use",
            commitments.c.resource.in_(sorted(vehicle_ids)),
            live(commitments.c.id, exclude),
        )
        .order_by(commitments.c.resource, commitments.c.id)
    )
    for r in rows:
        begins, ends = parse_time(r.begins), parse_time(r.ends)
        if begins is not None and ends is not None:
            out.setdefault(r.resource, []).append((begins, ends))
    return out


def reduced(conn: Any, ids: list[str] | None = None) -> dict[str, Decimal]:
    """Commitments a revision reduced to the part done: their quantity now (their unit)."""
    q = select(reductions.c.commitment, reductions.c.quantity)
    if ids is not None:
        q = q.where(reductions.c.commitment.in_(ids))
    out: dict[str, Decimal] = {}
    for r in conn.execute(q):
        value = Decimal(r.quantity)
        out[r.commitment] = min(value, out.get(r.commitment, value))
    return out


def live(id_col: Any, exclude: frozenset[str]) -> Any:
    """Commitments that still hold something: not cancelled, not refused by their provider."""
    cond = and_(
        id_col.not_in(select(cancellations.c.id)),
        id_col.not_in(select(answers.c.commitment).where(answers.c.answer == "refused")),
    )
    if exclude:
        cond = and_(cond, id_col.not_in(sorted(exclude)))
    return cond


def reserved(conn: Any, exclude: frozenset[str]) -> dict[str, Decimal]:
    """Per resource, what live plans still hold of it: reserved, less what was fulfilled."""
    done = (
        select(fulfilments.c.commitment, func.count().label("n"))
        .group_by(fulfilments.c.commitment)
        .subquery()
    )
    rows = conn.execute(
        select(reservations, done.c.n)
        .outerjoin(done, done.c.commitment == reservations.c.commitment)
        .where(live(reservations.c.commitment, exclude))
    ).all()
    fulfilled: dict[str, Decimal] = {}
    ids = [r.commitment for r in rows if r.n]
    if ids:
        for f in conn.execute(select(fulfilments).where(fulfilments.c.commitment.in_(ids))):
            fulfilled[f.commitment] = fulfilled.get(f.commitment, Decimal(0)) + Decimal(f.quantity)
    cut = reduced(conn, ids)  # only a commitment partly fulfilled is ever reduced
    out: dict[str, Decimal] = {}
    for r in rows:
        held = min(Decimal(r.quantity), cut.get(r.commitment, Decimal(r.quantity)))
        left = held - fulfilled.get(r.commitment, Decimal(0))
        if left > 0:
            out[r.resource] = out.get(r.resource, Decimal(0)) + left
    return out
