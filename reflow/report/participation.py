"""Participation per district and period: who takes part, who is new, and how value spreads.

Agents are counted from two streamed GROUP BYs (providers, receivers) over covering indexes;
Python then only merges the distinct (district, agent, action) combinations, never events.

* active agents: distinct providers and receivers of events placed in the district;
* new agents: active agents whose first event anywhere falls in the period;
* agents per role: distinct agents per (provider|receiver, action);
* value distribution: the ``resourceQuantity`` of Claims (``vf_objects``) summed per receiver,
  per unit — the share of the top 10 % of receivers and the Gini coefficient
  ``G = 2·Σ i·x_i / (n·Σx) − (n+1)/n`` (x ascending, i from 1). Both are 0 when there are no
  claims. A claim counts in a district when the event that triggered it was placed there.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, and_, case, func, literal, select

from reflow.report.catchup import catch_up
from reflow.report.scope import C, Scope, num
from reflow.report.tables import event_places
from reflow.store.schema import vf_objects
from reflow.vf.units import canonical_unit_id


def gini(values: list[float]) -> float:
    xs = sorted(v for v in values if v > 0)
    n, total = len(xs), sum(xs)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum((i + 1) * x for i, x in enumerate(xs))
    return 2 * weighted / (n * total) - (n + 1) / n


def top_share(values: list[float], fraction: float = 0.1) -> float:
    xs = sorted((v for v in values if v > 0), reverse=True)
    total = sum(xs)
    if not xs or total == 0:
        return 0.0
    k = max(1, math.ceil(len(xs) * fraction))
    return sum(xs[:k]) / total


def _pairs(conn: Any, agent: Any, scope: Scope) -> list[Any]:
    """(district, agent, action, first time, events in the window) — one streamed GROUP BY over
    the covering index (district, agent, action, at); the whole table, so first times are
    first times anywhere."""
    window = [c for c in (C.at >= scope.start if scope.start else None,
                          C.at < scope.end if scope.end else None) if c is not None]  # fmt: skip
    inside = case((and_(*window), 1), else_=0) if window else literal(1)
    stmt = select(C.district, agent, C.action, func.min(C.at), func.sum(inside)).group_by(
        C.district, agent, C.action
    )
    return conn.execute(stmt).all()  # type: ignore[no-any-return]


def participation(engine: Engine, scope: Scope) -> list[dict[str, Any]]:
    """One row per district (events without a place under ``None``)."""
    catch_up(engine)  # place the events recorded since the last report
    with engine.connect() as conn:
        pairs = {"provider": _pairs(conn, C.provider, scope),
                 "receiver": _pairs(conn, C.receiver, scope)}  # fmt: skip
        claims = _claims(conn, scope)
    first: dict[str, str] = {}
    active: dict[Any, set[str]] = {}
    roles: dict[Any, dict[str, set[str]]] = {}
    for role, rows in pairs.items():
        for district, agent, action, at, inside in rows:
            if agent not in first or at < first[agent]:
                first[agent] = at
            if not inside or (scope.district is not None and district != scope.district):
                continue
            active.setdefault(district, set()).add(agent)
            roles.setdefault(district, {}).setdefault(f"{role}:{action}", set()).add(agent)

    def is_new(agent: str) -> bool:
        at = first[agent]
        return (not scope.start or at >= scope.start) and (not scope.end or at < scope.end)

    out = []
    for d in sorted(active, key=lambda v: (v is None, v or "")):
        out.append({
            "district": d,
            "period": scope.label(),
            "active_agents": len(active[d]),
            "new_agents": sum(1 for a in active[d] if is_new(a)),
            "agents_per_role": {k: len(v) for k, v in sorted(roles[d].items())},
            "value": _spread(claims, d),
        })  # fmt: skip
    return out


def _claims(conn: Any, scope: Scope) -> list[tuple[str | None, str, str, Decimal]]:
    """(district of the triggering event, receiver, unit, amount) of every live Claim."""
    rows = conn.execute(
        select(vf_objects.c.data).where(
            vf_objects.c.type == "Claim", vf_objects.c.deleted.is_(False)
        )
    ).all()
    places = {}
    docs = [json.loads(r.data) for r in rows]
    trig = sorted({d["triggeredBy"] for d in docs if d.get("triggeredBy")})
    if trig:
        q = select(event_places.c.event_id, event_places.c.district, event_places.c.at).where(
            event_places.c.event_id.in_(trig)
        )
        places = {r.event_id: (r.district, r.at) for r in conn.execute(q)}
    out = []
    for d in docs:
        q = d.get("resourceQuantity")
        if not q:
            continue
        district, at = places.get(d.get("triggeredBy"), (None, d.get("created")))
        if at and ((scope.start and at < scope.start) or (scope.end and at >= scope.end)):
            continue
        out.append(
            (district, d["receiver"], canonical_unit_id(q["hasUnit"]),
             Decimal(q["hasNumericalValue"]))
        )  # fmt: skip
    return out


def _spread(claims: list[tuple[str | None, str, str, Decimal]], district: str | None) -> Any:
    per_unit: dict[str, dict[str, Decimal]] = {}
    for d, receiver, unit, amount in claims:
        if d == district:
            agents = per_unit.setdefault(unit, {})
            agents[receiver] = agents.get(receiver, Decimal(0)) + amount
    if not per_unit:
        return [{"unit": None, "receivers": 0, "total": 0, "top10_share": 0.0, "gini": 0.0}]
    out = []
    for unit in sorted(per_unit):
        vals = [float(v) for v in per_unit[unit].values()]
        out.append({
            "unit": unit, "receivers": len(vals), "total": num(sum(vals)),
            "top10_share": num(top_share(vals)), "gini": num(gini(vals)),
        })  # fmt: skip
    return out
