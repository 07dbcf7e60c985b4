"""Choosing among alternative recipes for the same output, and saying why.

When several recipe processes make what a plan needs, each is tried: the part of the plan below
it is exploded and netted on a copy of the inventory the plan can still count on, its work is
held against the hours people offer, and it is scheduled back from when the output is needed.
The alternatives are then ranked by, in order:

1. what the network cannot provide — for each input nobody has nor makes, the share of it
   that is missing, plus for each skill the share of its hours that nobody offers (so a
   recipe that can be made with what is here beats one that must ask the market);
2. lateness — how long after ``now`` its first process would have to have started;
3. distance — kilometres to the inventory it draws on;
4. the recipe whose primary output this is, then the smallest id (so the choice is stable).

Below the choice, further alternatives are judged by that same default order (a trial does not
try every combination). Hours taken by a chosen alternative are no longer offered to the next
choice. Every choice is kept with the figures of each alternative and a sentence of why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from reflow.plan.data import PlanData
from reflow.plan.explode import Need, explode, schedule, up
from reflow.plan.recipes import CLASS, Key, RecipeBook, RecipeProcess
from reflow.store.codec import dec_text

EXACT = 6  # decimal places a score is compared at


@dataclass(slots=True)
class Trial:
    process: RecipeProcess
    missing: list[dict[str, str]] = field(default_factory=list)  # inputs nobody provides
    short_hours: dict[str, Decimal] = field(default_factory=dict)  # per skill
    work: dict[str, Decimal] = field(default_factory=dict)  # hours per skill
    lacks: list[str] = field(default_factory=list)  # what is missing, in words
    score: float = 0.0
    late_hours: float = 0.0
    km: float = 0.0
    rank: tuple[Any, ...] = ()


def _skill(spec: str | None, classes: tuple[str, ...]) -> str:
    return spec or (f"{CLASS}{classes[0]}" if classes else "")


class Chooser:
    """A ``Chooser`` for ``explode``: tries each alternative on a copy of ``data``."""

    def __init__(
        self,
        book: RecipeBook,
        data: PlanData,
        at: tuple[float, float] | None,
        radius_km: float,
        now: datetime,
    ) -> None:
        self.book, self.data, self.at, self.radius_km, self.now = book, data, at, radius_km, now
        self.hours: dict[str, Decimal] = {}
        for o in data.offers:
            for skill in {o.spec or "", *(f"{CLASS}{c}" for c in sorted(o.classes))} - {""}:
                self.hours[skill] = self.hours.get(skill, Decimal(0)) + o.hours

    def __call__(
        self, key: Key, cands: list[RecipeProcess], need: Need, by: datetime | None
    ) -> tuple[RecipeProcess, dict[str, Any]]:
        trials = [self._try(key, p, need, by, i) for i, p in enumerate(cands)]
        best = min(trials, key=lambda t: t.rank)
        for skill, h in best.work.items():
            self.hours[skill] = self.hours.get(skill, Decimal(0)) - h
        return best.process, self._explain(key, need, best, trials)

    def _try(
        self, key: Key, p: RecipeProcess, need: Need, by: datetime | None, order: int
    ) -> Trial:
        t = Trial(p)
        trial = self.data.trial()
        ex = explode(
            self.book.choosing(key, p), key, need.net, need.unit,
            trial.netter(self.at, self.radius_km), due=by,
        )  # fmt: skip
        score = Decimal(0)
        for n in ex.unmet():
            score += n.net / n.gross
            t.missing.append(
                {"spec": n.key[0], "quantity": dec_text(up(n.net)) or "0", "unit": n.unit}
            )
            t.lacks.append(self._name(n.key[0]))
        for planned in ex.processes.values():
            for f, hours in planned.work:
                skill = _skill(f.spec, f.classes)
                t.work[skill] = t.work.get(skill, Decimal(0)) + hours
        for skill, hours in sorted(t.work.items()):
            short = max(Decimal(0), hours - max(Decimal(0), self.hours.get(skill, Decimal(0))))
            if short > 0:
                t.short_hours[skill] = short
                t.lacks.append(f"{dec_text(up(short))} h of {self._name(skill)}")
                score += short / hours
        if by is not None and ex.processes:
            t.late_hours = schedule(ex, by, self.now).late_by.total_seconds() / 3600
        stops = {(a.resource, round(a.distance_km, 3)) for n in ex.needs.values()
                 for a in n.allocations}  # fmt: skip
        t.km = sum(d for _r, d in stops)
        t.score = float(score)
        t.rank = (round(t.score, EXACT), round(t.late_hours, 2), round(t.km, 3), order, p.id)
        return t

    def _explain(self, key: Key, need: Need, best: Trial, trials: list[Trial]) -> dict[str, Any]:
        others = sorted((t for t in trials if t is not best), key=lambda t: t.rank)
        return {
            "spec": key[0],
            "stage": key[1],
            "state": key[2],
            "quantity": dec_text(up(need.net)),
            "unit": need.unit,
            "chosen": self._figures(best),
            "why": _why(best, others[0]) if others else "the only recipe",
            "alternatives": [self._figures(t) for t in others],
        }

    def _name(self, spec: str) -> str:
        if spec.startswith(CLASS):
            return spec[len(CLASS) :]
        return str((self.data.specs.get(spec) or {}).get("name") or spec[:12])

    def _figures(self, t: Trial) -> dict[str, Any]:
        return {
            "recipe": t.process.recipe,
            "recipeName": self.book.names.get(t.process.recipe, t.process.recipe),
            "process": t.process.id,
            "name": t.process.name,
            "missing": t.missing,
            "hoursShort": {k: dec_text(up(v)) for k, v in t.short_hours.items()},
            "uncovered": str(round(t.score, 3)),
            "lateHours": str(round(t.late_hours, 2)),
            "distanceKm": str(round(t.km, 3)),
        }


def _why(best: Trial, runner: Trial) -> str:
    """One sentence: the first criterion on which the chosen recipe beats the next best."""
    name, other = best.process.name, runner.process.name
    if best.rank[0] < runner.rank[0]:
        return (
            f"{name} can be met from inventory and people's offers better than {other} "
            f"(uncovered {round(best.score, 2)} against {round(runner.score, 2)}; "
            f"{other} lacks {', '.join(runner.lacks)})"
        )
    if best.rank[1] < runner.rank[1]:
        return (
            f"{name} is late by {round(best.late_hours, 1)} h, {other} would be late by "
            f"{round(runner.late_hours, 1)} h"
        )
    if best.rank[2] < runner.rank[2]:
        return (
            f"{name} draws on inventory {round(best.km, 1)} km away, {other} on "
            f"{round(runner.km, 1)} km"
        )
    return f"{name} and {other} are as good; {name} is the recipe's preferred one"
