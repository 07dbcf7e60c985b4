"""The Material Circularity Indicator (Ellen MacArthur Foundation method) per product spec.

For a product specification with mass ``M`` produced in the scope::

    V   = M (1 − F_R − F_U)                      virgin feedstock
    W_0 = M (1 − C_R − C_U)                      mass going to landfill/energy recovery
    W_F = M F_R (1 − E_F) / E_F                  waste of making the recycled feedstock
    W_C = M (1 − E_C) C_R                        waste of recycling the product
    W   = W_0 + (W_F + W_C) / 2                  unrecoverable waste
    LFI = (V + W) / (2M + (W_F − W_C) / 2)       linear flow index
    F(X) = 0.9 / X                               X = utility (use time / industry average)
    MCI = max(0, 1 − LFI · F(X))

Inputs from the records: ``F_R`` = share (by mass) of the inputs consumed by the processes that
produce the spec that are waste (recycled feedstock); ``F_U`` = share of those inputs that are
not waste but were used before (reused components); ``C_R`` = mass of the spec consumed as an
input of a process afterwards (collected for recycling) / M; ``C_U`` = mass of the spec handed on
after use (reuse) / M; both capped so ``C_R + C_U ≤ 1``. ``E_F``, ``E_C`` (recycling
efficiencies) and ``X`` are parameters (default 1: no loss, average utility), shown with the
result.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Float, and_, case, cast, func, select

from reflow.report.catchup import catch_up
from reflow.report.places import HANDOVER
from reflow.report.scope import C, Scope, kg, num, time_filter
from reflow.report.tables import event_places

FORMULA = (
    "MCI = max(0, 1 − LFI·F(X)); LFI = (V + W) / (2M + (W_F − W_C)/2); "
    "V = M(1 − F_R − F_U); W = W_0 + (W_F + W_C)/2; W_0 = M(1 − C_R − C_U); "
    "W_F = M·F_R(1 − E_F)/E_F; W_C = M(1 − E_C)C_R; F(X) = 0.9/X"
)


def mci(
    m: float,
    f_r: float,
    f_u: float,
    c_r: float,
    c_u: float,
    *,
    e_f: float = 1.0,
    e_c: float = 1.0,
    utility: float = 1.0,
) -> dict[str, float]:
    """The EMF formula on given inputs (pure: tested against hand-computed values)."""
    v = m * (1 - f_r - f_u)
    w0 = m * (1 - c_r - c_u)
    wf = m * f_r * (1 - e_f) / e_f
    wc = m * (1 - e_c) * c_r
    w = w0 + (wf + wc) / 2
    lfi = (v + w) / (2 * m + (wf - wc) / 2)
    fx = 0.9 / utility
    return {
        "M": m, "F_R": f_r, "F_U": f_u, "C_R": c_r, "C_U": c_u, "E_F": e_f, "E_C": e_c,
        "X": utility, "V": v, "W_0": w0, "W_F": wf, "W_C": wc, "W": w, "LFI": lfi, "F_X": fx,
        "MCI": max(0.0, 1 - lfi * fx),
    }  # fmt: skip


def _conds(scope: Scope) -> list[Any]:
    conds = time_filter(scope)
    if scope.district is not None:
        conds.append(C.district == scope.district)
    return conds


def circularity(
    engine: Engine,
    scope: Scope,
    *,
    e_f: float = 1.0,
    e_c: float = 1.0,
    utility: dict[str, float] | None = None,
) -> list[dict[str, Any]]:
    """One row per product specification produced in the scope, with every MCI input."""
    catch_up(engine)  # place the events recorded since the last report
    conds = _conds(scope)
    produced = (
        select(C.spec, func.sum(kg()).label("m"))
        .where(C.action == "produce", C.spec.is_not(None), *conds)
        .group_by(C.spec)
    )
    makers = (
        select(C.spec.label("spec"), C.output_of.label("process"))
        .where(C.action == "produce", C.spec.is_not(None), *conds)
        .distinct()
        .subquery()
    )
    inp = event_places.alias("inp")
    ikg = cast(inp.c.mass_kg, Float)
    fed = (
        select(
            makers.c.spec,
            func.sum(ikg).label("all"),
            func.sum(case((inp.c.is_waste == 1, ikg))).label(
                "rec"
            ),
            func.sum(
                case(
                    (and_(inp.c.is_waste == 0, inp.c.is_reuse == 1),
                     ikg)
                )
            ).label("reu"),
        )
        .join(inp, inp.c.input_of == makers.c.process)
        .where(inp.c.action == "consume")
        .group_by(makers.c.spec)
    )  # fmt: skip
    after = (
        select(
            C.spec,
            func.sum(case((and_(C.action == "consume", C.has_input == 1), kg()))).label("cr"),
            func.sum(case((and_(C.action.in_(HANDOVER), C.is_reuse == 1), kg()))).label("cu"),
        )
        .where(C.spec.is_not(None), C.action.in_(HANDOVER | {"consume"}), *time_filter(scope))
        .group_by(C.spec)
    )
    with engine.connect() as conn:
        masses = {r.spec: float(r.m or 0) for r in conn.execute(produced)}
        inputs = {r.spec: r for r in conn.execute(fed)}
        fates = {r.spec: r for r in conn.execute(after)}
        names = _spec_names(conn, list(masses))
    out = []
    for spec in sorted(masses):
        m = masses[spec]
        if m <= 0:
            continue
        i = inputs.get(spec)
        total = float(i.all or 0) if i else 0.0
        f_r = float(i.rec or 0) / total if total else 0.0
        f_u = float(i.reu or 0) / total if total else 0.0
        f = fates.get(spec)
        c_r = min(1.0, float(f.cr or 0) / m) if f else 0.0
        c_u = min(1.0 - c_r, float(f.cu or 0) / m) if f else 0.0
        x = (utility or {}).get(spec, 1.0)
        figures = mci(m, f_r, f_u, c_r, c_u, e_f=e_f, e_c=e_c, utility=x)
        row: dict[str, Any] = {"spec": spec, "name": names.get(spec), "district": scope.district}
        row.update({k: num(v) for k, v in figures.items()})
        row["formula"] = FORMULA
        out.append(row)
    return out


def _spec_names(conn: Any, ids: list[str]) -> dict[str, str]:
    import json

    from reflow.store.schema import vf_objects

    if not ids:
        return {}
    rows = conn.execute(select(vf_objects.c.id, vf_objects.c.data).where(vf_objects.c.id.in_(ids)))
    return {r.id: json.loads(r.data).get("name") for r in rows}


def explain_mci(engine: Engine, spec: str, scope: Scope) -> list[str]:
    """Events behind a spec's MCI: its production, the inputs of those processes, its fate."""
    catch_up(engine)  # place the events recorded since the last report
    conds = _conds(scope)
    procs = select(C.output_of).where(C.action == "produce", C.spec == spec, *conds)
    stmt = (
        select(C.event_id)
        .where((C.spec == spec) | (and_(C.action == "consume", C.input_of.in_(procs))))
        .where(*time_filter(scope))
        .order_by(C.event_id)
    )
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(stmt)]
