"""What a report covers: a district, a material group, a time window and the period grouping.

Times are compared as UTC ISO text (``report_event_places.at``), which sorts as time does.
``start`` is inclusive and ``end`` exclusive; a date given as ``--to 2026-12-31`` means up to
the end of that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, cast, func, literal

from reflow.errors import RuleViolation
from reflow.report.tables import event_places

PERIODS = ("all", "year", "month", "day")
C = event_places.c


@dataclass(frozen=True, slots=True)
class Scope:
    district: str | None = None
    material: str | None = None
    start: str | None = None  # inclusive, UTC ISO text
    end: str | None = None  # exclusive
    period: str = "all"

    @classmethod
    def make(
        cls,
        district: str | None = None,
        material: str | None = None,
        start: str | None = None,
        end: str | None = None,
        period: str = "all",
    ) -> Scope:
        if period not in PERIODS:
            raise RuleViolation(
                f"period is one of {', '.join(PERIODS)}", field="period", rule="known-period"
            )
        return cls(district, material, _start(start, "from"), _end(end), period)

    def label(self) -> str:
        return f"{self.start or '…'}/{self.end or '…'}"


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise RuleViolation(
            f"{value!r} is not a date (YYYY-MM-DD)", field=field, rule="date"
        ) from None


def _start(value: str | None, field: str) -> str | None:
    if not value:
        return None
    if len(value) > 10:
        return value
    return _day(value, field).isoformat() + "T00:00:00Z"


def _end(value: str | None) -> str | None:
    if not value:
        return None
    if len(value) > 10:
        return value
    return (_day(value, "to") + timedelta(days=1)).isoformat() + "T00:00:00Z"


def period_expr(period: str) -> ColumnElement[Any]:
    width = {"year": 4, "month": 7, "day": 10}.get(period)
    if width is None:
        return literal("all")
    return func.substr(C.at, 1, width)


def time_filter(scope: Scope) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if scope.start:
        out.append(C.at >= scope.start)
    if scope.end:
        out.append(C.at < scope.end)
    if scope.material:
        out.append(C.material == scope.material)
    return out


def kg() -> ColumnElement[Any]:
    """The mass column as a number (exact text in the table)."""
    return cast(C.mass_kg, Float)


def num(value: Any, places: int = 6) -> float | None:
    """A figure as a float rounded to ``places`` (kg to the milligram), None when unknown."""
    if value is None:
        return None
    return round(float(value), places)
