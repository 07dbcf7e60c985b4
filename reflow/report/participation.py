"""Participation per district and period: who takes part, who is new, and how value spreads.

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

from sqlalchemy import Engine, func, literal, select, union_all

from reflow.report.scope import C, Scope, num, time_filter
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


def _agents(scope: Scope) -> Any:
    conds = time_filter(scope)
    if scope.district is not None:
        conds.append(C.district == scope.district)
    return union_all(
        select(C.district, C.provider.label("agent"), literal("provider").label("role"),
               C.action).where(*conds),
        select(C.district, C.receiver.label("agent"), literal("receiver").label("role"),
               C.action).where(*conds),
    ).subquery()  # fmt: skip


def participation(engine: Engine, scope: Scope) -> list[dict[str, Any]]:
    """One row per district (events without a place under ``None``)."""
    a = _agents(scope)
    everyone = union_all(
        select(C.provider.label("agent"), C.at), select(C.receiver.label("agent"), C.at)
    ).subquery()
    first = (
        select(everyone.c.agent, func.min(everyone.c.at).label("first"))
        .group_by(everyone.c.agent)
        .subquery()
    )
    active = select(a.c.district, func.count(func.distinct(a.c.agent))).group_by(a.c.district)
    new_conds = []
    if scope.start:
        new_conds.append(first.c.first >= scope.start)
    if scope.end:
        new_conds.append(first.c.first < scope.end)
    new = (
        select(a.c.district, func.count(func.distinct(a.c.agent)))
        .join(first, first.c.agent == a.c.agent)
        .where(*new_conds)
        .group_by(a.c.district)
    )
    roles = select(
        a.c.district, a.c.role, a.c.action, func.count(func.distinct(a.c.agent))
    ).group_by(a.c.district, a.c.role, a.c.action)
    with engine.connect() as conn:
        counts = {r[0]: int(r[1]) for r in conn.execute(active)}
        news = {r[0]: int(r[1]) for r in conn.execute(new)}
        per_role: dict[Any, dict[str, int]] = {}
        for d, role, action, n in conn.execute(roles):
            per_role.setdefault(d, {})[f"{role}:{action}"] = int(n)
        claims = _claims(conn, scope)
    out = []
    for d in sorted(counts, key=lambda v: (v is None, v or "")):
        row: dict[str, Any] = {
            "district": d,
            "period": scope.label(),
            "active_agents": counts[d],
            "new_agents": news.get(d, 0),
            "agents_per_role": dict(sorted(per_role.get(d, {}).items())),
        }
        row["value"] = _spread(claims, d if scope.district is None else scope.district)
        out.append(row)
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
