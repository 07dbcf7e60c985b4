"""Geometry of the plan timeline (a Gantt chart drawn as SVG by the template). Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

WIDTH, LABEL, ROW = 900, 220, 28


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def bars(processes: list[dict[str, Any]], due: str | None, now: str | None) -> dict[str, Any]:
    """Bars (x, width in px) for each process between the earliest begin and the latest end/due."""
    times = [_t(p["begins"]) for p in processes] + [_t(p["ends"]) for p in processes]
    if due:
        times.append(_t(due))
    if not times:
        return {"rows": [], "width": WIDTH, "height": ROW, "label": LABEL, "marks": []}
    start, end = min(times), max(times)
    span = max((end - start).total_seconds(), 1.0)
    scale = (WIDTH - LABEL - 10) / span

    def x(value: str) -> float:
        return round(LABEL + (_t(value) - start).total_seconds() * scale, 1)

    rows = []
    for i, p in enumerate(processes):
        x0, x1 = x(p["begins"]), x(p["ends"])
        rows.append({"y": 24 + i * ROW, "x": x0, "w": max(x1 - x0, 3.0), "name": p["name"],
                     "status": p.get("status", ""), "critical": p.get("critical", False),
                     "begins": p["begins"][:16], "ends": p["ends"][:16]})  # fmt: skip
    marks = [{"x": x(due), "label": "due"}] if due else []
    if now and start <= _t(now) <= end:
        marks.append({"x": x(now), "label": "now"})
    return {"rows": rows, "width": WIDTH, "height": 34 + len(rows) * ROW, "label": LABEL,
            "marks": marks, "start": start.isoformat()[:16],
            "end": end.isoformat()[:16]}  # fmt: skip
