"""Material flow accounts per district, material group and period, aggregated in SQL.

Each flow is one SQL condition over ``report_event_places`` and the district it counts in
(``to``: where the event lands; ``from``: where a transfer or move leaves). Per side, one query
in two levels: a ``GROUP BY`` over the low-cardinality columns the conditions test (in the order
of a covering index, so SQLite streams it without sorting, summing ``CAST(mass_kg)``), then
every flow's condition as ``SUM(CASE …)`` over those few groups. :func:`explain_flow` lists the
events under the same conditions, so every figure can be traced.

========================  ====  =============================================================
flow                      side  events counted
========================  ====  =============================================================
inflow                    to    transfers/moves arriving from another (or an unknown) district;
                                raise
outflow                   from  transfers/moves leaving for another district (or outside)
production                to    produce
consumption               to    consume, lower
waste                     to    raise/produce of a waste resource (class or state, see
                                ``materials``)
reuse                     to    handing over a resource used before (it had a ``use`` event)
repair                    to    modify (VF pairs it with an accept: an accept/modify cycle)
recycling                 to    consume of waste as an input of a process
========================  ====  =============================================================

stock change = inflow + production − outflow − consumption. Rates: reuse = reuse / handed over
(transfer, transferAllRights, transferCustody arriving); repair = repair / accepted; recycling =
recycling / waste; local sourcing = consumed inputs whose resource was raised or produced inside
the territory / consumed inputs; distance per kg = Σ(kg·km) / Σ kg over transfers and moves
whose both ends have a place (haversine). Masses in kg; events without a mass are counted as
*unconverted* with their unit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, ColumnElement, Engine, Float, and_, case, cast, func, or_, select
from sqlalchemy.sql.visitors import replacement_traverse

from reflow.errors import RuleViolation
from reflow.report.catchup import catch_up
from reflow.report.places import CREATING, HANDOVER, TRANSFER_LIKE
from reflow.report.scope import C, Scope, kg, num, period_expr, time_filter
from reflow.report.tables import FLOW_KEYS, FROM_KEYS, event_places


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    side: str  # "to" | "from"
    cond: ColumnElement[bool]
    shown: bool = True  # False: only a denominator of a rate


_consumed_input = and_(C.action == "consume", C.has_input == 1)
FLOWS: tuple[Flow, ...] = (
    Flow(
        "inflow",
        "to",
        or_(
            and_(
                C.action.in_(TRANSFER_LIKE),
                or_(C.from_district.is_(None), C.from_district != C.district),
            ),
            C.action == "raise",
        ),
    ),
    Flow(
        "outflow",
        "from",
        and_(
            C.action.in_(TRANSFER_LIKE),
            or_(C.district.is_(None), C.district != C.from_district),
        ),
    ),
    Flow("production", "to", C.action == "produce"),
    Flow("consumption", "to", C.action.in_(("consume", "lower"))),
    Flow("waste", "to", and_(C.action.in_(CREATING), C.is_waste == 1)),
    Flow("reuse", "to", and_(C.action.in_(HANDOVER), C.is_reuse == 1)),
    Flow("repair", "to", C.is_repair == 1),
    Flow("recycling", "to", and_(_consumed_input, C.is_waste == 1)),
    Flow("handed_over", "to", C.action.in_(HANDOVER), shown=False),
    Flow("accepted", "to", C.action == "accept", shown=False),
    Flow("inputs", "to", _consumed_input, shown=False),
    Flow("local_inputs", "to", and_(_consumed_input, C.is_local == 1), False),
    Flow("moved", "to", and_(C.action.in_(TRANSFER_LIKE), C.has_distance == 1), False),
)
FLOW_BY_NAME = {f.name: f for f in FLOWS}
SHOWN = tuple(f.name for f in FLOWS if f.shown)

# Rates: name -> (numerator, denominator)
RATES = {
    "reuse_rate": ("reuse", "handed_over"),
    "repair_rate": ("repair", "accepted"),
    "recycling_rate": ("recycling", "waste"),
    "local_sourcing_share": ("local_inputs", "inputs"),
}
DERIVED = {
    "stock_change": ("inflow", "production", "outflow", "consumption"),
    "distance_per_kg": ("moved",),
    **{k: v for k, v in RATES.items()},
}


def _side_col(side: str) -> ColumnElement[Any]:
    return C.district if side == "to" else C.from_district


def _grouped(scope: Scope, side: str) -> Any:
    """First level: sums per combination of the columns the flows test (a streamed GROUP BY
    over a covering index; see ``tables.FLOW_KEYS``)."""
    keys = FLOW_KEYS if side == "to" else FROM_KEYS
    cols: list[Any] = [C[k] for k in keys]
    if scope.period == "day":
        cols.append(period_expr("day").label("period"))
    elif scope.period != "all":
        cols.append(C.month)  # the last key of the index: the GROUP BY still streams
    conds = time_filter(scope)
    if scope.district is not None:
        conds.append(_side_col(side) == scope.district)
    if side == "from":
        conds.append(C.action.in_(TRANSFER_LIKE))
    aggs = [func.sum(kg()).label("kg"), func.count().label("n")]
    if side == "to":
        aggs.append(func.sum(kg() * cast(C.distance_km, Float)).label("tkm"))
    return select(*cols, *aggs).where(*conds).group_by(*cols).subquery("g")


def _aggregate(engine: Engine, scope: Scope, side: str, by_material: bool) -> list[Any]:
    """Second level: every flow's condition over the (few) first-level groups."""
    g = _grouped(scope, side)

    def on_g(expr: ColumnElement[Any]) -> ColumnElement[Any]:
        def swap(el: Any) -> Any:
            if isinstance(el, Column) and el.table is event_places:
                return g.c[el.name]
            return None

        return replacement_traverse(expr, {}, swap)  # type: ignore[no-any-return]

    where = g.c.district if side == "to" else g.c.from_district
    keys: list[ColumnElement[Any]] = [where.label("district")]
    if by_material:
        keys.append(g.c.material.label("material"))
    if scope.period == "year":
        keys.append(func.substr(g.c.month, 1, 4).label("period"))
    elif scope.period == "month":
        keys.append(g.c.month.label("period"))
    elif scope.period == "day":
        keys.append(g.c.period.label("period"))
    keys.append(case((g.c.has_mass == 0, func.coalesce(g.c.unit, ""))).label("uunit"))
    aggs: list[ColumnElement[Any]] = []
    for f in FLOWS:
        if f.side != side:
            continue
        cond = on_g(f.cond)
        aggs.append(func.sum(case((cond, g.c.kg))).label(f"{f.name}_kg"))
        aggs.append(func.sum(case((cond, g.c.n), else_=0)).label(f"{f.name}_n"))
    if side == "to":
        aggs.append(func.sum(case((on_g(FLOW_BY_NAME["moved"].cond), g.c.tkm))).label("tkm"))
    stmt = select(*keys, *aggs).group_by(*keys)
    with engine.connect() as conn:
        return conn.execute(stmt).all()


def _blank(district: str | None, material: str, period: str) -> dict[str, Any]:
    row: dict[str, Any] = {"district": district, "material": material, "period": period}
    for f in FLOWS:
        row[f"{f.name}_kg"] = 0.0
        row[f"{f.name}_events"] = 0
    row["tkm"] = 0.0
    row["unconverted"] = []
    return row


def flow_accounts(
    engine: Engine, scope: Scope, *, by_material: bool = True
) -> list[dict[str, Any]]:
    """One row per (district, material group, period) with every flow, rate and the unconverted."""
    catch_up(engine)  # place the events recorded since the last report
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for side in ("to", "from"):
        for r in _aggregate(engine, scope, side, by_material):
            m = r._mapping
            material = m["material"] if by_material else "*"
            period = m["period"] if scope.period != "all" else scope.label()
            key = (m["district"], material, period)
            row = out.setdefault(key, _blank(m["district"], material, period))
            for f in FLOWS:
                if f.side != side:
                    continue
                n = int(m[f"{f.name}_n"] or 0)
                row[f"{f.name}_events"] += n
                if m["uunit"] is not None and n:
                    row["unconverted"].append({"flow": f.name, "unit": m["uunit"], "events": n})
                elif m[f"{f.name}_kg"] is not None:
                    row[f"{f.name}_kg"] += float(m[f"{f.name}_kg"])
            if side == "to" and m["tkm"] is not None:
                row["tkm"] += float(m["tkm"])
    return [_finish(out[k]) for k in sorted(out, key=_sort_key)]


def _sort_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((v is None, v or "") for v in key)


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 6) if b else None


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    g = row
    out: dict[str, Any] = {k: g[k] for k in ("district", "material", "period")}
    for name in SHOWN:
        out[f"{name}_kg"] = num(g[f"{name}_kg"])
    out["stock_change_kg"] = num(
        g["inflow_kg"] + g["production_kg"] - g["outflow_kg"] - g["consumption_kg"]
    )
    for rate, (top, bottom) in RATES.items():
        out[rate] = _ratio(g[f"{top}_kg"], g[f"{bottom}_kg"])
    out["distance_per_kg_km"] = _ratio(g["tkm"], g["moved_kg"])
    out["events"] = {f.name: g[f"{f.name}_events"] for f in FLOWS}
    out["unconverted"] = sorted(g["unconverted"], key=lambda u: (u["flow"], u["unit"]))
    return out


def flow_conditions(indicator: str) -> Iterable[Flow]:
    """The flows whose events make up ``indicator`` (a flow, a rate or stock_change)."""
    name = indicator.removesuffix("_kg")
    if name in FLOW_BY_NAME:
        return (FLOW_BY_NAME[name],)
    if name in DERIVED or name == "distance_per_kg_km":
        parts = DERIVED.get(name, ("moved",))
        return tuple(FLOW_BY_NAME[p] for p in parts)
    known = ", ".join([*SHOWN, "stock_change", *RATES, "distance_per_kg"])
    raise RuleViolation(
        f"unknown indicator {indicator!r}; one of {known}", field="indicator", rule="known"
    )


def explain_flow(
    engine: Engine, indicator: str, district: str | None, scope: Scope, period: str | None = None
) -> list[str]:
    """The ids of the events behind a flow figure (same conditions as the report)."""
    catch_up(engine)  # place the events recorded since the last report
    parts = []
    for f in flow_conditions(indicator):
        side = _side_col(f.side)
        parts.append(and_(f.cond, side.is_(None) if district is None else side == district))
    conds = time_filter(scope)
    if period and period != scope.label() and scope.period != "all":
        conds.append(period_expr(scope.period) == period)
    stmt = select(C.event_id).where(or_(*parts), *conds).order_by(C.event_id)
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(stmt)]
