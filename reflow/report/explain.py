"""``explain(indicator, district, material, period)``: the events behind any reported figure.

Flow figures and rates reuse the report's own SQL conditions (``flows.explain_flow``), the MCI
lists the production, inputs and fate of the specification (``material`` is then the spec id),
participation lists the events placed in the district. ``district=None`` means "no place".
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from reflow.report.catchup import catch_up
from reflow.report.circularity import explain_mci
from reflow.report.flows import explain_flow
from reflow.report.scope import C, Scope, period_expr, time_filter

PARTICIPATION = ("active_agents", "new_agents", "agents_per_role")


def explain(
    engine: Engine,
    indicator: str,
    district: str | None,
    material: str | None = None,
    period: str | None = None,
    *,
    scope: Scope | None = None,
) -> list[str]:
    """Ids of the events a figure was computed from, sorted.

    ``period`` is a period label as the report printed it (``2026``, ``2026-03``…); ``scope``
    gives the window (``--from``/``--to``).
    """
    catch_up(engine)  # place the events recorded since the last report
    base = scope or Scope.make()
    grain = {4: "year", 7: "month", 10: "day"}.get(len(period or ""), base.period)
    sc = Scope(district, None, base.start, base.end, grain)
    if indicator in ("mci", "MCI"):
        return explain_mci(engine, material or "", sc)
    sc = Scope(district, material, base.start, base.end, grain)
    if indicator in PARTICIPATION:
        conds = time_filter(sc)
        conds.append(C.district.is_(None) if district is None else C.district == district)
        if period and grain != "all":
            conds.append(period_expr(grain) == period)
        with engine.connect() as conn:
            stmt = select(C.event_id).where(*conds).order_by(C.event_id)
            return [r[0] for r in conn.execute(stmt)]
    return explain_flow(engine, indicator, district, sc, period)
