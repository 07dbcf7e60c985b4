"""Units of measure named by OM2 identifiers, and exact conversion between them.

Quantities move value between agents, so a conversion must never lose or invent a gram: factors
are exact rationals and arithmetic is done on :class:`fractions.Fraction`. The factors are written
out here (and checked against ``pint`` by ``tests/test_vf_units.py``) instead of being asked of
pint at run time, so that every node computes the same digits whatever pint version it runs —
the ledger's state digest depends on it.

Units of different dimensions never convert. Percent is kept apart from ``om2:one`` (pieces)
although OM2 gives both dimension one, because "50 % of a chair" is never a number of chairs.
Currencies are units of their own dimension each: an exchange rate is an agreement between
agents, not a fact of arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction

from reflow.errors import RuleViolation, UnitError

__all__ = [
    "INEXACT_DIGITS",
    "OM2_IRI",
    "UNITS",
    "Unit",
    "canonical_unit_id",
    "compatible",
    "convert",
    "get_unit",
    "plain_decimal",
]

OM2_IRI = "http://www.ontology-of-units-of-measure.org/resource/om-2/"

#: Significant digits kept when a conversion has no finite decimal result (e.g. 1 s in hours).
INEXACT_DIGITS = 28

_ROUNDING = Context(prec=INEXACT_DIGITS, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit by its CURIE; ``dimension`` decides what it may be converted into."""

    id: str
    label: str
    symbol: str
    dimension: str


# (unit, exact factor to the dimension's first unit, extra names it is known by)
_ROWS: tuple[tuple[Unit, str, tuple[str, ...]], ...] = (
    (Unit("om2:kilogram", "kilogram", "kg", "mass"), "1", ()),
    (Unit("om2:gram", "gram", "g", "mass"), "1/1000", ()),
    (Unit("om2:tonne", "tonne", "t", "mass"), "1000", ()),
    (Unit("om2:cubicMetre", "cubic metre", "m3", "volume"), "1", ("m³",)),
    (Unit("om2:litre", "litre", "l", "volume"), "1/1000", ("L",)),
    (Unit("om2:millilitre", "millilitre", "ml", "volume"), "1/1000000", ("mL",)),
    (Unit("om2:metre", "metre", "m", "length"), "1", ()),
    (Unit("om2:kilometre", "kilometre", "km", "length"), "1000", ()),
    (Unit("om2:centimetre", "centimetre", "cm", "length"), "1/100", ()),
    (Unit("om2:squareMetre", "square metre", "m2", "area"), "1", ("m²",)),
    (Unit("om2:second-Time", "second", "s", "time"), "1", ()),
    # OM2 names it minute-Time (there is also an angle minute); "om2:minute" is a common slip.
    (Unit("om2:minute-Time", "minute", "min", "time"), "60", ("om2:minute",)),
    (Unit("om2:hour", "hour", "h", "time"), "3600", ()),
    (Unit("om2:day", "day", "d", "time"), "86400", ()),
    (Unit("om2:week", "week", "wk", "time"), "604800", ()),
    (Unit("om2:one", "one", "1", "one"), "1", ("each", "pc", "pcs", "piece")),
    (Unit("om2:joule", "joule", "J", "energy"), "1", ()),
    (Unit("om2:wattHour", "watt hour", "Wh", "energy"), "3600", ("W h",)),
    (Unit("om2:kilowattHour", "kilowatt hour", "kWh", "energy"), "3600000", ("kW h",)),
    (Unit("om2:megawattHour", "megawatt hour", "MWh", "energy"), "3600000000", ("MW h",)),
    (Unit("om2:watt", "watt", "W", "power"), "1", ()),
    (Unit("om2:kilowatt", "kilowatt", "kW", "power"), "1000", ()),
    (Unit("om2:percent", "percent", "%", "percent"), "1/100", ()),
    (Unit("iso4217:EUR", "euro", "EUR", "currency:EUR"), "1", ("€",)),
    (Unit("iso4217:USD", "US dollar", "USD", "currency:USD"), "1", ()),
    (Unit("iso4217:RON", "Romanian leu", "RON", "currency:RON"), "1", ()),
    (Unit("iso4217:DKK", "Danish krone", "DKK", "currency:DKK"), "1", ()),
    (Unit("reflow:point", "value point", "pt", "reflow:point"), "1", ("point", "points")),
)

#: Every known unit by its canonical id.
UNITS: dict[str, Unit] = {unit.id: unit for unit, _, _ in _ROWS}

_FACTORS: dict[str, Fraction] = {unit.id: Fraction(factor) for unit, factor, _ in _ROWS}


def _names(unit: Unit, extra: tuple[str, ...]) -> list[str]:
    prefix, local = unit.id.split(":", 1)
    names = [unit.id, local, unit.label, unit.symbol, *extra]
    if prefix == "om2":
        names += [OM2_IRI + local, f"om:{local}"]
    return names


def _build_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for unit, _, extra in _ROWS:
        for name in _names(unit, extra):
            owner = lookup.setdefault(name, unit.id)
            if owner != unit.id:  # pragma: no cover - guards the table above
                raise AssertionError(f"{name!r} names both {owner} and {unit.id}")
    return lookup


_LOOKUP = _build_lookup()


def get_unit(ref: str) -> Unit:
    """Resolve any common spelling of a unit, so records from other VF tools need no rewrite.

    Matching is exact: symbols are case-sensitive ("MW" is not "mW").
    """
    unit_id = _LOOKUP.get(ref) if isinstance(ref, str) else None
    if unit_id is None:
        raise UnitError(
            f"unknown unit {ref!r}; use an OM2 unit such as 'om2:kilogram' or a known symbol",
            field="hasUnit",
            rule="known-unit",
        )
    return UNITS[unit_id]


def canonical_unit_id(ref: str) -> str:
    """The one id a unit is stored under, so equal quantities look equal in records."""
    return get_unit(ref).id


def compatible(a: str, b: str) -> bool:
    """True if quantities in ``a`` and ``b`` measure the same thing and so can be converted."""
    return get_unit(a).dimension == get_unit(b).dimension


def plain_decimal(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and without an exponent, the form records store."""
    if value.is_zero():
        return Decimal(0)
    sign, digits, exponent = value.normalize(Context(prec=len(value.as_tuple().digits))).as_tuple()
    assert isinstance(exponent, int)
    if exponent > 0:
        return Decimal((sign, (*digits, *([0] * exponent)), 0))
    return Decimal((sign, digits, exponent))


def _to_decimal(value: Fraction) -> Decimal:
    """Exact when the fraction has a finite decimal expansion, else rounded to INEXACT_DIGITS."""
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den == 1:
        scale = max(twos, fives)
        return plain_decimal(
            Decimal(value.numerator * 10**scale // value.denominator).scaleb(
                -scale, Context(prec=10_000)
            )
        )
    rounded = _ROUNDING.divide(Decimal(value.numerator), Decimal(value.denominator))
    return plain_decimal(rounded)


def convert(value: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """Convert exactly; refuse to mix dimensions instead of guessing a rate.

    Results with no finite decimal form (seconds into hours, say) are rounded half-even to
    :data:`INEXACT_DIGITS` significant digits with a fixed context, so every node gets the same.
    """
    source, target = get_unit(from_unit), get_unit(to_unit)
    if source.dimension != target.dimension:
        raise UnitError(
            f"cannot convert {source.id} ({source.dimension}) to {target.id} "
            f"({target.dimension}): they measure different things",
            field="hasUnit",
            rule="compatible-units",
        )
    if isinstance(value, float) or not isinstance(value, Decimal | int):
        raise TypeError(f"convert() needs a Decimal, got {type(value).__name__}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise RuleViolation(f"quantity {value} is not a finite number", rule="finite-quantity")
    if source.id == target.id:
        return value
    exact = Fraction(value) * _FACTORS[source.id] / _FACTORS[target.id]
    return _to_decimal(exact)
