"""A quantity with its unit (VF's ``om2:Measure``), kept exact from record to record.

Records carry ``hasNumericalValue`` as a decimal string, never a float: a float cannot say 0.1,
and two nodes must read the same digits to reach the same state.
"""

from __future__ import annotations

import re
from decimal import Context, Decimal, Inexact, InvalidOperation
from typing import Any

from reflow.errors import RuleViolation, UnitError
from reflow.vf.units import canonical_unit_id, convert, plain_decimal
from reflow.vf.values import value_type

__all__ = ["Measure"]

# Bounds that keep every quantity a short exact string (a record is not a place for 1e999999).
MAX_EXPONENT = 30
MAX_DIGITS = 40

_DECIMAL_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NOT_FINITE = re.compile(r"[+-]?(?:nan|snan|inf|infinity)", re.IGNORECASE)

# Sums and differences are exact or fail: no silent rounding inside the ledger.
_EXACT = Context(prec=1000, traps=[Inexact, InvalidOperation])


# Quantities repeat (2 hours of work, 10 kg a bale): a measure read once is taken from here,
# keyed by its two strings; only what parsed cleanly is kept (errors name their field).
_PARSED: dict[tuple[str, str], Measure] = {}
_PARSED_LIMIT = 65_536


@value_type
class Measure:
    """A numerical value in a unit; the unit is stored under its canonical OM2 id."""

    value: Decimal
    unit: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, Decimal) or not self.value.is_finite():
            raise RuleViolation(
                f"a measure needs a finite Decimal value, got {self.value!r}",
                rule="finite-quantity",
            )
        object.__setattr__(self, "unit", canonical_unit_id(self.unit))

    def to(self, unit: str) -> Measure:
        """The same quantity in ``unit``; refuses units that measure something else."""
        return Measure(convert(self.value, self.unit, unit), unit)

    def plus(self, other: Measure) -> Measure:
        """Add ``other``, converted into this measure's unit so the result keeps it."""
        return Measure(_EXACT.add(self.value, other.to(self.unit).value), self.unit)

    def minus(self, other: Measure) -> Measure:
        """Subtract ``other``, converted into this measure's unit; the result may be negative."""
        return Measure(_EXACT.subtract(self.value, other.to(self.unit).value), self.unit)

    @classmethod
    def from_vf(cls, data: Any, field: str) -> Measure:
        """Read a VF measure dict, naming ``field`` in every refusal so the author can fix it."""
        if not isinstance(data, dict):
            raise RuleViolation(
                f"{field} must be an object with hasNumericalValue and hasUnit",
                field=field,
                rule="vf-measure",
            )
        raw, unit = data.get("hasNumericalValue"), data.get("hasUnit")
        if type(raw) is str and type(unit) is str:
            found = _PARSED.get((raw, unit))
            if found is not None:
                return found
            measure = cls._parse(data, field)
            if len(_PARSED) >= _PARSED_LIMIT:
                _PARSED.clear()
            _PARSED[raw, unit] = measure
            return measure
        return cls._parse(data, field)

    @classmethod
    def _parse(cls, data: dict[str, Any], field: str) -> Measure:
        value = _parse_value(data.get("hasNumericalValue"), f"{field}.hasNumericalValue")
        unit_field = f"{field}.hasUnit"
        unit = data.get("hasUnit")
        if unit is None:
            raise RuleViolation(f"{unit_field} is required", field=unit_field, rule="required")
        try:
            unit_id = canonical_unit_id(unit)
        except UnitError as err:
            raise UnitError(err.message, field=unit_field, rule=err.rule) from None
        return cls(value, unit_id)

    def to_vf(self) -> dict[str, str]:
        """The VF dict with the value as a plain decimal string ("1500", "0.25")."""
        return {"hasNumericalValue": f"{plain_decimal(self.value):f}", "hasUnit": self.unit}


def _parse_value(raw: Any, field: str) -> Decimal:
    if raw is None:
        raise RuleViolation(f"{field} is required", field=field, rule="required")
    if isinstance(raw, float):
        raise RuleViolation(
            f'{field} must be a decimal string such as "12.5", not the float {raw!r}: '
            "records keep decimals as strings to stay exact",
            field=field,
            rule="decimal-string",
        )
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        raise RuleViolation(
            f"{field} must be a decimal string or an integer, got {type(raw).__name__}",
            field=field,
            rule="decimal-string",
        )
    if isinstance(raw, str):
        text = raw.strip()
        if _NOT_FINITE.fullmatch(text):
            raise RuleViolation(
                f"{field} must be finite, got {raw!r}", field=field, rule="finite-quantity"
            )
        if not _DECIMAL_TEXT.fullmatch(text):
            raise RuleViolation(
                f"{field} is not a decimal number: {raw!r}", field=field, rule="decimal-string"
            )
        value = Decimal(text)
    else:
        value = Decimal(raw)
    if not value.is_finite():
        raise RuleViolation(
            f"{field} must be finite, got {raw!r}", field=field, rule="finite-quantity"
        )
    if value < 0:
        raise RuleViolation(
            f"{field} must not be negative, got {raw!r}", field=field, rule="non-negative-quantity"
        )
    if value and not (-MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT):
        raise RuleViolation(
            f"{field} is out of range: quantities lie between 1e-{MAX_EXPONENT} and "
            f"1e{MAX_EXPONENT} (use a larger or smaller unit)",
            field=field,
            rule="quantity-range",
        )
    if len(value.as_tuple().digits) > MAX_DIGITS:
        raise RuleViolation(
            f"{field} has more than {MAX_DIGITS} significant digits",
            field=field,
            rule="quantity-range",
        )
    return value
