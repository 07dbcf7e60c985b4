"""Units: OM2 names, exact conversion, refusals, VF measure parsing and the round-trip property."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reflow.errors import RuleViolation, UnitError
from reflow.vf.measure import Measure
from reflow.vf.units import (
    _FACTORS,
    INEXACT_DIGITS,
    UNITS,
    canonical_unit_id,
    compatible,
    convert,
    get_unit,
    plain_decimal,
)

D = Decimal

# OM2 id -> the same unit in pint's vocabulary, to check every factor in the table.
PINT_NAMES = {
    "om2:kilogram": "kilogram",
    "om2:gram": "gram",
    "om2:tonne": "tonne",
    "om2:cubicMetre": "meter ** 3",
    "om2:litre": "liter",
    "om2:millilitre": "milliliter",
    "om2:metre": "meter",
    "om2:kilometre": "kilometer",
    "om2:centimetre": "centimeter",
    "om2:squareMetre": "meter ** 2",
    "om2:second-Time": "second",
    "om2:minute-Time": "minute",
    "om2:hour": "hour",
    "om2:day": "day",
    "om2:week": "week",
    "om2:one": "dimensionless",
    "om2:joule": "joule",
    "om2:wattHour": "watt_hour",
    "om2:kilowattHour": "kilowatt_hour",
    "om2:megawattHour": "megawatt_hour",
    "om2:watt": "watt",
    "om2:kilowatt": "kilowatt",
    "om2:percent": "percent",
}


@pytest.fixture(scope="module")
def ureg():
    pint = pytest.importorskip("pint")
    return pint.UnitRegistry(non_int_type=Decimal)


@pytest.mark.parametrize("unit_id", sorted(PINT_NAMES))
def test_factor_agrees_with_pint(ureg, unit_id: str) -> None:
    # Every dimension's first unit is its SI unit, so the table's factor is pint's base factor.
    magnitude = ureg.Quantity(D(1), PINT_NAMES[unit_id]).to_base_units().magnitude
    assert Fraction(magnitude) == _FACTORS[unit_id]


def test_every_om2_unit_is_checked_against_pint() -> None:
    assert {u for u in UNITS if u.startswith("om2:")} == set(PINT_NAMES)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("om2:kilogram", "om2:kilogram"),
        ("http://www.ontology-of-units-of-measure.org/resource/om-2/kilogram", "om2:kilogram"),
        ("om:kilogram", "om2:kilogram"),
        ("kilogram", "om2:kilogram"),
        ("kg", "om2:kilogram"),
        ("g", "om2:gram"),
        ("t", "om2:tonne"),
        ("l", "om2:litre"),
        ("L", "om2:litre"),
        ("ml", "om2:millilitre"),
        ("m3", "om2:cubicMetre"),
        ("m", "om2:metre"),
        ("km", "om2:kilometre"),
        ("m2", "om2:squareMetre"),
        ("h", "om2:hour"),
        ("min", "om2:minute-Time"),
        ("om2:minute", "om2:minute-Time"),
        ("s", "om2:second-Time"),
        ("second-Time", "om2:second-Time"),
        ("kWh", "om2:kilowattHour"),
        ("Wh", "om2:wattHour"),
        ("MWh", "om2:megawattHour"),
        ("W", "om2:watt"),
        ("kW", "om2:kilowatt"),
        ("J", "om2:joule"),
        ("%", "om2:percent"),
        ("each", "om2:one"),
        ("pc", "om2:one"),
        ("EUR", "iso4217:EUR"),
        ("iso4217:DKK", "iso4217:DKK"),
        ("reflow:point", "reflow:point"),
    ],
)
def test_canonical_unit_id(ref: str, expected: str) -> None:
    assert canonical_unit_id(ref) == expected
    assert get_unit(ref) is UNITS[expected]


@pytest.mark.parametrize("ref", ["kilo", "KG", "mW", "om2:kilogramme", "", "om2:", "EURO"])
def test_unknown_unit_is_refused(ref: str) -> None:
    with pytest.raises(UnitError) as info:
        get_unit(ref)
    assert (info.value.field, info.value.rule) == ("hasUnit", "known-unit")
    assert repr(ref) in info.value.message


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        ("1.5", "kg", "g", "1500"),
        ("1500", "g", "kg", "1.5"),
        ("2.5", "t", "kg", "2500"),
        ("1", "g", "t", "0.000001"),
        ("90", "min", "h", "1.5"),
        ("1.5", "h", "s", "5400"),
        ("2", "week", "day", "14"),
        ("250", "ml", "l", "0.25"),
        ("1", "m3", "l", "1000"),
        ("1", "kWh", "J", "3600000"),
        ("1500", "Wh", "kWh", "1.5"),
        ("2", "MWh", "kWh", "2000"),
        ("1.2", "kW", "W", "1200"),
        ("150", "cm", "m", "1.5"),
        ("3", "km", "m", "3000"),
        ("0", "kg", "g", "0"),
    ],
)
def test_convert_is_exact(value: str, source: str, target: str, expected: str) -> None:
    result = convert(D(value), source, target)
    assert result == D(expected)
    assert f"{plain_decimal(result):f}" == expected


def test_same_unit_returns_value_unchanged() -> None:
    value = D("12.500")
    assert convert(value, "kg", "om2:kilogram") is value


def test_inexact_result_is_rounded_to_fixed_digits() -> None:
    result = convert(D(1), "s", "h")
    assert result == D("0.0002777777777777777777777777778")
    assert len(result.as_tuple().digits) == INEXACT_DIGITS


@pytest.mark.parametrize(
    ("source", "target"),
    [("kg", "l"), ("EUR", "USD"), ("kg", "one"), ("%", "each"), ("h", "kWh"), ("EUR", "point")],
)
def test_incompatible_units_are_refused(source: str, target: str) -> None:
    assert not compatible(source, target)
    with pytest.raises(UnitError) as info:
        convert(D(1), source, target)
    err = info.value
    assert (err.field, err.rule) == ("hasUnit", "compatible-units")
    assert canonical_unit_id(source) in err.message
    assert canonical_unit_id(target) in err.message
    assert "measure different things" in err.message


@pytest.mark.parametrize(("a", "b"), [("kg", "t"), ("l", "m3"), ("s", "week"), ("J", "kWh")])
def test_compatible(a: str, b: str) -> None:
    assert compatible(a, b)


def test_convert_refuses_float() -> None:
    with pytest.raises(TypeError):
        convert(1.5, "kg", "g")  # type: ignore[arg-type]


# --- Measure ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"hasNumericalValue": "12.5", "hasUnit": "om2:kilogram"}, Measure(D("12.5"), "kg")),
        ({"hasNumericalValue": 3, "hasUnit": "each"}, Measure(D(3), "om2:one")),
        ({"hasNumericalValue": "0", "hasUnit": "h"}, Measure(D(0), "om2:hour")),
        ({"hasNumericalValue": "1e3", "hasUnit": "g"}, Measure(D(1000), "om2:gram")),
    ],
)
def test_measure_from_vf(raw: dict, expected: Measure) -> None:
    assert Measure.from_vf(raw, "resourceQuantity") == expected


@pytest.mark.parametrize(
    ("raw", "field", "rule"),
    [
        ({"hasNumericalValue": 1.5, "hasUnit": "kg"}, "q.hasNumericalValue", "decimal-string"),
        ({"hasNumericalValue": True, "hasUnit": "kg"}, "q.hasNumericalValue", "decimal-string"),
        ({"hasNumericalValue": "1,5", "hasUnit": "kg"}, "q.hasNumericalValue", "decimal-string"),
        ({"hasNumericalValue": "", "hasUnit": "kg"}, "q.hasNumericalValue", "decimal-string"),
        (
            {"hasNumericalValue": "-1", "hasUnit": "kg"},
            "q.hasNumericalValue",
            "non-negative-quantity",
        ),
        (
            {"hasNumericalValue": -2, "hasUnit": "kg"},
            "q.hasNumericalValue",
            "non-negative-quantity",
        ),
        ({"hasNumericalValue": "NaN", "hasUnit": "kg"}, "q.hasNumericalValue", "finite-quantity"),
        (
            {"hasNumericalValue": "-Infinity", "hasUnit": "kg"},
            "q.hasNumericalValue",
            "finite-quantity",
        ),
        (
            {"hasNumericalValue": D("NaN"), "hasUnit": "kg"},
            "q.hasNumericalValue",
            "finite-quantity",
        ),
        ({"hasUnit": "kg"}, "q.hasNumericalValue", "required"),
        ({"hasNumericalValue": "1"}, "q.hasUnit", "required"),
        ({"hasNumericalValue": "1", "hasUnit": "furlong"}, "q.hasUnit", "known-unit"),
        ("12 kg", "q", "vf-measure"),
    ],
)
def test_measure_from_vf_refusals(raw: object, field: str, rule: str) -> None:
    with pytest.raises(RuleViolation) as info:
        Measure.from_vf(raw, "q")
    assert (info.value.field, info.value.rule) == (field, rule)


def test_float_refusal_explains_why() -> None:
    with pytest.raises(RuleViolation, match="strings to stay exact"):
        Measure.from_vf({"hasNumericalValue": 0.1, "hasUnit": "kg"}, "q")


@pytest.mark.parametrize(
    ("measure", "expected"),
    [
        (Measure(D("1500.000"), "g"), {"hasNumericalValue": "1500", "hasUnit": "om2:gram"}),
        (Measure(D("0.250"), "l"), {"hasNumericalValue": "0.25", "hasUnit": "om2:litre"}),
        (Measure(D("12.50"), "kg"), {"hasNumericalValue": "12.5", "hasUnit": "om2:kilogram"}),
        (Measure(D("1E+3"), "kg"), {"hasNumericalValue": "1000", "hasUnit": "om2:kilogram"}),
        (Measure(D("0.000"), "kg"), {"hasNumericalValue": "0", "hasUnit": "om2:kilogram"}),
    ],
)
def test_measure_to_vf(measure: Measure, expected: dict) -> None:
    assert measure.to_vf() == expected
    assert Measure.from_vf(expected, "q") == measure


def test_measure_to_plus_minus() -> None:
    kilo = Measure(D("1.5"), "kg")
    assert kilo.to("g") == Measure(D(1500), "om2:gram")
    assert kilo.plus(Measure(D(250), "g")) == Measure(D("1.75"), "om2:kilogram")
    assert kilo.minus(Measure(D(2), "kg")) == Measure(D("-0.5"), "om2:kilogram")
    with pytest.raises(UnitError):
        kilo.plus(Measure(D(1), "l"))


def test_measure_refuses_non_decimal_value() -> None:
    with pytest.raises(RuleViolation):
        Measure(1.5, "kg")  # type: ignore[arg-type]
    with pytest.raises(UnitError):
        Measure(D(1), "furlong")


# --- property: exact round trips -------------------------------------------------------------

DECIMALS = st.decimals(
    min_value=0, max_value=10**12, places=6, allow_nan=False, allow_infinity=False
)

# Factors that are powers of ten convert exactly both ways.
DECIMAL_FAMILIES = [
    ("kg", "g"),
    ("g", "kg"),
    ("kg", "t"),
    ("t", "g"),
    ("l", "ml"),
    ("ml", "l"),
    ("m3", "ml"),
    ("kWh", "Wh"),
    ("MWh", "kWh"),
]
# Time factors are not: only the larger-to-smaller leg is exact, so the trip starts there.
TIME_PAIRS = [("h", "min"), ("h", "s"), ("min", "s"), ("day", "h"), ("week", "min")]


@pytest.mark.parametrize(("a", "b"), DECIMAL_FAMILIES + TIME_PAIRS)
@given(value=DECIMALS)
def test_round_trip_is_exact(a: str, b: str, value: Decimal) -> None:
    assert convert(convert(value, a, b), b, a) == value


@pytest.mark.parametrize(("a", "b"), [("s", "h"), ("min", "h"), ("s", "week")])
@given(value=DECIMALS)
def test_round_trip_through_larger_time_unit_is_close(a: str, b: str, value: Decimal) -> None:
    back = convert(convert(value, a, b), b, a)
    assert abs(back - value) <= abs(value) * D(10) ** (2 - INEXACT_DIGITS)
