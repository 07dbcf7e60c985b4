"""A value equation: how an income is shared among the contributions behind a product. Pure.

Sensorica's NRP lets a network agree, ahead of any sale, on *how* value is shared: some buckets
pay fixed agents (a network fund), others share what is left among the contributions found by
tracing the product back, each valued by rates and multipliers the members agreed on. The
equation is therefore *data* — a signed record every node reads the same way — and never code:
nothing here evaluates an expression, so an equation cannot run anything, and two nodes holding
the same record compute the same shares.

Shape (every number is a decimal string)::

    {"name": "...", "scope": "network" | {"type": "organization"|"plan"|"network", "id": "..."},
     "currency": "iso4217:EUR" | "reflow:point", "pointsPerUnit": "1" (points only),
     "buckets": [{"name": "fund", "percent": "10", "of": "total",
                  "pays": {"fixed": [{"agent": "...", "share": "1"}]}},
                 {"name": "contributors", "percent": "100", "of": "remainder",
                  "pays": {"contributions": {"kinds": ["work", "resource", "use", "cite"],
                                             "process": "...", "plan": "...",
                                             "from": "2026-01-01", "to": "2026-12-31"}}}],
     "rates": {"work": {"<skill spec>" | "*": "20"}, "use": {"<spec or resource>": "3"},
               "resource": {"<spec or resource>": "4" | {"value": "4", "per": "om2:kilogram"}},
               "cite": {...}, "deliverService": {...}},
     "multipliers": {"<agent id or kind>": "1.2"}}

A rate is per hour (work, use, services by effort) or per the unit the resource is recorded in,
unless it says what it is per (``{"value", "per"}``): then quantities are converted exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from reflow.errors import RuleViolation, UnitError
from reflow.vf.units import canonical_unit_id, get_unit

KINDS = ("work", "resource", "use", "cite", "deliverService")
SCOPES = ("network", "organization", "plan")
POINT = "reflow:point"
# Minor units of currencies whose cent is not 1/100 (ISO 4217); every other currency has 2.
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "BHD": 3, "KWD": 3, "TND": 3}
_FIELDS = {"name", "scope", "currency", "buckets", "rates", "multipliers", "pointsPerUnit", "note"}


@dataclass(frozen=True, slots=True)
class Bucket:
    name: str
    percent: Decimal
    of: str  # total | remainder
    fixed: tuple[tuple[str, Decimal], ...] = ()  # (agent, share weight)
    kinds: tuple[str, ...] = ()
    process: str | None = None
    plan: str | None = None
    since: str | None = None
    until: str | None = None

    @property
    def pays_contributions(self) -> bool:
        return not self.fixed


@dataclass(frozen=True, slots=True)
class Equation:
    name: str
    scope: str
    scope_id: str | None
    currency: str
    buckets: tuple[Bucket, ...]
    rates: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    multipliers: dict[str, Decimal] = field(default_factory=dict)
    points_per_unit: Decimal = Decimal(1)
    id: str | None = None
    per: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> key -> unit

    @property
    def quantum(self) -> Decimal:
        """The smallest amount a share is rounded to: the currency's cent, or one whole point."""
        if self.currency == POINT:
            return Decimal(1)
        code = self.currency.split(":", 1)[1]
        return Decimal(1).scaleb(-_MINOR_UNITS.get(code, 2))

    def rate(self, kind: str, *keys: str | None) -> Decimal | None:
        """The first rate of ``kind`` found for ``keys`` (most specific first), then ``*``."""
        found = self.rate_per(kind, *keys)
        return found[0] if found is not None else None

    def rate_per(self, kind: str, *keys: str | None) -> tuple[Decimal, str | None] | None:
        """The rate and the unit it is per (``None``: per the unit the event is recorded in)."""
        table = self.rates.get(kind, {})
        for key in (*keys, "*"):
            if key is not None and key in table:
                return table[key], self.per.get(kind, {}).get(key)
        return None


def _fail(message: str, where: str, rule: str) -> RuleViolation:
    return RuleViolation(message, field=where, rule=rule)


def _number(value: Any, where: str, *, positive: bool = False) -> Decimal:
    if not isinstance(value, str):
        raise _fail("a number must be a decimal string", where, "decimal-string")
    try:
        d = Decimal(value)
    except InvalidOperation:
        raise _fail(f"{value!r} is not a decimal number", where, "decimal") from None
    if not d.is_finite():
        raise _fail(f"{value!r} is not a finite number", where, "decimal")
    if d < 0:
        raise _fail(f"{value} is negative", where, "non-negative")
    if positive and d == 0:
        raise _fail("must be more than 0", where, "positive")
    return d


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail("must be a non-empty string", where, "required")
    return value


def _currency(value: Any) -> str:
    where = "currency"
    _text(value, where)
    try:
        unit = canonical_unit_id(value)
        dimension = get_unit(unit).dimension
    except (UnitError, RuleViolation):
        raise _fail(f"unknown currency {value!r}", where, "currency") from None
    if unit != POINT and not dimension.startswith("currency:"):
        raise _fail(
            f"{value!r} is not a currency: use an iso4217 code or {POINT}", where, "currency"
        )
    return unit


def _scope(value: Any) -> tuple[str, str | None]:
    if value == "network":
        return "network", None
    if not isinstance(value, dict):
        raise _fail("scope is 'network' or {type, id}", "scope", "scope")
    kind = value.get("type")
    if kind not in SCOPES:
        raise _fail(f"scope.type must be one of {', '.join(SCOPES)}", "scope.type", "scope")
    sid = value.get("id")
    if kind != "network":
        _text(sid, "scope.id")
    return kind, sid


def _bucket(raw: Any, i: int) -> Bucket:
    where = f"buckets[{i}]"
    if not isinstance(raw, dict):
        raise _fail("a bucket must be an object", where, "type")
    name = _text(raw.get("name"), f"{where}.name")
    percent = _number(raw.get("percent"), f"{where}.percent")
    if percent > 100:
        raise _fail(f"{percent}% is more than 100%", f"{where}.percent", "percent-at-most-100")
    of = raw.get("of", "total")
    if of not in ("total", "remainder"):
        raise _fail("of must be 'total' or 'remainder'", f"{where}.of", "bucket-base")
    pays = raw.get("pays")
    if (
        not isinstance(pays, dict)
        or len(pays) != 1
        or next(iter(pays))
        not in (
            "fixed",
            "contributions",
        )
    ):
        raise _fail("pays is {fixed: [...]} or {contributions: {...}}", f"{where}.pays", "pays")
    if "fixed" in pays:
        agents = pays["fixed"]
        if not isinstance(agents, list) or not agents:
            raise _fail("fixed needs at least one agent", f"{where}.pays.fixed", "required")
        fixed = []
        for j, a in enumerate(agents):
            w = f"{where}.pays.fixed[{j}]"
            if not isinstance(a, dict):
                raise _fail("must be {agent, share}", w, "type")
            share = _number(a.get("share", "1"), f"{w}.share", positive=True)
            fixed.append((_text(a.get("agent"), f"{w}.agent"), share))
        return Bucket(name, percent, of, fixed=tuple(fixed))
    rule = pays["contributions"]
    w = f"{where}.pays.contributions"
    if not isinstance(rule, dict):
        raise _fail("contributions must be an object", w, "type")
    unknown = sorted(set(rule) - {"kinds", "process", "plan", "from", "to"})
    if unknown:
        raise _fail(f"unknown filter {unknown[0]!r}", f"{w}.{unknown[0]}", "known-fields")
    kinds = rule.get("kinds", list(KINDS))
    if not isinstance(kinds, list) or not kinds:
        raise _fail("kinds must be a non-empty list", f"{w}.kinds", "type")
    for j, k in enumerate(kinds):
        if k not in KINDS:
            raise _fail(
                f"unknown contribution kind {k!r} (known: {', '.join(KINDS)})",
                f"{w}.kinds[{j}]",
                "known-kind",
            )
    opt = {k: (_text(rule[k], f"{w}.{k}") if k in rule else None) for k in ("process", "plan")}
    since = _text(rule["from"], f"{w}.from") if "from" in rule else None
    until = _text(rule["to"], f"{w}.to") if "to" in rule else None
    if since and until and since > until:
        raise _fail("from is after to", f"{w}.to", "time-order")
    return Bucket(
        name, percent, of, kinds=tuple(kinds), process=opt["process"], plan=opt["plan"],
        since=since, until=until,
    )  # fmt: skip


def parse_equation(data: Any, equation_id: str | None = None) -> Equation:
    """Check an equation; every refusal names the field (``buckets[1].percent``) and the rule."""
    if not isinstance(data, dict):
        raise _fail("an equation must be an object", "equation", "type")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise _fail(f"unknown field {unknown[0]!r}", unknown[0], "known-fields")
    name = _text(data.get("name"), "name")
    scope, scope_id = _scope(data.get("scope", "network"))
    currency = _currency(data.get("currency"))
    raw_buckets = data.get("buckets")
    if not isinstance(raw_buckets, list) or not raw_buckets:
        raise _fail("an equation needs at least one bucket", "buckets", "required")
    buckets = tuple(_bucket(b, i) for i, b in enumerate(raw_buckets))
    names = [b.name for b in buckets]
    for i, n in enumerate(names):
        if n in names[:i]:
            raise _fail(f"two buckets are named {n!r}", f"buckets[{i}].name", "unique-name")
    total = sum((b.percent for b in buckets if b.of == "total"), Decimal(0))
    if total > 100:
        raise _fail(
            f"the buckets of the total take {total}%, more than 100%",
            "buckets.percent",
            "total-at-most-100",
        )
    rates: dict[str, dict[str, Decimal]] = {}
    per: dict[str, dict[str, str]] = {}
    raw_rates = data.get("rates", {})
    if not isinstance(raw_rates, dict):
        raise _fail("rates must be an object", "rates", "type")
    for kind, table in raw_rates.items():
        if kind not in KINDS:
            raise _fail(f"no rates for kind {kind!r}", f"rates.{kind}", "known-kind")
        if not isinstance(table, dict):
            raise _fail("rates of a kind map a spec (or *) to a rate", f"rates.{kind}", "type")
        rates[kind] = {}
        for k, v in table.items():
            where = f"rates.{kind}.{k}"
            if isinstance(v, dict):
                unknown = sorted(set(v) - {"value", "per"})
                if unknown:
                    raise _fail(f"unknown field {unknown[0]!r}", f"{where}.{unknown[0]}",
                                "known-fields")  # fmt: skip
                if kind == "cite":
                    raise _fail("a citation is priced per citation", f"{where}.per", "per-unit")
                try:
                    per[kind] = {
                        **per.get(kind, {}),
                        k: canonical_unit_id(_text(v.get("per"), f"{where}.per")),
                    }
                except UnitError:
                    raise _fail(f"unknown unit {v.get('per')!r}", f"{where}.per", "unit") from None
                v = v.get("value")
                where = f"{where}.value"
            rates[kind][k] = _number(v, where)
    raw_mult = data.get("multipliers", {})
    if not isinstance(raw_mult, dict):
        raise _fail("multipliers must be an object", "multipliers", "type")
    multipliers = {k: _number(v, f"multipliers.{k}") for k, v in raw_mult.items()}
    ppu = Decimal(1)
    if "pointsPerUnit" in data:
        if currency != POINT:
            raise _fail("pointsPerUnit is for point equations", "pointsPerUnit", "points-only")
        ppu = _number(data["pointsPerUnit"], "pointsPerUnit", positive=True)
    return Equation(
        name, scope, scope_id, currency, buckets, rates, multipliers, ppu, equation_id, per
    )
