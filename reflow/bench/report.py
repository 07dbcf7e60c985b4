"""The report benchmark: every territory indicator on a city of 20 districts over a year.

Setup, said plainly: signing and ingesting 1 000 000 real records takes far longer than the
reports themselves, so the big run generates the *projection rows* (``report_event_places``)
directly, in bulk (``executemany`` in one transaction), with the distribution of a busy city
(transfers, moves, production, consumption, repairs, waste, unconvertible units). The districts
are written to ``report_districts`` the same way. What is timed — the reports' SQL — is the
same as on a real node. With ``records=N`` the run also ingests N real signed records (the ingest
benchmark's workload, through ``Ledger.append_many`` and the report projector) and times the
reports on them.
"""

from __future__ import annotations

import json
import math
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert

from reflow.plugins import load_plugins
from reflow.report import tables
from reflow.report.catchup import INSERT_ROW, catch_up
from reflow.report.circularity import circularity
from reflow.report.explain import explain
from reflow.report.export import sankey_data
from reflow.report.flows import flow_accounts
from reflow.report.participation import participation
from reflow.report.scope import Scope
from reflow.report.territory import haversine_km
from reflow.store.sqlstore import SqlStore

SETUP_NOTE = (
    "projection rows generated in bulk with executemany (not signed records): ingesting "
    "1M signed records would dominate the run; the timed report SQL is the same"
)
# the city: lat 52.30-52.40, long 4.80-5.00, cut into a grid of districts
SOUTH, WEST, NORTH, EAST = 52.30, 4.80, 52.40, 5.00
ACTIONS = [
    ("transfer", 22), ("move", 6), ("transferCustody", 3), ("produce", 15), ("consume", 20),
    ("raise", 10), ("use", 8), ("accept", 5), ("modify", 5), ("lower", 2), ("transferAllRights", 4),
]  # fmt: skip
MATERIALS = [f"https://reflowos.eu/ns/material#{m}" for m in (
    "textile", "wood", "metal", "plastic", "glass", "paper", "food", "electronics")]  # fmt: skip


def grid(districts: int) -> tuple[int, int]:
    cols = math.ceil(math.sqrt(districts * 2))
    rows = math.ceil(districts / cols)
    return cols, rows


def district_rows(districts: int) -> list[dict[str, Any]]:
    cols, rows = grid(districts)
    out = []
    for i in range(districts):
        c, r = i % cols, i // cols
        w, e = WEST + (EAST - WEST) * c / cols, WEST + (EAST - WEST) * (c + 1) / cols
        s, n = SOUTH + (NORTH - SOUTH) * r / rows, SOUTH + (NORTH - SOUTH) * (r + 1) / rows
        ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
        out.append({
            "id": f"D{i:02d}", "name": f"district {i}", "min_long": repr(w), "min_lat": repr(s),
            "max_long": repr(e), "max_lat": repr(n), "record": "bench",
            "geometry": json.dumps({"type": "Polygon", "coordinates": [ring]}),
        })  # fmt: skip
    return out


def _write_territory(store: SqlStore, districts: int) -> None:
    with store.engine.begin() as conn:
        conn.execute(delete(tables.districts))
        conn.execute(insert(tables.districts), district_rows(districts))
        conn.execute(delete(tables.territory))
        conn.execute(insert(tables.territory), [{
            "key": "current", "record": "bench", "name": "bench city", "h3_resolution": 8,
            "district_count": districts}])  # fmt: skip


def generate(store: SqlStore, events: int, districts: int, seed: int = 11) -> float:
    """Bulk-insert ``events`` projection rows; returns the seconds it took."""
    rng = random.Random(seed)
    cols, rows = grid(districts)
    names = [a for a, _ in ACTIONS]
    weights = [w for _, w in ACTIONS]
    # a city has locality: each district has its own 100 agents and 250 processes, and 9 in
    # 10 events involve agents of the district where they happen
    agents = [[f"agent{d:02d}-{k:03d}" for k in range(100)] for d in range(districts)]

    def someone(d: str) -> str:
        home = int(d[1:]) if rng.random() < 0.9 else rng.randrange(districts)
        return rng.choice(agents[home])

    start = time.perf_counter()

    def point() -> tuple[float, float, str]:
        i = rng.randrange(districts)
        c, r = i % cols, i // cols
        lat = SOUTH + (NORTH - SOUTH) * (r + rng.random()) / rows
        long = WEST + (EAST - WEST) * (c + rng.random()) / cols
        return round(lat, 6), round(long, 6), f"D{i:02d}"

    batch: list[dict[str, Any]] = []
    with store.engine.begin() as conn:
        dialect = conn.dialect
        if dialect.name == "sqlite":
            from sqlalchemy.dialects import sqlite

            dialect = sqlite.dialect(paramstyle="named")
        sql = str(INSERT_ROW.compile(dialect=dialect))
        cur = conn.connection.cursor()
        for n in range(events):
            action = rng.choices(names, weights)[0]
            lat, long, d = point()
            olat, olong, od = point()
            moving = action in ("transfer", "move", "transferCustody", "transferAllRights")
            flat, flong, fd = point() if moving else (None, None, None)
            no_mass = rng.random() < 0.03
            mass = None if no_mass or action == "use" else f"{rng.uniform(0.1, 500):.3f}"
            day = rng.randrange(365)
            at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1735689600 + day * 86400))
            local = rng.random() < 0.8
            spec = rng.randrange(40)
            batch.append({
                "has_input": int(action in ("consume", "use", "accept")),
                "has_mass": int(mass is not None), "has_distance": int(flat is not None),
                "is_local": int(local),
                "event_id": f"e{n:09d}", "record": f"r{n:09d}", "action": action,
                "provider": someone(d), "receiver": someone(d), "at": at, "month": at[:7],
                "input_of": f"p{d}-{rng.randrange(250)}" if action in ("consume", "use", "accept")
                else None,
                "output_of": f"p{d}-{rng.randrange(250)}" if action in ("produce", "modify")
                else None,
                "resource": f"res{rng.randrange(200000)}", "spec": f"spec{spec}",
                "material": MATERIALS[spec % len(MATERIALS)], "is_waste": int(rng.random() < 0.1),
                "is_reuse": int(rng.random() < 0.05), "is_repair": int(action == "modify"),
                "quantity": "1" if no_mass else mass, "unit": "om2:one" if no_mass
                else "om2:kilogram", "mass_kg": mass,
                "mass_reason": "no mass for unit om2:one" if no_mass else None,
                "lat": str(lat), "long": str(long), "district": d, "place_reason": None,
                "from_lat": None if flat is None else str(flat),
                "from_long": None if flong is None else str(flong), "from_district": fd,
                "origin_lat": str(olat), "origin_long": str(olong),
                "origin_district": od if local else None,
                "distance_km": None if flat is None
                else f"{haversine_km(flat, flong, lat, long):.6f}",  # type: ignore[arg-type]
            })  # fmt: skip
            if len(batch) >= 20_000:
                cur.executemany(sql, batch)
                batch = []
        if batch:
            cur.executemany(sql, batch)
        cur.close()
    return time.perf_counter() - start


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return round(time.perf_counter() - t, 3), out


def time_reports(store: SqlStore, y: int = 2025) -> dict[str, Any]:
    e = store.engine
    year = Scope.make(start=f"{y}-01-01", end=f"{y}-12-31")
    month = Scope.make(start=f"{y}-01-01", end=f"{y}-12-31", period="month")
    out: dict[str, Any] = {}
    out["flows"], rows = _timed(lambda: flow_accounts(e, year))
    out["flows_rows"] = len(rows)
    out["flows_by_month"], _ = _timed(lambda: flow_accounts(e, month))
    out["flows_one_district"], _ = _timed(
        lambda: flow_accounts(e, Scope.make(district="D03", start=year.start, end=year.end))
    )
    out["circularity"], _ = _timed(lambda: circularity(e, year))
    out["participation"], _ = _timed(lambda: participation(e, year))
    out["sankey"], _ = _timed(lambda: sankey_data(e, year))
    out["explain_inflow_one_district"], ids = _timed(
        lambda: explain(e, "inflow", "D03", MATERIALS[0], scope=year)
    )
    out["explain_events"] = len(ids)
    return out


def run(
    events: int,
    *,
    districts: int = 20,
    records: int = 0,
    url: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    load_plugins()
    with tempfile.TemporaryDirectory(prefix="reflow-bench-report-") as tmp:
        store = SqlStore.open(url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        try:
            _write_territory(store, districts)
            out: dict[str, Any] = {"setup": SETUP_NOTE, "events": events, "districts": districts}
            out["generate_seconds"] = round(generate(store, events, districts), 1)
            if store.dialect == "postgresql":  # what autovacuum does after a bulk load
                with store.engine.connect() as conn:
                    conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                        "VACUUM ANALYZE report_event_places"
                    )
            out["seconds"] = time_reports(store)
            out["target_flows_seconds"] = 5.0
            out["flows_within_target"] = out["seconds"]["flows"] <= 5.0
        finally:
            store.close()
        if records:
            out["real_records"] = _real(Path(tmp) / "real.sqlite", records, districts)
    return out


def _real(path: Path, records: int, districts: int) -> dict[str, Any]:
    """Ingest real signed records (the ingest benchmark's city) and time the reports."""
    from reflow.bench.ingest import NETWORK, Workload
    from reflow.ledger.ledger import Ledger

    store = SqlStore.open(f"sqlite:///{path}")
    try:
        _write_territory(store, districts)
        recs = Workload(agents=200, seed=7).build(records)
        ledger = Ledger(store, NETWORK)
        t = time.perf_counter()
        applied = 0
        for i in range(0, len(recs), 10_000):
            applied += sum(r.status == "applied" for r in ledger.append_many(recs[i : i + 10_000]))
        ingest = time.perf_counter() - t
        t = time.perf_counter()
        catch_up(store.engine)  # the first report places the events (off the ingest path)
        first_catch_up = time.perf_counter() - t
        with store.engine.connect() as conn:
            placed = conn.execute(
                tables.event_places.select().with_only_columns(
                    tables.event_places.c.event_id
                ).order_by(None)
            ).all()  # fmt: skip
        out = {
            "records": len(recs), "applied": applied, "event_rows": len(placed),
            "ingest_seconds": round(ingest, 1), "catch_up_seconds": round(first_catch_up, 1),
            "ingest_per_second": round(len(recs) / ingest) if ingest else None,
            "seconds": time_reports(store, 2026),  # the ingest workload's events are in 2026
        }  # fmt: skip
    finally:
        store.close()
    return out
